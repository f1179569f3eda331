"""Commands that show what srm-bridge knows: scorecards and why, risks, suppliers, runs, quarantine, status."""
import json
from datetime import datetime

import click

from config import KPI_KEYS
from scheduler.cli_support import (
    DATE,
    PERIOD,
    SUPPLIER,
    app_for,
    as_date,
    backlog_line,
    cut_notice,
    emit,
    for_whom,
    json_option,
    shown,
)

@click.command()
@click.option("--period", type=PERIOD, help="Only this month (YYYY-MM), final or provisional.")
@click.option("--all", "every_month", is_flag=True, help="Every stored month, final and provisional.")
@click.option("--supplier", type=SUPPLIER, help="Only this supplier (SAP vendor id, leading zeros optional).")
@json_option
@click.option("--window", "window_months", default=1, show_default=True, type=click.IntRange(1, 36),
              help="1 = monthly; 3 or 12 = rolling windows ending with the period.")
@click.option("--as-of", type=DATE, help="Each supplier's latest month final by this date (default: today); "
                                         "selects stored cards, never scores.")
@click.pass_context
def scorecards(ctx: click.Context, period: str | None, every_month: bool, supplier: str | None, as_json: bool,
               window_months: int, as_of: datetime | None) -> None:
    """Stored scorecards: by default each supplier's latest final month; provisional ones are labelled."""
    from mapping.scorecards import evaluation_period
    from scheduler.demo import show_table
    from store.scorecards import latest_final, load_scorecards
    app = app_for(ctx)
    day = as_date(as_of) or app.today()
    with app.engine.connect() as connection:
        cards = load_scorecards(connection, period, supplier, window_months)
    if not (period or every_month):
        cards = list(latest_final(cards, evaluation_period(day)).values())
    if as_json:
        click.echo(json.dumps([card.model_dump(mode="json") for card in cards], indent=2))
    elif not cards:
        click.echo(f"no {'' if period or every_month else 'final '}scorecards{for_whom(supplier)}"
                   + (f" in {period}" if period else "") + (f" over {window_months} months" if window_months > 1 else ""))
    elif period or every_month:
        _period_table(cards)
    else:
        show_table(cards, day)


def _period_table(cards: list) -> None:
    from scheduler.demo import fmt
    for card in cards:
        click.echo(f"{card.supplier_id:12} {card.period} {card.status:11} score {fmt(card.score):>6} "
                   f"grade {card.grade or 'n/a':3} " + " ".join(f"{k}={fmt(v)}" for k, v in card.kpis.model_dump().items()))


@click.command()
@click.option("--supplier", required=True, type=SUPPLIER, help="SAP vendor id (leading zeros optional).")
@click.option("--period", required=True, type=PERIOD, help="YYYY-MM (the last month of the window).")
@click.option("--kpi", required=True, type=click.Choice(KPI_KEYS))
@click.option("--window", "window_months", default=1, show_default=True, type=click.IntRange(1, 36))
@click.option("--as-of", type=DATE, help="Default: today.")
@json_option
@click.pass_context
def explain(ctx: click.Context, supplier: str, period: str, kpi: str, window_months: int, as_of: datetime | None,
            as_json: bool) -> None:
    """Show every schedule line, movement, item or action behind one KPI value, and whether it counted."""
    from store.records import supplier_known
    from sync.scoring import explain as explain_kpi
    app = app_for(ctx)
    with app.engine.connect() as connection:
        if not supplier_known(connection, supplier):
            raise click.ClickException(f"supplier {supplier} not found: no SAP purchase order or Salesforce Account "
                                       "names it")
    found = explain_kpi(app.engine, app.settings, supplier, period, kpi, window_months, as_date(as_of) or app.today())
    emit(found, as_json, _explain_table)


def _explain_table(found: dict) -> None:
    from scheduler.demo import fmt
    click.echo(f"{found['kpi']} = {fmt(found['value'], 2)} for {found['supplier_id']}, {found['period']} "
               f"({found['window_months']} month window), as of {found['as_of']}")
    click.echo(f"rule: {found['rule']}")
    rows = [{column: shown(value) for column, value in row.items()} for row in found["rows"]]
    if not rows:
        click.echo("no records: no activity, so no value")
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(row[c].ljust(widths[c]) for c in columns))
    for warning in found["warnings"]:
        click.echo(f"warning: {warning}")


@click.command()
@click.option("--supplier", type=SUPPLIER, help="Only this supplier (SAP vendor id, leading zeros optional).")
@json_option
@click.pass_context
def risks(ctx: click.Context, supplier: str | None, as_json: bool) -> None:
    """Open risk signals, with severity and evidence."""
    from store.risks import open_signals
    with app_for(ctx).engine.connect() as connection:
        signals = [s.model_dump(mode="json") for s in open_signals(connection, supplier)]
    emit(signals, as_json, lambda rows: [click.echo(_risk_line(r)) for r in rows],
         empty=f"no open risk signals{for_whom(supplier)}")


def _risk_line(signal: dict) -> str:
    measured = "".join(f" {key} {shown(signal[key])}" for key in ("observed", "limit") if signal[key] is not None)
    return (f"{signal['severity']:8} {signal['supplier_id']:12} {signal['kind']:16} {signal['kpi'] or '':28} "
            f"{signal['period'] or '':8}{measured}  since {signal['raised_at']}")


@click.command()
@click.option("--unmatched", is_flag=True, required=True, help="List what could not be matched.")
@json_option
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
        click.echo(f"  {row['vendor_id']}  {row['purchase_orders']} purchase orders, last {shown(row['last_order'])}")
    click.echo(f"Accounts without a vendor id ({len(found['accounts_without_vendor'])}):")
    for row in found["accounts_without_vendor"]:
        click.echo(f"  {row['account_id']}  {row['name']}  owner {shown(row['owner'])}")
    click.echo(f"Vendor ids on several Accounts, not guessed ({len(found['vendor_ids_on_several_accounts'])}):")
    for row in found["vendor_ids_on_several_accounts"]:
        click.echo(f"  {row['vendor_id']}  {row['account_id']}  {row['name']}")


@click.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="Show the latest this many runs.")
@json_option
@click.pass_context
def runs(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The sync run log, latest first."""
    from store.sync_state import recent_runs, run_count
    with app_for(ctx).engine.connect() as connection:
        rows, total = recent_runs(connection, limit), run_count(connection)
    emit(rows, as_json, lambda rs: [click.echo(_run_line(r)) for r in rs], empty="no sync runs yet")
    cut_notice(len(rows), total, limit, "runs")


def _run_line(run: dict) -> str:
    took = f"{(run['finished_at'] - run['started_at']).total_seconds():.1f}s" if run["finished_at"] else "running"
    return (f"{run['started_at']:%Y-%m-%d %H:%M:%S} {run['stream']:22} {run['outcome']:9} pulled {run['pulled']:6} "
            f"stored {run['stored']:6} quarantined {run['quarantined']:4} {took}" + (f"  {run['error']}" if run["error"] else ""))


@click.command()
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1),
              help="Show the latest this many records.")
@json_option
@click.pass_context
def quarantine(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Records that were refused, with the reason (the raw content is in --json)."""
    from store.sync_state import quarantine_count, quarantined
    with app_for(ctx).engine.connect() as connection:
        rows, total = quarantined(connection, limit), quarantine_count(connection)
    emit(rows, as_json, lambda rs: [click.echo(f"{r['id']:6} {r['stream']:22} {r['record_key']:24} {r['reason']}")
                                    for r in rs], empty="nothing is quarantined")
    cut_notice(len(rows), total, limit, "quarantined records")


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Cursors, the last sync cycle and the outbox backlog; exit 1 when the cycle failed or the outbox is stuck."""
    from sqlalchemy import select

    from config.masking import mask_url
    from scheduler.checks import health_problems
    from scheduler.leader import leader_lock
    from store.outbox import backlog
    from store.sync_state import last_cycle
    from store.tables import sync_cursors
    app = app_for(ctx)
    with app.engine.connect() as connection:
        cursors = {r.stream: r.position for r in connection.execute(select(sync_cursors))}
        state = {"database": mask_url(app.settings.database.url),
                 "leader": leader_lock(app.engine, app.settings.scheduler).holder(), "cursors": cursors,
                 "last_cycle": last_cycle(connection), "outbox": backlog(connection, app.now())}
    state["problems"] = health_problems(state["last_cycle"], state["outbox"], app.settings.scheduler.stuck_after_s)
    state["healthy"] = not state["problems"]
    emit(state, as_json, lambda s: click.echo("\n".join(
        [f"database {s['database']}", f"leader   {s['leader'] or 'none: no srm-bridge run is leading'}"]
        + [f"cursor   {k:22} {v}" for k, v in s["cursors"].items()]
        + [f"cycle    {r['run_id']} {r['stream']:22} {r['outcome']:9} {r['started_at']:%Y-%m-%d %H:%M:%S}"
           for r in s["last_cycle"]]
        + [f"outbox   {backlog_line(s['outbox'])}"]
        + [f"health   {'ok' if s['healthy'] else 'FAILING: ' + '; '.join(s['problems'])}"])))
    ctx.exit(0 if state["healthy"] else 1)
