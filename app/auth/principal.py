from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the workspace, the key and what it may do."""

    workspace_id: UUID
    key_id: UUID
    scopes: frozenset[str]
