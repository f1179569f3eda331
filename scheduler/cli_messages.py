"""Commands about pushed messages: the outbox, consumers, and the contract files."""
import json
from datetime import datetime, timezone
from pathlib import Path

import click

from scheduler.cli_support import DATE, app_for, backlog_line, emit, json_option, shown

@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def outbox(ctx: click.Context, as_json: bool) -> None:
    """The outbox: backlog, oldest pending age and dead letters."""
    if ctx.invoked_subcommand:
        return
    from store.outbox import backlog, dead_letters
    app = app_for(ctx)
    with app.engine.connect() as connection:
        state = {**backlog(connection, app.now()), "dead_letters": dead_letters(connection)}
    emit(state, as_json, lambda s: click.echo("\n".join(
        [backlog_line(s)]
        + [f"dead {d['id']} {d['supplier_id']} {d['event_type']:26} attempts {d['attempts']}: {shown(d['last_error'])}"
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
    with app_for(ctx).engine.begin() as connection:
        count = replay(connection, since=since.replace(tzinfo=timezone.utc) if since else None, event_id=event_id,
                       dead=dead)
    if event_id and not count:
        raise click.ClickException(f"event {event_id} not found in the outbox")
    if not count:
        click.echo(f"no events created on or after {since:%Y-%m-%d}" if since else "no dead letters to replay")
        return
    click.echo(f"{count} event(s) queued for republishing")


@click.command()
@click.argument("consumer", type=click.Choice(["print", "salesforce"]))
@click.option("--queue", "queue_name", help="A queue from broker.queues (default: the first).")
@click.option("--max", "max_events", type=click.IntRange(1), help="Stop after this many messages.")
@click.option("--idle-timeout", type=click.FloatRange(0, min_open=True), help="Stop after this many idle seconds.")
@click.pass_context
def consume(ctx: click.Context, consumer: str, queue_name: str | None, max_events: int | None,
            idle_timeout: float | None) -> None:
    """Consume pushed events: `print` writes each new one as a JSON line; `salesforce` writes scorecards to Accounts."""
    from scheduler.consumers import run_consumer
    result = run_consumer(app_for(ctx), consumer, queue_name, max_events, idle_timeout)
    click.echo(json.dumps(result.outcomes, sort_keys=True), err=True)


@click.command()
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
