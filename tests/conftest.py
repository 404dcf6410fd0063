"""Test fixtures: a real PostgreSQL, a template database migrated once per run, one fresh clone
per test, and the app driven over HTTP with a clock the test controls."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr

from app.auth import service as auth_service
from app.clock import FrozenClock
from app.db.migrate import upgrade
from app.db.url import with_database
from app.main import create_app
from app.settings import Settings
from app.vault import Vault
from tests.cluster import (
    Server,
    close_to_connections,
    create_database,
    discover,
    drop_database,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# The key that encrypts webhook secrets in every test app and in the processes tests start
# (they inherit the environment, as those of one installation share its key).
TEST_SECRET_KEY = "yOVAYHBqKf5I5HKZtyt8e_Zjbvcy4yw6H8xzxXQvJaM="
os.environ["TIERLINE_SECRET_KEY"] = TEST_SECRET_KEY

hypothesis_settings.register_profile("ci", max_examples=40, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


# What CI runs on a local Citus cluster too (`pytest -m citus`, .ci/run): the write path
# (single, group commit, batch), scheme and segment saves, every background worker (with two
# processes where a test has them), an import past the statistics threshold, CLV, analytics,
# erasure, idempotency keys, and migrations on a distributed database. `make test-citus` runs
# everything there.
CITUS_SUBSET = (
    "tests/db/test_distribution.py",
    "tests/db/test_citus_statements.py",
    "tests/test_walkthrough.py",
    "tests/events/test_ingest.py",
    "tests/events/test_group_commit.py",
    "tests/events/test_batch_waves.py",
    "tests/events/test_concurrency.py",
    "tests/tiers/test_schemes_api.py::test_put_creates_then_versions",
    "tests/tiers/test_schemes_api.py::test_delete_archives",
    "tests/segments/test_segments.py::test_a_segment_is_saved_versioned",
    "tests/segments/test_segments.py::test_a_new_definition_applies_to_everyone",
    "tests/segments/test_segments.py::test_events_and_trait_changes_move",
    "tests/tiers/test_worker_processes.py",
    "tests/webhooks/test_workers.py",
    "tests/jobs/test_fairness.py",
    "tests/jobs/test_supersede.py",
    "tests/rfm/",
    "tests/reclassification/",
    "tests/db/test_statistics.py::test_an_import_keeps_the_statistics_up",
    "tests/db/test_statistics.py::test_a_workspace_is_analysed_again_only_once",
    "tests/clv/test_api.py::test_a_fit_with_a_holdout",
    "tests/clv/test_api.py::test_predictions_are_metrics",
    "tests/clv/test_api.py::test_the_scheduler_rescores",
    "tests/analytics/test_analytics.py::test_distribution_now",
    "tests/analytics/test_analytics.py::test_distribution_as_of",
    "tests/analytics/test_analytics.py::test_transitions_count",
    "tests/analytics/test_analytics.py::test_performance_per_tier",
    "tests/customers/test_customers.py::test_erasure",
    "tests/customers/test_customers.py::test_events_resent_after_erasure",
    "tests/auth/test_purge.py",
    "tests/api/test_idempotency.py::test_a_retry_gets_the_first_answer_again_and_changes_nothing",
    "tests/api/test_idempotency.py::test_the_key_of_a_request_in_flight_is_refused_until_it_ends",
    "tests/api/test_idempotency.py::test_a_key_is_kept_24_hours_then_forgotten_and_purged",
    "tests/api/test_idempotency.py::test_the_records_go_with_their_workspace",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(CITUS_SUBSET):
            item.add_marker(pytest.mark.citus)


def _server_url() -> str:
    configured = os.environ.get("TIERLINE_TEST_DATABASE_URL")
    if configured:
        return configured
    from app.db.embedded import start_embedded

    return start_embedded(ROOT / ".tierline" / "test-pg", database="postgres")


def _asyncpg_dsn(url: str) -> str:
    return with_database(url, _database_of(url)).replace("postgresql+asyncpg", "postgresql", 1)


def _database_of(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or "postgres"


def _schema_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def _admin_connect(server_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(_asyncpg_dsn(server_url))


def sealed(secret: str) -> str:
    """A webhook secret as the service stores it: encrypted with the test key."""
    return Vault(TEST_SECRET_KEY).encrypt(secret)


def unsealed(stored: str) -> str:
    return Vault(TEST_SECRET_KEY).decrypt(stored)


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest.fixture(scope="session")
async def server(server_url: str) -> Server:
    """One PostgreSQL, or a Citus cluster (``tests/cluster.py``)."""
    return await discover(server_url)


@pytest.fixture(scope="session")
async def template_name(server: Server) -> str:
    """A database migrated to head once per schema version, shared by every test run; on
    Citus, distributed, on every node."""
    name = f"tierline_tpl_{_schema_fingerprint()}"
    conn = await _admin_connect(server.url)
    try:
        await conn.execute("SELECT pg_advisory_lock(724001)")
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            building = f"{name}_building"
            await drop_database(server, building)
            await create_database(server, building)
            await asyncio.to_thread(upgrade, with_database(server.url, building))
            await close_to_connections(server, building)
            # The coordinator's last: its template is the sign that every node has one.
            for admin in reversed(await server.admin_connections()):
                try:
                    await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
                    await admin.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true')
                finally:
                    await admin.close()
        stale = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tierline_tpl_%' "
            "AND datname NOT LIKE $1",
            f"{name}%",
        )
        for row in stale:
            await drop_database(server, row["datname"])
        await conn.execute("SELECT pg_advisory_unlock(724001)")
    finally:
        await conn.close()
    return name


@pytest.fixture
async def database_url(server: Server, template_name: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    await create_database(server, name, template=template_name)
    yield with_database(server.url, name)
    await drop_database(server, name)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SecretStr(TEST_SECRET_KEY),
        db_pool_size=10,
        background_workers=False,
    )


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Any]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


@pytest.fixture
async def admin_key(app: Any, clock: FrozenClock) -> str:
    """The default workspace's first key (admin + instance), as `make run` prints it."""
    async with app.state.engine.begin() as conn:
        key = await auth_service.bootstrap(conn, clock.now(), None)
    assert key is not None
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


KeyFactory = Callable[..., Coroutine[Any, Any, str]]


@pytest.fixture
def make_key(client: httpx.AsyncClient, admin_key: str) -> KeyFactory:
    """Creates a key with the given scopes in the default workspace."""

    async def _make(*scopes: str, using: str | None = None) -> str:
        response = await client.post(
            "/v1/api-keys",
            json={"name": "test", "scopes": list(scopes)},
            headers=bearer(using or admin_key),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    return _make
