"""Each console page in headless Chromium: it loads without a console error and without a
request leaving 127.0.0.1, and shows the API's own figures."""

from __future__ import annotations

import pytest

from tests.console.conftest import MARKUP, Console, Site

PAGES = [
    ("overview", "/overview?scheme=value"),
    ("movement", "/movement?scheme=value"),
    ("effect", "/effect?scheme=value"),
    ("preview", "/preview?scheme=value"),
    ("customer", "/customer?id=cust-00001"),
    ("segments", "/segments"),
]


def test_the_key_from_the_fragment_is_kept_in_the_tab_and_cleared_from_the_address(
    console: Console, site: Site
) -> None:
    console.open(site.key, "/overview?scheme=value")
    assert "key=" not in console.driver.current_url
    assert console.driver.current_url.endswith("/console#/overview?scheme=value")
    stored = console.driver.execute_script("return sessionStorage.getItem('tierline.key')")
    assert stored == site.key


@pytest.mark.parametrize(("name", "route"), PAGES, ids=[name for name, _ in PAGES])
def test_each_page_loads_cleanly_and_only_from_loopback(
    console: Console, site: Site, name: str, route: str
) -> None:
    console.driver.get_log("browser")
    console.driver.get_log("performance")
    console.open(site.key, route)
    if name == "preview":
        console.driver.find_element("id", "run-preview").click()
        console.driver.execute_script(
            "return new Promise(r => { const t = setInterval(() => {"
            " if (document.querySelector(\"table[data-table='preview-transitions']\"))"
            " { clearInterval(t); r(); } }, 100); })"
        )
    assert console.text("main").strip()
    errors = console.driver.find_elements("css selector", "main .message.error")
    assert [e.text for e in errors] == []
    assert console.console_errors() == []
    assert console.requested_hosts() == {"127.0.0.1"}
    assert console.screenshot(name).stat().st_size > 10_000


def test_overview_shows_the_distribution_now_and_at_each_month_end(
    console: Console, site: Site
) -> None:
    console.open(site.key, "/overview?scheme=value")
    now = site.get("/v1/analytics/schemes/value/distribution")
    assert now["total"] > 0
    assert console.table("distribution-now") == [
        [t["tier"], str(t["count"]), t["share"]] for t in now["tiers"]
    ]
    months = console.table("distribution-months")
    assert len(months) == 12
    as_of = months[-1][1]
    past = site.get("/v1/analytics/schemes/value/distribution", as_of=as_of)
    assert months[-1][-1] == str(past["total"])


def test_movement_shows_the_api_transitions(console: Console, site: Site) -> None:
    console.open(site.key, "/movement?scheme=value")
    moves = site.get("/v1/analytics/schemes/value/transitions")
    assert moves["transitions"], "the demo's live month moves someone"
    move = moves["transitions"][0]
    cell = console.text(
        f"table[data-table='transitions'] td[data-from='{move['from']}'][data-to='{move['to']}']"
    )
    assert cell == str(move["count"])
    entered = {row[0]: row[1] for row in console.table("entered")}
    assert entered == {t["tier"]: str(t["count"]) for t in moves["entered"]}


def test_effect_shows_the_api_performance_and_the_clv_report(console: Console, site: Site) -> None:
    console.open(site.key, "/effect?scheme=value&from=2025-01-01")
    result = site.get("/v1/analytics/schemes/value/performance", **{"from": "2025-01-01"})
    rows = console.table("performance")
    first = result["tiers"][0]
    assert rows[0] == [
        first["tier"],
        str(first["customers"]),
        first["revenue"],
        str(first["orders"]),
        first["average_order_value"] or "—",
        first["retention"] or "—",
    ]
    model = site.get("/v1/models/clv")
    weeks = console.table("clv-tracking")
    assert weeks[0][3:5] == [
        str(model["tracking"]["weeks"][0]["predicted"]),
        str(model["tracking"]["weeks"][0]["actual"]),
    ]


def test_customer_shows_tiers_and_their_explanation(console: Console, site: Site) -> None:
    console.open(site.key, "/customer?id=cust-00001")
    profile = site.get("/v1/customers/cust-00001")
    tiers = {row[0]: row[1] for row in console.table("tiers")}
    assert tiers == {scheme: t["tier"] for scheme, t in profile["tiers"].items()}
    explained = site.get("/v1/customers/cust-00001/tiers/value/explain")
    heading = console.text("section[data-scheme='value'] h3")
    assert f"qualifies for {explained['qualifies_for']}" in heading
    if explained["keep_tier"] and explained["keep_tier"]["lose_if"]:
        keep = console.text("section[data-scheme='value'] [data-explain='keep']")
        assert explained["keep_tier"]["lose_if"]["text"] in keep
    if explained["next_tier"] and explained["next_tier"]["missing"]:
        next_text = console.text("section[data-scheme='value'] [data-explain='next']")
        assert explained["next_tier"]["key"] in next_text
    events = site.get("/v1/customers/cust-00001/events", limit="20")
    assert [row[2] for row in console.table("events")] == [e["event_id"] for e in events["items"]]


def test_a_trait_holding_markup_is_shown_as_text_and_runs_nothing(
    console: Console, site: Site
) -> None:
    console.driver.get_log("browser")
    console.open(site.key, "/customer?id=markup")
    assert ["note", MARKUP] in console.table("traits")
    assert console.driver.find_elements("css selector", "main img") == []
    assert console.driver.execute_script("return window.__ran === undefined")
    assert console.console_errors() == []


def test_segments_show_the_size_and_flows_per_month(console: Console, site: Site) -> None:
    console.open(site.key, "/segments")
    count = site.get("/v1/segments/big-spenders/count")
    assert ["big-spenders", "Big spenders", str(count["count"])] in console.table("segments")
    flows = site.get("/v1/analytics/segments/big-spenders/flows", interval="month")
    assert console.table("segment-flows") == [
        [p["start"][:7], p["start"], p["end"], str(p["entered"]), str(p["exited"]), str(p["size"])]
        for p in flows["periods"]
    ]


@pytest.mark.parametrize(
    ("scopes", "route", "missing"),
    [
        ("customers:read", "/overview?scheme=value", "segments:read"),
        ("customers:read", "/movement?scheme=value", "segments:read"),
        ("customers:read", "/segments", "segments:read"),
        ("segments:read", "/customer?id=cust-00001", "customers:read"),
        ("segments:read", "/effect?scheme=value", "customers:read"),
        ("segments:read,customers:read", "/preview?scheme=value", "schemes:write"),
    ],
)
def test_a_key_lacking_a_pages_scope_is_told_which(
    console: Console, site: Site, scopes: str, route: str, missing: str
) -> None:
    console.open(site.keys[scopes], route)
    if route.startswith("/preview"):
        console.driver.find_element("id", "run-preview").click()
        console.driver.execute_script(
            "return new Promise(r => { const t = setInterval(() => {"
            " if (document.querySelector('[data-missing-scope]')) { clearInterval(t); r(); }"
            " }, 100); })"
        )
    shown = console.text("[data-missing-scope]")
    assert f"“{missing}”" in shown
    assert "lacks it" in shown
