"""ABAP values on the wire of a SOAMANAGER function-module service, both ways.

Each dictionary type travels as one of SOAMANAGER's elementary XML Schema types, declared in
urn:sap-com:document:sap:rfc:functions (names and facets as SOAMANAGER writes them):

| ABAP       | schema type     | text on the wire                                           |
|------------|-----------------|------------------------------------------------------------|
| CHAR n     | char<n>         | the value, trailing blanks dropped; empty element if initial|
| NUMC n     | numeric<n>      | n digits, zero-padded ("00010", "0000" if initial)         |
| DATS       | date10          | YYYY-MM-DD; initial "0000-00-00"                           |
| TIMS       | time            | HH:MM:SS; initial "00:00:00"                               |
| QUAN p.d   | quantum<p>.<d>  | decimal with its d decimals ("12.500"); never signed here  |
| CURR p.d   | curr<p>.<d>     | decimal with d decimals                                    |
| DEC p.d    | decimal<p>.<d>  | decimal with d decimals ("1" for DEC 5, "12.3400" for 23.4)|
| CUKY, UNIT | cuky5, unit3    | the key                                                    |
| LANG       | lang            | the two-letter ISO code (conversion exit ISOLA)             |
| INT1, INT4 | xsd:unsignedByte, xsd:int | the integer                                      |
| FLTP       | xsd:double      | the number                                                 |

No conversion exit but ISOLA runs: numbers keep their leading zeros (vendor "0000100001"), a
material number is sent as stored. `external_date` writes a date the way a CHAR 10 "external"
date field (BAPIMEPOSCHEDULE-DELIVERY_DATE) carries it: in the user's date format (SU01 DATFM).
"""
from datetime import date, time
from decimal import Decimal

from tests.support.bapi_catalog import Field

INITIAL_DATE = "0000-00-00"
INITIAL_TIME = "00:00:00"
_DECIMALS = {"QUAN": "quantum", "CURR": "curr", "DEC": "decimal"}
_BUILT_IN = {"INT1": "unsignedByte", "INT4": "int", "FLTP": "double"}
# SU01 date formats (DATFM) 1-6
DATE_FORMATS = {"1": "%d.%m.%Y", "2": "%m/%d/%Y", "3": "%m-%d-%Y", "4": "%Y.%m.%d", "5": "%Y/%m/%d", "6": "%Y-%m-%d"}


def schema_type(field: Field) -> tuple[str, bool]:
    """The type name of a field and whether it is one of XML Schema's own (else SOAMANAGER's)."""
    if field.abap_type in _BUILT_IN:
        return _BUILT_IN[field.abap_type], True
    if field.abap_type in _DECIMALS:
        return f"{_DECIMALS[field.abap_type]}{field.length}.{field.decimals}", False
    return {"CHAR": f"char{field.length}", "NUMC": f"numeric{field.length}", "DATS": "date10", "TIMS": "time",
            "CUKY": f"cuky{field.length}", "UNIT": f"unit{field.length}", "LANG": "lang"}[field.abap_type], False


def simple_type_facets(field: Field) -> tuple[str, list[tuple[str, str]]]:
    """Base type and facets of SOAMANAGER's declaration of the field's simple type."""
    kind = field.abap_type
    if kind in _DECIMALS:
        return "decimal", [("totalDigits", str(field.length)), ("fractionDigits", str(field.decimals))]
    if kind == "NUMC":
        return "string", [("maxLength", str(field.length)), ("pattern", r"\d*")]
    if kind == "DATS":
        return "string", [("maxLength", "10"), ("pattern", r"\d\d\d\d-\d\d-\d\d")]
    if kind == "TIMS":
        return "time", [("pattern", "[0-9]{2}:[0-9]{2}:[0-9]{2}")]
    return "string", [("maxLength", "2" if kind == "LANG" else str(field.length))]


def to_text(field: Field, value: object) -> str:
    """The text SAP sends for `value` (None or "" is the initial value of the type)."""
    kind = field.abap_type
    if kind == "DATS":
        return value.isoformat() if value else INITIAL_DATE
    if kind == "TIMS":
        return value.strftime("%H:%M:%S") if value else INITIAL_TIME
    if kind == "NUMC":
        return f"{int(value or 0):0{field.length}d}"
    if kind in _DECIMALS:
        return format(Decimal(value or 0).quantize(Decimal(1).scaleb(-field.decimals)), "f")
    if kind in ("INT1", "INT4"):
        return str(int(value or 0))
    if kind == "FLTP":
        return repr(float(value or 0))
    text = str(value or "").rstrip()
    if len(text) > (2 if kind == "LANG" else field.length):
        raise ValueError(f"{field.name}: {text!r} is longer than {kind} {field.length}")
    return text


def from_text(field: Field, text: str | None) -> object:
    """The ABAP value of a schema-valid text: date/time/Decimal/int, None for an initial date or
    time, a string (blanks stripped) otherwise."""
    text = (text or "").strip()
    kind = field.abap_type
    if kind == "DATS":
        return None if text in ("", INITIAL_DATE) else date.fromisoformat(text)
    if kind == "TIMS":
        return None if text in ("", INITIAL_TIME) else time.fromisoformat(text)
    if kind in _DECIMALS:
        return Decimal(text or 0)
    if kind in ("INT1", "INT4"):
        return int(text or 0)
    if kind == "FLTP":
        return float(text or 0)
    if kind == "NUMC":
        return text.zfill(field.length) if text else "0" * field.length
    return text


def comparable(field: Field, value: object) -> str:
    """The value as ABAP compares it in a range: DATS as YYYYMMDD (initial "00000000"), NUMC
    zero-padded, character fields as they are."""
    if field.abap_type == "DATS":
        return value.strftime("%Y%m%d") if value else "00000000"
    if field.abap_type == "NUMC":
        return f"{int(value or 0):0{field.length}d}"
    return str(value or "")


def external_date(value: date | None, date_format: str) -> str:
    """A date in the user's external format; "" when initial."""
    return value.strftime(DATE_FORMATS[date_format]) if value else ""
