"""Schemathesis over every operation of the API document (issue 27): the document's examples,
boundary cases (the coverage phase) and 25 generated requests per operation, valid and invalid,
with an admin + instance key; every answer is checked against the document: no 5xx, a
documented status code, a documented content type, a body that fits its schema. Derandomized,
so a run repeats the last one; about two minutes on two busy cores.

Nothing leaves the process: the app runs without background workers (no webhook is ever
delivered), and its resolver of webhook hosts refuses every name, so a generated URL is never
looked up; the system resolver itself refuses any name but the test database's for the test's
duration, and the test fails if anything asked it.

The app runs on Schemathesis's own event loop (its ASGI transport starts the lifespan there,
and ends it when the test ends), so it is built here from the ``settings`` and ``clock``
fixtures rather than taken from the ``app`` fixture, whose engines belong to pytest's loop."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import settings as hypothesis_settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from sqlalchemy.engine import make_url

from app.auth import service as auth_service
from app.clock import FrozenClock
from app.db.engine import create_engine
from app.main import create_app
from app.settings import Settings
from tests.conftest import bearer

FUZZ_KEY = "tl_fuzz_" + "0123456789" * 3
"""The bootstrap key (``admin`` + ``instance``): every route is reachable with it."""

EXAMPLES_PER_OPERATION = 25

CONDITION_BODIES = [
    "put_scheme",
    "preview_scheme",
    "put_segment",
    "search_customers",
    "count_customers",
    "export_customers",
]
"""Operations whose body is the condition language: its recursive schema makes Schemathesis's
coverage phase (boundary values of every part, unbounded by ``max_examples``) enumerate
7,000 to 17,000 requests each, minutes apiece. Their generated examples still cover them."""

CONFIG = SchemathesisConfig.from_dict(
    {
        # The key goes on every request (``bearer``): a generated Authorization header would
        # only spend a third of the examples on 401s.
        "generation": {"with-security-parameters": False},
        "operations": [
            {
                "include-operation-id": CONDITION_BODIES,
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


async def refuse_every_name(host: str, port: int) -> list[str]:
    """The app's lookup of webhook host names: a URL with one is refused as not resolving."""
    raise socket.gaierror(socket.EAI_NONAME, "the fuzz test resolves no host name")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture
def system_lookups(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    """The names anything in the process asks the system resolver for while the test runs,
    but the test database's host: each is refused, and the test fails if there was any. IP
    literals and local sockets need no lookup."""
    asked: list[str] = []
    original = socket.getaddrinfo
    database_host = make_url(database_url).host

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name != database_host and not _is_ip_literal(str(name)):
            asked.append(str(name))
            raise socket.gaierror(socket.EAI_NONAME, "the fuzz test resolves no host name")
        return original(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield asked
    assert asked == [], f"the system resolver was asked for {asked}"


@pytest.fixture
async def fuzz_key(database_url: str, clock: FrozenClock) -> str:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await auth_service.bootstrap(conn, clock.now(), FUZZ_KEY)
    finally:
        await engine.dispose()
    return FUZZ_KEY


@pytest.fixture
def api_schema(
    request: pytest.FixtureRequest,
    settings: Settings,
    clock: FrozenClock,
    fuzz_key: str,
    system_lookups: list[str],
) -> Any:
    assert not settings.background_workers
    # Schemathesis 4.32's lazy schemas name each operation's subtest by rewriting the item's
    # ``_nodeid``, which pytest 9.2 no longer has: give it one to rewrite (and restore).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    app = create_app(settings, clock=clock, lookup_host=refuse_every_name)
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
)
def test_every_operation_answers_as_documented(case: Any, fuzz_key: str) -> None:
    case.call_and_validate(headers=bearer(fuzz_key), checks=CHECKS)
