"""Who a supplier is (its SAP vendor number) and what Salesforce says about it, as the KPI engine reads it."""
import re
from dataclasses import dataclass

from config.settings import SAP_VENDOR_ID

# Nothing else is ever a supplier id: it becomes a key, a routing-key word and a path segment, where
# ".", "#", "*", spaces, controls and bidirectional overrides would be unsafe or misleading.
SUPPLIER_ID_PATTERN = SAP_VENDOR_ID
_SUPPLIER_ID = re.compile(SUPPLIER_ID_PATTERN)


def is_supplier_id(value: str) -> bool:
    return _SUPPLIER_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class SupplierProfile:
    supplier_id: str
    name: str | None = None
    category: str | None = None
    tier: str | None = None
    risk_rating: str | None = None
    owner_name: str | None = None
