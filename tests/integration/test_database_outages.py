"""A PostgreSQL link that goes silent without a reset fails the cycle within its bounds, the server
frees what the dead session held, and the next cycle recovers; runaway statements are cancelled."""
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy.exc import OperationalError

from config import load_settings
from config.settings import DatabaseSettings
from sandbox.generator import generate_sap
from store.db import create_engine_for
from store.records import store_purchase_orders
from sync.scoring import score
from tests.support.databases import scratch_engine
from tests.support.records import sap_records
from tests.support.tcp_proxy import TcpProxy

TIGHT = DatabaseSettings(statement_timeout_s=2, lock_timeout_s=1, idle_in_transaction_timeout_s=2, answer_timeout_s=3)
ORDERS, _ = sap_records(generate_sap(2, 2, seed=5, as_of=date(2026, 6, 30)))
NOW = datetime(2026, 7, 1, tzinfo=timezone.utc)


def store_cycle(engine) -> None:
    with engine.begin() as connection:
        store_purchase_orders(connection, ORDERS)


@pytest.fixture
def linked(tmp_path):
    """A direct engine and one through a proxy the test can freeze, on the same scratch schema."""
    with scratch_engine("postgres", tmp_path, TIGHT) as direct:
        proxy = TcpProxy(direct.url.host, direct.url.port or 5432)
        through = create_engine_for(direct.url.set(host="127.0.0.1", port=proxy.port)
                                    .render_as_string(hide_password=False), TIGHT)
        yield direct, through, proxy
        through.dispose()
        proxy.close()


def test_a_frozen_link_fails_within_the_bound_frees_its_locks_and_the_next_cycle_recovers(linked):
    direct, through, proxy = linked
    store_cycle(through)

    stuck = through.connect()
    stuck.begin()
    store_purchase_orders(stuck, ORDERS)  # holds the orders' row locks
    proxy.freeze()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="no answer from the database within 3 s"):
        store_purchase_orders(stuck, ORDERS)
    assert time.monotonic() - started < 3 + 10  # the bound, not forever
    stuck.close()

    # the server ends the silent session once idle in its transaction, releasing the locks; until then
    # a writer gets a lock timeout, never a hang
    waited = time.monotonic()
    while True:
        try:
            store_cycle(direct)
            break
        except OperationalError as exc:
            assert "lock timeout" in str(exc)
            assert time.monotonic() - waited < 2 + 10
    proxy.restore()
    store_cycle(through)
    report = score(through, load_settings(), date(2026, 6, 30), NOW)
    assert report.scorecards


def test_a_statement_running_past_its_timeout_is_cancelled_by_the_server(tmp_path):
    with scratch_engine("postgres", tmp_path, TIGHT) as engine, engine.connect() as connection:
        with pytest.raises(OperationalError, match="statement timeout"):
            connection.exec_driver_sql("SELECT pg_sleep(10)")
