"""RETURN read on every BAPI call: both shapes, errors with their class, number and text, "no data", warnings."""
import pytest

from connectors.errors import PayloadError, RemoteFault
from connectors.sap_bapi_return import BapiFault, judge, parse_no_data

NO_DATA = parse_no_data(["M7/842"])


def bapiret2(kind: str, message_class: str, number: str, text: str) -> dict:
    return {"TYPE": kind, "ID": message_class, "NUMBER": number, "MESSAGE": text, "LOG_NO": "", "MESSAGE_V1": ""}


def test_an_empty_return_is_an_empty_answer():
    verdict = judge("BAPI_PO_GETITEMS", [], frozenset())
    assert not verdict.no_data and verdict.warnings == () and verdict.notes == ()


def test_an_error_row_is_a_remote_fault_with_class_number_and_text():
    with pytest.raises(RemoteFault) as caught:
        judge("BAPI_PO_GETDETAIL1", [bapiret2("E", "06", "019", "Document 4500000009 does not exist")], NO_DATA)
    fault = caught.value
    assert isinstance(fault, BapiFault)
    assert (fault.message_class, fault.number, fault.text) == ("06", "019", "Document 4500000009 does not exist")
    assert "06 019" in str(fault) and "BAPI_PO_GETDETAIL1" in str(fault)


def test_the_older_bapireturn_runs_class_and_number_together():
    row = {"TYPE": "A", "CODE": "06001", "MESSAGE": "Purchasing document locked", "LOG_NO": ""}
    with pytest.raises(BapiFault) as caught:
        judge("BAPI_PO_GETITEMS", [row], frozenset())
    assert (caught.value.message_class, caught.value.number) == ("06", "001")


def test_documented_no_data_is_an_empty_answer():
    verdict = judge("BAPI_GOODSMVT_GETITEMS", [bapiret2("E", "M7", "842", "No document exists")], NO_DATA)
    assert verdict.no_data


def test_no_data_does_not_swallow_a_real_error_beside_it():
    rows = [bapiret2("E", "M3", "102", "Plant 9999 does not exist"), bapiret2("E", "M7", "842", "No document exists")]
    with pytest.raises(BapiFault) as caught:
        judge("BAPI_GOODSMVT_GETITEMS", rows, NO_DATA)
    assert [(m.message_class, m.number) for m in caught.value.messages] == [("M3", "102")]


def test_warnings_and_notes_are_kept_for_the_log():
    rows = [bapiret2("W", "06", "123", "Check the price"), bapiret2("S", "06", "000", "Done"),
            bapiret2("I", "06", "001", "FYI")]
    verdict = judge("BAPI_PO_GETDETAIL1", rows, frozenset())
    assert [m.number for m in verdict.warnings] == ["123"] and [m.type for m in verdict.notes] == ["S", "I"]


def test_a_row_of_unknown_type_is_refused():
    with pytest.raises(PayloadError, match="unknown TYPE 'X'"):
        judge("BAPI_PO_GETDETAIL1", [bapiret2("X", "06", "001", "?")], frozenset())


def test_no_data_numbers_are_read_as_sap_writes_them():
    assert parse_no_data(["M7/842", "06/19"]) == frozenset({("M7", "842"), ("06", "019")})
