"""OpenAPI descriptions of the problem responses routes may give."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute

from app.api.deps import bearer, required_scope
from app.errors import Problem

_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, bad encoding, bad cursor), or a query parameter "
    "the route does not take (`unknown-parameter`, naming it in `parameters`).",
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


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
WORKSPACE_LIMITS = {
    "429": {
        "description": "The workspace has too many requests in flight on this server "
        "(`too-many-requests`); retry after `Retry-After` seconds.",
        "headers": RETRY_AFTER,
    },
    "503": {
        "description": "The workspace's share of the server's database connections stayed "
        "in use (`workspace-busy`), the database is unreachable, or the request collided with "
        "a concurrent one; retry after `Retry-After` seconds.",
        "headers": RETRY_AFTER,
    },
}
"""Every ``/v1`` route may answer these (``app.api.limits``)."""


EXAMPLES = Path(__file__).with_name("examples.json")
"""An example for each schema whose model gives none: real responses of a walk-through, with
fixed moments (``tests/test_openapi.py`` validates each against its schema)."""


def add_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Each schema without an example gets the one ``examples.json`` has for it, so that
    the docs and generated clients show a real body rather than one synthesized from types
    (``"string"``, ``"additionalProp1"``)."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, example in json.loads(EXAMPLES.read_text()).items():
        if name in schemas:
            schemas[name].setdefault("examples", [example])
    return document


def keep_null_examples(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The examples as the models and routes give them: FastAPI encodes the document with
    ``exclude_none``, which drops every ``null`` from an example too (``"customer": null``
    would go missing, and the example would no longer fit its schema)."""
    schemas = document.get("components", {}).get("schemas", {})
    for model in _models(routes):
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, schema in [(model.__name__, generated), *generated.get("$defs", {}).items()]:
            if name in schemas:
                _copy_examples(schema, schemas[name])
    for context in iter_route_contexts(routes):
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        for status, response in route.responses.items():
            for media, given in response.get("content", {}).items():
                if "example" in given:
                    for method in context.methods or ():
                        operation = document["paths"][context.path_format][method.lower()]
                        content = operation["responses"][str(status)]["content"][media]
                        content["example"] = given["example"]
    return document


def _models(routes: Sequence[BaseRoute]) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for context in iter_route_contexts(routes):
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        candidates = [route.response_model] + [
            param.field_info.annotation for param in route.dependant.body_params
        ]
        candidates += [response.get("model") for response in route.responses.values()]
        found.update(c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel))
    return found


def _copy_examples(source: Any, target: Any) -> None:
    """``source``'s ``examples`` into the same places of ``target``, a schema of the same
    shape (properties by name, ``anyOf`` and ``items`` alike)."""
    if not isinstance(source, dict) or not isinstance(target, dict):
        return
    if "examples" in source and "examples" in target:
        target["examples"] = source["examples"]
    for key in ("properties", "anyOf", "items"):
        inner, outer = source.get(key), target.get(key)
        if isinstance(inner, dict) and isinstance(outer, dict):
            if key == "properties":
                for name in inner.keys() & outer.keys():
                    _copy_examples(inner[name], outer[name])
            else:
                _copy_examples(inner, outer)
        elif isinstance(inner, list) and isinstance(outer, list) and len(inner) == len(outer):
            for one, other in zip(inner, outer, strict=True):
                _copy_examples(one, other)


def use_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Error responses are documented as what they are: ``application/problem+json`` bodies
    of the ``Problem`` schema (FastAPI's default 422 schema is not what this API sends); the
    ``/v1`` routes with the refusals every such route can give (unknown parameters, bodies,
    validation, the workspace limits)."""
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/v1/"):
                responses = operation.setdefault("responses", {})
                # Any /v1 route refuses a query parameter it does not take (app.api.query),
                # and any body over its size or not JSON (app.api.body_guard).
                given = [400]
                if method in ("post", "put", "patch"):
                    given += [413, 415]
                if operation.get("parameters") or operation.get("requestBody"):
                    given.append(422)
                for code in given:
                    responses.setdefault(str(code), {"description": _DESCRIPTIONS[code]})
                for limit, response in WORKSPACE_LIMITS.items():
                    responses.setdefault(limit, dict(response))
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
    for operations in document.get("webhooks", {}).values():
        for operation in operations.values():
            # What the receiver answers: FastAPI would document a validation error of ours.
            operation["responses"] = {
                "204": {"description": "Received: any 2xx status acknowledges the message."}
            }
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def state_scopes(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """Each operation's security requirement names the scope its route checks (the scope
    the dependency of ``app.api.deps`` was made with), and its description says it in a
    line; an operation whose route checks none needs no key (``security: []``)."""
    scheme = bearer.scheme_name
    for context in iter_route_contexts(routes):
        route = context.route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        scope = required_scope(route.dependant)
        line = "No key needed." if scope is None else f"Scope: `{scope.value}`."
        for method in context.methods or ():
            operation = document["paths"][context.path_format][method.lower()]
            operation["security"] = [] if scope is None else [{scheme: [scope.value]}]
            described = operation.get("description")
            operation["description"] = line if not described else f"{described}\n\n{line}"
    return document
