"""The OpenAPI document: committed copy in step with the code, complete, and served offline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.api.deps import required_scope
from app.main import VERSION, create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "openapi" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    generated: dict[str, Any] = create_app(
        Settings(database_url="postgresql://unused/unused")
    ).openapi()
    # Through JSON, as the committed file went, so tuples and the like compare equal.
    result: dict[str, Any] = json.loads(json.dumps(generated))
    return result


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_committed_openapi_document_matches_the_code(document: dict[str, Any]) -> None:
    assert COMMITTED.exists(), "openapi/openapi.json is missing: run `make openapi`"
    committed = json.loads(COMMITTED.read_text())
    assert committed == document, (
        "openapi/openapi.json is out of date with the code: run `make openapi` and commit it"
    )


def test_every_operation_id_is_chosen_and_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    # FastAPI's default joins the function's name, the path and the method.
    defaults = [i for i in ids if re.search(r"_(get|put|post|delete|patch)$", i) or "__" in i]
    assert defaults == []
    assert {"send_event", "get_customer", "put_scheme", "search_customers"} <= set(ids)


def test_every_v1_operation_documents_the_refusals_any_such_route_can_give(
    document: dict[str, Any],
) -> None:
    """An unknown query parameter (400) on any route; a body over the limit (413) or not
    JSON (415) on any that takes one; each a problem+json document."""
    for method, path, operation in _operations(document):
        if not path.startswith("/v1/"):
            continue
        wanted = {"400", "429", "503"} | (
            {"413", "415"} if method in ("POST", "PUT", "PATCH") else set()
        )
        responses = operation["responses"]
        assert wanted <= set(responses), (method, path, wanted - set(responses))
        for status in wanted - {"429", "503"}:
            content = responses[status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)


def _examples(node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any]]:
    """(pointer of the schema, where the example is, example) for every example in the
    document: a schema's ``examples``, a parameter's or a media type's ``example(s)``."""
    if isinstance(node, dict):
        if "schema" in node and ("example" in node or "examples" in node):
            found = node.get("examples", {})
            values = list(found.values()) if isinstance(found, dict) else list(found)
            values = [v["value"] if isinstance(v, dict) and "value" in v else v for v in values]
            for value in values + ([node["example"]] if "example" in node else []):
                yield f"{pointer}/schema", pointer, value
        elif isinstance(node.get("examples"), list) and (
            "type" in node or "properties" in node or "$ref" in node or "anyOf" in node
        ):
            for value in node["examples"]:
                yield pointer, pointer, value
        for key, value in node.items():
            if key not in ("examples", "example"):
                yield from _examples(
                    value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
                )
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _examples(value, f"{pointer}/{index}")


def test_every_example_in_the_document_fits_its_schema(document: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(
        "urn:tierline", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    checked, wrong = 0, []
    for schema_at, where, example in _examples(document):
        validator = Draft202012Validator({"$ref": f"urn:tierline#{schema_at}"}, registry=registry)
        errors = [error.message for error in validator.iter_errors(example)]
        if errors:
            wrong.append((where, errors[:2]))
        checked += 1
    assert wrong == [], "\n".join(map(str, wrong))
    assert checked > 200


def test_the_main_resources_have_an_example_of_each_request_and_response(
    document: dict[str, Any],
) -> None:
    """A body the docs and a generated client show as it is, never one synthesized from
    types: each JSON request and 2xx response of the /v1 operations (a page's items)."""
    schemas = document["components"]["schemas"]

    def named(schema: dict[str, Any]) -> str:
        name = schema["$ref"].rsplit("/", 1)[1]
        page = re.fullmatch(r"Page_(\w+)_", name)
        return page[1] if page else name

    missing = set()
    for _, path, operation in _operations(document):
        if not path.startswith("/v1/"):
            continue
        bodies = [operation.get("requestBody", {})] + [
            response for status, response in operation["responses"].items() if status < "300"
        ]
        for body in bodies:
            media = body.get("content", {}).get("application/json", {})
            if "$ref" in media.get("schema", {}) and "example" not in media:
                name = named(media["schema"])
                if "examples" not in schemas[name]:
                    missing.add(name)
    assert missing == set()


def test_a_python_client_generates_from_the_committed_document_without_a_warning(
    tmp_path: Path,
) -> None:
    """openapi-python-client drops a response type it cannot model (two schemas whose models
    would share a name), and says so: the generated client would return ``None`` for it."""
    config = tmp_path / "config.yml"
    config.write_text("post_hooks: []\n")
    generated = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(COMMITTED),
            "--config",
            str(config),
            "--output-path",
            str(tmp_path / "client"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output
    send_event = tmp_path / "client" / "tierline_client" / "api" / "events" / "send_event.py"
    assert "-> EventCreated | Problem | None" in send_event.read_text()


def test_document_has_title_version_description_and_the_api_key_scheme(
    document: dict[str, Any],
) -> None:
    info = document["info"]
    assert info["title"] == "Tierline"
    assert info["version"] == VERSION
    assert "Authorization: Bearer tl_" in info["description"]
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A Tierline API key: `Authorization: Bearer tl_...`.",
    }


def test_every_v1_operation_has_a_summary_a_declared_tag_and_requires_the_api_key(
    document: dict[str, Any],
) -> None:
    declared_tags = {tag["name"] for tag in document.get("tags", [])}
    v1 = [(m, p, op) for m, p, op in _operations(document) if p.startswith("/v1/")]
    assert len(v1) >= 5, "expected the /v1 API in the document"
    problems = []
    for method, path, operation in v1:
        where = f"{method} {path}"
        if not operation.get("summary"):
            problems.append(f"{where}: no summary")
        tags = operation.get("tags") or []
        if not tags:
            problems.append(f"{where}: no tag")
        undeclared = set(tags) - declared_tags
        if undeclared:
            problems.append(f"{where}: tags {sorted(undeclared)} missing from TAGS in app/main.py")
        security = operation.get("security", [])
        if [list(requirement) for requirement in security] != [["ApiKey"]]:
            problems.append(f"{where}: does not declare the ApiKey security scheme")
    assert problems == []


def test_every_operation_states_the_scope_its_route_checks(document: dict[str, Any]) -> None:
    application = create_app(Settings(database_url="postgresql://unused/unused"))
    stated = {}
    for context in iter_route_contexts(application.routes):
        route = context.route
        if isinstance(route, APIRoute) and route.include_in_schema:
            scope = required_scope(route.dependant)
            for method in context.methods or ():
                operation = document["paths"][str(context.path_format)][method.lower()]
                stated[method, context.path_format] = (
                    operation["security"],
                    operation["description"].rsplit("\n\n", 1)[-1],
                )
                if scope is not None:
                    assert stated[method, context.path_format] == (
                        [{"ApiKey": [scope.value]}],
                        f"Scope: `{scope.value}`.",
                    ), (method, context.path_format)
    assert stated["POST", "/v1/events"][0] == [{"ApiKey": ["events:write"]}]
    assert stated["POST", "/v1/customers/search"][0] == [{"ApiKey": ["segments:read"]}]
    assert stated["GET", "/healthz"] == ([], "No key needed.")
    keyless = {path for (_, path), (security, _) in stated.items() if security == []}
    assert keyless == {"/healthz", "/readyz", "/metrics"}


def test_operations_endpoints_need_no_key_in_the_document(document: dict[str, Any]) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        operation = document["paths"][path]["get"]
        assert operation["security"] == [], path
        assert operation["tags"] == ["Operations"]


async def test_served_openapi_json_is_the_generated_document(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == document


_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_assets_that_are_served(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert not re.search(r"https?://", html), f"{page} references a remote URL"
    assets = _ASSET.findall(html)
    scripts = [asset for asset in assets if asset.endswith(".js")]
    assert scripts, f"{page} loads no script"
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert served.content, asset
    for script in scripts:
        served = await client.get(script)
        assert "javascript" in served.headers["content-type"], script
