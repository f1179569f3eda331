"""Exit codes, and the one line a command prints instead of a traceback when a setting or a system is wrong.

    0  done
    1  done, and what it reports failed: a stream, an unconfirmed or refused event, an unhealthy status
    2  usage or configuration: an unknown option or setting, a bad value, a config file that is missing or
       does not parse, an unsupported database or broker URL, a SQLite database in a folder that does not exist
    3  a system the command needs cannot be reached: the database, the broker; `config check --connect`
       when any system failed

The full error, traceback included, is logged at debug level (`log.level: debug`).
"""
import logging

from config import ConfigError, Settings
from config.masking import mask_url

EXIT_FAILED, EXIT_CONFIG, EXIT_UNREACHABLE = 1, 2, 3
DATABASE_SETTING = "database.url (SRM_BRIDGE_DATABASE__URL)"
BROKER_SETTING = "broker.url (SRM_BRIDGE_BROKER__URL)"

log = logging.getLogger("srm_bridge.cli")


class Unreachable(Exception):
    """A system a one-shot command needs cannot be reached; the message names it and the setting to check."""


def database_unreachable(url: str, exc: BaseException) -> Unreachable:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return Unreachable(f"database unreachable ({mask_url(url)}): {reason}; check that it is up and that "
                       f"{DATABASE_SETTING} is right")


def broker_unreachable(url: str, reason: str) -> Unreachable:
    return Unreachable(f"broker unreachable ({mask_url(url)}): {mask_url(reason)}; check that it is up and that "
                       f"{BROKER_SETTING} is right")


def one_line(exc: BaseException, settings: Settings | None) -> tuple[int, str] | None:
    """The exit code and the line for an error a user can cause or fix; None for anything else (a bug)."""
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG, str(exc)
    if isinstance(exc, Unreachable):
        return EXIT_UNREACHABLE, str(exc)
    kind = type(exc).__module__.split(".")[0]
    if kind == "sqlalchemy" and getattr(exc, "connection_invalidated", False) and settings:
        return EXIT_UNREACHABLE, str(database_unreachable(settings.database.url, exc))
    if kind == "kombu" and type(exc).__name__ == "OperationalError" and settings:
        return EXIT_UNREACHABLE, str(broker_unreachable(settings.broker.url, str(exc)))
    return None
