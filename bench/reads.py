"""The second table of ``bench/run.py``: the cheap reads a client makes most, each beside a
floor of its own (``bench/floors.py``), and what signing in costs in CPU.

Before anything is loaded every Quillpress answer is compared with its floor's: the same
bytes (or, failing that, the same JSON with a note; anything else stops the run with the
first difference), on every server that serves it, as a cache miss and as a hit."""

from __future__ import annotations

import json
from collections.abc import Mapping

from bench.harness import BenchError, fetch, first_difference
from bench.measure import Figures, Target

TAGS, USER = "/api/tags", "/api/user"
SIGNED_IN, ANONYMOUS = "user signed in (redis)", "profile cached (redis)"
CPU_GOAL_MS = 0.3  # a signed-in request costs at most this much more CPU than an anonymous one

# SQL statements per request before this work (measured on main, 2026-12-05):
# "unchanged or fewer" is checked against these.
STATEMENTS_BEFORE = {
    "tags cached (redis)": 0,
    "tags cached (memory)": 0,
    "tags uncached": 1,
    "article cached (redis)": 0,
    "article uncached": 2,
    "profile cached (redis)": 0,
    "profile uncached": 1,
    "user signed in (redis)": 1,
    "user signed in uncached": 2,
}


def targets(slug: str, username: str) -> tuple[Target, ...]:
    article, profile = f"/api/articles/{slug}", f"/api/profiles/{username}"
    return (
        Target("tags floor", "floors", TAGS),
        Target(
            "tags cached (redis)", "redis", TAGS, floor="tags floor", goal=1.0, hit_contract=True
        ),
        Target(
            "tags cached (memory)", "memory", TAGS, floor="tags floor", goal=1.5, hit_contract=True
        ),
        Target("tags uncached", "off", TAGS, floor="tags floor", goal=0.7),
        Target("article floor", "floors", article),
        Target(
            "article cached (redis)",
            "redis",
            article,
            floor="article floor",
            goal=1.0,
            hit_contract=True,
        ),
        Target("article uncached", "off", article, floor="article floor", goal=0.7),
        Target("profile floor", "floors", profile),
        Target(
            "profile cached (redis)",
            "redis",
            profile,
            floor="profile floor",
            goal=1.0,
            hit_contract=True,
        ),
        Target("profile uncached", "off", profile, floor="profile floor", goal=0.7),
        Target("user floor", "floors", USER, signed_in=True),
        Target(SIGNED_IN, "redis", USER, signed_in=True, floor="user floor", goal=1.0),
        Target(
            "user signed in uncached", "off", USER, signed_in=True, floor="user floor", goal=0.7
        ),
    )


def _body(port: int, path: str, headers: Mapping[str, str], what: str) -> bytes:
    status, payload, _ = fetch(port, path, headers=headers)
    if status != 200:
        raise BenchError(f"{what}: {path} on port {port} answered {status}: {payload[:300]!r}")
    return payload


def check_same_answers(ports: Mapping[str, int], token: str, slug: str, username: str) -> None:
    """Each floor's body equals Quillpress's on every server that serves it (miss, hit)."""
    auth = {"Authorization": f"Token {token}"}
    cases: tuple[tuple[str, str, Mapping[str, str], tuple[str, ...]], ...] = (
        ("tags", TAGS, {}, ("off", "redis", "memory")),
        ("article", f"/api/articles/{slug}", {}, ("off", "redis", "memory")),
        ("profile", f"/api/profiles/{username}", {}, ("off", "redis", "memory")),
        ("signed-in user", USER, auth, ("off", "redis")),
    )
    notes = []
    for name, path, headers, servers in cases:
        floor = _body(ports["floors"], path, headers, f"the {name} floor")
        for key in servers:
            for attempt in ("miss", "hit"):
                answer = _body(ports[key], path, headers, f"Quillpress ({key})")
                if answer == floor:
                    continue
                difference = first_difference(json.loads(floor), json.loads(answer))
                if difference:
                    raise BenchError(
                        f"the {name} floor and Quillpress ({key}, {attempt}) differ for {path} "
                        f"at {difference}\n  floor:      {floor[:400]!r}\n"
                        f"  Quillpress: {answer[:400]!r}"
                    )
                notes.append(f"{name} ({key}, {attempt})")
    print(
        "checked    floors == Quillpress: tags, article, profile (off, redis, memory), "
        "signed-in user (off, redis); miss and hit"
    )
    if notes:
        print("note       same JSON, other bytes (key order or spacing): " + ", ".join(notes))


def print_cpu(figures: Mapping[str, Figures]) -> bool:
    """What signing in costs: CPU per request of the signed-in read against an anonymous
    read of similar size (the profile of the same user), both served from Redis. Whether
    the goal was met."""
    signed_in, anonymous = figures[SIGNED_IN].cpu, figures[ANONYMOUS].cpu
    if signed_in is None or anonymous is None:
        print(f"  {'signed-in CPU cost':<40} <= {CPU_GOAL_MS:.1f} ms more: not measured - MISSED")
        return False
    extra = signed_in - anonymous
    verdict = "met" if extra <= CPU_GOAL_MS else "MISSED"
    print(
        f"  {'signed-in CPU cost':<40} <= {CPU_GOAL_MS:.1f} ms more: {SIGNED_IN} "
        f"{signed_in:.2f} ms - {ANONYMOUS} {anonymous:.2f} ms = {extra:+.2f} ms/request - {verdict}"
    )
    return extra <= CPU_GOAL_MS
