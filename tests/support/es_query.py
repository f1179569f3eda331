"""How the test ES server reads a query and picks a page: SAP's range-table and paging rules.

A request has already passed XML Schema validation against the service's WSDL when it gets
here, so every `SelectionByLastChangeDateTime` row carries an `InclusionExclusionCode` and an
`IntervalBoundaryTypeCode`, and `ProcessingConditions/QueryHitsUnlimitedIndicator` is present.
What the schema cannot say is checked here and refused with a `QueryFault`:
- `InclusionExclusionCode` is `I` (include) or `E` (exclude);
- `IntervalBoundaryTypeCode` follows SAP's code list (GDT IntervalBoundaryTypeCode):
  1 `= X`, 2 `[X, Y)`, 3 `[X, Y]`, 4 `(X, Y)`, 5 `(X, Y]`, 6 `< X`, 7 `<= X`, 8 `> X`, 9 `>= X`;
  X is `LowerBoundaryDateTime`, Y `UpperBoundaryDateTime`; a code that needs a boundary the row
  lacks is refused, an upper boundary sent with a one-boundary code is ignored;
- `QueryHitsMaximumNumberValue` must not be filled when `QueryHitsUnlimitedIndicator` is true
  (SAP's query processing conditions rule);
- `LastReturnedObjectID` must name an object the server knows.

An object is selected when it matches at least one `I` row (or there is none) and no `E` row.
Hits are ordered by last change time, then ID (keyset paging): a page holds the hits after the
object named by `LastReturnedObjectID`, at most the page size.
"""
import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, Sequence

from lxml import etree


class QueryFault(Exception):
    """A request SAP would refuse: answered with a SOAP fault naming the reason."""


class Queried(Protocol):
    id: str
    last_change_date_time: datetime


_ONE_BOUNDARY = {"1": operator.eq, "6": operator.lt, "7": operator.le, "8": operator.gt, "9": operator.ge}
_TWO_BOUNDARIES = {"2": (operator.le, operator.lt), "3": (operator.le, operator.le),
                   "4": (operator.lt, operator.lt), "5": (operator.lt, operator.le)}


@dataclass(frozen=True)
class SelectionRow:
    inclusion_exclusion_code: str
    interval_boundary_type_code: str
    lower_boundary: datetime | None
    upper_boundary: datetime | None

    def matches(self, value: datetime) -> bool:
        code = self.interval_boundary_type_code
        if code in _ONE_BOUNDARY:
            return _ONE_BOUNDARY[code](value, self.lower_boundary)
        above, below = _TWO_BOUNDARIES[code]
        return above(self.lower_boundary, value) and below(value, self.upper_boundary)


@dataclass(frozen=True)
class QueryConditions:
    maximum_number: int | None
    unlimited: bool
    last_returned_object_id: str | None


@dataclass(frozen=True)
class Page:
    hits: list
    more: bool


def read_query(message: etree._Element, selection_element: str) -> tuple[list[SelectionRow], QueryConditions]:
    """The selection rows and processing conditions of a schema-valid query message."""
    rows = [_row(row) for row in message.iterfind(f"{selection_element}/SelectionByLastChangeDateTime")]
    conditions = message.find("ProcessingConditions")
    maximum = _text(conditions, "QueryHitsMaximumNumberValue")
    unlimited = _text(conditions, "QueryHitsUnlimitedIndicator") == "true"
    if unlimited and maximum is not None:
        raise QueryFault("QueryHitsMaximumNumberValue must not be filled when QueryHitsUnlimitedIndicator is true")
    return rows, QueryConditions(int(maximum) if maximum is not None else None, unlimited,
                                 _text(conditions, "LastReturnedObjectID"))


def select_page(objects: Sequence[Queried], rows: list[SelectionRow], after: str | None, size: int | None,
                key: Callable[[Queried], tuple]) -> Page:
    """The hits after the object `after` (keyset by `key`), at most `size` of them (None: all)."""
    included = [row for row in rows if row.inclusion_exclusion_code == "I"]
    excluded = [row for row in rows if row.inclusion_exclusion_code == "E"]
    hits = sorted((o for o in objects if (not included or any(r.matches(o.last_change_date_time) for r in included))
                   and not any(r.matches(o.last_change_date_time) for r in excluded)), key=key)
    if after is not None:
        cursor = next((key(o) for o in objects if o.id == after), None)
        if cursor is None:
            raise QueryFault(f"LastReturnedObjectID {after!r} names no object")
        hits = [o for o in hits if key(o) > cursor]
    if size is None:
        return Page(hits, False)
    return Page(hits[:size], len(hits) > size)


def by_change_time(o: Queried) -> tuple:
    return (o.last_change_date_time, o.id)


def by_id(o: Queried) -> tuple:
    return (o.id,)


def _row(row: etree._Element) -> SelectionRow:
    inclusion = _text(row, "InclusionExclusionCode")
    code = _text(row, "IntervalBoundaryTypeCode")
    if inclusion not in ("I", "E"):
        raise QueryFault(f"InclusionExclusionCode {inclusion!r} is neither I nor E")
    if code not in _ONE_BOUNDARY and code not in _TWO_BOUNDARIES:
        raise QueryFault(f"IntervalBoundaryTypeCode {code!r} is not in SAP's code list 1-9")
    lower, upper = _moment(row, "LowerBoundaryDateTime"), _moment(row, "UpperBoundaryDateTime")
    if lower is None:
        raise QueryFault(f"IntervalBoundaryTypeCode {code} needs LowerBoundaryDateTime")
    if code in _TWO_BOUNDARIES and upper is None:
        raise QueryFault(f"IntervalBoundaryTypeCode {code} needs UpperBoundaryDateTime")
    return SelectionRow(inclusion, code, lower, upper if code in _TWO_BOUNDARIES else None)


def _moment(row: etree._Element, name: str) -> datetime | None:
    text = _text(row, name)
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _text(parent: etree._Element, name: str) -> str | None:
    child = parent.find(name)
    return child.text.strip() if child is not None and child.text and child.text.strip() else None
