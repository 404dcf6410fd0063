"""Unknown query parameters are refused, with a 400 naming them: a misspelt parameter
(``limt=``) or another route's (``endpoint_id=`` on the message list) would otherwise be
ignored, and the answer would look like one to the question asked."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.errors import BadRequest


class UnknownParameter(BadRequest):
    slug, title = "unknown-parameter", "Unknown query parameter"


_ACCEPTED: dict[str, frozenset[str]] = {}
"""The query parameters each route takes (its own and its dependencies'), by its unique id."""


def accepted(route: APIRoute) -> frozenset[str]:
    found = _ACCEPTED.get(route.unique_id)
    if found is None:
        found = _ACCEPTED[route.unique_id] = frozenset(_query_parameters(route.dependant))
    return found


def _query_parameters(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        names.update(param.alias for param in current.query_params)
        stack.extend(current.dependencies)
    return names


def refuse_unknown_query_parameters(request: Request) -> None:
    """A dependency of every route."""
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.path.startswith("/v1/"):
        return
    known = accepted(route)
    unknown = sorted(name for name in request.query_params if name not in known)
    if unknown:
        takes = ", ".join(f"`{name}`" for name in sorted(known)) or "none"
        raise UnknownParameter(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: "
            f"{', '.join(f'`{name}`' for name in unknown)}. This route takes: {takes}.",
            parameters=unknown,
        )
