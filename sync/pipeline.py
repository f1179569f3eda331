"""One sync run: pull the streams, each page stored with its cursor."""
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine

from config import Settings
from config.masking import secret_values
from connectors.cancel import Cancel
from connectors.salesforce import SalesforceConnector
from connectors.sap import SapConnector
from connectors.sap_bapi import SapBapiConnector
from store.db import refresh_statistics_after
from store.records import store_accounts, store_goods_movements, store_purchase_orders
from store.sync_state import abandon_dead_runs
from sync.streams import PageHook, Stream, StreamResult, pull

log = logging.getLogger("srm_bridge.sync")
ORDER_TABLES = ("purchase_orders", "po_items", "schedule_lines", "confirmations")
#: a pull that stored this many records or more (a first load, a long catch-up) refreshes its tables' statistics
ANALYZE_AFTER_RECORDS = 20_000


def sap_streams(connector: SapConnector | SapBapiConnector, settings: Settings) -> list[Stream]:
    """The bapi profile's orders resume an interrupted pull without reading its finished orders again."""
    sap = settings.sap
    window = (timedelta(minutes=sap.overlap_minutes), timedelta(seconds=sap.settle_seconds), sap.stream_timeout_s)
    suppliers, secrets = re.compile(settings.suppliers.id_pattern), secret_values(settings)
    return [
        Stream("sap.purchase_orders", connector.purchase_orders, store_purchase_orders, *window, suppliers, secrets,
               resumes=isinstance(connector, SapBapiConnector), tables=ORDER_TABLES),
        Stream("sap.goods_movements", connector.goods_movements, store_goods_movements, *window, suppliers, secrets,
               tables=("goods_movements",)),
    ]


def salesforce_streams(connector: SalesforceConnector, settings: Settings) -> list[Stream]:
    return [Stream("salesforce.accounts", connector.accounts, store_accounts,
                   timedelta(minutes=settings.salesforce.overlap_minutes),
                   timedelta(seconds=settings.salesforce.settle_seconds), settings.salesforce.stream_timeout_s,
                   re.compile(settings.suppliers.id_pattern), secret_values(settings), tables=("supplier_accounts",))]


@dataclass
class SyncReport:
    run_id: str
    streams: list[StreamResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.outcome == "succeeded" for result in self.streams)


def run_sync(engine: Engine, streams: list[Stream], now: datetime, full: bool = False,
             since: datetime | None = None, cancel: Cancel | None = None, run_id: str | None = None,
             on_page: PageHook | None = None) -> SyncReport:
    """Pull every stream; one failing stream is recorded and the others still run. Once `cancel` is
    stopped, the streams not yet started are left for the next run."""
    report = SyncReport(run_id=run_id or str(uuid.uuid4()))
    with engine.begin() as connection:
        if abandoned := abandon_dead_runs(connection, datetime.now(timezone.utc)):
            log.warning("runs whose process died recorded as abandoned", extra={"runs": abandoned})
    for stream in streams:
        if cancel is not None and cancel.stop.is_set():
            log.warning("stopping: streams left for the next run", extra={"streams": [s.name for s in streams[
                len(report.streams):]]})
            break
        report.streams.append(pull(engine, stream, report.run_id, now, full=full, since=since, cancel=cancel,
                                   on_page=on_page))
    large = [(stream, result.stored) for stream, result in zip(streams, report.streams)
             if result.stored >= ANALYZE_AFTER_RECORDS]
    if large:
        _refresh_statistics(engine, large)
    return report


def _refresh_statistics(engine: Engine, large: list[tuple[Stream, int]]) -> None:
    """Once every stream is pulled, so that a first load's later streams store with the plans the earlier ones
    had."""
    refresh_statistics_after(engine, [table for stream, _ in large for table in stream.tables], log, "a large pull",
                             streams=sorted(stream.name for stream, _ in large),
                             stored={stream.name: count for stream, count in large})
