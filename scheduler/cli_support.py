"""What every command shares: dates, the application from the context, JSON or table output."""
import json
from datetime import date, datetime

import click

DATE = click.DateTime(formats=["%Y-%m-%d"])


def as_date(value: datetime | None) -> date | None:
    return value.date() if value else None


def app_for(ctx: click.Context):  # noqa: ANN201 - App, imported lazily to keep `--help` fast
    from scheduler.bootstrap import open_app
    return open_app(ctx.find_root().obj["config"])


def emit(rows: object, as_json: bool, render) -> None:  # noqa: ANN001
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
    else:
        render(rows)
