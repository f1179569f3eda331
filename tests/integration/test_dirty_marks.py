"""Scoring clears exactly the dirty marks it read, kept as runs of consecutive ids."""
from sqlalchemy import insert, select

from store.measurements import clear_dirty, dirty, mark_dirty
from store.tables import dirty_suppliers


def test_a_mark_committed_inside_a_gap_of_the_ids_read_is_kept(engine):
    with engine.begin() as connection:
        mark_dirty(connection, [(f"{n:010d}", f"2026-{month:02d}") for n in range(1, 4) for month in range(1, 5)])
        ids = sorted(connection.execute(select(dirty_suppliers.c.id)).scalars())
        late = ids[5]  # taken by a transaction that had not committed when scoring read the marks
        connection.execute(dirty_suppliers.delete().where(dirty_suppliers.c.id == late))
        read, touched = dirty(connection)
        _, by_supplier = dirty(connection, by_month=False)
        connection.execute(insert(dirty_suppliers).values(id=late, supplier_id="0000000009", period="2026-01"))
        mark_dirty(connection, [("0000000009", "2026-02")])
        clear_dirty(connection, read)
        left = connection.execute(select(dirty_suppliers.c.id, dirty_suppliers.c.period)).all()
    assert list(read) == [ids[0], ids[4], ids[6], ids[-1]]
    months = {f"2026-{month:02d}" for month in range(1, 5)}
    assert touched == {"0000000001": months, "0000000002": months - {"2026-02"}, "0000000003": months}
    assert by_supplier == {f"{n:010d}": None for n in range(1, 4)}
    assert sorted(period for _, period in left) == ["2026-01", "2026-02"] and late in {mark for mark, _ in left}
