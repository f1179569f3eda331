"""Table definitions: the single source the Alembic migrations are generated from."""
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from store.types import Price, Quantity

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s",
})
Instant = DateTime(timezone=True)
OUTBOX_UNSENT = "sent_at IS NULL AND dead_at IS NULL"
OUTBOX_RETRYING = "next_attempt_at IS NOT NULL"

purchase_orders = Table(
    "purchase_orders", metadata,
    Column("po_id", String(20), primary_key=True),
    Column("vendor_id", String(10), nullable=False, index=True),
    Column("order_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("changed_at", Instant, nullable=False),
)

po_items = Table(
    "po_items", metadata,
    Column("po_id", String(20), ForeignKey("purchase_orders.po_id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", String(10), primary_key=True),
    Column("material", String(40), nullable=False),
    Column("plant", String(10), nullable=False),
    Column("quantity", Quantity, nullable=False),
    Column("unit", String(6), nullable=False),
    Column("net_price", Price, nullable=False),
    Column("price_unit", Integer, nullable=False),
)

schedule_lines = Table(
    "schedule_lines", metadata,
    Column("po_id", String(20), primary_key=True),
    Column("item_id", String(10), primary_key=True),
    Column("line_id", String(10), primary_key=True),
    Column("due_date", Date, nullable=False, index=True),
    Column("quantity", Quantity, nullable=False),
)

confirmations = Table(
    "confirmations", metadata,
    Column("po_id", String(20), primary_key=True),
    Column("item_id", String(10), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("confirmation_id", String(10)),  # SAP's, unique within the item: how a re-read finds first_seen_on
    Column("processing_type", String(4)),
    Column("confirmed_on", Date),  # a date SAP sent
    Column("first_seen_on", Date, nullable=False),  # the order's last change in the answer that first carried it
    Column("due_date", Date),
    Column("quantity", Quantity, nullable=False),
)

goods_movements = Table(
    "goods_movements", metadata,
    Column("document", String(10), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("movement_type", String(3), nullable=False),
    Column("posting_date", Date, nullable=False, index=True),
    Column("quantity", Quantity, nullable=False),
    Column("unit", String(6), nullable=False),
    Column("po_id", String(20), nullable=False),
    Column("item_id", String(10), nullable=False),
    Column("schedule_line_id", String(10)),
    Column("reverses_document", String(10)),
    Column("reverses_year", Integer),
    Column("reverses_line", Integer),
    Column("changed_at", Instant, nullable=False),
    Index("ix_goods_movements_po_item", "po_id", "item_id"),
)

supplier_accounts = Table(
    "supplier_accounts", metadata,
    Column("account_id", String(18), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("vendor_id", String(10), index=True),
    Column("owner_id", String(18)),
    Column("owner_name", String(255)),
    Column("industry", String(255)),
    Column("tier", String(80)),
    Column("risk_rating", String(80)),
    Column("is_deleted", Boolean, nullable=False),
    Column("modstamp", Instant, nullable=False),
)

sync_cursors = Table(
    "sync_cursors", metadata,
    Column("stream", String(40), primary_key=True),
    Column("position", Instant, nullable=False),
    Column("updated_at", Instant, nullable=False),
)

sync_progress = Table(  # what a pull interrupted in its window has finished: resumed without reading it again
    "sync_progress", metadata,
    Column("stream", String(40), primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("window_start", Instant, nullable=False),
    Column("window_end", Instant, nullable=False),
)

sync_runs = Table(
    "sync_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), nullable=False, index=True),
    Column("stream", String(40), nullable=False),
    Column("started_at", Instant, nullable=False),
    Column("finished_at", Instant),
    Column("window_start", Instant),
    Column("window_end", Instant),
    Column("pages", Integer, nullable=False, default=0),
    Column("pulled", Integer, nullable=False, default=0),
    Column("stored", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("outcome", String(12), nullable=False),
    Column("error", Text),
    Column("host", String(255)),  # the process running it, and its last sign of life
    Column("pid", Integer),
    Column("heartbeat_at", Instant),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), nullable=False),
    Column("stream", String(40), nullable=False),
    Column("record_key", String(120), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),  # the bytes as received: not always text, may hold NUL
    Column("created_at", Instant, nullable=False),
)

kpi_measurements = Table(
    "kpi_measurements", metadata,
    Column("supplier_id", String(10), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("kpi", String(40), primary_key=True),
    Column("value", Float),
    Column("as_of", Date, nullable=False),
)

scorecards = Table(
    "scorecards", metadata,
    Column("supplier_id", String(10), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("window_months", Integer, primary_key=True),
    Column("supplier_name", String(255)),
    Column("score", Float),
    Column("grade", String(4)),
    Column("kpis", JSON, nullable=False),
    Column("kpi_scores", JSON, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("computed_at", Instant, nullable=False),
    Column("srm_level", String(30)),
    Column("card", JSON),
    Column("status", String(12), nullable=False),  # final or provisional (domain.scorecards.card_status)
)

risk_signals = Table(
    "risk_signals", metadata,
    Column("dedupe_key", String(200), primary_key=True),
    Column("supplier_id", String(10), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("kpi", String(40)),
    Column("period", String(7)),
    Column("severity", String(10), nullable=False),
    Column("observed", Float),
    Column("limit_value", Float),
    Column("evidence", JSON, nullable=False),
    Column("raised_at", Instant, nullable=False),
    Column("cleared_at", Instant),
)

corrective_actions = Table(
    "corrective_actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("supplier_id", String(10), nullable=False, index=True),
    Column("kpi", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("gap", Text, nullable=False),
    Column("baseline", Float),
    Column("target", Float, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("buyer_owner", String(255)),
    Column("supplier_contact", String(255)),
    Column("root_cause", Text),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("plan", JSON, nullable=False),
    Column("opened_at", Instant, nullable=False),
    Column("closed_at", Instant),
)

action_audit = Table(
    "action_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action_id", Integer, ForeignKey("corrective_actions.id"), nullable=False, index=True),
    Column("at", Instant, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("change", JSON, nullable=False),
    Column("reason", Text, nullable=False),
)

SUBJECT = 96  # an event's subject: a supplier id, or a peer group's id (domain.benchmarks)

supplier_sequences = Table(
    "supplier_sequences", metadata,
    Column("supplier_id", String(SUBJECT), primary_key=True),  # the subject
    Column("last_sequence", BigInteger, nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", String(36), primary_key=True),
    Column("supplier_id", String(SUBJECT), nullable=False),  # the subject
    Column("sequence", BigInteger, nullable=False),
    Column("event_type", String(60), nullable=False),
    Column("routing_key", String(120), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Instant),
    Column("sent_at", Instant),
    Column("dead_at", Instant),
    Column("last_error", Text),
    UniqueConstraint("supplier_id", "sequence"),
    Index("ix_outbox_pending", "sent_at", "dead_at", "supplier_id", "sequence"),
    # the relay's walk over unsent rows: suppliers and their heads, each supplier's next rows
    Index("ix_outbox_unsent", "supplier_id", "sequence", "created_at",
          postgresql_where=text(OUTBOX_UNSENT), sqlite_where=text(OUTBOX_UNSENT)),
    # the few rows that ever failed: which suppliers wait out a backoff
    Index("ix_outbox_retrying", "sent_at", "dead_at", "next_attempt_at", postgresql_where=text(OUTBOX_RETRYING),
          sqlite_where=text(OUTBOX_RETRYING)),
)

consumer_offsets = Table(
    "consumer_offsets", metadata,
    Column("consumer", String(60), primary_key=True),
    Column("subject", String(SUBJECT), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
    Column("last_event_id", String(36), nullable=False),
    Column("updated_at", Instant, nullable=False),
)

consumer_attempts = Table(
    "consumer_attempts", metadata,
    Column("consumer", String(60), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("attempts", Integer, nullable=False),  # handler calls that failed
    Column("last_error", Text, nullable=False),
    Column("updated_at", Instant, nullable=False),
)

dirty_suppliers = Table(
    "dirty_suppliers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("supplier_id", String(10), nullable=False),
    Column("period", String(7)),  # the month whose measurements a change touched; none: every month
)

tallies = Table(
    "tallies", metadata,
    Column("supplier_id", String(10), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("tally", JSON, nullable=False),  # what the month gives every KPI (domain.scorecards.Tally)
)

scoring_state = Table(
    "scoring_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("settings_hash", String(64), nullable=False),
    Column("scored_at", Instant, nullable=False),
    Column("latest_as_of", Date),  # the newest as-of ever scored: an earlier one is a replay
    Column("inputs_hash", String(64)),  # every setting the run read: another one means the next run scores
)

input_changes = Table(  # what scoring reads besides SAP records changed since the last run: the next one scores
    "input_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # "profile" (a Salesforce Account), "action" (an operator's change)
    Column("supplier_id", String(10), nullable=False),
)

supplier_contexts = Table(  # per supplier, what its last scoring read besides its tallies and the settings
    "supplier_contexts", metadata,
    Column("supplier_id", String(10), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
)

benchmarks = Table(
    "benchmarks", metadata,  # the last benchmark published per peer group, period and window
    Column("group_id", String(SUBJECT), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("window_months", Integer, primary_key=True),
    Column("dimension", String(20), nullable=False),
    Column("name", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("published_at", Instant, nullable=False),
)
