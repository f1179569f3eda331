"""`srm-bridge consume NAME`: run one of the built-in consumers until stopped."""
import signal
import sys
import threading

from sqlalchemy import Connection

from config import ConfigError
from config.settings import QueueBinding
from connectors.salesforce import SalesforceClient
from domain.events import CloudEvent
from scheduler.bootstrap import App
from sync.batch_consumer import BatchConsumer
from sync.consumer import ConsumeResult, EventConsumer
from sync.write_back import SalesforceWriteBack

CONSUMERS = ("print", "salesforce")


def print_event(connection: Connection, event: CloudEvent) -> None:
    """One JSON line per new event, for operators and shell pipelines."""
    sys.stdout.write(event.model_dump_json() + "\n")
    sys.stdout.flush()


def queue_named(app: App, name: str | None) -> QueueBinding:
    queues = app.settings.broker.queues
    binding = next((q for q in queues if q.name == name), None) if name else queues[0]
    if binding is None:
        raise ConfigError(f"queue {name!r} is not in broker.queues ({', '.join(q.name for q in queues)})")
    return binding


def build_consumer(app: App, name: str, queue_name: str | None) -> EventConsumer:
    if name == "salesforce":
        write_back = app.settings.salesforce.write_back
        return BatchConsumer(app.engine, app.settings.broker, "salesforce",
                             SalesforceWriteBack(SalesforceClient(app.settings.salesforce), app.settings.salesforce),
                             app.now, queue_named(app, queue_name or write_back.queue), write_back.batch_size,
                             app.settings.consumer)
    return EventConsumer(app.engine, app.settings.broker, name, print_event, app.now, queue_named(app, queue_name),
                         app.settings.consumer)


def run_consumer(app: App, name: str, queue_name: str | None, max_events: int | None,
                 idle_timeout_s: float | None) -> ConsumeResult:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    consumer = build_consumer(app, name, queue_name)
    return consumer.run(max_events=max_events, idle_timeout_s=idle_timeout_s, should_stop=stop.is_set)
