from enum import StrEnum


class TierChangedDataDirectionType0(StrEnum):
    DOWN = "down"
    ENTERED = "entered"
    UP = "up"

    def __str__(self) -> str:
        return str(self.value)
