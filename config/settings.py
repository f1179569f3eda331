"""Settings: env vars `SRM_BRIDGE_<SECTION>__<KEY>` over a YAML/TOML file over defaults.

A wrong value, an unknown key or variable, or a file that does not parse fails at start-up with
`ConfigError`: one line naming the key, its env var and what to do.
"""
import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from config.kpis import DEFAULT_GRADES, DEFAULT_SCALES, KPI_KEYS, KpiScale
from config.sap_bapi import BapiSettings
from config.sap_mapping import DEFAULT_TIME_ZONES, DEFAULT_UNITS, GoodsMovementMapping, PurchaseOrderMapping
from config.strict import ENV_PREFIX, ConfigError, StrictModel, check_environment, describe
from config.urls import check_broker_url, check_database_url, joined_broker_urls

# SAP's vendor number (LIFNR, CHAR 10) after its ALPHA conversion: numbers zero-padded to 10 digits, other
# values upper-case letters, digits, "-", "_" and "/"
SAP_VENDOR_ID = r"^[0-9A-Z][0-9A-Z_/-]{0,9}$"
_config_file: ContextVar[Path | None] = ContextVar("config_file", default=None)


class DatabaseSettings(StrictModel):
    """Where records live, and the bounds on every wait for the database (see store/db.py)."""

    url: Annotated[str, AfterValidator(check_database_url)] = Field(
        "sqlite:///srm-bridge.db", description="postgresql://user:password@host/db or sqlite:///path.")
    connect_timeout_s: int = Field(10, ge=1, description="PostgreSQL: give up connecting after this long.")
    statement_timeout_s: float = Field(300, gt=0, description="PostgreSQL: the server cancels a longer statement.")
    lock_timeout_s: float = Field(30, gt=0, description=(
        "Waiting longer for a lock fails the statement (PostgreSQL lock_timeout, SQLite busy timeout)."))
    idle_in_transaction_timeout_s: float = Field(120, gt=0, description=(
        "PostgreSQL: the server ends a session idle this long inside a transaction, releasing its locks."))
    answer_timeout_s: float = Field(330, gt=0, description=(
        "PostgreSQL: the longest wait for any answer; a silent connection is then closed with an error."))
    keepalives_idle_s: int = Field(30, ge=1, description="PostgreSQL: TCP keepalive after this long idle.")
    keepalives_interval_s: int = Field(10, ge=1)
    keepalives_count: int = Field(3, ge=1, description="Unanswered keepalives (and seconds of unacknowledged "
                                                      "data, idle + interval × count) before the link is dead.")

    @model_validator(mode="after")
    def _answer_outlasts_statements(self) -> "DatabaseSettings":
        if self.answer_timeout_s <= self.statement_timeout_s:
            raise ValueError("answer_timeout_s must be longer than statement_timeout_s, or the client would give "
                             "up on statements the server still allows")
        return self


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


class SupplierSettings(StrictModel):
    id_pattern: str = Field(SAP_VENDOR_ID, description=(
        "Vendor ids (after SAP's ALPHA conversion) that are suppliers here; records with others are "
        "quarantined. It can only narrow SAP's vendor number format, e.g. ^[0-9]{10}$ for numeric ones."))

    @field_validator("id_pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return pattern


class RemoteSettings(StrictModel):
    """What every remote system has: TLS trust, retries, and the incremental window."""

    verify: bool | str = True
    max_attempts: int = Field(6, ge=1)
    retry_initial_s: float = Field(1.0, ge=0)
    overlap_minutes: int = Field(10, ge=0)
    settle_seconds: int = Field(60, ge=0)
    stream_timeout_s: float = Field(3600, gt=0, description=(
        "Bounded total time of one stream's pull, retries included; past it the stream fails and resumes "
        "from its last committed page next run."))


class SapSettings(RemoteSettings):
    profile: Literal["es", "bapi"] = Field("es", description=(
        "es: Enterprise Services query services; bapi: BAPIs published as web services (see sap.bapi)."))
    url: str | None = Field(None, description="The endpoint of a service that offers both queries; "
                                              "sap.purchase_orders.url and sap.goods_movements.url win over it.")
    user: str | None = "SRM_BRIDGE"
    password: SecretStr = SecretStr("sandbox")
    client_cert: Path | None = Field(None, description="PEM client certificate (with its key, or see client_key).")
    client_key: Path | None = None
    client: str = "100"
    page_size: int = Field(500, ge=1, le=10_000)
    connect_timeout_s: float = Field(10, gt=0)
    operation_timeout_s: float = Field(60, gt=0, description="Bounds a whole exchange: connect, send, every byte of the answer.")
    max_response_mb: float = Field(64, gt=0, description="Largest answer, counted decompressed; larger fails the stream.")
    time_zones: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TIME_ZONES), description=(
        "SAP time zone codes (timeZoneCode of a LOCAL_DateTime) as IANA zones; added to the defaults."))
    max_field_chars: int = Field(255, ge=16, description="Longer values are refused with their record.")
    units: list[str] = Field(default_factory=lambda: list(DEFAULT_UNITS))
    purchase_orders: PurchaseOrderMapping = PurchaseOrderMapping()
    goods_movements: GoodsMovementMapping = GoodsMovementMapping()
    bapi: BapiSettings = BapiSettings()

    @field_validator("time_zones")
    @classmethod
    def _known_zones(cls, zones: dict[str, str]) -> dict[str, str]:
        for code, name in zones.items():
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{code}: {name!r} is not an IANA time zone") from None
        return {**DEFAULT_TIME_ZONES, **zones}

    @model_validator(mode="after")
    def _has_credentials(self) -> "SapSettings":
        if self.client_key and not self.client_cert:
            raise ValueError("client_key needs client_cert")
        if not self.user and not self.client_cert:
            raise ValueError("set user/password or client_cert")
        return self

    @model_validator(mode="after")
    def _known_system_zone(self) -> "SapSettings":
        zone = self.bapi.system_time_zone
        try:
            ZoneInfo(self.time_zones.get(zone, zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"bapi.system_time_zone: {zone!r} is neither an SAP code of time_zones "
                             "nor an IANA time zone") from None
        return self


class WriteBackSettings(StrictModel):
    """Where the latest monthly scorecard lands on the Account; empty field names are not written."""

    queue: str = Field("srm-bridge.salesforce", description="A queue of broker.queues, bound to the scorecards.")
    batch_size: int = Field(200, ge=1, le=200, description="Records per sObject Collections call (API maximum 200).")
    max_attempts: int = Field(3, ge=1, description="Tries per record before it is dead-lettered with its error.")
    score_field: str = "Supplier_Score__c"
    grade_field: str = "Supplier_Grade__c"
    otd_field: str = "Supplier_OTD__c"
    ppm_field: str = "Supplier_PPM__c"
    period_field: str = "Scorecard_Period__c"
    open_actions_field: str = "Open_Corrective_Actions__c"


class SalesforceSettings(RemoteSettings):
    login_url: str = "https://127.0.0.1:8092"
    auth: Literal["client_credentials", "jwt", "password"] = "client_credentials"
    client_id: str = "srm-bridge"
    client_secret: SecretStr = SecretStr("sandbox")
    username: str | None = Field(None, description="The integration user (jwt, password).")
    password: SecretStr | None = Field(None, description="password auth: the user's password.")
    security_token: SecretStr | None = Field(None, description="password auth: appended to the password.")
    private_key_file: Path | None = Field(None, description="jwt auth: PEM private key of the connected app's cert.")
    sandbox: bool = Field(False, description="The org is a sandbox: the JWT audience is https://test.salesforce.com.")
    jwt_audience: str | None = Field(None, description=(
        "jwt auth: the assertion's `aud`; default https://login.salesforce.com (https://test.salesforce.com with "
        "sandbox: true); an Experience Cloud site's users use the site URL. Never the My Domain URL."))
    api_version: str = "59.0"
    page_size: int = Field(2000, ge=200, le=2000)
    timeout_s: float = Field(30, gt=0)
    vendor_id_field: str = "SAP_Vendor_Id__c"
    tier_field: str = "Supplier_Tier__c"
    risk_field: str = "Risk_Rating__c"
    bulk_threshold: int | None = Field(10_000, ge=1, description=(
        "A pull of at least this many Accounts goes through Bulk API 2.0; none: always REST."))
    bulk_page_size: int = Field(50_000, ge=1, le=1_000_000)
    bulk_poll_s: float = Field(2.0, ge=0)
    bulk_timeout_s: float = Field(900, gt=0)
    max_api_share: float = Field(0.8, gt=0, le=1, description=(
        "Stop a run cleanly once this share of the org's daily API requests, or of the connected app's "
        "own quota, is used (Sforce-Limit-Info)."))
    max_response_mb: float = Field(100, gt=0, description=(
        "The most one answer may hold, decompressed (a REST page, a Bulk API results set); larger fails the stream."))
    write_back: WriteBackSettings = WriteBackSettings()

    @property
    def audience(self) -> str:
        return self.jwt_audience or ("https://test.salesforce.com" if self.sandbox else "https://login.salesforce.com")

    @field_validator("login_url")
    @classmethod
    def _absolute_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.username is not None:
            raise ValueError("login_url must be an absolute https URL with a host, e.g. https://example.my.salesforce.com")
        return url

    @field_validator("jwt_audience")
    @classmethod
    def _not_my_domain(cls, audience: str | None) -> str | None:
        if audience and (urlsplit(audience).hostname or "").endswith(".my.salesforce.com"):
            raise ValueError("Salesforce refuses a My Domain URL as the JWT audience: leave jwt_audience unset "
                             "(https://login.salesforce.com, or https://test.salesforce.com with sandbox: true) "
                             "or set an Experience Cloud site URL")
        return audience

    @model_validator(mode="after")
    def _auth_complete(self) -> "SalesforceSettings":
        missing = {"jwt": ["username", "private_key_file"], "password": ["username", "password"]}.get(self.auth, [])
        absent = [name for name in missing if getattr(self, name) is None]
        if absent:
            raise ValueError(f"auth={self.auth} needs {' and '.join(absent)}")
        return self


class DeliverySettings(StrictModel):
    """Delivery window and quantity tolerances of OTD/OTIF (DESIGN.md, KPI semantics)."""

    early_days: int = Field(2, ge=0)
    confirm_days: int = Field(2, ge=0, description="Confirmation within this many days of the PO date counts.")
    late_days: int = Field(0, ge=0)
    qty_tolerance_pct: float = Field(2, ge=0, lt=100)
    over_tolerance_pct: float = Field(5, ge=0)


SRM_LEVELS = ("strategic", "performance-managed", "basic")
Severity = Literal["info", "warning", "critical"]


class SegmentationSettings(StrictModel):
    pareto_share: float = Field(0.8, gt=0, le=1, description="Spend share that makes the high-spend (A) class.")
    risk_high: float = Field(0.5, ge=0, le=1)
    risk_ratings: dict[str, float] = Field(default_factory=lambda: {"high": 1.0, "medium": 0.5, "low": 0.0})
    critical_materials: list[str] = Field(default_factory=list)
    tier_levels: dict[str, Literal["strategic", "performance-managed", "basic"]] = Field(default_factory=lambda: {
        "strategic": "strategic", "tier 1": "strategic", "performance-managed": "performance-managed",
        "tier 2": "performance-managed", "basic": "basic", "tier 3": "basic"})

    @field_validator("risk_ratings", "tier_levels")
    @classmethod
    def _lower_keys(cls, mapping: dict) -> dict:
        return {key.strip().lower(): value for key, value in mapping.items()}


class RiskSettings(StrictModel):
    trend_points: float = Field(2.0, gt=0, description="Velocity at or below minus this raises a trend signal.")
    concentration_share: float = Field(0.5, gt=0, le=1, description="Share of a category's spend on one supplier.")
    crm_severity: dict[str, Severity] = Field(default_factory=lambda: {"high": "critical", "medium": "warning"})
    pchart_months: int = Field(12, ge=3, le=36)

    @field_validator("crm_severity")
    @classmethod
    def _lower_keys(cls, mapping: dict) -> dict:
        return {key.strip().lower(): value for key, value in mapping.items()}


class ActionSettings(StrictModel):
    auto_open_kinds: list[str] = Field(default_factory=lambda: ["threshold_breach", "p_chart"],
                                       description="Critical signals of these kinds open a plan for their KPI.")
    plan_months: int = Field(4, ge=1, le=24, description="Months from opening to the plan's due date.")
    cadence_months: int = Field(1, ge=1, le=12, description="Months between milestones.")
    sustain_periods: int = Field(2, ge=1, le=12)
    target: Literal["threshold", "target"] = Field("threshold", description=(
        "Which point of the KPI's scale a plan aims for: out of the breach (threshold) or the full target."))
    default_owner: str | None = Field(None, description="Buyer owner when the Account has none.")


class ScoringSettings(StrictModel):
    kpis: dict[str, KpiScale] = Field(default_factory=lambda: dict(DEFAULT_SCALES))
    segment_weights: dict[Literal["strategic", "performance-managed", "basic"], dict[str, float]] = Field(
        default_factory=dict, description="Per SRM level, weights that replace the default weight of each KPI named.")
    grades: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_GRADES))
    months: int = Field(12, ge=1, le=60)
    windows: list[int] = Field(default_factory=lambda: [1, 3, 12], description="Scorecard windows in months.")
    velocity_months: int = Field(6, ge=2, le=24)
    batch_suppliers: int = Field(250, ge=1, description=(
        "Suppliers scored at a time (histories read and tallied, cards built, stored and published, signals "
        "and plans judged): memory stays flat as suppliers grow; a batch of 250 takes about 180 MB."))

    @field_validator("segment_weights")
    @classmethod
    def _known_weights(cls, weights: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for level, kpis in weights.items():
            unknown = sorted(set(kpis) - set(KPI_KEYS))
            if unknown:
                raise ValueError(f"{level}: unknown KPI {', '.join(unknown)}")
            if any(weight < 0 for weight in kpis.values()):
                raise ValueError(f"{level}: weights must not be negative")
        return weights

    @field_validator("windows")
    @classmethod
    def _monthly_first(cls, windows: list[int]) -> list[int]:
        if 1 not in windows or any(w < 1 or w > 36 for w in windows):
            raise ValueError("windows are months between 1 and 36 and must include 1 (the monthly scorecard)")
        return sorted(set(windows))

    @field_validator("kpis")
    @classmethod
    def _known_kpis(cls, kpis: dict[str, KpiScale]) -> dict[str, KpiScale]:
        unknown = sorted(set(kpis) - set(KPI_KEYS))
        if unknown:
            raise ValueError(f"unknown KPI {', '.join(unknown)}; known: {', '.join(KPI_KEYS)}")
        return {**DEFAULT_SCALES, **kpis}

    @field_validator("grades")
    @classmethod
    def _bands_descend(cls, grades: dict[str, float]) -> dict[str, float]:
        floors = list(grades.values())
        if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
            raise ValueError("grade floors must be listed from the highest to the lowest, without ties")
        if not floors or floors[-1] != 0:
            raise ValueError("the lowest grade floor must be 0 so that every score has a grade")
        return grades


class HttpSettings(StrictModel):
    """The service's endpoint: /healthz, /readyz, /metrics (and the mounted web console)."""

    enabled: bool = True
    host: str = Field("127.0.0.1", description="0.0.0.0 to serve probes and scrapes from other hosts.")
    port: int = Field(8080, ge=0, le=65535, description="0 picks a free port.")
    threads: int = Field(4, ge=1, le=64)


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (such as UTC or Europe/Berlin)") from None
    return name


TimeZone = Annotated[str, AfterValidator(_time_zone)]


class SchedulerSettings(StrictModel):
    timezone: TimeZone | None = Field(None, description=(
        "The plant's time zone: the service scores as of the last complete day there. Default: `timezone` (UTC)."))
    sync_interval_s: float = Field(900, gt=0)
    publish_interval_s: float = Field(10, gt=0)
    sources: list[Literal["sap", "salesforce"]] = Field(default_factory=lambda: ["sap", "salesforce"])
    stuck_after_s: float = Field(900, gt=0, description="`status` fails when an outbox event waits longer.")
    takeover_s: float = Field(15, ge=1, description=(
        "A standby takes over within this long after the leader dies; the leader confirms its lock as often."))
    leader_lock_key: int | None = Field(None, ge=-2**63, lt=2**63, description=(
        "PostgreSQL advisory lock key of the leader; default: derived from the database and schema."))
    stop_grace_s: float = Field(20, gt=0, description="After SIGTERM/SIGINT, `run` exits within this long.")
    unhealthy_after: int = Field(3, ge=1, description="/readyz fails once this many cycles in a row have failed.")
    stalled_after_s: float = Field(900, gt=0, description=(
        "/healthz fails when the leader or relay loop has made no progress for this long."))
    retry_max_s: float = Field(60, gt=0, description="Longest wait between attempts to reach the database or broker.")
    http: HttpSettings = HttpSettings()


class LogSettings(StrictModel):
    format: Literal["auto", "text", "json"] = Field("auto", description="auto: text on a terminal, json otherwise.")
    level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("format", "level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class ConsoleSettings(StrictModel):
    """The read-only web console. On any address but loopback it serves only with a token or basic-auth
    credentials set here."""

    host: str = Field("127.0.0.1", description="Address `srm-bridge console` binds to.")
    port: int = Field(8080, ge=0, le=65535, description="0 picks a free port.")
    token: SecretStr | None = Field(None, description="Bearer token (or `?token=` once, kept in a cookie).")
    username: str | None = Field(None, description="Basic-auth user, with password.")
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _pair(self) -> "ConsoleSettings":
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both username and password")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    timezone: TimeZone = Field("UTC", description="The plant's time zone: of SAP dates and the default as-of day.")
    database: DatabaseSettings = DatabaseSettings()
    broker: BrokerSettings = BrokerSettings()
    consumer: ConsumerSettings = ConsumerSettings()
    suppliers: SupplierSettings = SupplierSettings()
    sap: SapSettings = SapSettings()
    salesforce: SalesforceSettings = SalesforceSettings()
    delivery: DeliverySettings = DeliverySettings()
    scoring: ScoringSettings = ScoringSettings()
    segmentation: SegmentationSettings = SegmentationSettings()
    risks: RiskSettings = RiskSettings()
    actions: ActionSettings = ActionSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    console: ConsoleSettings = ConsoleSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        path = _config_file.get()
        if path is not None:
            sources.append(_file_source(settings_cls, path))
        return tuple(sources)


def _file_source(settings_cls: type[BaseSettings], path: Path) -> PydanticBaseSettingsSource:
    return InitSettingsSource(settings_cls, init_kwargs=read_config_file(path))


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's settings as a mapping; a file that is missing or does not parse is a `ConfigError`."""
    if path.suffix not in {".yaml", ".yml", ".toml"}:
        raise ConfigError(f"config file {path}: name it .yaml, .yml or .toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check --config or SRM_BRIDGE_CONFIG") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    try:
        content = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}; fix the file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {_yaml_problem(exc)}; fix the file") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ConfigError(f"config file {path} holds a {type(content).__name__}, not settings; write sections "
                          f"such as `database:` and `sap:` at its top level")
    return content


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Read settings once at start-up; `SRM_BRIDGE_CONFIG` names the file when none is given."""
    check_environment(Settings, os.environ)
    named = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    token = _config_file.set(Path(named) if named else None)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe(exc, Settings)) from None
    finally:
        _config_file.reset(token)
