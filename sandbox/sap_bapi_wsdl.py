"""The WSDL SOAMANAGER generates for a web service created from a function module.

Shape: `wsdl:definitions` in the style's namespace, `wsdl:types` with a schema whose
`attributeFormDefault` is qualified and `elementFormDefault` unset (children unqualified);
SOAMANAGER's elementary simple types (`char10`, `numeric5`, `date10`, `time`, `quantum13.3`,
`decimal23.4`, `cuky5`, `unit3`, `lang`) in urn:sap-com:document:sap:rfc:functions, which in
mc-style is a schema of its own that the mc-style schema imports; one complex type per structure
(every component, in dictionary order) and one table type per table parameter (`item` rows,
0..unbounded); the request element named after the function and the response element
`<function>Response`, each a sequence of its parameters sorted by name, optional ones with
`minOccurs="0"`. Messages `<function>` (part `parameters`) and `<function>Response` (part
`parameter`), a portType named after the service definition, one SOAP 1.1 document/literal
binding with soapAction `<namespace>:<service>:<function>Request`, and the service's port.
(SOAMANAGER adds WS-Policy blocks and a SOAP 1.2 binding; the stand-in speaks SOAP 1.1 only.)
"""
from functools import lru_cache

from lxml import etree

from sandbox.sap_bapi_ddic import NUMBERS, RFC_NS, Component, Function, Parameter, Structure, Style

XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD, WSDL, SOAP = f"{{{XSD_NS}}}", f"{{{WSDL_NS}}}", f"{{{SOAP_BINDING_NS}}}"
_BUILT_IN = {"B": "unsignedByte", "I": "int", "F": "double"}


def soap_action(function: Function, style: Style, service: str) -> str:
    return f"{style.namespace}:{service}:{style.name(function.name)}Request"


def simple_type(component: Component) -> tuple[str, bool]:
    """The type's name and whether it is XML Schema's own (else SOAMANAGER's, in the RFC namespace)."""
    kind = component.kind
    if kind in _BUILT_IN:
        return _BUILT_IN[kind], True
    if kind in NUMBERS:
        return f"{NUMBERS[kind]}{component.length}.{component.decimals}", False
    return {"C": f"char{component.length}", "N": f"numeric{component.length}", "D": "date10", "T": "time",
            "K": f"cuky{component.length}", "U": f"unit{component.length}", "L": "lang"}[kind], False


def _declare(schema: etree._Element, name: str, component: Component) -> None:
    restriction = etree.SubElement(etree.SubElement(schema, f"{XSD}simpleType", name=name), f"{XSD}restriction")
    kind = component.kind
    facets: list[tuple[str, str]]
    if kind in NUMBERS:
        restriction.set("base", "xsd:decimal")
        facets = [("totalDigits", str(component.length)), ("fractionDigits", str(component.decimals))]
    elif kind == "T":
        restriction.set("base", "xsd:time")
        facets = [("pattern", r"\d\d:\d\d:\d\d")]
    else:
        restriction.set("base", "xsd:string")
        facets = {"N": [("maxLength", str(component.length)), ("pattern", r"\d*")],
                  "D": [("maxLength", "10"), ("pattern", r"\d\d\d\d-\d\d-\d\d")],
                  "L": [("maxLength", "2")]}.get(kind, [("maxLength", str(component.length))])
    for facet, value in facets:
        etree.SubElement(restriction, f"{XSD}{facet}", value=value)


def _schema(namespace: str, prefixes: dict[str, str]) -> etree._Element:
    return etree.Element(f"{XSD}schema", nsmap={"xsd": XSD_NS, **prefixes}, attributeFormDefault="qualified",
                         targetNamespace=namespace)


def _typed(component: Component, simple_prefix: str) -> str:
    name, built_in = simple_type(component)
    return f"xsd:{name}" if built_in else f"{simple_prefix}:{name}"


def _sequence(parent: etree._Element, tag: str, name: str) -> etree._Element:
    return etree.SubElement(etree.SubElement(parent, f"{XSD}{tag}", name=name), f"{XSD}sequence")


def _message(schema: etree._Element, name: str, parameters: list[Parameter], style: Style, simple: str) -> None:
    sequence = etree.SubElement(etree.SubElement(etree.SubElement(schema, f"{XSD}element", name=name),
                                                 f"{XSD}complexType"), f"{XSD}sequence")
    for parameter in parameters:
        if parameter.kind == "table":
            typed = f"tns:{style.table_type(parameter.type)}"
        elif isinstance(parameter.type, Structure):
            typed = f"tns:{style.name(parameter.type.name)}"
        else:
            typed = _typed(parameter.type, simple)
        element = etree.SubElement(sequence, f"{XSD}element", name=style.name(parameter.name), type=typed)
        if parameter.optional:
            element.set("minOccurs", "0")


def schemas(function: Function, style: Style) -> list[etree._Element]:
    """The WSDL's schemas: the RFC-namespace one first; in mc-style a second one that imports it."""
    structures = list({p.type.name: p.type for p in function.parameters if isinstance(p.type, Structure)}.values())
    components = [c for s in structures for c in s.components] + \
        [p.type for p in function.parameters if isinstance(p.type, Component)]
    rfc = _schema(RFC_NS, {"tns": RFC_NS})
    for name, component in sorted({simple_type(c)[0]: c for c in components if not simple_type(c)[1]}.items()):
        _declare(rfc, name, component)
    if style.namespace == RFC_NS:
        main, simple = rfc, "tns"
    else:
        main, simple = _schema(style.namespace, {"tns": style.namespace, "n0": RFC_NS}), "n0"
        etree.SubElement(main, f"{XSD}import", namespace=RFC_NS)
    for structure in structures:
        sequence = _sequence(main, "complexType", style.name(structure.name))
        for component in structure.components:
            etree.SubElement(sequence, f"{XSD}element", name=style.name(component.name),
                             type=_typed(component, simple))
    for structure in {p.type.name: p.type for p in function.parameters if p.kind == "table"}.values():
        etree.SubElement(_sequence(main, "complexType", style.table_type(structure)), f"{XSD}element", name="item",
                         type=f"tns:{style.name(structure.name)}", minOccurs="0", maxOccurs="unbounded")
    _message(main, style.name(function.name), style.ordered(function.inbound), style, simple)
    _message(main, style.response(function), style.ordered(function.outbound), style, simple)
    return [rfc] if main is rfc else [rfc, main]


@lru_cache(maxsize=32)
def _skeleton(function: Function, style: Style, service: str, binding: str) -> bytes:
    request, response = style.name(function.name), style.response(function)
    root = etree.Element(f"{WSDL}definitions", nsmap={"wsdl": WSDL_NS, "soap": SOAP_BINDING_NS, "xsd": XSD_NS,
                                                      "tns": style.namespace},
                         targetNamespace=style.namespace)
    etree.SubElement(etree.SubElement(root, f"{WSDL}documentation"), "{http://www.sap.com/2007/03/sidl}sidl",
                     nsmap={"sidl": "http://www.sap.com/2007/03/sidl"})
    types = etree.SubElement(root, f"{WSDL}types")
    for schema in schemas(function, style):
        types.append(schema)
    for name, part in ((request, "parameters"), (response, "parameter")):
        etree.SubElement(etree.SubElement(root, f"{WSDL}message", name=name), f"{WSDL}part", name=part,
                         element=f"tns:{name}")
    operation = etree.SubElement(etree.SubElement(root, f"{WSDL}portType", name=service), f"{WSDL}operation",
                                 name=request)
    etree.SubElement(operation, f"{WSDL}input", message=f"tns:{request}")
    etree.SubElement(operation, f"{WSDL}output", message=f"tns:{response}")
    bound = etree.SubElement(root, f"{WSDL}binding", name=binding, type=f"tns:{service}")
    etree.SubElement(bound, f"{SOAP}binding", transport="http://schemas.xmlsoap.org/soap/http", style="document")
    operation = etree.SubElement(bound, f"{WSDL}operation", name=request)
    etree.SubElement(operation, f"{SOAP}operation", soapAction=soap_action(function, style, service), style="document")
    for direction in ("input", "output"):
        etree.SubElement(etree.SubElement(operation, f"{WSDL}{direction}"), f"{SOAP}body", use="literal")
    port = etree.SubElement(etree.SubElement(root, f"{WSDL}service", name=service), f"{WSDL}port", name=binding,
                            binding=f"tns:{binding}")
    etree.SubElement(port, f"{SOAP}address", location="{address}")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def wsdl(function: Function, style: Style, service: str, binding: str, address: str) -> bytes:
    """The WSDL of `function` published as service definition `service`, port `binding`, at `address`."""
    escaped = address.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return _skeleton(function, style, service, binding).replace(b"{address}", escaped.encode())
