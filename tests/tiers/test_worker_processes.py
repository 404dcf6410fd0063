"""`tierline worker`: the review scheduler in separate processes, as when scaled out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.tiers.test_tier_lifecycle import VALUE, customer, order, put_scheme
from tests.worker_processes import worker_processes

CUSTOMERS = 30


async def _reviews(app: Any) -> dict[str, int]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT customer_id, count(*) FROM tier_history "
                "WHERE reason = 'review' GROUP BY customer_id"
            )
        )
        return {row[0]: int(row[1]) for row in rows}


async def test_two_worker_processes_review_each_due_customer_once(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    database_url: str,
    tmp_path: Path,
) -> None:
    # The workers run on the system clock: build the state a day ago, so that every
    # customer's big order leaves its 365-day window at the last midnight.
    clock.set(datetime.now(UTC) - timedelta(days=1))
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    placed = clock.now() - timedelta(days=364)
    ids = [f"c{n:02d}" for n in range(CUSTOMERS)]
    for n, customer_id in enumerate(ids):
        await order(client, admin_key, f"o{n}", "6000.00", placed, customer_id)
    assert (await customer(client, admin_key, "c00"))["tiers"]["value"]["tier"] == "vip"

    async with worker_processes(database_url, tmp_path) as workers:
        for _ in range(600):
            if sum((await _reviews(app)).values()) >= CUSTOMERS:
                break
            workers.check_alive()
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # room for a second, wrong review to show up

    assert workers.exit_codes == [0, 0]  # SIGTERM is a clean stop
    assert await _reviews(app) == {customer_id: 1 for customer_id in ids}
    clock.set(datetime.now(UTC))
    for customer_id in ids:
        tiers = (await customer(client, admin_key, customer_id))["tiers"]
        assert tiers["value"]["tier"] == "regular"
