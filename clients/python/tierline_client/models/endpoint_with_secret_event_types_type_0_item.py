from enum import StrEnum


class EndpointWithSecretEventTypesType0Item(StrEnum):
    CUSTOMER_DELETED = "customer.deleted"
    CUSTOMER_SEGMENT_ENTERED = "customer.segment_entered"
    CUSTOMER_SEGMENT_EXITED = "customer.segment_exited"
    CUSTOMER_TIER_CHANGED = "customer.tier_changed"
    PING = "ping"

    def __str__(self) -> str:
        return str(self.value)
