"""SAP through BAPIs published as web services (`sap.profile: bapi`): the same streams as the ES profile.

Each function module is its own SOAMANAGER service (`sap_bapi_call`), built from its WSDL on first
use so that an unreachable SAP fails the run that needs it, not start-up. Goods movements come
from BAPI_GOODSMVT_GETITEMS in posting-date slices (`sap_bapi_movements`); purchase orders from a
list call and one detail call per order (`sap_bapi_orders`).
"""
from datetime import datetime
from typing import Iterator

from config.settings import SapSettings
from connectors.cancel import Cancel
from connectors.errors import ConnectorError
from connectors.kept import Kept
from connectors.sap_bapi_call import FunctionCall
from connectors.sap_bapi_movements import GoodsMovementSlices
from connectors.sap_bapi_orders import PurchaseOrderDetails
from connectors.sap_dates import LocalDates
from connectors.sap_transport import SapTransport, with_client
from domain.records import GoodsMovement, Page, PurchaseOrder

SERVICES = ("goods_movements", "purchase_order_list", "purchase_order_detail")


class SapBapiConnector:
    """Pull purchase orders and goods movements of `[since, until)` from SAP's function modules."""

    def __init__(self, settings: SapSettings, cancel: Cancel | None = None, plant_timezone: str = "UTC",
                 kept: Kept | None = None) -> None:
        """`kept`: the process's parsed WSDLs, read from and added to (`connectors.kept`)."""
        self.settings, self.cancel, self.kept = settings, cancel, kept
        self.dates = LocalDates(settings.time_zones, plant_timezone)
        self.system_zone = self.dates.zone(settings.bapi.system_time_zone)
        self._transport: SapTransport | None = None
        self._calls: dict[str, FunctionCall] = {}
        self._movements: GoodsMovementSlices | None = None
        self._orders: PurchaseOrderDetails | None = None

    def function(self, service: str) -> FunctionCall:
        if service not in self._calls:
            if self._transport is None:
                self._transport = SapTransport(self.settings, self.cancel)
            self._calls[service] = FunctionCall(self._transport, getattr(self.settings.bapi, service),
                                                self.settings.bapi.naming, f"sap.bapi.{service}", self.kept)
        return self._calls[service]

    def movements(self) -> GoodsMovementSlices:
        if self._movements is None:
            self._movements = GoodsMovementSlices(self.function("goods_movements"), self.settings.bapi.goods_movements,
                                                  self.system_zone, frozenset(self.settings.units))
        return self._movements

    def orders(self) -> PurchaseOrderDetails:
        if self._orders is None:
            self._orders = PurchaseOrderDetails(self.function("purchase_order_list"),
                                                self.function("purchase_order_detail"), self.settings, self.dates)
        return self._orders

    def reach(self) -> Iterator[tuple[str, str, ConnectorError | None]]:
        """Each function module's service in turn (`config check --connect`): its WSDL's address, and why it
        failed to load or lacks what the profile sends (None when it is fine)."""
        checks = {"goods_movements": self.movements, "purchase_order_list": self.orders,
                  "purchase_order_detail": self.orders}
        for service in SERVICES:
            configured = getattr(self.settings.bapi, service)
            address = str(configured.wsdl) if configured.wsdl else with_client(f"{configured.url}?wsdl",
                                                                               self.settings.client) \
                if configured.url else f"sap.bapi.{service}.url"
            try:
                self.function(service)
                checks[service]()
            except ConnectorError as exc:
                yield f"bapi.{service}", address, exc
            else:
                yield f"bapi.{service}", address, None

    def goods_movements(self, since: datetime, until: datetime) -> Iterator[Page[GoodsMovement]]:
        return self.movements().pages(since, until)

    def purchase_orders(self, since: datetime, until: datetime, done: frozenset[str] = frozenset()
                        ) -> Iterator[Page[PurchaseOrder]]:
        return self.orders().pages(since, until, done)
