"""`srm-bridge console` (the web console for a one-off look at a database) and `srm-bridge report`."""
import signal
from pathlib import Path

import click

from scheduler.cli_support import PERIOD, SUPPLIER, app_for


def console_url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


@click.command()
@click.option("--host", help="Address to listen on (default console.host, 127.0.0.1). Beyond this machine the "
                             "console needs console.token or console.username/password.")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default console.port, 8080; 0 picks a free one).")
@click.pass_context
def console(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the read-only web console until Ctrl-C; its URL is the first line printed."""
    from config import ConfigError
    from console.app import create_app
    from scheduler.http import HttpServer
    app = app_for(ctx)
    host = host or app.settings.console.host
    port = app.settings.console.port if port is None else port
    try:
        server = HttpServer(create_app(app.settings, app.engine, bind_host=host), host, port, threads=4,
                            serves="the web console")
    except OSError as exc:
        raise ConfigError(f"console: cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port or "
                          "console.port (SRM_BRIDGE_CONSOLE__PORT)") from None
    click.echo(console_url(host, server.port))
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.start().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@click.command()
@click.option("--supplier", type=SUPPLIER, help="SAP vendor id (leading zeros optional).")
@click.option("--all", "every", is_flag=True, help="One report per supplier scored in the period, into --out DIR.")
@click.option("--period", required=True, type=PERIOD, help="The month reported (YYYY-MM).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="html", show_default=True)
@click.option("--out", type=click.Path(path_type=Path),
              help="File to write (default scorecard-<supplier>-<period>.<format>); with --all, a folder.")
@click.pass_context
def report(ctx: click.Context, supplier: str | None, every: bool, period: str, fmt: str, out: Path | None) -> None:
    """The supplier scorecard for one month: a self-contained HTML or PDF file to send to the supplier."""
    from console.report import file_name, write_all, write_report
    if every == bool(supplier):
        raise click.UsageError("give --supplier ID or --all")
    app = app_for(ctx)
    if every:
        if out is None:
            raise click.UsageError("--all needs --out DIR")
        written = write_all(app.engine, app.settings, period, fmt, out, app.today())
        if not written:
            click.echo(f"no scorecards in {period}")
        for found in written:
            click.echo(found.path)
        return
    path = write_report(app.engine, app.settings, supplier, period, fmt, out or Path(file_name(supplier, period, fmt)),
                        app.today())
    if path is None:
        raise click.ClickException(f"scorecard of supplier {supplier} for {period} not found "
                                   f"(see `srm-bridge scorecards --supplier {supplier}`)")
    click.echo(path)
