"""Deleting content in the console: a confirmation page with a reason, then the content is
gone from the public API at once (the cache purged by the same events as the API's
delete), and the reason is in the audit log."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.console.backstage import Account, Backstage, unique
from tests.console.rest import comment, listed_slugs, publish


def test_a_deleted_article_is_gone_from_the_public_list_at_once(
    admin_page: Page, admin: Account, staff: Backstage, api: httpx.Client
) -> None:
    author = staff.register("author")
    title = unique("Doomed ")
    slug = publish(api, author, title)
    assert slug in listed_slugs(api)  # and now that list is in the cache

    page = admin_page
    page.goto("/admin/articles")
    row = page.get_by_role("row").filter(has_text=title)
    row.get_by_role("button", name="Delete").click()
    expect(page.get_by_text(title)).to_be_visible()  # the confirmation names the article
    page.get_by_label("Reason").fill("Copyright complaint")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/admin/articles"))
    expect(page.get_by_role("row").filter(has_text=title)).to_have_count(0)
    assert slug not in listed_slugs(api)
    assert api.get(f"/api/articles/{slug}").status_code == 404

    page.goto("/admin/audit")
    page.get_by_label("Actor").fill(admin.username)
    page.get_by_label("Action").fill("admin.article_delete")
    page.get_by_label("Action").press("Enter")
    row = page.get_by_role("row").filter(has_text=f"article:{slug}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Copyright complaint")


def test_a_deleted_comment_is_gone_from_the_articles_comments(
    admin_page: Page, staff: Backstage, api: httpx.Client
) -> None:
    author = staff.register("author")
    slug = publish(api, author)
    body = unique("Rude remark ")
    comment(api, author, slug, body)

    page = admin_page
    page.goto("/admin/comments")
    page.get_by_role("row").filter(has_text=body).get_by_role("button", name="Delete").click()
    page.get_by_label("Reason").fill("Harassment")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/admin/comments"))
    expect(page.get_by_role("row").filter(has_text=body)).to_have_count(0)
    comments = api.get(f"/api/articles/{slug}/comments")
    assert comments.status_code == 200
    assert comments.json()["comments"] == []
