"""Domain records as the connectors deliver them; nothing here knows a wire format."""
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

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
    return value.upper()


VendorId = Annotated[str, AfterValidator(normalize_vendor_id)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]
PositiveQuantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScheduleLine(Record):
    id: str
    due: date
    quantity: PositiveQuantity


class Confirmation(Record):
    confirmed_on: date
    due: date | None = None
    quantity: Quantity


class PurchaseOrderItem(Record):
    id: str
    material: str
    plant: str
    quantity: PositiveQuantity
    unit: str
    net_price: Annotated[Decimal, Field(ge=0)]
    price_unit: int = Field(1, ge=1)
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


class PurchaseOrder(Record):
    id: str
    vendor: VendorId
    order_date: date
    currency: str = Field(min_length=3, max_length=3)
    changed_at: datetime
    items: tuple[PurchaseOrderItem, ...]

    @property
    def key(self) -> str:
        return self.id


class MovementRef(Record):
    document: str
    year: int
    line: int


class GoodsMovement(Record):
    document: str
    year: int
    line: int = Field(ge=1)
    movement_type: str
    posting_date: date
    quantity: PositiveQuantity
    unit: str
    po: str
    po_item: str
    schedule_line: str | None = None
    reverses: MovementRef | None = None
    changed_at: datetime

    @property
    def key(self) -> str:
        return f"{self.document}/{self.year}/{self.line}"


class SupplierAccount(Record):
    id: str
    name: str
    vendor_id: VendorId | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    industry: str | None = None
    tier: str | None = None
    risk_rating: str | None = None
    is_deleted: bool = False
    modstamp: datetime

    @property
    def key(self) -> str:
        return self.id


class Rejected(Record):
    """A record the connector could not turn into a domain record: quarantined, never dropped."""

    key: str
    reason: str
    raw: str


R = TypeVar("R", bound=Record)


class Page(BaseModel, Generic[R]):
    """One page of a pull: what to store, what to quarantine, and the cursor it reaches."""

    records: list[R]
    rejected: list[Rejected] = []
    cursor: datetime | None = None
