from enum import StrEnum


class EndpointFilterDirection(StrEnum):
    ANY = "any"
    DOWN = "down"
    UP = "up"

    def __str__(self) -> str:
        return str(self.value)
