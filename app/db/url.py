"""Turning the URLs people write into the URLs SQLAlchemy and asyncpg want."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def async_url(url: str) -> URL:
    """``postgresql://...`` (any driver suffix) → ``postgresql+asyncpg://...``."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"Tierline needs PostgreSQL, not {parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql+asyncpg")


def with_database(url: str, database: str) -> str:
    return async_url(url).set(database=database).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The URL as ``asyncpg.connect`` takes it, for a connection of its own (LISTEN, COPY)."""
    return async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
