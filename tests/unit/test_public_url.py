"""``QUILLPRESS_PUBLIC_URL``: an absolute http(s) base that paths are appended to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from quillpress.config import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUILLPRESS_PUBLIC_URL", raising=False)


def test_unset_by_default() -> None:
    assert Settings().public_url is None


@pytest.mark.parametrize(
    "url", ["https://blog.example.com", "http://127.0.0.1:8000", "https://example.com/quill"]
)
def test_http_and_https_bases_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("QUILLPRESS_PUBLIC_URL", url)
    assert Settings().public_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://blog.example.com/", "trailing slash"),
        ("https://blog.example.com/?a=1", "trailing slash"),
        ("https://blog.example.com#top", "fragment"),
        ("ftp://blog.example.com", "http"),
        ("blog.example.com", "http"),
        ("http://", "http"),
        ("", "http"),
    ],
)
def test_other_urls_are_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(public_url=url)
