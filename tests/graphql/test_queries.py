"""GraphQL queries: root fields, filters, connections and the nested edges REST lacks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import create_article, gql, gql_data, gql_error, register

Headers = dict[str, str]


@pytest.fixture
async def blog(client: httpx.AsyncClient) -> dict[str, Any]:
    """ann writes three articles (oldest first), bob one; cyd follows ann and favorites
    ann's second article; bob comments twice on ann's newest article."""
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    first = await create_article(client, ann, title="Ann one", tagList=["python", "web"])
    second = await create_article(client, ann, title="Ann two", tagList=["python"])
    third = await create_article(client, ann, title="Ann three", tagList=["rust"])
    bobs = await create_article(client, bob, title="Bob one", tagList=["web", "python"])
    await client.post("/api/profiles/ann/follow", headers=cyd)
    await client.post(f"/api/articles/{second['slug']}/favorite", headers=cyd)
    comment_ids = []
    for body in ("first comment", "second comment"):
        response = await client.post(
            f"/api/articles/{third['slug']}/comments",
            json={"comment": {"body": body}},
            headers=bob,
        )
        comment_ids.append(response.json()["comment"]["id"])
    return {
        "ann": ann,
        "bob": bob,
        "cyd": cyd,
        "slugs": {
            "ann1": first["slug"],
            "ann2": second["slug"],
            "ann3": third["slug"],
            "bob1": bobs["slug"],
        },
        "comment_ids": comment_ids,
    }


VIEWER = "{ viewer { username email bio image profile { username following } } }"


async def test_viewer_is_null_for_anonymous_requests(client: httpx.AsyncClient) -> None:
    assert await gql_data(client, VIEWER) == {"viewer": None}


async def test_viewer_is_the_user_of_the_token(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    data = await gql_data(client, VIEWER, headers=ann)
    assert data["viewer"] == {
        "username": "ann",
        "email": "ann@example.com",
        "bio": None,
        "image": None,
        "profile": {"username": "ann", "following": False},
    }


PROFILE = "query($u: String!) { profile(username: $u) { username bio image following } }"


async def test_profile_shows_whether_the_viewer_follows_it(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    anonymous = await gql_data(client, PROFILE, {"u": "ann"})
    assert anonymous["profile"] == {
        "username": "ann",
        "bio": None,
        "image": None,
        "following": False,
    }
    follower = await gql_data(client, PROFILE, {"u": "ann"}, headers=blog["cyd"])
    assert follower["profile"]["following"] is True
    stranger = await gql_data(client, PROFILE, {"u": "ann"}, headers=blog["bob"])
    assert stranger["profile"]["following"] is False


async def test_missing_profile_is_null_not_an_error(client: httpx.AsyncClient) -> None:
    response = await gql(client, PROFILE, {"u": "nobody"})
    assert response.status_code == 200
    assert response.json() == {"data": {"profile": None}}


ARTICLE = """query($slug: String!) {
  article(slug: $slug) {
    slug title description body tagList favorited favoritesCount createdAt updatedAt
    author { username following }
  }
}"""


async def test_article_includes_its_body_and_viewer_flags(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    slug = blog["slugs"]["ann2"]
    data = await gql_data(client, ARTICLE, {"slug": slug}, headers=blog["cyd"])
    article = data["article"]
    assert article["slug"] == slug
    assert article["title"] == "Ann two"
    assert article["body"] == "The body"
    assert article["tagList"] == ["python"]
    assert article["favorited"] is True
    assert article["favoritesCount"] == 1
    assert article["author"] == {"username": "ann", "following": True}
    assert article["createdAt"].endswith("Z")
    anonymous = await gql_data(client, ARTICLE, {"slug": slug})
    assert anonymous["article"]["favorited"] is False
    assert anonymous["article"]["author"]["following"] is False


async def test_missing_article_is_null_not_an_error(client: httpx.AsyncClient) -> None:
    response = await gql(client, ARTICLE, {"slug": "no-such-article"})
    assert response.status_code == 200
    assert response.json() == {"data": {"article": None}}


ARTICLES = """query($filter: ArticleFilter, $first: Int, $after: String) {
  articles(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { slug } }
    nodes { slug favorited }
  }
}"""


def _slugs(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["slug"] for edge in connection["edges"]]


async def test_articles_are_listed_newest_first_with_edges_and_nodes_agreeing(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    slugs = blog["slugs"]
    connection = (await gql_data(client, ARTICLES))["articles"]
    assert _slugs(connection) == [slugs["bob1"], slugs["ann3"], slugs["ann2"], slugs["ann1"]]
    assert [node["slug"] for node in connection["nodes"]] == _slugs(connection)
    assert connection["totalCount"] == 4
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": connection["edges"][-1]["cursor"],
    }


async def test_articles_total_counts_every_match_not_the_page(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    connection = (await gql_data(client, ARTICLES, {"first": 2}))["articles"]
    assert len(connection["edges"]) == 2
    assert connection["totalCount"] == 4
    assert connection["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"tag": "python"}, ["bob1", "ann2", "ann1"]),
        ({"tag": "rust"}, ["ann3"]),
        ({"author": "ann"}, ["ann3", "ann2", "ann1"]),
        ({"author": "bob", "tag": "web"}, ["bob1"]),
        ({"favoritedBy": "cyd"}, ["ann2"]),
        ({"tag": "nosuch"}, []),
        ({"author": "nobody"}, []),
    ],
)
async def test_articles_filter_by_tag_author_and_fan(
    client: httpx.AsyncClient,
    blog: dict[str, Any],
    filter_: dict[str, str],
    expected: list[str],
) -> None:
    connection = (await gql_data(client, ARTICLES, {"filter": filter_}))["articles"]
    assert _slugs(connection) == [blog["slugs"][key] for key in expected]
    assert connection["totalCount"] == len(expected)
    if not expected:
        assert connection["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_articles_carry_the_viewers_favorited_flag(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    nodes = (await gql_data(client, ARTICLES, headers=blog["cyd"]))["articles"]["nodes"]
    favorited = {node["slug"] for node in nodes if node["favorited"]}
    assert favorited == {blog["slugs"]["ann2"]}


FEED = (
    "query($first: Int) { feed(first: $first) { totalCount nodes { slug author { username } } } }"
)


async def test_feed_lists_followed_authors_articles(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    feed = (await gql_data(client, FEED, headers=blog["cyd"]))["feed"]
    assert [node["slug"] for node in feed["nodes"]] == [
        blog["slugs"][key] for key in ("ann3", "ann2", "ann1")
    ]
    assert {node["author"]["username"] for node in feed["nodes"]} == {"ann"}
    assert feed["totalCount"] == 3
    empty = (await gql_data(client, FEED, headers=blog["bob"]))["feed"]
    assert empty == {"totalCount": 0, "nodes": []}


async def test_feed_without_a_token_is_unauthenticated(client: httpx.AsyncClient) -> None:
    response = await gql(client, FEED)
    error = gql_error(response)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["path"] == ["feed"]
    assert response.json()["data"] is None


async def test_tags_lists_tags_in_use_most_used_first(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    tags = (await gql_data(client, "{ tags }"))["tags"]
    assert tags[0] == "python"
    assert sorted(tags) == ["python", "rust", "web"]


async def test_tags_is_empty_on_an_empty_blog(client: httpx.AsyncClient) -> None:
    assert await gql_data(client, "{ tags }") == {"tags": []}


COMMENTS = """query($slug: String!) {
  article(slug: $slug) { comments { id body createdAt author { username following } } }
}"""


async def test_article_comments_are_newest_first_with_their_authors(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    data = await gql_data(client, COMMENTS, {"slug": blog["slugs"]["ann3"]})
    first_id, second_id = blog["comment_ids"]
    assert data["article"]["comments"] == [
        {
            "id": second_id,
            "body": "second comment",
            "createdAt": data["article"]["comments"][0]["createdAt"],
            "author": {"username": "bob", "following": False},
        },
        {
            "id": first_id,
            "body": "first comment",
            "createdAt": data["article"]["comments"][1]["createdAt"],
            "author": {"username": "bob", "following": False},
        },
    ]
    none = await gql_data(client, COMMENTS, {"slug": blog["slugs"]["ann1"]})
    assert none["article"]["comments"] == []


async def test_comment_author_following_reflects_the_viewer(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    await client.post("/api/profiles/bob/follow", headers=blog["ann"])
    data = await gql_data(client, COMMENTS, {"slug": blog["slugs"]["ann3"]}, headers=blog["ann"])
    assert {c["author"]["following"] for c in data["article"]["comments"]} == {True}


PROFILE_EDGES = """query($u: String!, $first: Int) {
  profile(username: $u) {
    articles(first: $first) { totalCount pageInfo { hasNextPage } nodes { slug } }
    favorites(first: $first) { totalCount nodes { slug favorited } }
  }
}"""


async def test_profile_articles_and_favorites_are_the_users_own(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    slugs = blog["slugs"]
    ann = (await gql_data(client, PROFILE_EDGES, {"u": "ann"}))["profile"]
    assert [n["slug"] for n in ann["articles"]["nodes"]] == [
        slugs["ann3"],
        slugs["ann2"],
        slugs["ann1"],
    ]
    assert ann["articles"]["totalCount"] == 3
    assert ann["favorites"] == {"totalCount": 0, "nodes": []}
    cyd = (await gql_data(client, PROFILE_EDGES, {"u": "cyd"}, headers=blog["cyd"]))["profile"]
    assert cyd["articles"]["nodes"] == []
    assert cyd["favorites"] == {
        "totalCount": 1,
        "nodes": [{"slug": slugs["ann2"], "favorited": True}],
    }


async def test_profile_articles_page_by_first(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    ann = (await gql_data(client, PROFILE_EDGES, {"u": "ann", "first": 2}))["profile"]
    assert [n["slug"] for n in ann["articles"]["nodes"]] == [
        blog["slugs"]["ann3"],
        blog["slugs"]["ann2"],
    ]
    assert ann["articles"]["totalCount"] == 3
    assert ann["articles"]["pageInfo"]["hasNextPage"] is True


NESTED = """{
  articles {
    nodes {
      slug
      author { username articles(first: 10) { totalCount nodes { slug author { username } } } }
    }
  }
}"""


async def test_nested_author_articles_belong_to_each_nodes_author(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    slugs = blog["slugs"]
    nodes = (await gql_data(client, NESTED))["articles"]["nodes"]
    by_author = {
        "ann": [slugs["ann3"], slugs["ann2"], slugs["ann1"]],
        "bob": [slugs["bob1"]],
    }
    assert len(nodes) == 4
    for node in nodes:
        author = node["author"]
        nested = author["articles"]
        assert [n["slug"] for n in nested["nodes"]] == by_author[author["username"]]
        assert nested["totalCount"] == len(by_author[author["username"]])
        assert {n["author"]["username"] for n in nested["nodes"]} == {author["username"]}
        assert node["slug"] in by_author[author["username"]]


async def test_list_items_can_ask_for_their_body(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    data = await gql_data(
        client, "{ articles(first: 2) { nodes { body } edges { node { body } } } }"
    )
    assert [n["body"] for n in data["articles"]["nodes"]] == ["The body", "The body"]
    assert [e["node"]["body"] for e in data["articles"]["edges"]] == ["The body", "The body"]


async def test_fragments_on_connection_fields_still_fetch_body_and_total(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    query = """
      query { articles(first: 1) { ...Conn } }
      fragment Conn on ArticleConnection { totalCount nodes { ... on Article { body slug } } }
    """
    data = await gql_data(client, query)
    assert data["articles"] == {
        "totalCount": 4,
        "nodes": [{"body": "The body", "slug": blog["slugs"]["bob1"]}],
    }
