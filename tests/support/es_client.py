"""A plain SOAP client for the test ES server's own tests: requests and lxml, no zeep, no connector.

`query(...)` writes the request by hand, the way SAP's query messages look on the wire, and
`Answer` reads what came back: the objects, the paging block as texts, the log and any fault.
"""
from dataclasses import dataclass, field
from datetime import datetime

import requests
from lxml import etree

from tests.support.es_render import SOAP_NS, global_date_time
from tests.support.es_wsdl import MESSAGES_NS, SERVICES

Row = tuple[str | None, str | None, datetime | str | None, datetime | str | None]


@dataclass
class Answer:
    status: int
    objects: list[etree._Element] = field(default_factory=list)
    paging: dict[str, str] | None = None
    log: list[dict[str, str]] = field(default_factory=list)
    maximum_severity: str | None = None
    fault: str | None = None
    content: bytes = field(default=b"", repr=False)

    @property
    def ids(self) -> list[str]:
        return [o.findtext("ID") for o in self.objects]

    @property
    def more(self) -> bool:
        return self.paging["MoreHitsAvailableIndicator"] == "true"


def query_body(service: str, rows: list[Row] = (), maximum: int | None = 5, unlimited: str | None = "false",
               after: str | None = None) -> bytes:
    """A query message; None leaves an element out, so a test can send what the schema forbids."""
    described = SERVICES[service]
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "glob": MESSAGES_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    message = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_NS}}}Body"),
                               f"{{{MESSAGES_NS}}}{described.query_element}")
    selection = etree.SubElement(message, described.selection_element)
    for inclusion, code, lower, upper in rows:
        row = etree.SubElement(selection, "SelectionByLastChangeDateTime")
        _leaf(row, "InclusionExclusionCode", inclusion)
        _leaf(row, "IntervalBoundaryTypeCode", code)
        _leaf(row, "LowerBoundaryDateTime", _moment(lower))
        _leaf(row, "UpperBoundaryDateTime", _moment(upper))
    conditions = etree.SubElement(message, "ProcessingConditions")
    _leaf(conditions, "QueryHitsMaximumNumberValue", None if maximum is None else str(maximum))
    _leaf(conditions, "QueryHitsUnlimitedIndicator", unlimited)
    _leaf(conditions, "LastReturnedObjectID", after)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def post(url: str, body: bytes, auth: tuple[str, str] | None, sap_client: str | None = None) -> Answer:
    params = {"sap-client": sap_client} if sap_client else None
    response = requests.post(url, data=body, auth=auth, params=params, timeout=10,
                             headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
    return read_answer(response.status_code, response.content)


def read_answer(status: int, content: bytes) -> Answer:
    answer = Answer(status, content=content)
    if not content:
        return answer
    body = etree.fromstring(content).find(f"{{{SOAP_NS}}}Body")
    fault = body.find(f"{{{SOAP_NS}}}Fault")
    if fault is not None:
        answer.fault = fault.findtext("faultstring")
        return answer
    message = body[0]
    answer.objects = [child for child in message if child.tag not in ("ProcessingConditions", "Log")]
    conditions = message.find("ProcessingConditions")
    if conditions is not None:
        answer.paging = {child.tag: child.text for child in conditions}
    log = message.find("Log")
    if log is not None:
        answer.maximum_severity = log.findtext("MaximumLogItemSeverityCode")
        answer.log = [{child.tag: child.text for child in item} for item in log.iterfind("Item")]
    return answer


def _leaf(parent: etree._Element, name: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, name).text = text


def _moment(value: datetime | str | None) -> str | None:
    return global_date_time(value) if isinstance(value, datetime) else value


def pull_all(url: str, service: str, auth: tuple[str, str], size: int = 5, rows: list[Row] = (),
             page_cap: int = 200) -> list[Answer]:
    """Every page of a stream, following LastReturnedObjectID until the server says no more."""
    answers, after = [], None
    while len(answers) < page_cap:
        answer = post(url, query_body(service, rows, maximum=size, after=after), auth)
        answers.append(answer)
        if answer.status != 200 or not answer.more:
            return answers
        after = answer.paging["LastReturnedObjectID"]
    raise AssertionError(f"still more hits after {page_cap} pages")
