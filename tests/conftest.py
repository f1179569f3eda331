"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and broker URLs.

PostgreSQL and RabbitMQ tests skip with a message naming the variable to set, unless
SRM_BRIDGE_TEST_REQUIRE_SERVICES=1 (CI), where a missing service is a failure.
"""
import pytest

from tests.support.databases import AMQP_VAR, scratch_engine, scratch_schema, service_url


@pytest.fixture
def sqlite_engine(tmp_path):
    with scratch_engine("sqlite", tmp_path) as engine:
        yield engine


@pytest.fixture
def postgres_schema_url():
    """A PostgreSQL URL whose search_path is a fresh, empty schema of its own (dropped afterwards)."""
    with scratch_schema() as url:
        yield url


@pytest.fixture
def postgres_engine(tmp_path):
    with scratch_engine("postgres", tmp_path) as engine:
        yield engine


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
