"""U+0000 in a path or query parameter is refused with a 422 naming the parameter, as it is
anywhere in a body (``app.validation``): PostgreSQL's text cannot hold the character, so a
lookup by such a value would fail its statement (a 500) instead of finding nothing."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

MESSAGE = "must not contain the character U+0000"


def refuse_nul_in_parameters(request: Request) -> None:
    """A dependency of every route, after ``refuse_unknown_query_parameters``."""
    errors = [
        _error("path", name, value)
        for name, value in request.path_params.items()
        if isinstance(value, str) and "\x00" in value
    ]
    if request.scope.get("query_string"):
        errors += [
            _error("query", name, value)
            for name, value in request.query_params.multi_items()
            if "\x00" in value
        ]
    if errors:
        raise RequestValidationError(errors)


def _error(where: str, name: str, value: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": (where, name), "msg": MESSAGE, "input": value}
