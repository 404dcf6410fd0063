from enum import StrEnum


class EventCreatedStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"

    def __str__(self) -> str:
        return str(self.value)
