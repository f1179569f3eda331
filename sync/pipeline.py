"""One sync run: pull the streams, each page stored with its cursor."""
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from config import Settings
from connectors.salesforce import SalesforceConnector
from connectors.sap import SapConnector
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from sync.streams import Stream, StreamResult, pull

log = logging.getLogger("srm_bridge.sync")


def sap_streams(connector: SapConnector, settings: Settings) -> list[Stream]:
    overlap, settle = timedelta(minutes=settings.sap.overlap_minutes), timedelta(seconds=settings.sap.settle_seconds)
    return [
        Stream("sap.purchase_orders", connector.purchase_orders, store_purchase_orders, overlap, settle),
        Stream("sap.goods_movements", connector.goods_movements, store_goods_movements, overlap, settle),
    ]


def salesforce_streams(connector: SalesforceConnector, settings: Settings) -> list[Stream]:
    return [Stream("salesforce.accounts", connector.accounts, store_accounts,
                   timedelta(minutes=settings.salesforce.overlap_minutes),
                   timedelta(seconds=settings.salesforce.settle_seconds))]


@dataclass
class SyncReport:
    run_id: str
    streams: list[StreamResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.outcome == "succeeded" for result in self.streams)


def run_sync(engine: Engine, streams: list[Stream], now: datetime, full: bool = False,
             since: datetime | None = None) -> SyncReport:
    """Pull every stream; one failing stream is recorded and the others still run."""
    report = SyncReport(run_id=str(uuid.uuid4()))
    for stream in streams:
        report.streams.append(pull(engine, stream, report.run_id, now, full=full, since=since))
    return report
