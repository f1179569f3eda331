"""Purchase orders from function modules: a list call names the orders, BAPI_PO_GETDETAIL1 reads each.

The list (`sap.bapi.purchase_order_list`) is BAPI_PO_GETITEMS by default: its `DOC_DATE` is one
date, "on or after", so srm-bridge applies the window's upper bound itself, and it sends its
header table only with `WITH_PO_HEADERS = 'X'`. A document-date selection misses later changes to
older orders, so orders dated `reread_days` before the window are read again; a customer's
function with a change-date range (`selection: change_date`) selects the window exactly.

Each order is then read with BAPI_PO_GETDETAIL1, naming POITEM, POSCHEDULE, POCONFIRMATION and
POHISTORY (optional tables come back only when named), joined on PO_ITEM; a row naming an item
the order does not have refuses the order. Deleted items (DELETE_IND `L`) and deleted
confirmations are not read. Detail calls run `pool_size` at a time, each with the transport's
retry budget (429 and 503 back off); orders come out in list order, one page as soon as the next
ones are read, and those of `done` (read before a run was interrupted) are not read again.

SAP keeps no change time of an order in these structures: an order's `changed_at` is the end of
the window it was read in, and a confirmation is dated from that day in the plant's time zone,
the day srm-bridge first saw it (BAPIEKES has no creation date). Delivery dates (POSCHEDULE
DELIVERY_DATE) are CHAR 10 in the technical user's date format; the format is read from the text.
"""
import json
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Iterator

from pydantic import ValidationError

from config.settings import SapSettings
from connectors.errors import PayloadError
from connectors.sap_bapi_call import Answer, FunctionCall, Row
from connectors.sap_dates import LocalDates
from connectors.sap_records import integral, validation_reason
from domain.records import Page, PurchaseOrder, Rejected

HEADER = ("PO_NUMBER", "VENDOR", "DOC_DATE", "CURRENCY", "CURRENCY_ISO")
ITEM = ("PO_ITEM", "DELETE_IND", "MATERIAL", "MATERIAL_LONG", "PLANT", "QUANTITY", "PO_UNIT", "NET_PRICE",
        "PRICE_UNIT")
SCHEDULE = ("PO_ITEM", "SCHED_LINE", "DEL_DATCAT_EXT", "DELIVERY_DATE", "QUANTITY")
CONFIRMATION = ("PO_ITEM", "CONF_SER", "CONF_TYPE", "DELIV_DATE", "QUANTITY", "DELETE_IND")
HISTORY = ("PO_ITEM", "MAT_DOC", "DOC_YEAR", "MATDOC_ITM")
DETAIL_TABLES = {"POITEM": ITEM, "POSCHEDULE": SCHEDULE, "POCONFIRMATION": CONFIRMATION, "POHISTORY": HISTORY}
DAY_CATEGORIES = frozenset({"", "D", "T"})  # a delivery date given as a day (T: day, with a time)
# SU01 date formats 1-6: DD.MM.YYYY, MM/DD/YYYY, MM-DD-YYYY, YYYY.MM.DD, YYYY/MM/DD, YYYY-MM-DD
_DAY_FIRST = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_MONTH_FIRST = re.compile(r"^(\d{2})[/-](\d{2})[/-](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[./-](\d{2})[./-](\d{2})$")
INITIAL_DATES = frozenset({"", "0000-00-00", "00000000"})
MOST_AT_ONCE = 50


def external_date(text: str) -> str:
    """A CHAR 10 date in any of SAP's date formats 1-6 (the separators and the year's place tell which)."""
    if found := _DAY_FIRST.match(text):
        day, month, year = found.groups()
    elif found := _MONTH_FIRST.match(text):
        month, day, year = found.groups()
    elif found := _YEAR_FIRST.match(text):
        year, month, day = found.groups()
    else:
        raise ValueError(f"delivery date {text!r} is not in one of SAP's date formats")
    return f"{year}-{month}-{day}"


class PurchaseOrderDetails:
    def __init__(self, listing: FunctionCall, detail: FunctionCall, settings: SapSettings, dates: LocalDates) -> None:
        self.listing, self.detail, self.dates = listing, detail, dates
        self.list_settings = settings.bapi.purchase_order_list
        self.pool_size = settings.bapi.purchase_order_detail.pool_size
        self.system_zone = dates.zone(settings.bapi.system_time_zone)
        self.units = frozenset(settings.units)
        chosen = self.list_settings
        listing.require(chosen.date_parameter, chosen.table, *((chosen.headers_flag,) if chosen.headers_flag else ()))
        detail.require("PURCHASEORDER", *DETAIL_TABLES, "RETURN")
        self._detail = detail.prepared("PURCHASEORDER", {name: [] for name in DETAIL_TABLES})

    def numbers(self, since: datetime, until: datetime) -> list[str]:
        """The orders of the window, in number order."""
        chosen = self.list_settings
        low, high = since.astimezone(self.system_zone).date(), until.astimezone(self.system_zone).date()
        imports: dict[str, str] = {chosen.headers_flag: "X"} if chosen.headers_flag else {}
        tables: dict[str, list[Row]] = {chosen.table: []}
        if chosen.selection == "document_date":
            low = max(date(1900, 1, 1), low - timedelta(days=chosen.reread_days))
            imports[chosen.date_parameter] = low.isoformat()
        else:
            tables[chosen.date_parameter] = [{"SIGN": "I", "OPTION": "BT", "LOW": low.isoformat(),
                                              "HIGH": high.isoformat()}]
        answer = self.listing.call(imports, tables, {chosen.table: (chosen.number_field, chosen.date_field)})
        numbers: set[str] = set()
        for row in answer.tables[chosen.table]:
            number, dated = row.get(chosen.number_field), row.get(chosen.date_field, "")
            if not number:
                raise PayloadError(f"SAP {self.listing.function} answered a {chosen.table} row without "
                                   f"{chosen.number_field}")
            try:
                day = date.fromisoformat(dated)
            except ValueError:
                raise PayloadError(f"SAP {self.listing.function} answered order {number} with {chosen.date_field} "
                                   f"{dated!r}, not a date") from None
            if chosen.selection == "document_date" and day < low:
                raise PayloadError(f"SAP {self.listing.function} answered order {number} dated {day}, before the "
                                   f"{chosen.date_parameter} {low} it was asked for")
            if day <= high:
                numbers.add(number)
        return sorted(numbers)

    def pages(self, since: datetime, until: datetime, done: frozenset[str]) -> Iterator[Page[PurchaseOrder]]:
        todo = iter([number for number in self.numbers(since, until) if number not in done])
        pool = ThreadPoolExecutor(max_workers=self.pool_size, thread_name_prefix="sap-detail")
        try:
            pending: deque[Future] = deque(pool.submit(self.read, number, until)
                                           for number in _take(todo, self.pool_size))
            while pending:
                page: Page[PurchaseOrder] = Page(records=[], ordered=False)
                while pending and len(page.records) + len(page.rejected) < MOST_AT_ONCE:
                    if (page.records or page.rejected) and not pending[0].done():
                        break  # store what is read while the next ones are on the wire
                    order = pending.popleft().result()
                    (page.rejected if isinstance(order, Rejected) else page.records).append(order)
                    pending.extend(pool.submit(self.read, number, until) for number in _take(todo, 1))
                yield page
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def read(self, number: str, until: datetime) -> PurchaseOrder | Rejected:
        answer = self.detail.read(self._detail(number), DETAIL_TABLES, {"POHEADER": HEADER})
        if answer.empty or answer.exports["POHEADER"].get("PO_NUMBER") != number:
            raise PayloadError(f"SAP {self.detail.function} answered order "
                               f"{answer.exports['POHEADER'].get('PO_NUMBER')!r} when asked for {number}")
        try:
            return PurchaseOrder.model_validate(self._order(answer, until))
        except ValueError as exc:
            reason = validation_reason(exc) if isinstance(exc, ValidationError) else str(exc)
            return Rejected(key=number, reason=reason, raw=json.dumps({"POHEADER": answer.exports["POHEADER"],
                                                                       **answer.tables}))

    def _order(self, answer: Answer, until: datetime) -> dict:
        header, tables = answer.exports["POHEADER"], answer.tables
        seen_on = until.astimezone(self.dates.plant).date().isoformat()
        items: dict[str, dict] = {}
        deleted: set[str] = set()
        for row in tables["POITEM"]:
            if row.get("PO_ITEM") in items or row.get("PO_ITEM") in deleted:
                raise ValueError(f"item {row.get('PO_ITEM')} is in POITEM twice")
            if row.get("DELETE_IND") == "L":
                deleted.add(row.get("PO_ITEM"))
                continue
            if row.get("PO_UNIT") not in self.units:
                raise ValueError(f"unit {row.get('PO_UNIT')!r} is unknown (configure sap.units)")
            items[row["PO_ITEM"]] = {
                "id": row.get("PO_ITEM"), "material": row.get("MATERIAL_LONG") or row.get("MATERIAL"),
                "plant": row.get("PLANT"), "quantity": row.get("QUANTITY"), "unit": row.get("PO_UNIT"),
                "net_price": row.get("NET_PRICE"), "price_unit": row.get("PRICE_UNIT"),
                "schedule_lines": [], "confirmations": []}
            integral(items[row["PO_ITEM"]], "price_unit")
        for table, rows in tables.items():
            for row in rows:
                if row.get("PO_ITEM") not in items and row.get("PO_ITEM") not in deleted:
                    raise ValueError(f"{table} names item {row.get('PO_ITEM')!r}, which POITEM does not have")
        for row in tables["POSCHEDULE"]:
            if row.get("PO_ITEM") in deleted:
                continue
            if row.get("DEL_DATCAT_EXT", "") not in DAY_CATEGORIES:
                raise ValueError(f"schedule line {row.get('PO_ITEM')}/{row.get('SCHED_LINE')} is due in date "
                                 f"category {row.get('DEL_DATCAT_EXT')!r}, not on a day")
            items[row["PO_ITEM"]]["schedule_lines"].append({
                "id": row.get("SCHED_LINE"), "due": external_date(row.get("DELIVERY_DATE", "")),
                "quantity": row.get("QUANTITY")})
        for row in tables["POCONFIRMATION"]:
            if row.get("PO_ITEM") in deleted or row.get("DELETE_IND"):
                continue
            due = row.get("DELIV_DATE", "")
            items[row["PO_ITEM"]]["confirmations"].append({
                "id": row.get("CONF_SER"), "processing_type": row.get("CONF_TYPE") or None,
                "due": None if due in INITIAL_DATES else due, "quantity": row.get("QUANTITY"), "seen_on": seen_on})
        return {"id": header.get("PO_NUMBER"), "vendor": header.get("VENDOR"), "order_date": header.get("DOC_DATE"),
                "currency": header.get("CURRENCY_ISO") or header.get("CURRENCY"), "changed_at": until,
                "items": list(items.values())}


def _take(numbers: Iterator[str], count: int) -> list[str]:
    return [number for _, number in zip(range(count), numbers)]
