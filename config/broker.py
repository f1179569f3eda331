"""The broker section, and how srm-bridge's own consumers treat what they read from it."""
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from config.strict import StrictModel
from config.urls import check_broker_url, joined_broker_urls


class QueueBinding(StrictModel):
    name: str
    routing_key: str = "#"


class BrokerSettings(StrictModel):
    url: Annotated[str, BeforeValidator(joined_broker_urls), AfterValidator(check_broker_url)] = Field(
        "filesystem://", description=(
            "amqp:// or amqps:// (RabbitMQ), or filesystem:// (embedded). Several RabbitMQ nodes, as a list or "
            "separated by ';', are tried in turn (failover)."))
    folder: Path = Path("srm-bridge-data/broker")
    exchange: str = "srm.events"
    source: str = "urn:srm-bridge"
    queues: list[QueueBinding] = Field(default_factory=lambda: [
        QueueBinding(name="srm-bridge.events"),
        QueueBinding(name="srm-bridge.salesforce", routing_key="scorecard.published.*")])
    queue_type: Literal["classic", "quorum"] = Field("classic", description=(
        "RabbitMQ: declare the queues as quorum queues (replicated over the cluster's nodes; x-queue-type). "
        "A queue that exists keeps its type: RabbitMQ refuses to redeclare it as the other."))
    connect_timeout_s: float = Field(10, gt=0)
    confirm_timeout_s: float = Field(10, gt=0)
    max_attempts: int = Field(10, ge=1, description="Refusals of one event before it is dead-lettered.")
    outage_attempts: int = Field(4, ge=1, description="Drains per publish run while the broker is unavailable.")
    retry_initial_s: float = Field(1.0, ge=0)
    batch_size: int = Field(2000, ge=1, description=(
        "Outbox events the relay reads, publishes and marks sent per transaction; it publishes them in waves "
        "of one event per supplier, each wave confirmed in one round trip, so a wave holds up to this many. "
        "On PostgreSQL it is also how many suppliers one relay holds at a time. Each read scans the backlog: "
        "at 40,000 events of 1,000 suppliers, 2,000 published 2.0-2.8 times as fast as 500."))

    @model_validator(mode="after")
    def _quorum_on_rabbitmq(self) -> "BrokerSettings":
        if self.queue_type == "quorum" and not self.url.lower().startswith("amqp"):
            raise ValueError("queue_type quorum needs RabbitMQ: set broker.url to amqp:// or amqps://, or "
                             "broker.queue_type to classic")
        return self


class ConsumerSettings(StrictModel):
    """How srm-bridge's own consumers (`srm-bridge consume`) treat a message they cannot handle."""

    max_attempts: int = Field(5, ge=1, description="Failed handler calls before an event is quarantined.")
    retry_initial_s: float = Field(0.5, ge=0, description="Wait before calling the handler again; doubles each time.")
    max_body_kb: int = Field(1024, ge=1, description="A larger message is quarantined (its first max_body_kb kept).")
