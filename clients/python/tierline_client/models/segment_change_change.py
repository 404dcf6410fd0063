from enum import StrEnum


class SegmentChangeChange(StrEnum):
    ENTERED = "entered"
    EXITED = "exited"

    def __str__(self) -> str:
        return str(self.value)
