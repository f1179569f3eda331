"""SAP Enterprise Services query pattern: range-row selections, keyset paging, a log; paging that fails closed.

A request selects `[since, until)` on the last change time with one range row (`I`, interval
boundary type `2`) and asks for at most `page_size` objects after `LastReturnedObjectID`. An
answer is the objects, then `ProcessingConditions` (`ReturnedQueryHitsNumberValue`,
`MoreHitsAvailableIndicator`, `LastReturnedObjectID`), then a `Log`. Every name is a setting
(`config/sap_mapping.py`); message elements may be in either of SAP's global namespaces.

A stream ends only on the server's explicit "no more": a missing or unreadable paging block,
"more" without a last object id or with one already seen in this pull (a cycle, however long),
"more" with no objects, or a hit count that disagrees with the objects stops it with a
`PayloadError` naming what was seen. An error-severity log item is a `RemoteFault`.
"""
import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Generic, Iterator, TypeVar

from lxml import etree

from config.sap_mapping import ServiceMapping
from connectors.errors import PayloadError, RemoteFault
from connectors.sap_transport import SoapService
from connectors.sap_xml import parse_response

log = logging.getLogger("srm_bridge.connectors.sap")

SAP_GLOBAL = "http://sap.com/xi/SAPGlobal20/Global"
APPL_GLOBAL = "http://sap.com/xi/APPL/SE/Global"
WARNING_SEVERITY, ERROR_SEVERITY = 2, 3
T = TypeVar("T")


@dataclass
class QueryPage(Generic[T]):
    objects: list[T]
    more: bool
    last_id: str | None


def global_date_time(value: datetime) -> str:
    """SAP's GLOBAL_DateTime: UTC, written with `Z`."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S" + (".%f" if utc.microsecond else "") + "Z")


def _text(block: etree._Element, name: str) -> str | None:
    """The stripped text of a child element; "" when it is empty, None when it is missing."""
    found = block.find(f"{{*}}{name}")
    return None if found is None else (found.text or "").strip()


class EsQuery:
    """One ES query service, read in pages; built once per connector from its WSDL and mapping."""

    def __init__(self, service: SoapService, mapping: ServiceMapping, page_size: int, setting: str) -> None:
        self.service, self.mapping, self.page_size, self.setting = service, mapping, page_size, setting
        self.operation = mapping.operation
        self.response_qname = service.response_qname(self.operation)
        request = mapping.request
        declared = service.request_elements(self.operation)
        for name, key in ((request.selection, "selection"), (request.paging, "paging")):
            if name not in declared:
                raise RemoteFault(f"the {self.operation} request in the WSDL of SAP {service.name} has no {name} "
                                  f"(check {setting}.request.{key}; it declares {', '.join(sorted(declared))})")
        self.asks_for_order = request.order_indicator is not None and request.order_indicator in declared
        if request.order_indicator is not None and not self.asks_for_order:
            log.info("the SAP service offers no change-time order; the cursor moves when a window is complete",
                     extra={"operation": self.operation, "order_indicator": request.order_indicator})
        names = mapping.response
        tag = rb"<(?:[\w.-]+:)?"
        self._more = re.compile(tag + re.escape(names.more_hits.encode()) + rb">\s*(?:true|1)\s*</")
        self._last = re.compile(tag + re.escape(names.last_returned.encode()) + rb">\s*([^<\s]{1,200})\s*</")

    def request(self, since: datetime, until: datetime, after: str | None) -> bytes:
        names = self.mapping.request
        row = {names.inclusion_element: names.inclusion_code, names.boundary_type_element: names.boundary_type_code,
               names.lower_boundary: global_date_time(since), names.upper_boundary: global_date_time(until)}
        paging: dict[str, Any] = {names.maximum_hits: self.page_size, names.unlimited_hits: False}
        if after is not None:
            paging[names.last_returned] = after
        arguments: dict[str, Any] = {names.selection: {names.change_time_row: [row]}, names.paging: paging}
        if self.asks_for_order:
            arguments[names.order_indicator] = True
        return self.service.call(self.operation, arguments)

    def hint(self, content: bytes) -> str | None:
        """The next page's key as the tail of the answer suggests, to request it early; None when no more.

        Only a hint: the parsed page decides, and a wrong hint merely wastes the early request.
        """
        tail = content[-4096:]
        if not self._more.search(tail):
            return None
        found = self._last.findall(tail)
        return found[-1].decode("utf-8", errors="replace") if found else None

    def read(self, content: bytes, extract: Callable[[etree._Element], T]) -> QueryPage[T]:
        names = self.mapping.response
        answer = parse_response(content, self.response_qname, self.mapping.object, extract,
                                blocks=(names.paging, names.log), namespaces=frozenset({SAP_GLOBAL, APPL_GLOBAL}))
        for block in answer.blocks.get(names.log, []):
            self._check_log(block)
        found = answer.blocks.get(names.paging, [])
        if len(found) != 1:
            raise PayloadError(f"SAP {self.operation} answered {'without a' if not found else 'with several'} "
                               f"{names.paging} block: cannot tell whether more objects are available")
        block = found[0]
        more = _text(block, names.more_hits)
        if more not in ("true", "false", "1", "0"):
            raise PayloadError(f"SAP {self.operation} answered {names.more_hits}={more!r}, not true or false")
        returned = _text(block, names.returned_hits)
        if returned is not None and (not returned.isascii() or not returned.isdigit()
                                     or int(returned) != len(answer.objects)):
            raise PayloadError(f"SAP {self.operation} answered {names.returned_hits}={returned!r} "
                               f"with {len(answer.objects)} objects")
        return QueryPage(answer.objects, more in ("true", "1"), _text(block, names.last_returned) or None)

    def _check_log(self, block: etree._Element) -> None:
        names = self.mapping.response
        notes = []
        for item in block.iterfind(f"{{*}}{names.log_item}"):
            severity, note = _severity(_text(item, names.log_severity)), _text(item, names.log_note) or ""
            if severity == WARNING_SEVERITY:
                log.warning("SAP warning", extra={"operation": self.operation, "note": note})
            elif severity >= ERROR_SEVERITY:
                notes.append(note)
        if notes or _severity(_text(block, names.log_maximum_severity)) >= ERROR_SEVERITY:
            raise RemoteFault(f"SAP {self.operation} reported errors: " + ("; ".join(notes) or "(no note)"))

    def pages(self, since: datetime, until: datetime, extract: Callable[[etree._Element], T]) -> Iterator[QueryPage[T]]:
        """Pages in order; the next page is requested while this one is parsed (keyset from a byte-level hint,
        checked against the parsed page: a wrong hint costs one request, never a wrong page)."""
        seen: set[str] = set()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sap-prefetch") as prefetch:
            after: str | None = None
            upcoming: tuple[str, Future] | None = None
            content = self.request(since, until, None)
            while True:
                hint = self.hint(content)
                if hint is not None and hint not in seen and hint != after:
                    upcoming = (hint, prefetch.submit(self.request, since, until, hint))
                page = self.read(content, extract)
                if page.more:
                    self._check_advance(page, after, seen)
                yield page
                if not page.more:
                    return
                after = page.last_id
                seen.add(after)
                content = upcoming[1].result() if upcoming is not None and upcoming[0] == after \
                    else self.request(since, until, after)
                upcoming = None

    def _check_advance(self, page: QueryPage, after: str | None, seen: set[str]) -> None:
        more = f"{self.mapping.response.more_hits}=true"
        if not page.objects:
            raise PayloadError(f"SAP {self.operation} answered {more} with no objects after {after!r}")
        if page.last_id is None:
            raise PayloadError(f"SAP {self.operation} answered {more} without "
                               f"{self.mapping.response.last_returned} after {after!r}")
        if page.last_id in seen:
            raise PayloadError(f"SAP {self.operation} paging cycles: {self.mapping.response.last_returned} "
                               f"{page.last_id!r} was returned before in this pull")


def _severity(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0
