"""SAP answers to domain records: plant-local dates, confirmations, one currency per order."""
from datetime import date

import pytest
from lxml import etree

from config.sap_mapping import DEFAULT_TIME_ZONES, DEFAULT_UNITS, PurchaseOrderMapping
from connectors.sap_dates import BadValue, LocalDates
from connectors.sap_records import PurchaseOrderReader
from domain.records import Rejected

DATES = LocalDates(DEFAULT_TIME_ZONES, "Europe/Berlin")


@pytest.mark.parametrize("text, zone, day", [
    ("2026-05-09T22:00:00Z", "CET", "2026-05-10"),
    ("2026-05-09T22:00:00.1234567Z", "CET", "2026-05-10"),  # SAP writes up to seven fractional digits
    ("2026-05-10T00:00:00", "EST", "2026-05-10"),            # wall-clock time: the date as written
    ("2026-05-10", None, "2026-05-10"),
    ("2026-05-10T01:30:00+02:00", "UTC", "2026-05-09"),
    ("2026-05-09T23:30:00Z", None, "2026-05-10"),            # no zone code: the plant's (Berlin)
    ("2026-05-10T12:00:00Z", "UTC-11", "2026-05-10"),
    ("2026-05-10T12:00:00Z", "Pacific/Kiritimati", "2026-05-11"),
])
def test_local_date_times_become_plant_calendar_dates(text, zone, day):
    assert DATES.day(text, zone) == day


@pytest.mark.parametrize("text, zone", [("2026-02-30T00:00:00", "CET"), ("10.05.2026", "CET"),
                                        ("2026-05-10T00:00:00Z", "NOWHERE"), ("2026-05-10T25:00:00Z", "CET")])
def test_bad_date_times_are_refused(text, zone):
    with pytest.raises(BadValue):
        DATES.day(text, zone)


def test_the_plant_day_of_an_instant_written_without_offset_is_read_as_utc():
    assert DATES.plant_day("2026-05-09T23:30:00") == "2026-05-10"


ORDER = """<PurchaseOrder><ID>4500000001</ID><SystemAdministrativeData><LastChangeDateTime>2026-04-03T22:30:00Z
</LastChangeDateTime></SystemAdministrativeData><PurchaseOrderDate>2026-04-01</PurchaseOrderDate><SellerParty>
<InternalID>100001</InternalID></SellerParty><Item><ID>00010</ID><Quantity unitCode="EA">100</Quantity><PlantID>1000
</PlantID><Product><InternalID>M-1</InternalID></Product><Price><NetPrice><Amount currencyCode="EUR">250.00</Amount>
<BaseQuantity unitCode="{per}">100</BaseQuantity></NetPrice></Price><ScheduleLine><ID>0001</ID>
<DeliveryDateTime timeZoneCode="CET">2026-05-09T22:00:00Z</DeliveryDateTime><Quantity unitCode="EA">100</Quantity>
</ScheduleLine>{confirmations}</Item></PurchaseOrder>"""
CONFIRMATION = """<Confirmation><ID>{id}</ID><ProcessingTypeCode>AB</ProcessingTypeCode><Quantity unitCode="EA">100
</Quantity><DeliveryDateTime timeZoneCode="CET">2026-05-12T00:00:00</DeliveryDateTime>{extra}</Confirmation>"""


def read(confirmations: str = "", per: str = "EA", **mapping) -> object:
    reader = PurchaseOrderReader(PurchaseOrderMapping(**mapping), list(DEFAULT_UNITS), 255, DATES)
    return reader(etree.fromstring(ORDER.format(confirmations=confirmations, per=per)))


def test_an_erp_order_reads_with_the_default_mapping():
    order = read(CONFIRMATION.format(id="0001", extra=""))
    [item] = order.items
    assert (order.currency, item.net_price, item.price_unit, item.schedule_lines[0].due) == (
        "EUR", 250, 100, date(2026, 5, 10))
    [confirmation] = item.confirmations
    # ERP sends no date: the confirmation was seen in an answer whose order last changed on 4 April in Berlin
    assert (confirmation.id, confirmation.processing_type, confirmation.confirmed_on, confirmation.seen_on,
            confirmation.due) == ("0001", "AB", None, date(2026, 4, 4), date(2026, 5, 12))


def test_a_date_the_service_sends_is_read_when_mapped():
    order = read(CONFIRMATION.format(id="0001", extra="<CreationDate>2026-04-02</CreationDate>"),
                 confirmed_on="CreationDate")
    assert order.items[0].confirmations[0].confirmed_on == date(2026, 4, 2)


def test_repeated_confirmation_ids_refuse_the_order():
    twice = CONFIRMATION.format(id="0001", extra="") * 2
    rejected = read(twice)
    assert isinstance(rejected, Rejected) and "confirmation ids repeat" in rejected.reason


def test_a_price_per_another_unit_refuses_the_order():
    rejected = read(per="KGM")
    assert isinstance(rejected, Rejected) and "priced per KGM but ordered in EA" in rejected.reason


def test_a_customer_wrapper_is_read_through_its_own_names():
    """Other names, namespace-qualified elements, the vendor in an attribute, a header currency, a sent date."""
    mapping = PurchaseOrderMapping(
        object="Order", id="Number", changed_at="ChangedAt", order_date="Header/Date", vendor="Header/Supplier@id",
        currency="Header/Currency", item="Position", item_id="No", material="Material", plant="Plant", quantity="Qty",
        unit="Qty@uom", net_price="Price", price_currency="Price@cur", price_unit="PriceUnit",
        price_unit_of_measure=None, schedule_line="Delivery", line_id="No", line_due="Date", line_due_time_zone=None,
        line_quantity="Qty", confirmation="Ack", confirmation_id="No", confirmation_type=None, confirmed_on="Date",
        confirmed_due=None, confirmed_due_time_zone=None, confirmed_quantity="Qty")
    xml = """<c:Order xmlns:c="urn:customer"><c:Number>4711</c:Number><c:ChangedAt>2026-04-01T08:00:00</c:ChangedAt>
      <c:Header><c:Date>2026-04-01</c:Date><c:Supplier id="4242"/><c:Currency>USD</c:Currency></c:Header>
      <c:Position><c:No>10</c:No><c:Material>M-9</c:Material><c:Plant>P1</c:Plant><c:Qty uom="KGM">12.5</c:Qty>
      <c:Price cur="USD">3.25</c:Price><c:PriceUnit>100</c:PriceUnit>
      <c:Delivery><c:No>1</c:No><c:Date>2026-05-02</c:Date><c:Qty uom="KGM">12.5</c:Qty></c:Delivery>
      <c:Ack><c:No>1</c:No><c:Date>2026-04-02</c:Date><c:Qty>12.5</c:Qty></c:Ack></c:Position></c:Order>"""
    order = PurchaseOrderReader(mapping, ["KGM"], 255, DATES)(etree.fromstring(xml))
    assert (order.id, order.vendor, order.currency, str(order.changed_at)) == (
        "4711", "0000004242", "USD", "2026-04-01 08:00:00+00:00")
    [item] = order.items
    assert (item.id, item.unit, str(item.quantity), str(item.net_price), item.price_unit) == ("10", "KGM", "12.5", "3.25", 100)
    assert [(line.id, str(line.due)) for line in item.schedule_lines] == [("1", "2026-05-02")]
    assert [(c.id, c.confirmed_on, c.seen_on) for c in item.confirmations] == [
        ("1", date(2026, 4, 2), date(2026, 4, 1))]


def test_items_in_two_currencies_refuse_an_order_without_a_header_currency():
    one = ORDER.format(confirmations="", per="EA")
    item = one[one.index("<Item>"):one.index("</PurchaseOrder>")]
    second = item.replace("<ID>00010</ID>", "<ID>00020</ID>").replace('currencyCode="EUR"', 'currencyCode="USD"')
    two = one.replace("</PurchaseOrder>", second + "</PurchaseOrder>")
    rejected = PurchaseOrderReader(PurchaseOrderMapping(), list(DEFAULT_UNITS), 255, DATES)(etree.fromstring(two))
    assert isinstance(rejected, Rejected) and "EUR, USD" in rejected.reason
