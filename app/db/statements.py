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
from typing import Any

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


# A few per scheme version and segment version in use, per workspace, per day.
_COMPILED: LRUCache[Hashable, CompiledSelect] = LRUCache(2000)


def compiled_select(
    key: Hashable | None, build: Callable[[], sa.Select[Any]], dialect: Dialect
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
    args = list(select.args)
    for name, index in select.late.items():
        args[index] = (late or {})[name]
    placeholders = {}
    for name, (value, sql_type) in own.items():
        args.append(value)
        placeholders[name] = f"CAST(${len(args)} AS {sql_type})"
    statement = template.format(**{compiled_name: select.sql}, **placeholders)
    return await conn.exec_driver_sql(statement, tuple(args))


@dataclass(frozen=True, slots=True)
class Positional:
    """A statement written with ``:name`` parameters, compiled once to asyncpg's ``$n``, for
    the raw connection: asyncpg prepares it once per connection and keeps it."""

    sql: str
    names: tuple[str, ...]

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]


_ASYNCPG: Dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


def positional(sql: str) -> Positional:
    compiled = sa.text(sql).compile(dialect=_ASYNCPG)
    return Positional(compiled.string, tuple(compiled.positiontup or ()))
