"""The documentation site builds strictly, works offline, and its generated references say
what the code says (``mkdocs.yml``, ``tools/docs/``)."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from graphql import build_schema

from quillpress.config import Settings
from tests.docs import runnable

ROOT = runnable.ROOT
sys.path.insert(0, str(ROOT / "tools" / "docs"))
import docs_reference  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "data", "action", "formaction", "content"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` into a directory of the test's own."""
    target = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    built = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return target


class _Urls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value:
                for part in value.split(","):
                    self.found.append((tag, name, part.strip().split(" ")[0]))
            if name == "style" and value:
                self.found += [(tag, "style", url) for url in _css_urls(value)]


def _css_urls(css: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    urls += re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return urls


def _off_site(url: str) -> bool:
    url = html.unescape(url)
    if not re.match(r"(?i)^(https?:)?//", url):
        return False
    return (urlsplit(url).hostname or "") not in LOCAL_HOSTS


def test_the_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").is_file()


def test_no_page_or_stylesheet_points_at_another_host(site: Path) -> None:
    offenders: list[str] = []
    for page in site.rglob("*.html"):
        parser = _Urls()
        parser.feed(page.read_text())
        for tag, attribute, url in parser.found:
            if _off_site(url):
                offenders.append(f"{page.relative_to(site)}: <{tag} {attribute}={url!r}>")
        offenders += [
            f"{page.relative_to(site)}: <style> {url!r}"
            for css in re.findall(r"<style[^>]*>(.*?)</style>", page.read_text(), re.S)
            for url in _css_urls(css)
            if _off_site(url)
        ]
    for sheet in site.rglob("*.css"):
        offenders += [
            f"{sheet.relative_to(site)}: {url!r}"
            for url in _css_urls(sheet.read_text())
            if _off_site(url)
        ]
    assert not offenders, "the site must work offline:\n" + "\n".join(offenders)


def test_the_theme_loads_no_web_fonts(site: Path) -> None:
    index = (site / "index.html").read_text()
    assert "fonts.googleapis" not in index
    assert "fonts.gstatic" not in index


def test_search_is_built_in(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text())
    locations = {doc["location"] for doc in index["docs"]}
    assert any(location.startswith("operating/configuration/") for location in locations)


def _text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_every_setting_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not missing, "add a docstring under each field in src/quillpress/config.py"


def test_the_configuration_reference_lists_every_setting_with_its_default(site: Path) -> None:
    text = _text(site / "operating" / "configuration" / "index.html")
    for name, variables, default, description in docs_reference.settings_rows():
        row = re.search(
            re.escape(" or ".join(variables)) + r"\s+" + re.escape(default.strip("`")), text
        )
        assert row, f"{name}: {variables} with default {default} is not in the reference"
        shown = " ".join(description.replace("`", "").split())[:60]
        assert shown in " ".join(text.split()), f"{name}: its description is not in the reference"


def test_the_api_reference_has_every_operation_and_root_field(site: Path) -> None:
    text = _text(site / "api" / "reference" / "index.html")
    document = json.loads(docs_reference.OPENAPI_FILE.read_text())
    for method, path, operation in docs_reference.operations(document):
        assert f"{method} {path}" in text
        assert operation["operationId"] in text
    schema = build_schema(docs_reference.SCHEMA_FILE.read_text())
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for name in root.fields:
            assert name in text


def test_a_setting_without_a_description_stops_the_build() -> None:
    field = Settings.model_fields["env"]
    saved = field.description
    field.description = None
    try:
        with pytest.raises(docs_reference.UndocumentedSetting, match=r"Settings\.env"):
            docs_reference.settings_reference()
    finally:
        field.description = saved
