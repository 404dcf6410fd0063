"""Configuration, read from the environment with the prefix ``TIERLINE_``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

KEY_PATTERN = re.compile(r"^tl_[A-Za-z0-9_-]{29,}$")

BackgroundWork = Literal["jobs", "reviews", "rfm", "clv", "webhooks", "purge"]
BACKGROUND_WORK: tuple[BackgroundWork, ...] = get_args(BackgroundWork)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIERLINE_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL under DATA_DIR is started.",
    )
    data_dir: Path = Field(default=Path(".tierline"), description="Where local state lives.")
    require_citus: bool = Field(
        default=False,
        description="Migrations fail unless the database has the Citus extension. With it, "
        "they distribute the tables by workspace whether this is set or not.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet keys, comma-separated, that encrypt the stored webhook signing "
        "secrets: the first encrypts, all decrypt. Required with DATABASE_URL; unset, the "
        "embedded mode keeps one in DATA_DIR/secret.key.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    bootstrap_key: str | None = Field(
        default=None,
        description="When set, an admin+instance key with exactly this value exists after start.",
    )
    log_level: str = "INFO"
    db_pool_size: int = 10
    db_query_pool_size: int = Field(
        default=5,
        ge=1,
        description="Connections per process for customer counts and searches, besides "
        "DB_POOL_SIZE: their sessions plan each statement for its values.",
    )
    event_flush_max: int = Field(
        default=256,
        ge=1,
        description="Most single events (POST /v1/events) of one workspace that share a "
        "transaction (a flush).",
    )
    event_flush_wait_ms: float = Field(
        default=2.0,
        ge=0,
        description="Longest a flush waits for company when recent flushes held more events "
        "than it has; 0 turns batching off (each event its own transaction).",
    )
    event_flush_concurrency: int = Field(
        default=2,
        ge=1,
        description="Flushes of one workspace in progress at once per process: while one "
        "waits for PostgreSQL, the next is prepared.",
    )
    # Bounds on the database work of one request, query, export, job or import (seconds;
    # 0 turns a bound off). README, "Limits".
    request_statement_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Longest one SQL statement of a request may run (events, reads, writes).",
    )
    request_lock_timeout: float = Field(
        default=10.0, ge=0, description="Longest a request's statement waits for a lock."
    )
    request_idle_in_transaction_timeout: float = Field(
        default=30.0,
        ge=0,
        description="A request's transaction left idle this long is ended by PostgreSQL.",
    )
    query_statement_timeout: float = Field(
        default=10.0,
        ge=0,
        description="Longest a customer count or search (POST /v1/customers/count, "
        "/search) may run; past it the request gets a 503 query-timeout.",
    )
    db_export_pool_size: int = Field(
        default=4,
        ge=1,
        description="Connections per process for exports, apart from every other pool.",
    )
    export_statement_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Longest an export may take to produce its next few hundred rows.",
    )
    export_stall_timeout: float = Field(
        default=30.0,
        gt=0,
        description="An export whose client reads nothing for this long is ended, and its "
        "connection freed.",
    )
    export_max_seconds: float = Field(
        default=3600.0, gt=0, description="Longest an export may stream in all."
    )
    db_worker_pool_size: int = Field(
        default=10,
        ge=1,
        description="Connections per process for background work (jobs, reviews, webhook "
        "deliveries), apart from the requests' pools.",
    )
    job_statement_timeout: float = Field(
        default=900.0,
        ge=0,
        description="Longest one statement of background work (a job chunk, the CLV fit, "
        "a review pass, a delivery) may run.",
    )
    job_lock_timeout: float = Field(
        default=60.0, ge=0, description="Longest a background statement waits for a lock."
    )
    job_idle_in_transaction_timeout: float = Field(
        default=600.0,
        ge=0,
        description="A background transaction left idle this long is ended by PostgreSQL.",
    )
    import_statement_timeout: float = Field(
        default=3600.0,
        ge=0,
        description="Longest one statement of `tierline import` may run.",
    )
    background_workers: bool = Field(
        default=True,
        description="Run background jobs (metric backfills, reclassification), the review "
        "scheduler and the webhook delivery worker inside the server process.",
    )
    background_work: Annotated[list[BackgroundWork], NoDecode] = Field(
        default=list(BACKGROUND_WORK),
        min_length=1,
        description="Which background work a process runs (the server with "
        "`BACKGROUND_WORKERS`, or `tierline worker`), comma-separated: `jobs`, `reviews`, "
        "`rfm`, `clv`, `webhooks`, `purge`. All by default; e.g. `webhooks` for a process "
        "that only delivers, so that large jobs and deliveries do not share one.",
    )
    # Deleted workspaces (issue 22).
    deleted_workspace_retention_days: float = Field(
        default=30,
        ge=0,
        description="Days a deleted workspace's data is kept (for an operator to undo a "
        "mistake by restoring a backup) before the background purge removes it for good.",
    )
    max_body_bytes: int = 1024 * 1024
    max_batch_body_bytes: int = 10 * 1024 * 1024
    # Each workspace's share of a process (issue 22; app.api.limits).
    workspace_max_requests: int = Field(
        default=64,
        ge=1,
        description="Requests of one workspace in flight at once per process; beyond, 429.",
    )
    workspace_max_connections: int | None = Field(
        default=None,
        ge=1,
        description="Connections of the main pool one workspace may hold at once per process "
        "(unset: half of DB_POOL_SIZE, at least 1); beyond, a request waits for its turn.",
    )
    workspace_wait_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Longest a request waits for its workspace's turn at a connection pool "
        "before a 503.",
    )
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Seconds to wait before each delivery attempt, comma-separated, starting "
        "with 0 (the first attempt is made at once); after the last attempt the delivery is "
        "marked failed. Each wait gets up to 10% jitter.",
    )
    webhook_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default=[],
        description="CIDR blocks, comma-separated, that webhook URLs may reach although they "
        "are not publicly routable (loopback, private, link-local, multicast, reserved, or "
        "IPv6 outside 2000::/3). An IPv6 address carrying an IPv4 one (NAT64, 6to4, Teredo, "
        "IPv4-mapped) is judged as that IPv4 address. Empty by default.",
    )
    webhook_connect_timeout: float = 5.0
    webhook_read_timeout: float = 15.0
    webhook_endpoint_concurrency: int = Field(
        default=4, ge=1, description="Deliveries in flight to one endpoint, across all workers."
    )
    webhook_workspace_concurrency: int = Field(
        default=16,
        ge=1,
        description="Deliveries in flight for one workspace, across all workers and its "
        "endpoints: below a worker's concurrency, so that one workspace's backlog leaves "
        "room for the others' webhooks.",
    )
    webhook_worker_concurrency: int = Field(
        default=32, ge=1, description="Deliveries in flight in one worker process."
    )
    webhook_lease_seconds: float = Field(
        default=60.0,
        description="How long a worker's claim on a delivery lasts; a worker that dies leaves "
        "its claims to others after this.",
    )
    webhook_client_cache_size: int = Field(
        default=64,
        ge=1,
        description="HTTP clients a process keeps for webhook hosts, one per host name; the "
        "least recently used is closed when another host needs one.",
    )

    @field_validator("bootstrap_key")
    @classmethod
    def _bootstrap_key_looks_like_a_key(cls, value: str | None) -> str | None:
        if value is not None and not KEY_PATTERN.match(value):
            raise ValueError(
                "TIERLINE_BOOTSTRAP_KEY must look like a Tierline key: 'tl_' followed by at "
                "least 29 letters, digits, '-' or '_' (32 characters or more in all)"
            )
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _seconds_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _non_empty_schedule(cls, value: list[float]) -> list[float]:
        if not value or value[0] != 0 or any(seconds < 0 for seconds in value):
            raise ValueError(
                "TIERLINE_WEBHOOK_RETRY_SCHEDULE must list non-negative seconds starting with "
                "0: a message's first attempt is made at once"
            )
        return value

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Settings:
        # An attempt may take a DNS lookup and a connection (connect timeout each), the
        # response headers and the excerpt (read timeout each); a lease that ran out first
        # would let a second worker send the same delivery while the first is still at it.
        longest = 2 * (self.webhook_connect_timeout + self.webhook_read_timeout)
        if self.webhook_lease_seconds <= longest:
            raise ValueError(
                f"TIERLINE_WEBHOOK_LEASE_SECONDS must exceed {longest:g} s, the longest a "
                "delivery attempt may take with the configured timeouts"
            )
        return self

    @field_validator("webhook_allowed_networks", "background_work", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("TIERLINE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level
