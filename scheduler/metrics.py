"""Prometheus metrics of one service instance, in a registry of its own (never the process-wide default).

Every series is named `srm_bridge_…`. Counters and histograms are fed by the loops as work ends;
the gauges of stored state (outbox, risk signals, actions) are refreshed by the relay loop after
each drain, so a scrape never waits on the database.
"""
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from sqlalchemy import Engine

from domain.actions import ActionStatus
from store.actions import counts_by_status
from store.outbox import backlog
from store.risks import open_counts_by_severity
from sync.relay import RelayResult
from sync.streams import StreamResult

SEVERITIES = ("info", "warning", "critical")
ACTION_STATUSES = ActionStatus.__args__
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


def package_version() -> str:
    try:
        return version("srm-bridge")
    except PackageNotFoundError:
        return "unknown"


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        stream = ["stream"]
        Info("srm_bridge_build", "Version of this srm-bridge", registry=registry).info({"version": package_version()})
        self.leader = Gauge("srm_bridge_leader", "1 while this instance leads (syncs and scores), 0 as a standby",
                            registry=registry)
        self.pulled = Counter("srm_bridge_records_pulled", "Records read from the source", stream, registry=registry)
        self.stored = Counter("srm_bridge_records_stored", "Records stored", stream, registry=registry)
        self.quarantined = Counter("srm_bridge_records_quarantined", "Records refused and quarantined", stream,
                                   registry=registry)
        self.stream_runs = Counter("srm_bridge_stream_runs", "Stream pulls by outcome", ["stream", "outcome"],
                                   registry=registry)
        self.last_success = Gauge("srm_bridge_stream_last_success_timestamp_seconds",
                                  "Unix time the stream last finished a pull successfully", stream, registry=registry)
        self.cycles = Counter("srm_bridge_cycles", "Sync-and-score cycles by outcome", ["outcome"], registry=registry)
        self.cycle_seconds = Histogram("srm_bridge_cycle_duration_seconds", "Duration of a sync-and-score cycle",
                                       buckets=DURATION_BUCKETS, registry=registry)
        self.stream_seconds = Histogram("srm_bridge_stream_duration_seconds", "Duration of one stream's pull",
                                        stream, buckets=DURATION_BUCKETS, registry=registry)
        self.scoring_seconds = Histogram("srm_bridge_scoring_duration_seconds", "Duration of a scoring run",
                                         buckets=DURATION_BUCKETS, registry=registry)
        self.scoring_runs = Counter("srm_bridge_scoring_runs", "Scoring runs by mode: full, incremental, or "
                                    "skipped (nothing had changed)", ["mode"], registry=registry)
        self.publish_seconds = Histogram("srm_bridge_publish_duration_seconds", "Duration of one outbox drain",
                                         buckets=DURATION_BUCKETS, registry=registry)
        self.confirmed = Counter("srm_bridge_publish_confirmed", "Events confirmed by the broker", registry=registry)
        self.publish_failed = Counter("srm_bridge_publish_failed", "Events the broker refused or could not take",
                                      registry=registry)
        self.dead_lettered = Counter("srm_bridge_publish_dead_lettered", "Events dead-lettered after max_attempts",
                                     registry=registry)
        self.outbox_pending = Gauge("srm_bridge_outbox_backlog_events", "Outbox events not yet sent",
                                    registry=registry)
        self.outbox_oldest = Gauge("srm_bridge_outbox_oldest_event_age_seconds",
                                   "Age of the oldest unsent outbox event (0 when none)", registry=registry)
        self.outbox_dead = Gauge("srm_bridge_outbox_dead_letters", "Dead-lettered outbox events", registry=registry)
        self.api_share = Gauge("srm_bridge_salesforce_api_usage_ratio",
                               "Share of the Salesforce API budget used, the tighter of the org's daily "
                               "requests and the connected app's quota, as Salesforce last reported it",
                               registry=registry)
        self.risks_open = Gauge("srm_bridge_risk_signals_open", "Open risk signals", ["severity"], registry=registry)
        self.actions = Gauge("srm_bridge_corrective_actions", "Corrective actions", ["status"], registry=registry)

    def count_page(self, stream: str, pulled: int, stored: int, quarantined: int) -> None:
        self.pulled.labels(stream).inc(pulled)
        self.stored.labels(stream).inc(stored)
        self.quarantined.labels(stream).inc(quarantined)

    def record_stream(self, result: StreamResult) -> None:
        self.stream_runs.labels(result.stream, result.outcome).inc()
        self.stream_seconds.labels(result.stream).observe(result.duration_s)
        if result.outcome == "succeeded":
            self.last_success.labels(result.stream).set(datetime.now(timezone.utc).timestamp())

    def record_publish(self, result: RelayResult, seconds: float) -> None:
        self.publish_seconds.observe(seconds)
        self.confirmed.inc(result.sent)
        self.publish_failed.inc(result.failed)
        self.dead_lettered.inc(result.dead)

    def refresh_state(self, engine: Engine, now: datetime) -> None:
        """Read the outbox, open risk signals and actions from the database into their gauges."""
        with engine.connect() as connection:
            outbox = backlog(connection, now)
            severities = open_counts_by_severity(connection)
            statuses = counts_by_status(connection)
        self.outbox_pending.set(outbox["pending"])
        self.outbox_oldest.set(outbox["oldest_pending_age_s"] or 0)
        self.outbox_dead.set(outbox["dead"])
        for severity in SEVERITIES:
            self.risks_open.labels(severity).set(severities.get(severity, 0))
        for status in ACTION_STATUSES:
            self.actions.labels(status).set(statuses.get(status, 0))
