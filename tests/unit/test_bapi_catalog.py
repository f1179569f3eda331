"""The test BAPI server's catalog, naming styles, ABAP values and range semantics, without a socket."""
from datetime import date, time
from decimal import Decimal

import pytest

from tests.support.bapi_catalog import FUNCTIONS, MC, RFC, STRUCTURES, camel
from tests.support.bapi_ranges import RangeError, RangeRow, range_rows, selects
from tests.support.bapi_values import external_date, from_text, to_text

GM = FUNCTIONS["BAPI_GOODSMVT_GETITEMS"]


@pytest.mark.parametrize("sap, mc", [("BAPI_PO_GETDETAIL1", "BapiPoGetdetail1"), ("POITEM", "Poitem"),
                                     ("PO_ITEM", "PoItem"), ("BAPI2017_GM_ITEM_CREATE", "Bapi2017GmItemCreate"),
                                     ("GOODSMVT_SERV_PART_DATA", "GoodsmvtServPartData"),
                                     ("MATDOCUMENTYEAR", "Matdocumentyear"), ("MESSAGE_V1", "MessageV1")])
def test_mc_style_names_as_soamanager_writes_them(sap, mc):
    assert camel(sap) == mc and MC.name(sap) == mc and RFC.name(sap) == sap


def test_table_types_and_message_elements_per_style():
    ret = STRUCTURES["BAPIRET2"]
    assert (RFC.table_type(ret), MC.table_type(ret)) == ("TABLE_OF_BAPIRET2", "TableOfBapiret2")
    detail = FUNCTIONS["BAPI_PO_GETDETAIL1"]
    assert (RFC.response_element(detail), MC.response_element(detail)) == ("BAPI_PO_GETDETAIL1Response",
                                                                           "BapiPoGetdetail1Response")


def test_interfaces_follow_the_catalogs():
    assert [p.name for p in GM.parameters if not p.optional] == ["GOODSMVT_HEADER", "GOODSMVT_ITEMS", "RETURN"]
    assert all(p.is_table for p in GM.parameters)
    items = FUNCTIONS["BAPI_PO_GETITEMS"]
    assert [p.name for p in items.parameters if not p.optional] == ["PO_ITEMS"]
    assert items.parameter("RETURN").type.name == "BAPIRETURN" and items.parameter("DOC_DATE").type.abap_type == "DATS"
    detail = FUNCTIONS["BAPI_PO_GETDETAIL1"]
    assert [p.name for p in detail.parameters if not p.optional] == ["PURCHASEORDER", "POEXPIMPHEADER", "POHEADER"]
    assert len([p for p in detail.parameters if p.is_table]) == 26
    assert [f.name for f in STRUCTURES["BAPIRET2"].fields][:4] == ["TYPE", "ID", "NUMBER", "MESSAGE"]
    assert "CREAT_DATE" not in {f.name for f in STRUCTURES["BAPIEKES"].fields}
    assert STRUCTURES["BAPIMEPOSCHEDULE"].field("DELIVERY_DATE").abap_type == "CHAR"
    assert [f.name for f in STRUCTURES["BAPI2017_GM_PSTNG_DATE_RA"].fields] == ["SIGN", "OPTION", "LOW", "HIGH"]


@pytest.mark.parametrize("structure, component, value, text", [
    ("BAPI2017_GM_ITEM_SHOW", "MATDOC_ITM", "1", "0001"), ("BAPI2017_GM_ITEM_SHOW", "MATDOC_ITM", None, "0000"),
    ("BAPI2017_GM_HEAD_02", "PSTNG_DATE", date(2025, 1, 31), "2025-01-31"),
    ("BAPI2017_GM_HEAD_02", "PSTNG_DATE", None, "0000-00-00"), ("BAPI2017_GM_HEAD_02", "ENTRY_TIME", None, "00:00:00"),
    ("BAPI2017_GM_HEAD_02", "ENTRY_TIME", time(9, 5, 7), "09:05:07"),
    ("BAPI2017_GM_ITEM_SHOW", "ENTRY_QNT", Decimal("12.5"), "12.500"), ("BAPIMEPOITEM", "NET_PRICE", Decimal(3), "3.000000000"),
    ("BAPIMEPOITEM", "PRICE_UNIT", Decimal(100), "100"), ("BAPIRET2", "ROW", None, "0"), ("BAPIRET2", "MESSAGE", None, "")])
def test_values_travel_as_soamanager_writes_them(structure, component, value, text):
    field = STRUCTURES[structure].field(component)
    assert to_text(field, value) == text
    if text:
        assert to_text(field, from_text(field, text)) == text


def test_a_character_value_longer_than_its_field_is_refused():
    with pytest.raises(ValueError, match="MOVE_TYPE"):
        to_text(STRUCTURES["BAPI2017_GM_ITEM_SHOW"].field("MOVE_TYPE"), "1011")


@pytest.mark.parametrize("date_format, text", [("1", "07.03.2025"), ("2", "03/07/2025"), ("4", "2025.03.07"),
                                               ("6", "2025-03-07")])
def test_external_dates_follow_the_users_date_format(date_format, text):
    assert external_date(date(2025, 3, 7), date_format) == text and external_date(None, date_format) == ""


def _rows(*rows):
    low = GM.parameter("PSTNG_DATE_RA").type.field("LOW")
    return range_rows("PSTNG_DATE_RA", [dict(zip(("SIGN", "OPTION", "LOW", "HIGH"), row)) for row in rows], low), low


@pytest.mark.parametrize("rows, day, selected", [
    ((), 5, True),
    ((("I", "BT", date(2025, 1, 3), date(2025, 1, 6)),), 3, True),
    ((("I", "BT", date(2025, 1, 3), date(2025, 1, 6)),), 7, False),
    ((("I", "BT", date(2025, 1, 3), None),), 4, False),           # an initial HIGH: nothing is between
    ((("I", "GE", date(2025, 1, 3), None),), 4, True),
    ((("I", "LT", date(2025, 1, 3), None),), 3, False),
    ((("E", "EQ", date(2025, 1, 3), None),), 3, False),
    ((("E", "EQ", date(2025, 1, 3), None),), 4, True),              # only exclusions: the rest is in
    ((("I", "BT", date(2025, 1, 1), date(2025, 1, 9)), ("E", "EQ", date(2025, 1, 5), None)), 5, False),
    ((("I", "EQ", date(2025, 1, 2), None), ("I", "EQ", date(2025, 1, 8), None)), 8, True),
    ((("I", "NB", date(2025, 1, 3), date(2025, 1, 6)),), 9, True)])
def test_date_ranges_select_as_abap_in_does(rows, day, selected):
    parsed, low = _rows(*rows)
    assert selects(parsed, low, date(2025, 1, day)) is selected


def test_patterns_and_character_ranges():
    low = GM.parameter("MATERIAL_RA").type.field("LOW")
    rows = (RangeRow("I", "CP", "RAW-*", ""), RangeRow("E", "CP", "RAW-100+", ""))
    assert [selects(rows, low, m) for m in ("RAW-2001", "RAW-1001", "CMP-2001")] == [True, False, False]
    vendor = GM.parameter("VENDOR_RA").type.field("LOW")
    assert not selects((RangeRow("I", "EQ", "100001", ""),), vendor, "0000100001")


@pytest.mark.parametrize("row", [("X", "EQ", None, None), ("I", "XX", None, None), ("I", "", None, None)])
def test_unknown_sign_or_option_is_refused(row):
    with pytest.raises(RangeError):
        _rows(row)
