"""Commands that show what srm-bridge knows: scorecards and why, risks, suppliers, runs, quarantine, status."""
import json
import re
from datetime import datetime

import click

from config import KPI_KEYS
from scheduler.cli_support import DATE, app_for, as_date, emit

@click.command()
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
    app = app_for(ctx)
    if as_of:
        score_job(app, as_date(as_of))
    with app.engine.connect() as connection:
        cards = load_scorecards(connection, period, supplier, window_months)
    if as_json:
        click.echo(json.dumps([card.model_dump(mode="json") for card in cards], indent=2))
    elif period:
        _period_table(cards)
    else:
        show_table(cards, as_date(as_of) or app.today())


def _period_table(cards: list) -> None:
    from scheduler.demo import fmt
    for card in cards:
        click.echo(f"{card.supplier_id:12} {card.period} score {fmt(card.score):>6} grade {card.grade or 'n/a':3} "
                   + " ".join(f"{k}={fmt(v)}" for k, v in card.kpis.model_dump().items()))


@click.command()
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
    app = app_for(ctx)
    shown = explain_kpi(app.engine, app.settings, normalize_vendor_id(supplier), period, kpi, window_months,
                        as_date(as_of) or app.today())
    emit(shown, as_json, _explain_table)


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
    for warning in shown["warnings"]:
        click.echo(f"warning: {warning}")


@click.command()
@click.option("--supplier")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def risks(ctx: click.Context, supplier: str | None, as_json: bool) -> None:
    """Open risk signals, with severity and evidence."""
    from store.risks import open_signals
    with app_for(ctx).engine.connect() as connection:
        signals = [s.model_dump(mode="json") for s in open_signals(connection, supplier)]
    emit(signals, as_json, lambda rows: [click.echo(
        f"{r['severity']:8} {r['supplier_id']:12} {r['kind']:16} {r['kpi'] or '':14} {r['period'] or '':8} "
        f"observed {r['observed']} limit {r['limit']}  since {r['raised_at']}") for r in rows])


@click.command()
@click.option("--unmatched", is_flag=True, required=True, help="List what could not be matched.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def suppliers(ctx: click.Context, unmatched: bool, as_json: bool) -> None:
    """SAP vendors without an Account, Accounts without a vendor id, and vendor ids claimed by several Accounts."""
    from store.records import unmatched_suppliers
    with app_for(ctx).engine.connect() as connection:
        found = unmatched_suppliers(connection)
    emit(found, as_json, _unmatched_table)


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


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs(ctx: click.Context, as_json: bool) -> None:
    """The sync run log."""
    from store.sync_state import recent_runs
    with app_for(ctx).engine.connect() as connection:
        rows = recent_runs(connection)
    emit(rows, as_json, lambda rs: [click.echo(
        f"{r['started_at']:%Y-%m-%d %H:%M:%S} {r['stream']:22} {r['outcome']:9} pulled {r['pulled']:6} "
        f"stored {r['stored']:6} quarantined {r['quarantined']:4} "
        f"{(r['finished_at'] - r['started_at']).total_seconds() if r['finished_at'] else 0:.1f}s "
        f"{r['error'] or ''}") for r in rs])


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quarantine(ctx: click.Context, as_json: bool) -> None:
    """Records that were refused, with the reason and the raw content."""
    from store.sync_state import quarantined
    with app_for(ctx).engine.connect() as connection:
        rows = quarantined(connection)
    emit(rows, as_json, lambda rs: [click.echo(f"{r['stream']:22} {r['record_key']:24} {r['reason']}") for r in rs])


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Cursors, last runs and the outbox backlog."""
    from sqlalchemy import select

    from store.outbox import backlog
    from store.tables import sync_cursors
    app = app_for(ctx)
    with app.engine.connect() as connection:
        cursors = {r.stream: r.position for r in connection.execute(select(sync_cursors))}
        state = {"database": app.engine.url.render_as_string(hide_password=True), "cursors": cursors,
                 "outbox": backlog(connection, app.now())}
    emit(state, as_json, lambda s: click.echo("\n".join(
        [f"database {s['database']}"] + [f"cursor   {k:22} {v}" for k, v in s["cursors"].items()]
        + [f"outbox   {k} {v}" for k, v in s["outbox"].items()])))
