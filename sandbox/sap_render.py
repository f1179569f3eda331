"""Dataset records as the ERP PurchaseOrder and MaterialDocument structures of SAP's query services.

Served as written, malformed values included, so that the connector's own validation is what
gets tested. Delivery dates are `LOCAL_DateTime` values in the plant's time zone: schedule lines
as the UTC instant of the plant's midnight (`2026-05-09T22:00:00Z`, `timeZoneCode="CET"`),
confirmations as the plant's wall-clock time (`2026-05-10T00:00:00`); both forms are valid and
both name the same calendar date.

ERP's `Confirmation` carries no creation date. A confirmation is a change of its order, so an
order's `LastChangeDateTime` is the later of its `changed_at` and its confirmations' `date`
(at noon UTC, the same calendar day in every plant's zone within twelve hours of UTC; never later
than the moment the dataset is loaded, as SAP dates no change in the future).
"""
from collections import defaultdict
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from lxml import etree

from sandbox.sap_query import instant


def sub(parent: etree._Element, tag: str, text: object = None, **attrs: str | None) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None} if attrs else None)
    if text is not None:
        element.text = text if type(text) is str else str(text)
    return element


def global_date_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_change(po: dict, now: datetime | None = None) -> datetime:
    """The order's `changed_at`, or the latest of its confirmations' dates (noon UTC, at most `now`) if later."""
    changes = [instant(po["changed_at"])]
    for item in po.get("items", ()):
        for confirmation in item.get("confirmations", ()):
            try:
                noon = datetime.combine(date.fromisoformat(confirmation["date"]), time(12), timezone.utc)
            except (KeyError, TypeError, ValueError):
                continue  # no date, or a malformed one: not a change the stand-in can place
            changes.append(noon if now is None else min(noon, now))
    return max(changes)


class Renderer:
    def __init__(self, zone_code: str, zone: str) -> None:
        self.zone_code, self.zone = zone_code, ZoneInfo(zone)
        self._midnights: dict[str, str] = {}  # a dataset's due dates repeat: each converted once

    def _midnight_utc(self, day: str) -> str:
        if type(day) is not str:
            return self._convert_midnight(day)
        known = self._midnights.get(day)
        if known is None:
            known = self._midnights[day] = self._convert_midnight(day)
        return known

    def _convert_midnight(self, day: str) -> str:
        try:
            local = datetime.combine(date.fromisoformat(day), time(0), self.zone)
        except (TypeError, ValueError):
            return day  # served as written
        return global_date_time(local)

    def purchase_order(self, parent: etree._Element, po: dict, changed_at: datetime) -> None:
        element = sub(parent, "PurchaseOrder")
        sub(element, "ID", po.get("id"))
        sub(sub(element, "SystemAdministrativeData"), "LastChangeDateTime", global_date_time(changed_at))
        sub(element, "PurchaseOrderDate", po.get("order_date"))
        sub(sub(element, "SellerParty"), "InternalID", po.get("vendor"))
        for item in po.get("items", ()):
            unit = item.get("unit")
            xml_item = sub(element, "Item")
            sub(xml_item, "ID", item.get("id"))
            sub(xml_item, "Quantity", item.get("quantity"), unitCode=unit)
            sub(xml_item, "PlantID", item.get("plant"))
            sub(sub(xml_item, "Product"), "InternalID", item.get("material"))
            price = sub(sub(xml_item, "Price"), "NetPrice")
            sub(price, "Amount", item.get("net_price"), currencyCode=po.get("currency"))
            sub(price, "BaseQuantity", item.get("price_unit", 1), unitCode=unit)
            for line in item.get("schedule_lines", ()):
                xml_line = sub(xml_item, "ScheduleLine")
                sub(xml_line, "ID", line.get("id"))
                due = line.get("due")
                sub(xml_line, "DeliveryDateTime", self._midnight_utc(due) if due else "", timeZoneCode=self.zone_code)
                sub(xml_line, "Quantity", line.get("quantity"), unitCode=unit)
            for number, confirmation in enumerate(item.get("confirmations", ()), 1):
                xml_confirmation = sub(xml_item, "Confirmation")
                sub(xml_confirmation, "ID", confirmation.get("id", f"{number:04d}"))
                sub(xml_confirmation, "ProcessingTypeCode", confirmation.get("type", "AB"))
                sub(xml_confirmation, "Quantity", confirmation.get("quantity"), unitCode=unit)
                if confirmation.get("due"):
                    sub(xml_confirmation, "DeliveryDateTime", f"{confirmation['due']}T00:00:00",
                        timeZoneCode=self.zone_code)

    @staticmethod
    def material_document(parent: etree._Element, document: dict, changed_at: datetime) -> None:
        element = sub(parent, "MaterialDocument")
        sub(element, "ID", document["document"])
        sub(element, "FiscalYear", document["year"])
        sub(element, "PostingDate", document["posting_date"])
        sub(sub(element, "SystemAdministrativeData"), "LastChangeDateTime", global_date_time(changed_at))
        for movement in document["items"]:
            item = sub(element, "Item")
            sub(item, "ID", movement.get("line"))
            sub(item, "GoodsMovementTypeCode", movement.get("movement_type"))
            sub(item, "Quantity", movement.get("quantity"), unitCode=movement.get("unit"))
            reference = sub(item, "PurchaseOrderReference")
            sub(reference, "ID", movement.get("po"))
            sub(reference, "ItemID", movement.get("po_item"))
            if movement.get("schedule_line"):
                sub(reference, "ScheduleLineID", movement["schedule_line"])
            if movement.get("reverses"):
                reversed_ref = sub(item, "ReversedMaterialDocumentReference")
                sub(reversed_ref, "ID", movement["reverses"]["document"])
                sub(reversed_ref, "FiscalYear", movement["reverses"]["year"])
                sub(reversed_ref, "ItemID", movement["reverses"]["line"])


def material_documents(movements: list[dict]) -> list[dict]:
    """Movements grouped into their documents, lines in order."""
    grouped: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for movement in movements:
        grouped[(str(movement["document"]), int(movement["year"]))].append(movement)
    documents = []
    for (number, year), items in grouped.items():
        first = items[0]
        stamp = first.get("changed_at") or f"{first['posting_date']}T00:00:00Z"
        documents.append({"document": number, "year": year, "posting_date": first["posting_date"],
                          "changed_at": stamp, "items": sorted(items, key=lambda m: int(m["line"]))})
    return documents
