"""The error recorded with a sync run (shown by `runs`, `status`, the console) never carries a secret: passwords in
URLs and the secret values of the settings are masked before the run is stored; on SQLite and PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from config import load_settings
from config.masking import secret_values
from connectors.errors import AuthError
from scheduler.cli import cli
from store.sync_state import recent_runs, stream_health
from sync.streams import Stream, pull

NOW = datetime.now(timezone.utc)
SETTINGS = load_settings(
    database={"url": "postgresql://srm:db-s3cret@db.example.com/srm"},
    broker={"url": "amqp://srm:p%40ss-mq@rabbit.example.com:5672//"},
    sap={"url": "https://sap.example.com/sap/bc/srt", "password": "sap-s3cret"},
    salesforce={"client_secret": "sf-s3cret"})
LEAKS = ("db-s3cret", "p%40ss-mq", "p@ss-mq", "sap-s3cret", "sf-s3cret")


def failing(error: Exception):
    def fetch(lower, upper):
        raise error
        yield
    return Stream("sap.purchase_orders", fetch, lambda connection, records: [], timedelta(0), timedelta(0),
                  secrets=secret_values(SETTINGS))


@pytest.mark.parametrize("error", [
    AuthError("SAP refused user SRM_BRIDGE with password sap-s3cret at http://srm:sap-s3cret@sap.example.com/"),
    RuntimeError("lost postgresql://srm:db-s3cret@db.example.com/srm and amqp://srm:p%40ss-mq@rabbit.example.com//"),
    ValueError("token request with client_secret=sf-s3cret refused; the broker password p@ss-mq too"),
], ids=["connector-error", "internal-error-with-urls", "internal-error-with-values"])
def test_a_failed_run_is_stored_without_its_secrets(engine, error):
    result = pull(engine, failing(error), "run-with-secrets", NOW)
    with engine.connect() as connection:
        [run] = recent_runs(connection)
        [health] = stream_health(connection)
    assert result.outcome == run["outcome"] == "failed"
    assert "***" in run["error"] and run["error"] == result.error == health["failure"]["error"]
    assert not [leak for leak in LEAKS if leak in run["error"]], run["error"]


def test_runs_and_status_show_a_failed_stream_without_the_password_of_its_url(tmp_path, monkeypatch):
    for name, value in {"DATABASE__URL": f"sqlite:///{tmp_path / 'srm.db'}", "LOG__FORMAT": "json",
                        "SAP__URL": "http://srm:url-s3cret@127.0.0.1:99999/sap", "SAP__PASSWORD": "sap-s3cret"}.items():
        monkeypatch.setenv(f"SRM_BRIDGE_{name}", value)
    synced, runs, status = (CliRunner().invoke(cli, command) for command in (["sync", "--source", "sap"], ["runs"],
                                                                            ["status"]))
    assert (synced.exit_code, runs.exit_code, status.exit_code) == (1, 0, 1)
    assert "not a usable SAP URL" in runs.stdout and "http://srm:***@127.0.0.1:99999/sap" in runs.stdout
    everything = "".join(done.stdout + done.stderr for done in (synced, runs, status))
    assert "url-s3cret" not in everything and "sap-s3cret" not in everything
