"""Peer benchmarks: how the scores and KPIs of one peer group spread, and where each member ranks.

A peer group is the suppliers of one category, or of one SRM level, in one period and window. Its id
is the event's subject and the last word of its routing key, so it holds no `.` and no character a
key or a path segment would misread: `category:` or `srm_level:` and the name percent-encoded.
"""
import hashlib
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from config import KPI_KEYS
from domain.scorecards import CardStatus
from domain.suppliers import SUPPLIER_ID_PATTERN

Dimension = Literal["category", "srm_level"]
SupplierId = Annotated[str, StringConstraints(pattern=SUPPLIER_ID_PATTERN)]
GROUP_ID_PATTERN = r"^(category|srm_level):[A-Za-z0-9%_~-]{1,86}$"
MAX_NAME_CHARS = 86  # of the encoded name: an id fits 96 characters, a routing key 120
HASHED_TAIL = 17  # "~" and 16 hex digits of the name's SHA-256, when the encoded name is longer


def group_id(dimension: str, name: str) -> str:
    """`category:Raw%20Materials`; a name longer than the id allows keeps its start and a hash of the whole."""
    encoded = quote(name, safe="").replace(".", "%2E")
    if len(encoded) > MAX_NAME_CHARS:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:HASHED_TAIL - 1]
        start = encoded[:MAX_NAME_CHARS - HASHED_TAIL]
        cut = start.rfind("%", len(start) - 2)  # never half an escape
        encoded = (start if cut < 0 else start[:cut]) + "~" + digest
    return f"{dimension}:{encoded}"


class Distribution(BaseModel):
    """Nearest-rank percentiles of one figure over the members that have a value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(ge=1, description="Members with a value.")
    p10: float
    p25: float
    median: float
    p75: float
    p90: float


KpiDistributions = create_model(
    "KpiDistributions", __config__=ConfigDict(frozen=True, extra="forbid"),
    __doc__="One distribution per KPI key; `None` when no member has a value for it.",
    **{key: (Distribution | None, None) for key in KPI_KEYS})


class Benchmark(BaseModel):
    """One peer group in one period: its size, the spread of its scores and KPIs, and every member's rank."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str = Field(pattern=GROUP_ID_PATTERN, description="Group id, equal to the CloudEvent `subject`.")
    dimension: Dimension
    name: str = Field(description="The category (from the Salesforce Account) or the SRM level.")
    period: str = Field(description="YYYY-MM: the month, or the last month of the rolling window.")
    window_months: int = Field(1, ge=1)
    as_of: date
    status: CardStatus = Field(description=(
        "final once the period's (last) month has ended by as_of; provisional while it runs: its members' values "
        "and ranks may still change."))
    size: int = Field(ge=0, description="Suppliers with a scorecard in the group; 0 once the group has none left.")
    score: Distribution | None = None
    kpis: KpiDistributions = KpiDistributions()
    percentile_ranks: dict[SupplierId, float] = Field(default_factory=dict, description=(
        "Supplier id → percentile rank of its score in the group: 100 × (members scored below + ½ × members "
        "scored level, itself included) ÷ members with a score. Members without a score have none."),
        json_schema_extra={"additionalProperties": False})
