"""The webhook settings as operators write them in the environment, and what is refused."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from app.settings import Settings


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


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "", "starting with 0"),
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "5,10", "starting with 0"),
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "0,-5", "non-negative"),
        ("TIERLINE_WEBHOOK_RETRY_SCHEDULE", "0,soon", "valid number"),
        ("TIERLINE_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33", "IPv4 or IPv6 network"),
        ("TIERLINE_WEBHOOK_LEASE_SECONDS", "40", "must exceed 40 s"),
    ],
)
def test_bad_webhook_settings_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=complaint):
        Settings()
