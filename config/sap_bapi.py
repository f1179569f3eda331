"""Settings of the `bapi` SAP profile: BAPIs and RFC function modules published as web services.

SOAMANAGER publishes each function module as its own service (endpoint and WSDL), in RFC naming
(`urn:sap-com:document:sap:rfc:functions`, SAP's upper-case names) or mc-style
(`urn:sap-com:document:sap:soap:functions:mc-style`, camel case); the style is read from each
WSDL unless set. Only the endpoints, the credentials and the client are needed: everything else
defaults to SAP's standard function modules.
"""
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from config.strict import StrictModel

_FUNCTION = re.compile(r"^[A-Z/][A-Z0-9_/]{0,29}$")
_MESSAGE = re.compile(r"^[A-Z0-9/_]{1,20}/[0-9]{1,3}$")


def _function(value: str) -> str:
    if not _FUNCTION.match(value):
        raise ValueError(f"{value!r} is not a function module name (upper case, up to 30 characters)")
    return value


def _message(value: str) -> str:
    if not _MESSAGE.match(value):
        raise ValueError(f"{value!r} is not a message as CLASS/NUMBER, e.g. M7/842")
    return value


FunctionName = Annotated[str, AfterValidator(_function)]
MessageKey = Annotated[str, AfterValidator(_message)]


class FunctionService(StrictModel):
    """One function module's service: where it is, and which RETURN messages mean "no data"."""

    url: str | None = Field(None, description="The service's endpoint (SOAMANAGER: /sap/bc/srt/rfc/sap/…).")
    wsdl: Path | None = Field(None, description="A WSDL file shipped by the customer; default <url>?wsdl.")
    function: FunctionName
    no_data: list[MessageKey] = Field(default_factory=list, description=(
        "RETURN messages (CLASS/NUMBER) that mean an empty answer, not a failure."))


class GoodsMovementFunction(FunctionService):
    function: FunctionName = "BAPI_GOODSMVT_GETITEMS"
    no_data: list[MessageKey] = Field(default_factory=lambda: ["M7/842"], description=(
        "RETURN messages that mean an empty slice (M7 842: no document exists for the specified data)."))
    slice_days: int = Field(7, ge=1, le=366, description=(
        "Posting days per call: the function does not page, so a window is read in slices this long."))
    posting_lookback_days: int = Field(62, ge=0, le=400, description=(
        "Posting days read before a window's start: a document can be entered after its posting date "
        "(posting into the previous period), and the function selects on the posting date only."))
    plants: list[str] = Field(default_factory=list, description="Plants to read (PLANT_RA); empty: all.")


class PurchaseOrderList(FunctionService):
    """The call that names the orders of a window.

    BAPI_PO_GETITEMS selects on the document date (`DOC_DATE`, "on or after"): it misses later
    changes to older orders (new confirmations, moved schedule lines), so orders dated within
    `reread_days` before the window are read again. A customer's own function with a change-date
    range (`selection: change_date`) reads exactly the orders changed in the window instead.
    """

    function: FunctionName = "BAPI_PO_GETITEMS"
    selection: Literal["document_date", "change_date"] = Field("document_date", description=(
        "document_date: `date_parameter` is one date, orders on or after it; change_date: `date_parameter` is "
        "a range table (SIGN, OPTION, LOW, HIGH) on the change date."))
    date_parameter: FunctionName = "DOC_DATE"
    headers_flag: FunctionName | None = Field("WITH_PO_HEADERS", description=(
        "An import set to 'X' so the function returns its header table; none: not sent."))
    table: FunctionName = Field("PO_HEADERS", description="The table of the answer that names the orders.")
    number_field: FunctionName = "PO_NUMBER"
    date_field: FunctionName = Field("DOC_DATE", description=(
        "The date of each row that the window's upper bound is applied to (the function has none)."))
    reread_days: int = Field(90, ge=0, le=3660, description=(
        "document_date: orders dated this many days before the window are read again, for changes "
        "made after they were first read."))


class PurchaseOrderDetail(FunctionService):
    function: FunctionName = "BAPI_PO_GETDETAIL1"
    pool_size: int = Field(4, ge=1, le=32, description="Detail calls in flight at once.")


class BapiSettings(StrictModel):
    """SAP through BAPIs published as web services (`sap.profile: bapi`)."""

    naming: Literal["auto", "rfc", "mc"] = Field("auto", description=(
        "SOAMANAGER's naming style; auto: read from each service's WSDL."))
    system_time_zone: str = Field("UTC", description=(
        "The SAP system's time zone (an SAP code or IANA name): entry dates and times are written in it."))
    goods_movements: GoodsMovementFunction = GoodsMovementFunction()
    purchase_order_list: PurchaseOrderList = PurchaseOrderList()
    purchase_order_detail: PurchaseOrderDetail = PurchaseOrderDetail()
