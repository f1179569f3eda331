"""A plain SOAP client for the test BAPI server's own tests: requests and lxml, no zeep, no connector.

`request_body` writes a call the way it looks on the wire in either naming style, from SAP names:
imports `{"PURCHASEORDER": "4500000001"}`, tables `{"PSTNG_DATE_RA": [{"SIGN": "I", ...}],
"RETURN": []}` (a table given as [] is sent as an empty element). Components a row leaves out
are sent with their initial text unless `complete=False`, so a test can send what the schema
refuses. `Answer` reads the reply back into SAP names: exports and tables as texts.
"""
from dataclasses import dataclass, field

import requests
from lxml import etree

from tests.support.bapi_catalog import FUNCTIONS, STYLES, Structure, Style
from tests.support.bapi_soap import SOAP_NS
from tests.support.bapi_values import to_text


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    exports: dict[str, dict[str, str]] = field(default_factory=dict)
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    fault_code: str | None = None
    fault: str | None = None
    content: bytes = field(default=b"", repr=False)

    @property
    def returns(self) -> list[dict[str, str]]:
        return self.tables.get("RETURN", [])


def request_body(function: str, style: str, imports: dict | None = None, tables: dict | None = None,
                 complete: bool = True) -> bytes:
    described, named = FUNCTIONS[function], STYLES[style]
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "urn": named.namespace})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    message = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_NS}}}Body"),
                               f"{{{named.namespace}}}{named.request_element(described)}")
    values = {**(imports or {}), **(tables or {})}
    for parameter in named.ordered(described.request_parameters):
        if parameter.name not in values:
            continue
        element = etree.SubElement(message, named.name(parameter.name))
        value = values[parameter.name]
        if parameter.is_table:
            for row in value:
                _row(etree.SubElement(element, "item"), parameter.type, named, row, complete)
        elif isinstance(parameter.type, Structure):
            _row(element, parameter.type, named, value, complete)
        else:
            element.text = value
    for extra in set(values) - {p.name for p in described.request_parameters}:
        etree.SubElement(message, extra).text = str(values[extra])     # an element the schema does not know
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _row(parent: etree._Element, structure: Structure, style: Style, row: dict, complete: bool) -> None:
    for component in structure.fields:
        if component.name in row:
            etree.SubElement(parent, style.name(component.name)).text = row[component.name] or None
        elif complete:
            etree.SubElement(parent, style.name(component.name)).text = to_text(component, None) or None


def post(server, function: str, body: bytes, auth: tuple[str, str] | None = None, sap_client: str | None = None,
         content_type: str = "text/xml; charset=utf-8") -> Answer:
    params = {"sap-client": sap_client} if sap_client else None
    reply = requests.post(server.url(function), data=body, auth=auth or (server.user, server.password), params=params,
                          headers={"Content-Type": content_type, "SOAPAction": server.soap_action(function)},
                          timeout=30)
    answer = Answer(reply.status_code, dict(reply.headers), content=reply.content)
    if not reply.content.startswith(b"<?xml"):
        return answer
    body_element = etree.fromstring(reply.content).find(f"{{{SOAP_NS}}}Body")
    fault = body_element.find(f"{{{SOAP_NS}}}Fault")
    if fault is not None:
        answer.fault_code, answer.fault = fault.findtext("faultcode"), fault.findtext("faultstring")
        return answer
    _read(answer, body_element[0], function, server.style)
    return answer


def call(server, function: str, imports: dict | None = None, tables: dict | None = None, **options) -> Answer:
    return post(server, function, request_body(function, server.style.key, imports, tables), **options)


def _read(answer: Answer, message: etree._Element, function: str, style: Style) -> None:
    parameters = {style.name(p.name): p for p in FUNCTIONS[function].response_parameters}
    for element in message:
        parameter = parameters[element.tag]
        if parameter.is_table:
            answer.tables[parameter.name] = [_texts(row, parameter.type, style) for row in element]
        else:
            answer.exports[parameter.name] = _texts(element, parameter.type, style)


def _texts(element: etree._Element, structure: Structure, style: Style) -> dict[str, str]:
    names = {style.name(f.name): f.name for f in structure.fields}
    return {names[child.tag]: child.text or "" for child in element}
