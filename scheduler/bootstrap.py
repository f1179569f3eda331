"""Build everything a command needs from one `Settings` object: engine, connectors, streams."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from config import Settings, load_settings
from connectors.cancel import Cancel
from connectors.kept import Kept
from connectors.salesforce import SalesforceClient, SalesforceConnector
from connectors.sap import sap_connector
from scheduler.exits import database_unreachable
from scheduler.leader import migrate_under_lock
from store.db import create_engine_for
from sync.pipeline import salesforce_streams, sap_streams
from sync.streams import Stream


@dataclass
class Sources:
    """The connectors and streams of one sync run."""

    streams: list[Stream] = field(default_factory=list)
    salesforce: SalesforceClient | None = None

    def salesforce_api_share(self) -> float | None:
        """Share of the Salesforce API budget used (org or connected app, the tighter), as last reported."""
        return self.salesforce.api_share() if self.salesforce else None


@dataclass
class App:
    settings: Settings
    engine: Engine
    kept: Kept = field(default_factory=Kept)  # parsed WSDLs and the Salesforce session, from one run to the next

    def today(self) -> date:
        """Calendar date in the plant's time zone: the default `as_of`."""
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    def last_complete_day(self, now: datetime | None = None) -> date:
        """The as-of of the service's scoring: yesterday in `scheduler.timezone` (default `timezone`), so a
        month is scored as final from the first cycle after it ends and no running day is judged."""
        zone = ZoneInfo(self.settings.scheduler.timezone or self.settings.timezone)
        return (now or self.now()).astimezone(zone).date() - timedelta(days=1)

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    def sources(self, sources: list[str], cancel: Cancel | None = None) -> Sources:
        """Fresh connectors for one run, on what earlier runs kept; `cancel` ends their waits and retries when
        the run must stop."""
        built = Sources()
        if "sap" in sources:
            connector = sap_connector(self.settings.sap, cancel, self.settings.timezone, self.kept)
            built.streams += sap_streams(connector, self.settings)
        if "salesforce" in sources:
            built.salesforce = SalesforceClient(self.settings.salesforce, cancel, self.kept)
            built.streams += salesforce_streams(SalesforceConnector(built.salesforce), self.settings)
        return built

    def streams(self, sources: list[str], cancel: Cancel | None = None) -> list[Stream]:
        return self.sources(sources, cancel).streams


def open_app(config_file: Path | None = None, settings: Settings | None = None, migrate: bool = True,
             connect: bool = True) -> App:
    """The application on a reachable database (`Unreachable` otherwise), migrated to the latest schema under
    the leader lock. With `connect=False` (`srm-bridge run`) it neither connects nor migrates: the service
    waits for the database itself and migrates once it leads."""
    settings = settings or load_settings(config_file)
    engine = create_engine_for(settings.database.url, settings.database)
    if not connect:
        return App(settings=settings, engine=engine)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise database_unreachable(settings.database.url, exc) from exc
    if migrate:
        migrate_under_lock(engine, settings.scheduler)
    return App(settings=settings, engine=engine)
