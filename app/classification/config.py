"""What the write path needs of a workspace's configuration, cached per process, never stale.

Keys, settings, FX rates, metric definitions, schemes, segments, webhook routes and the CLV
model change a few times a day; reading them on every event was six of its round trips. Every
change to them bumps ``workspaces.config_version`` in its own transaction
(``app.auth.repository.config_changed``). A process keeps one ``WorkspaceConfig`` per
workspace with the version it was read at, and an event checks that version in a statement
*after* the one that takes the customer's row lock (``app.events.flush``): a change
committed before that moment is seen there, and the configuration is reloaded before the event
goes on; a change committed later is serialised after the event. Correctness therefore never
depends on a notification reaching the process.

A read answered by one statement (a customer count or search) checks the same way, with the
version read as a column of that statement (``ConfigCache.confirmed``): its answer is the one
the configuration current in the statement's snapshot gives, at no extra round trip when the
cached configuration is current.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.keys import Scope, grants, hash_key
from app.auth.principal import Principal
from app.auth.service import UNKNOWN_KEY, authorize, bearer_key
from app.db import Record
from app.errors import TierlineError, Unauthorized
from app.fx import repository as fx_store
from app.metrics import repository as metric_store
from app.metrics.aggregate import Definition
from app.predictions import repository as prediction_store
from app.segments import repository as segment_store
from app.segments.model import Segment
from app.tiers import repository as tier_store
from app.tiers.policy import Scheme, in_dependency_order
from app.webhooks import outbox

T = TypeVar("T")

ATTEMPTS = 5
"""A request whose configuration changes under every attempt is refused with a 503 after
this many; each change is a deliberate act of an administrator, so it does not happen in
practice."""


class ConfigurationChanging(TierlineError):
    status, slug, title = 503, "configuration-changing", "The configuration kept changing"


@dataclass(frozen=True, slots=True)
class WorkspaceConfig:
    """One workspace's configuration as of ``version``."""

    workspace_id: UUID
    version: int
    base_currency: str
    principals: Mapping[bytes, Principal]
    """The workspace's active keys, by hash."""
    rates: Mapping[str, Decimal]
    definitions: list[Definition]
    schemes: list[Scheme]
    """Active schemes, in dependency order."""
    segments: list[Segment]
    routes: outbox.Routes
    clv_model: Record | None


_WORKSPACE = text(
    "SELECT config_version, base_currency FROM workspaces WHERE id = :ws AND deleted_at IS NULL"
)
_KEYS = text(
    "SELECT id, key_hash, scopes FROM api_keys WHERE workspace_id = :ws AND revoked_at IS NULL"
)
_KEY_WORKSPACE = text("SELECT workspace_id FROM api_keys WHERE key_hash = :hash")


async def read(conn: AsyncConnection, workspace_id: UUID) -> WorkspaceConfig | None:
    """The workspace's configuration, its version read first: a change committed while the
    rest is read shows as a newer version at the next check. None for a deleted workspace."""
    workspace = (await conn.execute(_WORKSPACE, {"ws": workspace_id})).one_or_none()
    if workspace is None:
        return None
    keys = (await conn.execute(_KEYS, {"ws": workspace_id})).all()
    principals = {
        bytes(row.key_hash): Principal(
            workspace_id, row.id, frozenset(row.scopes), workspace.base_currency
        )
        for row in keys
    }
    rates = {row.currency: row.rate for row in await fx_store.all_rates(conn, workspace_id)}
    return WorkspaceConfig(
        workspace_id=workspace_id,
        version=int(workspace.config_version),
        base_currency=workspace.base_currency,
        principals=principals,
        rates=rates,
        definitions=await metric_store.definitions(conn, workspace_id),
        schemes=in_dependency_order(await tier_store.active_schemes(conn, workspace_id)),
        segments=await segment_store.active_segments(conn, workspace_id),
        routes=await outbox.routes(conn, workspace_id),
        clv_model=await prediction_store.active_model(conn, workspace_id),
    )


class ConfigCache:
    """The process's cached configurations, by workspace, and which workspace a key opens."""

    def __init__(self) -> None:
        self._workspaces: dict[UUID, WorkspaceConfig] = {}
        self._key_workspace: dict[bytes, UUID] = {}

    async def reload(self, conn: AsyncConnection, workspace_id: UUID) -> WorkspaceConfig | None:
        config = await read(conn, workspace_id)
        if config is None:
            self._workspaces.pop(workspace_id, None)
        else:
            self._workspaces[workspace_id] = config
        return config

    def principal(
        self, authorization: str | None
    ) -> tuple[bytes, tuple[Principal, WorkspaceConfig] | None]:
        """The key's hash and, when the key is cached, its principal and workspace
        configuration (not yet confirmed current: ``confirm`` does that). Malformed
        credentials are refused at once."""
        key_hash = hash_key(bearer_key(authorization))
        workspace_id = self._key_workspace.get(key_hash)
        config = None if workspace_id is None else self._workspaces.get(workspace_id)
        principal = None if config is None else config.principals.get(key_hash)
        return key_hash, None if config is None or principal is None else (principal, config)

    async def load_principal(
        self, conn: AsyncConnection, key_hash: bytes
    ) -> tuple[Principal, WorkspaceConfig]:
        """For a key this process has not cached: its workspace's configuration, read now."""
        workspace_id = (await conn.execute(_KEY_WORKSPACE, {"hash": key_hash})).scalar()
        config = None if workspace_id is None else await self.reload(conn, workspace_id)
        principal = None if config is None else config.principals.get(key_hash)
        if config is None or principal is None:
            raise Unauthorized(UNKNOWN_KEY)
        self._key_workspace[key_hash] = config.workspace_id
        return principal, config

    async def confirm(
        self, conn: AsyncConnection, key_hash: bytes, workspace_id: UUID, version: int | None
    ) -> WorkspaceConfig | None:
        """After the version check: the configuration as of ``version`` (reloaded when the
        cached one is older) if the key is still active; None when the key was revoked or
        the workspace deleted meanwhile (``version`` None: the workspace is gone)."""
        config = self._workspaces.get(workspace_id)
        if config is None or config.version != version:
            config = await self.reload(conn, workspace_id)
        if config is None or key_hash not in config.principals:
            return None
        return config

    async def current(
        self, conn: AsyncConnection, key_hash: bytes, workspace_id: UUID
    ) -> WorkspaceConfig | None:
        """The configuration as it stands now, if the key is still active: one statement when
        the cached one is current."""
        version = (await conn.execute(_WORKSPACE, {"ws": workspace_id})).scalar()
        return await self.confirm(conn, key_hash, workspace_id, version)

    async def authorized(
        self,
        conn: AsyncConnection,
        key_hash: bytes,
        principal: Principal,
        config: WorkspaceConfig,
        scope: Scope,
    ) -> tuple[Principal, WorkspaceConfig]:
        """The key's principal and workspace configuration as the cache has them
        (``principal``, ``load_principal``), the key holding ``scope``. The configuration is
        not confirmed current (``confirmed`` does that), but a refusal is: a key the cache
        says lacks the scope may have been given it since."""
        if not grants(principal.scopes, scope):
            fresh = await self.current(conn, key_hash, config.workspace_id)
            if fresh is None:
                raise Unauthorized(UNKNOWN_KEY)
            principal, config = fresh.principals[key_hash], fresh
        authorize(principal, scope)
        return principal, config

    async def confirmed(
        self,
        conn: AsyncConnection,
        key_hash: bytes,
        config: WorkspaceConfig,
        attempt: Callable[[WorkspaceConfig], Awaitable[tuple[T, int | None]]],
    ) -> T:
        """What ``attempt`` answers with the configuration current when its statement ran.

        ``attempt`` builds its statement from the configuration it is given and runs it,
        reading the workspace's ``config_version`` in that statement
        (``app.auth.repository.config_version``), and returns its answer with the version
        read. When that version is not the configuration's, the configuration is reloaded
        and ``attempt`` runs again; 401 if the key was revoked or the workspace deleted
        meanwhile. A refusal ``attempt`` raises (e.g. a condition naming a scheme the cached
        configuration lacks) is sent only once the configuration is confirmed current.
        """
        for _ in range(ATTEMPTS):
            try:
                answer, version = await attempt(config)
            except TierlineError:
                fresh = await self.current(conn, key_hash, config.workspace_id)
                if fresh is None:
                    raise Unauthorized(UNKNOWN_KEY) from None
                if fresh.version == config.version:
                    raise
            else:
                if version == config.version:
                    return answer
                fresh = await self.confirm(conn, key_hash, config.workspace_id, version)
                if fresh is None:
                    raise Unauthorized(UNKNOWN_KEY)
            config = fresh
        raise ConfigurationChanging(
            "The workspace's configuration changed under every attempt; send the request again."
        )
