from enum import StrEnum


class GapDirectionType0(StrEnum):
    DECREASE = "decrease"
    INCREASE = "increase"

    def __str__(self) -> str:
        return str(self.value)
