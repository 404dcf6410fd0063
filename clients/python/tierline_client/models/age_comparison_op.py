from enum import StrEnum


class AgeComparisonOp(StrEnum):
    OLDER_THAN_DAYS = "older_than_days"
    WITHIN_DAYS = "within_days"

    def __str__(self) -> str:
        return str(self.value)
