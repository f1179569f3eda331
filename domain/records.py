"""Domain records as the connectors deliver them; nothing here knows a wire format.

The field types are strict, so a value either means exactly one thing or is refused with its record:
numbers in ASCII decimal digits (no `1_000`, no other scripts' digits, no exponents), real calendar
dates and times between 1900 and 2199, text without control characters, and every length and range
within what its column stores (`tests/unit/test_record_limits.py` checks the two agree).
"""
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Callable, Generic, Iterable, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from domain.suppliers import is_supplier_id

RECEIPT, REVERSAL = "101", "102"
RETURNS = frozenset({"122", "161"})
COUNTED_MOVEMENTS = frozenset({RECEIPT, REVERSAL}) | RETURNS
FIRST_YEAR, LAST_YEAR = 1900, 2199

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # xsd:decimal
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
                      r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s")  # the characters `str.isspace` names: both test Python's own Unicode table


def normalize_vendor_id(raw: str) -> str:
    """SAP's ALPHA conversion (numbers zero-padded to 10, others upper-cased), then SAP's vendor number format."""
    value = raw.strip()
    if not value:
        raise ValueError("vendor id is empty")
    if value.isascii() and value.isdigit():
        if len(value) > 10:
            raise ValueError(f"vendor id {value!r} is longer than 10 digits")
        return value.zfill(10)
    if not is_supplier_id(value.upper()):
        raise ValueError(f"vendor id {value!r} is not a vendor number (up to 10 letters, digits, '-', '_', '/')")
    return value.upper()


def assume_utc(value: datetime) -> datetime:
    """An instant written without an offset is UTC (SAP's time stamps are)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _in_years(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"{value.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


def _ascii_number(pattern: re.Pattern, what: str) -> Callable[[Any], Any]:
    """A check that a number given as text is `what` (ASCII digits only), and that it is not a float or bool."""
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        if isinstance(value, (bool, float)):
            raise ValueError(f"{value!r} is not {what}: give it as text, floats are never exact")
        return value
    return check


decimal_text = _ascii_number(_DECIMAL, "a decimal number (ASCII digits, an optional sign and point)")
integer_text = _ascii_number(_INTEGER, "a whole number (ASCII digits)")


def calendar_day(value: Any) -> Any:
    """`YYYY-MM-DD`, or an ISO date-time whose time is real (then the date as written); a real calendar date."""
    if isinstance(value, datetime):
        raise ValueError("a date is expected, not a date-time")
    if isinstance(value, str):
        if _INSTANT.fullmatch(value):
            instant_text(value)
            value = value[:10]
        if not _DAY.fullmatch(value):
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a calendar date: {exc}") from None
    if not isinstance(value, date):
        raise ValueError(f"{value!r} is not a date")
    return value


def instant_text(value: Any) -> Any:
    """An ISO 8601 date-time with a real time of day: no epoch numbers, no hour 24 or 25."""
    if isinstance(value, str):
        if not _INSTANT.fullmatch(value):
            raise ValueError(f"{value!r} is not an ISO 8601 date-time")
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a real date and time: {exc}") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a date-time")
    return value


def _instant(value: datetime) -> datetime:
    return _in_years(assume_utc(value))


def _no_controls(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    return value


def _no_spaces(value: str) -> str:
    if not value.isprintable() or _SPACE.search(value):
        raise ValueError(f"{value!r} contains spaces or unprintable characters")
    return value


# Constraints before a BeforeValidator: pydantic then checks them in its compiled core (the text check still runs
# first), instead of in Python after it.
VendorId = Annotated[str, AfterValidator(normalize_vendor_id)]
Day = Annotated[date, BeforeValidator(calendar_day), AfterValidator(_in_years)]
Instant = Annotated[datetime, BeforeValidator(instant_text), AfterValidator(_instant)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3), BeforeValidator(decimal_text)]
PositiveQuantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=3), BeforeValidator(decimal_text)]
Price = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6), BeforeValidator(decimal_text)]
Code = Annotated[str, Field(min_length=1, max_length=10), AfterValidator(_no_spaces)]
DocumentId = Annotated[str, Field(min_length=1, max_length=20), AfterValidator(_no_spaces)]
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR), BeforeValidator(integer_text)]
LineNumber = Annotated[int, Field(ge=1, le=999_999), BeforeValidator(integer_text)]
SalesforceId = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")]


def text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_controls)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def supplier_id(self) -> str | None:
        """The supplier the record names, if it names one."""
        return None


class ScheduleLine(Record):
    id: Code
    due: Day
    quantity: PositiveQuantity


class Confirmation(Record):
    """A supplier's confirmation of an item. It counts from `confirmed_on`, a date SAP sends (ERP's
    confirmations carry none), else from the first `seen_on` stored: the plant date of the order's
    last change in the answer that carried it."""

    id: Code | None = None
    processing_type: Annotated[Code, Field(max_length=4)] | None = None
    confirmed_on: Day | None = None
    seen_on: Day | None = None
    due: Day | None = None
    quantity: Quantity

    @model_validator(mode="after")
    def _dated(self) -> "Confirmation":
        if self.confirmed_on is None and self.seen_on is None:
            raise ValueError("a confirmation needs the date it was made or the date it was seen")
        return self


class PurchaseOrderItem(Record):
    id: Code
    material: text(40, 1)
    plant: Code
    quantity: PositiveQuantity
    unit: Annotated[Code, Field(max_length=6)]
    net_price: Price
    price_unit: Annotated[int, Field(ge=1, le=1_000_000), BeforeValidator(integer_text)] = 1
    schedule_lines: tuple[ScheduleLine, ...]
    confirmations: tuple[Confirmation, ...] = ()

    @field_validator("schedule_lines")
    @classmethod
    def _has_lines(cls, lines: tuple[ScheduleLine, ...]) -> tuple[ScheduleLine, ...]:
        if not lines:
            raise ValueError("an item needs at least one schedule line")
        return lines  # repeated line ids: the store keeps the first copy

    @field_validator("confirmations")
    @classmethod
    def _distinct_confirmations(cls, confirmations: tuple[Confirmation, ...]) -> tuple[Confirmation, ...]:
        ids = [c.id for c in confirmations if c.id is not None]
        if len(set(ids)) != len(ids):
            raise ValueError("confirmation ids repeat")
        return confirmations


class PurchaseOrder(Record):
    id: DocumentId
    vendor: VendorId
    order_date: Day
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    changed_at: Instant
    items: tuple[PurchaseOrderItem, ...]

    @property
    def key(self) -> str:
        return self.id

    @property
    def supplier_id(self) -> str:
        return self.vendor

    def without_repeats(self) -> tuple["PurchaseOrder", list["Rejected"]]:
        """The order with the first copy of each item (by id) and of each of an item's schedule lines; the
        other copies refused as duplicates."""
        items, refused = first_copies(self.items, lambda item: item.id, lambda item: f"{self.id}/{item.id}")
        kept = []
        for item in items:
            lines, repeated = first_copies(item.schedule_lines, lambda line: line.id,
                                           lambda line, item=item: f"{self.id}/{item.id}/{line.id}")
            kept.append(item.model_copy(update={"schedule_lines": tuple(lines)}) if repeated else item)
            refused += repeated
        return (self.model_copy(update={"items": tuple(kept)}) if refused else self), refused


class MovementRef(Record):
    document: Code
    year: Year
    line: LineNumber


class GoodsMovement(Record):
    document: Code
    year: Year
    line: LineNumber
    movement_type: Annotated[Code, Field(max_length=3)]
    posting_date: Day
    quantity: PositiveQuantity
    unit: Annotated[Code, Field(max_length=6)]
    po: DocumentId
    po_item: Code
    schedule_line: Code | None = None
    reverses: MovementRef | None = None
    changed_at: Instant

    @property
    def key(self) -> str:
        return f"{self.document}/{self.year}/{self.line}"


class SupplierAccount(Record):
    id: SalesforceId
    name: text(255)
    vendor_id: VendorId | None = None
    owner_id: SalesforceId | None = None
    owner_name: text(255) | None = None
    industry: text(255) | None = None
    tier: text(80) | None = None
    risk_rating: text(80) | None = None
    is_deleted: bool = False
    modstamp: Instant

    @property
    def key(self) -> str:
        return self.id

    @property
    def supplier_id(self) -> str | None:
        return self.vendor_id


class Rejected(Record):
    """A record the connector could not turn into a domain record: quarantined, never dropped."""

    key: str
    reason: str
    raw: str | bytes  # as received
    waits: bool = False  # refused for now only (a reversal before its original): stored again at the end of the pull


R = TypeVar("R", bound=Record)


def first_copies(records: Iterable[R], identity: Callable[[R], object],
                 label: Callable[[R], str]) -> tuple[list[R], list[Rejected]]:
    """The first record of each identity, in order; the later copies refused as duplicates."""
    seen: set = set()
    kept, refused = [], []
    for record in records:
        key = identity(record)
        if key in seen:
            refused.append(Rejected(key=label(record), reason=f"duplicate of {label(record)} earlier in the same "
                                    "page: the first copy is kept", raw=record.model_dump_json()))
        else:
            seen.add(key)
            kept.append(record)
    return kept, refused


class Page(BaseModel, Generic[R]):
    """One page of a pull: what to store, what to quarantine, and the cursor it reaches."""

    records: list[R]
    rejected: list[Rejected] = []
    cursor: datetime | None = None
    ordered: bool = True  # False: this page or one before it came out of change-time order (see sync/streams.py)
