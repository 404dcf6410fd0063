"""Which database errors are transient: the work was undone and may simply run again later."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError

from app.db.engine import RETRYABLE_SQLSTATES

LOCK_NOT_AVAILABLE = "55P03"
"""A lock not granted within ``lock_timeout``."""

TRANSIENT_SQLSTATES = RETRYABLE_SQLSTATES | {LOCK_NOT_AVAILABLE}
"""Deadlock, serialization failure, and a lock not granted in time."""

QUERY_CANCELED = "57014"
"""A statement ran past ``statement_timeout`` (or was cancelled: its client went away)."""

IDLE_IN_TRANSACTION_TIMEOUT = "25P03"
"""PostgreSQL ended a session whose transaction stayed idle past
``idle_in_transaction_session_timeout``."""

_LOST_CONNECTION = (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, OSError)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps: SQLAlchemy's ``orig``, then the chain of causes."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE PostgreSQL answered with, wherever it is in the chain."""
    for cause in _causes(error):
        code = getattr(cause, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(error: BaseException) -> bool:
    """A deadlock, a serialization failure, a lock timeout or a lost connection."""
    for cause in _causes(error):
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _LOST_CONNECTION):
            return True
        if getattr(cause, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return True
    return False
