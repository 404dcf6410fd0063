"""One number for money, field by field (issue 26): every money field the OpenAPI document
declares has a recognisable type, and each shows, in real responses and webhook payloads,
exactly the number stored and compared, with the base currency's minor units.

The document is walked, not listed by hand: a property is money when its schema refers to
``Money``, ``MoneyAverage`` or ``CurrencyAmount``; a few properties hold money or something
else depending on their neighbours (an explanation's ``actual`` is money when its ``field``
is a money metric) and a few are maps of metrics by name: those are named below with the
rule that tells. A property whose name looks like money but is none of these must be listed
with the reason it is not money. Then the app is driven, in a EUR, a JPY and a KWD
workspace, until every money field has appeared in some response or webhook payload, each
value checked against its type and the number behind it: 99.90 USD at 0.92 is 91.91 EUR,
stored, compared by a threshold of exactly 91.91 (by both engines), explained and shown as
"91.91" (in JPY at 157.83: "15767"; in KWD at 0.3071: "30.679"). A money field added to the
document without appearing in this drive fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import text

from app.clock import FrozenClock
from app.currencies import minor_units
from app.jobs.service import run_until_idle
from app.main import create_app
from app.money import convert
from app.settings import Settings
from tests.clv.test_api import population
from tests.conftest import T0, bearer
from tests.webhooks.test_endpoints import allow_loopback

MONEY_SCHEMAS = frozenset({"Money", "MoneyAverage", "CurrencyAmount"})
MONEY_NAME = re.compile(
    r"amount|spend|revenue|value|clv|refund|total|price|cost|monetary|spare|missing|actual"
    r"|balance|threshold"
)

# Properties that hold money or not depending on the comparison they belong to: money, in
# the kind of the metric their ``field`` names, when that metric is money.
BY_FIELD = frozenset(
    {
        ("ExplainedComparison", "actual"),
        ("Gap", "actual"),
        ("Gap", "missing"),
        ("Margin", "actual"),
        ("Margin", "spare"),
    }
)
# Maps of metrics by name: each money metric in them is checked as its kind says.
METRIC_MAPS = frozenset(
    {("Customer", "metrics"), ("TierChangedData", "metrics"), ("SearchItem", "metrics")}
)
# Properties named like money that are not an amount in the base currency, and why.
NOT_MONEY: Mapping[tuple[str, str], str] = {
    **{
        (comparison, "value"): "a condition's threshold, as the client writes it"
        for comparison in (
            "AgeComparison",
            "BetweenComparison",
            "ContainsComparison",
            "EqualityComparison",
            "ExistsComparison",
            "MembershipComparison",
            "OrderComparison",
        )
    },
    **{
        (explained, "value"): "the threshold, as written in the condition (the test checks "
        "that a money threshold equal to the shown number holds)"
        for explained in ("ExplainedComparison", "Gap", "Margin")
    },
    ("EventIn", "amount"): "an amount sent in the event's own currency; its conversion is "
    "StoredEvent.amount_base",
    ("Distribution", "total"): "a count of customers",
    ("JobProgress", "total"): "a count of rows",
    ("KeepTier", "missing"): "a tree of Gap",
    ("NextTier", "missing"): "a tree of Gap",
    ("TemplateIn", "thresholds"): "a template's parameters, as the client writes them",
    ("TemplateOut", "thresholds"): "a template's parameters and their kinds",
    ("Tracking", "actual"): "a count of purchase days",
    ("TrackingWeek", "actual"): "a count of purchase days",
    ("TrackingWeek", "cumulative_actual"): "a count of purchase days",
    ("Workspace", "clv_discount_rate"): "a rate",
    ("Workspace", "clv_refit_days"): "days",
    ("WorkspaceUpdate", "clv_discount_rate"): "a rate",
    ("WorkspaceUpdate", "clv_refit_days"): "days",
}

USD = "99.90"
AVERAGE_PLACES = 4
"""The most places an average has (``avg_order_value``, an ``avg`` of ``amount``)."""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    generated = create_app(Settings(database_url="postgresql://unused/unused")).openapi()
    result: dict[str, Any] = json.loads(json.dumps(generated))
    return result


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def properties(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in document["components"]["schemas"].items():
        for prop, found in (schema.get("properties") or {}).items():
            yield name, prop, found


def typed_money(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """Each property whose schema refers to a money schema, with those schemas."""
    return {
        (name, prop): kinds
        for name, prop, schema in properties(document)
        if (kinds := set(_refs(schema)) & MONEY_SCHEMAS)
    }


def money_fields(document: dict[str, Any]) -> set[tuple[str, str]]:
    """Every money field of the document: typed, by field, and the metric maps."""
    return set(typed_money(document)) | BY_FIELD | METRIC_MAPS


def money_metrics(document: dict[str, Any]) -> dict[str, str]:
    """The built-in money metrics and their kind, as the ``Metrics`` schema declares them."""
    typed = typed_money(document)
    return {prop: kinds.pop() for (name, prop), kinds in typed.items() if name == "Metrics"}


# --- the document --------------------------------------------------------------------------


def test_the_money_schemas_are_documented_decimal_strings(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in MONEY_SCHEMAS:
        schema = schemas[name]
        assert schema["type"] == "string"
        assert schema["format"] == "decimal"
        assert re.fullmatch(schema["pattern"], "-12.345")
        assert not re.fullmatch(schema["pattern"], "1e3")
        assert "minor units" in schema["description"]
    assert "base currency" in schemas["Money"]["description"]
    assert "average" in schemas["MoneyAverage"]["description"]


def test_every_field_named_like_money_is_typed_as_money_or_said_not_to_be(
    document: dict[str, Any],
) -> None:
    declared = money_fields(document)
    untyped = sorted(
        (name, prop)
        for name, prop, _ in properties(document)
        if MONEY_NAME.search(prop) and (name, prop) not in declared | set(NOT_MONEY)
    )
    assert untyped == [], "type these as Money / MoneyAverage, or list them in NOT_MONEY"
    present = {(name, prop) for name, prop, _ in properties(document)}
    assert set(NOT_MONEY) <= present, "NOT_MONEY names a field the document no longer has"
    assert not set(NOT_MONEY) & set(typed_money(document))
    schemas = document["components"]["schemas"]
    for name, prop in BY_FIELD | METRIC_MAPS:
        shown = schemas[name].get("properties", {}).get(prop) or schemas[name]["examples"][0][prop]
        assert shown is not None, (name, prop)
    # Every built-in metric named like money is money.
    metrics = schemas["Metrics"]["properties"]
    assert sorted(p for p in metrics if MONEY_NAME.search(p)) == sorted(money_metrics(document))


# --- the walk ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seen:
    """A money value found in a response: where, of which kind, with its object."""

    where: tuple[str, str]
    kind: str
    value: Any
    parent: Mapping[str, Any]


@dataclass
class Walker:
    """Walks a JSON value alongside its schema in the document, collecting money values."""

    document: dict[str, Any]
    metrics: dict[str, str]
    seen: list[Seen] = field(default_factory=list)
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._registry: Registry[Any] = Registry().with_resource(
            "urn:tierline", Resource.from_contents(self.document, default_specification=DRAFT202012)
        )

    def validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"urn:tierline#{pointer}"}, registry=self._registry
            )
        return self._validators[pointer]

    def check(self, pointer: str, instance: Any) -> None:
        """``instance`` fits the schema at ``pointer``; its money values are collected."""
        errors = [e.message for e in self.validator(pointer).iter_errors(instance)]
        assert errors == [], (pointer, errors[:3], instance)
        component = pointer.rsplit("/", 1)[1] if pointer.startswith("/components/") else ""
        self.walk(pointer, instance, (component, ""), {})

    def schema(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def record(self, where: tuple[str, str], kind: str, value: Any, parent: Any) -> None:
        if value is not None:
            self.seen.append(Seen(where, kind, value, parent))

    def metric_kind(self, path: Any) -> str | None:
        if not isinstance(path, str) or not path.startswith("metrics."):
            return None
        return self.metrics.get(path.removeprefix("metrics."))

    def metric_map(self, where: tuple[str, str], instance: Any) -> None:
        assert isinstance(instance, dict), (where, instance)
        for name, value in instance.items():
            if name in self.metrics:
                self.record(where, self.metrics[name], value, instance)

    def walk(self, pointer: str, instance: Any, where: tuple[str, str], parent: Any) -> None:
        if where in BY_FIELD:
            kind = self.metric_kind(parent.get("field"))
            if kind is not None:
                self.record(where, kind, instance, parent)
            return
        if where in METRIC_MAPS:
            self.metric_map(where, instance)
        schema = self.schema(pointer)
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name in MONEY_SCHEMAS:
                self.record(where, name, instance, parent)
                return
            self.walk(schema["$ref"].removeprefix("#"), instance, (name, ""), parent)
            return
        for key in ("anyOf", "oneOf"):
            if key in schema:
                self._branches(f"{pointer}/{key}", schema[key], instance, where, parent)
        for i, _ in enumerate(schema.get("allOf", ())):
            self.walk(f"{pointer}/allOf/{i}", instance, where, parent)
        if isinstance(instance, dict):
            self._object(pointer, schema, instance, where)
        if isinstance(instance, list):
            prefix = schema.get("prefixItems", [])
            for i, item in enumerate(instance):
                if i < len(prefix):
                    self.walk(f"{pointer}/prefixItems/{i}", item, where, parent)
                elif isinstance(schema.get("items"), dict):
                    self.walk(f"{pointer}/items", item, where, parent)

    def _object(
        self, pointer: str, schema: dict[str, Any], instance: dict[str, Any], where: Any
    ) -> None:
        component = where[0]
        declared = schema.get("properties", {})
        for key, value in instance.items():
            if key in declared:
                escaped = key.replace("~", "~0").replace("/", "~1")
                self.walk(f"{pointer}/properties/{escaped}", value, (component, key), instance)
            elif isinstance(schema.get("additionalProperties"), dict):
                self.walk(f"{pointer}/additionalProperties", value, (component, key), instance)
            elif (component, key) in METRIC_MAPS:
                self.metric_map((component, key), value)

    def _branches(
        self, pointer: str, branches: list[Any], instance: Any, where: Any, parent: Any
    ) -> None:
        valid = [
            (i, branch)
            for i, branch in enumerate(branches)
            if self.validator(f"{pointer}/{i}").is_valid(instance)
        ]
        money = [i for i, b in valid if b.get("$ref", "").rsplit("/", 1)[-1] in MONEY_SCHEMAS]
        assert not money or len(valid) == 1, (
            f"{where}: {instance!r} could be money or not; name the rule that tells in BY_FIELD"
        )
        for i, _ in valid:
            self.walk(f"{pointer}/{i}", instance, where, parent)


def response_pointer(document: dict[str, Any], method: str, template: str, status: int) -> str:
    operation = document["paths"][template][method.lower()]
    assert str(status) in operation["responses"], (method, template, status)
    escaped = template.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{method.lower()}/responses/{status}/content/application~1json/schema"


# --- the drive -----------------------------------------------------------------------------


def places_of(value: str) -> int:
    return len(value.partition(".")[2])


def check_value(seen: Seen, currency: str) -> None:
    """The value has the shape its kind promises in the workspace's base currency."""
    value, units = seen.value, minor_units(currency)
    assert isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value), seen
    if seen.kind == "Money":
        assert places_of(value) == units, (seen, f"{units} places in {currency}")
    elif seen.kind == "MoneyAverage":
        assert units <= places_of(value) <= AVERAGE_PLACES, seen
        assert places_of(value) == units or not value.endswith("0"), seen
    else:
        own = seen.parent.get("currency") or currency
        assert places_of(value) == minor_units(own), (seen, own)


@dataclass
class Drive:
    client: httpx.AsyncClient
    document: dict[str, Any]
    walker: Walker
    key: str = ""

    async def call(
        self,
        method: str,
        template: str,
        body: Any = None,
        *,
        status: int = 200,
        query: dict[str, str] | None = None,
        **params: str,
    ) -> Any:
        path = template.format(**{k: quote(v, safe="") for k, v in params.items()})
        response = await self.client.request(
            method, path, json=body, params=query, headers=bearer(self.key)
        )
        assert response.status_code == status, response.text
        found = response.json()
        self.walker.check(response_pointer(self.document, method, template, status), found)
        return found

    async def event(self, event_id: str, customer_id: str, **fields: Any) -> Any:
        body = {
            "event_id": event_id,
            "customer_id": customer_id,
            "type": "order",
            "occurred_at": T0.isoformat(),
            **fields,
        }
        return await self.call("POST", "/v1/events", body, status=201)


def threshold(field_: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field_, "op": op, "value": value}


async def drive(
    app: Any,
    client: httpx.AsyncClient,
    clock: FrozenClock,
    instance_key: str,
    document: dict[str, Any],
    currency: str,
    rate: str,
) -> tuple[Walker, str]:
    """Every response that shows money, in a new workspace of ``currency`` where a USD
    costs ``rate``; returns the walker and the one number 99.90 USD becomes."""
    walker = Walker(
        document, {**money_metrics(document), "spend": "Money", "basket": "MoneyAverage"}
    )
    http = Drive(client, document, walker, instance_key)
    slug = f"money-{currency.lower()}"
    created = await http.call(
        "POST",
        "/v1/workspaces",
        {"slug": slug, "name": f"Money in {currency}", "base_currency": currency},
        status=201,
    )
    http.key = created["admin_key"]["key"]
    units = minor_units(currency)
    one = str(convert(Decimal(USD), Decimal(rate), units))
    twice = str(Decimal(one) * 2)

    await http.call("PUT", "/v1/fx-rates", {"rates": {"USD": rate}})
    for name, aggregation in (("spend", "sum"), ("basket", "avg")):
        definition = {"event_type": "order", "aggregation": aggregation}
        response = await client.put(
            f"/v1/metrics/{name}", json=definition, headers=bearer(http.key)
        )
        assert response.status_code == 201, response.text

    # A year of orders in USD, converted on arrival, for the CLV model and the RFM scores.
    history = [
        {
            "event_id": f"h{i}",
            "customer_id": customer,
            "type": kind,
            "amount": amount,
            "currency": "USD",
            "occurred_at": at.isoformat(),
        }
        for i, (customer, kind, amount, at) in enumerate(population(120))
    ]
    for start in range(0, len(history), 1000):
        batch = {"mode": "backfill", "events": history[start : start + 1000]}
        await http.call("POST", "/v1/events/batch", batch)
    await http.call("POST", "/v1/models/clv/fit", {}, status=202)
    await run_until_idle(app.state.engine, clock)

    # A tier whose thresholds are exactly the one number of an order of 99.90 USD, and one
    # above it that a trait also opens (classified by the SQL engine).
    exactly = [
        threshold(f"metrics.{name}", "gte", one)
        for name in ("lifetime_spend", "spend_30d", "spend", "avg_order_value", "basket")
    ]
    scheme = {
        "name": "Value",
        "tiers": [
            {
                "key": "gold",
                "name": "Gold",
                "condition": {
                    "any": [
                        threshold("metrics.lifetime_spend", "gte", twice),
                        threshold("traits.gold", "eq", True),
                    ]
                },
            },
            {
                "key": "vip",
                "name": "VIP",
                "condition": {
                    "all": [
                        *exactly,
                        threshold("metrics.refund_total", "lte", 0),
                        threshold("metrics.predicted_clv_365d", "gte", 0),
                    ]
                },
            },
        ],
        "default_tier": "regular",
    }
    response = await client.put("/v1/schemes/value", json=scheme, headers=bearer(http.key))
    assert response.status_code == 201, response.text
    await run_until_idle(app.state.engine, clock)
    allow_loopback(app)
    hook = {"url": "http://127.0.0.1:9/hook"}
    response = await client.post("/v1/webhooks/endpoints", json=hook, headers=bearer(http.key))
    assert response.status_code == 201, response.text

    # The order: stored, compared and shown as the one number; the threshold at exactly it
    # holds (Python engine, on the event's path).
    created = await http.event("o-1", "crm-1", amount=USD, currency="USD")
    assert created["customer"]["metrics"]["lifetime_spend"] == one
    assert [(c["scheme"], c["to_tier"]) for c in created["tier_changes"]] == [("value", "vip")]
    async with app.state.engine.connect() as conn:
        stored = (
            await conn.execute(
                text(
                    "SELECT e.amount_base, c.order_total FROM events e JOIN customers c"
                    " ON c.workspace_id = e.workspace_id AND c.customer_id = e.customer_id"
                    " JOIN workspaces w ON w.id = e.workspace_id"
                    " WHERE w.slug = :slug AND e.event_id = 'o-1'"
                ),
                {"slug": slug},
            )
        ).one()
    assert (str(stored.amount_base), str(stored.order_total)) == (one, one)
    # An amount in the base currency, and a refund.
    native = "1578" if units == 0 else "12.3"
    await http.event("o-2", "crm-2", amount=native)
    await http.event("o-3", "crm-3", amount="20.00", currency="USD")
    await http.event("r-3", "crm-3", type="refund", amount="10.01", currency="USD")

    profile = await http.call("GET", "/v1/customers/{customer_id}", customer_id="crm-1")
    assert profile["tiers"]["value"]["tier"] == "vip"
    for name in ("lifetime_spend", "spend_30d", "spend_365d", "spend", "avg_order_value"):
        assert profile["metrics"][name] == one, name
    for customer_id in ("crm-2", "crm-3"):
        await http.call("GET", "/v1/customers/{customer_id}", customer_id=customer_id)
    events = await http.call("GET", "/v1/customers/{customer_id}/events", customer_id="crm-1")
    assert [(e["amount"], e["currency"], e["amount_base"]) for e in events["items"]] == [
        (USD, "USD", one)
    ]
    for customer_id in ("crm-2", "crm-3"):
        await http.call("GET", "/v1/customers/{customer_id}/events", customer_id=customer_id)

    # Explained with the same number: the comparison holds with nothing to spare, and the
    # tier above is one more such order away.
    explained = await http.call(
        "GET",
        "/v1/customers/{customer_id}/tiers/{scheme}/explain",
        customer_id="crm-1",
        scheme="value",
    )
    vip = next(t for t in explained["tiers"] if t["key"] == "vip")
    first = vip["condition"]["all"][0]
    assert (first["value"], first["actual"], first["holds"]) == (one, one, True)
    zero = str(Decimal(0).quantize(Decimal(1).scaleb(-units)))
    spares = [
        m["spare"]
        for m in explained["keep_tier"]["lose_if"]["any"]
        if m["field"] != "metrics.predicted_clv_365d"
    ]
    assert zero in spares
    gap = explained["next_tier"]["missing"]["any"][0]
    assert (gap["actual"], gap["missing"]) == (one, one)

    # Compared by the SQL engine the same way: the customer is at exactly the number.
    for op, holds in (("eq", True), ("gte", True), ("lte", True), ("gt", False), ("lt", False)):
        search = {
            "condition": threshold("metrics.lifetime_spend", op, one),
            "fields": ["customer_id", "metrics"],
            "limit": 1000,
        }
        page = await http.call("POST", "/v1/customers/search", search)
        assert ("crm-1" in [item["customer_id"] for item in page["items"]]) is holds, op
    counted = await http.call("POST", "/v1/customers/count", {"condition": search["condition"]})
    assert counted["count"] >= 1
    everyone = {"fields": ["customer_id", "metrics"], "limit": 1000}
    await http.call("POST", "/v1/customers/search", everyone)
    exported = {"condition": None, "fields": ["customer_id", "metrics"], "format": "ndjson"}
    export = await client.post("/v1/customers/export", json=exported, headers=bearer(http.key))
    assert export.status_code == 200, export.text
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [
        item["metrics"]["lifetime_spend"] for item in lines if item["customer_id"] == "crm-1"
    ] == [one]
    for item in lines:
        walker.check("/components/schemas/SearchItem", item)

    # A trait moves the customer to gold through the SQL engine: its message shows the same.
    await http.call(
        "PATCH", "/v1/customers/{customer_id}", {"traits": {"gold": True}}, customer_id="crm-1"
    )
    messages = await http.call("GET", "/v1/webhooks/messages", query={"limit": "1000"})
    moves = {}
    for message in messages["items"]:
        webhook = document["webhooks"][message["type"]]["post"]
        schema = webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        walker.check(schema.removeprefix("#"), message["payload"])
        data = message["payload"]["data"]
        if data.get("customer_id") == "crm-1":
            moves[data["to_tier"]] = data["metrics"]
    assert moves["vip"]["lifetime_spend"] == moves["gold"]["lifetime_spend"] == one

    refreshed = await http.call("POST", "/v1/schemes/rfm/refresh")
    assert refreshed["cut_points"]["m"]
    await http.call("GET", "/v1/schemes/rfm/refresh")
    performance = await http.call("GET", "/v1/analytics/schemes/{key}/performance", key="value")
    assert performance["currency"] == currency
    return walker, one


@pytest.mark.parametrize(
    ("currency", "rate", "one"),
    [("EUR", "0.92", "91.91"), ("JPY", "157.83", "15767"), ("KWD", "0.3071", "30.679")],
)
async def test_every_money_field_shows_the_one_number_in_the_base_currencys_minor_units(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    document: dict[str, Any],
    currency: str,
    rate: str,
    one: str,
) -> None:
    walker, converted = await drive(app, client, clock, admin_key, document, currency, rate)
    assert converted == one
    for seen in walker.seen:
        check_value(seen, currency)
    covered = {seen.where for seen in walker.seen}
    assert money_fields(document) - covered == set(), "drive these into some response above"
    kinds = {seen.kind for seen in walker.seen}
    assert kinds == set(MONEY_SCHEMAS)
