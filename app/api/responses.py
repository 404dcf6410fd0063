"""OpenAPI descriptions of the problem responses routes may give."""

from __future__ import annotations

from typing import Any

from app.errors import Problem

_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, bad encoding, bad cursor).",
    401: "Missing, malformed, unknown or revoked API key.",
    403: "The key lacks the scope this route needs.",
    404: "No such object in the caller's workspace.",
    409: "Conflicts with stored state.",
    413: "Request body over the size limit.",
    415: "Body is not `application/json`.",
    422: "The body or parameters failed validation; `errors` names each field.",
    503: "Not answered now: the query ran past its time limit (`query-timeout`), or the "
    "database is unavailable (`database-unavailable`); retry after `Retry-After` seconds.",
}


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }


def use_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Error responses are documented as what they are: ``application/problem+json`` bodies
    of the ``Problem`` schema (FastAPI's default 422 schema is not what this API sends)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
