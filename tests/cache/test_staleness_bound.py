"""The staleness bound in each fault case: once a write is acknowledged, or a ``quillpress``
command that writes has exited, no instance serves older data, and none accepts a revoked
or banned session, for more than 2 seconds.

The happy path (every purge delivered at once) is tests/cache/test_consistency.py and
test_shared_sessions.py. Here the purge is lost or undone, and only the cache epoch
(``infra.epoch``) stands between a reader and a stale answer:

1. a command wrote from outside the servers (memory cache and Redis);
2. the writing instance could not reach Redis (the cut proxy in front of it);
3. Redis answered reads but refused writes (``maxmemory`` reached, ``noeviction``);
4. the writer was restarted right after its write;
5. Redis was flushed, restarted empty, or restarted from a snapshot older than the write;

and, for Redis down or hung for every instance, nothing answers a 5xx: reads are served
from the database.

Each case measures, from the acknowledgement (or the command's exit, or Redis reachable
again), how long the other instance went on answering stale, reading every 50 ms (see
:func:`all_fresh`: an answer from the database while the cache is bypassed does not end
the watch), and asserts it is at most :data:`BOUND_SECONDS`. Every response of every
instance is checked for a 5xx. The measurements are recorded as test properties
(``--junitxml`` shows them). Most instances poll the epoch every 200 ms to keep the file
fast; the command case's memory instance, the session case and the Redis-loss cases use
the default 1000 ms, the interval the bound is stated for. Last, the two poll delays that
stretched case 5 past the bound at that interval are pinned without timing."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.exceptions import OutOfMemoryError

from quillpress.config import Settings
from quillpress.db import cache_epoch
from quillpress.db.database import Database
from quillpress.infra.epoch import CacheEpoch
from tests.conftest import FAST_HASHING, TEST_SECRET, make_settings, truncate
from tests.epoch_support import OwnRedis, database_at, stored_token
from tests.helpers import (
    cache_outcome,
    create_article,
    gql,
    make_admin_in,
    register,
    serve,
    statement_count,
)
from tests.tcp_proxy import TcpProxy, through

BOUND_SECONDS = 2.0
"""The stated bound (QUILLPRESS_CACHE_EPOCH_INTERVAL_MS up to its default, 1000)."""
FAST_INTERVAL_MS = 200
DEFAULT_INTERVAL_MS = 1000
POLL_SECONDS = 0.05
HORIZON_SECONDS = BOUND_SECONDS + 0.25
"""How long an answer served around the cache is watched for a stale one coming back."""
SETUP_SECONDS = 3.0
"""How long filling the cache before a fault may take (past a cooldown)."""
GIVE_UP_SECONDS = BOUND_SECONDS + 3.0
"""How long a stale answer is waited out, so a failure reports how late it was."""

Check = Callable[[], Awaitable[tuple[bool, str]]]
"""One read: whether it was fresh, and its cache outcome (hit, miss, bypass, none)."""
Record = Callable[[str, object], None]


# --- instances --------------------------------------------------------------------------


async def _no_server_error(response: httpx.Response) -> None:
    request = response.request
    assert response.status_code < 500, f"{request.method} {request.url}: {response.status_code}"


class Instance:
    """An app of this process (lifespan running) with a client whose every response is
    checked for a 5xx, run in a task of its own so it can be shut down while the test
    goes on reading through the others."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ready: asyncio.Future[tuple[Any, httpx.AsyncClient]] | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._ready = ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run())
        await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            self._task.result()  # the app failed to start: its error
        app, client = ready.result()
        self.app: Any = app
        self.client: httpx.AsyncClient = client

    async def _run(self) -> None:
        assert self._ready is not None
        async with serve(self.settings) as (app, client):
            client.event_hooks["response"].append(_no_server_error)
            self._ready.set_result((app, client))
            await self._stop.wait()

    def shut_down(self) -> asyncio.Task[None]:
        """Begin the shutdown (the lifespan's, as on SIGTERM); await the task to finish it."""
        assert self._task is not None
        self._stop.set()
        return self._task

    async def close(self) -> None:
        if self._task is not None:
            await self.shut_down()

    @property
    def engine(self) -> Any:
        return self.app.state.resources.database.engine


@pytest.fixture
async def instances(database_url: str) -> AsyncIterator[Callable[[Settings], Awaitable[Instance]]]:
    """Start instances (closed at the end, newest first), on an emptied database."""
    async with database_at(database_url) as db:
        await truncate(db.engine)
    started: list[Instance] = []

    async def start(settings: Settings) -> Instance:
        instance = Instance(settings)
        await instance.start()
        started.append(instance)
        return instance

    try:
        yield start
    finally:
        for instance in reversed(started):
            await instance.close()
        async with database_at(database_url) as db:
            await truncate(db.engine)


def settings_for(
    database_url: str,
    *,
    redis_url: str | None = None,
    prefix: str = "qp:",
    interval_ms: int = FAST_INTERVAL_MS,
    timeout_ms: int = 500,
) -> Settings:
    """An instance's settings: the Redis cache at ``redis_url`` under ``prefix``, else
    the in-process one. The Redis timeout is generous: on a loaded machine a slow answer
    before a fault must not count as a fault of its own (a cut refuses at once)."""
    values: dict[str, object] = {"cache": "memory", "cache_epoch_interval_ms": interval_ms}
    if redis_url is not None:
        values |= {
            "cache": "redis",
            "redis_url": redis_url,
            "redis_prefix": prefix,
            "redis_timeout_ms": timeout_ms,
        }
    return make_settings(database_url, **values)


@pytest.fixture
def measured(request: pytest.FixtureRequest) -> Record:
    """Record one measurement (seconds) as a test property (``--junitxml`` writes them)."""

    def record(what: str, seconds: object) -> None:
        request.node.user_properties.append((what, seconds))

    return record


@pytest.fixture
def own_redis_dir(tmp_path: Path) -> Iterator[OwnRedis]:
    """A ``redis-server`` of the test's own, its snapshots in the test's directory."""
    server = OwnRedis(directory=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- measuring --------------------------------------------------------------------------


async def all_fresh(checks: dict[str, tuple[float, Check]], record: Record) -> dict[str, float]:
    """Watch every check (every 50 ms) from its own start; each one's staleness is when
    the first answer after its last stale one came, recorded, and asserted within the
    bound.

    An answer that turned fresh must stay so: a check is watched until it is fresh
    *through the cache* (a hit or a miss under the epoch in force: nothing older can come
    back under it), or, while the cache is bypassed (an answer from the database proves
    nothing about what Redis still holds), until past the bound."""
    fresh_since: dict[str, float | None] = dict.fromkeys(checks)
    watching = set(checks)
    while watching:
        for what in sorted(watching):
            since, check = checks[what]
            fresh, outcome = await check()
            now = time.monotonic() - since
            if not fresh:
                fresh_since[what] = None
                if now > GIVE_UP_SECONDS:
                    raise AssertionError(f"{what}: still stale {now:.2f} s after")
                continue
            if fresh_since[what] is None:
                fresh_since[what] = now
            if outcome != "bypass" or now > HORIZON_SECONDS:
                watching.discard(what)
        if watching:
            await asyncio.sleep(POLL_SECONDS)
    took = {what: float(seconds or 0.0) for what, seconds in fresh_since.items()}
    for what, seconds in took.items():
        record(what, round(seconds, 3))
    late = {what: round(seconds, 3) for what, seconds in took.items() if seconds > BOUND_SECONDS}
    assert not late, f"stale for longer than {BOUND_SECONDS} s: {late}"
    return took


async def fresh_within(what: str, since: float, check: Check, record: Record) -> float:
    return (await all_fresh({what: (since, check)}, record))[what]


async def cached(client: httpx.AsyncClient, path: str) -> Any:
    """Read ``path`` until it is a cache hit (the second read, normally: a slow Redis
    answer on a loaded machine costs a cooldown); its body."""
    deadline = time.monotonic() + SETUP_SECONDS
    while time.monotonic() < deadline:
        response = await client.get(path)
        assert response.status_code == 200, response.text
        if cache_outcome(response) == "hit":
            return response.json()
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"{path} never came from the cache")


async def session_cached(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Present the token until its session is looked up in Redis (no statement)."""
    deadline = time.monotonic() + SETUP_SECONDS
    while time.monotonic() < deadline:
        response = await client.get("/api/tags", headers=headers)
        assert response.status_code == 200, response.text
        if statement_count(response) == 0:  # the tags and the session both cached
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError("the session was never served by the cache")


def bio_is(client: httpx.AsyncClient, name: str, bio: str) -> Check:
    async def check() -> tuple[bool, str]:
        response = await client.get(f"/api/profiles/{name}")
        assert response.status_code == 200, response.text
        return response.json()["profile"]["bio"] == bio, cache_outcome(response)

    return check


def favorites_are(client: httpx.AsyncClient, slug: str, count: int) -> Check:
    async def check() -> tuple[bool, str]:
        response = await client.get(f"/api/articles/{slug}")
        assert response.status_code == 200, response.text
        return response.json()["article"]["favoritesCount"] == count, cache_outcome(response)

    return check


def refused(client: httpx.AsyncClient, headers: dict[str, str]) -> Check:
    """The token is refused (its session looked up again, not taken from the cache)."""

    async def check() -> tuple[bool, str]:
        response = await client.get("/api/tags", headers=headers)
        assert response.status_code in {200, 401}, response.text
        return response.status_code == 401, cache_outcome(response)

    return check


async def now_fresh(check: Check) -> bool:
    """The next answer is fresh (an instance that must be so at once)."""
    fresh, _ = await check()
    return fresh


async def set_bio(client: httpx.AsyncClient, headers: dict[str, str], bio: str) -> float:
    """Change the bio; the moment the write was acknowledged."""
    response = await client.put("/api/user", json={"user": {"bio": bio}}, headers=headers)
    assert response.status_code == 200, response.text
    return time.monotonic()


async def logout(client: httpx.AsyncClient, headers: dict[str, str]) -> float:
    response = await client.post("/api/users/logout", headers=headers)
    assert response.status_code == 204, response.text
    return time.monotonic()


async def ban(client: httpx.AsyncClient, admin: dict[str, str], name: str) -> float:
    body = {"user": {"banned": True}}
    response = await client.put(f"/api/admin/users/{name}", json=body, headers=admin)
    assert response.status_code == 200, response.text
    return time.monotonic()


# --- 1. a command wrote from outside the servers ---------------------------------------


async def run_command(database_url: str, *args: str) -> float:
    """``quillpress <args>`` in a process of its own, configured as an operator would
    (the database only: no cache settings, so nothing but the epoch tells the servers);
    the moment it exited. The event loop keeps running meanwhile: the servers poll."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("QUILLPRESS_") and name != "DATABASE_URL"
    }
    env |= {"QUILLPRESS_DATABASE_URL": database_url, "QUILLPRESS_SECRET_KEY": TEST_SECRET}
    env |= {f"QUILLPRESS_{name.upper()}": str(value) for name, value in FAST_HASHING.items()}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quillpress",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    exited = time.monotonic()
    assert process.returncode == 0, (args, out.decode(), err.decode())
    return exited


PROFILE_QUERY = '{ profile(username: "newbie") { username } }'


async def test_a_commands_write_reaches_memory_and_redis_servers_within_the_bound(
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    """``quillpress seed`` into the empty database the servers show, then ``quillpress
    create-user``: a server with the in-process cache (the default interval) and one with
    Redis answer what the command wrote within the bound."""
    memory = await instances(settings_for(database_url, interval_ms=DEFAULT_INTERVAL_MS))
    shared = await instances(
        settings_for(database_url, redis_url=redis_server, prefix=redis_prefix)
    )
    servers = {"memory": memory.client, "redis": shared.client}
    for client in servers.values():
        assert (await cached(client, "/api/tags")) == {"tags": []}
        assert (await cached(client, "/api/articles"))["articlesCount"] == 0

    exited = await run_command(database_url, "seed", "--users", "2", "--articles", "3")

    def seeded(client: httpx.AsyncClient) -> Check:
        async def check() -> tuple[bool, str]:
            tags = await client.get("/api/tags")
            articles = await client.get("/api/articles")
            fresh = bool(tags.json()["tags"]) and articles.json()["articlesCount"] == 3
            outcomes = {cache_outcome(tags), cache_outcome(articles)}
            return fresh, "bypass" if "bypass" in outcomes else outcomes.pop()

        return check

    await all_fresh(
        {f"seed, {mode} server": (exited, seeded(client)) for mode, client in servers.items()},
        measured,
    )

    # A missing profile is a shared answer too (GraphQL's null, tagged by the name).
    for client in servers.values():
        for _ in range(2):
            missing = await gql(client, PROFILE_QUERY)
            assert missing.json() == {"data": {"profile": None}}
        assert cache_outcome(missing) == "hit"

    exited = await run_command(
        database_url, "create-user", "newbie", "newbie@example.com", "--password", "pw-123456"
    )

    def found(client: httpx.AsyncClient) -> Check:
        async def check() -> tuple[bool, str]:
            response = await gql(client, PROFILE_QUERY)
            fresh = response.json()["data"]["profile"] == {"username": "newbie"}
            return fresh, cache_outcome(response)

        return check

    checks = {f"create-user, {mode} server": (exited, found(c)) for mode, c in servers.items()}
    await all_fresh(checks, measured)


# --- 2. the writer could not reach Redis ---------------------------------------------------


def purges_failed(instance: Instance) -> float:
    """The epoch bumps ``instance`` made for purges it could not deliver."""
    value = instance.app.state.resources.metrics.registry.get_sample_value(
        "quillpress_cache_epoch_bumps_total", {"reason": "purge_failed"}
    )
    return float(value or 0.0)


@pytest.mark.parametrize("fault", ["cut", "hung"])
async def test_a_write_through_an_instance_cut_from_redis_is_fresh_on_the_other(
    fault: str,
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    redis_proxy: TcpProxy,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    """A's Redis through the proxy, B's direct: the proxy cut (connections refused) or
    hung (A's commands time out; one may still land later, a purge doing no harm)."""
    a_instance = await instances(
        settings_for(
            database_url,
            redis_url=through(redis_server, redis_proxy),
            prefix=redis_prefix,
            timeout_ms=200 if fault == "hung" else 500,
        )
    )
    b_settings = settings_for(database_url, redis_url=redis_server, prefix=redis_prefix)
    b = (await instances(b_settings)).client
    a = a_instance.client
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    slug = (await create_article(a, ann))["slug"]
    assert (await cached(b, "/api/profiles/ann"))["profile"]["bio"] != "Cut off"
    assert (await cached(b, f"/api/articles/{slug}"))["article"]["favoritesCount"] == 0

    if fault == "cut":
        await redis_proxy.stop()
    else:
        redis_proxy.pause()
    bio_at = await set_bio(a, ann, "Cut off")
    favorite = await a.post(f"/api/articles/{slug}/favorite", headers=bob)
    assert favorite.status_code == 200, favorite.text
    favorite_at = time.monotonic()
    assert purges_failed(a_instance) >= 1  # only the epoch can tell B now
    assert await now_fresh(bio_is(a, "ann", "Cut off"))  # the writer reads the database

    await all_fresh(
        {
            f"profile, writer's Redis {fault}": (bio_at, bio_is(b, "ann", "Cut off")),
            f"favorite, writer's Redis {fault}": (favorite_at, favorites_are(b, slug, 1)),
        },
        measured,
    )


async def test_a_logout_or_ban_through_an_instance_cut_from_redis_is_refused_on_the_other(
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    redis_proxy: TcpProxy,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    """At the default interval: the bound is stated for it."""
    a_instance = await instances(
        settings_for(
            database_url,
            redis_url=through(redis_server, redis_proxy),
            prefix=redis_prefix,
            interval_ms=DEFAULT_INTERVAL_MS,
        )
    )
    b_instance = await instances(
        settings_for(
            database_url,
            redis_url=redis_server,
            prefix=redis_prefix,
            interval_ms=DEFAULT_INTERVAL_MS,
        )
    )
    a, b = a_instance.client, b_instance.client
    root = await make_admin_in(a_instance.engine, a, "root")
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    await session_cached(b, ann)
    await session_cached(b, bob)

    await redis_proxy.stop()
    out_at = await logout(a, ann)
    assert await now_fresh(refused(a, ann))
    await fresh_within("logout, writer cut from Redis", out_at, refused(b, ann), measured)

    await session_cached(b, bob)  # cached again, under the epoch the logout moved on
    banned_at = await ban(a, root, "bob")
    assert await now_fresh(refused(a, bob))
    await fresh_within("ban, writer cut from Redis", banned_at, refused(b, bob), measured)
    assert purges_failed(a_instance) >= 2


# --- 3. Redis answered reads but refused writes ---------------------------------------------


async def test_redis_refusing_writes_serves_fresh_answers_and_refuses_a_revoked_session(
    database_url: str,
    own_redis_dir: OwnRedis,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    a_instance = await instances(settings_for(database_url, redis_url=own_redis_dir.url))
    b = (await instances(settings_for(database_url, redis_url=own_redis_dir.url))).client
    a = a_instance.client
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    await cached(b, "/api/profiles/bob")
    await session_cached(b, ann)

    with own_redis_dir.client() as redis:
        redis.config_set("maxmemory-policy", "noeviction")
        redis.config_set("maxmemory", 1)
        with pytest.raises(OutOfMemoryError):
            redis.set("probe", "x")
    await cached(b, "/api/profiles/bob")  # reads are still answered

    bio_at = await set_bio(a, bob, "Redis is full")
    out_at = await logout(a, ann)
    assert purges_failed(a_instance) >= 1
    await all_fresh(
        {
            "profile, Redis refusing writes": (bio_at, bio_is(b, "bob", "Redis is full")),
            "logout, Redis refusing writes": (out_at, refused(b, ann)),
        },
        measured,
    )


# --- 4. the writer restarted right after its write -----------------------------------------


async def test_a_writer_restarted_after_a_write_it_could_not_purge(
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    redis_proxy: TcpProxy,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    a_settings = settings_for(
        database_url, redis_url=through(redis_server, redis_proxy), prefix=redis_prefix
    )
    a_instance = await instances(a_settings)
    b_settings = settings_for(database_url, redis_url=redis_server, prefix=redis_prefix)
    b = (await instances(b_settings)).client
    a = a_instance.client
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    await cached(b, "/api/profiles/bob")
    await session_cached(b, ann)

    await redis_proxy.stop()
    bio_at = await set_bio(a, bob, "Before the restart")
    out_at = await logout(a, ann)
    stopping = a_instance.shut_down()  # right after the write; B is read meanwhile
    await all_fresh(
        {
            "profile, writer restarted": (bio_at, bio_is(b, "bob", "Before the restart")),
            "logout, writer restarted": (out_at, refused(b, ann)),
        },
        measured,
    )
    await stopping

    await redis_proxy.start()  # A' reaches Redis, which never got A's purges
    restarted = (await instances(a_settings)).client
    assert await now_fresh(bio_is(restarted, "bob", "Before the restart"))
    assert await now_fresh(refused(restarted, ann))
    assert (await cached(restarted, "/api/profiles/bob"))["profile"]["bio"] == "Before the restart"
    assert await now_fresh(refused(restarted, ann))


# --- 5. Redis lost its data, or went back to an older snapshot -------------------------------


@pytest.mark.parametrize("loss", ["flushed", "restarted empty", "older snapshot"])
async def test_redis_losing_or_rolling_back_its_data_is_fresh_within_the_bound(
    loss: str,
    database_url: str,
    own_redis_dir: OwnRedis,
    tmp_path: Path,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    """The purges are delivered; then Redis forgets them (with what they retired, for the
    flush and the empty restart; without it, for the snapshot taken before the write,
    which brings the old entries and the old tag tokens back). At the default interval."""
    a_settings = settings_for(
        database_url, redis_url=own_redis_dir.url, interval_ms=DEFAULT_INTERVAL_MS
    )
    a = (await instances(a_settings)).client
    b = (await instances(a_settings)).client
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    await cached(b, "/api/profiles/bob")
    await session_cached(b, ann)
    if loss == "older snapshot":
        with own_redis_dir.client() as redis:
            redis.save()  # the cached profile and session, and their tags' tokens

    await set_bio(a, bob, "After the snapshot")
    await logout(a, ann)
    assert await now_fresh(bio_is(b, "bob", "After the snapshot"))  # delivered: fresh at once
    assert await now_fresh(refused(b, ann))
    await cached(b, "/api/profiles/bob")

    if loss == "flushed":
        with own_redis_dir.client() as redis:
            redis.flushall()
    else:
        if loss == "restarted empty":
            (tmp_path / "dump.rdb").unlink(missing_ok=True)
        await asyncio.to_thread(own_redis_dir.restart)  # loads the snapshot, if any
    reachable = time.monotonic()
    await all_fresh(
        {
            f"profile, Redis {loss}": (reachable, bio_is(b, "bob", "After the snapshot")),
            f"logout, Redis {loss}": (reachable, refused(b, ann)),
        },
        measured,
    )
    if loss == "older snapshot":  # it did bring the answer from before the write back
        with own_redis_dir.client() as redis:
            entries = [redis.get(key) for key in redis.scan_iter(match="qp:e:*")]
        shown = [entry for entry in entries if isinstance(entry, bytes) and b'"bob"' in entry]
        assert any(b"After the snapshot" not in entry for entry in shown), shown


# --- Redis down or hung for every instance ----------------------------------------------------

READS = ["/api/articles", "/api/tags", "/api/profiles/bob"]


@pytest.mark.parametrize("fault", ["down", "hung"])
async def test_redis_down_or_hung_serves_every_read_from_the_database(
    fault: str,
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    redis_proxy: TcpProxy,
    instances: Callable[[Settings], Awaitable[Instance]],
    measured: Record,
) -> None:
    settings = settings_for(
        database_url,
        redis_url=through(redis_server, redis_proxy),
        prefix=redis_prefix,
        timeout_ms=200,  # a hung Redis costs a request this long, then a cooldown
    )
    a = (await instances(settings)).client
    b = (await instances(settings)).client
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    await create_article(a, bob)
    for path in READS:
        await cached(b, path)
    await session_cached(b, ann)

    if fault == "down":
        await redis_proxy.stop()
    else:
        redis_proxy.pause()
    try:
        bio_at = await set_bio(a, bob, f"Redis {fault}")
        out_at = await logout(a, ann)
        await all_fresh(
            {
                f"profile, Redis {fault}": (bio_at, bio_is(b, "bob", f"Redis {fault}")),
                f"logout, Redis {fault}": (out_at, refused(b, ann)),
            },
            measured,
        )
        for client in (a, b):
            for path in READS:
                response = await client.get(path)
                assert response.status_code == 200, response.text
                assert cache_outcome(response) == "bypass", path
    finally:
        if fault == "hung":
            redis_proxy.resume()


# --- the polls themselves: what makes 5. hold at the default interval ------------------------
#
# Measured above, a snapshot restored under two instances polling every second showed
# stale answers for up to 1.7 s after Redis came back. Two things stretched one interval
# towards two, pinned here without timing:


def epoch_for(database: Database, redis_url: str) -> CacheEpoch:
    """An instance's epoch, as the app builds it, not polling (the test drives it)."""
    url = database.engine.url.render_as_string(hide_password=False)
    return CacheEpoch.from_settings(settings_for(url, redis_url=redis_url), database)


async def test_one_poll_notices_a_redis_restart(database_url: str, own_redis_dir: OwnRedis) -> None:
    """The restart closed the poll's pooled connection: its first command after it fails.
    Skipping that poll as "Redis unreachable" leaves the restored entries served for one
    more interval."""
    async with database_at(database_url) as db:
        epoch = epoch_for(db, own_redis_dir.url)
        try:
            await epoch.refresh()  # the first ever: no sentinel yet (bumps, sets it)
            before = epoch.value
            await epoch.refresh()
            assert epoch.value == before
            await asyncio.to_thread(own_redis_dir.restart)
            await epoch.refresh()
            assert epoch.value != before
            assert epoch.value == await stored_token(database_url)
        finally:
            await epoch.stop()


async def test_a_reset_another_instance_noticed_first_is_seen_in_the_same_poll(
    database_url: str, own_redis_dir: OwnRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instance X notices a flushed Redis (bumps, then puts the sentinel back) right
    after instance Y read the epoch from the database and before Y looks at Redis: Y
    finds the sentinel current and must not be left with the token it read before X's
    bump for another interval."""
    async with database_at(database_url) as x_db, database_at(database_url) as y_db:
        x, y = epoch_for(x_db, own_redis_dir.url), epoch_for(y_db, own_redis_dir.url)
        try:
            await x.refresh()
            await y.refresh()
            with own_redis_dir.client() as redis:
                redis.flushall()
            read_token = cache_epoch.read_token
            armed = True

            async def x_polls_right_after_ys_read(conn: Any) -> str:
                nonlocal armed
                token = await read_token(conn)
                if armed:
                    armed = False
                    await x.refresh()
                return token

            monkeypatch.setattr(cache_epoch, "read_token", x_polls_right_after_ys_read)
            await y.refresh()
            monkeypatch.undo()
            stored = await stored_token(database_url)
            assert x.value == stored
            assert y.value == stored
        finally:
            await x.stop()
            await y.stop()
