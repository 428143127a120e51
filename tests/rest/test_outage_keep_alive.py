"""Through a real server: during an outage no exception reaches uvicorn, so a client's
keep-alive connection stays open and usable, request after request. (When the app raised
for a refused database, uvicorn closed the connection after its 500: 93 resets were seen,
``/healthz`` included.)"""

from __future__ import annotations

import asyncio

import httpx
import orjson

from quillpress.app import create_app
from tests.conftest import make_settings
from tests.live_server import live_server
from tests.outages import (
    DEADLINE_MS,
    UNAVAILABLE,
    admin,
    app_url,
    prepare,
    terminate_backends,
)


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on an open connection, and its whole response."""
    payload = b"" if body is None else orjson.dumps(body)
    lines = [f"{method} {path} HTTP/1.1", "Host: testserver", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
    status_line, *header_lines = head.decode().split("\r\n")
    found = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines if line)
    }
    content = await reader.readexactly(int(found.get("content-length", "0")))
    return int(status_line.split()[1]), found, content


async def test_keep_alive_connections_stay_open_through_a_refusing_database(
    own_database: str,
) -> None:
    settings = make_settings(app_url(own_database), database_timeout_ms=DEADLINE_MS, cache="off")
    with live_server(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            actor = await prepare(client)
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            await admin(f'ALTER DATABASE "{own_database}" ALLOW_CONNECTIONS false')
            await terminate_backends(own_database)
            article = {"article": {"title": "t", "description": "d", "body": "b"}}
            query = {"query": "{ articles { totalCount } }"}
            statuses = []
            for _ in range(3):  # a dozen requests, one connection
                for method, path, body, headers in [
                    ("GET", "/api/articles", None, actor.headers),
                    ("POST", "/api/articles", article, actor.headers),
                    ("POST", "/graphql", query, {}),
                    ("GET", "/readyz", None, {}),
                    ("GET", "/healthz", None, {}),
                ]:
                    status, found, content = await _exchange(
                        reader, writer, method, path, body, headers
                    )
                    statuses.append(status)
                    assert found.get("connection", "") != "close", (path, found)
                    if path == "/healthz":
                        assert status == 200
                        continue
                    assert status == 503, (path, content)
                    assert int(found["retry-after"]) > 0
                    if path.startswith("/api/"):
                        assert orjson.loads(content) == {"errors": UNAVAILABLE}
            assert not reader.at_eof()
        finally:
            writer.close()
            await admin(f'ALTER DATABASE "{own_database}" ALLOW_CONNECTIONS true')
    print(
        f"keep-alive, refused database: {len(statuses)} requests on one connection, "
        f"statuses {sorted(set(statuses))}, the connection open throughout"
    )
