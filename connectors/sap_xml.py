"""Read one SAP query response as a stream: objects one at a time, memory bounded by one object.

Hardened against hostile answers: a document type declaration (XXE, entity expansion) is
refused before anything is read from it, entities are never resolved, nothing is fetched from
the network, libxml2's limits on text size and nesting depth stay on, and an answer that is not
a SOAP 1.1 envelope around the expected response element is refused by name.
"""
import io
import re
from dataclasses import dataclass, field
from typing import Callable, Generic, Iterator, TypeVar

from lxml import etree

from connectors.errors import PayloadError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
T = TypeVar("T")


@dataclass
class ResponsePage(Generic[T]):
    objects: list[T] = field(default_factory=list)
    more: bool = False
    last_id: str | None = None
    log: list[tuple[int, str]] = field(default_factory=list)  # (severity code, note)


_MORE = re.compile(rb"<(?:[\w.-]+:)?MoreHitsAvailableIndicator>\s*true\s*</")
_LAST_ID = re.compile(rb"<(?:[\w.-]+:)?LastReturnedObjectID>\s*([^<\s]{1,200})\s*</")


def paging_hint(content: bytes) -> str | None:
    """The next page's key as the tail of the answer suggests, to request it early; None when no more.

    Only a hint: the parsed page decides, and a wrong hint merely wastes the early request.
    """
    tail = content[-4096:]
    if not _MORE.search(tail):
        return None
    found = _LAST_ID.findall(tail)
    return found[-1].decode("utf-8", errors="replace") if found else None


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _severity(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _events(content: bytes, tags: tuple[str, ...]) -> Iterator[tuple[str, etree._Element]]:
    """Start and end events of elements with these local names (in any namespace), filtered by libxml2."""
    events = etree.iterparse(io.BytesIO(content), events=("start", "end"), tag=[f"{{*}}{tag}" for tag in tags],
                             resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    checked = False
    try:
        for event, element in events:
            if not checked:
                if element.getroottree().docinfo.doctype:
                    raise PayloadError("SAP response declares a document type (DTD): refused")
                checked = True
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise PayloadError(f"SAP response is not well-formed XML: {exc}") from None


def _check_envelope(response: etree._Element, response_qname: str) -> None:
    body = response.getparent()
    envelope = body.getparent() if body is not None else None
    if envelope is None or envelope.tag != f"{{{SOAP_ENV}}}Envelope" or envelope.getparent() is not None:
        raise PayloadError(f"SAP response is not a SOAP 1.1 envelope around {response_qname}")
    if body.tag != f"{{{SOAP_ENV}}}Body":
        raise PayloadError(f"SAP response element {response.tag} is not directly in the SOAP 1.1 body")
    if response.tag != response_qname:
        raise PayloadError(f"SAP response element is {response.tag}, expected {response_qname}")


def parse_response(content: bytes, response_qname: str, object_element: str,
                   extract: Callable[[etree._Element], T]) -> ResponsePage[T]:
    """Parse `<Envelope><Body><response>…<object_element/>…` calling `extract` once per object.

    `response_qname` is the `{namespace}name` the WSDL gives the operation's output.
    """
    page: ResponsePage[T] = ResponsePage()
    response_element = local(response_qname)
    response = None
    for event, element in _events(content, (response_element, object_element, "ResponseProcessingConditions", "Log")):
        name = local(element.tag)
        if event == "start":
            if response is None and name == response_element:
                _check_envelope(element, response_qname)
                response = element
            continue
        if element is response:
            return page
        if element.getparent() is not response:
            continue
        if name == object_element:
            page.objects.append(extract(element))
        elif name == "ResponseProcessingConditions":
            page.more = (element.findtext("{*}MoreHitsAvailableIndicator") or "").strip() == "true"
            page.last_id = (element.findtext("{*}LastReturnedObjectID") or "").strip() or None
        elif name == "Log":
            page.log = [(_severity(item.findtext("{*}SeverityCode")), item.findtext("{*}Note") or "")
                        for item in element.iterfind("{*}Item")]
        element.clear()
        while element.getprevious() is not None:
            del response[0]
    raise PayloadError(f"SAP response is not a SOAP 1.1 envelope with {response_qname} in its body")
