"""Running a hand-written statement around SQL compiled by SQLAlchemy.

The set-based writers (bulk tier and segment classification) are single statements with
several data-modifying CTEs, clearer as SQL text than as Core constructs; their inner SELECT
is compiled from a condition. ``execute_template`` binds both: the compiled SELECT keeps its
``$1..$n`` parameters, and the template's own named values follow them, cast to their types.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection


async def execute_template(
    conn: AsyncConnection,
    template: str,
    compiled_name: str,
    select: sa.Select[Any],
    own: dict[str, tuple[Any, str]],
) -> CursorResult[Any]:
    """Runs ``template`` with ``{compiled_name}`` replaced by ``select`` and each ``{name}``
    of ``own`` (``name: (value, sql type)``) by a bound parameter."""
    compiled = select.compile(dialect=conn.dialect)
    args = [compiled.params[name] for name in compiled.positiontup or ()]
    placeholders = {}
    for name, (value, sql_type) in own.items():
        args.append(value)
        placeholders[name] = f"CAST(${len(args)} AS {sql_type})"
    statement = template.format(**{compiled_name: str(compiled)}, **placeholders)
    return await conn.exec_driver_sql(statement, tuple(args))
