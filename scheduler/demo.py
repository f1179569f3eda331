"""`srm-bridge demo`: both stand-ins on free ports, the real connectors, scoring, publishing, a table."""
import logging
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import click

from config import Settings
from config.masking import mask_url
from config.strict import variable_for
from sandbox.serve import salesforce_dataset, sap_dataset, start_salesforce, start_sap
from console.report import file_name, write_report
from scheduler import demo_workdir
from scheduler.bootstrap import App, open_app
from scheduler.cli_console import console_url
from scheduler.jobs import publish_job, score_job, sync_job
from store.actions import find_actions
from store.risks import open_signals
from mapping.scorecards import evaluation_period
from store.scorecards import latest_final, load_scorecards
from store.sync_state import recent_runs

REPLAY_MONTHS = 4  # a first demo scores the last months one after the other, so the action loop has a history
COLUMNS = (("otd_pct", "OTD %"), ("otif_pct", "OTIF %"), ("fill_rate_pct", "Fill %"), ("quality_ppm", "PPM"),
           ("lead_time_days_mean", "Lead d"))


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def run_demo(loaded: Settings, suppliers: int, months: int, seed: int, sap_data: Path | None,
             salesforce_data: Path | None, as_of: date | None, workdir: Path, keep: bool) -> None:
    logging.getLogger().setLevel(logging.WARNING)  # the demo prints its own summary; warnings still show
    as_of = as_of or open_app(settings=loaded, migrate=False).today()
    note = demo_workdir.prepare(workdir, demo_workdir.options_for(suppliers, months, seed, as_of, sap_data,
                                                                  salesforce_data), keep)
    if note:
        click.echo(note)
    base = demo_workdir.demo_settings(loaded, workdir)
    sap_server, sap_app = start_sap(sap_dataset(sap_data, suppliers, months, seed, as_of), user=base.sap.user,
                                    password=base.sap.password.get_secret_value(), client=base.sap.client)
    sf_server, _, ca_path = start_salesforce(salesforce_dataset(salesforce_data, suppliers, seed, as_of),
                                             tls_dir=workdir / "tls", client_id=base.salesforce.client_id,
                                             client_secret=base.salesforce.client_secret.get_secret_value())
    try:
        settings = base.model_copy(update={
            "sap": base.sap.model_copy(update={"settle_seconds": 0, **{
                stream: getattr(base.sap, stream).model_copy(update={"url": url})
                for stream, url in sap_app.urls(sap_server.url).items()}}),
            "salesforce": base.salesforce.model_copy(update={"login_url": sf_server.url, "verify": str(ca_path),
                                                             "settle_seconds": 0}),
        })
        app = open_app(settings=settings)
        settings_file, with_passwords = demo_workdir.write_settings_file(base, workdir)
        click.echo(f"SAP stand-in        {sap_server.url} (one service per endpoint)")
        click.echo(f"Salesforce stand-in {sf_server.url} (CA {ca_path})")
        report = sync_job(app, ["sap", "salesforce"], full=True)
        for result in report.streams:
            click.echo(f"  {result.stream:22} {result.outcome:9} pulled {result.pulled:6} stored {result.stored:6} "
                       f"quarantined {result.quarantined}" + (f"  {result.error}" if result.error else ""))
        with app.engine.connect() as connection:
            first_run = not load_scorecards(connection)
        scored = [score_job(app, month_end).actions
                  for month_end in (replay_month_ends(as_of, REPLAY_MONTHS) if first_run else [as_of])]
        published = publish_job(app)
        with app.engine.connect() as connection:
            cards = load_scorecards(connection)
            runs = recent_runs(connection, 3)
            plans = find_actions(connection)
            signals = open_signals(connection)
        show_table(cards, as_of)
        show_actions(plans, signals, sum(r.opened + r.changed for r in scored))
        click.echo(f"\nas of {as_of}; sync run {runs[0]['run_id'] if runs else '-'}")
        click.echo(f"database  {mask_url(settings.database.url)}")
        click.echo(f"messages  {published.sent} published to exchange '{settings.broker.exchange}' on "
                   f"{mask_url(settings.broker.url)}" + (f" (folder {settings.broker.folder.resolve()})"
                                               if settings.broker.url.startswith("filesystem") else ""))
        if published.failed:
            click.echo(f"          {published.failed} not confirmed; see `srm-bridge status`")
        click.echo(f"settings  {settings_file} (for later commands: --config or SRM_BRIDGE_CONFIG)")
        for setting in with_passwords:
            click.echo(f"          {setting} holds a password, so the file leaves it out: set "
                       f"{variable_for(setting.split('.'))} for later commands")
        example = example_report(app, cards, workdir / "reports")
        if example:
            click.echo(f"report    {example} (a supplier scorecard to send; `srm-bridge report --help`)")
        command = f"{invoked_as()} --config {settings_file}"
        click.echo(f"console   {command} console   then open "
                   f"{console_url(settings.console.host, settings.console.port)}")
    finally:
        sap_server.stop()
        sf_server.stop()


def invoked_as() -> str:
    """The command as the user can type it again: `.venv/bin/srm-bridge` after `make demo`."""
    program = Path(sys.argv[0])
    if program.name != "srm-bridge":
        return "srm-bridge"
    try:
        return str(program.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return "srm-bridge" if shutil.which("srm-bridge") == str(program) else str(program)


def example_report(app: App, cards: list, folder: Path) -> Path | None:
    """The scorecard report of the weakest supplier in the latest final month, written into `folder`."""
    final = [card for card in cards if card.status == "final" and card.score is not None]
    if not final:
        return None
    period = max(card.period for card in final)
    weakest = min((card for card in final if card.period == period), key=lambda card: card.score)
    return write_report(app.engine, app.settings, weakest.supplier_id, period, "html",
                        folder / file_name(weakest.supplier_id, period, "html"), app.today())


def replay_month_ends(as_of: date, months: int) -> list[date]:
    """Month ends before `as_of`, oldest first, then `as_of`: the corrective-action loop as it would have run."""
    ends, day = [], as_of.replace(day=1) - timedelta(days=1)
    for _ in range(months - 1):
        ends.insert(0, day)
        day = day.replace(day=1) - timedelta(days=1)
    return [*ends, as_of]


def show_actions(plans: list, signals: list, changes: int) -> None:
    critical = sum(signal.severity == "critical" for signal in signals)
    escalated = sum(plan.escalation_level > 0 for plan in plans)
    closed = sum(plan.status == "closed" for plan in plans)
    click.echo(f"\nrisk signals  {len(signals)} open ({critical} critical): `srm-bridge risks`")
    click.echo(f"corrective actions  {len(plans)} opened, {escalated} escalated, {closed} closed; "
               f"{changes} changes this run: `srm-bridge actions list`")


def show_table(cards: list, as_of: date) -> None:
    """Each supplier's latest final month as of `as_of`; a month still running is only named, as provisional."""
    latest = latest_final(cards, evaluation_period(as_of))
    header = f"{'Supplier':12} {'Name':24} {'Period':8}" + "".join(f" {label:>7}" for _, label in COLUMNS) + "   Score Grade"
    click.echo("\n" + header + "\n" + "-" * len(header))
    for supplier_id, card in sorted(latest.items()):
        kpis = card.kpis
        values = "".join(f" {fmt(getattr(kpis, key), 0 if key == 'quality_ppm' else 1):>7}" for key, _ in COLUMNS)
        click.echo(f"{supplier_id:12} {(card.supplier_name or '(no account)')[:24]:24} {card.period:8}{values}"
                   f" {fmt(card.score):>7} {card.grade or 'n/a':>5}")
    for period in sorted({card.period for card in cards if card.status != "final"}):
        count = sum(card.period == period for card in cards)
        click.echo(f"{period} is provisional (the month is still running): {count} cards, not shown; "
                   f"`srm-bridge scorecards --period {period}` lists them labelled")
