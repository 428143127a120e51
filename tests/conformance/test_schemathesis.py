"""schemathesis against the app's own OpenAPI document, on SQLite and on PostgreSQL.

For every documented operation, schemathesis generates requests from the document
(valid ones, and invalid ones its negative mode makes) and checks each response: no 5xx,
a status the operation documents, the documented content type, headers and body schema.
A few rows are seeded first (users, articles, a comment) and every request carries a real
token, and path parameters are drawn from the seeded slugs, usernames and ids as well as
invented ones, so the success paths run too, not just 401s and 404s.

The run is derandomized (same cases every time) and small: the budget below keeps it
within seconds per database. ``QUILLPRESS_CONFORMANCE_EXAMPLES`` raises it for a
deeper local run.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import httpx
import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import strategies as st

from quillpress.app import create_app
from quillpress.config import Settings
from tests.helpers import auth, create_article, register

POSITIVE_EXAMPLES = int(os.environ.get("QUILLPRESS_CONFORMANCE_EXAMPLES", "30"))
NEGATIVE_EXAMPLES = max(POSITIVE_EXAMPLES // 3, 1)
# Deletions last, so the other operations still find the seeded rows.
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "delete": 3}

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@dataclass
class Seeded:
    token: str
    values: dict[str, list[Any]]  # path parameter name → seeded values to draw from


@dataclass
class Tally:
    operations: int = 0
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


async def seed(app: FastAPI, client: httpx.AsyncClient) -> Seeded:
    """Two users who follow each other, an article each, a comment each on the first."""
    me = await register(client, "conformer")
    other = await register(client, "bystander")
    token = me["Authorization"].removeprefix("Token ")
    await client.post("/api/profiles/bystander/follow", headers=me)
    mine = await create_article(client, me, title="Conformance", tagList=["spec"])
    theirs = await create_article(client, other, title="Bystanding", tagList=["spec", "x"])
    ids = []
    for headers in (me, other):
        response = await client.post(
            f"/api/articles/{mine['slug']}/comments",
            json={"comment": {"body": "Seen."}},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["comment"]["id"])
    await client.post(f"/api/articles/{theirs['slug']}/favorite", headers=me)
    return Seeded(
        token=token,
        values={
            "slug": [mine["slug"], theirs["slug"]],
            "username": ["conformer", "bystander"],
            "id": ids,
        },
    )


def _strategy(operation: Any, seeded: Seeded, mode: schemathesis.GenerationMode) -> Any:
    """Generated cases, and as many again with the path parameters taken from the seed."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [parameter.name for parameter in operation.path_parameters]
    if not names or mode is schemathesis.GenerationMode.NEGATIVE:
        return generated
    combinations = [
        dict(zip(names, values, strict=True))
        for values in product(*(seeded.values[name] for name in names))
    ]
    return st.one_of(
        generated,
        *(operation.as_strategy(path_parameters=values) for values in combinations),
    )


def _negatable(operation: Any) -> bool:
    """Whether an invalid request exists at all: every string is a valid slug or username,
    so an operation with no body, no query and only such path parameters has none."""
    if list(operation.body) or list(operation.query):
        return True
    return any(
        parameter.definition.get("schema", {}).get("type") != "string"
        for parameter in operation.path_parameters
    )


def _run_operation(
    operation: Any, strategy: Any, examples: int, headers: dict[str, str], tally: Tally
) -> None:
    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        tally.cases[operation.label] += 1
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        tally.statuses[response.status_code] += 1

    check()


def run(settings: Settings, seeded: Seeded) -> Tally:
    """Every operation, positive then negative cases; failures are collected, not raised,
    so one report names all the operations that fail."""
    app = create_app(settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        # Logging out ends the seeded token's session: those operations run last.
        key=lambda operation: (
            operation.path.startswith("/api/users/logout"),
            METHOD_ORDER[operation.method.lower()],
            operation.path,
        ),
    )
    tally = Tally(operations=len(operations))
    headers = auth(seeded.token)
    for operation in operations:
        modes = [(schemathesis.GenerationMode.POSITIVE, POSITIVE_EXAMPLES)]
        if _negatable(operation):
            modes.append((schemathesis.GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES))
        for mode, examples in modes:
            strategy = _strategy(operation, seeded, mode)
            try:
                _run_operation(operation, strategy, examples, headers, tally)
            # schemathesis reports check failures as a BaseExceptionGroup.
            except (Exception, BaseExceptionGroup) as failure:
                tally.failures[f"{operation.label} ({mode.value})"] = str(failure)[:3000]
    return tally


async def test_the_app_conforms_to_its_own_document(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, backend: str
) -> None:
    seeded = await seed(app, client)
    # A second app on the same database: schemathesis drives it from its own event loop.
    tally = await asyncio.to_thread(run, settings, seeded)
    print(  # the figures, for `pytest -s`
        f"\nschemathesis on {backend}: {len(tally.cases)} operations, "
        f"{sum(tally.cases.values())} cases, {len(tally.failures)} failures; "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert not tally.failures, "\n\n".join(
        f"{label}:\n{message}" for label, message in tally.failures.items()
    )
    assert len(tally.cases) == tally.operations >= 19  # every one ran; RealWorld has 19
    successes = sum(count for status, count in tally.statuses.items() if status < 300)
    assert successes >= len(tally.cases), "the seed should make success paths common"
