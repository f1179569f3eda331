"""The ES query pattern as the SAP stand-in serves it: range-row selections and keyset paging.

A selection field is a list of range rows. Each row has an `InclusionExclusionCode` (`I`
include, `E` exclude) and an `IntervalBoundaryTypeCode` from SAP's code list: 1 `= X`,
2 `[X, Y)`, 3 `[X, Y]`, 4 `(X, Y)`, 5 `(X, Y]`, 6 `< X`, 7 `<= X`, 8 `> X`, 9 `>= X` (X the lower
boundary, Y the upper). An object is selected when it matches some `I` row (or there is none)
and no `E` row, in every field. Paging is by object id, as `LastReturnedObjectID` implies.
"""
import bisect
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from lxml import etree

SINGLE = {"1": lambda v, x: v == x, "6": lambda v, x: v < x, "7": lambda v, x: v <= x,
          "8": lambda v, x: v > x, "9": lambda v, x: v >= x}
INTERVAL = {"2": lambda v, x, y: x <= v < y, "3": lambda v, x, y: x <= v <= y,
            "4": lambda v, x, y: x < v < y, "5": lambda v, x, y: x < v <= y}


class SoapFault(Exception):
    def __init__(self, code: str, text: str, status: int = 500) -> None:
        super().__init__(text)
        self.code, self.text, self.status = code, text, status


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Field:
    """One `SelectionBy…` element: its boundary elements and the object values it tests."""

    row: str
    lower: str
    upper: str
    values: Callable[[Any], Iterable[Any]]  # an object matches when one of its values does
    parse: Callable[[str], Any] = str


def _bound(row: etree._Element, name: str, parse: Callable[[str], Any]) -> Any:
    text = row.findtext(name)
    if text is None or not text.strip():
        return None
    try:
        return parse(text.strip())
    except ValueError:
        raise SoapFault("SelectionError", f"{name} {text!r} is not valid") from None


def _row_test(row: etree._Element, field: Field) -> tuple[bool, Callable[[Any], bool]]:
    sign, option = row.findtext("InclusionExclusionCode"), row.findtext("IntervalBoundaryTypeCode")
    if sign not in ("I", "E"):
        raise SoapFault("SelectionError", f"{field.row}: InclusionExclusionCode {sign!r} is not I or E")
    lower, upper = _bound(row, field.lower, field.parse), _bound(row, field.upper, field.parse)
    if option in SINGLE and lower is not None:
        test = SINGLE[option]
        return sign == "I", lambda value: test(value, lower)
    if option in INTERVAL and lower is not None and upper is not None:
        test = INTERVAL[option]
        return sign == "I", lambda value: test(value, lower, upper)
    raise SoapFault("SelectionError", f"{field.row}: IntervalBoundaryTypeCode {option!r} with these boundaries "
                                      "is not a valid range")


def selection(element: etree._Element | None, fields: list[Field]) -> Callable[[Any], bool]:
    """The predicate the selection element's range rows describe."""
    checks = []
    for field in fields:
        rows = [] if element is None else element.findall(field.row)
        if not rows:
            continue
        tests = [_row_test(row, field) for row in rows]
        included = [test for include, test in tests if include]
        excluded = [test for include, test in tests if not include]
        checks.append((field.values, included, excluded))

    def keep(obj: Any) -> bool:
        for values, included, excluded in checks:
            found = list(values(obj))
            if included and not any(test(v) for v in found for test in included):
                return False
            if any(test(v) for v in found for test in excluded):
                return False
        return True

    return keep


class Index:
    """Objects by id, and by (change time, id) for a service that answers in change-time order."""

    def __init__(self, rows: Iterable[tuple[str, datetime, Any]]) -> None:
        self.by_id = sorted(rows, key=lambda row: row[0])
        self.by_time = sorted(self.by_id, key=lambda row: (row[1], row[0]))
        self.id_keys = [row[0] for row in self.by_id]
        self.time_position = {row[0]: n for n, row in enumerate(self.by_time)}

    def page(self, keep: Callable[[Any], bool], after: str | None, limit: int | None,
             by_time: bool = False) -> tuple[list[tuple[str, Any]], bool]:
        """Up to `limit` selected objects after the object `after`; and whether more are selected."""
        rows = self.by_time if by_time else self.by_id
        start = 0
        if after is not None:
            if by_time:
                if after not in self.time_position:
                    raise SoapFault("SelectionError", f"LastReturnedObjectID {after} is unknown")
                start = self.time_position[after] + 1
            else:
                start = bisect.bisect_right(self.id_keys, after)
        hits = []
        for position in range(start, len(rows)):  # not a slice: that would copy the rest of the index per page
            key, _, obj = rows[position]
            if keep(obj):
                if limit is not None and len(hits) == limit:
                    return hits, True
                hits.append((key, obj))
        return hits, False
