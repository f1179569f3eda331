"""SAP response elements → domain records, through the configured element paths.

Each reader compiles its paths once into a tree keyed by local element name; `collect` gathers
an object's values in one pass over its elements (any namespace), already shaped like the
domain record, and the domain model validates and converts them. A record that cannot be
trusted (a field missing or malformed, a negative quantity, an unknown unit, an over-long value)
becomes `Rejected` with the reason and the raw XML fragment; a purchase order is refused whole,
a material document line by line. Movements that name no purchase order are not read.
"""
from dataclasses import dataclass, field
from typing import Iterator

from lxml import etree
from pydantic import ValidationError

from config.sap_mapping import GoodsMovementMapping, PurchaseOrderMapping
from connectors.sap_dates import BadValue, LocalDates
from domain.records import GoodsMovement, PurchaseOrder, Rejected


@dataclass(slots=True)
class Step:
    """What to take from an element with this local name: its text, attributes, children, or a new list entry."""

    text: str | None = None
    attributes: list[tuple[str, str]] = field(default_factory=list)
    children: dict[str, "Step"] = field(default_factory=dict)
    repeat: str | None = None


def compile_paths(fields: dict[str, str | None], repeats: dict[str, tuple[str, dict[str, Step]]]) -> dict[str, Step]:
    """Record key → path, e.g. `{"vendor": "SellerParty/InternalID"}`, as a tree of `Step`s by element name."""
    tree: dict[str, Step] = {}

    def place(path: str) -> Step:
        level, step = tree, Step()
        for name in path.split("/"):
            step = level.setdefault(name, Step())
            level = step.children
        return step

    for key, path in fields.items():
        if path is None:
            continue
        steps, _, attribute = path.partition("@")
        if not steps:
            raise ValueError(f"{key}: an attribute of the object element itself is not supported")
        step = place(steps)
        if attribute:
            step.attributes.append((attribute, key))
        else:
            step.text = key
    for key, (path, children) in repeats.items():
        step = place(path)
        step.repeat, step.children = key, children
    return tree


_UNSEEN = Step()


def _step(tree: dict, tag: object) -> Step | None:
    """The step for a child's tag in any namespace, remembered under the full tag (unknown ones as None)."""
    step = tree.get(tag[tag.rfind("}") + 1:]) if isinstance(tag, str) else None
    tree[tag] = step
    return step


def collect(element: etree._Element, tree: dict, max_chars: int, into: dict) -> dict:
    """The first occurrence of each field, stripped (empty → absent); repeated elements as lists of dicts."""
    find = tree.get
    for child in element:
        step = find(child.tag, _UNSEEN)
        if step is _UNSEEN:
            step = _step(tree, child.tag)
        if step is None:
            continue
        if step.repeat is not None:
            into.setdefault(step.repeat, []).append(collect(child, step.children, max_chars, {}))
            continue
        key = step.text
        if key is not None and key not in into:
            text = child.text
            if text is not None:
                value = text.strip()
                if len(value) > max_chars:
                    raise BadValue(f"{key} is longer than {max_chars} characters")
                if value:
                    into[key] = value
        if step.attributes:
            for attribute, key in step.attributes:
                if key not in into:
                    _put(into, key, child.get(attribute), max_chars)
        if step.children:
            collect(child, step.children, max_chars, into)
    return into


def _put(into: dict, key: str, value: str | None, max_chars: int) -> None:
    """`collect`'s rule for an attribute's value (a text's is the same, written out where it runs most)."""
    if value is None:
        return
    value = value.strip()
    if len(value) > max_chars:
        raise BadValue(f"{key} is longer than {max_chars} characters")
    if value:
        into[key] = value


def _day(record: dict, key: str) -> None:
    """`2026-05-10T00:00:00` → `2026-05-10`: an `xsd:date` field written as a date-time, as SAP wrote it."""
    value = record.get(key)
    if value is not None and len(value) > 10 and value[10] == "T":
        record[key] = value[:10]


def integral(record: dict, key: str) -> None:
    """`1.000` → `1`: a price unit written as a decimal quantity."""
    value = record.get(key)
    if value is not None and "." in value:
        whole, _, fraction = value.partition(".")
        if not fraction.strip("0"):
            record[key] = whole


def _check_unit(record: dict, units: frozenset[str]) -> None:
    unit = record.get("unit")
    if unit is not None and unit not in units:
        raise BadValue(f"unit {unit!r} is unknown (configure sap.units)")


def validation_reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())


def _fragment(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode")[:20_000]


def _key(record: dict, name: str) -> str:
    return str(record.get(name) or "unknown")[:120]


def _paths(mapping: PurchaseOrderMapping | GoodsMovementMapping, **keys: str) -> dict[str, str | None]:
    """Record key → the configured path of that mapping field (`id="item_id"`: the item's `id` is at `item_id`);
    None when the service does not send it."""
    return {key: getattr(mapping, name) for key, name in keys.items()}


class PurchaseOrderReader:
    """A purchase order with its items, schedule lines and confirmations, refused whole when one part is bad.

    Delivery dates become plant-local calendar dates (`LocalDates`). A confirmation carries the plant
    date of this answer's `LastChangeDateTime` as `seen_on`: the store keeps the first one it was given.
    """

    def __init__(self, mapping: PurchaseOrderMapping, units: list[str], max_chars: int, dates: LocalDates) -> None:
        m = mapping
        lines = compile_paths(_paths(m, id="line_id", due="line_due", due_zone="line_due_time_zone",
                                     quantity="line_quantity"), {})
        confirmations = compile_paths(_paths(m, id="confirmation_id", processing_type="confirmation_type",
                                             confirmed_on="confirmed_on", due="confirmed_due",
                                             due_zone="confirmed_due_time_zone", quantity="confirmed_quantity"), {})
        item = compile_paths(_paths(m, id="item_id", material="material", plant="plant", quantity="quantity",
                                    unit="unit", net_price="net_price", price_currency="price_currency",
                                    price_unit="price_unit", price_unit_of_measure="price_unit_of_measure"),
                             {"schedule_lines": (m.schedule_line, lines), "confirmations": (m.confirmation, confirmations)})
        self.tree = compile_paths(_paths(m, id="id", changed_at="changed_at", order_date="order_date", vendor="vendor",
                                         currency="currency"), {"items": (m.item, item)})
        self.units, self.max_chars, self.dates = frozenset(units), max_chars, dates

    def __call__(self, element: etree._Element) -> PurchaseOrder | Rejected:
        order: dict = {}
        try:
            collect(element, self.tree, self.max_chars, order)
            _day(order, "order_date")
            items = order.setdefault("items", [])
            _order_currency(order, items)
            for item in items:
                self._item(item, order)
            return PurchaseOrder.model_validate(order)
        except BadValue as exc:
            return Rejected(key=_key(order, "id"), reason=str(exc), raw=_fragment(element))
        except ValidationError as exc:
            return Rejected(key=_key(order, "id"), reason=validation_reason(exc), raw=_fragment(element))

    def _item(self, item: dict, order: dict) -> None:
        _check_unit(item, self.units)
        integral(item, "price_unit")
        priced_per = item.pop("price_unit_of_measure", None)
        if priced_per is not None and priced_per != item.get("unit"):
            raise BadValue(f"item {_key(item, 'id')} is priced per {priced_per} but ordered in {item.get('unit')}")
        for line in item.setdefault("schedule_lines", []):
            self._local_day(line, "due", line.pop("due_zone", None), "schedule line")
        for confirmation in item.setdefault("confirmations", []):
            if order.get("changed_at"):
                self._local_day(confirmation, "seen_on", "<plant>", "order", order["changed_at"])
            self._local_day(confirmation, "due", confirmation.pop("due_zone", None), "confirmation")
            self._local_day(confirmation, "confirmed_on", None, "confirmation")

    def _local_day(self, record: dict, key: str, zone: str | None, where: str, value: str | None = None) -> None:
        """`record[key]` (or `value`) as a plant-local calendar date; `zone` "<plant>": an instant in the plant's zone."""
        value = record.get(key) if value is None else value
        if value is None:
            return
        try:
            record[key] = self.dates.plant_day(value) if zone == "<plant>" else self.dates.day(value, zone)
        except BadValue as exc:
            raise BadValue(f"{where} {key}: {exc}") from None


def _order_currency(order: dict, items: list[dict]) -> None:
    """The order's currency, or its items' price currency when the service sends none: one currency per order."""
    currencies = {item.pop("price_currency") for item in items if "price_currency" in item}
    if "currency" not in order and len(currencies) == 1:
        order["currency"] = next(iter(currencies))
    elif currencies - {order.get("currency")}:
        held = f"the order in {order['currency']}" if "currency" in order else "an order has one currency"
        raise BadValue(f"items are priced in {', '.join(sorted(currencies))}: {held}")


class GoodsMovementReader:
    REVERSES = {"reverses_document": "document", "reverses_year": "year", "reverses_line": "line"}

    def __init__(self, mapping: GoodsMovementMapping, units: list[str], max_chars: int) -> None:
        m = mapping
        item = compile_paths(_paths(m, line="line", movement_type="movement_type", quantity="quantity", unit="unit",
                                    po="po", po_item="po_item", schedule_line="schedule_line",
                                    **{key: key for key in self.REVERSES}), {})
        self.tree = compile_paths(_paths(m, document="document", year="year", posting_date="posting_date",
                                         changed_at="changed_at"), {"items": (m.item, item)})
        self.units, self.max_chars = frozenset(units), max_chars

    def __call__(self, element: etree._Element) -> list[GoodsMovement | Rejected]:
        return list(self._lines(element))

    def _lines(self, element: etree._Element) -> Iterator[GoodsMovement | Rejected]:
        document: dict = {}
        try:
            collect(element, self.tree, self.max_chars, document)
        except BadValue as exc:
            yield Rejected(key=_key(document, "document"), reason=str(exc), raw=_fragment(element))
            return
        _day(document, "posting_date")
        items = document.pop("items", [])
        for item in items:
            if "po" not in item and "po_item" not in item:
                continue  # a movement without a purchase order (a 201 issue to a cost centre) says nothing of a supplier
            try:
                _check_unit(item, self.units)
                reverses = {field: item.pop(key) for key, field in self.REVERSES.items() if key in item}
                yield GoodsMovement.model_validate({**document, **item, "reverses": reverses or None})
            except (BadValue, ValidationError) as exc:
                reason = validation_reason(exc) if isinstance(exc, ValidationError) else str(exc)
                key = f"{_key(document, 'document')}/{_key(document, 'year')}/{_key(item, 'line')}"
                yield Rejected(key=key, reason=reason, raw=_fragment(element))  # the document, for its header
