"""Large bodies are parsed off the event loop, with ``json.loads``'s results and errors."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.api.deps import PARSE_IN_THREAD_BYTES, parsed_body, validated_body
from app.api.large_json import loads_in_pieces
from app.events.schemas import BatchIn
from tests.conftest import T0, bearer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(
    st.dictionaries(st.text(), json_values | st.lists(json_values), max_size=5),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
)
def test_pieces_give_what_json_loads_gives(document: Any, indent: int | None, ascii: bool) -> None:
    raw = json.dumps(document, indent=indent, ensure_ascii=ascii).encode()
    assert loads_in_pieces(raw) == json.loads(raw)


@pytest.mark.parametrize(
    "text",
    [
        '{"events": [1, 2,]}',
        '{"events": [1 2]}',
        '{"events": [1, 2]]',
        '{"events": [',
        '{"a": 1,}',
        '{"a" 1}',
        '{"a": 1',
        '{"a": 1} x',
        "{1: 2}",
        "",
        " [1, 2] ",
        '\ufeff{"a": [1]}',
    ],
)
def test_pieces_fail_where_and_as_json_loads_fails(text: str) -> None:
    raw = text.encode()
    try:
        expected: Any = json.loads(raw)
    except json.JSONDecodeError as error:
        with pytest.raises(json.JSONDecodeError) as raised:
            loads_in_pieces(raw)
        assert (raised.value.msg, raised.value.pos) == (error.msg, error.pos)
    else:
        assert loads_in_pieces(raw) == expected


def _heavy_batch() -> bytes:
    """About 10 MiB of small values, the slowest kind of body to parse."""
    properties = {"counts": [0] * 4800}
    events = [
        {"event_id": f"e{n}", "customer_id": "c", "type": "visit", "properties": properties}
        for n in range(1000)
    ]
    return json.dumps({"events": events}).encode()


async def _longest_stall(work: Callable[[], Awaitable[Any]]) -> float:
    """The longest the event loop went without running a 1 ms ticker while ``work`` ran."""
    longest = 0.0
    done = False

    async def tick() -> None:
        nonlocal longest
        while not done:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            longest = max(longest, time.perf_counter() - started)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    try:
        await work()
    finally:
        done = True
        await ticker
    return longest


async def test_a_large_batch_is_parsed_without_stalling_the_event_loop() -> None:
    raw = _heavy_batch()

    async def on_the_loop() -> Any:
        return validated_body(BatchIn, raw)

    async def off_the_loop() -> Any:
        return await parsed_body(BatchIn, raw)

    blocked = await _longest_stall(on_the_loop)
    stalled = await _longest_stall(off_the_loop)
    assert stalled < 0.1
    assert stalled < blocked / 2, (stalled, blocked)
    assert await off_the_loop() == validated_body(BatchIn, raw)


async def test_a_large_batch_is_answered_like_a_small_one(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    # Over PARSE_IN_THREAD_BYTES: 30 events of about 10 KiB.
    event: dict[str, Any] = {"customer_id": "c1", "type": "visit", "occurred_at": T0.isoformat()}
    event["properties"] = {"note": "x" * 10_000}
    events = [event | {"event_id": f"e{n}"} for n in range(30)] + [{"event_id": "bad"}]
    body = json.dumps({"events": events}).encode()
    assert len(body) > PARSE_IN_THREAD_BYTES
    response = await client.post(
        "/v1/events/batch",
        content=body,
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["event_id"], r["status"]) for r in results] == [
        *((f"e{n}", "created") for n in range(30)),
        ("bad", "rejected"),
    ]

    broken = b'{"events": [' + b" " * PARSE_IN_THREAD_BYTES + b"}"
    invalid = await client.post(
        "/v1/events/batch",
        content=broken,
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    assert invalid.status_code == 400
    assert invalid.json()["type"] == "urn:tierline:problem:invalid-json"
