"""The migrations build exactly the schema `store/tables.py` declares, on SQLite and PostgreSQL; on
SQLite a first migration killed at any point leaves no schema or a whole one, and the next upgrade
completes it."""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from domain.events import parse_event
from store.db import SchemaError, alembic_config, create_engine_for, upgrade
from store.outbox import events
from store.scorecards import load_scorecards, save_scorecards
from store.tables import metadata, outbox, scorecards
from sync.envelope import build_envelope
from tests.support.events import NOW, scorecard

# Imports once, then forks a process per first migration asked for on stdin; reaps it (a zombie until
# then, so its pid stays its own) when told, and reports how it ended.
MIGRATIONS = """
import os, sys
from store.db import create_engine_for, upgrade
for url in sys.stdin:
    pid = os.fork()
    if pid == 0:
        upgrade(create_engine_for(url.strip()))
        os._exit(0)
    print(pid, flush=True)
    sys.stdin.readline()
    print(os.waitpid(pid, 0)[1], flush=True)
"""


def test_migrated_schema_matches_the_table_definitions(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def schema_state(engine) -> tuple[set[str], str | None]:
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        version = MigrationContext.configure(connection).get_current_revision()
    return tables, version


def assert_complete(engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    tables, version = schema_state(engine)
    assert version == head and tables == set(metadata.tables) | {"alembic_version"}
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


@pytest.fixture
def migrations():
    forker = subprocess.Popen([sys.executable, "-c", MIGRATIONS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)

    def migrate_and_kill(url: str, after_s: float | None) -> float:
        """Run a first migration in its own process, SIGKILLed `after_s` into it (None: let it finish);
        returns how long it ran."""
        forker.stdin.write(url + "\n")
        forker.stdin.flush()
        pid = int(forker.stdout.readline())
        started = time.monotonic()
        if after_s is not None:
            time.sleep(after_s)
            os.kill(pid, signal.SIGKILL)
        forker.stdin.write("reap\n")
        forker.stdin.flush()
        status = int(forker.stdout.readline())
        assert status in (0, signal.SIGKILL) if after_s is not None else status == 0
        return time.monotonic() - started

    yield migrate_and_kill
    forker.stdin.close()
    forker.wait(timeout=30)


def test_a_first_migration_killed_anywhere_leaves_no_schema_or_all_of_it_and_the_next_completes_it(
        tmp_path, migrations):
    took = migrations(f"sqlite:///{tmp_path / 'timed.db'}", None)
    head = ScriptDirectory.from_config(alembic_config(create_engine_for("sqlite://"))).get_current_head()
    outcomes = []
    rng = random.Random(17)
    trials = 12
    for trial in range(trials):  # one kill in each twelfth of the time a migration takes
        url = f"sqlite:///{tmp_path / f'killed-{trial}.db'}"
        migrations(url, took * (trial + rng.random()) / trials)
        engine = create_engine_for(url)
        tables, version = schema_state(engine)
        assert (tables, version) in [(set(), None), (set(metadata.tables) | {"alembic_version"}, head)], \
            f"a killed migration left version {version} with tables {sorted(tables)}"
        outcomes.append(version)
        upgrade(engine)
        assert_complete(engine)
        engine.dispose()
    assert None in outcomes  # some kills did land inside the migration


def test_empty_tables_left_without_a_version_are_replaced_and_tables_with_rows_are_refused(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'left.db'}")
    with engine.begin() as connection:  # what an interrupted, non-transactional first migration left
        connection.execute(text("CREATE TABLE confirmations (po_id VARCHAR(20))"))
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    upgrade(engine)
    assert_complete(engine)

    other = create_engine_for(f"sqlite:///{tmp_path / 'other.db'}")
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('kept')"))
    with pytest.raises(SchemaError, match="notes"):
        upgrade(other)
    with other.connect() as connection:
        assert connection.execute(text("SELECT body FROM notes")).scalar() == "kept"
    assert schema_state(other) == ({"notes"}, None)


def test_a_failing_step_rolls_the_whole_sqlite_upgrade_back(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'failing.db'}")
    upgrade(engine, "0003")
    with engine.begin() as connection:  # in the way of the last step, which creates it
        connection.execute(text("CREATE TABLE tallies (supplier_id VARCHAR(10))"))
    before = schema_state(engine)
    with pytest.raises(Exception, match="tallies"):
        upgrade(engine)
    assert schema_state(engine) == before  # the steps before the failing one are undone too


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated(request, tmp_path):
    if request.param == "sqlite":
        return create_engine_for(f"sqlite:///{tmp_path / 'old.db'}")
    return create_engine_for(request.getfixturevalue("postgres_schema_url"))


def test_scorecards_stored_and_queued_with_percentiles_lose_them_and_are_not_republished(unmigrated):
    card = scorecard("0000100001", 3)
    old = {**card.model_dump(mode="json"), "percentile_in_category": 50.0, "percentile_in_segment": None}
    envelope = json.loads(build_envelope("scorecard.published.v1", card.supplier_id, 1, card, "urn:x", NOW)
                          .model_dump_json())
    upgrade(unmigrated, "0009")
    with unmigrated.begin() as connection:
        connection.execute(scorecards.insert(), [{
            "supplier_id": card.supplier_id, "period": card.period, "window_months": 1, "score": card.score,
            "kpis": card.kpis.model_dump(), "kpi_scores": card.kpi_scores, "as_of": card.as_of, "fingerprint": "old",
            "computed_at": NOW, "card": old}])
        connection.execute(outbox.insert(), [{
            "id": envelope["id"], "supplier_id": card.supplier_id, "sequence": 1, "event_type": envelope["type"],
            "routing_key": "scorecard.published.0000100001", "envelope": json.dumps({**envelope, "data": old}),
            "created_at": NOW, "attempts": 0}])
    upgrade(unmigrated)
    assert_complete(unmigrated)
    with unmigrated.begin() as connection:
        assert load_scorecards(connection) == [card]
        assert save_scorecards(connection, [card], NOW) == []  # its fingerprint follows the card
        queued, = events(connection)
    assert parse_event(queued["envelope"]).data == card
    unmigrated.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_stored_cards_take_the_status_their_as_of_gives_them(kind, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'cards.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_schema_url")
    engine = create_engine_for(url)
    try:
        upgrade(engine, "0011")
        with engine.begin() as connection:
            for period, months, as_of in (("2026-05", 1, "2026-06-15"), ("2026-06", 1, "2026-06-15"),
                                          ("2026-06", 3, "2026-06-30"), ("2024-02", 1, "2024-02-28")):
                connection.execute(text(
                    "INSERT INTO scorecards (supplier_id, period, window_months, kpis, kpi_scores, as_of, fingerprint, "
                    "computed_at) VALUES ('0000100001', :period, :months, '{}', '{}', :as_of, 'x', :at)"),
                    {"period": period, "months": months, "as_of": as_of, "at": "2026-07-01 00:00:00"})
            connection.execute(text("INSERT INTO scoring_state (id, as_of, settings_hash, scored_at) "
                                    "VALUES (1, '2026-06-30', 'h', '2026-07-01 00:00:00')"))
        upgrade(engine)
        with engine.connect() as connection:
            statuses = dict(((p, m), s) for p, m, s in connection.execute(
                text("SELECT period, window_months, status FROM scorecards")))
            latest = connection.execute(text("SELECT latest_as_of FROM scoring_state")).scalar()
        assert statuses == {("2026-05", 1): "final", ("2026-06", 1): "provisional", ("2026-06", 3): "final",
                            ("2024-02", 1): "provisional"}
        assert str(latest) == "2026-06-30"
    finally:
        engine.dispose()
