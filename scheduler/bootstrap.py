"""Build everything a command needs from one `Settings` object: engine, connectors, streams."""
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from config import Settings, load_settings
from connectors.salesforce import SalesforceClient, SalesforceConnector
from connectors.sap import SapConnector
from scheduler.exits import database_unreachable
from store.db import create_engine_for, upgrade
from sync.pipeline import salesforce_streams, sap_streams
from sync.streams import Stream


@dataclass
class App:
    settings: Settings
    engine: Engine

    def today(self) -> date:
        """Calendar date in the plant's time zone: the default `as_of`."""
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    def streams(self, sources: list[str]) -> list[Stream]:
        streams: list[Stream] = []
        if "sap" in sources:
            streams += sap_streams(SapConnector(self.settings.sap), self.settings)
        if "salesforce" in sources:
            streams += salesforce_streams(SalesforceConnector(SalesforceClient(self.settings.salesforce)), self.settings)
        return streams


def open_app(config_file: Path | None = None, settings: Settings | None = None, migrate: bool = True) -> App:
    """The application on a reachable database (`Unreachable` otherwise), migrated to the latest schema."""
    settings = settings or load_settings(config_file)
    engine = create_engine_for(settings.database.url)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise database_unreachable(settings.database.url, exc) from exc
    if migrate:
        upgrade(engine)
    return App(settings=settings, engine=engine)
