"""``GET /``: an HTML page for browsers, a JSON index for every other client, both
pointing at pages that exist; the page's curl steps run as printed."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from quillpress import __version__
from quillpress.api.front import prefers_html
from quillpress.app import create_app
from tests.conftest import make_settings, migrate_database
from tests.helpers import serve
from tests.live_server import live_server

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The app on an empty SQLite file: nothing here reads the database, so the
    conftest's run per database would only repeat the same checks."""
    async with serve(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")) as (_, http):
        yield http


class _Page(HTMLParser):
    """The page's links, stylesheets and scripts, and whether it has inline style or script."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.stylesheets: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "link" and values.get("rel") == "stylesheet":
            self.stylesheets.append(str(values["href"]))
        if tag in {"style", "script"}:
            self.inline.append(tag)  # no scripts at all; styles only from files
        if "style" in values:
            self.inline.append(f"{tag} style=")


def parse_page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


@pytest.mark.parametrize(
    ("accept", "html_wanted"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("application/json", False),
        ("*/*", False),  # curl, httpx, requests
        ("", False),
        ("application/json, text/html", False),  # a tie goes to the API representation
        ("text/html;q=0.5, application/json;q=0.9", False),
        ("text/html;q=0.9, application/json;q=0.5", True),
        ("text/html;q=0", False),
        ("text/html;q=oops", False),
    ],
)
def test_accept_header_decides_the_representation(accept: str, html_wanted: bool) -> None:
    assert prefers_html(accept) is html_wanted


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
async def test_api_clients_and_curl_get_the_json_index(
    client: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("accept", None)
    response = await client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "Accept" in response.headers["vary"]
    assert response.json() == {
        "name": "quillpress",
        "version": __version__,
        "links": {
            "docs": "http://testserver/docs",
            "redoc": "http://testserver/redoc",
            "graphql": "http://testserver/graphql",
            "openapi": "http://testserver/openapi.json",
        },
    }


async def test_browsers_get_the_html_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    page = parse_page(response.text)
    assert {"/docs", "/redoc", "/graphql"} <= set(page.links)
    assert "First steps with curl" in response.text
    assert "curl -s http://testserver/api/users" in html.unescape(response.text)


async def test_every_link_of_both_representations_answers_200(
    client: httpx.AsyncClient,
) -> None:
    index = (await client.get("/", headers={"Accept": "application/json"})).json()
    page = parse_page((await client.get("/", headers={"Accept": "text/html"})).text)
    targets = {url.removeprefix("http://testserver") for url in index["links"].values()}
    assert targets == set(page.links)
    for path in targets:
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, (path, response.status_code)


async def test_the_page_has_no_inline_code_and_its_stylesheet_is_served(
    client: httpx.AsyncClient,
) -> None:
    page = parse_page((await client.get("/", headers={"Accept": "text/html"})).text)
    assert page.inline == [], "a strict Content-Security-Policy would block these"
    assert page.stylesheets == ["/static/front/front.css"]
    css = await client.get(page.stylesheets[0])
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ".links" in css.text


def test_the_stylesheet_ships_inside_the_package() -> None:
    import quillpress

    assert (Path(quillpress.__file__).parent / "static" / "front" / "front.css").is_file()


async def test_the_front_door_is_not_part_of_the_api_schema(client: httpx.AsyncClient) -> None:
    assert "/" not in (await client.get("/openapi.json")).json()["paths"]


async def test_the_curl_steps_aim_at_the_host_the_page_was_asked_from(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/", headers={"Accept": "text/html", "Host": "blog.example:8080"})
    text = html.unescape(response.text)
    assert "curl -s http://blog.example:8080/api/users " in text
    assert "curl -s 'http://blog.example:8080/api/articles?tag=intro'" in text


def vary(response: httpx.Response) -> set[str]:
    return {name.strip() for name in response.headers["vary"].split(",")}


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_links_from_the_host_header_vary_on_it(
    client: httpx.AsyncClient, accept: str
) -> None:
    response = await client.get("/", headers={"Accept": accept, "Host": "blog.example"})
    assert {"Accept", "Host"} <= vary(response)
    assert "http://blog.example/" in html.unescape(response.text)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_with_a_public_url_the_links_ignore_the_host_header(
    tmp_path: Path, accept: str
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'q.db'}", public_url="https://blog.example/quill"
    )
    async with serve(settings) as (_, http):
        response = await http.get("/", headers={"Accept": accept, "Host": "evil.example"})
    assert response.status_code == 200
    assert "Accept" in vary(response)
    assert "Host" not in vary(response)
    text = html.unescape(response.text)
    assert "evil.example" not in text
    assert "https://blog.example/quill/api/" in text or "https://blog.example/quill/graphql" in text


async def test_a_malformed_host_header_never_reaches_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept": "text/html", "Host": "x<b>y"})
    assert response.status_code == 200
    assert "x<b>y" not in html.unescape(response.text)


def test_the_curl_steps_on_the_page_work_as_printed(tmp_path: Path) -> None:
    """Copy the page's commands into bash against a real server: register, log in, write,
    list. The listing printed last must hold the article the steps wrote."""
    if shutil.which("curl") is None or shutil.which("python3") is None:
        pytest.skip("curl and python3 are needed to run the page's steps")
    url = f"sqlite+aiosqlite:///{tmp_path / 'front.db'}"
    asyncio.run(migrate_database(url))
    with live_server(create_app(make_settings(url))) as base:
        page = httpx.get(base + "/", headers={"Accept": "text/html"}).text
        match = re.search(r"<pre><code>(.*?)</code></pre>", page, re.S)
        assert match, page
        script = html.unescape(match.group(1))
        assert f"curl -s {base}/api/users " in script
        result = subprocess.run(  # noqa: S603 (bash running the page's own commands)
            ["/bin/bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    *_, listing = result.stdout.strip().splitlines()
    assert '"title":"Hello, Quillpress"' in listing, result.stdout
    assert '"articlesCount":1' in listing, result.stdout
