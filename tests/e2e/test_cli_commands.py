"""The command line as operators use it: version and help, `config check [--connect]`, `status` as a health
check, and no password in what any command prints."""
import json
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
import yaml
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from config import load_settings
from config.settings import SalesforceSettings
from connectors.errors import TransientError
from connectors.salesforce import SalesforceClient
from sandbox.serve import salesforce_dataset, sap_dataset, start_salesforce, start_sap
from scheduler.bootstrap import open_app
from scheduler.checks import reach_database
from scheduler.cli import cli
from store.db import alembic_config, create_engine_for
from store.sync_state import finish_run, start_run
from sync.envelope import enqueue
from tests.integration.test_publish import delete_topology
from tests.support.cli import COMMAND, clean_environment, closed_port, run_cli
from tests.support.service import sap_variables
from tests.support.events import NOW, random_suppliers, scorecard


def test_version_and_short_help(tmp_path):
    assert re.fullmatch(r"srm-bridge, version \d+\.\d+\.\d+\S*\n", run_cli(tmp_path, "--version").stdout)
    assert run_cli(tmp_path, "-h").stdout.startswith("Usage: srm-bridge [OPTIONS] COMMAND")
    shown = run_cli(tmp_path, "config", "check", "-h")
    assert shown.returncode == 0 and "--connect" in shown.stdout and "--config" in shown.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_is_accepted_before_and_after_the_subcommand(tmp_path, where):
    (tmp_path / "srm.yaml").write_text("sap:\n  page_size: 42\n")
    args = ["--config", "srm.yaml", "config", "check"] if where == "before" else ["config", "check", "--config",
                                                                                   "srm.yaml"]
    done = run_cli(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["sap"]["page_size"] == 42
    assert "file srm.yaml" in done.stdout.splitlines()[0]


def test_config_check_prints_the_configuration_masked_without_connecting(tmp_path):
    (tmp_path / "srm.toml").write_text('[sap]\nurl = "https://srm:url-secret@sap.example.com/x"\n'
                                       'password = "sap-secret"\n[salesforce]\nclient_secret = "sf-secret"\n')
    done = run_cli(tmp_path, "config", "check", "--json", "--config", "srm.toml",
                   SRM_BRIDGE_DATABASE__URL=f"postgresql://srm:db-secret@127.0.0.1:{closed_port()}/srm")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)["config"]
    assert shown["database"]["url"].startswith("postgresql://srm:***@127.0.0.1:")
    assert shown["sap"]["url"] == "https://srm:***@sap.example.com/x"
    assert shown["sap"]["password"] == shown["salesforce"]["client_secret"] == "**********"
    assert not re.search(r"(db|url|sap|sf)-secret", done.stdout + done.stderr)
    assert shown["log"] == {"format": "auto", "level": "info"}


def test_config_check_refuses_a_bad_configuration_with_exit_2(tmp_path):
    done = run_cli(tmp_path, "config", "check", SRM_BRIDGE_SAP__PAGE_SIZE="lots")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("srm-bridge: sap.page_size (SRM_BRIDGE_SAP__PAGE_SIZE): ")


@pytest.fixture
def stand_ins(tmp_path):
    day = date(2026, 6, 30)
    sap, sap_app = start_sap(sap_dataset(None, 2, 2, 7, day), password="sap-secret")
    salesforce, _, ca_path = start_salesforce(salesforce_dataset(None, 2, 7, day), tls_dir=tmp_path / "ca",
                                              client_secret="sf-secret")
    yield {**sap_variables(sap, sap_app), "SRM_BRIDGE_SAP__PASSWORD": "sap-secret",
           "SRM_BRIDGE_SALESFORCE__LOGIN_URL": salesforce.url, "SRM_BRIDGE_SALESFORCE__VERIFY": str(ca_path),
           "SRM_BRIDGE_SALESFORCE__CLIENT_SECRET": "sf-secret"}
    sap.stop()
    salesforce.stop()


def systems(output: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r"^(database|broker|sap\.\w+|sap|salesforce) +(ok|FAILED) +(.*)$", output, re.MULTILINE)
    return {system: (verdict, detail) for system, verdict, detail in found}


def test_config_check_connect_reaches_each_system_in_turn(tmp_path, stand_ins, postgres_engine, amqp_url):
    database = postgres_engine.url.render_as_string(hide_password=False).replace("postgres@", "postgres:db-secret@")
    done = run_cli(tmp_path, "config", "check", "--connect", SRM_BRIDGE_DATABASE__URL=database,
                   SRM_BRIDGE_BROKER__URL=amqp_url, **stand_ins)
    assert done.returncode == 0, done.stdout + done.stderr
    reached = systems(done.stdout)
    assert list(reached) == ["database", "broker", "sap.purchase_orders", "sap.goods_movements", "salesforce"]
    assert all(verdict == "ok" for verdict, _ in reached.values()), reached
    assert "postgres:***@" in reached["database"][1] and "schema up to date" in reached["database"][1]
    assert "RabbitMQ" in reached["broker"][1] and ":***@" in reached["broker"][1]
    assert "token granted" in reached["salesforce"][1]
    assert not re.search(r"(db|sap|sf)-secret", done.stdout + done.stderr)


def test_config_check_connect_names_what_failed_and_exits_3(tmp_path, stand_ins):
    unreachable = {**stand_ins, "SRM_BRIDGE_SAP__PURCHASE_ORDERS__URL": f"http://127.0.0.1:{closed_port()}/sap",
                   "SRM_BRIDGE_SAP__GOODS_MOVEMENTS__URL": f"http://127.0.0.1:{closed_port()}/sap",
                   "SRM_BRIDGE_SALESFORCE__CLIENT_SECRET": "wrong", "SRM_BRIDGE_SAP__CONNECT_TIMEOUT_S": "2",
                   "SRM_BRIDGE_DATABASE__URL": f"postgresql://srm:db-s3cret@127.0.0.1:{closed_port()}/srm"}
    done = run_cli(tmp_path, "config", "check", "--connect", **unreachable)
    assert done.returncode == 3, done.stdout + done.stderr
    reached = systems(done.stdout)
    assert reached["database"][0] == "FAILED" and "Connection refused" in reached["database"][1]
    assert reached["broker"][0] == "ok"
    assert reached["sap.purchase_orders"][0] == "FAILED" and "SAP unreachable" in reached["sap.purchase_orders"][1]
    assert reached["salesforce"][0] == "FAILED" and "refused" in reached["salesforce"][1]
    assert "Traceback" not in done.stderr


def test_config_check_connect_says_how_an_empty_database_and_an_unreachable_salesforce_are_put_right(tmp_path):
    empty = tmp_path / "empty.db"
    with sqlite3.connect(empty) as connection:
        connection.execute("CREATE TABLE unrelated (a)")
    latest = ScriptDirectory.from_config(alembic_config(create_engine_for(f"sqlite:///{empty}"))).get_current_head()
    found = reach_database(load_settings(database={"url": f"sqlite:///{empty}"}))
    assert found.endswith(f", no schema yet; `srm-bridge db upgrade` or the first command migrates it to {latest}")
    client = SalesforceClient(SalesforceSettings(login_url=f"https://127.0.0.1:{closed_port()}"))
    with pytest.raises(TransientError, match=r"failed \(check that salesforce\.login_url is right and reachable\)"):
        client._open_session()


def test_console_on_a_port_in_use_says_which_setting_to_change(tmp_path, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", f"sqlite:///{tmp_path / 'srm.db'}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = CliRunner().invoke(cli, ["console", "--port", str(port)])
    assert done.exit_code == 2, done.output
    assert done.stderr.strip() == (f"srm-bridge: console: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                   "choose another --port or console.port (SRM_BRIDGE_CONSOLE__PORT)")
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("waitress") and thread.is_alive()]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", f"sqlite:///{tmp_path / 'srm.db'}")
    monkeypatch.setenv("SRM_BRIDGE_BROKER__FOLDER", str(tmp_path / "broker"))
    return open_app(settings=load_settings())


def status(*args: str):
    done = CliRunner().invoke(cli, ["status", "--json", *args], catch_exceptions=False)
    return done.exit_code, json.loads(done.stdout)


def test_status_fails_when_the_last_cycle_failed(app):
    window = (NOW, NOW)
    with app.engine.begin() as connection:
        first = start_run(connection, "run-1", "sap.purchase_orders", NOW, window)
        finish_run(connection, first, NOW, "failed", "SAP unreachable while loading the WSDL")
    code, state = status()
    assert (code, state["healthy"]) == (1, False)
    assert state["problems"] == ["sap.purchase_orders failed in the last cycle: SAP unreachable while loading the WSDL"]
    with app.engine.begin() as connection:
        for stream in ("sap.purchase_orders", "salesforce.accounts"):
            finish_run(connection, start_run(connection, "run-2", stream, NOW, window), NOW, "succeeded")
    code, state = status()
    assert (code, state["healthy"], [row["outcome"] for row in state["last_cycle"]]) == (0, True, ["succeeded"] * 2)


def test_status_fails_when_the_outbox_is_stuck(app, monkeypatch):
    supplier, = random_suppliers(1)
    with app.engine.begin() as connection:
        enqueue(connection, app.settings.broker, "scorecard.published.v1", supplier, scorecard(supplier, 1),
                datetime.now(timezone.utc) - timedelta(minutes=1))  # its age is shown to a tenth of a second
    assert status()[0] == 0
    text = CliRunner().invoke(cli, ["status"], catch_exceptions=False).stdout
    assert re.search(r"^outbox   pending 1 \(oldest 6\d(\.\d)? s\)  sent 0  dead 0$", text, re.MULTILINE), text
    monkeypatch.setenv("SRM_BRIDGE_SCHEDULER__STUCK_AFTER_S", "30")
    code, state = status()
    assert code == 1 and "over scheduler.stuck_after_s=30" in state["problems"][0]


def test_run_starts_with_its_version_and_masked_configuration(tmp_path):
    variables = clean_environment(SRM_BRIDGE_DATABASE__URL=f"sqlite:///{tmp_path / 'srm.db'}",
                                  SRM_BRIDGE_SAP__URL="https://srm:url-secret@sap.example.com/x",
                                  SRM_BRIDGE_SAP__PASSWORD="sap-secret", SRM_BRIDGE_SCHEDULER__SOURCES="[]",
                                  SRM_BRIDGE_LOG__FORMAT="json")
    service = subprocess.Popen([COMMAND, "run"], cwd=tmp_path, env=variables, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(service.stderr.readline())
        service.send_signal(signal.SIGTERM)
        rest = service.communicate(timeout=60)[1]
    finally:
        service.kill()
    assert first["message"] == "srm-bridge starting" and re.fullmatch(r"\d+\.\d+\.\d+\S*", first["version"])
    assert first["config"]["sap"]["url"] == "https://srm:***@sap.example.com/x"
    assert first["config"]["sap"]["password"] == "**********"
    assert not re.search(r"(url|sap)-secret", json.dumps(first) + rest)


def test_demo_on_rabbitmq_prints_no_password(tmp_path, amqp_url):
    name = uuid.uuid4().hex[:10]
    broker = {"url": amqp_url, "exchange": f"srm.events.test.{name}",
              "queues": [{"name": f"srm-test-{name}", "routing_key": "#"}]}
    try:
        done = run_cli(tmp_path, "demo", "--suppliers", "3", "--months", "3", "--as-of", "2026-06-30", timeout=300,
                       SRM_BRIDGE_BROKER__URL=broker["url"], SRM_BRIDGE_BROKER__EXCHANGE=broker["exchange"],
                       SRM_BRIDGE_BROKER__QUEUES=json.dumps(broker["queues"]))
    finally:
        delete_topology(load_settings(broker=broker).broker)
    assert done.returncode == 0, done.stderr
    password = re.search(r"//[^:/@]+:([^@]+)@", amqp_url).group(1)
    shown = re.search(r"published to exchange .* on (amqp://\S+)", done.stdout).group(1)
    assert re.fullmatch(r"amqp://[^:]+:\*\*\*@.*", shown), shown
    assert f":{password}@" not in done.stdout + done.stderr
