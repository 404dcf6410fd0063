"""Running a hand-written statement around SQL compiled by SQLAlchemy.

The set-based writers (bulk tier and segment classification) are single statements with
several data-modifying CTEs, clearer as SQL text than as Core constructs; their inner SELECT
is compiled from a condition. ``execute_template`` binds both: the compiled SELECT keeps its
``$1..$n`` parameters, and the template's own named values follow them, cast to their types.

This runs for every event (the classification pipeline classifies one customer as it does a
thousand), and building and compiling a scheme's SELECT costs milliseconds, while it changes
only with what the caller puts in its key (a scheme version, the metric definitions, the
day). So ``compiled_select`` keeps the compiled SELECT per key, with the values that change
on every call (the customers' ids) as named parameters bound by ``execute_template``: the
statement text, and so asyncpg's prepared statement, is the same for every call of a key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import LRUCache


@dataclass(frozen=True, slots=True)
class CompiledSelect:
    sql: str
    args: tuple[Any, ...]
    """The values of ``$1..$n``, None where a named parameter is bound late."""
    late: Mapping[str, int]
    """The named parameters bound by ``execute_template``, by their index in ``args``."""

    def bound(self, late: Mapping[str, Any] | None = None) -> list[Any]:
        """The values of ``$1..$n``, the named parameters taken from ``late``."""
        args = list(self.args)
        for name, index in self.late.items():
            args[index] = (late or {})[name]
        return args


# A few per scheme version and segment version in use, per workspace, per day.
_COMPILED: LRUCache[Hashable, CompiledSelect] = LRUCache(2000)


def compiled_select(
    key: Hashable | None, build: Callable[[], sa.Select[*tuple[Any, ...]]], dialect: Dialect
) -> CompiledSelect:
    """The SELECT that ``build`` makes, compiled once per ``key`` (None: not kept). The
    key must hold everything the SELECT depends on but its named ``sa.bindparam``s."""
    if key is not None and (found := _COMPILED.get(key)) is not None:
        return found
    select = build()
    compiled = select.compile(dialect=dialect)
    names = compiled.positiontup or ()
    late = {name: i for i, name in enumerate(names) if compiled.binds[name].required}
    params = compiled.params
    result = CompiledSelect(
        str(compiled), tuple(None if n in late else params[n] for n in names), late
    )
    if key is not None:
        _COMPILED[key] = result
    return result


async def execute_template(
    conn: AsyncConnection,
    template: str,
    compiled_name: str,
    select: CompiledSelect,
    own: dict[str, tuple[Any, str]],
    late: Mapping[str, Any] | None = None,
) -> CursorResult[Any]:
    """Runs ``template`` with ``{compiled_name}`` replaced by ``select`` (its named
    parameters bound to ``late``) and each ``{name}`` of ``own`` (``name: (value, sql
    type)``) by a bound parameter."""
    args = select.bound(late)
    placeholders = {}
    for name, (value, sql_type) in own.items():
        args.append(value)
        placeholders[name] = f"CAST(${len(args)} AS {sql_type})"
    statement = template.format(**{compiled_name: select.sql}, **placeholders)
    return await conn.exec_driver_sql(statement, tuple(args))


@dataclass(frozen=True, slots=True)
class Positional:
    """A statement written with ``:name`` parameters, compiled once to asyncpg's ``$n``, for
    the raw connection: asyncpg prepares it once per connection and keeps it.

    A statement that must share a round trip with ``BEGIN`` or ``COMMIT`` (which only the
    simple protocol allows, and it takes no parameters) is prepared under ``name`` by SQL
    instead (``prepare``), when the connection opens, and run by ``execute``: the plan is
    prepared and cached all the same, and only the arguments travel as literals."""

    sql: str
    names: tuple[str, ...]
    name: str | None = None

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]

    @property
    def prepare(self) -> str:
        assert self.name is not None
        return f"PREPARE {self.name} AS {self.sql}"

    def execute(self, values: Mapping[str, Any]) -> str:
        """``EXECUTE`` of the statement ``prepare`` made, with ``values`` as literals."""
        assert self.name is not None
        return f"EXECUTE {self.name}({', '.join(literal(values[n]) for n in self.names)})"


def literal(value: Any) -> str:
    """A value as an SQL literal of unknown type (which the prepared statement's parameter
    types then read), for the raw pool's connections only: they run with
    ``standard_conforming_strings`` on (``app.db.engine``), so a quote doubled is the one
    character that needs escaping."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return _quoted("\\x" + value.hex())
    if isinstance(value, list):
        return _quoted("{" + ",".join(_array_element(item) for item in value) + "}")
    if isinstance(value, datetime | date):
        return _quoted(value.isoformat())
    if isinstance(value, str | int | Decimal | UUID) and not isinstance(value, bool):
        return _quoted(str(value))
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def _quoted(text: str) -> str:
    if "\0" in text:
        raise ValueError("PostgreSQL text cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def _array_element(item: Any) -> str:
    """An element of an array's text form: quoted, with its quotes and backslashes escaped."""
    if item is None:
        return "NULL"
    text = item.isoformat() if isinstance(item, datetime | date) else str(item)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_ASYNCPG: Dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


def positional(sql: str, name: str | None = None) -> Positional:
    """``sql`` compiled; with ``name``, also to be prepared by SQL under that name."""
    compiled = sa.text(sql).compile(dialect=_ASYNCPG)
    return Positional(compiled.string, tuple(compiled.positiontup or ()), name)
