"""The body of a message, in the Standard Webhooks format: ``type``, ``timestamp``, ``data``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def payload(
    type_: str, created_at: datetime, data: Mapping[str, Any], sequence: int, customer: bool
) -> dict[str, Any]:
    """What the subscriber receives. A customer's messages carry ``data.sequence``, which
    increases with each of that customer's messages: order by it, not by arrival."""
    body = dict(data)
    if customer:
        body["sequence"] = sequence
    timestamp = created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"type": type_, "timestamp": timestamp, "data": body}


def encode(body: Mapping[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
