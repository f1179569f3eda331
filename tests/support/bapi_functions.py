"""What the three function modules answer, computed from the test data set by SAP's rules.

BAPI_GOODSMVT_GETITEMS (SAP's source of the function module):
- every *_RA table is a range (bapi_ranges); PSTNG_DATE_RA, TR_EV_TYPE_RA and USERNAME_RA select
  on the header (MKPF), the others on the item (MSEG: MATERIAL, PLANT, STGE_LOC, BATCH,
  MOVE_TYPE, SPEC_STOCK, VENDOR, PURCH_DOC = the order number);
- no plant of the system in PLANT_RA: RETURN row E M3 102 "Plant & does not exist" (LOW of the
  first row), and the selection runs on with PLANT_RA as sent; no movement type of the system in
  MOVE_TYPE_RA: E M7 220 "Movement type does not exist" followed by that LOW;
- no item selected: RETURN row E M7 842 "No document exists for the specified data", tables
  empty; otherwise the items sorted by document, year and item, one header per document;
- the range tables a request sends come back as sent.
BAPI_PO_GETITEMS: one PO_ITEMS row per selected item (sorted by order and item) of orders with
DOC_DATE on or after DOC_DATE (one date, not a range), matching VENDOR, PURCHASEORDER, DOC_TYPE,
PURCH_ORG, PUR_GROUP, CREATED_BY, PLANT, MATERIAL, MAT_GRP, SHORT_TEXT, ITEM_CAT ("0" standard),
TRACKINGNO, ACCTASSCAT, SUPPL_PLANT, PREQ_NAME when filled (no item has the last four); deleted items only with DELETED_ITEMS = 'X'; ITEMS_OPEN_FOR_RECEIPT = 'X' keeps items
still awaiting goods (ordered > 101 - 102, not "delivery completed"); PO_HEADERS rows only with
WITH_PO_HEADERS = 'X'; RETURN (BAPIRETURN) stays empty, also when nothing is selected.
BAPI_PO_GETDETAIL1: POHEADER and the order's POITEM, POSCHEDULE, POCONFIRMATION and POHISTORY;
an unknown PURCHASEORDER: initial POHEADER, empty tables and RETURN row E 06 019 "Document &
does not exist". The other tables (account assignment, conditions, texts, ...) stay empty: the
data set has nothing for them.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from tests.support import bapi_rows as rows
from tests.support.bapi_catalog import GOODSMVT_GETITEMS, Function
from tests.support.bapi_data import BapiDataset, MaterialDocument, MaterialDocumentItem, PurchaseOrder, PurchaseOrderItem
from tests.support.bapi_ranges import RangeRow, range_rows, selects

PLANTS = ("1000", "1100", "1200")                    # T001W of the test system
MOVEMENT_TYPES = ("101", "102", "103", "104", "105", "106", "122", "123", "124", "125", "161", "162", "201", "202",
                  "261", "262", "301", "302", "311", "312", "501", "502", "561", "562", "601", "602", "701", "702")
NO_DATA = ("M7", "842", "No document exists for the specified data")
_HEADER_RANGES = {"PSTNG_DATE_RA": "pstng_date", "TR_EV_TYPE_RA": "tr_ev_type", "USERNAME_RA": "username"}
_ITEM_RANGES = {"MATERIAL_RA": "material", "PLANT_RA": "plant", "STGE_LOC_RA": "stge_loc", "BATCH_RA": None,
                "MOVE_TYPE_RA": "move_type", "SPEC_STOCK_RA": None, "VENDOR_RA": "vendor", "PURCH_DOC_RA": "po_number"}


@dataclass
class Request:
    """A call as the function module receives it: SAP names, parsed values."""
    imports: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Result:
    exports: dict[str, dict] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)


def call(function: Function, dataset: BapiDataset, request: Request, date_format: str) -> Result:
    if function.name == "BAPI_GOODSMVT_GETITEMS":
        return goodsmvt_getitems(dataset, request)
    if function.name == "BAPI_PO_GETITEMS":
        return po_getitems(dataset, request)
    return po_getdetail1(dataset, request, date_format)


def goodsmvt_getitems(dataset: BapiDataset, request: Request) -> Result:
    ranges = {p.name: range_rows(p.name, request.tables.get(p.name, []), p.type.field("LOW"))
              for p in GOODSMVT_GETITEMS.parameters if p.name.endswith("_RA")}
    messages = _checks(ranges)
    selected = sorted(((d, i) for d in dataset.documents for i in d.items if _selected(ranges, d, i)),
                      key=lambda hit: (hit[0].mat_doc, hit[0].doc_year, hit[1].matdoc_itm))
    if not selected:
        messages.append(rows.bapiret2("E", *NO_DATA))
    documents = sorted({(d.mat_doc, d.doc_year): d for d, _ in selected}.values(), key=lambda d: (d.mat_doc, d.doc_year))
    tables = {name: list(request.tables[name]) for name in ranges if name in request.tables}
    tables.update(GOODSMVT_HEADER=[rows.goodsmvt_header(d) for d in documents],
                  GOODSMVT_ITEMS=[rows.goodsmvt_item(d, i) for d, i in selected], RETURN=messages)
    return Result(tables=tables)


def _checks(ranges: dict[str, tuple[RangeRow, ...]]) -> list[dict]:
    messages = []
    field = GOODSMVT_GETITEMS.parameter("PLANT_RA").type.field("LOW")
    if not any(selects(ranges["PLANT_RA"], field, plant) for plant in PLANTS):
        messages.append(rows.bapiret2("E", "M3", "102", "Plant & does not exist", ranges["PLANT_RA"][0].low))
    field = GOODSMVT_GETITEMS.parameter("MOVE_TYPE_RA").type.field("LOW")
    if ranges["MOVE_TYPE_RA"] and not any(selects(ranges["MOVE_TYPE_RA"], field, t) for t in MOVEMENT_TYPES):
        message = rows.bapiret2("E", "M7", "220", "Movement type does not exist", ranges["MOVE_TYPE_RA"][0].low)
        messages.append({**message, "MESSAGE": f"{message['MESSAGE']} {ranges['MOVE_TYPE_RA'][0].low}"})
    return messages


def _selected(ranges: dict[str, tuple[RangeRow, ...]], document: MaterialDocument, item: MaterialDocumentItem) -> bool:
    for name, attribute in _HEADER_RANGES.items():
        if not selects(ranges[name], _low(name), getattr(document, attribute)):
            return False
    return all(selects(ranges[name], _low(name), getattr(item, attribute) if attribute else "")
               for name, attribute in _ITEM_RANGES.items())


def _low(name: str):
    return GOODSMVT_GETITEMS.parameter(name).type.field("LOW")


def po_getitems(dataset: BapiDataset, request: Request) -> Result:
    selection = {name: value for name, value in request.imports.items() if value not in (None, "")}
    hits = [(o, i) for o in dataset.orders for i in o.items if _listed(dataset, selection, o, i)]
    orders = list({o.po_number: o for o, _ in hits}.values())
    headers = [rows.po_list_header(o) for o in orders] if selection.get("WITH_PO_HEADERS") == "X" else []
    return Result(tables={"PO_ITEMS": [rows.po_list_item(o, i) for o, i in hits], "PO_HEADERS": headers,
                          "RETURN": []})


_ORDER_SELECTION = {"VENDOR": "vendor", "PURCHASEORDER": "po_number", "DOC_TYPE": "doc_type",
                    "PURCH_ORG": "purch_org", "PUR_GROUP": "pur_group", "CREATED_BY": "created_by"}
_ITEM_SELECTION = {"PLANT": "plant", "MATERIAL": "material", "MATERIAL_LONG": "material", "MAT_GRP": "matl_group",
                   "SHORT_TEXT": "short_text"}
_NOTHING_HERE = ("TRACKINGNO", "ACCTASSCAT", "SUPPL_PLANT", "PREQ_NAME")   # no item of the data set has one


def _listed(dataset: BapiDataset, selection: dict, order: PurchaseOrder, item: PurchaseOrderItem) -> bool:
    if "DOC_DATE" in selection and order.doc_date < selection["DOC_DATE"]:
        return False
    if any(getattr(order, a) != selection[n] for n, a in _ORDER_SELECTION.items() if n in selection):
        return False
    if any(getattr(item, a) != selection[n] for n, a in _ITEM_SELECTION.items() if n in selection):
        return False
    if selection.get("ITEM_CAT", "0") != "0" or any(name in selection for name in _NOTHING_HERE):
        return False
    if item.delete_ind and selection.get("DELETED_ITEMS") != "X":
        return False
    return selection.get("ITEMS_OPEN_FOR_RECEIPT") != "X" or _open(dataset, order, item)


def _open(dataset: BapiDataset, order: PurchaseOrder, item: PurchaseOrderItem) -> bool:
    received = sum((i.entry_qnt if i.move_type == "101" else -i.entry_qnt
                    for _, i in dataset.movements_for(order.po_number)
                    if i.po_item == item.po_item and i.move_type in ("101", "102")), Decimal(0))
    return not item.no_more_gr and received < item.quantity


def po_getdetail1(dataset: BapiDataset, request: Request, date_format: str) -> Result:
    number = str(request.imports.get("PURCHASEORDER") or "")
    order = dataset.order(number)
    if order is None:
        message = rows.bapiret2("E", "06", "019", "Document & does not exist", number)
        return Result(exports={"POHEADER": {}, "POEXPIMPHEADER": {}}, tables={"RETURN": [message]})
    history = sorted(dataset.movements_for(order.po_number),
                     key=lambda hit: (hit[1].po_item, hit[0].doc_year, hit[0].mat_doc, hit[1].matdoc_itm))
    return Result(
        exports={"POHEADER": rows.po_header(order), "POEXPIMPHEADER": {}},
        tables={"POITEM": [rows.po_item(i) for i in order.items],
                "POSCHEDULE": [rows.po_schedule(i, line, date_format) for i in order.items for line in i.schedules],
                "POCONFIRMATION": [rows.po_confirmation(i, c) for i in order.items for c in i.confirmations],
                "POHISTORY": [rows.po_history(d, i) for d, i in history], "RETURN": []})
