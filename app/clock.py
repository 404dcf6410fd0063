"""The one source of "now".

Every component asks a ``Clock`` for the time, and SQL that must agree with Python receives
that instant as a bound parameter, so tests move time instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments that exist; None when none does."""
    return min((moment for moment in moments if moment is not None), default=None)


def window_start(today: date, window: int) -> date:
    """The first day inside an N-day window ending today: windows are whole UTC days."""
    return today - timedelta(days=window - 1)
