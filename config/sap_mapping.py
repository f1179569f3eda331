"""Where srm-bridge finds things in SAP's requests and answers: every name is a setting.

The defaults follow SAP Enterprise Services as SAP publishes them: the ES query pattern (a
selection of range rows, `ProcessingConditions` for paging, a `Log`), the ERP PurchaseOrder and
MaterialDocument structures, one service (WSDL and endpoint) per query. Other ES families with the
same pattern and other names (S/4HANA, Business ByDesign, Cloud for Customer) and customer
wrapper services are mapped by overriding these in the settings file, without code changes.

A path is relative to the enclosing element, steps separated by `/`, matched by local name in
any namespace; `@name` reads an attribute (`Quantity@unitCode`).
"""
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from config.strict import StrictModel

_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
_PATH = re.compile(r"^[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)*(?:@[A-Za-z_][\w.-]*)?$")
_CODE = re.compile(r"^[\w.+-]{1,20}$")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not an XML element name")
    return value


def _path(value: str) -> str:
    if not _PATH.match(value):
        raise ValueError(f"{value!r} is not an element path like `Item/Quantity` or `Quantity@unitCode`")
    return value


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(f"{value!r} is not a code (letters, digits, `.+-_`, at most 20)")
    return value


ElementName = Annotated[str, AfterValidator(_name)]
ElementPath = Annotated[str, AfterValidator(_path)]
Code = Annotated[str, AfterValidator(_code)]


class QueryRequest(StrictModel):
    """The request: range rows on the last change time in a selection element, and paging conditions.

    The window `[lower, upper)` is one row `I` (include) with interval boundary type `2` (SAP's code
    list: 1 `= X`, 2 `[X, Y)`, 3 `[X, Y]`, 4 `(X, Y)`, 5 `(X, Y]`, 6 `< X`, 7 `<= X`, 8 `> X`, 9 `>= X`).
    """

    selection: ElementName
    change_time_row: ElementName = "SelectionByLastChangeDateTime"
    inclusion_element: ElementName = "InclusionExclusionCode"
    inclusion_code: Code = "I"
    boundary_type_element: ElementName = "IntervalBoundaryTypeCode"
    boundary_type_code: Code = "2"
    lower_boundary: ElementName = "LowerBoundaryDateTime"
    upper_boundary: ElementName = "UpperBoundaryDateTime"
    paging: ElementName = "ProcessingConditions"
    maximum_hits: ElementName = "QueryHitsMaximumNumberValue"
    unlimited_hits: ElementName = "QueryHitsUnlimitedIndicator"
    last_returned: ElementName = "LastReturnedObjectID"
    order_indicator: ElementName | None = Field(None, description=(
        "A boolean element of the request that asks for answers in ascending change-time order, sent as true "
        "when the WSDL declares it. SAP's ES queries have none: the cursor then moves when a window is complete."))


class QueryResponse(StrictModel):
    """The answer: the objects, then the paging block, then the log."""

    paging: ElementName = "ProcessingConditions"
    returned_hits: ElementName = "ReturnedQueryHitsNumberValue"
    more_hits: ElementName = "MoreHitsAvailableIndicator"
    last_returned: ElementName = "LastReturnedObjectID"
    log: ElementName = "Log"
    log_maximum_severity: ElementName = "MaximumLogItemSeverityCode"
    log_item: ElementName = "Item"
    log_severity: ElementName = "SeverityCode"
    log_note: ElementName = "Note"


class ServiceMapping(StrictModel):
    """One query service: where it is, its operation, and the element of one object in its answer."""

    url: str | None = Field(None, description="The service's endpoint (SOAMANAGER: /sap/bc/srt/xip/sap/…); "
                                              "default sap.url.")
    wsdl: Path | None = Field(None, description="A WSDL file shipped by the customer; default <url>?wsdl.")
    operation: ElementName
    request: QueryRequest
    response: QueryResponse = QueryResponse()
    object: ElementName


class PurchaseOrderMapping(ServiceMapping):
    operation: ElementName = "PurchaseOrderERPByElementsQueryResponse_In"
    request: QueryRequest = QueryRequest(selection="PurchaseOrderSelectionByElements")
    object: ElementName = "PurchaseOrder"
    id: ElementPath = "ID"
    changed_at: ElementPath = "SystemAdministrativeData/LastChangeDateTime"
    order_date: ElementPath = "PurchaseOrderDate"
    vendor: ElementPath = "SellerParty/InternalID"
    currency: ElementPath | None = Field(None, description="The order's currency; default: its items' price currency.")
    item: ElementPath = "Item"
    item_id: ElementPath = "ID"
    material: ElementPath = "Product/InternalID"
    plant: ElementPath = "PlantID"
    quantity: ElementPath = "Quantity"
    unit: ElementPath = "Quantity@unitCode"
    net_price: ElementPath = "Price/NetPrice/Amount"
    price_currency: ElementPath | None = "Price/NetPrice/Amount@currencyCode"
    price_unit: ElementPath = "Price/NetPrice/BaseQuantity"
    price_unit_of_measure: ElementPath | None = "Price/NetPrice/BaseQuantity@unitCode"
    schedule_line: ElementPath = "ScheduleLine"
    line_id: ElementPath = "ID"
    line_due: ElementPath = "DeliveryDateTime"
    line_due_time_zone: ElementPath | None = "DeliveryDateTime@timeZoneCode"
    line_quantity: ElementPath = "Quantity"
    confirmation: ElementPath = "Confirmation"
    confirmation_id: ElementPath | None = "ID"
    confirmation_type: ElementPath | None = "ProcessingTypeCode"
    confirmed_quantity: ElementPath = "Quantity"
    confirmed_due: ElementPath | None = "DeliveryDateTime"
    confirmed_due_time_zone: ElementPath | None = "DeliveryDateTime@timeZoneCode"
    confirmed_on: ElementPath | None = Field(None, description=(
        "The date a confirmation was made, when the service sends one (ERP's Confirmation has none); "
        "without it, the confirmation counts from the first time srm-bridge saw it."))


class GoodsMovementMapping(ServiceMapping):
    operation: ElementName = "MaterialDocumentERPByElementsQueryResponse_In"
    request: QueryRequest = QueryRequest(selection="MaterialDocumentSelectionByElements")
    object: ElementName = "MaterialDocument"
    document: ElementPath = "ID"
    year: ElementPath = "FiscalYear"
    posting_date: ElementPath = "PostingDate"
    changed_at: ElementPath = "SystemAdministrativeData/LastChangeDateTime"
    item: ElementPath = "Item"
    line: ElementPath = "ID"
    movement_type: ElementPath = "GoodsMovementTypeCode"
    quantity: ElementPath = "Quantity"
    unit: ElementPath = "Quantity@unitCode"
    po: ElementPath = "PurchaseOrderReference/ID"
    po_item: ElementPath = "PurchaseOrderReference/ItemID"
    schedule_line: ElementPath | None = "PurchaseOrderReference/ScheduleLineID"
    reverses_document: ElementPath | None = "ReversedMaterialDocumentReference/ID"
    reverses_year: ElementPath | None = "ReversedMaterialDocumentReference/FiscalYear"
    reverses_line: ElementPath | None = "ReversedMaterialDocumentReference/ItemID"


# UN/CEFACT codes (Rec. 20) and SAP ISO codes most used on purchase orders, and SAP's own commercial units
# (table T006) for services that send those; extend in the settings.
DEFAULT_UNITS = ("EA", "PCE", "C62", "H87", "PR", "SET", "KGM", "GRM", "TNE", "LBR", "MTR", "MMT", "CMT", "MTK",
                 "MTQ", "LTR", "MLT", "HUR", "DAY", "BX", "CT", "PK", "RO", "ST", "KT",
                 "PC", "KG", "G", "TO", "L", "ML", "M", "CM", "MM", "M2", "M3", "H", "PAL", "CAR")

# SAP time zone codes (table TTZZ) as IANA zones; a `timeZoneCode` may also be an IANA name or `UTC±H`.
DEFAULT_TIME_ZONES = {
    "UTC": "UTC", "GMTUK": "Europe/London", "WET": "Europe/Lisbon", "CET": "Europe/Berlin", "EET": "Europe/Helsinki",
    "EST": "America/New_York", "CST": "America/Chicago", "MST": "America/Denver", "PST": "America/Los_Angeles",
    "BRAZIL": "America/Sao_Paulo", "INDIA": "Asia/Kolkata", "JAPAN": "Asia/Tokyo", "AUSNSW": "Australia/Sydney",
}
