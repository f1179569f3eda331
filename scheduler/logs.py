"""Logging on stderr: one JSON object per line for machines, readable lines for people; passwords in URLs and the
secret values of the settings masked."""
import json
import logging
import sys
from datetime import datetime, timezone

from config.masking import mask_secrets
from sync.run_context import RunIdFilter

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class _Masking(logging.Formatter):
    def __init__(self, secrets: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.secrets = secrets


class JsonFormatter(_Masking):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask_secrets(json.dumps(entry, default=str), self.secrets)


class HumanFormatter(_Masking):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD and v is not None)
        line = f"{record.levelname.lower():7} {record.getMessage()}" + (f"  {extras}" if extras else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return mask_secrets(line, self.secrets)


def configure(log_format: str = "auto", level: str = "info", secrets: frozenset[str] = frozenset()) -> None:
    """`log.format` and `log.level`: `auto` writes text on a terminal and JSON otherwise; `secrets` never show."""
    json_lines = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if json_lines else HumanFormatter(secrets))
    handler.addFilter(RunIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("zeep", "urllib3", "kombu", "amqp", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
