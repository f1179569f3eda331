"""What every command shares: dates, supplier ids, settings and the application from the context, JSON or text
output."""
import json
import re
from datetime import date, datetime
from pathlib import Path

import click

from scheduler import logs

DATE = click.DateTime(formats=["%Y-%m-%d"])
JSON_HELP = "Print JSON instead of text."


class SupplierId(click.ParamType):
    """A supplier id as SAP keys it: `100002` and `0000100002` name the same supplier in every command."""

    name = "supplier"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        from domain.records import normalize_vendor_id
        try:
            return normalize_vendor_id(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Period(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(value)):
            self.fail(f"{value!r} is not a month: use YYYY-MM", param, ctx)
        return str(value)


SUPPLIER = SupplierId()
PERIOD = Period()


def json_option(function):  # noqa: ANN001, ANN201 - a click decorator
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(function)


def as_date(value: datetime | None) -> date | None:
    return value.date() if value else None


def settings_for(ctx: click.Context):  # noqa: ANN201 - Settings, imported lazily to keep `--help` fast
    """The settings, loaded once per command; logging follows their `log` section from then on."""
    state = ctx.find_root().ensure_object(dict)
    if state.get("settings") is None:
        from config import load_settings
        from config.masking import secret_values
        settings = state["settings"] = load_settings(state.get("config"))
        logs.configure(settings.log.format, settings.log.level, secret_values(settings))
    return state["settings"]


def app_for(ctx: click.Context):  # noqa: ANN201 - App, imported lazily to keep `--help` fast
    from scheduler.bootstrap import open_app
    return open_app(settings=settings_for(ctx))


def _remember_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.find_root().ensure_object(dict)["config"] = value


def config_option(envvar: str | None = None) -> click.Option:
    """`--config`, accepted before the subcommand (with its env var) and after it."""
    return click.Option(["--config"], type=click.Path(dir_okay=False, path_type=Path), envvar=envvar,
                        expose_value=False, is_eager=True, callback=_remember_config,
                        help="YAML or TOML settings file (env: SRM_BRIDGE_CONFIG).")


def backlog_line(outbox: dict) -> str:
    """The outbox backlog in one line, the age of the oldest pending event only when one is pending."""
    oldest = f" (oldest {outbox['oldest_pending_age_s']} s)" if outbox["pending"] else ""
    return f"pending {outbox['pending']}{oldest}  sent {outbox['sent']}  dead {outbox['dead']}"


def shown(value: object, digits: int | None = None) -> str:
    """A value for people: `-` for nothing (never `None`), yes/no for a flag, numbers with `digits` decimals."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if digits is not None and isinstance(value, (int, float)):
        return f"{value:.{digits}f}"
    return str(value)


def emit(rows: object, as_json: bool, render, empty: str | None = None) -> None:  # noqa: ANN001
    """JSON or text; an empty list prints `empty` (what was not found) instead of nothing."""
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
    elif not rows and empty:
        click.echo(empty)
    else:
        render(rows)


def cut_notice(count: int, total: int, limit: int, what: str) -> None:
    """Say on stderr when a listing shows only the latest `limit` of `total`."""
    if total > count:
        click.echo(f"showing the latest {count} of {total} {what}; use --limit to see more", err=True)


def for_whom(supplier: str | None) -> str:
    return f" for supplier {supplier}" if supplier else ""
