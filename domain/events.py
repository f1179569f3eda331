"""The events srm-bridge pushes: CloudEvents 1.0 envelopes (structured JSON) around domain models.

These models are the message contract. The JSON Schemas and the AsyncAPI document under
`docs/contract/` are generated from them (`srm-bridge contract --write`), and a test fails when
the two drift apart.
"""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from domain.actions import ActionChange
from domain.benchmarks import GROUP_ID_PATTERN, Benchmark
from domain.risks import RiskSignal
from domain.scorecards import Scorecard
from domain.suppliers import SUPPLIER_ID_PATTERN

CONTENT_TYPE = "application/cloudevents+json"
SCHEMA_URN = "urn:srm-bridge:schema:"
SEQUENCE_DIGITS = 20
MAX_SEQUENCE = 2**63 - 1  # what producers and consumers store it in

EVENT_DATA: dict[str, type[BaseModel]] = {
    "scorecard.published.v1": Scorecard,
    "benchmark.published.v1": Benchmark,
    "action.opened.v1": ActionChange,
    "action.status_changed.v1": ActionChange,
    "action.escalated.v1": ActionChange,
    "action.closed.v1": ActionChange,
    "risk.raised.v1": RiskSignal,
    "risk.cleared.v1": RiskSignal,
}
EVENT_TYPES = tuple(EVENT_DATA)
GROUP_EVENTS = frozenset({"benchmark.published.v1"})  # about a peer group, not one supplier
SUBJECT_PATTERN = r"^[!-~]{1,96}$"


class CloudEvent(BaseModel):
    """Envelope attributes shared by every event; `data` and `type` are fixed per event type."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"]
    id: str = Field(pattern=r"^[!-~]{1,36}$", description=(
        "Unique per event (a UUID); also the AMQP message_id. Redeliveries keep it: dedupe on it."))
    source: str = Field(description="URI of the srm-bridge installation that produced the event.")
    type: str
    subject: str = Field(pattern=SUBJECT_PATTERN, description="What the event is about; each type narrows it.")
    time: datetime
    datacontenttype: Literal["application/json"]
    dataschema: str = Field(description="URN of the JSON Schema of this event type.")
    sequence: str = Field(pattern=rf"^[0-9]{{{SEQUENCE_DIGITS}}}$",
                          description="CloudEvents sequence extension: per supplier, increasing, zero-padded so "
                                      "string order equals numeric order, at most 9223372036854775807 (a signed "
                                      "64-bit integer). Drop an event whose sequence is not above the last one "
                                      "handled for its subject.")

    @field_validator("sequence")
    @classmethod
    def _fits_64_bits(cls, sequence: str) -> str:
        if int(sequence) > MAX_SEQUENCE:
            raise ValueError(f"sequence is above {MAX_SEQUENCE}")
        return sequence


def _class_name(event_type: str) -> str:
    """`action.status_changed.v1` → `ActionStatusChangedV1`."""
    words = event_type.replace("_", ".").split(".")
    return "".join(word.capitalize() for word in words)


SUPPLIER_SUBJECT = Field(pattern=SUPPLIER_ID_PATTERN, description=(
    "SAP vendor id of the supplier the event is about (10 digits, or up to 10 upper-case letters, digits, '-', "
    "'_', '/')."))
GROUP_SUBJECT = Field(pattern=GROUP_ID_PATTERN, description=(
    "Id of the peer group the event is about: 'category:' or 'srm_level:' and the name, percent-encoded "
    "(a '.' too); a name too long keeps its start and '~' with 16 hex digits of its SHA-256."))

EVENT_MODELS: dict[str, type[CloudEvent]] = {
    event_type: create_model(_class_name(event_type), __base__=CloudEvent,
                             __doc__=f"CloudEvent of type {event_type}.",
                             type=(Literal[event_type], ...), data=(data_model, ...),
                             subject=(str, GROUP_SUBJECT if event_type in GROUP_EVENTS else SUPPLIER_SUBJECT))
    for event_type, data_model in EVENT_DATA.items()
}


def format_sequence(sequence: int) -> str:
    return str(sequence).zfill(SEQUENCE_DIGITS)


def schema_id(event_type: str) -> str:
    return f"{SCHEMA_URN}{event_type}"


def routing_key(event_type: str, subject: str) -> str:
    """`scorecard.published.v1` for supplier 0000100001 routes as `scorecard.published.0000100001`,
    `benchmark.published.v1` for group `srm_level:basic` as `benchmark.published.srm_level:basic`."""
    return f"{event_type.rsplit('.', 1)[0]}.{subject}"


def parse_event(body: str | bytes) -> CloudEvent:
    """Validate an envelope against the model of its type; raises `ValueError` with the reason."""
    envelope = CloudEvent.model_validate_json(body)
    model = EVENT_MODELS.get(envelope.type)
    if model is None:
        raise ValueError(f"unknown event type {envelope.type!r}")
    return model.model_validate_json(body)
