"""Turn a domain change into an outbox row: a validated CloudEvents envelope, in the caller's transaction."""
import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Connection

from config.settings import BrokerSettings
from domain.events import EVENT_MODELS, CloudEvent, format_sequence, routing_key, schema_id
from store.outbox import add_event, next_sequence


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
    """Write the event into the outbox inside the caller's transaction, with the supplier's next sequence."""
    sequence = next_sequence(connection, supplier_id)
    envelope = build_envelope(event_type, supplier_id, sequence, data, broker.source, now)
    add_event(connection, event_id=envelope.id, supplier_id=supplier_id, sequence=sequence, event_type=event_type,
              routing_key=routing_key(event_type, supplier_id), envelope=envelope.model_dump_json(), now=now)
    return envelope
