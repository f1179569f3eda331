"""SOAP 1.1 answers of the test ES server: response messages, business objects, SOAP faults.

Elements are written in the order of the service's WSDL; the message element is qualified
(http://sap.com/xi/SAPGlobal20/Global), every local element unqualified. `Paging` holds the
texts sent in `ProcessingConditions`, so a fault mode can send what no valid answer would.
"""
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Sequence

from lxml import etree

from tests.support.es_data import LocalDateTime, MaterialDocument, PurchaseOrder, Quantity
from tests.support.es_wsdl import MESSAGES_NS
from tests.support.soap_http import SOAP_NS, envelope_body, serialize


@dataclass(frozen=True)
class Paging:
    returned: str
    more: str
    last_returned_object_id: str | None


@dataclass(frozen=True)
class LogItem:
    type_id: str
    category_code: str
    severity_code: str
    note: str


def response_message(element: str, objects: Sequence[PurchaseOrder | MaterialDocument], paging: Paging | None,
                     log: Sequence[LogItem]) -> bytes:
    body = envelope_body()
    message = etree.SubElement(body, f"{{{MESSAGES_NS}}}{element}", nsmap={"n0": MESSAGES_NS})
    for o in objects:
        (_purchase_order if isinstance(o, PurchaseOrder) else _material_document)(message, o)
    if paging is not None:
        conditions = etree.SubElement(message, "ProcessingConditions")
        _leaf(conditions, "ReturnedQueryHitsNumberValue", paging.returned)
        _leaf(conditions, "MoreHitsAvailableIndicator", paging.more)
        if paging.last_returned_object_id is not None:
            _leaf(conditions, "LastReturnedObjectID", paging.last_returned_object_id)
    if log:
        _log(message, log)
    return serialize(body)


def soap_fault(text: str, fault_code: str = "Server", message_id: str = "") -> bytes:
    """A SOAP 1.1 fault with SAP's StandardMessageFault detail (ExchangeFaultData)."""
    body = envelope_body()
    fault = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    _leaf(fault, "faultcode", f"soap-env:{fault_code}")
    _leaf(fault, "faultstring", text).set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    standard = etree.SubElement(etree.SubElement(etree.SubElement(fault, "detail"), f"{{{MESSAGES_NS}}}StandardMessageFault",
                                                 nsmap={"n0": MESSAGES_NS}), "standard")
    _leaf(standard, "faultText", text)
    detail = etree.SubElement(standard, "faultDetail")
    _leaf(detail, "severity", "error")
    _leaf(detail, "text", text)
    if message_id:
        _leaf(detail, "id", message_id)
    return serialize(body)


def _purchase_order(parent: etree._Element, order: PurchaseOrder) -> None:
    element = etree.SubElement(parent, "PurchaseOrder")
    _leaf(element, "ID", order.id)
    _leaf(element, "PurchaseOrderDate", _date(order.purchase_order_date))
    _administrative_data(element, order.creation_date_time, order.last_change_date_time)
    _leaf(etree.SubElement(element, "SellerParty"), "InternalID", order.seller_party_internal_id)
    for item in order.items:
        node = etree.SubElement(element, "Item")
        _leaf(node, "ID", item.id)
        _quantity(node, "Quantity", item.quantity)
        _leaf(node, "PlantID", item.plant_id)
        _leaf(etree.SubElement(node, "Product"), "InternalID", item.product_internal_id)
        net_price = etree.SubElement(etree.SubElement(node, "Price"), "NetPrice")
        _leaf(net_price, "Amount", _decimal(item.net_price.amount.value)).set(
            "currencyCode", item.net_price.amount.currency_code)
        _quantity(net_price, "BaseQuantity", item.net_price.base_quantity)
        for confirmation in item.confirmations:
            line = etree.SubElement(node, "Confirmation")
            _leaf(line, "ID", confirmation.id)
            _leaf(line, "ProcessingTypeCode", confirmation.processing_type_code)
            _quantity(line, "Quantity", confirmation.quantity)
            _local_date_time(line, "DeliveryDateTime", confirmation.delivery_date_time)
        for schedule_line in item.schedule_lines:
            line = etree.SubElement(node, "ScheduleLine")
            _leaf(line, "ID", schedule_line.id)
            _local_date_time(line, "DeliveryDateTime", schedule_line.delivery_date_time)
            _quantity(line, "Quantity", schedule_line.quantity)


def _material_document(parent: etree._Element, document: MaterialDocument) -> None:
    element = etree.SubElement(parent, "MaterialDocument")
    _leaf(element, "ID", document.id)
    _leaf(element, "FiscalYear", document.fiscal_year)
    _leaf(element, "PostingDate", _date(document.posting_date))
    _administrative_data(element, document.creation_date_time, document.last_change_date_time)
    for item in document.items:
        node = etree.SubElement(element, "Item")
        _leaf(node, "ID", item.id)
        _leaf(node, "GoodsMovementTypeCode", item.goods_movement_type_code)
        _quantity(node, "Quantity", item.quantity)
        if (order := item.purchase_order_reference) is not None:
            reference = etree.SubElement(node, "PurchaseOrderReference")
            _leaf(reference, "ID", order.id)
            _leaf(reference, "ItemID", order.item_id)
            if order.schedule_line_id is not None:
                _leaf(reference, "ScheduleLineID", order.schedule_line_id)
        if (reversed_ := item.reversed_material_document_reference) is not None:
            reference = etree.SubElement(node, "ReversedMaterialDocumentReference")
            _leaf(reference, "ID", reversed_.id)
            _leaf(reference, "FiscalYear", reversed_.fiscal_year)
            _leaf(reference, "ItemID", reversed_.item_id)


def _administrative_data(parent: etree._Element, created: datetime, changed: datetime) -> None:
    data = etree.SubElement(parent, "SystemAdministrativeData")
    _leaf(data, "CreationDateTime", global_date_time(created))
    _leaf(data, "LastChangeDateTime", global_date_time(changed))


def _log(parent: etree._Element, items: Sequence[LogItem]) -> None:
    log = etree.SubElement(parent, "Log")
    _leaf(log, "MaximumLogItemSeverityCode", max(item.severity_code for item in items))
    for item in items:
        node = etree.SubElement(log, "Item")
        _leaf(node, "TypeID", item.type_id)
        _leaf(node, "CategoryCode", item.category_code)
        _leaf(node, "SeverityCode", item.severity_code)
        _leaf(node, "Note", item.note)


def global_date_time(moment: datetime) -> str:
    """GDT GLOBAL_DateTime: UTC, with a Z."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def _local_date_time(parent: etree._Element, name: str, moment: LocalDateTime) -> None:
    element = _leaf(parent, name, moment.value.isoformat())
    element.set("timeZoneCode", moment.time_zone_code)
    element.set("daylightSavingTimeIndicator", "true" if moment.daylight_saving_time else "false")


def _quantity(parent: etree._Element, name: str, quantity: Quantity) -> None:
    _leaf(parent, name, _decimal(quantity.value)).set("unitCode", quantity.unit_code)


def _decimal(value: Decimal) -> str:
    return format(value, "f")


def _date(value: date) -> str:
    return value.isoformat()


def _leaf(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, name)
    element.text = text
    return element
