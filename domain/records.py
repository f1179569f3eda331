"""Domain records as the connectors deliver them; nothing here knows a wire format."""
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

RECEIPT, REVERSAL = "101", "102"
RETURNS = frozenset({"122", "161"})
COUNTED_MOVEMENTS = frozenset({RECEIPT, REVERSAL}) | RETURNS


def normalize_vendor_id(raw: str) -> str:
    """SAP's ALPHA conversion: numeric vendor numbers are zero-padded to 10, others upper-cased."""
    value = raw.strip()
    if not value:
        raise ValueError("vendor id is empty")
    if value.isdigit():
        if len(value) > 10:
            raise ValueError(f"vendor id {value!r} is longer than 10 digits")
        return value.zfill(10)
    if len(value) > 10:
        raise ValueError(f"vendor id {value!r} is longer than 10 characters")
    return value.upper()


def assume_utc(value: datetime) -> datetime:
    """An instant written without an offset is UTC (SAP's time stamps are)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


VendorId = Annotated[str, AfterValidator(normalize_vendor_id)]
Instant = Annotated[datetime, AfterValidator(assume_utc)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]
PositiveQuantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]
Code = Annotated[str, Field(min_length=1, max_length=10)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScheduleLine(Record):
    id: Code
    due: date
    quantity: PositiveQuantity


class Confirmation(Record):
    """A supplier's confirmation of an item. It counts from `confirmed_on`, a date SAP sends (ERP's
    confirmations carry none), else from the first `seen_on` stored: the plant date of the order's
    last change in the answer that carried it."""

    id: Code | None = None
    processing_type: str | None = Field(None, min_length=1, max_length=4)
    confirmed_on: date | None = None
    seen_on: date | None = None
    due: date | None = None
    quantity: Quantity

    @model_validator(mode="after")
    def _dated(self) -> "Confirmation":
        if self.confirmed_on is None and self.seen_on is None:
            raise ValueError("a confirmation needs the date it was made or the date it was seen")
        return self


class PurchaseOrderItem(Record):
    id: Code
    material: str = Field(min_length=1, max_length=40)
    plant: Code
    quantity: PositiveQuantity
    unit: str = Field(min_length=1, max_length=6)
    net_price: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
    price_unit: int = Field(1, ge=1, le=1_000_000)
    schedule_lines: tuple[ScheduleLine, ...]
    confirmations: tuple[Confirmation, ...] = ()

    @field_validator("schedule_lines")
    @classmethod
    def _has_lines(cls, lines: tuple[ScheduleLine, ...]) -> tuple[ScheduleLine, ...]:
        if not lines:
            raise ValueError("an item needs at least one schedule line")
        if len({line.id for line in lines}) != len(lines):
            raise ValueError("schedule line ids repeat")
        return lines

    @field_validator("confirmations")
    @classmethod
    def _distinct_confirmations(cls, confirmations: tuple[Confirmation, ...]) -> tuple[Confirmation, ...]:
        ids = [c.id for c in confirmations if c.id is not None]
        if len(set(ids)) != len(ids):
            raise ValueError("confirmation ids repeat")
        return confirmations


class PurchaseOrder(Record):
    id: str = Field(min_length=1, max_length=20)
    vendor: VendorId
    order_date: date
    currency: str = Field(min_length=3, max_length=3)
    changed_at: Instant
    items: tuple[PurchaseOrderItem, ...]

    @property
    def key(self) -> str:
        return self.id


class MovementRef(Record):
    document: Code
    year: int = Field(ge=1900, le=9999)
    line: int = Field(ge=1, le=999_999)


class GoodsMovement(Record):
    document: Code
    year: int = Field(ge=1900, le=9999)
    line: int = Field(ge=1, le=999_999)
    movement_type: str = Field(min_length=1, max_length=3)
    posting_date: date
    quantity: PositiveQuantity
    unit: str = Field(min_length=1, max_length=6)
    po: str = Field(min_length=1, max_length=20)
    po_item: Code
    schedule_line: Code | None = None
    reverses: MovementRef | None = None
    changed_at: Instant

    @property
    def key(self) -> str:
        return f"{self.document}/{self.year}/{self.line}"


class SupplierAccount(Record):
    id: str = Field(min_length=15, max_length=18)
    name: str = Field(max_length=255)
    vendor_id: VendorId | None = None
    owner_id: str | None = Field(None, max_length=18)
    owner_name: str | None = Field(None, max_length=255)
    industry: str | None = Field(None, max_length=255)
    tier: str | None = Field(None, max_length=80)
    risk_rating: str | None = Field(None, max_length=80)
    is_deleted: bool = False
    modstamp: Instant

    @property
    def key(self) -> str:
        return self.id


class Rejected(Record):
    """A record the connector could not turn into a domain record: quarantined, never dropped."""

    key: str
    reason: str
    raw: str | bytes  # as received
    waits: bool = False  # refused for now only (a reversal before its original): stored again at the end of the pull


R = TypeVar("R", bound=Record)


class Page(BaseModel, Generic[R]):
    """One page of a pull: what to store, what to quarantine, and the cursor it reaches."""

    records: list[R]
    rejected: list[Rejected] = []
    cursor: datetime | None = None
    ordered: bool = True  # False: this page or one before it came out of change-time order (see sync/streams.py)
