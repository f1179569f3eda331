"""The suppliers section: which SAP vendor ids are suppliers here."""
import re

from pydantic import Field, field_validator

from config.strict import StrictModel

# SAP's vendor number (LIFNR, CHAR 10) after its ALPHA conversion: numbers zero-padded to 10 digits, other
# values upper-case letters, digits, "-", "_" and "/"
SAP_VENDOR_ID = r"^[0-9A-Z][0-9A-Z_/-]{0,9}$"


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
