"""Logging on stderr: one JSON object per line for machines, readable lines for people; passwords in URLs masked."""
import json
import logging
import sys
from datetime import datetime, timezone

from config.masking import mask_url
from sync.run_context import RunIdFilter

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask_url(json.dumps(entry, default=str))


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD and v is not None)
        line = f"{record.levelname.lower():7} {record.getMessage()}" + (f"  {extras}" if extras else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return mask_url(line)


def configure(log_format: str = "auto", level: str = "info") -> None:
    """`log.format` and `log.level`: `auto` writes text on a terminal and JSON otherwise."""
    json_lines = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else HumanFormatter())
    handler.addFilter(RunIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("zeep", "urllib3", "kombu", "amqp", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
