"""Who is calling (``Principal``), and the workspace the services act on (``Workspace``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the workspace, the key and what it may do.

    It also carries the workspace's base currency, read with the key in the same query,
    because the write path needs it on every event.
    """

    workspace_id: UUID
    key_id: UUID
    scopes: frozenset[str]
    base_currency: str


@dataclass(frozen=True, slots=True)
class Workspace:
    """A workspace as the write paths need it: its id and the currency amounts convert to."""

    id: UUID
    base_currency: str
