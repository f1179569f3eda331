"""SAP connector: purchase orders and goods movements changed in a window, page by page.

The services follow SAP's Enterprise Services query pattern (`sap_es`), each at its own endpoint
with its own WSDL (`sap_transport`); answers are read as streams (`sap_xml`) and mapped to domain
records through the configured paths (`sap_records`), so a page never becomes a tree of zeep
objects and memory stays bounded by one page.

Resume depends on the order SAP pages in. When the service can be asked for change-time order
(`request.order_indicator`), each page says so and carries the largest change time it holds, and
the order is verified object by object; otherwise, or from the first object out of order, pages
are marked unordered and `sync/streams.py` moves the cursor only when the whole window is read.
"""
import logging
from datetime import datetime
from typing import Callable, Iterator

from config.settings import SapSettings
from connectors.cancel import Cancel
from connectors.errors import ConnectorError
from connectors.kept import Kept
from connectors.sap_bapi import SapBapiConnector
from connectors.sap_dates import LocalDates
from connectors.sap_es import EsQuery
from connectors.sap_records import GoodsMovementReader, PurchaseOrderReader
from connectors.sap_transport import SapTransport, SoapService, with_client
from domain.records import GoodsMovement, Page, PurchaseOrder, Rejected

log = logging.getLogger("srm_bridge.connectors.sap")


class ChangeOrder:
    """Whether a pull's records have come in ascending change time; once out of order, for the rest of the pull."""

    def __init__(self, expected: bool, operation: str) -> None:
        self.holds, self.operation = expected, operation
        self.latest: datetime | None = None

    def check(self, records: list) -> bool:
        for record in records:
            if self.latest is not None and record.changed_at < self.latest and self.holds:
                self.holds = False
                log.info("SAP answered out of change-time order; the cursor moves when the window is complete",
                         extra={"operation": self.operation, "changed_at": str(record.changed_at),
                                "after": str(self.latest)})
            if self.latest is None or record.changed_at > self.latest:
                self.latest = record.changed_at
        return self.holds


class SapConnector:
    """Pull purchase orders and goods movements changed in `[since, until)`, page by page."""

    SERVICES = {"purchase_orders": "purchase orders", "goods_movements": "goods movements"}

    def __init__(self, settings: SapSettings, cancel: Cancel | None = None, plant_timezone: str = "UTC",
                 kept: Kept | None = None) -> None:
        """`kept`: the process's parsed WSDLs, read from and added to (`connectors.kept`)."""
        self.settings, self.cancel, self.kept = settings, cancel, kept
        self._transport: SapTransport | None = None
        self._queries: dict[str, EsQuery] = {}
        dates = LocalDates(settings.time_zones, plant_timezone)
        limit = (settings.units, settings.max_field_chars)
        self.read_order = PurchaseOrderReader(settings.purchase_orders, *limit, dates)
        self.read_document = GoodsMovementReader(settings.goods_movements, *limit)

    def query(self, stream: str) -> EsQuery:
        """Built on first use, so an unreachable SAP fails the run that needs it, not start-up."""
        if stream not in self._queries:
            if self._transport is None:
                self._transport = SapTransport(self.settings, self.cancel)
            mapping, setting = getattr(self.settings, stream), f"sap.{stream}"
            service = SoapService(self._transport, self.SERVICES[stream], mapping.url or self.settings.url,
                                  str(mapping.wsdl) if mapping.wsdl else None, setting, self.kept)
            self._queries[stream] = EsQuery(service, mapping, self.settings.page_size, setting)
        return self._queries[stream]

    def reach(self) -> Iterator[tuple[str, str, ConnectorError | None]]:
        """Each query service in turn (`config check --connect`): its WSDL's address, and why it failed to load
        or lacks the configured operation and request elements (None when it is fine)."""
        for stream in self.SERVICES:
            mapping = getattr(self.settings, stream)
            url = mapping.url or self.settings.url
            address = str(mapping.wsdl) if mapping.wsdl else with_client(f"{url}?wsdl", self.settings.client) \
                if url else f"sap.{stream}.url"
            try:
                self.query(stream)
            except ConnectorError as exc:
                yield stream, address, exc
            else:
                yield stream, address, None

    def _pages(self, stream: str, extract: Callable, flatten: bool, since: datetime,
               until: datetime) -> Iterator[Page]:
        query = self.query(stream)
        order = ChangeOrder(query.asks_for_order, query.operation)
        for response in query.pages(since, until, extract):
            objects = [line for lines in response.objects for line in lines] if flatten else response.objects
            page: Page = Page(records=[])
            for record in objects:
                (page.rejected if isinstance(record, Rejected) else page.records).append(record)
            page.cursor = max((r.changed_at for r in page.records), default=None)
            page.ordered = order.check(page.records)
            yield page

    def purchase_orders(self, since: datetime, until: datetime) -> Iterator[Page[PurchaseOrder]]:
        return self._pages("purchase_orders", self.read_order, False, since, until)

    def goods_movements(self, since: datetime, until: datetime) -> Iterator[Page[GoodsMovement]]:
        return self._pages("goods_movements", self.read_document, True, since, until)


def sap_connector(settings: SapSettings, cancel: Cancel | None = None, plant_timezone: str = "UTC",
                  kept: Kept | None = None) -> SapConnector | SapBapiConnector:
    """The connector of the configured profile (`sap.profile`)."""
    profile = SapBapiConnector if settings.profile == "bapi" else SapConnector
    return profile(settings, cancel, plant_timezone, kept)
