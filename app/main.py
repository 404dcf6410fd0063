"""Builds the FastAPI app: routers, middleware, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import AsyncEngine

from app.analytics.router import router as analytics_router
from app.api import idempotency, ops, problems
from app.api.authenticate import AuthenticateFirst
from app.api.body_guard import BodyGuard
from app.api.direct import DirectRoute
from app.api.disconnect import CancelOnDisconnect
from app.api.limits import WorkspaceLimits
from app.api.nul import refuse_nul_in_parameters
from app.api.query import refuse_unknown_query_parameters
from app.api.responses import (
    add_examples,
    keep_null_examples,
    state_scopes,
    use_problem_json,
)
from app.auth import purge as workspace_purge
from app.auth.router import router as auth_router
from app.classification.config import ConfigCache
from app.clock import Clock, SystemClock
from app.clv import service as clv
from app.clv.router import router as clv_router
from app.console.router import router as console_router
from app.customers.router import router as customers_router
from app.db.engine import Timeouts, create_engine, create_query_engine, create_raw_pool
from app.events import flush
from app.events.batcher import EventBatcher
from app.events.router import router as events_router
from app.fx.router import router as fx_router
from app.jobs import runner as job_runner
from app.jobs.router import router as jobs_router
from app.metrics.router import router as metrics_router
from app.observability import Metrics, RequestContext
from app.reclassification import jobs as reclassification_jobs
from app.reclassification import reviews as review_scheduler
from app.rfm import service as rfm
from app.rfm.router import router as rfm_router
from app.segments.router import router as segments_router
from app.settings import BackgroundWork, Settings
from app.tiers.router import router as tiers_router
from app.vault import Vault
from app.webhooks.guard import Lookup
from app.webhooks.router import document_webhooks
from app.webhooks.router import router as webhooks_router
from app.webhooks.worker import DeliveryWorker

VERSION = "0.1.0"

DESCRIPTION = """
Tierline classifies customers from the events your CRM sends: orders, refunds, visits,
support tickets, surveys and your own event types.

**Authentication.** Every `/v1` route takes an API key: `Authorization: Bearer tl_...`.
Keys carry scopes (`events:write`, `customers:read`, `customers:write`, `schemes:write`,
`segments:read`, `segments:write`, `webhooks:manage`, `admin`, `instance`); `admin` implies
every scope of its workspace except `instance`. Each operation names the scope it needs in its
`security` requirement and in a `Scope:` line of its description. Without `customers:read` a key
reads no customer's traits: the event response's `customer` is `null`, and customer search,
count and exports may select, filter and sort by `customer_id`, `metrics` and `tiers` only.

**Errors** are RFC 9457 `application/problem+json` documents with a stable `type`
(`urn:tierline:problem:<slug>`), and for validation errors an `errors` list naming each field.

**Safe retries.** The operations that create something (API keys, workspaces, webhook
endpoints, secret rotations, pings, message replays and recoveries, template installs, model
fits) take an optional `Idempotency-Key` header: a retry with the same key and the same request
within 24 hours gets the first answer again, with `Idempotent-Replayed: true`, and creates
nothing more. Events need none: an event's `event_id` is its key.

**Lists** answer `{"items": [...], "next_cursor": ...}`; pass `next_cursor` back as `cursor`
until it is null. `limit` is 1 to 1000 (default 100).

**Money** is exact decimal and always travels as a string (`"129.90"`).
"""

# POST routes that only read: cancelled when their client goes away, as every GET is.
READ_POSTS = frozenset({"/v1/customers/count", "/v1/customers/search"})

BATCH_PATHS = frozenset({"/v1/events/batch"})
"""The routes whose bodies may reach ``TIERLINE_MAX_BATCH_BODY_BYTES``; others get
``TIERLINE_MAX_BODY_BYTES``."""

# Job handlers register themselves when their module is imported; the reclassification jobs
# are the ones no router imports.
JOB_HANDLER_MODULES = (reclassification_jobs,)


def request_timeouts(settings: Settings) -> Timeouts:
    """The bounds of a request's statements: events, reads and writes (README, "Limits")."""
    return Timeouts(
        statement=settings.request_statement_timeout,
        lock=settings.request_lock_timeout,
        idle_in_transaction=settings.request_idle_in_transaction_timeout,
    )


def query_timeouts(settings: Settings) -> Timeouts:
    """Customer counts and searches: one statement each, the most a caller can make costly."""
    return Timeouts(statement=settings.query_statement_timeout, lock=settings.request_lock_timeout)


EXPORT_STALL_MARGIN_S = 5.0


def export_timeouts(settings: Settings) -> Timeouts:
    """An export is one transaction fetching a few hundred rows at a time: each fetch is
    bounded, and a transaction left idle past the stall timeout (the export ends its own
    first, ``app.segments.export``) is ended by PostgreSQL."""
    return Timeouts(
        statement=settings.export_statement_timeout,
        lock=settings.request_lock_timeout,
        idle_in_transaction=settings.export_stall_timeout + EXPORT_STALL_MARGIN_S,
    )


def job_timeouts(settings: Settings) -> Timeouts:
    """Background work (job chunks, the CLV fit, reviews, deliveries): long, but bounded."""
    return Timeouts(
        statement=settings.job_statement_timeout,
        lock=settings.job_lock_timeout,
        idle_in_transaction=settings.job_idle_in_transaction_timeout,
    )


def create_worker_engine(database_url: str, settings: Settings) -> AsyncEngine:
    """The engine of ``background_loops``: a pool of its own, so that deliveries and jobs
    never take a connection a request is waiting for."""
    return create_engine(database_url, settings.db_worker_pool_size, job_timeouts(settings))


def background_loops(
    engine: AsyncEngine, clock: Clock, settings: Settings, metrics: Metrics, stop: asyncio.Event
) -> list[Coroutine[Any, Any, None]]:
    """What runs beside the API (``TIERLINE_BACKGROUND_WORKERS``) or alone (``tierline
    worker``), of the job runner, the review scheduler, the daily RFM refresh, the CLV refit
    and rescoring scheduler, the webhook delivery worker and the purge of deleted workspaces:
    those ``TIERLINE_BACKGROUND_WORK`` names, until ``stop`` is set. Any number of processes
    may run them at once."""
    loops: dict[BackgroundWork, Callable[[], Coroutine[Any, Any, None]]] = {
        "jobs": lambda: job_runner.work(engine, clock, stop),
        "reviews": lambda: review_scheduler.work(engine, clock, stop),
        "rfm": lambda: rfm.work(engine, clock, stop),
        "clv": lambda: clv.work(engine, clock, stop),
        "webhooks": lambda: DeliveryWorker(
            engine, clock, settings, metrics, job_timeouts(settings)
        ).run(stop),
        "purge": lambda: workspace_purge.work(engine, clock, settings, stop),
    }
    return [loops[work]() for work in dict.fromkeys(settings.background_work)]


TAGS = [
    {"name": "Events", "description": "Send customer events, one by one or in batches."},
    {"name": "Customers", "description": "Profiles, traits, metrics and erasure."},
    {"name": "FX rates", "description": "Conversion rates into the workspace's base currency."},
    {"name": "Metrics", "description": "Your own metrics: aggregations of your event types."},
    {
        "name": "Schemes",
        "description": "Ways of classifying customers: ordered tiers with conditions, "
        "versioned; every customer's tier kept right after each event, as time passes and "
        "after the rules change.",
    },
    {
        "name": "Segments",
        "description": "Who matches a condition: ad-hoc search, counts and exports, and "
        "saved segments whose members are kept up to date and whose entries and exits are "
        "recorded.",
    },
    {
        "name": "Analytics",
        "description": "Whether a classification works: customers per tier now or at a past "
        "moment, moves between tiers over a period, and each tier's revenue, average order "
        "value and retention.",
    },
    {
        "name": "Webhooks",
        "description": "Tell your marketing tools when a customer changes tier or enters or "
        "leaves a segment: signed (Standard Webhooks), retried, replayable deliveries.",
    },
    {
        "name": "Models",
        "description": "The workspace's CLV model (BG/NBD and Gamma-Gamma): fit it, read its "
        "parameters and holdout test. Its predictions are metrics.",
    },
    {"name": "Jobs", "description": "Progress of background work such as metric backfills."},
    {"name": "Workspaces", "description": "Tenants and their settings."},
    {"name": "API keys", "description": "Create, list and revoke keys."},
    {"name": "Operations", "description": "Health, readiness and metrics; no key needed."},
]


def operation_id(route: APIRoute) -> str:
    """The route function's name (``send_event``, ``get_customer``): short, and stable as long
    as the function keeps its name; ``tests/test_openapi.py`` checks they are unique."""
    return route.name


def document_problems_and_scopes(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            built = idempotency.document(build(), app.routes)
            document = add_examples(keep_null_examples(use_problem_json(built), app.routes))
            app.openapi_schema = state_scopes(document, app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings, clock: Clock | None = None, lookup_host: Lookup | None = None
) -> FastAPI:
    """The app; its engine is created in the lifespan from ``settings.database_url``.
    ``lookup_host`` resolves the host names of webhook URLs the API is given (the system
    resolver when ``None``): tests that must send nothing out, not even a DNS query, pass
    one that refuses every name."""
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url; the CLI resolves it")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.vault = Vault.from_setting(settings.secret_key)
        requests = request_timeouts(settings)
        app.state.engine = create_engine(database_url, settings.db_pool_size, requests)
        app.state.raw_pool = await create_raw_pool(
            database_url, settings.db_pool_size, flush.PREPARED, requests
        )
        app.state.batcher = EventBatcher(
            app.state.raw_pool,
            app.state.engine,
            app.state.configs,
            app.state.clock,
            app.state.metrics,
            max_events=settings.event_flush_max,
            wait_ms=settings.event_flush_wait_ms,
            concurrency=settings.event_flush_concurrency,
        )
        app.state.query_engine = create_query_engine(
            database_url, settings.db_query_pool_size, query_timeouts(settings)
        )
        app.state.export_engine = create_engine(
            database_url, settings.db_export_pool_size, export_timeouts(settings)
        )
        worker_engine = create_worker_engine(database_url, settings)
        stop = asyncio.Event()
        workers = []
        if settings.background_workers:
            workers = [
                asyncio.create_task(loop)
                for loop in background_loops(
                    worker_engine, app.state.clock, settings, app.state.metrics, stop
                )
            ]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*workers)
            await app.state.batcher.close()
            await app.state.raw_pool.close()
            await app.state.query_engine.dispose()
            await app.state.export_engine.dispose()
            await worker_engine.dispose()
            await app.state.engine.dispose()

    app = FastAPIOffline(
        title="Tierline",
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        separate_input_output_schemas=False,
        generate_unique_id_function=operation_id,
        dependencies=[
            Depends(refuse_unknown_query_parameters),
            Depends(refuse_nul_in_parameters),
        ],
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.lookup_host = lookup_host
    app.state.configs = ConfigCache()
    app.state.metrics = Metrics()

    document_problems_and_scopes(app)
    problems.install(app)
    idempotency.install(app)
    app.include_router(ops.router)
    app.include_router(events_router)
    app.include_router(customers_router)
    app.include_router(fx_router)
    app.include_router(metrics_router)
    app.include_router(rfm_router)
    app.include_router(tiers_router)
    app.include_router(clv_router)
    app.include_router(segments_router)
    app.include_router(analytics_router)
    app.include_router(webhooks_router)
    document_webhooks(app)
    app.include_router(jobs_router)
    app.include_router(auth_router)
    app.include_router(console_router)

    # Innermost: the hot route past the router, inside the body limits and the request context.
    app.add_middleware(DirectRoute, application=app, method="POST", path="/v1/events")
    app.add_middleware(CancelOnDisconnect, read_posts=READ_POSTS)
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        max_batch_bytes=settings.max_batch_body_bytes,
        batch_paths=BATCH_PATHS,
    )
    # The key before the body (issue 22): outside BodyGuard, which reads it.
    app.state.limits = WorkspaceLimits.for_settings(settings, app.state.metrics.workspace_refusals)
    app.add_middleware(AuthenticateFirst, application=app)
    app.add_middleware(RequestContext, metrics=app.state.metrics)
    return app
