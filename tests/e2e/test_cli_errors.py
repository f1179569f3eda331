"""What an operator sees when a setting or a system is wrong: one line naming it and what to do, and the exit code.

Each case runs the installed command in a subprocess: 2 for configuration, 3 for an unreachable system.
"""
import json
import uuid

import pytest
from click.testing import CliRunner

from config import load_settings
from scheduler.bootstrap import open_app
from scheduler.cli import cli
from sync.envelope import enqueue
from tests.support.databases import POSTGRES_VAR, service_url
from tests.support.cli import closed_port, run_cli
from tests.support.events import NOW, random_suppliers, scorecard

CONFIG, UNREACHABLE = 2, 3


def assert_one_line(done, code: int, *fragments: str) -> str:
    """The command's own message is one line, the last; nothing else it printed is a traceback."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("srm-bridge: ")]
    assert len(ours) == 1 and done.stderr.splitlines()[-1] == ours[0], done.stderr
    for fragment in fragments:
        assert fragment in ours[0], ours[0]
    return ours[0]


def files(tmp_path, name: str, body: str) -> str:
    (tmp_path / name).write_text(body)
    return name


CONFIGURATION_CASES = {
    "invalid YAML": (lambda t: {"SRM_BRIDGE_CONFIG": files(t, "bad.yaml", "sap:\n  url: [unclosed\n")},
                     ["bad.yaml is not valid YAML", "line 3", "fix the file"]),
    "invalid TOML": (lambda t: {"SRM_BRIDGE_CONFIG": files(t, "bad.toml", "[sap\nurl = 1\n")},
                     ["bad.toml is not valid TOML", "line 1", "fix the file"]),
    "rabbit:// broker": (lambda t: {"SRM_BRIDGE_BROKER__URL": "rabbit://guest:guest@rabbit//"},
                         ["broker.url (SRM_BRIDGE_BROKER__URL)", "rabbit:// is not supported", "use amqp://"]),
    "redis:// broker": (lambda t: {"SRM_BRIDGE_BROKER__URL": "redis://cache:6379/0"},
                        ["broker.url (SRM_BRIDGE_BROKER__URL)", "redis:// is not supported", "use amqp://"]),
    "non-JSON queue list": (lambda t: {"SRM_BRIDGE_BROKER__QUEUES": "srm-bridge.events"},
                            ["broker.queues (SRM_BRIDGE_BROKER__QUEUES) is not valid JSON", "give a JSON list"]),
    "unsupported database URL": (lambda t: {"SRM_BRIDGE_DATABASE__URL": "mysql://srm:s3cret@db/srm"},
                                 ["database.url (SRM_BRIDGE_DATABASE__URL)", "mysql:// databases are not supported"]),
    "misspelt variable": (lambda t: {"SRM_BRIDGE_DATABSE__URL": "postgresql://db/srm"},
                          ["SRM_BRIDGE_DATABSE__URL names no setting", "did you mean SRM_BRIDGE_DATABASE__URL?"]),
    "misspelt secret": (lambda t: {"SRM_BRIDGE_SAP__PASWORD": "s3cret"},
                        ["SRM_BRIDGE_SAP__PASWORD names no setting", "did you mean SRM_BRIDGE_SAP__PASSWORD?"]),
    "unknown nested key": (lambda t: {"SRM_BRIDGE_CONFIG": files(t, "s.yaml", "sap:\n  purchase_orders:\n"
                                                                              "    vendr: Supplier\n")},
                           ["unknown setting sap.purchase_orders.vendr", "did you mean sap.purchase_orders.vendor?"]),
    "missing config file": (lambda t: {"SRM_BRIDGE_CONFIG": "nowhere.yaml"}, ["config file nowhere.yaml does not exist"]),
}


@pytest.mark.parametrize("case", CONFIGURATION_CASES)
def test_a_configuration_error_is_one_line_and_exit_2(tmp_path, case):
    variables, fragments = CONFIGURATION_CASES[case]
    line = assert_one_line(run_cli(tmp_path, "status", **variables(tmp_path)), CONFIG, *fragments)
    assert "s3cret" not in line


def test_a_database_that_is_down_is_one_line_and_exit_3(tmp_path):
    url = f"postgresql://postgres:s3cret@127.0.0.1:{closed_port()}/srm"
    line = assert_one_line(run_cli(tmp_path, "status", SRM_BRIDGE_DATABASE__URL=url), UNREACHABLE,
                           "database unreachable", "Connection refused", "database.url (SRM_BRIDGE_DATABASE__URL)")
    assert "s3cret" not in line and "postgres:***@" in line


def test_a_missing_postgresql_database_is_one_line_and_exit_3(tmp_path):
    server = service_url(POSTGRES_VAR).rsplit("/", 1)[0]
    missing = f"srm_missing_{uuid.uuid4().hex[:10]}"
    assert_one_line(run_cli(tmp_path, "scorecards", SRM_BRIDGE_DATABASE__URL=f"{server}/{missing}"), UNREACHABLE,
                    f'database "{missing}" does not exist', "database.url")


def test_a_missing_sqlite_folder_is_a_configuration_error_for_every_command(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/nowhere/srm.db"
    expected = ("database.url (SRM_BRIDGE_DATABASE__URL)", f"folder {tmp_path}/nowhere", "does not exist")
    assert_one_line(run_cli(tmp_path, "run", SRM_BRIDGE_DATABASE__URL=url, SRM_BRIDGE_SCHEDULER__HTTP__PORT="0",
                            timeout=60), CONFIG, *expected)  # the service does not wait for a folder to appear
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", url)
    for command in (["sync"], ["score"], ["scorecards"], ["config", "check"], ["config", "check", "--connect"]):
        done = CliRunner().invoke(cli, command)
        assert done.exit_code == CONFIG and all(words in done.stderr for words in expected), (command, done.stderr)


def test_a_missing_config_file_given_with_the_option_is_one_line_and_exit_2(tmp_path):
    option = ["--config", str(tmp_path / "nope.yaml")]
    for command in (option + ["status"], ["status"] + option, ["actions", "list"] + option):
        done = CliRunner().invoke(cli, command)
        assert (done.exit_code, done.stderr) == (CONFIG, f"srm-bridge: config file {tmp_path / 'nope.yaml'} does "
                                                         "not exist; check --config or SRM_BRIDGE_CONFIG\n"), command


def test_a_database_host_that_does_not_resolve_is_one_line_and_exit_3(tmp_path):
    line = assert_one_line(run_cli(tmp_path, "risks", SRM_BRIDGE_DATABASE__URL="postgresql://srm:s3cret@db.invalid/srm"),
                           UNREACHABLE, "database unreachable", "db.invalid", "database.url")
    assert "s3cret" not in line


def test_the_detail_of_a_failure_is_logged_at_debug_level(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/srm"
    quiet = run_cli(tmp_path, "status", SRM_BRIDGE_DATABASE__URL=url)
    detailed = run_cli(tmp_path, "status", SRM_BRIDGE_DATABASE__URL=url, SRM_BRIDGE_LOG__LEVEL="debug",
                       SRM_BRIDGE_LOG__FORMAT="json")
    assert_one_line(quiet, UNREACHABLE, "database unreachable")
    assert quiet.stderr.count("\n") == 1
    assert detailed.returncode == UNREACHABLE and detailed.stderr.splitlines()[-1] == quiet.stderr.strip()
    entries = [json.loads(line) for line in detailed.stderr.splitlines()[:-1]]
    assert any(entry["level"] == "debug" and "OperationalError" in entry.get("exception", "") for entry in entries)


@pytest.fixture
def pending_event(tmp_path):
    """A database with one event waiting in the outbox."""
    database = f"sqlite:///{tmp_path / 'srm.db'}"
    app = open_app(settings=load_settings(database={"url": database}))
    supplier, = random_suppliers(1)
    with app.engine.begin() as connection:
        enqueue(connection, app.settings.broker, "scorecard.published.v1", supplier, scorecard(supplier, 1), NOW)
    app.engine.dispose()
    return database


def test_publishing_to_an_unreachable_broker_is_one_line_and_exit_3(tmp_path, pending_event):
    broker = f"amqp://guest:s3cret@127.0.0.1:{closed_port()}//"
    done = run_cli(tmp_path, "publish", SRM_BRIDGE_DATABASE__URL=pending_event, SRM_BRIDGE_BROKER__URL=broker,
                   SRM_BRIDGE_BROKER__OUTAGE_ATTEMPTS="1")
    line = assert_one_line(done, UNREACHABLE, "broker unreachable", "Connection refused", "unsent events wait",
                           "broker.url (SRM_BRIDGE_BROKER__URL)")
    assert "s3cret" not in done.stderr + done.stdout and "guest:***@" in line
    assert "sent 0, failed 1" in done.stdout


def test_consuming_from_an_unreachable_broker_is_one_line_and_exit_3(tmp_path):
    broker = f"amqp://guest:s3cret@127.0.0.1:{closed_port()}//"
    done = run_cli(tmp_path, "consume", "print", "--max", "1", SRM_BRIDGE_BROKER__URL=broker,
                   SRM_BRIDGE_BROKER__CONNECT_TIMEOUT_S="1", SRM_BRIDGE_DATABASE__URL=f"sqlite:///{tmp_path / 'srm.db'}")
    assert_one_line(done, UNREACHABLE, "broker unreachable", "broker.url")
    assert "s3cret" not in done.stderr
