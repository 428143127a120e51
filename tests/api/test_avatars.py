"""``GET /avatars/{name}.svg`` through the app: an SVG any origin may cache for good, odd
names escaped, bad names a RealWorld-shaped 404, and no entry in the OpenAPI document."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from quillpress.infra import avatars

SVG = "{http://www.w3.org/2000/svg}"


async def test_an_avatar_is_an_svg_cached_as_immutable(client: httpx.AsyncClient) -> None:
    response = await client.get("/avatars/dana_diaz.svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    cache = response.headers["cache-control"]
    assert "immutable" in cache
    assert "max-age=31536000" in cache
    assert response.headers["x-content-type-options"] == "nosniff"
    root = ET.fromstring(response.text)  # noqa: S314 (our own output, parsed to prove it is XML)
    assert root.tag == f"{SVG}svg"
    assert root.findtext(f"{SVG}text") == "DD"


async def test_an_odd_name_is_escaped_in_the_image(client: httpx.AsyncClient) -> None:
    name = '<b onload="x()">Tom & Jerry'
    response = await client.get(avatars.url("", name))
    assert response.status_code == 200, response.text
    assert "<b " not in response.text
    root = ET.fromstring(response.text)  # noqa: S314 (our own output, parsed to prove it is XML)
    assert root.findtext(f"{SVG}title") == name


@pytest.mark.parametrize("name", ["%20", "%00", "a%0Ab", "x" * 65])
async def test_an_invalid_name_is_a_realworld_404(client: httpx.AsyncClient, name: str) -> None:
    response = await client.get(f"/avatars/{name}.svg")
    assert response.status_code == 404
    assert response.json() == {"errors": {"avatar": ["not found"]}}


def test_urls_are_absolute_and_quote_the_name() -> None:
    assert avatars.url("http://127.0.0.1:8000", "zoe") == "http://127.0.0.1:8000/avatars/zoe.svg"
    assert avatars.url("https://x.test/app", "a b/c?") == (
        f"https://x.test/app/avatars/{quote('a b/c?', safe='')}.svg"
    )


async def test_the_endpoint_stays_out_of_the_openapi_document(app: FastAPI) -> None:
    assert not any(path.startswith("/avatars") for path in app.openapi()["paths"])
    assert any(path.startswith("/api/") for path in app.openapi()["paths"])
