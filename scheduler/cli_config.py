"""`srm-bridge config check [--connect]`: the effective configuration, secrets masked, and each system reached."""
import json

import click
import yaml

from scheduler.cli_support import json_option, settings_for
from scheduler.exits import EXIT_UNREACHABLE


@click.group("config")
def config_group() -> None:
    """The configuration."""


@config_group.command("check")
@click.option("--connect", is_flag=True, help="Also reach each system in turn: database, broker, SAP services, "
                                              "Salesforce token.")
@json_option
@click.pass_context
def config_check(ctx: click.Context, connect: bool, as_json: bool) -> None:
    """Validate the configuration (files named by settings included) and print it with secrets masked; nothing is
    connected without --connect."""
    from config import ConfigError
    from config.files import missing_files
    from config.masking import masked_settings
    settings = settings_for(ctx)
    if problems := missing_files(settings):
        raise ConfigError("; ".join(problems))
    source = ctx.find_root().obj.get("config")
    shown = masked_settings(settings)
    if not as_json:
        click.echo(f"# srm-bridge configuration: valid; from {f'file {source}, ' if source else ''}"
                   f"SRM_BRIDGE_* variables and defaults; secrets masked")
        click.echo(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True), nl=False)
    results = []
    if connect:
        from scheduler.checks import reach_all
        for reached in reach_all(settings):  # one line per system as soon as it answers
            results.append(reached)
            if not as_json:
                click.echo(f"{reached.system:26} {'ok' if reached.ok else 'FAILED':6} {reached.detail}")
    if as_json:
        systems = [{"system": r.system, "ok": r.ok, "detail": r.detail} for r in results]
        click.echo(json.dumps({"config": shown, **({"systems": systems} if connect else {})}, indent=2))
    ctx.exit(EXIT_UNREACHABLE if any(not r.ok for r in results) else 0)
