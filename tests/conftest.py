"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and broker URLs.

PostgreSQL and RabbitMQ tests skip with a message naming the variable to set, unless
SRM_BRIDGE_TEST_REQUIRE_SERVICES=1 (CI), where a missing service is a failure.
"""
import os
import uuid

import pytest
from sqlalchemy import text

from store.db import create_engine_for, upgrade

POSTGRES_VAR, AMQP_VAR = "SRM_BRIDGE_TEST_POSTGRES_URL", "SRM_BRIDGE_TEST_AMQP_URL"


def service_url(var: str) -> str:
    url = os.environ.get(var)
    if not url:
        if os.environ.get("SRM_BRIDGE_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{var} must be set when SRM_BRIDGE_TEST_REQUIRE_SERVICES=1")
        pytest.skip(f"set {var} to run this test against a real server")
    return url


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'srm.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_schema_url():
    """A PostgreSQL URL whose search_path is a fresh, empty schema of its own (dropped afterwards)."""
    url = service_url(POSTGRES_VAR)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine_for(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def postgres_engine(postgres_schema_url):
    engine = create_engine_for(postgres_schema_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def amqp_url():
    return service_url(AMQP_VAR)


@pytest.fixture
def salesforce_orgs(tmp_path):
    """Salesforce orgs written from Salesforce's guides (tests/support/salesforce_org.py), sharing one CA."""
    from tests.support.salesforce_org import Orgs
    running = Orgs(tmp_path / "salesforce-ca")
    yield running
    running.stop()
