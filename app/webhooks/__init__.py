"""Webhooks: endpoints, the transactional outbox, signing and the delivery worker."""

from typing import Final

TIER_CHANGED: Final = "customer.tier_changed"
SEGMENT_ENTERED: Final = "customer.segment_entered"
SEGMENT_EXITED: Final = "customer.segment_exited"
CUSTOMER_DELETED: Final = "customer.deleted"
PING: Final = "ping"

EVENT_TYPES: Final = (TIER_CHANGED, SEGMENT_ENTERED, SEGMENT_EXITED, CUSTOMER_DELETED, PING)
"""Every type an endpoint may subscribe to; a ``ping`` goes only where ``test`` sends it."""

CHANNEL: Final = "tierline_webhooks"
"""The LISTEN/NOTIFY channel that wakes delivery workers; its payload is a workspace id."""
