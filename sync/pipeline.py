"""One pipeline run: pull the streams, score, write changed scorecards and their events."""
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from config import Settings
from connectors.salesforce import SalesforceConnector
from connectors.sap import SapConnector
from domain.scorecards import Scorecard
from mapping.kpis import DeliveryWindow
from mapping.scorecards import build_scorecard, measure, month_periods
from store.records import item_histories, store_accounts, store_goods_movements, store_purchase_orders, supplier_names
from store.scorecards import save_scorecards
from sync.envelope import enqueue
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


def delivery_window(settings: Settings) -> DeliveryWindow:
    d = settings.delivery
    return DeliveryWindow(d.early_days, d.late_days, d.qty_tolerance_pct, d.over_tolerance_pct)


def score(engine: Engine, settings: Settings, as_of: date, now: datetime) -> list[Scorecard]:
    """Recompute monthly scorecards over the configured months; store and enqueue the changed ones."""
    periods = month_periods(as_of, settings.scoring.months)
    first_day = date.fromisoformat(periods[0] + "-01")
    with engine.begin() as connection:
        items = item_histories(connection, first_day, as_of)
        names = supplier_names(connection)
        values = measure(items, periods, as_of, delivery_window(settings))
        cards = [build_scorecard(supplier, period, kpis, as_of, settings.scoring.kpis, settings.scoring.grades,
                                 names.get(supplier))
                 for (supplier, period), kpis in sorted(values.items()) if kpis.present()]
        changed = save_scorecards(connection, cards, now)
        for card in changed:
            enqueue(connection, settings.broker, "scorecard.published.v1", card.supplier_id, card, now)
    log.info("scored", extra={"as_of": as_of.isoformat(), "scorecards": len(cards), "changed": len(changed)})
    return cards
