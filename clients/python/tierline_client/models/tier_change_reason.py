from enum import StrEnum


class TierChangeReason(StrEnum):
    EVENT = "event"
    GRACE_EXPIRED = "grace_expired"
    IMPORT = "import"
    METRIC_READY = "metric_ready"
    MODEL_REFIT = "model_refit"
    OVERRIDE = "override"
    OVERRIDE_EXPIRED = "override_expired"
    PREDICTION_REFRESH = "prediction_refresh"
    REVIEW = "review"
    RFM_REFRESH = "rfm_refresh"
    RULE_CHANGE = "rule_change"
    TRAITS_CHANGED = "traits_changed"

    def __str__(self) -> str:
        return str(self.value)
