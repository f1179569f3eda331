"""The test BAPI server's generator keeps the promises of its docstring."""
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from tests.support.bapi_generator import VENDORS, generate_dataset


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset()


def movements(dataset):
    return [(d, i) for d in dataset.documents for i in d.items]


def test_same_seed_same_data_other_seed_other_data():
    assert generate_dataset(seed=5) == generate_dataset(seed=5)
    assert generate_dataset(seed=5) != generate_dataset(seed=6)


def test_orders_from_six_vendors_over_five_months_across_a_year_end(dataset):
    assert len(dataset.orders) >= 30
    assert {o.vendor for o in dataset.orders} == set(VENDORS)
    assert all(len(o.vendor) == 10 and o.vendor.startswith("0000") for o in dataset.orders)
    dates = sorted(o.doc_date for o in dataset.orders)
    assert (dates[-1] - dates[0]).days > 150 and dates[0].year < dates[-1].year
    assert len({o.po_number for o in dataset.orders}) == len(dataset.orders)


def test_items_schedule_lines_and_confirmations(dataset):
    items = [i for o in dataset.orders for i in o.items]
    assert {len(o.items) for o in dataset.orders} <= {1, 2, 3} and len({len(o.items) for o in dataset.orders}) > 1
    assert all(i.quantity == sum(line.quantity for line in i.schedules) for i in items)
    assert Counter(len(i.schedules) for i in items).keys() >= {1, 2, 3}
    assert all([line.sched_line for line in i.schedules] == [f"{n:04d}" for n in range(1, len(i.schedules) + 1)]
               for i in items)
    kinds = Counter(tuple(c.conf_type for c in i.confirmations) for i in items)
    assert kinds[()] and kinds[("AB",)] and kinds[("AB", "LA")]
    assert all(i.ackn_reqd == ("X" if i.confirmations else "") for i in items)
    assert any(i.delete_ind == "L" for i in items)


def test_every_movement_type_and_one_srm_bridge_does_not_count(dataset):
    types = Counter(i.move_type for _, i in movements(dataset))
    assert types.keys() >= {"101", "102", "122", "161", "103", "201"}
    assert types["101"] > 50 and types["102"] >= 3 and types["122"] >= 3


def test_quantities_are_unsigned_and_references_follow_mseg(dataset):
    by_key = {(d.mat_doc, d.doc_year, i.matdoc_itm): (d, i) for d, i in movements(dataset)}
    for document, item in movements(dataset):
        assert item.entry_qnt > 0
        reference = (item.ref_doc, item.ref_doc_yr, item.matdoc_itm if item.move_type != "201" else "")
        if item.move_type in ("101", "103", "161"):
            assert (item.ref_doc, item.ref_doc_yr, item.ref_doc_it) == (document.mat_doc, document.doc_year, item.matdoc_itm)
        elif item.move_type in ("102", "122"):
            original_document, original = by_key[(item.ref_doc, item.ref_doc_yr, item.ref_doc_it)]
            assert original.move_type == "101" and (original.po_number, original.po_item) == (item.po_number, item.po_item)
            assert original_document.pstng_date <= document.pstng_date
            if item.move_type == "102":
                assert original.entry_qnt == item.entry_qnt
        else:
            assert item.po_number == "" and reference[0] == "" and document.tr_ev_type == "WA"


def test_document_numbers_restart_each_year_and_a_reversal_crosses_it(dataset):
    keys = [(d.mat_doc, d.doc_year) for d in dataset.documents]
    assert len(set(keys)) == len(keys)
    years = {}
    for number, year in keys:
        years.setdefault(number, set()).add(year)
    assert any(len(found) == 2 for found in years.values())
    assert any(i.move_type == "102" and i.ref_doc_yr < d.doc_year for d, i in movements(dataset))
    assert all(d.doc_year == str(d.pstng_date.year) for d in dataset.documents)
    assert all(d.mat_doc.startswith("49" if d.tr_ev_type == "WA" else "50") for d in dataset.documents)


def test_documents_group_one_order_type_and_day_with_numbered_items(dataset):
    for document in dataset.documents:
        assert [i.matdoc_itm for i in document.items] == [f"{n:04d}" for n in range(1, len(document.items) + 1)]
        assert len({(i.po_number, i.move_type) for i in document.items}) == 1
        assert document.entry_date >= document.pstng_date
    assert any(d.entry_date > d.pstng_date for d in dataset.documents)


def test_receipts_match_the_order_and_spread_over_months(dataset):
    for document, item in movements(dataset):
        if not item.po_number:
            continue
        order = dataset.order(item.po_number)
        ordered = order.item(item.po_item)
        assert not ordered.delete_ind
        assert (item.vendor, item.material, item.plant, item.entry_uom) == (order.vendor, ordered.material,
                                                                            ordered.plant, ordered.po_unit)
        assert item.amount_lc == (item.entry_qnt * ordered.net_price / ordered.price_unit).quantize(Decimal("0.01"))
    months = {(d.pstng_date.year, d.pstng_date.month) for d in dataset.documents}
    assert len(months) >= 5
    assert max(d.pstng_date for d in dataset.documents) <= date(2025, 4, 30)


def test_split_receipts_and_lines_not_yet_received(dataset):
    receipts = Counter((i.po_number, i.po_item) for _, i in movements(dataset) if i.move_type == "101")
    lines = {(o.po_number, i.po_item): len(i.schedules) for o in dataset.orders for i in o.items if not i.delete_ind}
    assert any(receipts[key] > count for key, count in lines.items())            # split or posted again
    assert any(receipts[key] < count for key, count in lines.items())            # lines still open
    assert any(count > 1 and receipts[key] >= count for key, count in lines.items())
