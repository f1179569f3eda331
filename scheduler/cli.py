"""The `srm-bridge` command line."""
import json
import os
import re
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import click

from config import KPI_KEYS, ConfigError
from scheduler import logs

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value else None


def _app(ctx: click.Context):  # noqa: ANN202 - App, imported lazily to keep `--help` fast
    from scheduler.bootstrap import open_app
    return open_app(ctx.obj["config"])


def _emit(rows: object, as_json: bool, render) -> None:  # noqa: ANN001
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
    else:
        render(rows)


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), envvar="SRM_BRIDGE_CONFIG",
              help="YAML or TOML settings file (env: SRM_BRIDGE_CONFIG).")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """srm-bridge: supplier KPIs, scorecards and corrective actions from SAP and Salesforce."""
    ctx.obj = {"config": config_file}
    logs.configure(json_lines=ctx.invoked_subcommand in ("run", "sync"))


@cli.command()
@click.option("--suppliers", default=12, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 60))
@click.option("--seed", default=7, show_default=True)
@click.option("--sap-data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--salesforce-data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-of", type=DATE, help="Compute as of this date (default: today).")
@click.pass_context
def demo(ctx: click.Context, suppliers: int, months: int, seed: int, sap_data: Path | None,
         salesforce_data: Path | None, as_of: datetime | None) -> None:
    """Run the whole pipeline against local stand-ins and print graded scorecards."""
    from scheduler.demo import run_demo
    run_demo(ctx.obj["config"], suppliers, months, seed, sap_data, salesforce_data, _as_date(as_of))


@cli.command()
@click.argument("system", type=click.Choice(["sap", "salesforce"]))
@click.option("--port", default=0, help="0 picks a free port.")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Serve this dataset file.")
@click.option("--suppliers", default=12, show_default=True)
@click.option("--months", default=12, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--as-of", type=DATE)
@click.option("--user", default="SRM_BRIDGE", show_default=True)
@click.option("--password", default="sandbox", show_default=True)
@click.option("--client-id", default="srm-bridge", show_default=True)
@click.option("--client-secret", default="sandbox", show_default=True)
@click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--fail-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of requests answered 503.")
@click.option("--latency-ms", default=0, type=click.IntRange(0), help="Added to every request.")
@click.option("--timeout-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of requests that stall.")
@click.option("--stall-s", default=30.0, type=click.FloatRange(0), show_default=True, help="How long a stall lasts.")
@click.option("--fault-on-page", type=click.IntRange(1), help="The Nth data request answers with a SOAP fault.")
@click.option("--token-ttl", default=7200.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Salesforce: seconds a session lives.")
@click.option("--api-budget", default=15000, show_default=True, type=click.IntRange(1),
              help="Salesforce: daily API requests before REQUEST_LIMIT_EXCEEDED.")
def sandbox(system: str, port: int, data: Path | None, suppliers: int, months: int, seed: int, as_of: datetime | None,
            user: str, password: str, client_id: str, client_secret: str, tls_dir: Path | None, fail_rate: float,
            latency_ms: int, timeout_rate: float, stall_s: float, fault_on_page: int | None, token_ttl: float,
            api_budget: int) -> None:
    """Serve a stand-in in the foreground; its URL is the first line printed."""
    from sandbox.faults import Faults
    from sandbox.serve import salesforce_dataset, sap_dataset, start_salesforce, start_sap
    day = _as_date(as_of) or date.today()
    faults = Faults(fail_rate=fail_rate, latency_ms=latency_ms, timeout_rate=timeout_rate, stall_s=stall_s,
                    fault_on_page=fault_on_page, seed=seed)
    if system == "sap":
        server, _ = start_sap(sap_dataset(data, suppliers, months, seed, day), port, user, password, faults=faults,
                              background=False)
        click.echo(server.url)
    else:
        server, _, ca_path = start_salesforce(salesforce_dataset(data, suppliers, seed, day), port, tls_dir,
                                              client_id, client_secret, token_ttl_s=token_ttl, faults=faults,
                                              background=False, api_budget=api_budget)
        click.echo(server.url)
        click.echo(f"CA {ca_path}")
    sys.stdout.flush()
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


@cli.command()
@click.option("--source", type=click.Choice(["sap", "salesforce", "all"]), default="all", show_default=True)
@click.option("--full", is_flag=True, help="Re-read everything, ignoring the cursors.")
@click.option("--since", type=DATE, help="Backfill from this date.")
@click.pass_context
def sync(ctx: click.Context, source: str, full: bool, since: datetime | None) -> None:
    """Pull from SAP and/or Salesforce into the database."""
    from scheduler.jobs import sync_job
    sources = ["sap", "salesforce"] if source == "all" else [source]
    report = sync_job(_app(ctx), sources, full=full, since=since.replace(tzinfo=timezone.utc) if since else None)
    ctx.exit(0 if report.ok else 1)


@cli.command()
@click.option("--as-of", type=DATE, help="Compute as of this date (default: today).")
@click.option("--full", is_flag=True, help="Measure every supplier again, not only those whose records changed.")
@click.pass_context
def score(ctx: click.Context, as_of: datetime | None, full: bool) -> None:
    """Compute KPIs, scorecards, risk signals and the action loop; changes go to the outbox."""
    from scheduler.jobs import score_job
    app = _app(ctx)
    report = score_job(app, _as_date(as_of) or app.today(), full=full)
    click.echo(f"{len(report.cards)} scorecards computed, {report.changed} changed; "
               f"risk signals raised {report.raised}, cleared {report.cleared}")


@cli.command()
@click.pass_context
def publish(ctx: click.Context) -> None:
    """Drain the outbox to the broker once."""
    from scheduler.jobs import publish_job
    result = publish_job(_app(ctx))
    click.echo(f"sent {result.sent}, failed {result.failed}, dead-lettered {result.dead}")
    if result.unavailable:
        click.echo(f"broker unavailable, the rest waits: {result.unavailable}", err=True)
    ctx.exit(0 if not result.failed else 1)


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def outbox(ctx: click.Context, as_json: bool) -> None:
    """The outbox: backlog, oldest pending age and dead letters."""
    if ctx.invoked_subcommand:
        return
    from store.outbox import backlog, dead_letters
    app = _app(ctx)
    with app.engine.connect() as connection:
        state = {**backlog(connection, app.now()), "dead_letters": dead_letters(connection)}
    _emit(state, as_json, lambda s: click.echo("\n".join(
        [f"pending {s['pending']} (oldest {s['oldest_pending_age_s']} s)  sent {s['sent']}  dead {s['dead']}"]
        + [f"dead {d['id']} {d['supplier_id']} {d['event_type']:26} attempts {d['attempts']}: {d['last_error']}"
           for d in s["dead_letters"]])))


@outbox.command("replay")
@click.option("--since", type=DATE, help="Every event created on or after this date.")
@click.option("--id", "event_id", help="One event.")
@click.option("--dead", is_flag=True, help="Every dead-lettered event.")
@click.pass_context
def outbox_replay(ctx: click.Context, since: datetime | None, event_id: str | None, dead: bool) -> None:
    """Queue events again; the relay republishes them with their original ids and sequences."""
    from store.outbox import replay
    if sum(bool(choice) for choice in (since, event_id, dead)) != 1:
        raise click.UsageError("give exactly one of --since, --id, --dead")
    with _app(ctx).engine.begin() as connection:
        count = replay(connection, since=since.replace(tzinfo=timezone.utc) if since else None, event_id=event_id,
                       dead=dead)
    click.echo(f"{count} event(s) queued for republishing")
    ctx.exit(0 if count else 1)


@cli.command()
@click.argument("consumer", type=click.Choice(["print", "salesforce"]))
@click.option("--queue", "queue_name", help="A queue from broker.queues (default: the first).")
@click.option("--max", "max_events", type=click.IntRange(1), help="Stop after this many messages.")
@click.option("--idle-timeout", type=click.FloatRange(0, min_open=True), help="Stop after this many idle seconds.")
@click.pass_context
def consume(ctx: click.Context, consumer: str, queue_name: str | None, max_events: int | None,
            idle_timeout: float | None) -> None:
    """Consume pushed events: `print` writes each new one as a JSON line; `salesforce` writes scorecards to Accounts."""
    from scheduler.consumers import run_consumer
    result = run_consumer(_app(ctx), consumer, queue_name, max_events, idle_timeout)
    click.echo(json.dumps(result.outcomes, sort_keys=True), err=True)


@cli.command()
@click.option("--write", is_flag=True, help="Regenerate the files from the models.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/contract"),
              show_default=True)
@click.pass_context
def contract(ctx: click.Context, write: bool, folder: Path) -> None:
    """Check (or --write) the JSON Schemas and AsyncAPI document of the pushed events."""
    from sync import contract as files
    if write:
        for path in files.write(folder):
            click.echo(f"wrote {path}")
        return
    stale = files.drift(folder)
    for path in stale:
        click.echo(f"out of date: {path} (run `srm-bridge contract --write`)", err=True)
    ctx.exit(1 if stale else 0)


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the service: sync, score and publish on intervals until SIGTERM/SIGINT."""
    from scheduler.service import run_service
    run_service(_app(ctx))


@cli.command()
@click.option("--period", help="YYYY-MM")
@click.option("--supplier")
@click.option("--json", "as_json", is_flag=True)
@click.option("--window", "window_months", default=1, show_default=True, type=click.IntRange(1, 36),
              help="1 = monthly; 3 or 12 = rolling windows ending with the period.")
@click.option("--as-of", type=DATE, help="Score as of this date first.")
@click.pass_context
def scorecards(ctx: click.Context, period: str | None, supplier: str | None, as_json: bool, window_months: int,
               as_of: datetime | None) -> None:
    """List stored scorecards."""
    from scheduler.demo import show_table
    from scheduler.jobs import score_job
    from store.scorecards import load_scorecards
    app = _app(ctx)
    if as_of:
        score_job(app, _as_date(as_of))
    with app.engine.connect() as connection:
        cards = load_scorecards(connection, period, supplier, window_months)
    if as_json:
        click.echo(json.dumps([card.model_dump(mode="json") for card in cards], indent=2))
    elif period:
        _period_table(cards)
    else:
        show_table(cards, _as_date(as_of) or app.today())


def _period_table(cards: list) -> None:
    from scheduler.demo import fmt
    for card in cards:
        click.echo(f"{card.supplier_id:12} {card.period} score {fmt(card.score):>6} grade {card.grade or 'n/a':3} "
                   + " ".join(f"{k}={fmt(v)}" for k, v in card.kpis.model_dump().items()))


@cli.command()
@click.option("--supplier", required=True, help="SAP vendor id.")
@click.option("--period", required=True, help="YYYY-MM (the last month of the window).")
@click.option("--kpi", required=True, type=click.Choice(KPI_KEYS))
@click.option("--window", "window_months", default=1, show_default=True, type=click.IntRange(1, 36))
@click.option("--as-of", type=DATE, help="Default: today.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def explain(ctx: click.Context, supplier: str, period: str, kpi: str, window_months: int, as_of: datetime | None,
            as_json: bool) -> None:
    """Show every schedule line, movement, item or action behind one KPI value, and whether it counted."""
    from domain.records import normalize_vendor_id
    from sync.scoring import explain as explain_kpi
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise click.BadParameter("use YYYY-MM", param_hint="--period")
    app = _app(ctx)
    shown = explain_kpi(app.engine, app.settings, normalize_vendor_id(supplier), period, kpi, window_months,
                        _as_date(as_of) or app.today())
    _emit(shown, as_json, _explain_table)


def _explain_table(shown: dict) -> None:
    from scheduler.demo import fmt
    click.echo(f"{shown['kpi']} = {fmt(shown['value'], 2)} for {shown['supplier_id']}, {shown['period']} "
               f"({shown['window_months']} month window), as of {shown['as_of']}")
    click.echo(f"rule: {shown['rule']}")
    rows = shown["rows"]
    if not rows:
        click.echo("no records: no activity, so no value")
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


@cli.command()
@click.option("--supplier")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def risks(ctx: click.Context, supplier: str | None, as_json: bool) -> None:
    """Open risk signals, with severity and evidence."""
    from store.risks import open_signals
    with _app(ctx).engine.connect() as connection:
        signals = [s.model_dump(mode="json") for s in open_signals(connection, supplier)]
    _emit(signals, as_json, lambda rows: [click.echo(
        f"{r['severity']:8} {r['supplier_id']:12} {r['kind']:16} {r['kpi'] or '':14} {r['period'] or '':8} "
        f"observed {r['observed']} limit {r['limit']}  since {r['raised_at']}") for r in rows])


@cli.command()
@click.option("--unmatched", is_flag=True, required=True, help="List what could not be matched.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def suppliers(ctx: click.Context, unmatched: bool, as_json: bool) -> None:
    """SAP vendors without an Account, Accounts without a vendor id, and vendor ids claimed by several Accounts."""
    from store.records import unmatched_suppliers
    with _app(ctx).engine.connect() as connection:
        found = unmatched_suppliers(connection)
    _emit(found, as_json, _unmatched_table)


def _unmatched_table(found: dict) -> None:
    click.echo(f"SAP vendors without an Account ({len(found['vendors_without_account'])}):")
    for row in found["vendors_without_account"]:
        click.echo(f"  {row['vendor_id']}  {row['purchase_orders']} purchase orders, last {row['last_order']}")
    click.echo(f"Accounts without a vendor id ({len(found['accounts_without_vendor'])}):")
    for row in found["accounts_without_vendor"]:
        click.echo(f"  {row['account_id']}  {row['name']}  owner {row['owner'] or '-'}")
    click.echo(f"Vendor ids on several Accounts, not guessed ({len(found['vendor_ids_on_several_accounts'])}):")
    for row in found["vendor_ids_on_several_accounts"]:
        click.echo(f"  {row['vendor_id']}  {row['account_id']}  {row['name']}")


@cli.group()
def actions() -> None:
    """Corrective actions: improvement plans with targets, milestones, escalation and an audit trail."""


def _actor() -> str:
    return os.environ.get("SRM_BRIDGE_ACTOR") or os.environ.get("USER") or "operator"


@actions.command("list")
@click.option("--status", type=click.Choice(["open", "in_progress", "verifying", "closed", "escalated", "cancelled"]))
@click.option("--supplier")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def actions_list(ctx: click.Context, status: str | None, supplier: str | None, as_json: bool) -> None:
    """Plans, newest last."""
    from domain.records import normalize_vendor_id
    from store.actions import find_actions
    with _app(ctx).engine.connect() as connection:
        plans = [a.model_dump(mode="json") for a in
                 find_actions(connection, status, normalize_vendor_id(supplier) if supplier else None)]
    _emit(plans, as_json, lambda rows: [click.echo(
        f"{r['action_id']:5} {r['supplier_id']:12} {r['kpi']:28} {r['status']:11} level {r['escalation_level']} "
        f"due {r['due_date']}  {r['gap']}") for r in rows])


@actions.command("show")
@click.argument("action_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def actions_show(ctx: click.Context, action_id: int, as_json: bool) -> None:
    """One plan: milestones with measured values, and its audit trail."""
    from store.actions import audit_trail, load_action
    with _app(ctx).engine.connect() as connection:
        plan = load_action(connection, action_id)
        if plan is None:
            raise click.ClickException(f"there is no corrective action {action_id}")
        shown = {"action": plan.model_dump(mode="json"), "trail": audit_trail(connection, action_id)}
    _emit(shown, as_json, _show_action)


def _show_action(shown: dict) -> None:
    a = shown["action"]
    click.echo(f"action {a['action_id']}  {a['supplier_id']}  {a['kpi']}  {a['status']}  escalation level "
               f"{a['escalation_level']}")
    click.echo(f"gap: {a['gap']}\nbaseline {a['baseline']}  target {a['target']}  due {a['due_date']}  "
               f"buyer {a['buyer_owner'] or '-'}  supplier contact {a['supplier_contact'] or '-'}")
    click.echo(f"root cause: {a['root_cause'] or '-'}; linked signals: {', '.join(a['linked_signals']) or '-'}")
    for note in a["evidence"]:
        click.echo(f"evidence: {note}")
    click.echo("milestones:")
    for m in a["milestones"]:
        click.echo(f"  {m['period']}  target {m['target']:>8}  measured {m['measured'] if m['measured'] is not None else '-':>8}"
                   f"  {m['status']}")
    click.echo("trail:")
    for entry in shown["trail"]:
        click.echo(f"  {entry['at']:%Y-%m-%d %H:%M:%S} {entry['actor']:12} {entry['from_status'] or '-':>11} -> "
                   f"{entry['to_status']:11} {entry['reason']}")


@actions.command("update")
@click.argument("action_id", type=int)
@click.option("--status", type=click.Choice(["in_progress", "verifying", "escalated", "cancelled", "closed"]))
@click.option("--note", help="Why: kept in the audit trail.")
@click.option("--owner", help="Buyer owner.")
@click.option("--supplier-contact")
@click.option("--root-cause")
@click.option("--evidence", help="A note appended to the plan's evidence.")
@click.pass_context
def actions_update(ctx: click.Context, action_id: int, status: str | None, note: str | None, owner: str | None,
                   supplier_contact: str | None, root_cause: str | None, evidence: str | None) -> None:
    """Change a plan's status or details; every change is audited with who, when and why."""
    from domain.actions import InvalidTransition
    from sync.actions import operator_update
    app = _app(ctx)
    try:
        with app.engine.begin() as connection:
            plan = operator_update(connection, app.settings, action_id, _actor(), app.now(), status=status, note=note,
                                   buyer_owner=owner, supplier_contact=supplier_contact, root_cause=root_cause,
                                   evidence=evidence)
    except (InvalidTransition, LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"action {plan.action_id} is {plan.status}")


@actions.command("open")
@click.option("--supplier", required=True)
@click.option("--kpi", required=True, type=click.Choice(KPI_KEYS))
@click.option("--target", required=True, type=float)
@click.option("--due", required=True, type=DATE)
@click.option("--note")
@click.option("--as-of", type=DATE, help="Take the baseline as of this date (default: today).")
@click.pass_context
def actions_open(ctx: click.Context, supplier: str, kpi: str, target: float, due: datetime, note: str | None,
                 as_of: datetime | None) -> None:
    """Open a plan by hand; its baseline is the last measured month of the KPI."""
    from domain.actions import InvalidTransition
    from domain.records import normalize_vendor_id
    from mapping.scorecards import evaluation_period
    from store.records import supplier_profiles
    from store.scorecards import load_scorecards
    from sync.actions import operator_open
    app = _app(ctx)
    supplier_id, day = normalize_vendor_id(supplier), _as_date(as_of) or app.today()
    try:
        with app.engine.begin() as connection:
            cards = load_scorecards(connection, evaluation_period(day), supplier_id)
            baseline = getattr(cards[0].kpis, kpi) if cards else None
            plan = operator_open(connection, app.settings, supplier_id, kpi, target, due.date(), _actor(), note,
                                 baseline, day, app.now(), supplier_profiles(connection).get(supplier_id))
    except (InvalidTransition, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"action {plan.action_id} opened: {plan.gap}; due {plan.due_date}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs(ctx: click.Context, as_json: bool) -> None:
    """The sync run log."""
    from store.sync_state import recent_runs
    with _app(ctx).engine.connect() as connection:
        rows = recent_runs(connection)
    _emit(rows, as_json, lambda rs: [click.echo(
        f"{r['started_at']:%Y-%m-%d %H:%M:%S} {r['stream']:22} {r['outcome']:9} pulled {r['pulled']:6} "
        f"stored {r['stored']:6} quarantined {r['quarantined']:4} "
        f"{(r['finished_at'] - r['started_at']).total_seconds() if r['finished_at'] else 0:.1f}s "
        f"{r['error'] or ''}") for r in rs])


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine(ctx: click.Context, as_json: bool) -> None:
    """Records that were refused, with the reason and the raw content."""
    from store.sync_state import quarantined
    with _app(ctx).engine.connect() as connection:
        rows = quarantined(connection)
    _emit(rows, as_json, lambda rs: [click.echo(f"{r['stream']:22} {r['record_key']:24} {r['reason']}") for r in rs])


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Cursors, last runs and the outbox backlog."""
    from sqlalchemy import select

    from store.outbox import backlog
    from store.tables import sync_cursors
    app = _app(ctx)
    with app.engine.connect() as connection:
        cursors = {r.stream: r.position for r in connection.execute(select(sync_cursors))}
        state = {"database": app.engine.url.render_as_string(hide_password=True), "cursors": cursors,
                 "outbox": backlog(connection, app.now())}
    _emit(state, as_json, lambda s: click.echo("\n".join(
        [f"database {s['database']}"] + [f"cursor   {k:22} {v}" for k, v in s["cursors"].items()]
        + [f"outbox   {k} {v}" for k, v in s["outbox"].items()])))


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply migrations up to the latest (the service and demo do this by themselves)."""
    from config import load_settings
    from store.db import create_engine_for, upgrade
    settings = load_settings(ctx.obj["config"])
    upgrade(create_engine_for(settings.database.url))
    click.echo("database schema is up to date")


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"srm-bridge: {exc}", err=True)
        sys.exit(2)
