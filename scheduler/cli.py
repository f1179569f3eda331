"""The `srm-bridge` command line."""
import logging
import sys
from datetime import date, datetime, timezone
from importlib.metadata import version
from pathlib import Path

import click

from scheduler import logs
from scheduler.cli_support import DATE, app_for, as_date, config_option, settings_for
from scheduler.exits import one_line

log = logging.getLogger("srm_bridge.cli")


class Commands(click.Group):
    """Every command: a setting or a system a user can fix ends in one line and its exit code, not a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - whatever the command returns
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            verdict = one_line(exc, (ctx.obj or {}).get("settings"))
            if verdict is None:
                raise
            log.debug("the command stopped", exc_info=exc)
            click.echo(f"srm-bridge: {verdict[1]}", err=True)
            ctx.exit(verdict[0])


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("srm-bridge"), "--version", "-V", prog_name="srm-bridge")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """srm-bridge: supplier KPIs, scorecards and corrective actions from SAP and Salesforce."""
    ctx.ensure_object(dict).setdefault("config", None)
    logs.configure()


@cli.command()
@click.option("--suppliers", default=12, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 60))
@click.option("--seed", default=7, show_default=True)
@click.option("--sap-data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--salesforce-data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-of", type=DATE, help="Compute as of this date (default: today).")
@click.option("--workdir", default=Path("srm-bridge-demo"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The demo's own folder: database, broker, settings file, example report.")
@click.option("--keep", is_flag=True, help="Keep the folder's data even when the options differ from the last demo.")
@click.pass_context
def demo(ctx: click.Context, suppliers: int, months: int, seed: int, sap_data: Path | None,
         salesforce_data: Path | None, as_of: datetime | None, workdir: Path, keep: bool) -> None:
    """Run the whole pipeline against local stand-ins and print graded scorecards."""
    from scheduler.demo import run_demo
    run_demo(settings_for(ctx), suppliers, months, seed, sap_data, salesforce_data, as_date(as_of), workdir, keep)


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
@click.option("--profile", type=click.Choice(["es", "bapi"]), default="es", show_default=True,
              help="SAP: Enterprise Services query services, or BAPIs published as web services.")
@click.option("--style", type=click.Choice(["rfc", "mc"]), default="rfc", show_default=True,
              help="SAP bapi: SOAMANAGER's naming style.")
@click.option("--date-format", type=click.Choice(list("123456")), default="1", show_default=True,
              help="SAP bapi: the technical user's date format (SU01), in which delivery dates are written.")
@click.option("--return-error-on", type=click.IntRange(1),
              help="SAP bapi: the Nth call answers HTTP 200 with an error row in RETURN.")
@click.option("--token-ttl", default=7200.0, show_default=True, type=click.FloatRange(0, min_open=True),
              help="Salesforce: seconds a session lives.")
@click.option("--api-budget", default=15000, show_default=True, type=click.IntRange(1),
              help="Salesforce: daily API requests before REQUEST_LIMIT_EXCEEDED.")
def sandbox(system: str, port: int, data: Path | None, suppliers: int, months: int, seed: int, as_of: datetime | None,
            user: str, password: str, client_id: str, client_secret: str, tls_dir: Path | None, fail_rate: float,
            latency_ms: int, timeout_rate: float, stall_s: float, fault_on_page: int | None, profile: str,
            style: str, date_format: str, return_error_on: int | None, token_ttl: float, api_budget: int) -> None:
    """Serve a stand-in in the foreground. SAP: the purchase-order and goods-movement service URLs, one a
    line (bapi: the endpoints of BAPI_GOODSMVT_GETITEMS, BAPI_PO_GETITEMS and BAPI_PO_GETDETAIL1);
    Salesforce: its URL, then its CA file."""
    from sandbox.faults import Faults
    from sandbox.serve import salesforce_dataset, sap_dataset, start_salesforce, start_sap, start_sap_bapi
    day = as_date(as_of) or date.today()
    faults = Faults(fail_rate=fail_rate, latency_ms=latency_ms, timeout_rate=timeout_rate, stall_s=stall_s,
                    fault_on_page=fault_on_page, return_error_on=return_error_on, seed=seed)
    if system == "sap" and profile == "bapi":
        server, app = start_sap_bapi(sap_dataset(data, suppliers, months, seed, day), port, user, password,
                                     faults=faults, background=False, style=style, date_format=date_format)
        for url in app.urls(server.url).values():
            click.echo(url)
    elif system == "sap":
        server, app = start_sap(sap_dataset(data, suppliers, months, seed, day), port, user, password, faults=faults,
                                background=False)
        urls = app.urls(server.url)
        click.echo(urls["purchase_orders"])
        click.echo(urls["goods_movements"])
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
    report = sync_job(app_for(ctx), sources, full=full, since=since.replace(tzinfo=timezone.utc) if since else None)
    ctx.exit(0 if report.ok else 1)


@cli.command()
@click.option("--as-of", type=DATE, help="Compute as of this date (default: the last complete day, as the service "
                                         "does).")
@click.option("--full", is_flag=True, help="Measure every window again, not only those containing a month whose records changed.")
@click.option("--replay", is_flag=True, help="Allow an as-of before the newest scoring run's: restate the cards, "
                                             "leave risk signals and corrective actions as they are.")
@click.option("--dry-run", is_flag=True, help="Print what would change (cards, signals, plan steps, events); write "
                                              "nothing.")
@click.pass_context
def score(ctx: click.Context, as_of: datetime | None, full: bool, replay: bool, dry_run: bool) -> None:
    """Compute KPIs, scorecards, risk signals and the action loop; changes go to the outbox."""
    from scheduler.jobs import score_job
    from sync.scoring import ReplayRefused
    app = app_for(ctx)
    try:
        report = score_job(app, as_date(as_of) or app.last_complete_day(), full=full, replay=replay, dry_run=dry_run)
    except ReplayRefused as exc:
        click.echo(f"srm-bridge: {exc}", err=True)
        ctx.exit(2)
    if report.skipped:
        click.echo("nothing changed since the last scoring run (same as-of and settings, no record, Account or "
                   "plan changed): nothing scored, nothing written; --full scores anyway")
        return
    if dry_run:
        _show_dry_run(report)
        return
    mode = "incremental" if report.incremental else "full"
    click.echo(f"{report.scorecards} scorecards computed, {len(report.changed)} changed "
               f"({report.tallied} supplier-months tallied, {mode}); "
               f"peer benchmarks changed {report.benchmarks}; "
               + ("a replay: risk signals and corrective actions left as they are" if report.replay else
                  f"risk signals raised {report.raised}, cleared {report.cleared}"))


def _show_dry_run(report) -> None:  # noqa: ANN001 - sync.scoring.ScoreReport, imported lazily
    click.echo(f"dry run{' of a replay' if report.replay else ''}: nothing was written")
    click.echo(f"scorecards  {len(report.changed)} of {report.scorecards} would change")
    for card in report.changed:
        click.echo(f"  {card.supplier_id:12} {card.period} {card.window_months:2}m {card.status:11} "
                   f"score {'n/a' if card.score is None else f'{card.score:.1f}':>5} grade {card.grade or 'n/a'}")
    click.echo(f"benchmarks  {report.benchmarks} peer groups would change")
    click.echo(f"signals     {len(report.signals)} would change" + ("" if not report.replay else
                                                                    " (a replay leaves them as they are)"))
    for line in report.signals:
        click.echo(f"  {line}")
    click.echo(f"plan steps  {len(report.actions.steps)}" + ("" if not report.replay else
                                                            " (a replay leaves corrective actions as they are)"))
    for line in report.actions.steps:
        click.echo(f"  {line}")
    click.echo(f"events      {sum(report.events.values())}" + "".join(
        f"\n  {event_type} {count}" for event_type, count in sorted(report.events.items()) if count))


@cli.command()
@click.pass_context
def publish(ctx: click.Context) -> None:
    """Drain the outbox to the broker once."""
    from scheduler.exits import broker_unreachable
    from scheduler.jobs import publish_job
    app = app_for(ctx)
    result = publish_job(app)
    click.echo(f"sent {result.sent}, failed {result.failed}, dead-lettered {result.dead}")
    if result.unavailable:
        reason = result.unavailable.partition(" unavailable: ")[2] or result.unavailable  # after the publisher's URL
        raise broker_unreachable(app.settings.broker.url, f"{reason}; unsent events wait for the next publish")
    ctx.exit(0 if not result.failed else 1)


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the service: sync and score as the leader (or wait as a standby), publish, serve /healthz,
    /readyz and /metrics, until SIGTERM/SIGINT."""
    from config.masking import masked_settings
    from scheduler.bootstrap import open_app
    from scheduler.service import run_service
    settings = settings_for(ctx)
    log.info("srm-bridge starting", extra={"version": version("srm-bridge"), "config": masked_settings(settings)})
    run_service(open_app(settings=settings, connect=False))  # it waits for the database and migrates once it leads


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply migrations up to the latest, under the leader lock (the service and demo do this by themselves)."""
    app_for(ctx)
    click.echo("database schema is up to date")


def _register() -> None:
    from scheduler.cli_actions import actions
    from scheduler.cli_config import config_group
    from scheduler.cli_console import console, report
    from scheduler.cli_messages import consume, contract, outbox
    from scheduler.cli_reports import explain, quarantine, risks, runs, scorecards, status, suppliers
    for command in (outbox, consume, contract, scorecards, explain, risks, suppliers, actions, runs, quarantine, status,
                    console, report, config_group):
        cli.add_command(command)
    cli.params.append(config_option(envvar="SRM_BRIDGE_CONFIG"))
    _accept_config_after(cli)


def _accept_config_after(group: click.Group) -> None:
    for command in group.commands.values():
        command.params.append(config_option())
        if isinstance(command, click.Group):
            _accept_config_after(command)


_register()


def main() -> None:
    cli(prog_name="srm-bridge")
