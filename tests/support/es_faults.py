"""The ways a real or broken ES server answers a page, switched on one by one for tests.

`EsFaults` is passed to `EsServer(faults=...)` or assigned to `server.faults` at any time. A page
of a stream is numbered from 1 (a query without `LastReturnedObjectID`) and counts up with each
query that continues it. Page faults apply from page `from_page` on; `services` limits which
services misbehave (default both).

| switch                       | the answer                                                          |
|------------------------------|---------------------------------------------------------------------|
| `omit_paging`                | no `ProcessingConditions` block at all                              |
| `more_hits_indicator="maybe"`| `MoreHitsAvailableIndicator` carries that text instead of true/false|
| `more_without_last_id`       | `MoreHitsAvailableIndicator` true, no `LastReturnedObjectID`        |
| `repeat_last_id`             | more true, `LastReturnedObjectID` = the one the request sent        |
|                              | (the same as the page before; page 1 is answered normally)          |
| `empty_page_with_more`       | zero objects, more true, `LastReturnedObjectID` = the last object   |
|                              | the page would have held (a fresh cursor past unsent objects)       |
| `cycle`                      | whole stream: page 1 ends at A, page 2 at B, the page after B is    |
|                              | page 1 again (A), then B...: more true forever                      |
| `page_by_id`                 | whole stream: hits ordered and keyset-paged by ID, not change time  |
| `soap_fault_on_request=N`    | the Nth authenticated POST to a service gets HTTP 500 + SOAP fault  |
| `error_log`                  | HTTP 200, zero objects, ReturnedQueryHitsNumberValue 0, more false, |
|                              | `Log` with MaximumLogItemSeverityCode 3 and an error item           |

Every normal answer carries a `Log` with one information item (severity 1).
"""
from dataclasses import dataclass
from typing import Sequence

from tests.support.es_query import Page, QueryConditions, Queried, SelectionRow, by_change_time, by_id, select_page
from tests.support.es_render import LogItem, Paging

SERVICES = ("purchase_orders", "goods_movements")


@dataclass
class EsFaults:
    omit_paging: bool = False
    more_hits_indicator: str | None = None
    more_without_last_id: bool = False
    repeat_last_id: bool = False
    empty_page_with_more: bool = False
    cycle: bool = False
    page_by_id: bool = False
    soap_fault_on_request: int | None = None
    error_log: bool = False
    from_page: int = 1
    services: tuple[str, ...] = SERVICES

    def applies_to(self, service: str) -> bool:
        return service in self.services


def answer_page(objects: Sequence[Queried], rows: list[SelectionRow], conditions: QueryConditions, page_number: int,
                size: int | None, faults: EsFaults) -> tuple[list, Paging | None, list[LogItem]]:
    """The objects, paging block and log items a page is answered with."""
    key = by_id if faults.page_by_id else by_change_time
    after = conditions.last_returned_object_id
    page = _cycled(objects, rows, after, size, key) if faults.cycle else select_page(objects, rows, after, size, key)
    hits, more = page.hits, page.more
    last_id = hits[-1].id if hits else None
    if page_number < faults.from_page:
        return hits, _paging(hits, more, last_id), [_info(len(hits))]
    if faults.error_log:
        error = LogItem("017(SE_QUERY)", "PRE", "3", "The query could not be completed: result list not available")
        return [], Paging("0", "false", None), [error]
    if faults.empty_page_with_more:
        hits, more = [], True
    if faults.repeat_last_id and after is not None:
        more, last_id = True, after
    if faults.more_without_last_id:
        more, last_id = True, None
    paging = _paging(hits, more, last_id)
    if faults.more_hits_indicator is not None:
        paging = Paging(paging.returned, faults.more_hits_indicator, paging.last_returned_object_id)
    return hits, None if faults.omit_paging else paging, [_info(len(hits))]


def _cycled(objects, rows, after, size, key) -> Page:
    """Pages 1 and 2 as usual, then page 1 again after page 2's last object; more true throughout."""
    first = select_page(objects, rows, None, size, key)
    second = select_page(objects, rows, first.hits[-1].id, size, key) if first.hits else first
    if second.hits and after == second.hits[-1].id:
        return Page(first.hits, True)
    page = select_page(objects, rows, after, size, key)
    return Page(page.hits, True)


def _paging(hits: list, more: bool, last_id: str | None) -> Paging:
    return Paging(str(len(hits)), "true" if more else "false", last_id)


def _info(count: int) -> LogItem:
    return LogItem("001(SE_QUERY)", "INF", "1", f"{count} hits returned")
