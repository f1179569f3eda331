"""The ways a real or troubled SAP system answers a function-module call, switched on for tests.

`BapiFaults` is passed to `BapiServer(faults=...)` or assigned to `server.faults` at any time.
Calls are counted per function module from 1 (every authenticated POST to its endpoint, those
answered by a fault included); each switch maps a function module name to the calls it hits: a
number (that call), or any collection of numbers (`range(3, 6)`, `{2, 5}`, `EVERY_CALL`).

| switch          | the answer                                                                     |
|-----------------|--------------------------------------------------------------------------------|
| `throttle`      | HTTP 429 with `Retry-After: <retry_after>` (no SOAP body)                      |
| `unavailable`   | HTTP 503 with `Retry-After: <retry_after>` (no SOAP body)                      |
| `soap_fault`    | HTTP 500, SOAP fault `soap-env:Server`                                         |
| `return_error`  | HTTP 200, result tables empty, exports initial, RETURN one row of `error_type` |
|                 | ("E" or "A") with `error_message` (default per function, below)                |
| `warning`       | HTTP 200, the normal answer plus a RETURN row of type W (`warning_message`)    |
| `empty_return`  | HTTP 200, the normal answer but RETURN without rows (e.g. an empty goods      |
|                 | movement slice without M7 842, an unknown order without 06 019)                |
| `latency`       | every call (or, as a dict, every call of a function) waits that many seconds   |
|                 | before it is answered, counted as in flight meanwhile                          |

Default messages: BAPI_GOODSMVT_GETITEMS E M7 120 "You have no authorization for this
transaction in plant 1000"; the purchase order BAPIs E 06 001 "Table EKKO record 4500000001
blocked by another user"; warnings W 06 028 "Purchase order date is in the past". For
BAPI_PO_GETITEMS the row is a BAPIRETURN (CODE = class + number), otherwise a BAPIRET2.
Besides these switches the server always answers as SAP does: a malformed request (not SOAP 1.1,
not the function's element, an element the schema does not know, a mandatory parameter missing,
a value its type refuses, a range row with an unknown SIGN or OPTION) is a SOAP fault
`soap-env:Client`; an empty goods movement selection is RETURN E M7 842.
"""
import sys
from dataclasses import dataclass, field
from typing import Collection

from tests.support import bapi_rows as rows
from tests.support.bapi_functions import Result

EVERY_CALL = range(1, sys.maxsize)
Calls = int | Collection[int]


@dataclass(frozen=True)
class Message:
    message_class: str
    number: str
    text: str
    variables: tuple[str, ...] = ()


ERRORS = {"BAPI_GOODSMVT_GETITEMS": Message("M7", "120", "You have no authorization for this transaction in plant &",
                                            ("1000",)),
          "BAPI_PO_GETITEMS": Message("06", "001", "Table & record & & & & blocked by another user", ("EKKO", "4500000001")),
          "BAPI_PO_GETDETAIL1": Message("06", "001", "Table & record & & & & blocked by another user",
                                        ("EKKO", "4500000001"))}
WARNING = Message("06", "028", "Purchase order date is in the past")


@dataclass
class BapiFaults:
    throttle: dict[str, Calls] = field(default_factory=dict)
    unavailable: dict[str, Calls] = field(default_factory=dict)
    retry_after: int = 1
    soap_fault: dict[str, Calls] = field(default_factory=dict)
    return_error: dict[str, Calls] = field(default_factory=dict)
    error_type: str = "E"
    error_message: Message | None = None
    warning: dict[str, Calls] = field(default_factory=dict)
    warning_message: Message = WARNING
    empty_return: dict[str, Calls] = field(default_factory=dict)
    latency: float | dict[str, float] = 0.0

    def hits(self, switch: str, function: str, call: int) -> bool:
        calls = getattr(self, switch).get(function)
        if calls is None:
            return False
        return call == calls if isinstance(calls, int) else call in calls

    def delay(self, function: str) -> float:
        return self.latency.get(function, 0.0) if isinstance(self.latency, dict) else self.latency

    def apply(self, function: str, call: int, result: Result) -> Result:
        """The RETURN switches, applied to what the function module computed."""
        row = rows.bapireturn if function == "BAPI_PO_GETITEMS" else rows.bapiret2
        if self.hits("return_error", function, call):
            message = self.error_message or ERRORS[function]
            kept = {name: table for name, table in result.tables.items() if name.endswith("_RA")}
            error = row(self.error_type, message.message_class, message.number, message.text, *message.variables)
            result = Result(exports={name: {} for name in result.exports}, tables={**kept, "RETURN": [error]})
        if self.hits("warning", function, call):
            message = self.warning_message
            warning = row("W", message.message_class, message.number, message.text, *message.variables)
            result.tables["RETURN"] = [*result.tables.get("RETURN", []), warning]
        if self.hits("empty_return", function, call):
            result.tables["RETURN"] = []
        return result
