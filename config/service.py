"""The sections of the running service: scheduler and its HTTP endpoint, logs, web console, time zones."""
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator

from config.strict import StrictModel


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
