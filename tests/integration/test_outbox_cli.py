"""Operators' view of the outbox: backlog, dead letters, replay, publish — through the command line."""
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from config import load_settings
from scheduler.bootstrap import open_app
from scheduler.cli import cli
from store.outbox import mark_failed
from sync.envelope import enqueue
from tests.support.events import NOW, random_suppliers, scorecard


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", f"sqlite:///{tmp_path / 'srm.db'}")
    monkeypatch.setenv("SRM_BRIDGE_BROKER__FOLDER", str(tmp_path / "broker"))
    monkeypatch.setenv("SRM_BRIDGE_BROKER__QUEUES", '[{"name": "risk-only", "routing_key": "risk.#"}]')
    monkeypatch.setenv("SRM_BRIDGE_BROKER__MAX_ATTEMPTS", "1")
    return load_settings()


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_dead_letters_are_listed_and_replayed(settings, monkeypatch):
    app = open_app(settings=settings)
    supplier, = random_suppliers(1)
    with app.engine.begin() as connection:
        event = enqueue(connection, settings.broker, "scorecard.published.v1", supplier, scorecard(supplier, 1), NOW)

    published = invoke("publish")
    assert published.exit_code == 1 and "dead-lettered 1" in published.output
    state = json.loads(invoke("outbox", "--json").output)
    assert (state["pending"], state["dead"]) == (0, 1)
    assert state["dead_letters"][0]["id"] == event.id and "routing key" in state["dead_letters"][0]["last_error"]

    assert invoke("outbox", "replay").exit_code == 2
    monkeypatch.setenv("SRM_BRIDGE_BROKER__QUEUES", '[{"name": "everything", "routing_key": "#"}]')
    assert "1 event(s) queued" in invoke("outbox", "replay", "--dead").output
    assert "sent 1, failed 0" in invoke("publish").output
    state = json.loads(invoke("outbox", "--json").output)
    assert (state["pending"], state["sent"], state["dead"], state["dead_letters"]) == (0, 1, 0, [])
    assert invoke("outbox", "replay", "--id", event.id).exit_code == 0
    assert "1 event(s) queued" not in invoke("outbox", "replay", "--id", "no-such-event").output


def test_a_stored_publish_error_never_holds_a_password(settings):
    app = open_app(settings=settings)
    supplier, = random_suppliers(1)
    with app.engine.begin() as connection:
        event = enqueue(connection, settings.broker, "scorecard.published.v1", supplier, scorecard(supplier, 1), NOW)
        mark_failed(connection, event.id, "refused by amqp://srm:hunter22@mq.example:5672//", NOW, timedelta(0), 1)
    error = json.loads(invoke("outbox", "--json").output)["dead_letters"][0]["last_error"]
    assert error == "refused by amqp://srm:***@mq.example:5672//"


def test_contract_check_passes_on_the_checked_in_files():
    assert invoke("contract").exit_code == 0
