"""Seed a benchmark database fast: rows generated in Python, written with PostgreSQL ``COPY``.

``quillpress seed`` writes realistic demo prose through SQLAlchemy executemany (86 s for
200k articles); a growth benchmark needs a million articles in minutes. This writes the
same *shape* the design notes measured (1,000 users; about five tags per article from a
pool of a few hundred with a Zipf-like skew; 0 to 10 favorites and 0 to 3 comments per
article; 0 to 20 follows per user) with short titles and descriptions and bodies of prose
drawn from a Zipf-like vocabulary (``bench/corpus.py``: what full-text search is measured
on), through asyncpg's ``copy_records_to_table`` into a database already migrated to head.
The search index (``article_search``, ``search_word``) and the daily counts
(``daily_count``), which the triggers would fill, are filled after each load in a few
statements (triggers are off while loading, see below).

Every article is a pure function of ``(seed, article id)`` (its own ``random.Random``), so
growing a database from 20k to 200k articles yields exactly the rows seeding 200k at
once would; articles get newer as ids grow (``created_at`` = a fixed start + id * 20 s),
so a grown database's newest page is its newest articles. ``Shape`` can move that clock
(``bench/console_overview.py`` puts every article and user in the last 30 days).

The maintained counters are written, not recounted: ``article.favorites_count`` is known
when the article is generated and goes into its ``COPY`` row; tags', users' and the
``articles`` total are set from ``GROUP BY`` aggregates after each load (a pass over the
link tables, cheaper than ``counters.recount``'s correlated ``UPDATE`` of every article).
:func:`verify_counters` compares them with the rows before anything is measured.

Foreign-key triggers are off for the loading session (``session_replication_role =
replica``, superuser only): the generator produces only valid references, and per-row
FK checks would double the load time. Indexes stay in place: loading into the migrated
schema keeps one schema source (Alembic), and measured here the index upkeep costs less
than dropping and rebuilding them would (see ``bench/README.md``)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

import asyncpg
from bench import corpus
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from quillpress.domain.emails import normalized_email
from quillpress.seeding.generate import tag_pool, tag_weights

START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=20)  # between consecutive articles: 1M articles span 231 days
CHUNK = 5_000  # articles per COPY round
PASSWORD = "password123"  # noqa: S105 (every benchmark account's password, as the demo seed's)


@dataclass(frozen=True, slots=True)
class Shape:
    users: int = 1_000
    tags: int = 300
    seed: int = 42
    start: datetime = START  # article ``id``'s created_at is start + step * id
    step: timedelta = STEP
    users_start: datetime = START - timedelta(days=400)  # user ``i``: users_start + users_step * i
    users_step: timedelta = timedelta(0)


def _skewed(size: int, offset: int) -> list[float]:
    """Cumulative weights ``1 / (rank + offset)``: a few popular, a long tail."""
    return list(accumulate(1 / (rank + offset) for rank in range(size)))


def _distinct(
    rng: random.Random, count: int, population: Sequence[int], cum: Sequence[float]
) -> list[int]:
    """``count`` distinct draws (in draw order) from a skewed population."""
    picked: dict[int, None] = {}
    count = min(count, len(population))
    for _ in range(50):  # bounded: the skew makes repeats likely, never endless
        if len(picked) >= count:
            break
        picked.update(dict.fromkeys(rng.choices(population, cum_weights=cum, k=count)))
    return list(picked)[:count]


class Generator:
    """Rows for users, tags, follows and articles (with their tags, fans and comments)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.user_ids = list(range(1, shape.users + 1))
        self.tag_ids = list(range(1, shape.tags + 1))
        self.author_cum = _skewed(shape.users, 10)  # a few prolific authors
        self.fan_cum = _skewed(shape.users, 20)  # a few users favorite a lot
        self.tag_cum = tag_weights(shape.tags)  # the seeder's own tag skew

    def users(self, password_hash: str) -> list[tuple[Any, ...]]:
        shape = self.shape
        return [
            (
                i,
                f"user{i}",
                f"user{i}@example.com",
                normalized_email(f"user{i}@example.com"),
                password_hash,
                f"Bio of user {i}.",
                None,
                "user",
                0,
                0,
                shape.users_start + shape.users_step * i,
                shape.users_start + shape.users_step * i,
            )
            for i in self.user_ids
        ]

    def tags(self) -> list[tuple[Any, ...]]:
        return [(i, name, 0) for i, (name, _) in enumerate(tag_pool(self.shape.tags), start=1)]

    def follows(self) -> list[tuple[Any, ...]]:
        rng = random.Random(f"{self.shape.seed}:follows")
        rows = []
        for follower in self.user_ids:
            wanted = rng.randint(0, 20)
            drawn = _distinct(rng, wanted + 1, self.user_ids, self.author_cum)
            rows += [(follower, followed, START) for followed in drawn if followed != follower][
                :wanted
            ]
        return rows

    def articles(self, first: int, last: int) -> dict[str, list[tuple[Any, ...]]]:
        """Rows for article ids ``first`` … ``last`` (inclusive), per table."""
        articles, links, favorites, comments = [], [], [], []
        for article_id in range(first, last + 1):
            rng = random.Random(self.shape.seed * 1_000_003 + article_id)
            # A generator of its own, so every other row is what it was before bodies
            # became prose.
            text = corpus.body(random.Random(self.shape.seed * 7_000_003 + article_id))
            created = self.shape.start + self.shape.step * article_id
            author = rng.choices(self.user_ids, cum_weights=self.author_cum)[0]
            tags = _distinct(rng, rng.randint(3, 7), self.tag_ids, self.tag_cum)
            fans = _distinct(rng, rng.randint(0, 10), self.user_ids, self.fan_cum)
            articles.append(
                (
                    article_id,
                    f"article-{article_id}",
                    f"Article number {article_id}",
                    f"What article {article_id} is about, in one line.",
                    text,
                    author,
                    len(fans),
                    created,
                    created,
                )
            )
            links.extend((article_id, tag, position, created) for position, tag in enumerate(tags))
            favorites.extend((fan, article_id, created) for fan in fans)
            for n in range(rng.randint(0, 3)):
                at = created + timedelta(minutes=n + 1)
                comments.append(
                    (f"Comment {n} on {article_id}.", article_id, rng.choice(self.user_ids), at, at)
                )
        return {
            "article": articles,
            "article_tag": links,
            "favorite": favorites,
            "comment": comments,
        }


COLUMNS = {
    "app_user": (
        "id",
        "username",
        "email",
        "email_normalized",
        "password_hash",
        "bio",
        "image",
        "role",
        "articles_count",
        "favorites_count",
        "created_at",
        "updated_at",
    ),
    "tag": ("id", "name", "articles_count"),
    "follow": ("follower_id", "followed_id", "created_at"),
    "article": (
        "id",
        "slug",
        "title",
        "description",
        "body",
        "author_id",
        "favorites_count",
        "created_at",
        "updated_at",
    ),
    "article_tag": ("article_id", "tag_id", "position", "article_created_at"),
    "favorite": ("user_id", "article_id", "created_at"),
    "comment": ("body", "article_id", "author_id", "created_at", "updated_at"),
}

# After each load: the counters from GROUP BY aggregates, the sequences past the ids.
FINISH = [
    """UPDATE tag SET articles_count = coalesce(c.n, 0)
       FROM tag AS t LEFT JOIN (SELECT tag_id, count(*) AS n FROM article_tag GROUP BY tag_id) AS c
         ON c.tag_id = t.id
       WHERE tag.id = t.id""",
    """UPDATE app_user SET articles_count = coalesce(a.n, 0), favorites_count = coalesce(f.n, 0)
       FROM app_user AS u
       LEFT JOIN (SELECT author_id, count(*) AS n FROM article GROUP BY author_id) AS a
         ON a.author_id = u.id
       LEFT JOIN (SELECT user_id, count(*) AS n FROM favorite GROUP BY user_id) AS f
         ON f.user_id = u.id
       WHERE app_user.id = u.id""",
    """INSERT INTO counter (name, value) SELECT 'articles', count(*) FROM article
       ON CONFLICT (name) DO UPDATE SET value = excluded.value""",
    # The daily counts (migration 0010) the triggers would have kept, afresh.
    "DELETE FROM daily_count WHERE kind IN ('users', 'articles', 'comments')",
    """INSERT INTO daily_count (kind, day, count)
       SELECT kind, day, count(*) FROM (
           SELECT 'users' AS kind, (created_at AT TIME ZONE 'UTC')::date AS day FROM app_user
           UNION ALL SELECT 'articles', (created_at AT TIME ZONE 'UTC')::date FROM article
           UNION ALL SELECT 'comments', (created_at AT TIME ZONE 'UTC')::date FROM comment
       ) AS created GROUP BY kind, day""",
    "SELECT setval(pg_get_serial_sequence('app_user', 'id'), (SELECT max(id) FROM app_user))",
    "SELECT setval(pg_get_serial_sequence('tag', 'id'), (SELECT max(id) FROM tag))",
    "SELECT setval(pg_get_serial_sequence('article', 'id'), (SELECT max(id) FROM article))",
]

# The search index for the articles after id $1 (the triggers would have done it), as the
# triggers compute it: article_search_document() and search_title_words() of migration 0008.
SEARCH_FILL = [
    """INSERT INTO article_search (article_id, created_at, document)
       SELECT id, created_at, article_search_document(id) FROM article WHERE id > $1""",
    """INSERT INTO search_word (word)
       SELECT DISTINCT w FROM article, search_title_words(article.title) AS w
       WHERE article.id > $1 ON CONFLICT DO NOTHING""",
]
SEARCH_INDEX = "ix_article_search_document"

# Each returns the number of counters that disagree with the rows (0 when all is well).
# Articles are sampled (every 97th) so the check stays a few seconds at a million.
VERIFY = {
    "counter.articles": """SELECT count(*) FROM counter
        WHERE name = 'articles' AND value <> (SELECT count(*) FROM article)""",
    "tag.articles_count": """SELECT count(*) FROM tag
        WHERE articles_count <> (SELECT count(*) FROM article_tag WHERE tag_id = tag.id)""",
    "app_user counts": """SELECT count(*) FROM app_user
        WHERE articles_count <> (SELECT count(*) FROM article WHERE author_id = app_user.id)
           OR favorites_count <> (SELECT count(*) FROM favorite WHERE user_id = app_user.id)""",
    "article.favorites_count": """SELECT count(*) FROM article WHERE id % 97 = 0
        AND favorites_count <> (SELECT count(*) FROM favorite WHERE article_id = article.id)""",
    "article_search rows": """SELECT abs((SELECT count(*) FROM article)
        - (SELECT count(*) FROM article_search))""",
    "daily_count totals": """SELECT
        abs((SELECT coalesce(sum(count), 0) FROM daily_count WHERE kind = 'users')
            - (SELECT count(*) FROM app_user))
        + abs((SELECT coalesce(sum(count), 0) FROM daily_count WHERE kind = 'articles')
            - (SELECT count(*) FROM article))
        + abs((SELECT coalesce(sum(count), 0) FROM daily_count WHERE kind = 'comments')
            - (SELECT count(*) FROM comment))""",
}


async def article_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM article"))


async def grow(
    conn: asyncpg.Connection,
    target: int,
    shape: Shape,
    password_hash: str,
    *,
    search_index: bool = True,
) -> float:
    """Add articles until the database holds ``target`` (users, tags and follows first, on
    an empty one); set the counters; ``ANALYZE``. Returns the seconds it took.
    ``search_index=False`` leaves the search index empty: a bench that never searches
    saves most of the load's time (the documents cost more than the ``COPY``)."""
    started = time.perf_counter()
    generator = Generator(shape)
    have = await article_count(conn)
    await conn.execute("SET session_replication_role = replica")
    try:
        if not await conn.fetchval("SELECT count(*) FROM app_user"):
            for table, rows in (
                ("app_user", generator.users(password_hash)),
                ("tag", generator.tags()),
                ("follow", generator.follows()),
            ):
                await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
        columns = TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()
        with Progress(*columns, TimeRemainingColumn(), transient=False) as progress:
            task = progress.add_task(f"COPY to {target:,} articles", total=target, completed=have)
            for first in range(have + 1, target + 1, CHUNK):
                last = min(first + CHUNK - 1, target)
                for table, rows in generator.articles(first, last).items():
                    await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                progress.update(task, completed=last)
        for statement in FINISH:
            await conn.execute(statement)
        if search_index:
            await fill_search_index(conn, after=have, adding=target - have)
    finally:
        await conn.execute("SET session_replication_role = DEFAULT")
    await conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


async def fill_search_index(conn: asyncpg.Connection, *, after: int, adding: int) -> None:
    """Index the articles after id ``after``. Adding more than the index holds, the GIN
    index is built afresh afterwards (faster than growing it entry by entry)."""
    rebuild = adding > after
    if rebuild:
        await conn.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    started = time.perf_counter()
    for statement in SEARCH_FILL:
        await conn.execute(statement, after)
    if rebuild:
        await conn.execute("SET maintenance_work_mem = '256MB'")
        await conn.execute(f"CREATE INDEX {SEARCH_INDEX} ON article_search USING gin (document)")
    print(f"indexed    {adding:,} articles for search in {time.perf_counter() - started:.1f} s")


async def verify_counters(conn: asyncpg.Connection, *, search_index: bool = True) -> None:
    """Refuse to measure a database whose counters disagree with its rows."""
    checks = {
        name: sql for name, sql in VERIFY.items() if search_index or name != "article_search rows"
    }
    wrong = {name: int(await conn.fetchval(sql)) for name, sql in checks.items()}
    wrong = {name: n for name, n in wrong.items() if n}
    if wrong:
        raise RuntimeError(f"counters disagree with the rows: {wrong}")


def hash_password() -> str:
    """The benchmark accounts' password hash, with the production parameters (once)."""
    from quillpress.config import Settings
    from quillpress.infra.passwords import PasswordHasher

    return PasswordHasher.from_settings(Settings()).hash_sync(PASSWORD)


async def seed(
    url: str, target: int, shape: Shape, password_hash: str, *, search_index: bool = True
) -> float:
    """Grow the database at ``url`` to ``target`` articles, check its counters, and
    return the seconds the load took."""
    conn = await asyncpg.connect(url)
    try:
        seconds = await grow(conn, target, shape, password_hash, search_index=search_index)
        await verify_counters(conn, search_index=search_index)
        return seconds
    finally:
        await conn.close()
