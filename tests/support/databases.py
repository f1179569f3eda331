"""Scratch databases for tests: a SQLite file, or a schema of its own on the shared PostgreSQL server."""
import os
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine, text

from config.settings import DatabaseSettings
from store.db import create_engine_for, upgrade

POSTGRES_VAR, AMQP_VAR = "SRM_BRIDGE_TEST_POSTGRES_URL", "SRM_BRIDGE_TEST_AMQP_URL"


def service_url(var: str) -> str:
    url = os.environ.get(var)
    if not url:
        if os.environ.get("SRM_BRIDGE_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{var} must be set when SRM_BRIDGE_TEST_REQUIRE_SERVICES=1")
        pytest.skip(f"set {var} to run this test against a real server")
    return url


def in_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def scratch_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema of its own (dropped afterwards)."""
    url = service_url(POSTGRES_VAR)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield in_schema(url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def scratch_engine(kind: str, folder: Path, settings: DatabaseSettings | None = None) -> Iterator[Engine]:
    """A migrated, empty database of `kind` ("sqlite" or "postgres"), dropped afterwards."""
    with nullcontext(f"sqlite:///{folder / f'srm-{uuid.uuid4().hex[:8]}.db'}") if kind == "sqlite" \
            else scratch_schema() as url:
        engine = create_engine_for(url, settings)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
