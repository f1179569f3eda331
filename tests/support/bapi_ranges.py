"""Range tables as ABAP reads them (`value IN range`), for the test BAPI server.

A row is SIGN (I include, E exclude), OPTION, LOW, HIGH. A value is in a range when the range is
empty, or when it matches at least one I row (or there is none) and no E row. Options: EQ, NE,
GT, GE, LT, LE against LOW; BT (LOW <= value <= HIGH) and NB (not between); CP and NP, LOW a
pattern where `*` stands for any string, `+` for one character and `#` escapes the next
character. Values compare as ABAP compares them: dates as YYYYMMDD (an initial date is
"00000000", so BT with an initial HIGH selects nothing), NUMC zero-padded, character fields as
they are (no conversion exit: a vendor is "0000100001", not "100001").

A SIGN or OPTION outside these lists makes the database selection fail (the BAPI dumps, and the
SOAP runtime answers with a fault): `RangeError`.
"""
import re
from dataclasses import dataclass
from typing import Sequence

from tests.support.bapi_catalog import Field
from tests.support.bapi_values import comparable

OPTIONS = ("EQ", "NE", "GT", "GE", "LT", "LE", "BT", "NB", "CP", "NP")


class RangeError(ValueError):
    """A range row the database interface refuses."""


@dataclass(frozen=True)
class RangeRow:
    sign: str
    option: str
    low: object
    high: object


def range_rows(name: str, rows: Sequence[dict], field: Field) -> tuple[RangeRow, ...]:
    """The rows of range table `name` (parsed item dicts), checked."""
    parsed = tuple(RangeRow(row["SIGN"], row["OPTION"], row["LOW"], row["HIGH"]) for row in rows)
    for number, row in enumerate(parsed, 1):
        if row.sign not in ("I", "E"):
            raise RangeError(f"{name} row {number}: SIGN {row.sign!r} is neither I nor E")
        if row.option not in OPTIONS:
            raise RangeError(f"{name} row {number}: OPTION {row.option!r} is not one of {', '.join(OPTIONS)}")
    return parsed


def selects(rows: Sequence[RangeRow], field: Field, value: object) -> bool:
    if not rows:
        return True
    text = comparable(field, value)
    included = [row for row in rows if row.sign == "I"]
    return ((not included or any(_matches(row, field, text) for row in included))
            and not any(_matches(row, field, text) for row in rows if row.sign == "E"))


def _matches(row: RangeRow, field: Field, text: str) -> bool:
    low, high = comparable(field, row.low), comparable(field, row.high)
    option = row.option
    if option in ("CP", "NP"):
        return (_pattern(str(row.low or "")).fullmatch(text) is not None) == (option == "CP")
    if option in ("BT", "NB"):
        return (low <= text <= high) == (option == "BT")
    return {"EQ": text == low, "NE": text != low, "GT": text > low, "GE": text >= low,
            "LT": text < low, "LE": text <= low}[option]


def _pattern(pattern: str) -> re.Pattern:
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "#":
            escaped = True
        else:
            parts.append({"*": ".*", "+": "."}.get(char, re.escape(char)))
    return re.compile("".join(parts), re.DOTALL)
