"""Against a real `tierline serve`: an unauthenticated 10 MiB batch is refused before the
server reads it, and leaves the server's memory where it was (issue 22)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from app.auth.keys import generate_key
from tests.worker_processes import resident_bytes, servers

TEN_MIB = 10 * 1024 * 1024
CHUNK = 64 * 1024


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


async def _send_batch(base: str, authorization: str | None) -> bytes:
    """Announces a 10 MiB batch, reads the answer before sending a byte of the body, then
    sends the body as an adversary would, for as long as the server takes it."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = [
        "POST /v1/events/batch HTTP/1.1",
        f"Host: {url.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {TEN_MIB}",
    ]
    if authorization is not None:
        head.append(f"Authorization: {authorization}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    await writer.drain()
    answer = await asyncio.wait_for(_read_answer(reader), timeout=10)
    chunk = b" " * CHUNK
    try:
        for _ in range(TEN_MIB // CHUNK):
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), timeout=5)
    except (ConnectionError, TimeoutError):
        pass  # the server closed the connection after answering
    writer.close()
    return answer


async def test_an_unauthenticated_10_mib_batch_is_refused_unread(database_url: str) -> None:
    async with servers(database_url, {}, count=1) as [(base, process)]:
        before = resident_bytes(process.pid)
        for authorization in (None, f"Bearer {generate_key()}", "Bearer tl_short"):
            answer = await _send_batch(base, authorization)
            assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
            assert b"application/problem+json" in answer
            assert b"urn:tierline:problem:unauthorized" in answer
        after = resident_bytes(process.pid)
    assert after - before < 20 * 1024 * 1024, (before, after)
