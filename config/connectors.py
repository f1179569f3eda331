"""The sap and salesforce sections: how each remote system is reached, paged, retried and trusted."""
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from config.sap_bapi import BapiSettings
from config.sap_mapping import DEFAULT_TIME_ZONES, DEFAULT_UNITS, GoodsMovementMapping, PurchaseOrderMapping
from config.strict import StrictModel


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
