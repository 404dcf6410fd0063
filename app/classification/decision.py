"""What the pipeline decides for one customer, by the Python engine: its tiers in every
scheme, its entries and exits of every segment, and its next review. The event flush
(``app.events.flush``) decides each of its customers so, and the reconstruction of an
import's history (``app.classification.reconstruct``) each moment of a customer's past."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.clock import earliest
from app.customers.service import CustomerView
from app.rules.evaluate import evaluate
from app.segments import membership
from app.segments.membership import MembershipChange
from app.segments.model import Segment
from app.tiers import policy
from app.tiers.policy import Assignment, Classification, Reason, Scheme


@dataclass(frozen=True, slots=True)
class Decided:
    tiers: Classification
    segment_changes: list[MembershipChange]
    review: datetime | None


def decide(
    schemes: list[Scheme],
    segments: Sequence[Segment],
    customer: CustomerView,
    held: Mapping[str, Assignment],
    members: Set[str],
    now: datetime,
    reason: Reason,
) -> Decided:
    """The customer's tiers after ``held``, its segment moves from ``members`` (the keys of
    the segments it is in) and its next review, as of ``now``."""
    pending = set(customer.pending_metrics)
    tiers = policy.classify(schemes, customer.facts({}), held, now, reason, pending_metrics=pending)
    seen = {key: a.tier for key, a in held.items()} | {
        key: a.tier for key, a in tiers.assignments.items()
    }
    facts_now = customer.facts(seen)
    ready = [s for s in segments if not s.reads_metrics & pending]
    changes = []
    for segment in ready:
        inside = evaluate(segment.condition, facts_now, now)
        if inside != (segment.key in members):
            change: Literal["entered", "exited"] = "entered" if inside else "exited"
            changes.append(
                MembershipChange(customer.customer_id, segment.key, segment.version, change)
            )
    review = earliest(
        customer.next_review_at, tiers.next_review_at, membership.next_review(ready, facts_now, now)
    )
    return Decided(tiers, changes, review)
