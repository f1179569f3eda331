"""The seeded dataset of the test ES server has what the connector's tests rely on."""
from collections import Counter

from tests.support.es_generator import generate_dataset


def test_same_seed_same_data_other_seed_other_data():
    assert generate_dataset(5) == generate_dataset(5)
    assert generate_dataset(5) != generate_dataset(6)


def test_orders_items_schedule_lines_and_confirmations():
    orders = generate_dataset().purchase_orders
    items = [item for order in orders for item in order.items]
    assert len(orders) >= 36 and len({o.id for o in orders}) == len(orders)
    assert any(len(order.items) > 1 for order in orders)
    assert any(len(item.schedule_lines) > 1 for item in items)
    assert any(item.confirmations for item in items) and any(not item.confirmations for item in items)
    assert {c.processing_type_code for item in items for c in item.confirmations} == {"AB", "LA"}
    for item in items:
        assert item.quantity.value == sum(line.quantity.value for line in item.schedule_lines)
    assert {line.delivery_date_time.time_zone_code for item in items for line in item.schedule_lines} == {"CET", "UTC"}


def test_change_times_spread_tied_and_out_of_step_with_order_numbers():
    orders = generate_dataset().purchase_orders
    by_time = [o.id for o in sorted(orders, key=lambda o: (o.last_change_date_time, o.id))]
    assert by_time != sorted(by_time)
    assert any(count > 1 for count in Counter(o.last_change_date_time for o in orders).values())
    moments = sorted(o.last_change_date_time for o in orders)
    assert len(set(moments)) >= 25 and (moments[-1] - moments[0]).days >= 21
    assert all(o.last_change_date_time >= o.creation_date_time for o in orders)


def test_material_documents_cover_receipts_reversals_returns_and_other_movements():
    dataset = generate_dataset()
    items = {(d.id, d.fiscal_year, i.id): i for d in dataset.material_documents for i in d.items}
    types = Counter(i.goods_movement_type_code for i in items.values())
    assert {"101", "102", "122", "161", "201"} <= set(types)
    assert types["101"] > types["102"] > 0
    lines = {(o.id, i.id, s.id) for o in dataset.purchase_orders for i in o.items for s in i.schedule_lines}
    order_items = {(o.id, i.id) for o in dataset.purchase_orders for i in o.items}
    split = Counter((r.id, r.item_id, r.schedule_line_id) for i in items.values()
                    if i.goods_movement_type_code == "101" and (r := i.purchase_order_reference) and r.schedule_line_id)
    assert any(count > 1 for count in split.values())
    for item in items.values():
        reference = item.purchase_order_reference
        if item.goods_movement_type_code == "201":
            assert reference is None
            continue
        assert (reference.id, reference.item_id) in order_items
        assert reference.schedule_line_id is None or (reference.id, reference.item_id, reference.schedule_line_id) in lines
        reversed_ = item.reversed_material_document_reference
        assert (reversed_ is not None) == (item.goods_movement_type_code == "102")
        if reversed_ is not None:
            original = items[(reversed_.id, reversed_.fiscal_year, reversed_.item_id)]
            assert original.goods_movement_type_code == "101"
            assert (original.purchase_order_reference, original.quantity) == (reference, item.quantity)
    assert any(r.schedule_line_id is None for i in items.values() if (r := i.purchase_order_reference))


def test_material_documents_change_times_tie_and_spread():
    documents = generate_dataset().material_documents
    assert any(count > 1 for count in Counter(d.last_change_date_time for d in documents).values())
    assert any(len(d.items) > 1 for d in documents)
    assert all(d.fiscal_year == str(d.posting_date.year) for d in documents)
