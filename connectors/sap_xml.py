"""Read one SAP answer as a stream: objects one at a time, memory bounded by one object.

Hardened against hostile answers: a document type declaration (XXE, entity expansion) is
refused before anything is read from it, entities are never resolved, nothing is fetched from
the network, libxml2's limits on text size and nesting depth stay on, and an answer that is not
a SOAP 1.1 envelope around the expected response element is refused by name.

Profile-neutral: which elements are objects and which are blocks to keep (paging, log) is the
caller's choice.
"""
import io
from dataclasses import dataclass, field
from typing import Callable, Generic, Iterator, TypeVar

from lxml import etree

from connectors.errors import PayloadError

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
T = TypeVar("T")


@dataclass
class Answer(Generic[T]):
    objects: list[T] = field(default_factory=list)
    blocks: dict[str, list[etree._Element]] = field(default_factory=dict)  # by local name, in document order


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:tag.index("}")] if tag.startswith("{") else ""


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


def _check_envelope(response: etree._Element, expected: str, namespaces: frozenset[str]) -> None:
    body = response.getparent()
    envelope = body.getparent() if body is not None else None
    if envelope is None or envelope.tag != f"{{{SOAP_ENV}}}Envelope" or envelope.getparent() is not None:
        raise PayloadError(f"SAP response is not a SOAP 1.1 envelope around {expected}")
    if body.tag != f"{{{SOAP_ENV}}}Body":
        raise PayloadError(f"SAP response element {response.tag} is not directly in the SOAP 1.1 body")
    if namespace(response.tag) not in namespaces:
        raise PayloadError(f"SAP response element is {response.tag}, expected {expected} "
                           f"in one of {', '.join(sorted(namespaces))}")


def parse_response(content: bytes, response_qname: str, object_element: str | None,
                   extract: Callable[[etree._Element], T],
                   blocks: tuple[str, ...] = (), namespaces: frozenset[str] = frozenset()) -> Answer[T]:
    """Parse `<Envelope><Body><response>…<object_element/>…` calling `extract` once per object.

    `response_qname` is the `{namespace}name` the WSDL gives the operation's output; the answer's
    element may be in that namespace or one of `namespaces`. Direct children of the response named
    in `blocks` are kept whole in `Answer.blocks` (with no `object_element`, the whole answer is blocks).
    """
    answer: Answer[T] = Answer()
    response_element = local(response_qname)
    accepted = namespaces | {namespace(response_qname)}
    response = None
    tags = (response_element, *blocks) + ((object_element,) if object_element else ())
    for event, element in _events(content, tags):
        name = local(element.tag)
        if event == "start":
            if response is None and name == response_element:
                _check_envelope(element, response_qname, accepted)
                response = element
            continue
        if element is response:
            return answer
        if element.getparent() is not response:
            continue
        if name == object_element:
            answer.objects.append(extract(element))
            element.clear()
        else:
            answer.blocks.setdefault(name, []).append(element)
        while element.getprevious() is not None:
            del response[0]
    raise PayloadError(f"SAP response is not a SOAP 1.1 envelope with {response_qname} in its body")
