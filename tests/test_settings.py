"""Settings as operators write them in the environment, and what is refused."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from pydantic import ValidationError

from app.clock import FrozenClock
from app.db.engine import create_engine
from app.main import background_loops
from app.observability import Metrics
from app.settings import BACKGROUND_WORK, Settings
from tests.conftest import T0


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "0, 1.5,60")
    monkeypatch.setenv("TIERLINE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8, ::1/128")
    settings = Settings()
    assert settings.webhook_retry_schedule == [0, 1.5, 60]
    assert settings.webhook_allowed_networks == [
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    ]
    assert Settings.model_fields["webhook_allowed_networks"].default == []


def test_a_process_runs_the_background_work_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERLINE_BACKGROUND_WORK", "webhooks, jobs")
    assert Settings().background_work == ["webhooks", "jobs"]
    monkeypatch.delenv("TIERLINE_BACKGROUND_WORK")
    assert Settings().background_work == ["jobs", "reviews", "rfm", "clv", "webhooks", "purge"]


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "", "starting with 0"),
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "5,10", "starting with 0"),
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "0,-5", "non-negative"),
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "0,soon", "valid number"),
        ("TIERLINE_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33", "IPv4 or IPv6 network"),
        ("TIERLINE_WEBHOOK_LEASE_SECONDS", "40", "must exceed 40 s"),
        ("TIERLINE_BACKGROUND_WORK", "webhooks,mail", "'jobs', 'reviews'"),
        ("TIERLINE_BACKGROUND_WORK", "", "at least 1 item"),
    ],
)
def test_bad_webhook_settings_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=complaint):
        Settings()


# The module each kind of background work's loop comes from.
LOOP_MODULES = {
    "jobs": "app.jobs.runner",
    "reviews": "app.reclassification.reviews",
    "rfm": "app.rfm.service",
    "clv": "app.clv.service",
    "webhooks": "app.webhooks.worker",
    "purge": "app.auth.purge",
}


@pytest.mark.parametrize("work", [["webhooks"], ["jobs", "purge", "jobs"], list(BACKGROUND_WORK)])
async def test_a_process_starts_the_loops_of_the_work_it_names(work: list[str]) -> None:
    made = background_loops(
        create_engine("postgresql://127.0.0.1/unused", 1), FrozenClock(T0),
        Settings(background_work=work), Metrics(), asyncio.Event(),
    )  # fmt: skip
    try:
        modules = [loop.cr_frame.f_globals["__name__"] for loop in made]  # type: ignore[attr-defined]
        assert modules == [LOOP_MODULES[name] for name in dict.fromkeys(work)]
    finally:
        for loop in made:
            loop.close()
