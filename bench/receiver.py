"""A webhook receiver for the benchmarks, run as its own process: ``python -m bench.receiver
PORT``. It answers every POST with 204 and notes when it arrived (wall clock), its
``webhook-id`` and the customer in its body; ``GET /arrivals`` hands the notes over (and
forgets them). HTTP/1.1 with keep-alive, nothing more: it must cost as little as possible."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

HOST = "127.0.0.1"


async def _serve(port: int) -> None:
    arrivals: list[dict[str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time()
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET" and path == "/arrivals":
                    answer = json.dumps(arrivals).encode()
                    arrivals.clear()
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                        + answer
                    )
                else:
                    data = json.loads(body).get("data", {}) if body else {}
                    arrivals.append(
                        {
                            "at": arrived,
                            "id": headers.get("webhook-id"),
                            "customer_id": data.get("customer_id"),
                        }
                    )
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, HOST, port, backlog=256)
    print("receiver ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
