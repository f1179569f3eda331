"""Turn a domain change into an outbox row: a validated CloudEvents envelope, in the caller's transaction."""
import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Connection

from config.settings import BrokerSettings
from domain.events import EVENT_MODELS, CloudEvent, format_sequence, routing_key, schema_id
from store.outbox import add_events, next_sequences


def build_envelope(event_type: str, supplier_id: str, sequence: int, data: BaseModel, source: str,
                   now: datetime) -> CloudEvent:
    model = EVENT_MODELS.get(event_type)
    if model is None:
        raise ValueError(f"unknown event type {event_type}")
    return model(specversion="1.0", id=str(uuid.uuid4()), source=source, type=event_type, subject=supplier_id,
                 time=now, datacontenttype="application/json", dataschema=schema_id(event_type),
                 sequence=format_sequence(sequence), data=data)


def enqueue(connection: Connection, broker: BrokerSettings, event_type: str, supplier_id: str, data: BaseModel,
            now: datetime) -> CloudEvent:
    """Write one event into the outbox inside the caller's transaction, with the supplier's next sequence."""
    return enqueue_many(connection, broker, [(event_type, supplier_id, data)], now)[0]


def enqueue_many(connection: Connection, broker: BrokerSettings, changes: list[tuple[str, str, BaseModel]],
                 now: datetime) -> list[CloudEvent]:
    """Write events in the given order (which is each supplier's sequence order), in a few statements."""
    counts: dict[str, int] = {}
    for _, supplier_id, _ in changes:
        counts[supplier_id] = counts.get(supplier_id, 0) + 1
    following = next_sequences(connection, counts)
    envelopes, rows = [], []
    for event_type, supplier_id, data in changes:
        sequence = following[supplier_id]
        following[supplier_id] += 1
        envelope = build_envelope(event_type, supplier_id, sequence, data, broker.source, now)
        envelopes.append(envelope)
        rows.append({"id": envelope.id, "supplier_id": supplier_id, "sequence": sequence, "event_type": event_type,
                     "routing_key": routing_key(event_type, supplier_id), "envelope": envelope.model_dump_json(),
                     "created_at": now})
    add_events(connection, rows)
    return envelopes
