"""The BAPI stand-in's range tables evaluate as ABAP's `IN` does."""
from datetime import date

import pytest

from sandbox.sap_bapi_functions import RangeError, selects


def row(sign: str, option: str, low: object, high: object = "") -> dict:
    return {"SIGN": sign, "OPTION": option, "LOW": low, "HIGH": high}


def test_an_empty_range_selects_everything():
    assert selects([], "anything")


@pytest.mark.parametrize("rows, value, expected", [
    ([row("I", "EQ", "101")], "101", True),
    ([row("I", "EQ", "101")], "102", False),
    ([row("I", "BT", date(2026, 5, 1), date(2026, 5, 31))], "2026-05-31", True),
    ([row("I", "BT", date(2026, 5, 1), date(2026, 5, 31))], "2026-06-01", False),
    ([row("I", "GE", date(2026, 5, 1))], date(2026, 5, 1), True),
    ([row("I", "CP", "45*")], "4500000001", True),
    ([row("I", "CP", "45+")], "4500000001", False),
    ([row("I", "BT", "100", "199"), row("E", "EQ", "122")], "122", False),
    ([row("E", "EQ", "122")], "101", True),
    ([row("I", "NE", "1000")], "1100", True),
])
def test_rows(rows, value, expected):
    assert selects(rows, value) is expected


def test_an_unknown_option_is_refused():
    with pytest.raises(RangeError):
        selects([row("I", "XX", "1")], "1")
