"""The WSDL SOAMANAGER generates for a function-module service, in RFC or mc-style naming.

Layout (as SOAMANAGER writes it for a web service created from a function module, e.g. the
published ZWS_BAPI_SALESORDER_CREATE WSDL): `wsdl:definitions` in the style's namespace; the
schema(s) with `attributeFormDefault="qualified"` and no `elementFormDefault`, so every element
below the message element is unqualified; SOAMANAGER's elementary types (`char10`, `numeric5`,
`date10`, `quantum13.3`, ...; see bapi_values) in urn:sap-com:document:sap:rfc:functions, which
in mc-style is a schema of its own imported by the mc-style one; one complex type per structure
(its components in dictionary order, every component required) and one `TABLE_OF_`/`TableOf`
type per table (`item` rows, 0..unbounded); the request element named after the function and the
response element `<function>Response`, each a sequence of the function's parameters sorted by
name: imports and tables in the request, exports and tables in the response; an optional
parameter (and an optional table, both ways) has `minOccurs="0"`. Messages `<request>` (part
`parameters`) and `<response>` (part `parameter`), a portType named after the service
definition, one SOAP 1.1 document/literal binding with soapAction
`<namespace>:<service>:<request>Request`, and a service whose port points at the endpoint.
(SOAMANAGER also adds WS-Policy blocks and a SOAP 1.2 binding; this server speaks SOAP 1.1 only
and leaves both out.)
"""
from functools import lru_cache
from pathlib import Path
from string import Template

from lxml import etree

from tests.support.bapi_catalog import DDIC, FUNCTIONS, RFC_NS, Field, Function, Parameter, Structure, STYLES, Style
from tests.support.bapi_values import schema_type, simple_type_facets
from tests.support.soap_http import ImportResolver

XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD = f"{{{XSD_NS}}}"


def soap_action(function: Function, style: Style, service: str) -> str:
    return f"{style.namespace}:{service}:{style.request_element(function)}Request"


def wsdl_text(function: Function, style: Style, service: str, binding: str, address: str) -> str:
    """The WSDL of `function` published as service definition `service`, port `binding` at `address`."""
    skeleton = Template((DDIC / "definitions.wsdl").read_text(encoding="utf-8")).substitute(
        namespace=style.namespace, request=style.request_element(function), response=style.response_element(function),
        service=service, binding=binding, soap_action=soap_action(function, style, service),
        address=_xml_attribute(address))
    root = etree.fromstring(skeleton.encode())
    types = root.find(f"{{{WSDL_NS}}}types")
    for schema in _schemas(function, style):
        types.append(schema)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True).decode()


def request_schema(function: Function, style: Style) -> etree.XMLSchema:
    """A validator for the function's messages, built from the same schemas as its WSDL."""
    return _validator(function.name, style.key)


@lru_cache(maxsize=None)
def _validator(function_name: str, style_key: str) -> etree.XMLSchema:
    schemas = _schemas(FUNCTIONS[function_name], STYLES[style_key])
    main = schemas[-1]
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    if len(schemas) == 2:
        main.find(f"{XSD}import").set("schemaLocation", "rfc.xsd")
        parser.resolvers.add(ImportResolver("rfc.xsd", etree.tostring(schemas[0])))
    return etree.XMLSchema(etree.fromstring(etree.tostring(main), parser, base_url="main.xsd"))


def _schemas(function: Function, style: Style) -> list[etree._Element]:
    structures = _structures(function)
    fields = [f for s in structures for f in s.fields] + [p.type for p in function.parameters if isinstance(p.type, Field)]
    simple = _schema(RFC_NS, {"tns": RFC_NS})
    for name, field in sorted({schema_type(f)[0]: f for f in fields if not schema_type(f)[1]}.items()):
        _simple_type(simple, name, field)
    if style.namespace == RFC_NS:
        main, prefix = simple, "tns"
    else:
        main, prefix = _schema(style.namespace, {"tns": style.namespace, "n0": RFC_NS}), "n0"
        etree.SubElement(main, f"{XSD}import", namespace=RFC_NS)
    for structure in structures:
        _structure_type(main, style, structure, prefix)
    for structure in {p.type.name: p.type for p in function.parameters if p.is_table}.values():
        table = etree.SubElement(etree.SubElement(main, f"{XSD}complexType", name=style.table_type(structure)),
                                 f"{XSD}sequence")
        etree.SubElement(table, f"{XSD}element", name="item", type=f"tns:{style.structure_type(structure)}",
                         minOccurs="0", maxOccurs="unbounded")
    _message(main, style.request_element(function), style, style.ordered(function.request_parameters), prefix)
    _message(main, style.response_element(function), style, style.ordered(function.response_parameters), prefix)
    return [simple] if main is simple else [simple, main]


def _schema(namespace: str, prefixes: dict[str, str]) -> etree._Element:
    return etree.Element(f"{XSD}schema", nsmap={"xsd": XSD_NS, **prefixes}, attributeFormDefault="qualified",
                         targetNamespace=namespace)


def _structures(function: Function) -> list[Structure]:
    return list({p.type.name: p.type for p in function.parameters if isinstance(p.type, Structure)}.values())


def _simple_type(schema: etree._Element, name: str, field: Field) -> None:
    base, facets = simple_type_facets(field)
    restriction = etree.SubElement(etree.SubElement(schema, f"{XSD}simpleType", name=name), f"{XSD}restriction",
                                   base=f"xsd:{base}")
    for facet, value in facets:
        etree.SubElement(restriction, f"{XSD}{facet}", value=value)


def _field_type(field: Field, prefix: str) -> str:
    name, built_in = schema_type(field)
    return f"xsd:{name}" if built_in else f"{prefix}:{name}"


def _structure_type(schema: etree._Element, style: Style, structure: Structure, prefix: str) -> None:
    sequence = etree.SubElement(etree.SubElement(schema, f"{XSD}complexType", name=style.structure_type(structure)),
                                f"{XSD}sequence")
    for field in structure.fields:
        etree.SubElement(sequence, f"{XSD}element", name=style.name(field.name), type=_field_type(field, prefix))


def _message(schema: etree._Element, name: str, style: Style, parameters: list[Parameter], prefix: str) -> None:
    sequence = etree.SubElement(etree.SubElement(etree.SubElement(schema, f"{XSD}element", name=name),
                                                 f"{XSD}complexType"), f"{XSD}sequence")
    for parameter in parameters:
        if parameter.is_table:
            typed = f"tns:{style.table_type(parameter.type)}"
        elif isinstance(parameter.type, Structure):
            typed = f"tns:{style.structure_type(parameter.type)}"
        else:
            typed = _field_type(parameter.type, prefix)
        element = etree.SubElement(sequence, f"{XSD}element", name=style.name(parameter.name), type=typed)
        if parameter.optional:
            element.set("minOccurs", "0")


def write_wsdl(text: str, directory: Path, service: str) -> Path:
    target = Path(directory) / f"{service.lower()}.wsdl"
    target.write_text(text, encoding="utf-8")
    return target


def _xml_attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
