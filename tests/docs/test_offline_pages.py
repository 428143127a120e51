"""The browser-facing pages reference nothing outside the app, and every asset they
reference is served by the app itself: a page that pulls a script from a CDN renders blank
on an offline machine, which no JSON-level test would notice."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

PAGES = ["/", "/docs", "/redoc", "/graphql"]
BASE_URL = "http://testserver"

# Accepted content types per asset suffix ("application/javascript" is what older
# mime.types files say; browsers accept both).
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}


class _References(HTMLParser):
    """Collects every URL a page makes the browser load: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "img": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls


async def _page(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


@pytest.mark.parametrize("path", PAGES)
async def test_page_references_only_its_own_assets(client: httpx.AsyncClient, path: str) -> None:
    urls = references(await _page(client, path))
    assert urls, f"{path} references no scripts or styles: the parser or the page is wrong"
    for url in urls:
        absolute = urlsplit(urljoin(BASE_URL + path, url))
        assert absolute.scheme in {"http", "https"}, (path, url)
        assert absolute.netloc == urlsplit(BASE_URL).netloc, f"{path} loads {url} from elsewhere"


@pytest.mark.parametrize("path", PAGES)
async def test_every_referenced_asset_is_served(client: httpx.AsyncClient, path: str) -> None:
    for url in references(await _page(client, path)):
        target = urlsplit(urljoin(BASE_URL + path, url))
        response = await client.get(target.path)
        assert response.status_code == 200, (path, url, response.status_code)
        assert response.content, f"{url} is empty"
        suffix = "." + target.path.rsplit(".", 1)[-1]
        media_type = response.headers["content-type"].split(";")[0].strip()
        assert media_type in CONTENT_TYPES[suffix], (url, media_type)


async def test_pages_load_the_expected_bundles(client: httpx.AsyncClient) -> None:
    """Guards against a page silently falling back to FastAPI's CDN defaults."""
    expected = {
        "/docs": {"/static/swagger-ui/swagger-ui-bundle.js", "/static/swagger-ui/swagger-ui.css"},
        "/redoc": {"/static/redoc/redoc.standalone.js"},
        "/graphql": {
            "/static/react/react.production.min.js",
            "/static/react/react-dom.production.min.js",
            "/static/graphiql/graphiql.min.js",
            "/static/graphiql/graphiql.min.css",
        },
    }
    for path, urls in expected.items():
        assert urls <= set(references(await _page(client, path))), path


async def test_redoc_does_not_load_google_fonts(client: httpx.AsyncClient) -> None:
    assert "fonts.googleapis.com" not in await _page(client, "/redoc")


async def test_licences_ship_with_the_assets(client: httpx.AsyncClient) -> None:
    for folder in ("swagger-ui", "redoc", "graphiql", "react"):
        response = await client.get(f"/static/{folder}/LICENSE")
        assert response.status_code == 200, folder
        assert response.content.strip(), folder
