"""`srm-bridge consume NAME`: run one of the built-in consumers until stopped."""
import signal
import sys
import threading

from sqlalchemy import Connection

from config import ConfigError
from domain.events import CloudEvent
from scheduler.bootstrap import App
from sync.consumer import ConsumeResult, EventConsumer


def print_event(connection: Connection, event: CloudEvent) -> None:
    """One JSON line per new event, for operators and shell pipelines."""
    sys.stdout.write(event.model_dump_json() + "\n")
    sys.stdout.flush()


HANDLERS = {"print": print_event}


def run_consumer(app: App, name: str, queue_name: str | None, max_events: int | None,
                 idle_timeout_s: float | None) -> ConsumeResult:
    queues = app.settings.broker.queues
    binding = next((q for q in queues if q.name == queue_name), None) if queue_name else queues[0]
    if binding is None:
        raise ConfigError(f"queue {queue_name!r} is not in broker.queues ({', '.join(q.name for q in queues)})")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    consumer = EventConsumer(app.engine, app.settings.broker, name, HANDLERS[name], app.now, binding)
    return consumer.run(max_events=max_events, idle_timeout_s=idle_timeout_s, should_stop=stop.is_set)
