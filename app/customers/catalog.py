"""The field catalogue of a workspace: what its conditions may refer to.

``app.rules`` checks a condition against a ``FieldCatalog`` it is given; this module builds one
from the built-in metrics (``app.customers.metrics``), the workspace's own metric definitions
and the tier keys of its schemes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.customers.metrics import CLV_METRICS, CLV_MONEY, RFM_METRICS, WINDOWS
from app.metrics.aggregate import AMOUNT, Definition
from app.rules.fields import FieldCatalog, MetricKind

BUILTIN_METRIC_KINDS: Mapping[str, MetricKind] = {
    "order_count": "count",
    "lifetime_spend": "money",
    "refund_total": "money",
    "avg_order_value": "money",
    "first_order_at": "timestamp",
    "last_order_at": "timestamp",
    "last_event_at": "timestamp",
    "days_since_last_order": "count",
    **{f"spend_{window}d": "money" for window in WINDOWS},
    **{f"orders_{window}d": "count" for window in WINDOWS},
    **{name: "count" for name in RFM_METRICS},
    **{name: "money" if name in CLV_MONEY else "number" for name in CLV_METRICS},
}


def user_metric_kind(definition: Definition) -> MetricKind:
    if definition.aggregation == "count":
        return "count"
    return "money" if definition.prop == AMOUNT else "number"


def field_catalog(
    definitions: Iterable[Definition] = (),
    scheme_tiers: Mapping[str, Iterable[str]] | None = None,
) -> FieldCatalog:
    """The built-in metrics, the user-defined ones and each scheme key with its tier keys."""
    metrics: dict[str, MetricKind] = dict(BUILTIN_METRIC_KINDS)
    metrics.update({d.name: user_metric_kind(d) for d in definitions})
    return FieldCatalog(
        metrics=metrics,
        schemes={key: frozenset(tiers) for key, tiers in (scheme_tiers or {}).items()},
    )
