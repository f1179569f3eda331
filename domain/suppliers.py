"""What Salesforce says about a supplier, as the KPI engine reads it."""
from dataclasses import dataclass


@dataclass(frozen=True)
class SupplierProfile:
    supplier_id: str
    name: str | None = None
    category: str | None = None
    tier: str | None = None
    risk_rating: str | None = None
    owner_name: str | None = None
