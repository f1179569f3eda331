"""CloudEvents 1.0 envelopes (structured JSON mode) for everything srm-bridge pushes."""
import json
import uuid
from datetime import datetime

from sqlalchemy import Connection

from config.settings import BrokerSettings
from store.outbox import add_event, next_sequence

CONTENT_TYPE = "application/cloudevents+json"
EVENT_TYPES = ("scorecard.published.v1", "action.opened.v1", "action.status_changed.v1", "action.escalated.v1",
               "action.closed.v1", "risk.raised.v1", "risk.cleared.v1")


def routing_key(event_type: str, supplier_id: str) -> str:
    """`scorecard.published.v1` for supplier 0000100001 routes as `scorecard.published.0000100001`."""
    return f"{event_type.rsplit('.', 1)[0]}.{supplier_id}"


def build_envelope(event_type: str, supplier_id: str, sequence: int, data: dict, source: str, now: datetime) -> dict:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "subject": supplier_id,
        "time": now.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "dataschema": f"{source}:schemas:{event_type}",
        "sequence": sequence,
        "data": data,
    }


def enqueue(connection: Connection, broker: BrokerSettings, event_type: str, supplier_id: str, data: dict,
            now: datetime) -> dict:
    """Write the event into the outbox inside the caller's transaction, with the next sequence."""
    envelope = build_envelope(event_type, supplier_id, next_sequence(connection, supplier_id), data, broker.source, now)
    add_event(connection, event_id=envelope["id"], supplier_id=supplier_id, sequence=envelope["sequence"],
              event_type=event_type, routing_key=routing_key(event_type, supplier_id),
              envelope=json.dumps(envelope, separators=(",", ":")), now=now)
    return envelope
