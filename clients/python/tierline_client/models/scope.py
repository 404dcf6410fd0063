from enum import StrEnum


class Scope(StrEnum):
    ADMIN = "admin"
    CUSTOMERSREAD = "customers:read"
    CUSTOMERSWRITE = "customers:write"
    EVENTSWRITE = "events:write"
    INSTANCE = "instance"
    SCHEMESWRITE = "schemes:write"
    SEGMENTSREAD = "segments:read"
    SEGMENTSWRITE = "segments:write"
    WEBHOOKSMANAGE = "webhooks:manage"

    def __str__(self) -> str:
        return str(self.value)
