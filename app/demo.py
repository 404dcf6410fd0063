"""``tierline demo``: a workspace with a realistic past, so that every console page has
something to show on a fresh start.

Two years of orders, refunds, visits and surveys for a few thousand made-up customers are
generated from a fixed seed, relative to today (the same customers and days whatever the day
it runs). The value, RFM and lifecycle templates and a segment are installed first; then
everything but the last 30 days is loaded the way history is (the batch endpoint's backfill
mode, as ``tierline import``), which rebuilds each customer's tiers and memberships over its
past; then the RFM scores are refreshed and a CLV model fitted with a 12-week holdout; then
the last 30 days are sent as live events, so that customers move between tiers and in and
out of the segment as they would have. It goes through the API in process, with a
key of its own that it revokes at the end; running it again adds nothing new.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.clock import SystemClock
from app.jobs.service import run_until_idle
from app.main import create_app
from app.settings import Settings

DEFAULT_CUSTOMERS = 2000
SEED = 29
HISTORY_DAYS = 730
LIVE_DAYS = 30
BATCH = 1000
TEMPLATES = ("value", "rfm", "lifecycle")
SEGMENT_KEY = "big-spenders"
SEGMENT = {
    "name": "Big spenders",
    "description": "Spent 1,000 or more in the last 365 days.",
    "condition": {"field": "metrics.spend_365d", "op": "gte", "value": "1000"},
}
INDUSTRIES = ("retail", "machinery", "chemicals", "automotive", "food", "software")
REGIONS = ("north", "south", "east", "west")
SIZES = ("small", "medium", "large", "enterprise")


@dataclass(frozen=True)
class Event:
    body: dict[str, Any]
    at: datetime


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _customer(rng: random.Random, n: int, today: datetime) -> Iterator[Event]:
    """One customer's events: a usual order size, a pace (orders a day) and a chance of
    stopping after each order; a refund now and then, visits and a survey after some orders."""
    customer_id = f"cust-{n:05d}"
    usual = rng.lognormvariate(4.3, 0.7)
    pace = rng.gammavariate(2, 1 / 45)
    stop = rng.betavariate(1, 6)
    day = rng.randint(1, HISTORY_DAYS)
    traits = {
        "name": f"Customer {n}",
        "email": f"customer{n}@example.com",
        "industry": rng.choice(INDUSTRIES),
        "region": rng.choice(REGIONS),
        "size": rng.choice(SIZES),
    }
    first = True
    k = 0
    while day > 0:
        at = today - timedelta(days=day, minutes=rng.randint(0, 600))
        amount = usual * rng.uniform(0.5, 1.6)
        order: dict[str, Any] = {
            "event_id": f"demo-{n}-{k}",
            "customer_id": customer_id,
            "type": "order",
            "occurred_at": _iso(at),
            "amount": f"{amount:.2f}",
            "properties": {"channel": rng.choice(("web", "store", "phone"))},
        }
        if first:
            order["traits"] = traits
            first = False
        yield Event(order, at)
        k += 1
        if rng.random() < 0.3:
            visit = at - timedelta(hours=rng.randint(1, 48))
            yield Event(_event(customer_id, n, k, "visit", visit), visit)
            k += 1
        if rng.random() < 0.05 and day > 3:
            refund_at = at + timedelta(days=rng.randint(1, 3))
            refund = _event(customer_id, n, k, "refund", refund_at)
            refund["amount"] = f"{amount * rng.choice((0.25, 0.5, 1)):.2f}"
            yield Event(refund, refund_at)
            k += 1
        if rng.random() < 0.15 and day > 7:
            survey_at = at + timedelta(days=rng.randint(2, 7))
            survey = _event(customer_id, n, k, "survey", survey_at)
            survey["properties"] = {"score": rng.randint(1, 5)}
            yield Event(survey, survey_at)
            k += 1
        if rng.random() < stop:
            break
        day -= 1 + int(rng.expovariate(pace))


def _event(customer_id: str, n: int, k: int, kind: str, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"demo-{n}-{k}",
        "customer_id": customer_id,
        "type": kind,
        "occurred_at": _iso(at),
    }


def history(customers: int, today: datetime) -> list[Event]:
    """Every customer's events, in time order; the same for the same ``today``."""
    rng = random.Random(SEED)
    events = [event for n in range(customers) for event in _customer(rng, n, today)]
    return sorted(events, key=lambda e: e.at)


def _batches(events: list[Event]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(events), BATCH):
        yield [e.body for e in events[start : start + BATCH]]


def _whole_customers(events: list[Event]) -> Iterator[list[dict[str, Any]]]:
    """Batches of whole customers, each customer's events in time order: a backfill batch
    rebuilds the tier and segment history of the customers it is the first to bring, so
    each customer's past arrives in one."""
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_customer.setdefault(event.body["customer_id"], []).append(event.body)
    batch: list[dict[str, Any]] = []
    for own in by_customer.values():
        if batch and len(batch) + len(own) > BATCH:
            yield batch
            batch = []
        batch += own
        while len(batch) > BATCH:  # a customer with more events than a batch takes
            yield batch[:BATCH]
            batch = batch[BATCH:]
    if batch:
        yield batch


class DemoFailed(Exception):
    pass


def _check(response: httpx.Response, *allowed: int) -> dict[str, Any]:
    if response.status_code not in allowed:
        raise DemoFailed(f"{response.request.method} {response.request.url.path}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def run(settings: Settings, key: str, customers: int, say: Any) -> None:
    """Loads the demo into the workspace of ``key`` (an admin key) through the API."""
    clock = SystemClock()
    today = clock.now().astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    events = history(customers, today)
    cut = today - timedelta(days=LIVE_DAYS)
    past = [e for e in events if e.at < cut]
    recent = [e for e in events if cut <= e.at <= clock.now()]
    app = create_app(settings.model_copy(update={"background_workers": False}), clock=clock)
    headers = {"Authorization": f"Bearer {key}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo", headers=headers, timeout=600
        ) as http:

            async def settle() -> None:
                await run_until_idle(app.state.engine, clock)

            # The schemes and the segment first, so that loading the past rebuilds every
            # customer's tiers and memberships over it.
            for name in TEMPLATES:
                _check(await http.post(f"/v1/schemes/templates/{name}", json={}), 201, 409)
            _check(await http.put(f"/v1/segments/{SEGMENT_KEY}", json=SEGMENT), 200, 201)
            await settle()
            say(f"loading {len(past):,} events of {customers:,} customers' past two years")
            for batch in _whole_customers(past):
                backfill = {"events": batch, "mode": "backfill"}
                _check(await http.post("/v1/events/batch", json=backfill), 200)
            await settle()
            _check(await http.post("/v1/schemes/rfm/refresh"), 200, 201, 202)
            await settle()
            fit = _check(await http.post("/v1/models/clv/fit", json={"holdout_days": 84}), 202, 422)
            await settle()
            if "job_id" in fit:
                job = _check(await http.get(f"/v1/jobs/{fit['job_id']}"), 200)
                if job["status"] != "succeeded":
                    say(f"the CLV model was not fitted: {job.get('error')}")
            else:
                say(f"the CLV model was not fitted: {fit.get('detail')}")
            say(f"sending the last {LIVE_DAYS} days' {len(recent):,} events as live events")
            for batch in _batches(recent):
                _check(await http.post("/v1/events/batch", json={"events": batch}), 200)
            await settle()
    say(f"done: {len(past) + len(recent):,} events, {customers:,} customers")
