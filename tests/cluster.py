"""The test server as a set of nodes: one PostgreSQL, or a Citus coordinator and its workers.

On Citus a database is one database of the same name on every node, so the fixtures create,
clone and drop each test database on every node, and register the workers in the
coordinator's copy. Cloning needs a template nobody is connected to, and Citus's maintenance
daemon stays connected to every database that has the extension (and connects the nodes to
each other's), so a template is closed to connections before it is cloned
(``ALLOW_CONNECTIONS false``, then its sessions ended).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

from app.db.url import asyncpg_dsn


@dataclass(frozen=True)
class Server:
    """The server the tests run on: its URL (coordinator's, on Citus) and the worker nodes'
    ``(host, port)``, empty on one PostgreSQL."""

    url: str
    workers: tuple[tuple[str, int], ...]

    @property
    def citus(self) -> bool:
        return bool(self.workers)

    def node_urls(self, database: str | None = None) -> list[str]:
        """Every node's URL, the coordinator's first, to ``database`` (default: the
        server URL's own)."""
        base = make_url(self.url)
        if database is not None:
            base = base.set(database=database)
        urls = [base.render_as_string(hide_password=False)]
        urls += [
            base.set(host=host, port=port).render_as_string(hide_password=False)
            for host, port in self.workers
        ]
        return urls

    async def admin_connections(self) -> list[asyncpg.Connection]:
        return [await asyncpg.connect(asyncpg_dsn(url)) for url in self.node_urls()]


async def discover(url: str) -> Server:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        has_citus = await conn.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        workers: list[tuple[str, int]] = []
        if has_citus:
            rows = await conn.fetch(
                "SELECT nodename, nodeport FROM pg_dist_node "
                "WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeport"
            )
            workers = [(row["nodename"], row["nodeport"]) for row in rows]
    finally:
        await conn.close()
    return Server(url, tuple(workers))


async def create_database(
    server: Server, name: str, template: str | None = None, *, citus: bool = True
) -> None:
    """Creates ``name`` on every node; from ``template`` (cloned file by file), or empty, with
    Citus and its workers registered on a cluster unless ``citus`` is false."""
    clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    for admin in await server.admin_connections():
        try:
            await admin.execute(f'CREATE DATABASE "{name}"{clause}')
        finally:
            await admin.close()
    if server.citus and citus and not template:
        await add_citus(server, name)


async def add_citus(server: Server, name: str) -> None:
    """Creates the Citus extension in ``name`` on every node and registers the workers."""
    urls = server.node_urls(name)
    for url in reversed(urls):
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
        finally:
            await conn.close()
    coordinator = make_url(server.url)
    conn = await asyncpg.connect(asyncpg_dsn(urls[0]))
    try:
        await conn.execute(
            "SELECT citus_set_coordinator_host($1, $2)",
            coordinator.host or "127.0.0.1",
            coordinator.port or 5432,
        )
        for host, port in server.workers:
            await conn.execute("SELECT citus_add_node($1, $2)", host, port)
    finally:
        await conn.close()


async def close_to_connections(server: Server, name: str) -> None:
    """Ends every session of ``name`` on every node and lets no new one in, so that it can be
    renamed or used as a template."""
    admins = await server.admin_connections()
    try:
        for admin in admins:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        for admin in admins:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
    finally:
        for admin in admins:
            await admin.close()


async def drop_database(server: Server, name: str) -> None:
    """Drops ``name`` on every node. Closed to connections on all of them first: on Citus
    each node's maintenance daemon connects to the other nodes' copies of the database, and
    would come back between one node's ``DROP`` and the next."""
    admins = await server.admin_connections()
    try:
        present = [
            admin
            for admin in admins
            if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        ]
        for admin in present:
            await admin.execute(
                f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false IS_TEMPLATE false'
            )
        for admin in present:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        for admin in admins:
            await admin.close()
