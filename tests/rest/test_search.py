"""``GET /api/articles?q=``: relevance on a fixed corpus, highlights, the index kept in step
with every write, paging, suggestions, limits and bad input, on both databases."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from tests.helpers import create_article, gql, register
from tests.limiting import assert_rate_limited, client_at, running

Corpus = dict[str, Any]

ARTICLES = {
    # label: (author, title, body, tags)
    "caching": ("ann", "Caching strategies", "Layers and invalidation.", ["performance"]),
    "notes": (
        "ann",
        "Notes from a week",
        "We cache the cache of the cache. Cache everything.",
        ["misc"],
    ),
    "bigbang": ("zed", "Big bang theory", "The big bang happened long ago.", ["physics"]),
    "drum": ("zed", "Bang the drum", "A big drum, and then a bang.", ["music"]),
    "django": ("ann", "Python and Django", "Web frameworks compared.", ["python", "django"]),
    "scripting": ("zed", "Python scripting", "Small scripts for daily chores.", ["python"]),
    "markup": (
        "zed",
        "Unsafe markup",
        "Escaping matters: <script>alert('x')</script> & <b>how</b> to.",
        ["security"],
    ),
}


@pytest.fixture
async def corpus(client: httpx.AsyncClient) -> Corpus:
    users = {name: await register(client, name) for name in ("ann", "zed")}
    slugs = {}
    for label, (author, title, body, tags) in ARTICLES.items():
        article = await create_article(client, users[author], title=title, body=body, tagList=tags)
        slugs[label] = article["slug"]
    await client.post(f"/api/articles/{slugs['drum']}/favorite", headers=users["ann"])
    return {"users": users, "slugs": slugs, "labels": {slug: lab for lab, slug in slugs.items()}}


async def found(client: httpx.AsyncClient, corpus: Corpus, query: str) -> list[str]:
    """The labels of every match of ``query``, in order (one page holds them all)."""
    response = await client.get(f"/api/articles?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["articlesCount"] == len(body["articles"])
    return [corpus["labels"][item["slug"]] for item in body["articles"]]


async def test_a_title_match_outranks_a_body_match(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    assert await found(client, corpus, "q=cache") == ["caching", "notes"]


async def test_stemming_finds_caching_for_cache_and_cache_for_caching(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    assert "caching" in await found(client, corpus, "q=cache")
    assert "notes" in await found(client, corpus, "q=caching")


async def test_a_phrase_finds_only_the_phrase(client: httpx.AsyncClient, corpus: Corpus) -> None:
    assert await found(client, corpus, 'q="big bang"') == ["bigbang"]
    assert set(await found(client, corpus, "q=big bang")) == {"bigbang", "drum"}
    assert await found(client, corpus, 'q="big bang') == ["bigbang"]  # closed at the end


async def test_exclusion_or_and_the_weighted_fields(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    assert await found(client, corpus, "q=python -django") == ["scripting"]
    assert set(await found(client, corpus, "q=django OR drum")) == {"django", "drum"}
    assert await found(client, corpus, "q=physics") == ["bigbang"]  # a tag
    assert set(await found(client, corpus, "q=zed")) == {"bigbang", "drum", "scripting", "markup"}


async def test_filters_combine_with_the_query(client: httpx.AsyncClient, corpus: Corpus) -> None:
    assert await found(client, corpus, "q=python&author=zed") == ["scripting"]
    assert await found(client, corpus, "q=python&tag=django") == ["django"]
    assert await found(client, corpus, "q=bang&favorited=ann") == ["drum"]
    assert await found(client, corpus, "q=python&tag=nosuch") == []


async def test_each_result_says_why_it_matched(client: httpx.AsyncClient, corpus: Corpus) -> None:
    body = (await client.get("/api/articles?q=caching")).json()
    assert set(body) == {"articles", "articlesCount", "suggestion"}
    first = body["articles"][0]
    assert set(first) - {"match"} == set((await client.get("/api/articles")).json()["articles"][0])
    assert "body" not in first
    assert first["match"]["title"] == "<mark>Caching</mark> strategies"
    assert first["match"]["snippet"].startswith("Layers and invalidation")
    notes = body["articles"][1]["match"]
    assert notes["title"] == "Notes from a week"
    assert "<mark>cache</mark>" in notes["snippet"]


async def test_markup_in_a_body_is_escaped_in_the_snippet_never_stripped(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    item = (await client.get("/api/articles?q=escaping")).json()["articles"][0]
    snippet = item["match"]["snippet"]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in snippet
    assert "&lt;b&gt;how&lt;/b&gt;" in snippet
    assert "&amp;" in snippet
    assert "<mark>Escaping</mark>" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert await found(client, corpus, "q=alert") == ["markup"]  # the text is indexed too


async def test_a_match_deep_in_a_long_body_is_the_snippet_marked_whatever_its_stem(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # PostgreSQL cuts the snippet from a window around where the stem first appears in
    # the body ("walrus"); "happi" is no prefix of "happy", so its window has no mark and
    # the whole 10 KB is read; "long" is only in a title: the body's first words.
    filler = " ".join(f"plain{n} words here." for n in range(300))
    body = f"{filler} The walrus was happy. {filler}"
    ann = corpus["users"]["ann"]
    await create_article(client, ann, title="On walruses", body=body)
    await create_article(client, ann, title="A long one", body=f"Opening line. {filler}")
    for query, marked in (("walrus", "<mark>walrus</mark>"), ("happy", "<mark>happy</mark>")):
        snippet = (await client.get(f"/api/articles?q={query}")).json()["articles"][0]["match"][
            "snippet"
        ]
        assert marked in snippet
        assert len(snippet) < 400
    title_only = (await client.get("/api/articles?q=long")).json()["articles"][0]["match"]
    assert title_only["snippet"].startswith("Opening line.")


async def test_without_q_or_with_a_blank_q_the_list_is_exactly_the_plain_list(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    plain = await client.get("/api/articles?limit=3")
    for blank in ("", "%20%20", "%09"):
        listed = await client.get(f"/api/articles?limit=3&q={blank}")
        assert listed.status_code == 200
        assert listed.content == plain.content
        assert (
            listed.headers["link"].split("?")[1].split("cursor=")[1]
            == (plain.headers["link"].split("cursor=")[1])
        )


async def test_edits_are_searchable_at_once_and_deletes_disappear(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    ann, zed = corpus["users"]["ann"], corpus["users"]["zed"]
    slug = corpus["slugs"]["scripting"]
    assert await found(client, corpus, "q=zanzibar") == []
    await client.put(
        f"/api/articles/{slug}",
        json={"article": {"body": "Notes from zanzibar.", "tagList": ["travel"]}},
        headers=zed,
    )
    assert await found(client, corpus, "q=zanzibar") == ["scripting"]
    assert await found(client, corpus, "q=travel") == ["scripting"]
    assert await found(client, corpus, "q=chores") == []
    renamed = await client.put("/api/user", json={"user": {"username": "yannick"}}, headers=zed)
    assert renamed.status_code == 200, renamed.text
    assert len(await found(client, corpus, "q=yannick")) == 4
    assert await found(client, corpus, "q=zed") == []
    fresh = await create_article(client, ann, title="Quokka facts", body="Small and happy.")
    corpus["labels"][fresh["slug"]] = "quokka"
    assert await found(client, corpus, "q=quokka") == ["quokka"]
    assert (await client.delete(f"/api/articles/{fresh['slug']}", headers=ann)).status_code == 204
    assert await found(client, corpus, "q=quokka") == []


async def test_results_page_by_offset_and_by_the_next_link_alike(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    everything = await found(client, corpus, "q=zed")
    by_offset = [
        corpus["labels"][item["slug"]]
        for offset in range(0, 4, 3)
        for item in (await client.get(f"/api/articles?q=zed&limit=3&offset={offset}")).json()[
            "articles"
        ]
    ]
    assert by_offset == everything
    first = await client.get("/api/articles?q=zed&limit=3")
    link = first.headers["link"]
    following = await client.get(link[1 : link.index(">")].replace("http://testserver", ""))
    assert following.status_code == 200
    assert [corpus["labels"][a["slug"]] for a in following.json()["articles"]] == everything[3:]
    assert "link" not in following.headers


BAD_INPUT = [
    ("q=" + "x" * 201, {"q": ["is too long (maximum is 200 characters)"]}),
    ("q=" + "+".join(f"w{n}" for n in range(21)), {"q": ["has too many terms (maximum is 20)"]}),
    ("q=nul%00", {"q": ["contains a NUL character"]}),
    (
        "q=python&cursor=MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx",
        {"cursor": ["belongs to a list, not to a search: send it without q"]},
    ),
    ("q=python&cursor=garbage", {"cursor": ["is not a valid cursor"]}),
]


@pytest.mark.parametrize(("query", "errors"), BAD_INPUT)
async def test_bad_input_is_a_422_keyed_by_the_parameter(
    client: httpx.AsyncClient, query: str, errors: dict[str, list[str]]
) -> None:
    response = await client.get(f"/api/articles?{query}")
    assert response.status_code == 422, response.text
    assert response.json() == {"errors": errors}


async def test_a_cursor_continues_only_the_search_that_minted_it(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    link = (await client.get("/api/articles?q=zed&limit=1")).headers["link"]
    cursor = link.split("cursor=")[1].split("&")[0]
    again = await client.get(f"/api/articles?q=ZED&cursor={cursor}")  # the same query
    assert again.status_code == 200
    other = await client.get(f"/api/articles?q=python&cursor={cursor}")
    assert other.json() == {
        "errors": {"cursor": ["belongs to another search: send it with the q it came with"]}
    }
    for path in ("/api/articles", "/api/articles/feed"):
        listed = await client.get(f"{path}?cursor={cursor}", headers=corpus["users"]["ann"])
        assert listed.status_code == 422
        assert listed.json() == {
            "errors": {"cursor": ["belongs to a search: send it with the same q"]}
        }


ODD = [
    "-python",  # exclusions alone
    "-python -django",
    "the",  # a stop word
    "the and of",
    "- or ++",  # operators alone
    '""',
    "or",
    "a:* & (b | !c)",
    "'",
    "\\",
    "%",
    "<mark>",
    "x" * 200,
    "日本語",
    "café -",
    "-(",
]


async def test_odd_queries_answer_200_never_an_error(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    for query in ODD:
        response = await client.get("/api/articles", params={"q": query})
        assert response.status_code == 200, (query, response.text)
    for nothing in ODD[:7]:
        body = (await client.get("/api/articles", params={"q": nothing})).json()
        assert body == {"articles": [], "articlesCount": 0, "suggestion": None}, nothing


async def test_a_query_that_finds_nothing_gets_a_suggestion_where_the_database_can(
    client: httpx.AsyncClient, corpus: Corpus, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="quillpress.search"):
        missed = (await client.get("/api/articles?q=pyhton")).json()
        (await client.get("/api/articles?q=drumm")).json()
    assert missed["articles"] == []
    if backend == "postgresql":
        assert missed["suggestion"] == "python"
        assert (await client.get("/api/articles?q=pyhton -django")).json()["suggestion"] == (
            "python -django"
        )
    else:
        assert missed["suggestion"] is None
        off = [r for r in caplog.records if "suggestions are off" in r.getMessage()]
        assert len(off) == 1  # said once, not per search
    assert (await client.get("/api/articles?q=python")).json()["suggestion"] is None


async def test_searches_are_rate_limited_per_client(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_search="2/minute", cache="off")
    async with running(settings) as app, client_at(app, "192.0.2.7") as http:
        ann = await register(http, "ann")
        for _ in range(2):
            assert (await http.get("/api/articles?q=python")).status_code == 200
        assert_rate_limited(await http.get("/api/articles?q=python"), limit=2)
        assert (await http.get("/api/articles?q=python", headers=ann)).status_code == 200
        assert (await http.get("/api/articles")).status_code == 200  # lists do not count
        assert (await http.get("/api/articles?q=")).status_code == 200  # nor a blank q
        graphql = await gql(http, '{ searchArticles(query: "python") { totalCount } }')
        assert graphql.json() == {"data": {"searchArticles": {"totalCount": 0}}}


async def test_searches_cost_constant_statements_whatever_the_page_size(
    database_url: str, backend: str
) -> None:
    settings = make_settings(database_url, cache="off")
    async with running(settings) as app, client_at(app, "192.0.2.8") as http:
        await _many(http)
        counts = set()
        for size in (1, 10, 40):
            response = await http.get(f"/api/articles?q=post&limit={size}")
            assert len(response.json()["articles"]) == size
            counts.add(response.headers["server-timing"].split('desc="')[1].split(" ")[0])
        # PostgreSQL: one statement; SQLite: the page, its tags, its highlights.
        assert counts == ({"1"} if backend == "postgresql" else {"3"})


async def _many(http: httpx.AsyncClient) -> None:
    ann = await register(http, "ann")
    for index in range(45):
        await create_article(http, ann, title=f"Post {index}", tagList=[f"t{index % 4}"])
