"""What people read from the command line: supplier ids as typed, empty results named, no `None`, cut listings."""
import json
import re

import click
import pytest
from click.testing import CliRunner

from config import load_settings
from scheduler.bootstrap import open_app
from scheduler.cli import cli
from tests.support.populated import populate


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'srm.db'}"
    settings = load_settings(database={"url": url})
    populate(open_app(settings=settings).engine, settings)
    return url


@pytest.fixture
def run(database, monkeypatch):
    monkeypatch.setenv("SRM_BRIDGE_DATABASE__URL", database)

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return invoke


def test_a_supplier_id_without_its_leading_zeros_finds_the_same_supplier_everywhere(run):
    for command in (["scorecards", "--json"], ["risks", "--json"], ["actions", "list", "--json"]):
        padded = json.loads(run(*command, "--supplier", "0000100002").stdout)
        assert padded, command
        assert json.loads(run(*command, "--supplier", "100002").stdout) == padded, command
    assert run("explain", "--supplier", "100002", "--period", "2026-05", "--kpi", "otd_pct").exit_code == 0


def test_an_empty_list_says_what_was_not_found_and_a_missing_single_thing_fails(run):
    for command, words in ((["risks", "--supplier", "999"], "no open risk signals for supplier 0000000999"),
                           (["scorecards", "--supplier", "999"], "no final scorecards for supplier 0000000999"),
                           (["actions", "list", "--supplier", "999"], "no corrective actions for supplier 0000000999")):
        done = run(*command)
        assert (done.exit_code, done.stdout.strip()) == (0, words)
        assert json.loads(run(*command, "--json").stdout) == []
    for command in (["explain", "--supplier", "999", "--period", "2026-05", "--kpi", "otd_pct"],
                    ["actions", "show", "99999"], ["outbox", "replay", "--id", "no-such-event"]):
        done = run(*command)
        assert done.exit_code == 1 and "not found" in done.stderr, command


def test_human_output_never_shows_python_none_or_booleans(run):
    plans = json.loads(run("actions", "list", "--json").stdout)
    for command in (["risks"], ["outbox"], ["status"], ["runs"], ["quarantine"], ["scorecards"],
                    ["scorecards", "--period", "2026-05"], ["actions", "list"], ["suppliers", "--unmatched"],
                    ["actions", "show", str(plans[0]["action_id"])],
                    ["explain", "--supplier", "100002", "--period", "2026-05", "--kpi", "confirmation_lag_days_median"],
                    ["explain", "--supplier", "100002", "--period", "2026-05", "--kpi", "otd_pct"]):
        done = run(*command)
        assert not re.search(r"\b(True|False)\b", done.stdout), command
        unhealthy = command == ["status"]  # the populated outbox holds events older than scheduler.stuck_after_s
        assert done.exit_code == int(unhealthy) and "None" not in done.stdout, command


def test_listings_say_when_they_are_cut(database, run):
    from store.sync_state import finish_run, start_run
    from scheduler.bootstrap import App
    engine = open_app(settings=load_settings(database={"url": database})).engine
    with engine.begin() as connection:
        for n in range(3):
            finish_run(connection, start_run(connection, f"run-{n}", "sap.purchase_orders", App.now(),
                                             (App.now(), App.now())), App.now(), "failed", "connection refused")
    done = run("runs", "--limit", "2")
    assert len(done.stdout.splitlines()) == 2 and "connection refused" in done.stdout
    assert "showing the latest 2 of 3 runs; use --limit" in done.stderr
    assert "showing" not in run("runs", "--limit", "3").stderr


def test_actions_open_refuses_unknown_suppliers_and_targets_no_value_can_reach(run):
    unknown = run("actions", "open", "--supplier", "999", "--kpi", "otd_pct", "--target", "90", "--due", "2026-12-31",
                  "--as-of", "2026-06-30")
    assert unknown.exit_code == 1 and "supplier 0000000999 not found" in unknown.stderr
    for kpi, target in (("otd_pct", "250"), ("quality_ppm", "-5"), ("price_variance_pct", "-120")):
        refused = run("actions", "open", "--supplier", "100002", "--kpi", kpi, "--target", target,
                      "--due", "2026-12-31", "--as-of", "2026-06-30")
        assert refused.exit_code == 1 and "outside the range" in refused.stderr, (kpi, refused.stderr)


def test_actions_open_refuses_a_target_the_baseline_already_meets(run):
    [card] = [c for c in json.loads(run("scorecards", "--json", "--supplier", "100006").stdout) if c["period"] == "2026-06"]
    kpis = card["kpis"]
    assert kpis["otd_pct"] == 100 and 0 < kpis["quality_ppm"] < 2000
    for kpi, target, hint in (("otd_pct", 95, "it is at its best value, 100"),
                              ("quality_ppm", 2000, f"give a target below {kpis['quality_ppm']:.2f}"),
                              ("lead_time_days_mean", kpis["lead_time_days_mean"], "give a target below")):
        refused = run("actions", "open", "--supplier", "100006", "--kpi", kpi, "--target", str(target),
                      "--due", "2026-12-31", "--as-of", "2026-06-30")
        assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, refused.output
        assert f"nothing to improve: {kpi} was {kpis[kpi]:.2f} in 2026-06" in refused.stderr, refused.stderr
        assert hint in refused.stderr, refused.stderr
    assert json.loads(run("actions", "list", "--json", "--supplier", "100006").stdout) == []


def test_every_json_flag_says_what_it_does():
    def commands(group: click.Command, path: str):
        yield path, group
        for name, command in getattr(group, "commands", {}).items():
            yield from commands(command, f"{path} {name}")
    flags = [(path, option) for path, command in commands(cli, "srm-bridge") for option in command.params
             if "--json" in getattr(option, "opts", [])]
    assert len(flags) >= 10
    assert [path for path, option in flags if not option.help] == []
