"""Where each field lives in the SAP service's answers: element paths per stream, with the stand-in's as defaults.

A path is relative to the enclosing element, steps separated by `/`, matched by local name in
any namespace; `@name` reads an attribute (`Quantity@unitCode`). A customer's wrapper service is
mapped by overriding these in the settings file, without code changes.
"""
import re

from pydantic import field_validator

from config.strict import StrictModel

_PATH = re.compile(r"^(?:[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)*)?(?:@[A-Za-z_][\w.-]*)?$")


class _Paths(StrictModel):
    @field_validator("*")
    @classmethod
    def _is_a_path(cls, value: str) -> str:
        if not value or not _PATH.match(value):
            raise ValueError(f"{value!r} is not an element path like `Item/Quantity` or `Quantity@unitCode`")
        return value


class PurchaseOrderMapping(_Paths):
    operation: str = "PurchaseOrderERPByElementsQueryResponse_In"
    selection: str = "PurchaseOrderSelectionByElements"
    object: str = "PurchaseOrder"
    id: str = "ID"
    changed_at: str = "LastChangeDateTime"
    order_date: str = "PurchaseOrderDate"
    vendor: str = "SellerParty/InternalID"
    currency: str = "CurrencyCode"
    item: str = "Item"
    item_id: str = "ID"
    material: str = "Product/InternalID"
    plant: str = "PlantID"
    quantity: str = "Quantity"
    unit: str = "Quantity@unitCode"
    net_price: str = "NetPrice/Amount"
    price_currency: str = "NetPrice/Amount@currencyCode"
    price_unit: str = "NetPrice/BaseQuantity"
    schedule_line: str = "ScheduleLine"
    line_id: str = "ID"
    line_due: str = "DeliveryDateTime"
    line_quantity: str = "Quantity"
    confirmation: str = "Confirmation"
    confirmed_on: str = "CreationDate"
    confirmed_due: str = "ConfirmedDeliveryDateTime"
    confirmed_quantity: str = "Quantity"


class GoodsMovementMapping(_Paths):
    operation: str = "MaterialDocumentERPByElementsQueryResponse_In"
    selection: str = "MaterialDocumentSelectionByElements"
    object: str = "MaterialDocument"
    document: str = "ID"
    year: str = "FiscalYear"
    posting_date: str = "PostingDate"
    changed_at: str = "LastChangeDateTime"
    item: str = "Item"
    line: str = "ID"
    movement_type: str = "GoodsMovementTypeCode"
    quantity: str = "Quantity"
    unit: str = "Quantity@unitCode"
    po: str = "PurchaseOrderReference/ID"
    po_item: str = "PurchaseOrderReference/ItemID"
    schedule_line: str = "PurchaseOrderReference/ScheduleLineID"
    reverses_document: str = "ReversedMaterialDocumentReference/ID"
    reverses_year: str = "ReversedMaterialDocumentReference/FiscalYear"
    reverses_line: str = "ReversedMaterialDocumentReference/ItemID"


# UN/CEFACT codes (Rec. 20) and SAP ISO codes most used on purchase orders; extend in the settings.
DEFAULT_UNITS = ("EA", "PCE", "C62", "H87", "PR", "SET", "KGM", "GRM", "TNE", "LBR", "MTR", "MMT", "CMT", "MTK",
                 "MTQ", "LTR", "MLT", "HUR", "DAY", "BX", "CT", "PK", "RO", "ST", "KT")
