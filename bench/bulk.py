"""Seed a benchmark database fast: rows generated in Python, written with PostgreSQL ``COPY``.

``quillpress seed`` writes realistic demo prose through SQLAlchemy executemany (86 s for
200k articles); a growth benchmark needs a million articles in minutes. This writes the
same *shape* the design notes measured (1,000 users; about five tags per article from a
pool of a few hundred with a Zipf-like skew; 0 to 10 favorites and 0 to 3 comments per
article; 0 to 20 follows per user) with short titles and descriptions and bodies of prose
drawn from a Zipf-like vocabulary (``bench/corpus.py``: what full-text search is measured
on), through asyncpg's ``copy_records_to_table`` into a database already migrated to head.
The daily counts (``daily_count``), which the triggers would fill, are filled after each
load in a few statements (triggers are off while loading, see below). The search index
(``article_search``) is filled chunk by chunk *while* loading, on :data:`INDEXERS` more
connections: the documents are the load's biggest cost (``to_tsvector`` of a 3 KB body is
about 0.6 ms of the server's time, generating the article about 0.45 ms of Python's), so
each chunk's documents are computed by the server while Python generates and copies the
next chunks, in one set-based ``INSERT … SELECT`` per chunk (a join, not a call of
``article_search_document()`` per row: that function's own statement costs another
0.2 ms an article); :data:`VERIFY` compares a sample of them with the function. Adding
more articles than the index holds, its GIN index is dropped first and built once at the
end; ``search_word`` is filled in one statement at the end.

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

import asyncio
import contextlib
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
INDEXERS = 2  # connections computing search documents while the next chunks load
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

# The search documents of articles $1 … $2 (the triggers would have written them), as
# article_search_document() of migration 0008 computes each, set-based: VERIFY's
# "article_search documents" holds the two equal on a sample.
SEARCH_DOCUMENTS = """INSERT INTO article_search (article_id, created_at, document)
    SELECT a.id, a.created_at,
           setweight(to_tsvector(c.language, search_text(a.title)), 'A')
        || setweight(to_tsvector(c.language, coalesce(t.names, '') || ' ' || u.username), 'B')
        || setweight(to_tsvector(c.language, search_text(a.description)), 'C')
        || setweight(to_tsvector(c.language, search_text(a.body)), 'D')
    FROM article AS a JOIN app_user AS u ON u.id = a.author_id
    CROSS JOIN (SELECT (SELECT language FROM search_config) AS language) AS c
    LEFT JOIN LATERAL (
        SELECT string_agg(tag.name, ' ' ORDER BY at.position) AS names
        FROM article_tag AS at JOIN tag ON tag.id = at.tag_id WHERE at.article_id = a.id
    ) AS t ON true
    WHERE a.id BETWEEN $1 AND $2"""
# The title words of the articles after id $1, as search_title_words() gives them.
SEARCH_WORDS = """INSERT INTO search_word (word)
    SELECT DISTINCT w FROM article, search_title_words(article.title) AS w
    WHERE article.id > $1 ON CONFLICT DO NOTHING"""
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
    "article_search documents": """SELECT count(*) FROM article_search
        WHERE article_id % 997 = 0
          AND document IS DISTINCT FROM article_search_document(article_id)""",
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
    indexers: Sequence[asyncpg.Connection] = (),
) -> float:
    """Add articles until the database holds ``target`` (users, tags and follows first, on
    an empty one); set the counters; ``ANALYZE``. Returns the seconds it took.
    ``search_index=False`` leaves the search index empty: a bench that never searches
    saves most of the load's time (the documents cost more than the ``COPY``). The
    documents are computed on ``indexers`` while the next chunks load (on ``conn``
    after each chunk without them)."""
    started = time.perf_counter()
    generator = Generator(shape)
    have = await article_count(conn)
    workers = list(indexers) or [conn]
    for connection in {id(c): c for c in [conn, *workers]}.values():
        await connection.execute("SET session_replication_role = replica")
    documents = Documents(workers, rebuild=search_index and target - have > have)
    try:
        if not await conn.fetchval("SELECT count(*) FROM app_user"):
            for table, rows in (
                ("app_user", generator.users(password_hash)),
                ("tag", generator.tags()),
                ("follow", generator.follows()),
            ):
                await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
        if search_index:
            await documents.start(conn)
        columns = TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()
        with Progress(*columns, TimeRemainingColumn(), transient=False) as progress:
            task = progress.add_task(f"COPY to {target:,} articles", total=target, completed=have)
            for first in range(have + 1, target + 1, CHUNK):
                last = min(first + CHUNK - 1, target)
                for table, rows in generator.articles(first, last).items():
                    await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                if search_index:
                    await documents.add(first, last)
                progress.update(task, completed=last)
        for statement in FINISH:
            await conn.execute(statement)
        if search_index:
            await documents.finish(conn, after=have, adding=target - have)
    finally:
        await documents.cancel()
        for connection in {id(c): c for c in [conn, *workers]}.values():
            await connection.execute("SET session_replication_role = DEFAULT")
    await conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


class Documents:
    """The search documents of each loaded chunk, computed on the indexer connections
    while Python generates the next chunks (one statement in flight per connection)."""

    def __init__(self, workers: Sequence[asyncpg.Connection], *, rebuild: bool) -> None:
        self.workers = list(workers)
        self.rebuild = rebuild
        self.pending: list[asyncio.Task[str] | None] = [None] * len(self.workers)
        self.turn = 0
        self.started = time.perf_counter()
        self.waited = 0.0

    async def start(self, conn: asyncpg.Connection) -> None:
        """Adding more articles than the index holds, the GIN index is built afresh at the
        end (faster than growing it entry by entry)."""
        self.started = time.perf_counter()
        if self.rebuild:
            await conn.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")

    async def add(self, first: int, last: int) -> None:
        slot = self.turn % len(self.workers)
        self.turn += 1
        if (previous := self.pending[slot]) is not None:
            waiting = time.perf_counter()
            await previous
            self.waited += time.perf_counter() - waiting
        statement = self.workers[slot].execute(SEARCH_DOCUMENTS, first, last)
        self.pending[slot] = asyncio.ensure_future(statement)
        await asyncio.sleep(0)  # sent before the next chunk is generated

    async def finish(self, conn: asyncpg.Connection, *, after: int, adding: int) -> None:
        await asyncio.gather(*(task for task in self.pending if task is not None))
        self.pending = [None] * len(self.workers)
        computed = time.perf_counter() - self.started
        await conn.execute(SEARCH_WORDS, after)
        built = time.perf_counter()
        if self.rebuild:
            await conn.execute("SET maintenance_work_mem = '256MB'")
            await conn.execute(
                f"CREATE INDEX {SEARCH_INDEX} ON article_search USING gin (document)"
            )
        print(
            f"indexed    {adding:,} articles for search: documents done {computed:.1f} s after "
            f"the load began (it waited {self.waited:.1f} s for them), GIN index "
            f"{time.perf_counter() - built:.1f} s"
        )

    async def cancel(self) -> None:
        """On an error, no statement is left running on a connection about to close."""
        for task in self.pending:
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError):
                    await task


async def verify_counters(conn: asyncpg.Connection, *, search_index: bool = True) -> None:
    """Refuse to measure a database whose counters disagree with its rows."""
    checks = {
        name: sql for name, sql in VERIFY.items() if search_index or "article_search" not in name
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
    indexers = [await asyncpg.connect(url) for _ in range(INDEXERS if search_index else 0)]
    try:
        seconds = await grow(
            conn, target, shape, password_hash, search_index=search_index, indexers=indexers
        )
        await verify_counters(conn, search_index=search_index)
        return seconds
    finally:
        for indexer in indexers:
            await indexer.close()
        await conn.close()
