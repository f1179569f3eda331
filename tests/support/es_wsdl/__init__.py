"""The WSDLs of the test Enterprise Services server, one per service, as SOAMANAGER publishes them.

Each WSDL follows SAP's ERP Enterprise Services layout (ECC_CUSTOMER002QR and
PurchaseOrderChangeRequestConfirmation_In as published): `wsdl:definitions` in
http://sap.com/xi/APPL/SE/Global, two inline schemas — the message elements (`..._sync` and
`StandardMessageFault`) in http://sap.com/xi/SAPGlobal20/Global importing the types schema in
http://sap.com/xi/APPL/SE/Global — neither with `elementFormDefault`, so every local element is
unqualified; one portType and one operation named after the service interface (`..._In`), a SOAP
1.1 document/literal binding and a `soap:address` carrying `sap-client`.

`gdt.xsd` holds the global data types both services share; `<service>.xsd` the message types.
"""
import copy
from dataclasses import dataclass
from pathlib import Path
from string import Template

from lxml import etree

from tests.support.soap_http import ImportResolver

MESSAGES_NS = "http://sap.com/xi/SAPGlobal20/Global"
TYPES_NS = "http://sap.com/xi/APPL/SE/Global"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
HERE = Path(__file__).parent


@dataclass(frozen=True)
class EsService:
    """One published query service: its interface and the names its messages use."""
    key: str                  # "purchase_orders" | "goods_movements"
    technical_name: str       # the service definition, lower case in the SOAMANAGER path
    interface: str            # portType and operation name
    business_object: str      # "PurchaseOrder", "MaterialDocument"
    types_file: str

    @property
    def query_element(self) -> str:
        return f"{self.business_object}ERPByElementsQuery_sync"

    @property
    def response_element(self) -> str:
        return f"{self.business_object}ERPByElementsResponse_sync"

    @property
    def selection_element(self) -> str:
        return f"{self.business_object}SelectionByElements"


PURCHASE_ORDERS = EsService("purchase_orders", "ecc_purchaseorderqr", "PurchaseOrderERPByElementsQueryResponse_In",
                            "PurchaseOrder", "purchase_orders.xsd")
GOODS_MOVEMENTS = EsService("goods_movements", "ecc_materialdocumentqr",
                            "MaterialDocumentERPByElementsQueryResponse_In", "MaterialDocument",
                            "material_documents.xsd")
SERVICES = {service.key: service for service in (PURCHASE_ORDERS, GOODS_MOVEMENTS)}

_SKELETON = Template("""<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions targetNamespace="$types_ns" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:http="http://schemas.xmlsoap.org/wsdl/http/"
  xmlns:xsd="$xsd_ns" xmlns:n0="$messages_ns" xmlns:tns="$types_ns">
 <wsdl:types>
  <xsd:schema targetNamespace="$messages_ns" xmlns="$messages_ns" xmlns:xi1="$types_ns">
   <xsd:import namespace="$types_ns"/>
   <xsd:element name="$query" type="xi1:${object}ERPByElementsQueryMessage_sync"/>
   <xsd:element name="$response" type="xi1:${object}ERPByElementsResponseMessage_sync"/>
   <xsd:element name="StandardMessageFault">
    <xsd:complexType><xsd:sequence><xsd:element name="standard" type="xi1:ExchangeFaultData"/></xsd:sequence></xsd:complexType>
   </xsd:element>
  </xsd:schema>
 </wsdl:types>
 <wsdl:message name="$query"><wsdl:part name="parameters" element="n0:$query"/></wsdl:message>
 <wsdl:message name="$response"><wsdl:part name="parameters" element="n0:$response"/></wsdl:message>
 <wsdl:message name="exception00"><wsdl:part name="exception00" element="n0:StandardMessageFault"/></wsdl:message>
 <wsdl:portType name="$interface">
  <wsdl:operation name="$interface">
   <wsdl:input message="tns:$query"/>
   <wsdl:output message="tns:$response"/>
   <wsdl:fault name="exception00" message="tns:exception00"/>
  </wsdl:operation>
 </wsdl:portType>
 <wsdl:binding name="${binding}" type="tns:$interface">
  <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
  <wsdl:operation name="$interface">
   <soap:operation soapAction="" style="document"/>
   <wsdl:input><soap:body use="literal"/></wsdl:input>
   <wsdl:output><soap:body use="literal"/></wsdl:output>
   <wsdl:fault name="exception00"><soap:fault name="exception00" use="literal"/></wsdl:fault>
  </wsdl:operation>
 </wsdl:binding>
 <wsdl:service name="${binding}Service">
  <wsdl:port name="${binding}" binding="tns:${binding}">
   <soap:address location="$address"/>
  </wsdl:port>
 </wsdl:service>
</wsdl:definitions>
""")


def types_schema(service: EsService, parent: etree._Element) -> etree._Element:
    """Append the http://sap.com/xi/APPL/SE/Global schema of a service (shared GDTs, then its
    message types) to `parent`; the default namespace is declared on the new element so the
    unprefixed type references keep resolving."""
    schema = etree.SubElement(parent, f"{{{XSD_NS}}}schema", nsmap={None: TYPES_NS, "xsd": XSD_NS},
                              targetNamespace=TYPES_NS)
    for source in ("gdt.xsd", service.types_file):
        for child in etree.parse(str(HERE / source)).getroot():
            if isinstance(child.tag, str):
                schema.append(copy.deepcopy(child))
    return schema


def wsdl_text(service: EsService, address: str, binding: str) -> str:
    """The service's WSDL, its binding named `binding` and its port pointing at `address`."""
    skeleton = _SKELETON.substitute(
        types_ns=TYPES_NS, messages_ns=MESSAGES_NS, xsd_ns=XSD_NS, query=service.query_element,
        response=service.response_element, object=service.business_object, interface=service.interface,
        binding=binding, address=_xml_attribute(address))
    root = etree.fromstring(skeleton.encode())
    types_schema(service, root.find("{http://schemas.xmlsoap.org/wsdl/}types"))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True).decode()


def message_schema(service: EsService) -> etree.XMLSchema:
    """An XML Schema validator for the service's messages, built from the same schemas as its WSDL."""
    wsdl = etree.fromstring(wsdl_text(service, "http://localhost/", "binding").encode())
    messages, types = wsdl.iterfind("{http://schemas.xmlsoap.org/wsdl/}types/{%s}schema" % XSD_NS)
    messages.find(f"{{{XSD_NS}}}import").set("schemaLocation", "types.xsd")
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(ImportResolver("types.xsd", etree.tostring(types)))
    return etree.XMLSchema(etree.fromstring(etree.tostring(messages), parser, base_url="messages.xsd"))


def _xml_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
