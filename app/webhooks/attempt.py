"""What one delivery attempt passes between the queue and the sender: the ``Claim`` the queue
leases and the sender posts, and the ``Outcome`` the sender returns and the queue records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased delivery with everything needed to send it."""

    workspace_id: UUID
    message_id: UUID
    endpoint_id: UUID
    lease: datetime
    url: str
    secret: str
    """Encrypted, as stored (``app.webhooks.encryption``); the sender decrypts it to sign."""
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    type: str
    customer_id: str | None
    data: Mapping[str, Any]
    seq: int
    created_at: datetime

    def ids(self) -> dict[str, str]:
        """The delivery's ids, for log records."""
        return {"message_id": str(self.message_id), "endpoint_id": str(self.endpoint_id)}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    attempted_at: datetime
    status_code: int | None = None
    latency: float = 0.0
    """Seconds; 0 when nothing was sent."""
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None
    """Seconds the receiver asked us to wait (``Retry-After``), if it did."""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
