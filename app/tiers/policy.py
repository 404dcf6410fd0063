"""How a customer's tier in a scheme moves: the pure part, shared by every trigger.

The tier a customer *qualifies* for is the first tier (highest first) whose condition holds,
else the default. The tier a customer *has* follows it:

- the first classification, an upgrade, or a move out of a tier the scheme no longer has
  happen at once;
- qualifying for the tier one has cancels a pending downgrade;
- a downgrade waits until both ``downgrade_grace_days`` have passed since the customer first
  stopped qualifying and ``min_days_in_tier`` since the customer entered the tier. Days are
  whole UTC days, like the metric windows: a customer who stops qualifying on 1 March with
  30 days of grace keeps the tier through 30 March and moves at midnight starting 31 March.
  Meanwhile the pending downgrade (to the tier the customer qualifies for now, and when) is
  stored with the assignment and shown on the customer.

``app.tiers.bulk`` follows the same rules in SQL; a test holds the two equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from app.clock import earliest, midnight, utc_day
from app.rules.evaluate import Timed, evaluate, next_flip_among, time_comparisons
from app.rules.fields import referenced_metrics, referenced_schemes
from app.rules.schema import Node, parse_condition

Reason = Literal[
    "event",
    "traits_changed",
    "rule_change",
    "review",
    "grace_expired",
    "import",
    "metric_ready",
    "override",
    "override_expired",
    "rfm_refresh",
    "model_refit",
    "prediction_refresh",
]


@dataclass(frozen=True, slots=True)
class Tier:
    key: str
    name: str
    condition: Node


@dataclass(frozen=True, slots=True)
class Scheme:
    """One version of a scheme, parsed."""

    key: str
    version: int
    name: str
    tiers: tuple[Tier, ...]
    default_tier: str
    grace_days: int
    min_days_in_tier: int
    grace_on_change: bool
    reads_schemes: frozenset[str]
    reads_metrics: frozenset[str]
    timed: tuple[Timed, ...]
    """The comparisons of its tiers that time alone can flip (``next_flip``)."""

    @property
    def tier_keys(self) -> list[str]:
        return [tier.key for tier in self.tiers] + [self.default_tier]

    def rank(self, tier: str) -> int | None:
        """0 for the highest tier, the default last; None for a tier this version lacks."""
        keys = self.tier_keys
        return keys.index(tier) if tier in keys else None

    def movement(
        self, from_tier: str | None, to_tier: str
    ) -> Literal["entered", "up", "down"] | None:
        """``entered`` for a customer's first tier in the scheme, ``up`` towards the first
        tier, ``down`` towards the default; None when the old tier is not in this version."""
        if from_tier is None:
            return "entered"
        old, new = self.rank(from_tier), self.rank(to_tier)
        if old is None or new is None:
            return None
        return "up" if new < old else "down"

    def qualifies_for(self, customer: Mapping[str, Any], now: datetime) -> str:
        for tier in self.tiers:
            if evaluate(tier.condition, customer, now):
                return tier.key
        return self.default_tier

    def next_flip(self, customer: Mapping[str, Any], now: datetime) -> datetime | None:
        return next_flip_among(self.timed, customer, now)


def scheme_from_definition(key: str, version: int, definition: Mapping[str, Any]) -> Scheme:
    tiers = tuple(
        Tier(t["key"], t["name"], parse_condition(t["condition"])) for t in definition["tiers"]
    )
    return Scheme(
        key=key,
        version=version,
        name=definition["name"],
        tiers=tiers,
        default_tier=definition["default_tier"],
        grace_days=definition["downgrade_grace_days"],
        min_days_in_tier=definition["min_days_in_tier"],
        grace_on_change=definition["grace_on_change"],
        reads_schemes=frozenset().union(*(referenced_schemes(t.condition) for t in tiers)),
        reads_metrics=frozenset().union(*(referenced_metrics(t.condition) for t in tiers)),
        timed=tuple(c for t in tiers for c in time_comparisons(t.condition)),
    )


@lru_cache(maxsize=512)
def parse_stored(key: str, version: int, definition_text: str) -> Scheme:
    """Versions never change once saved, and parsing a condition costs more than reading it:
    the stored text itself is the cache key, so no stale parse can ever be served."""
    return scheme_from_definition(key, version, json.loads(definition_text))


@dataclass(frozen=True, slots=True)
class Override:
    """A tier pinned by hand: the rules do not move the customer until it expires."""

    tier: str
    reason: str
    set_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class Assignment:
    """A customer's tier in one scheme, a downgrade that waits, if any, and an override."""

    tier: str
    version: int
    since: datetime
    downgrade_to: str | None = None
    downgrade_since: datetime | None = None
    downgrade_at: datetime | None = None
    override: Override | None = None


@dataclass(frozen=True, slots=True)
class Change:
    scheme: str
    version: int
    from_tier: str | None
    to_tier: str
    reason: Reason


def downgrade_due(scheme: Scheme, since: datetime, stopped: datetime) -> datetime:
    """When a downgrade that started at ``stopped`` may happen, for a tier entered at ``since``."""
    after_grace = midnight(utc_day(stopped) + timedelta(days=scheme.grace_days))
    after_tenure = midnight(utc_day(since) + timedelta(days=scheme.min_days_in_tier))
    return max(after_grace, after_tenure)


def decide(
    scheme: Scheme,
    current: Assignment | None,
    qualified: str,
    now: datetime,
    reason: Reason,
    *,
    grace: bool = True,
) -> tuple[Assignment, Change | None]:
    """The customer's assignment after qualifying for ``qualified`` at ``now``, and the change
    to record, if the tier moves. ``grace=False`` (a version saved with
    ``grace_on_change: false``) applies downgrades at once. An active override holds its tier
    whatever the rules say; once it has expired the rules apply at once, without grace."""
    if current is not None and current.override is not None:
        pinned = current.override
        if pinned.active(now):
            if current.tier == pinned.tier:
                return replace(current, version=scheme.version), None
            return (
                Assignment(pinned.tier, scheme.version, now, override=pinned),
                Change(scheme.key, scheme.version, current.tier, pinned.tier, "override"),
            )
        current, grace, reason = replace(current, override=None), False, "override_expired"
    if current is None:
        return (
            Assignment(qualified, scheme.version, now),
            Change(scheme.key, scheme.version, None, qualified, reason),
        )
    held, wanted = scheme.rank(current.tier), scheme.rank(qualified)
    assert wanted is not None
    if current.tier == qualified:
        return Assignment(current.tier, scheme.version, current.since), None
    if held is None or wanted < held:
        return (
            Assignment(qualified, scheme.version, now),
            Change(scheme.key, scheme.version, current.tier, qualified, reason),
        )
    stopped = current.downgrade_since or now
    due = downgrade_due(scheme, current.since, stopped) if grace else now
    if due <= now:
        waited = grace and current.downgrade_since is not None
        return (
            Assignment(qualified, scheme.version, now),
            Change(
                scheme.key,
                scheme.version,
                current.tier,
                qualified,
                "grace_expired" if waited else reason,
            ),
        )
    pending = replace(
        current,
        version=scheme.version,
        downgrade_to=qualified,
        downgrade_since=stopped,
        downgrade_at=due,
    )
    return pending, None


class SchemeCycle(Exception):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(" -> ".join(keys))
        self.keys = keys


def dependency_order(schemes: Mapping[str, Iterable[str]]) -> list[str]:
    """Scheme keys ordered so that a scheme comes after every scheme whose tiers it reads
    (``schemes`` maps a key to the keys it reads). Raises ``SchemeCycle`` with the keys
    around a cycle when there is no such order."""
    reads = {key: sorted(set(deps) & schemes.keys()) for key, deps in schemes.items()}
    order: list[str] = []
    done: set[str] = set()

    def visit(key: str, path: list[str]) -> None:
        if key in done:
            return
        if key in path:
            raise SchemeCycle([*path[path.index(key) :], key])
        for dep in reads[key]:
            visit(dep, [*path, key])
        done.add(key)
        order.append(key)

    for key in sorted(reads):
        visit(key, [])
    return order


def in_dependency_order(schemes: Iterable[Scheme]) -> list[Scheme]:
    """The schemes, each after every scheme whose tiers it reads (``SchemeCycle`` if none)."""
    by_key = {scheme.key: scheme for scheme in schemes}
    return [by_key[key] for key in _order(tuple((k, s.reads_schemes) for k, s in by_key.items()))]


@lru_cache(maxsize=1024)
def _order(reads: tuple[tuple[str, frozenset[str]], ...]) -> tuple[str, ...]:
    # Every event classifies with the same few schemes: their order is worked out once.
    return tuple(dependency_order(dict(reads)))


def affected(schemes: Iterable[Scheme], changed: Iterable[str]) -> list[Scheme]:
    """The schemes in ``changed`` and every scheme that reads their tiers, in dependency
    order."""
    reached = set(changed)
    ordered = in_dependency_order(schemes)
    for scheme in ordered:  # a reader comes after what it reads, so one pass suffices
        if scheme.reads_schemes & reached:
            reached.add(scheme.key)
    return [scheme for scheme in ordered if scheme.key in reached]


@dataclass(frozen=True, slots=True)
class Classification:
    assignments: dict[str, Assignment]
    changed: dict[str, Assignment]
    changes: list[Change]
    next_review_at: datetime | None


def classify(
    schemes: list[Scheme],
    customer: Mapping[str, Any],
    current: Mapping[str, Assignment],
    now: datetime,
    reason: Reason,
    *,
    pending_metrics: Iterable[str] = (),
) -> Classification:
    """Every scheme for one customer (``customer``: its facts, as ``CustomerView.facts``
    gives them), in dependency order, so that a scheme reading ``tiers.<other>`` sees the
    other's new tier. A scheme that reads a metric still being backfilled keeps its tiers
    until the backfill ends (a null there would read as a drop)."""
    waiting = set(pending_metrics)
    tiers: dict[str, str] = {}
    context = {**customer, "tiers": tiers}
    assignments: dict[str, Assignment] = {}
    changed: dict[str, Assignment] = {}
    changes: list[Change] = []
    for scheme in in_dependency_order(schemes):
        key = scheme.key
        held = current.get(key)
        if waiting & scheme.reads_metrics:
            if held is not None:
                assignments[key] = held
                tiers[key] = held.tier
            continue
        assignment, change = decide(scheme, held, scheme.qualifies_for(context, now), now, reason)
        assignments[key] = assignment
        tiers[key] = assignment.tier
        if assignment != held:
            changed[key] = assignment
        if change is not None:
            changes.append(change)
    return Classification(
        assignments, changed, changes, next_review(schemes, context, assignments, now)
    )


def next_review(
    schemes: list[Scheme],
    customer: Mapping[str, Any],
    assignments: Mapping[str, Assignment],
    now: datetime,
) -> datetime | None:
    """The next moment the customer's tiers may move with no new data: a rule's time
    comparison flips, a pending downgrade falls due, or an override expires."""
    return earliest(
        *(a.downgrade_at for a in assignments.values()),
        *(a.override.expires_at for a in assignments.values() if a.override is not None),
        *(scheme.next_flip(customer, now) for scheme in schemes),
    )


def shown(assignments: Mapping[str, Assignment]) -> dict[str, dict[str, Any]]:
    """Assignments as the customer's ``tiers``."""
    return {
        key: {
            "tier": a.tier,
            "version": a.version,
            "since": a.since,
            "pending_downgrade": None
            if a.downgrade_to is None
            else {"to": a.downgrade_to, "since": a.downgrade_since, "at": a.downgrade_at},
            "override": None
            if a.override is None
            else {
                "tier": a.override.tier,
                "reason": a.override.reason,
                "set_at": a.override.set_at,
                "expires_at": a.override.expires_at,
            },
        }
        for key, a in sorted(assignments.items())
    }
