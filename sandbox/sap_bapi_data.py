"""The sandbox dataset (docs/design.md) as the rows SAP's BAPIs return: dictionaries of component
name → value, a component left out being sent with its initial value.

What each dataset field becomes, as SAP fills the structures from its tables:
- an order is EKKO (BAPIMEPOHEADER, BAPIEKKOL): `id` PO_NUMBER, `vendor` VENDOR, `order_date`
  DOC_DATE (also the creation date), `currency` CURRENCY and CURRENCY_ISO; SAP keeps no change
  time of an order in these structures, so `changed_at` is not sent;
- an item is EKPO (BAPIMEPOITEM, BAPIEKPOC): PO_ITEM, MATERIAL (and MATERIAL_LONG), PLANT,
  QUANTITY (BAPIEKPOC: DISP_QUAN), PO_UNIT (BAPIEKPOC: UNIT) with its ISO code, NET_PRICE, PRICE_UNIT;
- a schedule line is EKET (BAPIMEPOSCHEDULE): SCHED_LINE, DELIVERY_DATE as CHAR 10 in the
  technical user's date format (SU01 DATFM) with date category D, STAT_DATE the same day;
- a confirmation is EKES (BAPIEKES): CONF_SER (its `id`, else its position), CONF_TYPE (its `type`,
  else AB), DELIV_DATE, QUANTITY; BAPIEKES has no creation date and names no schedule line;
- a goods movement is an MSEG line of an MKPF document (BAPI2017_GM_ITEM_SHOW / HEAD_02, and a
  BAPIEKBE row of its order's history): MAT_DOC, DOC_YEAR, MATDOC_ITM, MOVE_TYPE, PSTNG_DATE,
  ENTRY_QNT (never signed), ENTRY_UOM, PO_NUMBER, PO_ITEM; ENTRY_DATE/ENTRY_TIME are `changed_at`
  in the system's time zone. REF_DOC/REF_DOC_YR/REF_DOC_IT (MSEG LFBNR/LFBJA/LFPOS): a 101 and a
  161 name themselves, a 102 the movement its `reverses` names (none without it), a 122 the
  latest 101 before it on the same item. SCHED_LINE is MSEG-KDEIN, a sales order's: `0000`.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

ISO_UNITS = {"EA": "EA", "ST": "PCE", "PC": "PCE", "KG": "KGM", "G": "GRM", "TO": "TNE", "L": "LTR", "ML": "MLT",
             "M": "MTR", "CM": "CMT", "MM": "MMT", "M2": "MTK", "M3": "MTQ", "H": "HUR", "PAL": "PF"}
DATE_FORMATS = {"1": "%d.%m.%Y", "2": "%m/%d/%Y", "3": "%m-%d-%Y", "4": "%Y.%m.%d", "5": "%Y/%m/%d", "6": "%Y-%m-%d"}
CONFIRMATION_NAMES = {"AB": "Order Acknowledgment", "LA": "Inbound Delivery"}
CREDITED = ("102", "122", "161")


def _day(text: object) -> object:
    """A dataset date as a date; text that is not one is served as written."""
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return text


def external_date(text: object, date_format: str) -> str:
    value = _day(text)
    return value.strftime(DATE_FORMATS[date_format]) if isinstance(value, date) else str(text or "")


@dataclass
class Movement:
    """One goods movement of the dataset, with its document and what it refers to."""
    raw: dict
    document: str
    year: str
    line: str
    entered: datetime
    plant: str = "1000"
    vendor: str = ""
    reference: tuple[str, str, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.document, self.year


@dataclass
class Catalogue:
    """The dataset indexed the way the three function modules read it."""
    orders: dict[str, dict]
    movements: list[Movement]
    by_order: dict[str, list[Movement]] = field(default_factory=dict)

    @property
    def plants(self) -> set[str]:
        return {str(item.get("plant")) for order in self.orders.values() for item in order.get("items", ())} | {"1000"}


def catalogue(dataset: dict, system_zone: str = "UTC") -> Catalogue:
    zone = ZoneInfo(system_zone)
    orders = {str(order.get("id")): order for order in dataset.get("purchase_orders", ())}
    movements = []
    for raw in dataset.get("goods_movements", ()):
        stamp = raw.get("changed_at") or f"{raw['posting_date']}T00:00:00Z"
        entered = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        entered = (entered if entered.tzinfo else entered.replace(tzinfo=timezone.utc)).astimezone(zone)
        order = orders.get(str(raw.get("po")), {})
        item = next((i for i in order.get("items", ()) if str(i.get("id")) == str(raw.get("po_item"))), {})
        movements.append(Movement(raw, str(raw["document"]), str(raw["year"]), f"{int(raw['line']):04d}", entered,
                                  str(item.get("plant", "1000")), str(order.get("vendor", ""))))
    movements.sort(key=lambda m: (str(m.raw.get("posting_date")), m.year, m.document, m.line))
    latest_receipt: dict[tuple[str, str], Movement] = {}
    for movement in movements:
        kind, item = movement.raw.get("movement_type"), (str(movement.raw.get("po")), str(movement.raw.get("po_item")))
        if kind in ("101", "161"):
            movement.reference = (movement.document, movement.year, movement.line)
            if kind == "101":
                latest_receipt[item] = movement
        elif kind == "102" and movement.raw.get("reverses"):
            ref = movement.raw["reverses"]
            movement.reference = (str(ref["document"]), str(ref["year"]), f"{int(ref['line']):04d}")
        elif kind == "122" and item in latest_receipt:
            earlier = latest_receipt[item]
            movement.reference = (earlier.document, earlier.year, earlier.line)
    by_order: dict[str, list[Movement]] = defaultdict(list)
    for movement in sorted(movements, key=lambda m: (m.year, m.document, m.line)):
        by_order[str(movement.raw.get("po"))].append(movement)
    return Catalogue(orders, movements, dict(by_order))


def _iso(unit: object) -> str:
    return ISO_UNITS.get(str(unit), "")


def po_header(order: dict) -> dict:
    """BAPIMEPOHEADER."""
    return {"PO_NUMBER": order.get("id"), "COMP_CODE": "1000", "DOC_TYPE": "NB", "STATUS": "9",
            "CREAT_DATE": _day(order.get("order_date")), "CREATED_BY": "BUYER01", "ITEM_INTVL": "10",
            "VENDOR": order.get("vendor"), "LANGU": "EN", "LANGU_ISO": "EN", "PMNTTRMS": "0001", "PURCH_ORG": "1000",
            "PUR_GROUP": "001", "CURRENCY": order.get("currency"), "CURRENCY_ISO": order.get("currency"),
            "EXCH_RATE": 1, "DOC_DATE": _day(order.get("order_date")), "SUBITEMINT": "1"}


def po_list_header(order: dict) -> dict:
    """BAPIEKKOL (BAPI_PO_GETITEMS' PO_HEADERS): no change date."""
    items = order.get("items") or [{}]
    return {"PO_NUMBER": order.get("id"), "CO_CODE": "1000", "DOC_CAT": "F", "DOC_TYPE": "NB", "STATUS": "9",
            "CREATED_ON": _day(order.get("order_date")), "CREATED_BY": "BUYER01", "ITEM_INTVL": "10",
            "LAST_ITEM": items[-1].get("id"), "VENDOR": order.get("vendor"), "LANGUAGE": "EN", "PMNTTRMS": "0001",
            "PURCH_ORG": "1000", "PUR_GROUP": "001", "CURRENCY": order.get("currency"), "EXCH_RATE": 1,
            "DOC_DATE": _day(order.get("order_date")), "SUBITEMINT": "1", "CURRENCY_ISO": order.get("currency")}


def po_list_item(order: dict, item: dict) -> dict:
    """BAPIEKPOC (BAPI_PO_GETITEMS' PO_ITEMS): the quantity is DISP_QUAN, the unit UNIT."""
    return {"PO_NUMBER": order.get("id"), "PO_ITEM": item.get("id"), "MATERIAL": item.get("material"),
            "MATERIAL_LONG": item.get("material"), "ITEM_CAT": "0", "STORE_LOC": "0001", "MAT_GRP": "001",
            "PLANT": item.get("plant"), "UNIT": item.get("unit"), "NET_PRICE": item.get("net_price"),
            "PRICE_UNIT": item.get("price_unit", 1), "CONV_NUM1": 1, "CONV_DEN1": 1, "ORDERPR_UN": item.get("unit"),
            "DISP_QUAN": item.get("quantity"), "ORDERPR_UN_ISO": _iso(item.get("unit")),
            "PO_UNIT_ISO": _iso(item.get("unit"))}


def po_item(item: dict) -> dict:
    """BAPIMEPOITEM."""
    return {"PO_ITEM": item.get("id"), "SHORT_TEXT": f"Material {item.get('material')}", "MATERIAL": item.get("material"),
            "MATERIAL_LONG": item.get("material"), "PLANT": item.get("plant"), "STGE_LOC": "0001",
            "MATL_GROUP": "001", "QUANTITY": item.get("quantity"), "PO_UNIT": item.get("unit"),
            "PO_UNIT_ISO": _iso(item.get("unit")), "ORDERPR_UN": item.get("unit"),
            "ORDERPR_UN_ISO": _iso(item.get("unit")), "CONV_NUM1": 1, "CONV_DEN1": 1,
            "NET_PRICE": item.get("net_price"), "PRICE_UNIT": item.get("price_unit", 1), "ITEM_CAT": "0",
            "GR_IND": "X", "IR_IND": "X", "GR_BASEDIV": "X"}


def po_schedule(order: dict, item: dict, line: dict, date_format: str) -> dict:
    """BAPIMEPOSCHEDULE: DELIVERY_DATE in the user's date format."""
    return {"PO_ITEM": item.get("id"), "SCHED_LINE": line.get("id"), "DEL_DATCAT_EXT": "D",
            "DELIVERY_DATE": external_date(line.get("due"), date_format), "QUANTITY": line.get("quantity"),
            "STAT_DATE": _day(line.get("due")), "PO_DATE": _day(order.get("order_date"))}


def po_confirmation(item: dict, confirmation: dict, position: int) -> dict:
    """BAPIEKES."""
    kind = confirmation.get("type", "AB")
    return {"PO_ITEM": item.get("id"), "CONF_SER": confirmation.get("id", f"{position:04d}"), "CONF_TYPE": kind,
            "CONF_NAME": CONFIRMATION_NAMES.get(kind, ""), "DEL_DATCAT_EXT": "D",
            "DELIV_DATE": _day(confirmation.get("due")) if confirmation.get("due") else None,
            "QUANTITY": confirmation.get("quantity"), "DISPO_REL": "X", "RECEIPT_REL": "X" if kind == "LA" else ""}


def _reference(movement: Movement) -> dict:
    document, year, line = movement.reference or ("", "", "")
    return {"REF_DOC": document, "REF_DOC_YR": year, "REF_DOC_IT": line}


def po_history(movement: Movement) -> dict:
    """BAPIEKBE: the order history row of one goods receipt (category E)."""
    raw = movement.raw
    return {"PO_ITEM": raw.get("po_item"), "PROCESS_ID": "1", "DOC_YEAR": movement.year, "MAT_DOC": movement.document,
            "MATDOC_ITM": movement.line, "HIST_TYPE": "E", "MOVE_TYPE": raw.get("movement_type"),
            "PSTNG_DATE": _day(raw.get("posting_date")), "QUANTITY": raw.get("quantity"),
            "DB_CR_IND": "H" if raw.get("movement_type") in CREDITED else "S", "PLANT": movement.plant,
            "ENTRY_DATE": movement.entered.date(),
            "ENTRY_TIME": movement.entered.time().replace(microsecond=0), "DOC_DATE": _day(raw.get("posting_date")),
            **_reference(movement)}


def goodsmvt_header(movement: Movement) -> dict:
    """BAPI2017_GM_HEAD_02 of the movement's document."""
    return {"MAT_DOC": movement.document, "DOC_YEAR": movement.year, "TR_EV_TYPE": "WE",
            "DOC_DATE": _day(movement.raw.get("posting_date")), "PSTNG_DATE": _day(movement.raw.get("posting_date")),
            "ENTRY_DATE": movement.entered.date(), "ENTRY_TIME": movement.entered.time().replace(microsecond=0),
            "USERNAME": "WAREHOUSE01", "VER_GR_GI_SLIP": "1"}


def goodsmvt_item(movement: Movement) -> dict:
    """BAPI2017_GM_ITEM_SHOW."""
    raw = movement.raw
    return {"MAT_DOC": movement.document, "DOC_YEAR": movement.year, "MATDOC_ITM": movement.line,
            "PLANT": movement.plant, "STGE_LOC": "0001", "MOVE_TYPE": raw.get("movement_type"),
            "VENDOR": movement.vendor, "SCHED_LINE": "0000", "ENTRY_QNT": raw.get("quantity"), "ENTRY_UOM": raw.get("unit"),
            "ENTRY_UOM_ISO": _iso(raw.get("unit")), "PO_PR_QNT": raw.get("quantity"), "ORDERPR_UN": raw.get("unit"),
            "ORDERPR_UN_ISO": _iso(raw.get("unit")), "PO_NUMBER": raw.get("po"), "PO_ITEM": raw.get("po_item"),
            "MVT_IND": "B", **_reference(movement)}
