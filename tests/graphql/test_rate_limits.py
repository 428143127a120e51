"""GraphQL under the rate limits: every aliased ``login``/``register`` field is one attempt
through the same use case as REST, and each operation's estimated cost is charged per
client. A refused request is ``RATE_LIMITED``, HTTP 429 when nothing could be answered."""

from __future__ import annotations

from graphql import get_operation_ast, parse

from quillpress.api.graphql import protections
from quillpress.api.graphql.schema import schema
from tests.conftest import make_settings
from tests.helpers import PASSWORD, register
from tests.limiting import assert_rate_limited, client_at, login, running


def _aliased_logins(count: int, password: str) -> str:
    fields = " ".join(
        f'a{n}: login(input: {{email: "ann@example.com", password: "{password}"}}) {{ token }}'
        for n in range(count)
    )
    return f"mutation {{ {fields} }}"


def _aliased_registrations(count: int) -> str:
    fields = " ".join(
        f'r{n}: register(input: {{username: "bot{n}", email: "bot{n}@example.com", '
        f'password: "{PASSWORD}"}}) {{ user {{ username }} }}'
        for n in range(count)
    )
    return f"mutation {{ {fields} }}"


async def test_thirty_aliased_registrations_count_one_each(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_register_ip="10/hour")
    async with running(settings) as app, client_at(app, "192.0.2.10") as http:
        response = await http.post("/graphql", json={"query": _aliased_registrations(30)})
        assert_rate_limited(response, limit=10)
        errors = response.json()["errors"]
        assert [error["path"] for error in errors] == [["r10"]]  # the 11th alias
        assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
        assert errors[0]["extensions"]["retryAfter"] >= 1
        for n in range(10):  # the first ten were registered
            assert (await login(http, f"bot{n}")).status_code == 200
        assert (await login(http, "bot10")).status_code == 401


async def test_aliased_logins_count_every_attempt_that_runs(database_url: str) -> None:
    """Mutations run one after the other and a failed ``login`` (non-null) ends the
    operation, so each request of 30 wrong aliased logins makes exactly one attempt:
    ten requests exhaust the (account, IP) rule and the next is refused outright."""
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.11") as http:
        await register(http, "ann")
        query = {"query": _aliased_logins(30, "wrong-password")}
        for _ in range(10):
            response = await http.post("/graphql", json=query)
            codes = [error["extensions"]["code"] for error in response.json()["errors"]]
            assert codes == ["UNAUTHENTICATED"]
        refused = await http.post("/graphql", json=query)
        assert_rate_limited(refused, limit=10)
        assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["RATE_LIMITED"]
        # the right password, aliased, is refused too while the key is locked
        right = await http.post("/graphql", json={"query": _aliased_logins(3, PASSWORD)})
        assert_rate_limited(right, limit=10)
        # REST and GraphQL share the count
        assert (await login(http, "ann")).status_code == 429


async def test_successful_aliased_logins_do_not_count(database_url: str) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.12") as http:
        await register(http, "ann")
        response = await http.post("/graphql", json={"query": _aliased_logins(30, PASSWORD)})
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]) == 30
        for _ in range(10):
            assert (await login(http, "ann", "wrong-password")).status_code == 401


def _cost(query: str) -> int:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return protections.query_cost(schema, document, operation, {}, default_page=20)


async def test_query_cost_is_charged_per_client(database_url: str) -> None:
    query = "{ articles(first: 10) { edges { node { title author { username } } } } }"
    cost = _cost(query)
    assert cost > 10  # the page size multiplies the selection
    # Executions are charged: with the cache on, a repeated anonymous query is a shared
    # answer served before execution (and costs nothing to charge for).
    settings = make_settings(
        database_url, rate_limit_graphql_cost=f"{cost * 3}/minute", cache="off"
    )
    async with running(settings) as app:
        async with client_at(app, "192.0.2.20") as http:
            for _ in range(3):
                assert (await http.post("/graphql", json={"query": query})).status_code == 200
            refused = await http.post("/graphql", json={"query": query})
            assert_rate_limited(refused, limit=cost * 3)
            error = refused.json()["errors"][0]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert refused.json().get("data") is None
        async with client_at(app, "192.0.2.21") as other:  # another anonymous client
            assert (await other.post("/graphql", json={"query": query})).status_code == 200


async def test_a_signed_in_client_is_charged_by_user_on_every_address(database_url: str) -> None:
    query = "{ articles(first: 10) { edges { node { title } } } }"
    cost = _cost(query)
    settings = make_settings(database_url, rate_limit_graphql_cost=f"{cost * 2}/minute")
    async with running(settings) as app:
        async with client_at(app, "192.0.2.30") as first:
            ann = await register(first, "ann")
            assert (await first.post("/graphql", json={"query": query}, headers=ann)).is_success
        async with client_at(app, "192.0.2.31") as second:
            assert (await second.post("/graphql", json={"query": query}, headers=ann)).is_success
            refused = await second.post("/graphql", json={"query": query}, headers=ann)
            assert_rate_limited(refused, limit=cost * 2)
            # the address itself still has its anonymous budget
            assert (await second.post("/graphql", json={"query": query})).is_success
