"""The README's worked example, pulled for real: a customer's own query service read through its settings alone."""
import re
from datetime import date, datetime, timezone
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from config import load_settings
from sandbox import http
from scheduler.bootstrap import App
from store.db import create_engine_for, upgrade
from store.sync_state import read_cursor
from store.tables import confirmations, purchase_orders, schedule_lines
from sync.pipeline import run_sync

README = Path(__file__).parents[2] / "README.md"
NS = "urn:example:srm"
PATH = "/sap/bc/srt/xip/sap/zsrm_po_query/100/srm/srm"
WSDL = f"""<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:z="{NS}" targetNamespace="{NS}">
  <wsdl:types>
    <xsd:schema targetNamespace="{NS}">
      <xsd:complexType name="Range"><xsd:sequence>
        <xsd:element name="Sign" type="xsd:string"/><xsd:element name="Option" type="xsd:string"/>
        <xsd:element name="Low" type="xsd:dateTime"/><xsd:element name="High" type="xsd:dateTime" minOccurs="0"/>
      </xsd:sequence></xsd:complexType>
      <xsd:element name="ZSrmPurchaseOrdersQuery"><xsd:complexType><xsd:sequence>
        <xsd:element name="Selection"><xsd:complexType><xsd:sequence>
          <xsd:element name="ChangedOn" type="z:Range" minOccurs="0" maxOccurs="unbounded"/>
        </xsd:sequence></xsd:complexType></xsd:element>
        <xsd:element name="Paging"><xsd:complexType><xsd:sequence>
          <xsd:element name="MaxRows" type="xsd:int"/><xsd:element name="NoLimit" type="xsd:boolean"/>
          <xsd:element name="After" type="xsd:string" minOccurs="0"/>
        </xsd:sequence></xsd:complexType></xsd:element>
        <xsd:element name="InChangeOrder" type="xsd:boolean" minOccurs="0"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="ZSrmPurchaseOrdersResponse"><xsd:complexType><xsd:sequence>
        <xsd:any minOccurs="0" maxOccurs="unbounded" processContents="skip"/>
      </xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="query"><wsdl:part name="parameters" element="z:ZSrmPurchaseOrdersQuery"/></wsdl:message>
  <wsdl:message name="answer"><wsdl:part name="parameters" element="z:ZSrmPurchaseOrdersResponse"/></wsdl:message>
  <wsdl:portType name="ZSrmPurchaseOrders">
    <wsdl:operation name="ZSrmPurchaseOrdersQuery"><wsdl:input message="z:query"/><wsdl:output message="z:answer"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="binding" type="z:ZSrmPurchaseOrders">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <wsdl:operation name="ZSrmPurchaseOrdersQuery"><soap:operation soapAction="" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="service"><wsdl:port name="binding" binding="z:binding"><soap:address location="{{address}}"/>
  </wsdl:port></wsdl:service>
</wsdl:definitions>"""
ORDERS = [  # number, changed at, supplier, acknowledged on
    ("4713", "2026-04-01T06:00:00Z", "4242", "2026-04-02"),
    ("4711", "2026-04-01T08:00:00Z", "4242", "2026-04-03"),
    ("4712", "2026-04-02T09:30:00Z", "77", "2026-04-02"),
]


def order_xml(number: str, changed: str, supplier: str, acknowledged: str) -> str:
    return (f"<Order><Number>{number}</Number><ChangedAt>{changed}</ChangedAt><Header><Date>2026-04-01</Date>"
            f'<Supplier id="{supplier}"/><Currency>USD</Currency></Header><Position><No>10</No><Material>M-9'
            '</Material><Plant>P1</Plant><Qty uom="KGM">12.5</Qty><Price cur="USD">3.25</Price><PriceUnit>100'
            "</PriceUnit><Delivery><No>1</No><Date>2026-05-02</Date><Qty>12.5</Qty></Delivery><Ack><No>1</No>"
            f"<Date>{acknowledged}</Date><Qty>12.5</Qty></Ack></Position></Order>")


class CustomerService:
    """Answers `ZSrmPurchaseOrdersQuery` the way the README describes the customer's service."""

    def __init__(self) -> None:
        self.received: list[etree._Element] = []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET":
            address = f"http://{environ['HTTP_HOST']}{PATH}"
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [WSDL.replace("{address}", address).encode()]
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        query = etree.fromstring(body).find(f"{{*}}Body/{{{NS}}}ZSrmPurchaseOrdersQuery")
        self.received.append(query)
        [row] = query.findall("Selection/ChangedOn")
        assert (row.findtext("Sign"), row.findtext("Option")) == ("I", "BT")
        low, high = (datetime.fromisoformat(row.findtext(bound)) for bound in ("Low", "High"))
        hits = sorted((o for o in ORDERS if low <= datetime.fromisoformat(o[1]) <= high), key=lambda o: (o[1], o[0]))
        after = query.findtext("Paging/After")
        if after:
            hits = hits[[o[0] for o in hits].index(after) + 1:]
        size = int(query.findtext("Paging/MaxRows"))
        page, more = hits[:size], len(hits) > size
        answer = (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                  f'<z:ZSrmPurchaseOrdersResponse xmlns:z="{NS}">' + "".join(order_xml(*o) for o in page)
                  + f"<Paging><Count>{len(page)}</Count><More>{str(more).lower()}</More>"
                  + (f"<LastKey>{page[-1][0]}</LastKey>" if page else "") + "</Paging>"
                  "<Log><MaximumLogItemSeverityCode>1</MaximumLogItemSeverityCode></Log>"
                  "</z:ZSrmPurchaseOrdersResponse></s:Body></s:Envelope>")
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [answer.encode()]


def readme_settings(tmp_path: Path, url: str) -> Path:
    text = README.read_text(encoding="utf-8")
    example = re.search(r"<!-- custom-mapping-example[^>]*-->\s*```yaml\n(.*?)```", text, re.DOTALL).group(1)
    settings = tmp_path / "settings.yaml"
    settings.write_text(re.sub(r"url: \S+", f"url: {url}", example) +
                        f"database:\n  url: sqlite:///{tmp_path / 'srm.db'}\n", encoding="utf-8")
    return settings


def test_the_readme_example_reads_a_customer_service(tmp_path):
    service = CustomerService()
    server = http.start(service)
    try:
        settings = load_settings(readme_settings(tmp_path, server.url + PATH))
        settings.sap.page_size, settings.sap.settle_seconds = 2, 0
        engine = create_engine_for(settings.database.url)
        upgrade(engine)
        now = datetime(2026, 7, 1, tzinfo=timezone.utc)
        [result] = run_sync(engine, App(settings=settings, engine=engine).streams(["sap"])[:1], now).streams
    finally:
        server.stop()
    assert (result.outcome, result.pages, result.stored) == ("succeeded", 2, 3)
    first, second = service.received
    assert [child.tag for child in first] == ["Selection", "Paging", "InChangeOrder"]
    assert (first.findtext("Paging/MaxRows"), first.findtext("Paging/NoLimit"), first.findtext("InChangeOrder")) == (
        "2", "false", "true")
    assert second.findtext("Paging/After") == "4711"
    with engine.connect() as connection:
        assert connection.execute(select(purchase_orders.c.po_id, purchase_orders.c.vendor_id, purchase_orders.c.currency)
                                  .order_by(purchase_orders.c.po_id)).all() == [
            ("4711", "0000004242", "USD"), ("4712", "0000000077", "USD"), ("4713", "0000004242", "USD")]
        assert connection.execute(select(schedule_lines.c.due_date).distinct()).scalars().all() == [date(2026, 5, 2)]
        assert dict(connection.execute(select(confirmations.c.po_id, confirmations.c.confirmed_on)).all()) == {
            number: date.fromisoformat(acknowledged) for number, _, _, acknowledged in ORDERS}
        assert read_cursor(connection, "sap.purchase_orders") == now
    engine.dispose()
