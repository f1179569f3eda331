"""Goods movements from BAPI_GOODSMVT_GETITEMS, one posting-date slice per call.

The function does not page: a window is read in slices of posting days (range rows on
`PSTNG_DATE_RA`, `I BT`), restricted to the movement types srm-bridge counts (`MOVE_TYPE_RA`) and
optionally to plants (`PLANT_RA`). An empty slice is the RETURN message M7 842 (a setting); after
one, the next slice is twice as long (at most ten years), and after a slice with documents it is back
to `slice_days`; an answer over `sap.max_response_mb` is read again in halves, down to one day, and
slices with documents stay that short for the rest of the pull.

Material documents never change (a reversal is a new document), so the window is the entry time:
posting days from `posting_lookback_days` before the window's start are selected, since a
document can be posted into an earlier period, and documents entered before the window are left
out. `GOODSMVT_HEADER` and `GOODSMVT_ITEMS` are joined on document and year; quantities are
unsigned, the movement type says what they mean; no item names a purchase order schedule line
(its SCHED_LINE is a sales order's). A 102 names the receipt it reverses in REF_DOC. Items
without a purchase order are not read. Slices come in posting order, not entry order: each page
is marked unordered, so the cursor moves when the window is complete.
"""
import json
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterator

from pydantic import ValidationError

from config.sap_bapi import GoodsMovementFunction
from connectors.errors import PayloadError, ResponseTooLarge
from connectors.sap_bapi_call import FunctionCall, Row
from connectors.sap_records import validation_reason
from domain.records import COUNTED_MOVEMENTS, REVERSAL, GoodsMovement, Page, Rejected

HEADER = ("MAT_DOC", "DOC_YEAR", "PSTNG_DATE", "ENTRY_DATE", "ENTRY_TIME")
ITEM = ("MAT_DOC", "DOC_YEAR", "MATDOC_ITM", "MOVE_TYPE", "ENTRY_QNT", "ENTRY_UOM", "PO_NUMBER", "PO_ITEM",
        "REF_DOC", "REF_DOC_YR", "REF_DOC_IT")
LONGEST_SLICE_DAYS = 3660
FIRST_DAY = date(1900, 1, 1)


class GoodsMovementSlices:
    """Pages of goods movements entered in `[since, until)`, one per posting-date slice."""

    def __init__(self, call: FunctionCall, settings: GoodsMovementFunction, system_zone: tzinfo,
                 units: frozenset[str]) -> None:
        call.require("PSTNG_DATE_RA", "MOVE_TYPE_RA", "GOODSMVT_HEADER", "GOODSMVT_ITEMS", "RETURN",
                     *(("PLANT_RA",) if settings.plants else ()))
        self.call, self.settings, self.zone, self.units = call, settings, system_zone, units
        self.types = [{"SIGN": "I", "OPTION": "EQ", "LOW": kind, "HIGH": ""} for kind in sorted(COUNTED_MOVEMENTS)]
        self.plants = [{"SIGN": "I", "OPTION": "EQ", "LOW": plant, "HIGH": ""} for plant in settings.plants]

    def pages(self, since: datetime, until: datetime) -> Iterator[Page[GoodsMovement]]:
        first = max(FIRST_DAY, since.astimezone(self.zone).date() - timedelta(days=self.settings.posting_lookback_days))
        last = until.astimezone(self.zone).date()
        days = fitting = self.settings.slice_days  # fitting: the longest slice with documents known to fit
        while first <= last:
            high = min(first + timedelta(days=days - 1), last)
            try:
                headers, items = self._slice(first, high)
            except ResponseTooLarge:
                if high == first:
                    raise
                days = fitting = max(1, ((high - first).days + 1) // 2)
                continue
            yield self._page(headers, items, since, first, high)
            days = min(LONGEST_SLICE_DAYS, days * 2) if not items else fitting
            first = high + timedelta(days=1)

    def _slice(self, low: date, high: date) -> tuple[list[Row], list[Row]]:
        tables = {"PSTNG_DATE_RA": [{"SIGN": "I", "OPTION": "BT", "LOW": low.isoformat(), "HIGH": high.isoformat()}],
                  "MOVE_TYPE_RA": self.types, "GOODSMVT_HEADER": [], "GOODSMVT_ITEMS": []}
        if self.plants:
            tables["PLANT_RA"] = self.plants
        answer = self.call.call({}, tables, {"GOODSMVT_HEADER": HEADER, "GOODSMVT_ITEMS": ITEM})
        return answer.tables["GOODSMVT_HEADER"], answer.tables["GOODSMVT_ITEMS"]

    def _page(self, headers: list[Row], items: list[Row], since: datetime, low: date,
              high: date) -> Page[GoodsMovement]:
        documents: dict[tuple[str, str], Row] = {}
        for header in headers:
            key = (header.get("MAT_DOC", ""), header.get("DOC_YEAR", ""))
            if key in documents:
                raise PayloadError(f"SAP {self.call.function} answered document {key[0]}/{key[1]} twice in "
                                   f"GOODSMVT_HEADER ({low}..{high})")
            documents[key] = header
        page: Page[GoodsMovement] = Page(records=[], ordered=False)
        with_items = set()
        for item in items:
            key = (item.get("MAT_DOC", ""), item.get("DOC_YEAR", ""))
            header = documents.get(key)
            if header is None:
                raise PayloadError(f"SAP {self.call.function} answered item {key[0]}/{key[1]}/"
                                   f"{item.get('MATDOC_ITM')} without its document in GOODSMVT_HEADER")
            with_items.add(key)
            if item.get("MOVE_TYPE") not in COUNTED_MOVEMENTS:
                raise PayloadError(f"SAP {self.call.function} answered movement type {item.get('MOVE_TYPE')!r} "
                                   f"(item {key[0]}/{key[1]}/{item.get('MATDOC_ITM')}), which MOVE_TYPE_RA excluded")
            if not item.get("PO_NUMBER"):
                continue  # a movement without a purchase order says nothing of a supplier
            record = self._movement(header, item)
            if isinstance(record, Rejected) or record.changed_at >= since:
                (page.rejected if isinstance(record, Rejected) else page.records).append(record)
        if set(documents) - with_items:
            document, year = sorted(set(documents) - with_items)[0]
            raise PayloadError(f"SAP {self.call.function} answered document {document}/{year} without items")
        page.cursor = max((r.changed_at for r in page.records), default=None)
        return page

    def _movement(self, header: Row, item: Row) -> GoodsMovement | Rejected:
        key = f"{item.get('MAT_DOC')}/{item.get('DOC_YEAR')}/{item.get('MATDOC_ITM')}"
        try:
            unit = item.get("ENTRY_UOM")
            if unit not in self.units:
                raise ValueError(f"unit {unit!r} is unknown (configure sap.units)")
            reverses = None
            if item.get("MOVE_TYPE") == REVERSAL and item.get("REF_DOC"):
                reverses = {"document": item["REF_DOC"], "year": item.get("REF_DOC_YR"), "line": item.get("REF_DOC_IT")}
            return GoodsMovement.model_validate({
                "document": item.get("MAT_DOC"), "year": item.get("DOC_YEAR"), "line": item.get("MATDOC_ITM"),
                "movement_type": item.get("MOVE_TYPE"), "posting_date": header.get("PSTNG_DATE"),
                "quantity": item.get("ENTRY_QNT"), "unit": unit, "po": item.get("PO_NUMBER"),
                "po_item": item.get("PO_ITEM"), "reverses": reverses,
                "changed_at": self._entered(header.get("ENTRY_DATE"), header.get("ENTRY_TIME"))})
        except (ValueError, ValidationError) as exc:
            reason = validation_reason(exc) if isinstance(exc, ValidationError) else str(exc)
            return Rejected(key=key, reason=reason, raw=json.dumps({"GOODSMVT_HEADER": header, "GOODSMVT_ITEMS": item}))

    def _entered(self, day: str | None, time: str | None) -> datetime:
        """ENTRY_DATE and ENTRY_TIME, written in the SAP system's time zone, as an instant."""
        try:
            local = datetime.fromisoformat(f"{day}T{time}")
        except (TypeError, ValueError):
            raise ValueError(f"entry date and time {day!r} {time!r} are not a date and a time") from None
        return local.replace(tzinfo=self.zone).astimezone(timezone.utc)
