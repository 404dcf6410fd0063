"""`tierline import`: formats, bad rows and bad files, resuming, and running beside the server."""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import json
import multiprocessing
import os
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app import cli
from app.api.problems import error_problem
from app.clock import SystemClock
from app.events import backfill, importer, staging
from app.events.import_file import EventFile
from app.events.parsed import parsed
from app.settings import Settings
from tests.conftest import T0, bearer
from tests.customers.test_metrics_oracle import Sent, observed, oracle
from tests.tiers.test_schemes_api import VALUE
from tests.webhooks.test_endpoints import allow_loopback, create_endpoint

COUNTS = re.compile(r"([\d,]+) created, ([\d,]+) duplicate, ([\d,]+) rejected")


@pytest.fixture(autouse=True)
def _only_the_test_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"TIERLINE_{name.upper()}", raising=False)
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)


def history(count: int, customers: int = 40, prefix: str = "e") -> list[dict[str, Any]]:
    """Orders, refunds and visits over two years before T0, customers interleaved."""
    events = []
    for n in range(count):
        kind = ("order", "order", "order", "refund", "visit")[n % 5]
        event: dict[str, Any] = {
            "event_id": f"{prefix}-{n}",
            "customer_id": f"crm-{n % customers}",
            "type": kind,
            "occurred_at": (T0 - timedelta(hours=(n * 7919) % (2 * 365 * 24))).isoformat(),
            "properties": {"channel": ("web", "store")[n % 2]},
        }
        if kind != "visit":
            event["amount"] = f"{(n * 37) % 500}.{n % 100:02d}"
        events.append(event)
    return events


def expected(events: list[dict[str, Any]], customer_id: str) -> dict[str, Any]:
    sent = [
        Sent(
            e["type"],
            datetime.fromisoformat(e["occurred_at"]),
            Decimal(e["amount"]) if "amount" in e else None,
        )
        for e in events
        if e["customer_id"] == customer_id
    ]
    return oracle(sent, T0)


def write_ndjson(path: Path, rows: list[Any], *, gzipped: bool = False) -> Path:
    content = "".join(json.dumps(row) + "\n" for row in rows).encode()
    path.write_bytes(gzip.compress(content) if gzipped else content)
    return path


def files_in(folder: Path) -> list[Path]:
    return list(folder.iterdir())


async def run_import(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Runs `tierline import ...` in a thread (it runs its own event loop); (code, out, err)."""
    code = 0
    try:
        await asyncio.to_thread(cli.main, ["import", *argv])
    except SystemExit as exited:
        code = int(exited.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def counts(out: str) -> tuple[int, int, int]:
    found = COUNTS.search(out)
    assert found, out
    created, duplicate, rejected = (int(group.replace(",", "")) for group in found.groups())
    return created, duplicate, rejected


async def count_rows(app: Any, table: str) -> int:
    async with app.state.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


def lost_on_call(
    failing: int, real: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """``real``, except that its ``failing``-th call loses the database connection."""
    calls = 0

    async def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == failing:
            raise OSError("connection reset by peer")
        return await real(*args, **kwargs)

    return call


async def metrics_of(client: httpx.AsyncClient, key: str, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def assert_metrics_equal_recomputation(
    client: httpx.AsyncClient, key: str, events: list[dict[str, Any]]
) -> None:
    for customer_id in sorted({e["customer_id"] for e in events}):
        body = await metrics_of(client, key, customer_id)
        assert observed(body) == expected(events, customer_id), customer_id


async def test_ndjson_import_stores_every_event_and_reports_counts(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = history(2500)
    source = write_ndjson(tmp_path / "events.ndjson", events)
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "700")
    assert code == 0
    assert counts(out) == (2500, 0, 0)
    assert "rejected rows" not in out
    assert not (tmp_path / "events.ndjson.rejected.ndjson").exists()
    assert await count_rows(app, "events") == 2500
    await assert_metrics_equal_recomputation(client, admin_key, events)


async def test_csv_takes_json_columns_and_one_column_per_name(
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "events.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "event_id",
                "customer_id",
                "type",
                "occurred_at",
                "amount",
                "currency",
                "properties",
                "properties.channel",
                "properties.score",
                "traits.region",
                "traits.vip",
                "traits",
            ]
        )
        writer.writerow(
            [
                "o1",
                "crm-1",
                "order",
                "2026-11-01T10:00:00Z",
                "129.90",
                "EUR",
                '{"note": "two lines",\n "channel": "ignored"}',  # a record over two lines
                "store",
                "4.5",
                "north",
                "true",
                '{"size": "large"}',
            ]
        )
        writer.writerow(
            ["s1", "crm-1", "survey", "2026-11-02T10:00:00Z", "", "", "", "", "3", "", "null", ""]
        )
    code, out, _ = await run_import(capsys, str(source))
    assert code == 0, out
    assert counts(out) == (2, 0, 0)
    customer = await metrics_of(client, admin_key, "crm-1")
    assert customer["traits"] == {"region": "north", "size": "large"}
    assert customer["metrics"]["lifetime_spend"] == "129.90"
    assert customer["metrics"]["survey_count"] == 1
    stored = (await client.get("/v1/customers/crm-1/events", headers=bearer(admin_key))).json()
    by_id = {item["event_id"]: item for item in stored["items"]}
    assert by_id["o1"]["properties"] == {"note": "two lines", "channel": "store", "score": 4.5}
    assert by_id["s1"]["properties"] == {"score": 3}
    assert by_id["s1"]["amount"] is None


@pytest.mark.parametrize(
    ("name", "gzipped", "form"),
    [
        ("events.csv", True, "ndjson"),  # gzipped NDJSON under a CSV name
        ("events.txt", True, "csv"),
        ("events.ndjson.gz", False, "ndjson"),  # a .gz name, not gzipped
        ("events", False, "csv"),
    ],
)
async def test_format_and_compression_are_told_from_the_content(
    app: Any,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    gzipped: bool,
    form: str,
) -> None:
    events = history(30)
    if form == "ndjson":
        content = "".join(json.dumps(e) + "\n" for e in events)
    else:
        columns = ["event_id", "customer_id", "type", "occurred_at", "amount", "properties"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for e in events:
            writer.writerow([*(e.get(c, "") for c in columns[:-1]), json.dumps(e["properties"])])
        content = buffer.getvalue()
    raw = content.encode()
    source = tmp_path / name
    source.write_bytes(gzip.compress(raw) if gzipped else raw)
    assert EventFile(source).format == form
    assert EventFile(source).compressed is gzipped
    code, out, err = await run_import(capsys, str(source))
    assert code == 0, err
    assert counts(out) == (30, 0, 0)
    assert await count_rows(app, "events") == 30


BAD_FILES = [
    ("picture.ndjson", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "neither NDJSON nor CSV"),
    ("array.json", b'[{"event_id": "a"}]\n', "neither NDJSON nor CSV"),
    ("notes.txt", b"Dear diary, today we sold three chairs\n", "neither NDJSON nor CSV"),
    ("products.csv", b"sku,name,price\nA1,chair,10\n", "nor a CSV header row naming"),
    ("latin1.csv", "caf\xe9 au lait\n".encode("latin-1"), "not UTF-8"),
    (
        "orders.csv",
        b"event_id,customer_id,amount\na,b,1\n",
        "CSV file without the required columns: type, occurred_at",
    ),
    ("extra.csv", b"event_id,customer_id,type,occurred_at,note\n", "unknown CSV columns: note"),
    ("packed.gz", gzip.compress(b"\x00\x01\x02binary", mtime=0), "(after gunzip) is binary"),
    ("broken.gz", b"\x1f\x8b\x08\x00garbage", "not a readable gzip file"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), BAD_FILES, ids=[case[0] for case in BAD_FILES]
)
async def test_a_file_that_is_not_ndjson_or_csv_stops_before_writing_anything(
    app: Any,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    message: str,
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    code, out, err = await run_import(capsys, str(source))
    assert code == 1
    assert message in err
    assert "Nothing was imported" in err
    assert out == ""
    assert await count_rows(app, "events") == 0
    assert await count_rows(app, "customers") == 0
    assert files_in(tmp_path) == [source]


async def test_a_missing_file_stops_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await run_import(capsys, str(tmp_path / "nope.ndjson"))
    assert code == 1
    assert "cannot read" in err


async def test_an_empty_file_imports_nothing_and_succeeds(
    admin_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "empty.ndjson"
    source.write_bytes(b"\n\n")
    code, out, _ = await run_import(capsys, str(source))
    assert code == 0
    assert counts(out) == (0, 0, 0)


async def test_chunks_stored_at_once_still_apply_in_file_order(
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two chunks are stored at once, yet the later one writes nothing before the earlier one
    is stored: with the first chunk slow to stage, the first row of an id is still the one
    stored (the second a 409) and the newest traits still win."""
    real = staging.load_encoded

    async def slow_for_the_first_chunk(raw: Any, rows: list[bytes]) -> None:
        if any(b"old" in row for row in rows):
            await asyncio.sleep(1)
        await real(raw, rows)

    monkeypatch.setattr(staging, "load_encoded", slow_for_the_first_chunk)
    at = (T0 - timedelta(days=3)).isoformat()
    first = {"event_id": "o-1", "customer_id": "crm-1", "type": "order", "occurred_at": at}
    lines = [
        {**first, "amount": "10.00", "traits": {"hint": "old"}},
        {**first, "event_id": "v-9", "customer_id": "crm-9", "type": "visit"},
        {**first, "amount": "99.00"},  # o-1 again with another body: a 409
        {**first, "event_id": "v-1", "type": "visit", "traits": {"hint": "new"}},
    ]
    source = tmp_path / "events.ndjson"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "2")
    assert code == 0
    assert counts(out) == (3, 0, 1)
    report = tmp_path / "events.ndjson.rejected.ndjson"
    assert [json.loads(line)["line"] for line in report.read_text().splitlines()] == [3]
    customer = (await client.get("/v1/customers/crm-1", headers=bearer(admin_key))).json()
    assert customer["metrics"]["lifetime_spend"] == "10.00"
    assert customer["traits"] == {"hint": "new"}


async def test_bad_rows_are_rejected_alone_and_written_beside_the_input(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = history(4)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    lines = [
        json.dumps(good[0]),
        '{"event_id": "broken", ',
        json.dumps({**good[1], "event_id": "neg", "amount": "-5"}),
        "",
        json.dumps({**good[1], "event_id": "future", "occurred_at": future}),
        json.dumps({**good[1], "event_id": "jpy", "currency": "JPY"}),
        json.dumps({**good[0], "amount": "1.00"}),  # good[0]'s id with another body: 409
        json.dumps([1, 2]),
        json.dumps(good[2]),
        json.dumps(good[3]),
    ]
    source = tmp_path / "events.ndjson"
    source.write_text("\n".join(lines) + "\n")
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "3")
    assert code == 0
    assert counts(out) == (3, 0, 6)
    report = tmp_path / "events.ndjson.rejected.ndjson"
    assert f"rejected rows and their reasons: {report}" in out
    rejected = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["line"], r["problem"]["status"]) for r in rejected] == [
        (2, 400),
        (3, 422),
        (5, 422),
        (6, 422),
        (7, 409),
        (8, 422),
    ]
    assert rejected[0]["row"] == '{"event_id": "broken", '
    assert rejected[1]["row"]["event_id"] == "neg"
    assert rejected[1]["problem"]["errors"][0]["field"] == "amount"
    assert rejected[2]["problem"]["errors"][0]["code"] == "in_future"
    assert rejected[3]["problem"]["type"] == "urn:tierline:problem:missing-fx-rate"
    assert rejected[4]["problem"]["type"] == "urn:tierline:problem:event-id-conflict"
    assert rejected[5]["row"] == [1, 2]
    assert await count_rows(app, "events") == 3

    # A second run judges the same rows again and rewrites the report.
    code, out, _ = await run_import(capsys, str(source))
    assert counts(out) == (0, 3, 6)
    assert len(report.read_text().splitlines()) == 6


async def test_bad_csv_rows_are_rejected_with_their_cells(
    tmp_path: Path, admin_key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "events.csv"
    source.write_bytes(
        b"event_id,customer_id,type,occurred_at,amount,properties\n"
        b"a,crm-1,order,2026-11-01T10:00:00Z,10,\n"
        b"b,crm-1,order,2026-11-01T10:00:00Z\n"
        b"c,crm-1,order,2026-11-01T10:00:00Z,10,[1]\n"
        b",crm-1,visit,2026-11-01T10:00:00Z,,\n"
        b"d,crm-\xff,visit,2026-11-01T10:00:00Z,,\n"
        b'e,crm-1,visit,2026-11-01T10:00:00Z,,"{""a"":\n1}"\n'
    )
    code, out, _ = await run_import(capsys, str(source))
    assert code == 0
    assert counts(out) == (2, 0, 4)
    rejected = [
        json.loads(line)
        for line in (tmp_path / "events.csv.rejected.ndjson").read_text().splitlines()
    ]
    assert [r["line"] for r in rejected] == [3, 4, 5, 6]
    assert rejected[0]["problem"]["errors"][0]["code"] == "cell_count"
    assert rejected[1]["problem"]["errors"][0]["field"] == "properties"
    assert rejected[1]["row"]["properties"] == "[1]"
    assert rejected[2]["problem"]["errors"][0]["field"] == "event_id"
    assert rejected[3]["problem"]["errors"][0]["field"] == "customer_id"
    assert rejected[3]["row"]["customer_id"] == "crm-\ufffd"


async def test_an_import_stopped_part_way_resumes_without_duplicates(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = history(3000)
    source = write_ndjson(tmp_path / "events.ndjson.gz", events, gzipped=True)
    first = await importer.import_events(
        database_url,
        "default",
        EventFile(source),
        SystemClock(),
        error_problem,
        chunk_size=400,
        max_rows=1300,
    )
    assert (first.created, first.duplicate, first.rejected) == (1300, 0, 0)

    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "400")
    assert code == 0
    assert counts(out) == (1700, 1300, 0)
    assert await count_rows(app, "events") == 3000
    await assert_metrics_equal_recomputation(client, admin_key, events)


async def test_an_import_that_fails_mid_way_keeps_its_chunks_and_resumes(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = history(2000)
    source = write_ndjson(tmp_path / "events.ndjson", events)
    monkeypatch.setattr(
        "app.events.importer.store_for_later", lost_on_call(3, backfill.store_for_later)
    )
    code, out, err = await run_import(capsys, str(source), "--chunk-size", "500")
    assert code == 1
    assert out == ""
    assert "lost the database" in err
    assert "1,000 created" in err
    assert "running the same command again resumes" in err
    assert await count_rows(app, "events") == 1000
    assert multiprocessing.active_children() == []  # the file's reading process has ended

    monkeypatch.setattr("app.events.importer.store_for_later", backfill.store_for_later)
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "500")
    assert code == 0
    assert counts(out) == (1000, 1000, 0)
    await assert_metrics_equal_recomputation(client, admin_key, events)


async def test_an_import_whose_reading_process_dies_fails_and_resumes(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = history(2000)
    source = write_ndjson(tmp_path / "events.ndjson", events)

    def dies_at_row_1200(event: Any) -> Any:
        if event.event_id == "e-1200":
            os._exit(3)
        return parsed(event)

    monkeypatch.setattr("app.events.import_reader.parsed", dies_at_row_1200)
    code, out, err = await run_import(capsys, str(source), "--chunk-size", "500")
    assert code == 1
    assert out == ""
    assert "the process reading the file stopped (exit code 3)" in err
    stored = await count_rows(app, "events")
    assert stored <= 1000

    monkeypatch.setattr("app.events.import_reader.parsed", parsed)
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "500")
    assert code == 0
    assert counts(out) == (2000 - stored, stored, 0)
    await assert_metrics_equal_recomputation(client, admin_key, events)


async def test_an_unknown_workspace_exits_1_and_writes_nothing(
    app: Any, admin_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_ndjson(tmp_path / "events.ndjson", history(10))
    code, out, err = await run_import(capsys, str(source), "--workspace", "nope")
    assert code == 1
    assert "No workspace 'nope'" in err
    assert out == ""
    assert await count_rows(app, "events") == 0


async def test_an_unreachable_database_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIERLINE_DATABASE_URL", "postgresql://tierline@127.0.0.1:9/nowhere")
    source = write_ndjson(tmp_path / "events.ndjson", history(10))
    code, out, err = await run_import(capsys, str(source))
    assert code == 1
    assert "cannot reach the database" in err
    assert out == ""


async def test_import_into_another_workspace(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(admin_key)
    )
    acme_key = created.json()["admin_key"]["key"]
    events = history(50, customers=5)
    source = write_ndjson(tmp_path / "events.ndjson", events)
    code, out, _ = await run_import(capsys, str(source), "--workspace", "acme")
    assert code == 0
    assert counts(out) == (50, 0, 0)
    await assert_metrics_equal_recomputation(client, acme_key, events)
    missing = await client.get("/v1/customers/crm-1", headers=bearer(admin_key))
    assert missing.status_code == 404


async def test_import_runs_while_the_server_writes_to_the_same_customers(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = history(3000, customers=20)
    source = write_ndjson(tmp_path / "events.ndjson", events)
    live = history(300, customers=20, prefix="live")

    async def send_live() -> None:
        for start in range(0, len(live), 10):
            batch = live[start : start + 10]
            await asyncio.gather(
                *(client.post("/v1/events", json=e, headers=bearer(admin_key)) for e in batch)
            )

    (code, out, _), _ = await asyncio.gather(
        run_import(capsys, str(source), "--chunk-size", "250"), send_live()
    )
    assert code == 0
    assert counts(out) == (3000, 0, 0)
    assert await count_rows(app, "events") == 3300
    await assert_metrics_equal_recomputation(client, admin_key, events + live)


async def with_value_scheme(client: httpx.AsyncClient, key: str) -> None:
    response = await client.put("/v1/schemes/value", json=VALUE, headers=bearer(key))
    assert response.status_code in (200, 201), response.text


async def tiers_and_history(app: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each customer's tier in ``value``, and the reasons of its history rows in order."""
    async with app.state.engine.connect() as conn:
        tiers = dict(
            (await conn.execute(text("SELECT customer_id, tier FROM customer_tiers"))).all()
        )
        history: dict[str, list[str]] = {}
        for customer_id, reason in await conn.execute(
            text("SELECT customer_id, reason FROM tier_history ORDER BY customer_id, seq")
        ):
            history.setdefault(customer_id, []).append(reason)
    return tiers, history


def expected_tier(events: list[dict[str, Any]], customer_id: str) -> str:
    spend = expected(events, customer_id)["lifetime_spend"]
    orders = expected(events, customer_id)["order_count"]
    if Decimal(spend) >= 1000:
        return "vip"
    return "regular" if orders >= 1 else "potential"


async def rebuilt_histories(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Each customer's ``value`` history rows, in order: from, to, when, reason."""
    async with app.state.engine.connect() as conn:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for customer_id, *row in await conn.execute(
            text(
                "SELECT customer_id, from_tier, to_tier, changed_at, reason FROM tier_history "
                "ORDER BY customer_id, seq"
            )
        ):
            found.setdefault(customer_id, []).append(tuple(row))
    return found


def assert_rebuilt(rows: list[tuple[Any, ...]], tier: str) -> None:
    """A history rebuilt from the events: a chain of moves in time order, each as an event
    or a review would have made it, ending in the customer's tier."""
    assert [r[0] for r in rows] == [None, *(r[1] for r in rows[:-1])]
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)
    assert all(r[2] <= T0 for r in rows)
    assert {r[3] for r in rows} <= {"event", "review", "grace_expired"}
    assert rows[-1][1] == tier


async def test_each_customer_is_classified_once_at_the_end_of_the_import(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await with_value_scheme(client, admin_key)
    events = history(2000, customers=40)
    source = write_ndjson(tmp_path / "events.ndjson", events)

    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "100")

    assert code == 0
    assert "40 customers classified" in out
    tiers, _ = await tiers_and_history(app)
    customers = sorted({e["customer_id"] for e in events})
    assert tiers == {c: expected_tier(events, c) for c in customers}
    # Twenty chunks touched every customer; each history was rebuilt once, from all its
    # events, not once per chunk.
    rebuilt = await rebuilt_histories(app)
    assert sorted(rebuilt) == customers
    for customer_id in customers:
        assert_rebuilt(rebuilt[customer_id], tiers[customer_id])
    assert await count_rows(app, "pending_classifications") == 0
    await assert_metrics_equal_recomputation(client, admin_key, events)


async def test_a_crash_before_the_classification_is_finished_by_a_rerun(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await with_value_scheme(client, admin_key)
    events = history(1000, customers=30)
    source = write_ndjson(tmp_path / "events.ndjson", events)
    monkeypatch.setattr(importer, "CLASSIFY_CHUNK", 20)
    monkeypatch.setattr(
        "app.events.importer.classify_pending", lost_on_call(2, backfill.classify_pending)
    )
    code, _, err = await run_import(capsys, str(source), "--chunk-size", "300")
    assert code == 1
    assert "lost the database" in err
    assert await count_rows(app, "events") == 1000
    assert await count_rows(app, "pending_classifications") == 10  # the first 20 were done
    tiers, _ = await tiers_and_history(app)
    assert len(tiers) == 20

    monkeypatch.setattr("app.events.importer.classify_pending", backfill.classify_pending)
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "300")
    assert code == 0
    assert counts(out) == (0, 1000, 0)
    assert "10 customers classified" in out
    customers = sorted({e["customer_id"] for e in events})
    tiers, _ = await tiers_and_history(app)
    assert tiers == {c: expected_tier(events, c) for c in customers}
    rebuilt = await rebuilt_histories(app)
    for customer_id in customers:
        assert_rebuilt(rebuilt[customer_id], tiers[customer_id])
    assert await count_rows(app, "pending_classifications") == 0


async def test_without_history_each_customer_moves_once_as_of_the_import(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await with_value_scheme(client, admin_key)
    events = history(600, customers=20)
    source = write_ndjson(tmp_path / "events.ndjson", events)

    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "100", "--no-history")

    assert code == 0
    assert "20 customers classified" in out
    tiers, history_rows = await tiers_and_history(app)
    customers = sorted({e["customer_id"] for e in events})
    assert tiers == {c: expected_tier(events, c) for c in customers}
    assert history_rows == {c: ["import"] for c in customers}


async def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await with_value_scheme(client, admin_key)
    events = history(600, customers=25)
    source = write_ndjson(tmp_path / "events.ndjson", events)
    assert (await run_import(capsys, str(source), "--chunk-size", "200"))[0] == 0

    async def row_versions() -> list[Any]:
        async with app.state.engine.connect() as conn:
            return [
                list(await conn.execute(text(f"SELECT xmin::text, * FROM {table} ORDER BY 2, 3")))
                for table in ("customers", "customer_days", "customer_tiers", "tier_history")
            ]

    before = await row_versions()
    code, out, _ = await run_import(capsys, str(source), "--chunk-size", "200")
    assert code == 0
    assert counts(out) == (0, 600, 0)
    assert "0 customers classified" in out
    assert await row_versions() == before


async def test_notify_sends_each_customers_net_change_over_the_whole_import(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await with_value_scheme(client, admin_key)
    allow_loopback(app)  # no worker runs: nothing is sent
    await create_endpoint(client, admin_key)
    events = history(900, customers=15)
    source = write_ndjson(tmp_path / "events.ndjson", events)

    code, _, _ = await run_import(capsys, str(source), "--chunk-size", "100", "--notify")

    assert code == 0
    async with app.state.engine.connect() as conn:
        sent = list(
            await conn.execute(
                text(
                    "SELECT customer_id, data ->> 'to_tier', data ->> 'reason' "
                    "FROM webhook_messages ORDER BY 1"
                )
            )
        )
    customers = sorted({e["customer_id"] for e in events})
    assert sent == [(c, expected_tier(events, c), "import") for c in customers]


async def test_traits_merged_past_16_kib_are_refused_with_their_customers_other_events_kept(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chunk = "x" * 6000  # each event well under the limit; the three merged are over it
    big = [
        {
            "event_id": f"t{n}",
            "customer_id": "crm-big",
            "type": "visit",
            "occurred_at": (T0 - timedelta(days=n + 1)).isoformat(),
            "traits": {f"t{n}": chunk},
        }
        for n in range(3)
    ]
    order = {
        "event_id": "o1",
        "customer_id": "crm-big",
        "type": "order",
        "occurred_at": (T0 - timedelta(days=9)).isoformat(),
        "amount": "10.00",
    }
    other = {
        "event_id": "o2",
        "customer_id": "crm-small",
        "type": "order",
        "occurred_at": (T0 - timedelta(days=9)).isoformat(),
        "amount": "5.00",
        "traits": {"region": "north"},
    }
    source = write_ndjson(tmp_path / "events.ndjson", [*big, order, other])

    code, out, _ = await run_import(capsys, str(source))

    assert code == 0
    assert counts(out) == (2, 0, 3)
    report = importer.rejected_path_for(source).read_text()
    reported = [json.loads(line) for line in report.splitlines()]
    assert [r["line"] for r in reported] == [1, 2, 3]
    assert {r["problem"]["errors"][0]["code"] for r in reported} == {"too_large"}
    big_customer = await metrics_of(client, admin_key, "crm-big")
    assert big_customer["traits"] == {}
    assert big_customer["metrics"]["order_count"] == 1
    small_customer = await metrics_of(client, admin_key, "crm-small")
    assert small_customer["traits"] == {"region": "north"}
    assert await count_rows(app, "events") == 2
