"""Reach each system the configuration names, once each, and say what answered (`config check --connect`).

Nothing is migrated, published or stored; each system gets one attempt, without the retry policy of a sync.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from config import Settings
from config.masking import mask_url


@dataclass(frozen=True)
class Reached:
    system: str
    ok: bool
    detail: str


def health_problems(last_cycle: list[dict], outbox: dict, stuck_after_s: float) -> list[str]:
    """What `status` fails on: a stream of the last sync cycle failed, or an event waits longer than allowed."""
    problems = [f"{row['stream']} {row['outcome']} in the last cycle: {row['error']}" for row in last_cycle
                if row["outcome"] in ("failed", "abandoned")]
    age = outbox.get("oldest_pending_age_s")
    if age is not None and age > stuck_after_s:
        problems.append(f"the oldest outbox event has waited {age:.0f} s, over scheduler.stuck_after_s="
                        f"{stuck_after_s:g}")
    return problems


def reach_all(settings: Settings) -> Iterator[Reached]:
    """The database, the broker, then the sources the scheduler pulls (`scheduler.sources`), in turn."""
    yield _attempt("database", lambda: reach_database(settings))
    yield _attempt("broker", lambda: reach_broker(settings))
    if "sap" in settings.scheduler.sources:
        yield from reach_sap(settings)
    if "salesforce" in settings.scheduler.sources:
        yield _attempt("salesforce", lambda: reach_salesforce(settings))


def _attempt(system: str, reach: Callable[[], str]) -> Reached:
    try:
        return Reached(system, True, mask_url(reach()))
    except Exception as exc:  # noqa: BLE001 - a check reports every failure as its line, whatever raised it
        return Reached(system, False, mask_url(_reason(exc)))


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def reach_database(settings: Settings) -> str:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from store.db import alembic_config, create_engine_for
    url = settings.database.url
    database = url.partition(":///")[2].partition("?")[0] if url.startswith("sqlite") else ""
    if database and not Path(database).exists():
        return f"{url}: no database file yet; the first command creates it"
    engine = create_engine_for(url, settings.database)
    try:
        with engine.connect() as connection:
            server = connection.execute(text(
                "SELECT sqlite_version()" if engine.dialect.name == "sqlite" else "SHOW server_version")).scalar()
            current = MigrationContext.configure(connection).get_current_revision()
        latest = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    finally:
        engine.dispose()
    if current == latest:
        schema = f"schema up to date ({latest})"
    else:
        behind = f"schema at {current}" if current else "no schema yet"
        schema = f"{behind}; `srm-bridge db upgrade` or the first command migrates it to {latest}"
    return f"{url}: {engine.dialect.name} {server}, {schema}"


def reach_broker(settings: Settings) -> str:
    from sync.publisher import broker_connection, connect
    broker = settings.broker
    with broker_connection(broker) as connection:
        connect(connection, broker)
        if broker.url.startswith("filesystem"):
            return f"{broker.url}: folder {Path(broker.folder).resolve()}"
        server = getattr(connection.connection, "server_properties", {}) or {}
        return f"{broker.url}: {server.get('product', 'broker')} {server.get('version', '')}".rstrip()


def reach_sap(settings: Settings) -> Iterator[Reached]:
    from connectors.sap import sap_connector
    connector = sap_connector(settings.sap.model_copy(update={"max_attempts": 1}))
    try:
        for service, address, error in connector.reach():
            yield Reached(f"sap.{service}", error is None,
                          mask_url(f"{address}: {error}" if error else f"{address}: WSDL loaded, operation found"))
    except Exception as exc:  # noqa: BLE001 - reported as the line of the SAP services
        yield Reached("sap", False, mask_url(_reason(exc)))


def reach_salesforce(settings: Settings) -> str:
    from connectors.salesforce import SalesforceClient
    salesforce = settings.salesforce
    SalesforceClient(salesforce.model_copy(update={"max_attempts": 1})).login()
    return f"{salesforce.login_url}: token granted ({salesforce.auth})"
