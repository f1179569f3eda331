"""What the test BAPI server's function modules answer, read back with requests and lxml in both
naming styles and compared with the source."""
from datetime import date, timedelta

import pytest

from tests.support.bapi_client import call
from tests.support.bapi_server import GOODSMVT_GETITEMS, PO_GETDETAIL1, PO_GETITEMS, BapiServer

COUNTED = ("101", "102", "122", "161")
RESULT_TABLES = {"GOODSMVT_HEADER": [], "GOODSMVT_ITEMS": [], "RETURN": []}


@pytest.fixture(scope="module", params=("rfc", "mc"))
def server(request):
    with BapiServer(style=request.param) as running:
        yield running


def rows(*ranges):
    return [{"SIGN": sign, "OPTION": option, "LOW": low, "HIGH": high} for sign, option, low, high in ranges]


def movements(server, low="2024-01-01", high="2025-12-31", **ranges):
    tables = {"PSTNG_DATE_RA": rows(("I", "BT", low, high)), **ranges, **RESULT_TABLES}
    return call(server, GOODSMVT_GETITEMS, tables=tables)


def months(first: date, last: date):
    while first <= last:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        yield first, following - timedelta(days=1)
        first = following


# --- BAPI_GOODSMVT_GETITEMS ----------------------------------------------------------------------

def test_month_slices_of_counted_movement_types_return_every_movement_once(server):
    types = rows(*(("I", "EQ", t, "") for t in COUNTED))
    seen, empty = [], 0
    for low, high in months(date(2024, 11, 1), date(2025, 6, 30)):
        answer = movements(server, low.isoformat(), high.isoformat(), MOVE_TYPE_RA=types)
        assert answer.status == 200
        headers = {(h["MAT_DOC"], h["DOC_YEAR"]): h for h in answer.tables["GOODSMVT_HEADER"]}
        items = answer.tables["GOODSMVT_ITEMS"]
        assert len(headers) == len(answer.tables["GOODSMVT_HEADER"]) == len({(i["MAT_DOC"], i["DOC_YEAR"]) for i in items})
        for item in items:
            header = headers[(item["MAT_DOC"], item["DOC_YEAR"])]
            assert low.isoformat() <= header["PSTNG_DATE"] <= high.isoformat() and item["MOVE_TYPE"] in COUNTED
            seen.append((item["MAT_DOC"], item["DOC_YEAR"], item["MATDOC_ITM"]))
        empty += not items
    expected = [(d.mat_doc, d.doc_year, i.matdoc_itm) for d in server.documents for i in d.items if i.move_type in COUNTED]
    assert sorted(seen) == sorted(expected) and len(set(seen)) == len(seen)
    assert empty >= 2                                    # May and June hold nothing


def test_items_carry_the_source_unsigned_with_the_reversed_documents_reference(server):
    answer = movements(server, MOVE_TYPE_RA=rows(("I", "EQ", "102", "")))
    reversals = sorted(((d, i) for d in server.documents for i in d.items if i.move_type == "102"),
                       key=lambda hit: (hit[0].mat_doc, hit[0].doc_year, hit[1].matdoc_itm))   # SAP's sort order
    assert len(answer.tables["GOODSMVT_ITEMS"]) == len(reversals)
    for sent, (document, item) in zip(answer.tables["GOODSMVT_ITEMS"], reversals):
        assert (sent["MAT_DOC"], sent["DOC_YEAR"], sent["MATDOC_ITM"]) == (document.mat_doc, document.doc_year, item.matdoc_itm)
        assert (sent["REF_DOC"], sent["REF_DOC_YR"], sent["REF_DOC_IT"]) == (item.ref_doc, item.ref_doc_yr, item.ref_doc_it)
        assert sent["ENTRY_QNT"] == f"{item.entry_qnt:.3f}" and not sent["ENTRY_QNT"].startswith("-")
        assert (sent["PO_NUMBER"], sent["PO_ITEM"], sent["VENDOR"]) == (item.po_number, item.po_item, item.vendor)
        assert sent["SCHED_LINE"] == "0000" and sent["MVT_IND"] == "B"
    assert any(s["REF_DOC_YR"] < s["DOC_YEAR"] for s in answer.tables["GOODSMVT_ITEMS"])


def test_headers_carry_posting_and_entry_dates(server):
    answer = movements(server, "2025-02-01", "2025-02-28")
    for header in answer.tables["GOODSMVT_HEADER"]:
        document = server.dataset.document(header["MAT_DOC"], header["DOC_YEAR"])
        assert (header["PSTNG_DATE"], header["ENTRY_DATE"], header["ENTRY_TIME"]) == (
            document.pstng_date.isoformat(), document.entry_date.isoformat(), document.entry_time.isoformat())
        assert header["TR_EV_TYPE"] == document.tr_ev_type and header["USERNAME"] == document.username


def test_an_empty_slice_is_a_return_error_m7_842_not_an_empty_table(server):
    answer = movements(server, "2025-06-01", "2025-06-30")
    assert answer.status == 200 and not answer.tables["GOODSMVT_HEADER"] and not answer.tables["GOODSMVT_ITEMS"]
    [message] = answer.returns
    assert (message["TYPE"], message["ID"], message["NUMBER"]) == ("E", "M7", "842")
    assert message["MESSAGE"] == "No document exists for the specified data"


def test_plant_vendor_and_exclusion_ranges(server):
    in_1100 = movements(server, PLANT_RA=rows(("I", "EQ", "1100", "")))
    assert {i["PLANT"] for i in in_1100.tables["GOODSMVT_ITEMS"]} == {"1100"}
    assert len(in_1100.tables["GOODSMVT_ITEMS"]) == sum(i.plant == "1100" for d in server.documents for i in d.items)
    vendor = server.orders[0].vendor
    assert {i["VENDOR"] for i in movements(server, VENDOR_RA=rows(("I", "EQ", vendor, ""))).tables["GOODSMVT_ITEMS"]} == {vendor}
    unpadded = movements(server, VENDOR_RA=rows(("I", "EQ", vendor.lstrip("0"), "")))
    assert [m["NUMBER"] for m in unpadded.returns] == ["842"]          # no conversion exit on the way in
    without_receipts = movements(server, MOVE_TYPE_RA=rows(("E", "EQ", "101", "")))
    assert "101" not in {i["MOVE_TYPE"] for i in without_receipts.tables["GOODSMVT_ITEMS"]}
    assert {"102", "201"} <= {i["MOVE_TYPE"] for i in without_receipts.tables["GOODSMVT_ITEMS"]}


def test_an_unknown_plant_and_an_unknown_movement_type_are_return_errors(server):
    plant = movements(server, PLANT_RA=rows(("I", "EQ", "9999", "")))
    assert [(m["TYPE"], m["ID"], m["NUMBER"], m["MESSAGE"]) for m in plant.returns] == [
        ("E", "M3", "102", "Plant 9999 does not exist"), ("E", "M7", "842", "No document exists for the specified data")]
    movement = movements(server, MOVE_TYPE_RA=rows(("I", "EQ", "999", "")))
    assert [(m["ID"], m["NUMBER"], m["MESSAGE"]) for m in movement.returns][0] == ("M7", "220", "Movement type does not exist 999")


def test_range_tables_come_back_as_sent(server):
    sent = rows(("I", "EQ", "101", ""), ("I", "EQ", "102", ""))
    answer = movements(server, "2025-01-01", "2025-01-31", MOVE_TYPE_RA=sent)
    assert answer.tables["MOVE_TYPE_RA"] == sent
    assert answer.tables["PSTNG_DATE_RA"] == rows(("I", "BT", "2025-01-01", "2025-01-31"))
    assert "PLANT_RA" not in answer.tables                # optional and not sent: not returned


@pytest.mark.parametrize("row", [("I", "BW", "2025-01-01", "2025-01-31"), ("X", "EQ", "2025-01-01", "0000-00-00")])
def test_a_range_row_the_database_refuses_is_a_server_soap_fault(server, row):
    answer = call(server, GOODSMVT_GETITEMS, tables={"PSTNG_DATE_RA": rows(row), **RESULT_TABLES})
    assert answer.status == 500 and answer.fault_code == "soap-env:Server"
    assert "PSTNG_DATE_RA row 1" in server.calls_to(GOODSMVT_GETITEMS)[-1].fault


# --- BAPI_PO_GETITEMS ----------------------------------------------------------------------------

def test_doc_date_is_on_or_after_and_the_upper_bound_is_the_callers(server):
    answer = call(server, PO_GETITEMS, {"DOC_DATE": "2025-02-01"}, {"PO_ITEMS": []})
    expected = [(o.po_number, i.po_item) for o in server.orders for i in o.items
                if o.doc_date >= date(2025, 2, 1) and not i.delete_ind]
    assert [(i["PO_NUMBER"], i["PO_ITEM"]) for i in answer.tables["PO_ITEMS"]] == expected
    assert max(o.doc_date for o in server.orders) > date(2025, 3, 31)      # later orders come too
    for row in answer.tables["PO_ITEMS"]:
        item = server.dataset.order(row["PO_NUMBER"]).item(row["PO_ITEM"])
        assert (row["DISP_QUAN"], row["PLANT"], row["MATERIAL"]) == (f"{item.quantity:.3f}", item.plant, item.material)


@pytest.mark.parametrize("flag, named, headers", [("X", True, "filled"), (None, True, "empty"), ("X", False, "absent")])
def test_po_headers_need_with_po_headers_and_the_table_named(server, flag, named, headers):
    imports = {"VENDOR": server.orders[1].vendor, **({"WITH_PO_HEADERS": flag} if flag else {})}
    answer = call(server, PO_GETITEMS, imports, {"PO_ITEMS": [], **({"PO_HEADERS": []} if named else {})})
    got = answer.tables.get("PO_HEADERS")
    state = "absent" if got is None else "filled" if got else "empty"
    assert state == headers
    if got:
        assert {h["PO_NUMBER"] for h in got} == {i["PO_NUMBER"] for i in answer.tables["PO_ITEMS"]}
        assert all(h["VENDOR"] == server.orders[1].vendor for h in got)


def test_return_is_bapireturn_and_only_there_when_named(server):
    assert "RETURN" not in call(server, PO_GETITEMS, {"VENDOR": "0000100001"}, {"PO_ITEMS": []}).tables
    answer = call(server, PO_GETITEMS, {"VENDOR": "0000999999"}, {"PO_ITEMS": [], "RETURN": []})
    assert answer.tables["RETURN"] == [] and answer.tables["PO_ITEMS"] == []


def test_deleted_items_only_on_request_and_open_items_filter(server):
    deleted = [(o.po_number, i.po_item) for o in server.orders for i in o.items if i.delete_ind]
    listed = call(server, PO_GETITEMS, {"DELETED_ITEMS": "X"}, {"PO_ITEMS": []}).tables["PO_ITEMS"]
    assert set(deleted) <= {(i["PO_NUMBER"], i["PO_ITEM"]) for i in listed}
    open_items = call(server, PO_GETITEMS, {"ITEMS_OPEN_FOR_RECEIPT": "X"}, {"PO_ITEMS": []}).tables["PO_ITEMS"]
    everything = call(server, PO_GETITEMS, tables={"PO_ITEMS": []}).tables["PO_ITEMS"]
    assert 0 < len(open_items) < len(everything) and not set(deleted) & {(i["PO_NUMBER"], i["PO_ITEM"]) for i in everything}


# --- BAPI_PO_GETDETAIL1 --------------------------------------------------------------------------

DETAIL_TABLES = {"POITEM": [], "POSCHEDULE": [], "POCONFIRMATION": [], "POHISTORY": [], "RETURN": []}


def test_each_orders_detail_equals_the_source(server):
    for order in server.orders:
        answer = call(server, PO_GETDETAIL1, {"PURCHASEORDER": order.po_number}, DETAIL_TABLES)
        header, tables = answer.exports["POHEADER"], answer.tables
        assert (header["PO_NUMBER"], header["VENDOR"], header["DOC_DATE"]) == (order.po_number, order.vendor,
                                                                                order.doc_date.isoformat())
        assert [(i["PO_ITEM"], i["QUANTITY"], i["DELETE_IND"]) for i in tables["POITEM"]] == [
            (i.po_item, f"{i.quantity:.3f}", i.delete_ind) for i in order.items]
        assert [(s["PO_ITEM"], s["SCHED_LINE"], s["DELIVERY_DATE"], s["STAT_DATE"], s["QUANTITY"]) for s in tables["POSCHEDULE"]] == [
            (i.po_item, s.sched_line, s.delivery_date.strftime("%d.%m.%Y"), s.stat_date.isoformat(), f"{s.quantity:.3f}")
            for i in order.items for s in i.schedules]
        assert [(c["PO_ITEM"], c["CONF_SER"], c["CONF_TYPE"], c["DELIV_DATE"], c["QUANTITY"]) for c in tables["POCONFIRMATION"]] == [
            (i.po_item, c.conf_ser, c.conf_type, c.deliv_date.isoformat(), f"{c.quantity:.3f}")
            for i in order.items for c in i.confirmations]
        history = {(h["MAT_DOC"], h["DOC_YEAR"], h["MATDOC_ITM"], h["MOVE_TYPE"], h["DB_CR_IND"]) for h in tables["POHISTORY"]}
        assert history == {(d.mat_doc, d.doc_year, i.matdoc_itm, i.move_type, "H" if i.move_type in ("102", "122", "161") else "S")
                           for d, i in server.dataset.movements_for(order.po_number)}
        assert tables["RETURN"] == []


def test_optional_tables_come_back_only_when_named(server):
    answer = call(server, PO_GETDETAIL1, {"PURCHASEORDER": server.orders[2].po_number}, {"POITEM": []})
    assert set(answer.tables) == {"POITEM"} and set(answer.exports) == {"POHEADER", "POEXPIMPHEADER"}
    bare = call(server, PO_GETDETAIL1, {"PURCHASEORDER": server.orders[2].po_number})
    assert bare.tables == {} and bare.exports["POHEADER"]["PO_NUMBER"] == server.orders[2].po_number
    assert server.calls_to(PO_GETDETAIL1)[-1].tables == ()


def test_an_unknown_order_is_a_return_error_with_http_200(server):
    answer = call(server, PO_GETDETAIL1, {"PURCHASEORDER": "4599999999"}, DETAIL_TABLES)
    assert answer.status == 200 and answer.tables["POITEM"] == [] and answer.exports["POHEADER"]["PO_NUMBER"] == ""
    [message] = answer.returns
    assert (message["TYPE"], message["ID"], message["NUMBER"], message["MESSAGE"], message["MESSAGE_V1"]) == (
        "E", "06", "019", "Document 4599999999 does not exist", "4599999999")
    silent = call(server, PO_GETDETAIL1, {"PURCHASEORDER": "4599999999"}, {"POITEM": []})
    assert silent.status == 200 and silent.tables == {"POITEM": []}        # RETURN not named: nothing says why


def test_delivery_date_follows_the_users_date_format():
    with BapiServer(date_format="6") as server:
        order = server.orders[0]
        answer = call(server, PO_GETDETAIL1, {"PURCHASEORDER": order.po_number}, {"POSCHEDULE": []})
    assert answer.tables["POSCHEDULE"][0]["DELIVERY_DATE"] == order.items[0].schedules[0].delivery_date.isoformat()
