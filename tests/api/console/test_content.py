"""The articles and comments pages: lists, filters and search; deletion through a
confirmation page whose reason reaches the audit log, and whose effect the public API
shows at once."""

from __future__ import annotations

import httpx

from tests.api.console.conftest import post_form
from tests.helpers import create_article, register


async def test_articles_are_listed_newest_first_filtered_and_searched(
    admin: httpx.AsyncClient,
) -> None:
    ann = await register(admin, "ann")
    bob = await register(admin, "bob")
    await create_article(admin, ann, title="Gardening in winter", tagList=["garden"])
    await create_article(admin, bob, title="Sourdough basics", tagList=["bread"])
    page = await admin.get("/admin/articles")
    assert page.status_code == 200
    assert "<title>Articles — Quillpress admin</title>" in page.text
    assert page.text.index("Sourdough basics") < page.text.index("Gardening in winter")
    assert page.text.count(">Delete</button>") == 2
    by_ann = await admin.get("/admin/articles?author=ann")
    assert "Gardening in winter" in by_ann.text
    assert "Sourdough basics" not in by_ann.text
    tagged = await admin.get("/admin/articles?tag=bread")
    assert "Sourdough basics" in tagged.text
    assert "Gardening in winter" not in tagged.text
    found = await admin.get("/admin/articles?q=sourdough")
    assert "Sourdough basics" in found.text
    assert "Gardening in winter" not in found.text


async def test_deleting_an_article_asks_for_a_reason_and_removes_it_from_the_api(
    admin: httpx.AsyncClient,
) -> None:
    ann = await register(admin, "ann")
    article = await create_article(admin, ann, title="Spam spam spam")
    slug = article["slug"]
    assert (await admin.get("/api/articles")).json()["articlesCount"] == 1
    confirm = await admin.get(f"/admin/articles/{slug}/delete")
    assert confirm.status_code == 200
    assert '<label for="reason">Reason</label>' in confirm.text
    assert ">Confirm</button>" in confirm.text
    response = await post_form(
        admin, f"/admin/articles/{slug}/delete", f"/admin/articles/{slug}/delete", reason="spam"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/articles?notice=article-deleted"
    assert (await admin.get("/api/articles")).json()["articlesCount"] == 0
    assert (await admin.get(f"/api/articles/{slug}")).status_code == 404
    audit = await admin.get(f"/admin/audit?target=article:{slug}")
    assert "spam" in audit.text
    gone = await admin.get(f"/admin/articles/{slug}/delete")
    assert gone.status_code == 404


async def test_comments_are_listed_site_wide_and_deleted_with_a_reason(
    admin: httpx.AsyncClient,
) -> None:
    ann = await register(admin, "ann")
    bob = await register(admin, "bob")
    article = await create_article(admin, ann, title="Open thread")
    slug = article["slug"]
    for body, headers in (("first!", bob), ("<i>rude</i> words", ann)):
        response = await admin.post(
            f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=headers
        )
        assert response.status_code in (200, 201), response.text
    page = await admin.get("/admin/comments")
    assert page.status_code == 200
    assert page.text.index("&lt;i&gt;rude&lt;/i&gt; words") < page.text.index("first!")
    only_bob = await admin.get("/admin/comments?author=bob")
    assert "first!" in only_bob.text
    assert "rude" not in only_bob.text
    comments = (await admin.get(f"/api/articles/{slug}/comments")).json()["comments"]
    rude = next(c["id"] for c in comments if "rude" in c["body"])
    confirm = await admin.get(f"/admin/comments/{rude}/delete")
    assert ">Confirm</button>" in confirm.text
    # What is about to go, as text: its author, its article and its words.
    assert "the comment by ann on “Open thread”" in confirm.text
    assert "<blockquote>&lt;i&gt;rude&lt;/i&gt; words</blockquote>" in confirm.text
    gone = await admin.get("/admin/comments/999999/delete")
    assert gone.status_code == 404
    response = await post_form(
        admin, f"/admin/comments/{rude}/delete", f"/admin/comments/{rude}/delete", reason="rude"
    )
    assert response.headers["location"] == "/admin/comments?notice=comment-deleted"
    left = (await admin.get(f"/api/articles/{slug}/comments")).json()["comments"]
    assert [c["body"] for c in left] == ["first!"]
