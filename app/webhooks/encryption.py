"""The endpoints' signing secrets at rest: encrypted with ``app.vault``, and the passes over
stored rows that encrypt plain secrets left by earlier versions (at start-up) and re-encrypt
with the first key (``tierline secrets rotate``).

Plain secrets are told by the Standard Webhooks prefix ``whsec_``, which no Fernet token
(``gAAAA...``) starts with. Reading accepts only tokens: the start-up pass leaves no plain
secret behind, so one found later was written around the service and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import and_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.tables import webhook_endpoints
from app.vault import UnreadableSecret, Vault

PLAIN_PREFIX = "whsec_"
BATCH_SIZE = 500

endpoint = webhook_endpoints.c


@dataclass(frozen=True, slots=True)
class Resealed:
    """What a pass over the stored secrets did."""

    changed: int
    """Endpoints whose secrets were (re-)encrypted."""
    unreadable: int
    """Stored secrets no configured key decrypts; left as they were."""


def is_plain(stored: str) -> bool:
    return stored.startswith(PLAIN_PREFIX)


def _resealed(vault: Vault, stored: str, rotate: bool) -> str:
    if is_plain(stored):
        return vault.encrypt(stored)
    if rotate and not vault.under_first_key(stored):
        return vault.reencrypt(stored)
    vault.decrypt(stored)  # readable, or UnreadableSecret
    return stored


async def reseal(
    engine: AsyncEngine, vault: Vault, *, rotate: bool, batch_size: int = BATCH_SIZE
) -> Resealed:
    """Encrypts every plain secret and, with ``rotate``, re-encrypts with the first key every
    secret another key encrypted; counts the secrets no key decrypts. One transaction per batch
    of endpoints; a row is written only if its secrets are still the ones read, so a secret
    rotated through the API meanwhile (already encrypted) is left alone. Running it again
    changes nothing."""
    changed = unreadable = 0
    after: tuple[UUID, UUID] | None = None
    while True:
        query = select(
            endpoint.workspace_id, endpoint.id, endpoint.secret, endpoint.previous_secret
        ).order_by(endpoint.workspace_id, endpoint.id)
        if after is not None:
            query = query.where(tuple_(endpoint.workspace_id, endpoint.id) > after)
        async with engine.begin() as conn:
            rows = (await conn.execute(query.limit(batch_size))).all()
            for row in rows:
                values: dict[str, str] = {}
                for column in ("secret", "previous_secret"):
                    stored = getattr(row, column)
                    if stored is None:
                        continue
                    try:
                        new = _resealed(vault, stored, rotate)
                    except UnreadableSecret:
                        unreadable += 1
                        continue
                    if new != stored:
                        values[column] = new
                if not values:
                    continue
                result = await conn.execute(
                    update(webhook_endpoints)
                    .where(
                        and_(
                            endpoint.workspace_id == row.workspace_id,
                            endpoint.id == row.id,
                            endpoint.secret == row.secret,
                            endpoint.previous_secret.is_not_distinct_from(row.previous_secret),
                        )
                    )
                    .values(**values)
                )
                changed += result.rowcount
        if len(rows) < batch_size:
            return Resealed(changed, unreadable)
        after = (rows[-1].workspace_id, rows[-1].id)
