"""A BAPI's RETURN table as data: what the call says about itself, read on every call.

A BAPI answers HTTP 200 whatever happened and reports failure in RETURN, in one of two shapes:
BAPIRET2 (TYPE, ID = message class, NUMBER, MESSAGE) or the older BAPIRETURN (TYPE, CODE =
class and number run together, e.g. `06001`, MESSAGE). TYPE `E` (error) or `A` (abort) is a
failure: `BapiFault`, a `RemoteFault` naming class, number and text of each such row. The
exception is a function's documented "no data" messages (`no_data`, e.g. M7 842 of
BAPI_GOODSMVT_GETITEMS for an empty selection): the answer is then empty, unless another error
stands beside it (an unknown plant gives M3 102 and then M7 842: that is a failure). `W` rows
are warnings for the log; `S` and `I` rows are noted only. An empty RETURN is an empty answer.
"""
from dataclasses import dataclass

from connectors.errors import PayloadError, RemoteFault

FAILURES = frozenset({"E", "A"})


@dataclass(frozen=True)
class Message:
    type: str
    message_class: str
    number: str
    text: str

    def __str__(self) -> str:
        return f"{self.type} {self.message_class} {self.number} {self.text}".strip()


class BapiFault(RemoteFault):
    """A BAPI reported an error in RETURN; `messages` are its error rows, first one also as attributes."""

    def __init__(self, function: str, messages: tuple[Message, ...]) -> None:
        self.function, self.messages = function, messages
        first = messages[0]
        self.message_class, self.number, self.text = first.message_class, first.number, first.text
        super().__init__(f"SAP {function} reported " + "; ".join(
            f"{m.message_class} {m.number} ({m.type}): {m.text}" for m in messages))


def message(row: dict[str, str]) -> Message:
    """One RETURN row, BAPIRET2 or BAPIRETURN, by the fields it has."""
    kind = (row.get("TYPE") or "").strip().upper()
    if "CODE" in row and "ID" not in row:
        code = (row.get("CODE") or "").strip()
        message_class, number = (code[:-3], code[-3:]) if len(code) > 3 else ("", code)
    else:
        message_class, number = (row.get("ID") or "").strip(), (row.get("NUMBER") or "").strip()
    return Message(kind, message_class, number, (row.get("MESSAGE") or "").strip())


@dataclass(frozen=True)
class Verdict:
    """What RETURN says: `no_data` (an empty answer, by a documented message), the warnings, the rest."""
    no_data: bool
    warnings: tuple[Message, ...]
    notes: tuple[Message, ...]


def judge(function: str, rows: list[dict[str, str]], no_data: frozenset[tuple[str, str]]) -> Verdict:
    """Raise `BapiFault` for error rows that are not "no data"; else say what the rows mean."""
    messages = [message(row) for row in rows]
    unknown = [m for m in messages if m.type not in ("E", "A", "W", "S", "I", "")]
    if unknown:
        raise PayloadError(f"SAP {function} answered a RETURN row of unknown TYPE {unknown[0].type!r}: {unknown[0]}")
    failures = [m for m in messages if m.type in FAILURES]
    empty = [m for m in failures if m.type == "E" and (m.message_class, _number(m.number)) in no_data]
    errors = tuple(m for m in failures if m not in empty)
    if errors:
        raise BapiFault(function, errors)
    return Verdict(bool(empty), tuple(m for m in messages if m.type == "W"),
                   tuple(m for m in messages if m.type in ("S", "I")))


def _number(text: str) -> str:
    return text.zfill(3) if text.isdigit() else text


def parse_no_data(entries: list[str]) -> frozenset[tuple[str, str]]:
    """`["M7/842"]` → {("M7", "842")}; the number as SAP writes it, three digits."""
    return frozenset((entry.split("/", 1)[0].strip(), _number(entry.split("/", 1)[1].strip())) for entry in entries)
