from enum import StrEnum


class BatchInMode(StrEnum):
    BACKFILL = "backfill"
    NORMAL = "normal"

    def __str__(self) -> str:
        return str(self.value)
