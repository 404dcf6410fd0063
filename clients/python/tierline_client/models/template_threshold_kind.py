from enum import StrEnum


class TemplateThresholdKind(StrEnum):
    COUNT = "count"
    DAYS = "days"
    KEYS = "keys"
    MONEY = "money"
    PROBABILITY = "probability"

    def __str__(self) -> str:
        return str(self.value)
