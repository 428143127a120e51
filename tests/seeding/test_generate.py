"""Demo data generation (``seeding.generate``): deterministic, a tag pool a front end can
show with a realistic skew, posts that are markdown about their topic, users with bios and
avatars, and the benchmark's shape when a few hundred tags are asked for."""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate
from statistics import mean, median

import pytest

from quillpress.seeding import text
from quillpress.seeding.generate import generate, tag_pool, tag_weights
from quillpress.seeding.plan import BASE_DATE, DEFAULT_TAGS, LOCAL_URL, MAX_TAGS, SeedPlan

README_EXAMPLE_USER = "zoe_moreau"
"""The README's "take any author, e.g. …" account: must exist with the default seed."""

TOPIC_BY_TAG = {topic.tag + suffix: topic for suffix in text.TAG_SUFFIXES for topic in text.TOPICS}
SMALL = SeedPlan(users=20, articles=150, seed=11)


def test_the_same_plan_gives_the_same_data_and_another_seed_other_data() -> None:
    assert generate(SMALL) == generate(SMALL)
    other = generate(SeedPlan(users=20, articles=150, seed=12))
    data = generate(SMALL)
    assert [a.title for a in other.articles] != [a.title for a in data.articles]
    assert [a.body for a in other.articles] != [a.body for a in data.articles]
    assert [u.bio for u in other.users] != [u.bio for u in data.users]


def test_generation_is_pure_and_in_the_past() -> None:
    data = generate(SMALL)
    assert all(article.created_at < BASE_DATE for article in data.articles)
    assert [a.created_at for a in data.articles] == sorted(a.created_at for a in data.articles)
    assert all(follower != followed for follower, followed, _ in data.follows)


def test_the_default_pool_fits_a_popular_tags_box() -> None:
    assert 20 <= DEFAULT_TAGS <= 40
    data = generate(SeedPlan())
    assert len(data.tags) == DEFAULT_TAGS  # 500 articles use every tag of the pool
    assert set(data.tags) == {name for name, _ in tag_pool(DEFAULT_TAGS)}


@pytest.mark.parametrize("size", [1, 7, 12])
def test_the_asked_pool_size_is_honoured(size: int) -> None:
    data = generate(SeedPlan(users=10, articles=120, seed=3, tags=size))
    assert len(data.tags) == size
    assert all(len(set(a.tags)) == len(a.tags) >= min(3, size) for a in data.articles)


def test_pool_sizes_outside_the_vocabulary_are_refused() -> None:
    for size in (0, MAX_TAGS + 1):
        with pytest.raises(ValueError, match="tag pool"):
            generate(SeedPlan(users=2, articles=2, tags=size))


def test_the_top_tag_is_used_several_times_more_than_the_median_one() -> None:
    uses = Counter(tag for article in generate(SeedPlan()).articles for tag in article.tags)
    counts = sorted(uses.values(), reverse=True)
    assert counts[0] >= 4 * median(counts)
    assert uses.most_common(1)[0][0] == text.TOPICS[0].tag


def test_a_few_hundred_tags_keep_the_benchmark_shape() -> None:
    """``--tags 300`` draws with the weights the benchmarks were measured with (a pool of
    300 names, ``1 / (rank + 5)``) and keeps about five tags per article."""
    assert MAX_TAGS >= 300
    assert tag_weights(300) == list(accumulate(1 / (rank + 5) for rank in range(300)))
    data = generate(SeedPlan(users=100, articles=2_000, seed=42, tags=300))
    assert 4.5 <= mean(len(article.tags) for article in data.articles) <= 5.5
    assert len(data.tags) > 250
    assert 1 <= mean(len(article.comments) for article in data.articles) <= 4
    assert 3 <= mean(len(article.favorited_by) for article in data.articles) <= 7


def test_bodies_are_markdown_with_headings_lists_and_code_in_the_topics_language() -> None:
    for article in generate(SeedPlan(users=20, articles=300, seed=5)).articles:
        body = article.body
        lines = body.splitlines()
        assert sum(line.startswith("## ") for line in lines) >= 3, body
        assert any(re.match(r"(- |1\. )\S", line) for line in lines), body
        assert body.count("```") % 2 == 0, body
        topic = TOPIC_BY_TAG[article.tags[0]]
        if topic.code:
            assert f"\n```{topic.code}\n" in body, (topic, body)
        else:
            assert "```" not in body, body
        outside_code = re.sub(r"```\w+\n.*?\n```", "", body, flags=re.DOTALL)
        prose = [
            line
            for line in outside_code.splitlines()
            if line and not re.match(r"(#|- |\d+\. )", line)
        ]
        sentences = [s for line in prose for s in re.split(r"(?<=[.!?]) ", line)]
        assert len(sentences) >= 6
        assert all(s[0].isupper() and s[-1] in ".!?" for s in sentences), sentences
        assert len(set(sentences)) == len(sentences), sentences
        assert "{" not in " ".join(prose), body  # every template slot was filled


def test_posts_read_as_being_about_their_topic() -> None:
    data = generate(SeedPlan(users=20, articles=300, seed=8))
    titles = [article.title for article in data.articles]
    assert len(set(titles)) == len(titles)
    assert sum(", part " in title for title in titles) <= len(titles) // 50  # rare
    for article in data.articles:
        topic = TOPIC_BY_TAG[article.tags[0]]
        assert article.title[0].isupper(), article.title
        assert article.description.endswith("."), article.description
        if not topic.people:
            assert topic.name.lower() in article.title.lower(), (topic, article.title)
        for comment in article.comments:
            assert comment.body[0].isupper(), comment.body
            assert comment.body[-1] in ".!?", comment.body


def test_most_users_have_a_bio_and_an_avatar_at_the_local_address_by_default() -> None:
    users = generate(SeedPlan(users=200, articles=0, seed=2)).users
    assert sum(user.bio is not None for user in users) >= 0.7 * len(users)
    assert sum(user.image is not None for user in users) >= 0.7 * len(users)
    for user in users:
        assert user.email == f"{user.username}@example.com"
        if user.image is not None:
            assert user.image == f"{LOCAL_URL}/avatars/{user.username}.svg"


def test_avatar_urls_start_with_the_public_url() -> None:
    plan = SeedPlan(users=30, articles=0, seed=2, public_url="https://blog.example.com/quill")
    images = [user.image for user in generate(plan).users if user.image]
    assert images
    assert all(image.startswith("https://blog.example.com/quill/avatars/") for image in images)


def test_the_readme_example_user_exists_with_a_bio_and_an_avatar() -> None:
    data = generate(SeedPlan())
    users = {user.username: index for index, user in enumerate(data.users)}
    assert README_EXAMPLE_USER in users
    user = data.users[users[README_EXAMPLE_USER]]
    assert user.bio
    assert user.image
    assert any(article.author == users[README_EXAMPLE_USER] for article in data.articles)
