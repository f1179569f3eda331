"""What the three function modules answer, by SAP's rules, from the stand-in's catalogue.

BAPI_GOODSMVT_GETITEMS (SAP's source of the function module): every `*_RA` table is a range
(SIGN I/E; OPTION EQ NE BT NB LT LE GT GE CP NP) and an empty one selects everything; posting
date, transaction type and user select on the header, the rest on the item. A plant range that
selects no plant of the system adds E M3 102 "Plant & does not exist" and the selection runs on;
a movement type range that selects no movement type adds E M7 220; no item at all adds E M7 842
"No document exists for the specified data". Items come sorted by document, year and item, one
header per document; the range tables come back as sent.
BAPI_PO_GETITEMS: one PO_ITEMS row per item of the orders dated on or after DOC_DATE (a single
date), matching the other selections given; PO_HEADERS rows only with WITH_PO_HEADERS = 'X';
RETURN stays empty, also when nothing is selected.
BAPI_PO_GETDETAIL1: POHEADER and the order's items, schedule lines, confirmations and history;
an unknown order gives an initial POHEADER, no rows and E 06 019 "Document & does not exist".
"""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sandbox import sap_bapi_data as rows
from sandbox.sap_bapi_data import Catalogue, Movement

MOVEMENT_TYPES = frozenset({"101", "102", "103", "104", "105", "106", "122", "123", "124", "161", "162", "201",
                            "202", "261", "262", "301", "302", "311", "312", "501", "502", "561", "562", "601",
                            "602", "701", "702"})
OPTIONS = frozenset({"EQ", "NE", "BT", "NB", "LT", "LE", "GT", "GE", "CP", "NP"})


class RangeError(ValueError):
    """A range row the function cannot evaluate (SAP dumps: the caller sees a SOAP fault)."""


@dataclass
class Call:
    imports: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Result:
    exports: dict[str, dict] = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)


def message(kind: str, message_class: str, number: str, text: str, *variables: str, old: bool = False) -> dict:
    """A RETURN row: BAPIRET2 (ID, NUMBER) or, `old`, BAPIRETURN (CODE = class and number together)."""
    for variable in variables:
        text = text.replace("&", variable, 1)
    row = {"TYPE": kind, "MESSAGE": text.replace("&", "").strip(),
           **{f"MESSAGE_V{n}": value for n, value in enumerate(variables, 1)}}
    return {**row, "CODE": f"{message_class}{number}"} if old else {**row, "ID": message_class, "NUMBER": number}


def _abap(value: object) -> str:
    """A value as ABAP compares it: dates as YYYYMMDD (initial 00000000), the rest as text."""
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if value is None:
        return ""
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return text.replace("-", "")
    return text


def _pattern(mask: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "+" else re.escape(c) for c in mask) + r"\Z")


def _matches(row: dict, value: str) -> bool:
    option, low, high = row.get("OPTION"), _abap(row.get("LOW")), _abap(row.get("HIGH"))
    if option == "EQ":
        return value == low
    if option == "NE":
        return value != low
    if option in ("BT", "NB"):
        inside = low <= value <= high
        return inside if option == "BT" else not inside
    if option in ("LT", "LE", "GT", "GE"):
        return {"LT": value < low, "LE": value <= low, "GT": value > low, "GE": value >= low}[option]
    hit = bool(_pattern(low.rstrip() or "*").match(value))
    return hit if option == "CP" else not hit


def selects(range_rows: list[dict], value: object) -> bool:
    """ABAP's `value IN range`: an empty range selects all; else some I row and no E row."""
    for row in range_rows:
        if row.get("SIGN") not in ("I", "E") or row.get("OPTION") not in OPTIONS:
            raise RangeError(f"range row SIGN={row.get('SIGN')!r} OPTION={row.get('OPTION')!r} is not valid")
    if not range_rows:
        return True
    text = _abap(value)
    included = [r for r in range_rows if r["SIGN"] == "I"]
    if included and not any(_matches(r, text) for r in included):
        return False
    return not any(_matches(r, text) for r in range_rows if r["SIGN"] == "E")


def goodsmvt_getitems(catalogue: Catalogue, call: Call) -> Result:
    ranges = {name: call.tables.get(name, []) for name in (
        "MATERIAL_RA", "PLANT_RA", "STGE_LOC_RA", "BATCH_RA", "MOVE_TYPE_RA", "SPEC_STOCK_RA", "TR_EV_TYPE_RA",
        "PSTNG_DATE_RA", "VENDOR_RA", "USERNAME_RA", "PURCH_DOC_RA")}
    messages = []
    if not any(selects(ranges["PLANT_RA"], plant) for plant in catalogue.plants):
        messages.append(message("E", "M3", "102", "Plant & does not exist", str(ranges["PLANT_RA"][0].get("LOW"))))
    if ranges["MOVE_TYPE_RA"] and not any(selects(ranges["MOVE_TYPE_RA"], kind) for kind in MOVEMENT_TYPES):
        found = message("E", "M7", "220", "Movement type does not exist", str(ranges["MOVE_TYPE_RA"][0].get("LOW")))
        messages.append({**found, "MESSAGE": f"{found['MESSAGE']} {ranges['MOVE_TYPE_RA'][0].get('LOW')}"})
    chosen = sorted((m for m in catalogue.movements if _selected(catalogue, ranges, m)),
                    key=lambda m: (m.document, m.year, m.line))
    if not chosen:
        messages.append(message("E", "M7", "842", "No document exists for the specified data"))
    headers = {m.key: rows.goodsmvt_header(m) for m in chosen}
    tables = {name: list(call.tables[name]) for name in ranges if name in call.tables}
    tables.update(GOODSMVT_HEADER=[headers[key] for key in sorted(headers)],
                  GOODSMVT_ITEMS=[rows.goodsmvt_item(m) for m in chosen], RETURN=messages)
    return Result(tables=tables)


def _selected(catalogue: Catalogue, ranges: dict[str, list[dict]], movement: Movement) -> bool:
    raw = movement.raw
    order = catalogue.orders.get(str(raw.get("po")), {})
    item = next((i for i in order.get("items", ()) if str(i.get("id")) == str(raw.get("po_item"))), {})
    values = {"PSTNG_DATE_RA": raw.get("posting_date"), "TR_EV_TYPE_RA": "WE", "USERNAME_RA": "WAREHOUSE01",
              "MATERIAL_RA": item.get("material", ""), "PLANT_RA": movement.plant, "STGE_LOC_RA": "0001",
              "BATCH_RA": "", "MOVE_TYPE_RA": raw.get("movement_type"), "SPEC_STOCK_RA": "",
              "VENDOR_RA": movement.vendor, "PURCH_DOC_RA": raw.get("po")}
    return all(selects(ranges[name], value) for name, value in values.items())


def po_getitems(catalogue: Catalogue, call: Call) -> Result:
    given = {name: value for name, value in call.imports.items() if value not in (None, "")}
    hits = [(order, item) for order in sorted(catalogue.orders.values(), key=lambda o: str(o.get("id")))
            for item in order.get("items", ()) if _listed(catalogue, given, order, item)]
    orders = list({str(order.get("id")): order for order, _ in hits}.values())
    headers = [rows.po_list_header(order) for order in orders] if given.get("WITH_PO_HEADERS") == "X" else []
    return Result(tables={"PO_ITEMS": [rows.po_list_item(order, item) for order, item in hits],
                          "PO_HEADERS": headers, "RETURN": []})


def _listed(catalogue: Catalogue, given: dict, order: dict, item: dict) -> bool:
    dated = given.get("DOC_DATE")
    if dated is not None and _abap(order.get("order_date")) < _abap(dated):
        return False
    checks = {"VENDOR": order.get("vendor"), "PURCHASEORDER": order.get("id"), "PLANT": item.get("plant"),
              "MATERIAL": item.get("material"), "MATERIAL_LONG": item.get("material"), "DOC_TYPE": "NB",
              "PURCH_ORG": "1000", "PUR_GROUP": "001", "CREATED_BY": "BUYER01"}
    if any(str(value) != str(given[name]) for name, value in checks.items() if name in given):
        return False
    return given.get("ITEMS_OPEN_FOR_RECEIPT") != "X" or _still_open(catalogue, order, item)


def _still_open(catalogue: Catalogue, order: dict, item: dict) -> bool:
    received = Decimal(0)
    for movement in catalogue.by_order.get(str(order.get("id")), ()):
        if str(movement.raw.get("po_item")) == str(item.get("id")) and movement.raw.get("movement_type") in ("101", "102"):
            try:
                quantity = Decimal(str(movement.raw.get("quantity")))
            except InvalidOperation:
                continue
            received += quantity if movement.raw["movement_type"] == "101" else -quantity
    try:
        return received < Decimal(str(item.get("quantity")))
    except InvalidOperation:
        return True


def po_getdetail1(catalogue: Catalogue, call: Call, date_format: str) -> Result:
    number = str(call.imports.get("PURCHASEORDER") or "")
    order = catalogue.orders.get(number)
    if order is None:
        return Result(exports={"POHEADER": {}, "POEXPIMPHEADER": {}},
                      tables={"RETURN": [message("E", "06", "019", "Document & does not exist", number)]})
    items = order.get("items", ())
    return Result(
        exports={"POHEADER": rows.po_header(order), "POEXPIMPHEADER": {}},
        tables={"POITEM": [rows.po_item(item) for item in items],
                "POSCHEDULE": [rows.po_schedule(order, item, line, date_format)
                               for item in items for line in item.get("schedule_lines", ())],
                "POCONFIRMATION": [rows.po_confirmation(item, confirmation, n) for item in items
                                   for n, confirmation in enumerate(item.get("confirmations", ()), 1)],
                "POHISTORY": [rows.po_history(m) for m in catalogue.by_order.get(number, ())],
                "RETURN": []})
