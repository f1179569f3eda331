"""The data an Enterprise Services test server serves, in plain Python, named after SAP's elements.

Each attribute is the snake_case form of the SAP element it is sent as, so a test can compare
what a connector stored with the source without reading XML:

- `PurchaseOrder`: `id` (ID), `purchase_order_date` (PurchaseOrderDate), `creation_date_time` and
  `last_change_date_time` (SystemAdministrativeData/CreationDateTime, /LastChangeDateTime: aware,
  UTC), `seller_party_internal_id` (SellerParty/InternalID), `items`;
- `PurchaseOrderItem`: `id`, `quantity`, `plant_id` (PlantID), `product_internal_id`
  (Product/InternalID), `net_price` (Price/NetPrice: `amount`, `base_quantity`), `confirmations`
  (Confirmation: `id`, `processing_type_code`, `quantity`, `delivery_date_time`; an ERP
  confirmation has no creation date, so neither has this one), `schedule_lines` (ScheduleLine:
  `id`, `delivery_date_time`, `quantity`);
- `MaterialDocument`: `id`, `fiscal_year` ("2025"), `posting_date`, `creation_date_time`,
  `last_change_date_time`, `items`;
- `MaterialDocumentItem`: `id`, `goods_movement_type_code`, `quantity`, `purchase_order_reference`
  (`id`, `item_id`, `schedule_line_id` or None; None for movements without an order, e.g. 201),
  `reversed_material_document_reference` (`id`, `fiscal_year`, `item_id`; set on 102 only).

`Quantity` and `Amount` keep the unit and currency codes (`unitCode`, `currencyCode`). A
`LocalDateTime` (GDT LOCAL_DateTime) is the wall-clock time sent without an offset plus the SAP
time zone code sent in `timeZoneCode`; `instant` is the moment it names.
"""
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

# SAP time zone codes (table TTZZ) this server sends, and the zones whose rules they follow.
TIME_ZONES = {"UTC": timezone.utc, "CET": ZoneInfo("Europe/Berlin")}


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit_code: str


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency_code: str


@dataclass(frozen=True)
class Price:
    amount: Amount
    base_quantity: Quantity


@dataclass(frozen=True)
class LocalDateTime:
    """A wall-clock time in the SAP time zone `time_zone_code`, sent without an offset."""
    value: datetime
    time_zone_code: str

    @property
    def instant(self) -> datetime:
        return self.value.replace(tzinfo=TIME_ZONES[self.time_zone_code]).astimezone(timezone.utc)

    @property
    def daylight_saving_time(self) -> bool:
        return bool(self.value.replace(tzinfo=TIME_ZONES[self.time_zone_code]).dst())


@dataclass(frozen=True)
class ScheduleLine:
    id: str
    delivery_date_time: LocalDateTime
    quantity: Quantity


@dataclass(frozen=True)
class Confirmation:
    id: str
    processing_type_code: str        # EKES-EBTYP: "AB" order acknowledgment, "LA" inbound delivery
    quantity: Quantity
    delivery_date_time: LocalDateTime


@dataclass(frozen=True)
class PurchaseOrderItem:
    id: str
    quantity: Quantity
    plant_id: str
    product_internal_id: str
    net_price: Price
    confirmations: tuple[Confirmation, ...]
    schedule_lines: tuple[ScheduleLine, ...]


@dataclass(frozen=True)
class PurchaseOrder:
    id: str
    purchase_order_date: date
    creation_date_time: datetime
    last_change_date_time: datetime
    seller_party_internal_id: str
    items: tuple[PurchaseOrderItem, ...]


@dataclass(frozen=True)
class PurchaseOrderReference:
    id: str
    item_id: str
    schedule_line_id: str | None = None


@dataclass(frozen=True)
class MaterialDocumentReference:
    id: str
    fiscal_year: str
    item_id: str


@dataclass(frozen=True)
class MaterialDocumentItem:
    id: str
    goods_movement_type_code: str
    quantity: Quantity
    purchase_order_reference: PurchaseOrderReference | None = None
    reversed_material_document_reference: MaterialDocumentReference | None = None


@dataclass(frozen=True)
class MaterialDocument:
    id: str
    fiscal_year: str
    posting_date: date
    creation_date_time: datetime
    last_change_date_time: datetime
    items: tuple[MaterialDocumentItem, ...]


@dataclass(frozen=True)
class EsDataset:
    purchase_orders: tuple[PurchaseOrder, ...]
    material_documents: tuple[MaterialDocument, ...]
