"""Real responses of every REST operation, validated against the RealWorld OpenAPI spec.

The spec is a copy kept in ``tests/data`` (tests never read outside the repository). Each
response is matched to its operation by method and path, its status must be one the spec
documents for that operation, and its body must validate against the documented schema with
``jsonschema``. Validation is stricter than the spec in one way: objects may not carry
fields the spec does not name (so internal ids, roles or a list item's ``body`` cannot leak).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import pytest
import yaml
from fastapi import FastAPI
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import MakeAdmin, auth, create_article, make_admin, register

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "realworld-openapi.yml"
SPEC_URI = "urn:realworld:openapi"
API_PREFIX = "/api"
METHODS = {"get", "post", "put", "delete", "patch"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _closed(node: Any) -> Any:
    """A copy of ``node`` where every object schema with properties forbids other fields."""
    if isinstance(node, dict):
        closed = {key: _closed(value) for key, value in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_closed(item) for item in node]
    return node


def _pointer(*parts: str) -> str:
    return "".join("/" + quote(part.replace("~", "~0").replace("/", "~1")) for part in parts)


@dataclass
class Contract:
    spec: dict[str, Any]
    registry: Registry[Any]
    format_checker: jsonschema.FormatChecker
    seen: set[tuple[str, str, int]] = field(default_factory=set)

    @classmethod
    def load(cls) -> Contract:
        spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
        # Quillpress's one addition to a RealWorld body: sign-ins carry an optional
        # refresh token (docs/api/sessions.md). Every other field stays closed.
        spec["components"]["schemas"]["User"]["properties"]["refreshToken"] = {"type": "string"}
        resource = Resource.from_contents(_closed(spec), default_specification=DRAFT202012)
        checker = jsonschema.FormatChecker(formats=())
        # RFC 3339 as this API prints it: UTC, milliseconds, "Z".
        checker.checks("date-time")(
            lambda value: not isinstance(value, str) or bool(TIMESTAMP.match(value))
        )
        return cls(
            spec=spec,
            registry=Registry().with_resource(SPEC_URI, resource),
            format_checker=checker,
        )

    def operations(self) -> Iterator[tuple[str, str]]:
        for template, item in self.spec["paths"].items():
            for method in item:
                if method in METHODS:
                    yield template, method

    def template_for(self, method: str, path: str) -> str:
        """The spec's path template for a concrete path; literal segments win over params."""
        assert path.startswith(API_PREFIX), path
        path = path[len(API_PREFIX) :]
        matches = [
            template
            for template, item in self.spec["paths"].items()
            if method in item
            and re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path) is not None
        ]
        assert matches, f"{method.upper()} {path} is not an operation of the spec"
        return min(matches, key=lambda template: template.count("{"))

    def check(self, response: httpx.Response, *, status: int | None = None) -> dict[str, Any]:
        """Assert ``response`` is documented and valid; return its JSON (``{}`` for 204)."""
        if status is not None:
            assert response.status_code == status, response.text
        method = response.request.method.lower()
        template = self.template_for(method, response.request.url.path)
        responses = self.spec["paths"][template][method]["responses"]
        code = str(response.status_code)
        assert code in responses, (
            f"{method.upper()} {template} answered {code}, which the spec does not document "
            f"(documented: {sorted(responses)}): {response.text}"
        )
        self.seen.add((template, method, response.status_code))
        documented = responses[code]
        where = ("paths", template, method, "responses", code)
        if "$ref" in documented:
            where = tuple(documented["$ref"].removeprefix("#/").split("/"))
            documented = self._resolve(documented["$ref"])
        content = documented.get("content") or {}
        if "application/json" not in content:
            assert response.content == b"", response.content
            return {}
        assert response.headers["content-type"].startswith("application/json")
        body: dict[str, Any] = response.json()
        schema = {
            "$ref": SPEC_URI + "#" + _pointer(*where, "content", "application/json", "schema")
        }
        validator = jsonschema.Draft202012Validator(
            schema, registry=self.registry, format_checker=self.format_checker
        )
        errors = sorted(validator.iter_errors(body), key=lambda error: list(error.path))
        assert not errors, "\n".join(
            f"{method.upper()} {template} {code}: {list(error.path)}: {error.message}"
            for error in errors
        )
        return body

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        result: dict[str, Any] = node
        return result


@pytest.fixture(scope="module")
def spec_contract() -> Contract:
    return Contract.load()


@pytest.fixture
def contract(spec_contract: Contract) -> Contract:
    spec_contract.seen.clear()
    return spec_contract


# --- the validator itself ---------------------------------------------------------------


def test_the_copied_spec_is_the_realworld_contract(spec_contract: Contract) -> None:
    assert spec_contract.spec["openapi"].startswith("3.1")
    assert len(list(spec_contract.operations())) == 19


def test_the_validator_rejects_a_response_that_breaks_the_schema(
    spec_contract: Contract,
) -> None:
    request = httpx.Request("GET", "http://testserver/api/articles/some-slug")
    article = {
        "slug": "s",
        "title": "t",
        "description": "d",
        "body": "b",
        "tagList": [],
        "createdAt": "2026-01-02T03:04:05.678Z",
        "updatedAt": "2026-01-02T03:04:05.678Z",
        "favorited": False,
        "favoritesCount": 0,
        "author": {"username": "ann", "bio": None, "image": None, "following": False},
    }
    good = httpx.Response(200, json={"article": article}, request=request)
    spec_contract.check(good)
    broken = [
        {**article, "favoritesCount": "0"},
        {**article, "createdAt": "2026-01-02 03:04:05"},
        {**article, "id": 7},
        {key: value for key, value in article.items() if key != "body"},
        {**article, "author": {"username": "ann"}},
    ]
    for variant in broken:
        bad = httpx.Response(200, json={"article": variant}, request=request)
        with pytest.raises(AssertionError):
            spec_contract.check(bad)
    undocumented = httpx.Response(401, json={"errors": {"token": ["x"]}}, request=request)
    with pytest.raises(AssertionError, match="does not document"):
        spec_contract.check(undocumented)


# --- scenarios over the wire ------------------------------------------------------------


async def users_and_profiles(client: httpx.AsyncClient, c: Contract) -> None:
    body = c.check(
        await client.post(
            "/api/users",
            json={
                "user": {"username": "ann", "email": "ann@example.com", "password": "pw-12345678"}
            },
        ),
        status=201,
    )
    ann = auth(body["user"]["token"])
    c.check(
        await client.post(
            "/api/users",
            json={
                "user": {"username": "ann", "email": "ann2@example.com", "password": "pw-12345678"}
            },
        ),
        status=409,
    )
    c.check(await client.post("/api/users", json={"user": {"username": ""}}), status=422)
    c.check(
        await client.post(
            "/api/users/login",
            json={"user": {"email": "ann@example.com", "password": "pw-12345678"}},
        ),
        status=200,
    )
    c.check(
        await client.post(
            "/api/users/login", json={"user": {"email": "ann@example.com", "password": "wrong-pw"}}
        ),
        status=401,
    )
    c.check(await client.post("/api/users/login", json={"user": {}}), status=422)
    c.check(await client.get("/api/user", headers=ann), status=200)
    c.check(await client.get("/api/user"), status=401)
    updated = c.check(
        await client.put(
            "/api/user",
            json={"user": {"bio": "I write", "image": "https://example.com/a.png"}},
            headers=ann,
        ),
        status=200,
    )
    assert updated["user"]["bio"] == "I write"
    c.check(await client.put("/api/user", json={"user": {"bio": None}}, headers=ann), status=200)
    c.check(await client.put("/api/user", json={"user": {"bio": "x"}}), status=401)
    c.check(
        await client.put("/api/user", json={"user": {"username": None}}, headers=ann), status=422
    )

    bob = await register(client, "bob")
    c.check(await client.get("/api/profiles/ann"), status=200)
    c.check(await client.get("/api/profiles/ann", headers=bob), status=200)
    c.check(await client.get("/api/profiles/nobody"), status=404)
    c.check(await client.get("/api/profiles/ann", headers=auth("broken")), status=401)
    followed = c.check(await client.post("/api/profiles/ann/follow", headers=bob), status=200)
    assert followed["profile"]["following"] is True
    c.check(await client.post("/api/profiles/ann/follow"), status=401)
    c.check(await client.post("/api/profiles/nobody/follow", headers=bob), status=404)
    c.check(await client.delete("/api/profiles/ann/follow", headers=bob), status=200)
    c.check(await client.delete("/api/profiles/ann/follow"), status=401)
    c.check(await client.delete("/api/profiles/nobody/follow", headers=bob), status=404)


async def articles_favorites_and_tags(
    client: httpx.AsyncClient, admin: MakeAdmin, c: Contract
) -> None:
    ann = await register(client, "writer")
    bob = await register(client, "reader")
    root = await admin(client, "root")
    await client.post("/api/profiles/writer/follow", headers=bob)

    created = c.check(
        await client.post(
            "/api/articles",
            json={
                "article": {
                    "title": "Contract",
                    "description": "d",
                    "body": "b",
                    "tagList": ["spec", "rest"],
                }
            },
            headers=ann,
        ),
        status=201,
    )
    slug = created["article"]["slug"]
    await create_article(client, ann, title="Untagged")
    c.check(await client.post("/api/articles", json={"article": {"title": "t"}}), status=401)
    c.check(
        await client.post("/api/articles", json={"article": {"title": ""}}, headers=ann),
        status=422,
    )

    for query in ("", "?tag=spec", "?author=writer", "?favorited=reader", "?tag=none", "?limit=1"):
        listed = c.check(await client.get(f"/api/articles{query}", headers=bob), status=200)
        assert isinstance(listed["articlesCount"], int)
    c.check(await client.get("/api/articles"), status=200)
    c.check(await client.get("/api/articles?limit=0"), status=422)
    c.check(await client.get("/api/articles", headers=auth("broken")), status=401)
    feed = c.check(await client.get("/api/articles/feed", headers=bob), status=200)
    assert feed["articlesCount"] == 2
    c.check(await client.get("/api/articles/feed"), status=401)
    c.check(await client.get("/api/articles/feed?offset=-1", headers=bob), status=422)

    c.check(await client.get(f"/api/articles/{slug}"), status=200)
    c.check(await client.get(f"/api/articles/{slug}", headers=bob), status=200)
    c.check(await client.get("/api/articles/none"), status=404)

    c.check(
        await client.put(f"/api/articles/{slug}", json={"article": {"body": "B"}}, headers=ann),
        status=200,
    )
    c.check(
        await client.put(f"/api/articles/{slug}", json={"article": {"tagList": []}}, headers=ann),
        status=200,
    )
    c.check(await client.put(f"/api/articles/{slug}", json={"article": {"body": "B"}}), status=401)
    c.check(
        await client.put(f"/api/articles/{slug}", json={"article": {"body": "B"}}, headers=bob),
        status=403,
    )
    c.check(
        await client.put("/api/articles/none", json={"article": {"body": "B"}}, headers=ann),
        status=404,
    )
    c.check(
        await client.put(f"/api/articles/{slug}", json={"article": {"tagList": None}}, headers=ann),
        status=422,
    )

    favored = c.check(await client.post(f"/api/articles/{slug}/favorite", headers=bob), status=200)
    assert favored["article"]["favoritesCount"] == 1
    c.check(await client.post(f"/api/articles/{slug}/favorite"), status=401)
    c.check(await client.post("/api/articles/none/favorite", headers=bob), status=404)
    c.check(await client.get("/api/articles?favorited=reader", headers=bob), status=200)
    c.check(await client.delete(f"/api/articles/{slug}/favorite", headers=bob), status=200)
    c.check(await client.delete(f"/api/articles/{slug}/favorite"), status=401)
    c.check(await client.delete("/api/articles/none/favorite", headers=bob), status=404)

    tags = c.check(await client.get("/api/tags"), status=200)
    assert tags == {"tags": []}
    await create_article(client, ann, title="Tagged", tagList=["again"])
    assert c.check(await client.get("/api/tags"), status=200) == {"tags": ["again"]}

    c.check(await client.delete(f"/api/articles/{slug}"), status=401)
    c.check(await client.delete(f"/api/articles/{slug}", headers=bob), status=403)
    c.check(await client.delete("/api/articles/none", headers=ann), status=404)
    c.check(await client.delete(f"/api/articles/{slug}", headers=ann), status=204)
    c.check(await client.delete("/api/articles/untagged", headers=root), status=204)


async def comments(client: httpx.AsyncClient, admin: MakeAdmin, c: Contract) -> None:
    ann = await register(client, "host")
    bob = await register(client, "guest")
    root = await admin(client, "moderator")
    await create_article(client, ann, title="Discussed")
    await create_article(client, ann, title="Elsewhere")

    c.check(await client.get("/api/articles/discussed/comments"), status=200)
    made = c.check(
        await client.post(
            "/api/articles/discussed/comments", json={"comment": {"body": "hi"}}, headers=bob
        ),
        status=201,
    )
    comment_id = made["comment"]["id"]
    await client.post(
        "/api/articles/discussed/comments", json={"comment": {"body": "again"}}, headers=ann
    )
    listed = c.check(await client.get("/api/articles/discussed/comments", headers=ann), status=200)
    assert len(listed["comments"]) == 2
    c.check(await client.get("/api/articles/none/comments"), status=404)
    c.check(
        await client.get("/api/articles/discussed/comments", headers=auth("broken")), status=401
    )
    c.check(
        await client.post("/api/articles/discussed/comments", json={"comment": {"body": "x"}}),
        status=401,
    )
    c.check(
        await client.post(
            "/api/articles/none/comments", json={"comment": {"body": "x"}}, headers=bob
        ),
        status=404,
    )
    c.check(
        await client.post(
            "/api/articles/discussed/comments", json={"comment": {"body": " "}}, headers=bob
        ),
        status=422,
    )

    path = f"/api/articles/discussed/comments/{comment_id}"
    c.check(await client.delete(path), status=401)
    c.check(await client.delete(path, headers=ann), status=403)
    c.check(
        await client.delete(f"/api/articles/elsewhere/comments/{comment_id}", headers=bob),
        status=404,
    )
    c.check(await client.delete("/api/articles/discussed/comments/abc", headers=bob), status=422)
    c.check(await client.delete(path, headers=bob), status=204)
    c.check(await client.delete(path, headers=bob), status=404)
    other = listed["comments"][0]["id"]
    c.check(
        await client.delete(f"/api/articles/discussed/comments/{other}", headers=root),
        status=204,
    )


async def realworld_flow(client: httpx.AsyncClient, admin: MakeAdmin, c: Contract) -> None:
    """The whole scenario, every operation of the spec with its success and error statuses,
    against any server ``client`` reaches on an empty blog (also a deployed topology through
    its balancer: tests/cluster/test_api_flow.py)."""
    await users_and_profiles(client, c)
    await articles_favorites_and_tags(client, admin, c)
    await comments(client, admin, c)
    exercised = {(template, method) for template, method, status in c.seen if status < 300}
    assert exercised == set(c.operations())
    error_statuses = {status for _, _, status in c.seen if status >= 400}
    assert error_statuses == {401, 403, 404, 409, 422}


async def test_user_and_profile_responses_conform(
    client: httpx.AsyncClient, contract: Contract
) -> None:
    await users_and_profiles(client, contract)


async def test_article_favorite_and_tag_responses_conform(
    client: httpx.AsyncClient, app: FastAPI, contract: Contract
) -> None:
    await articles_favorites_and_tags(client, partial(make_admin, app), contract)


async def test_comment_responses_conform(
    client: httpx.AsyncClient, app: FastAPI, contract: Contract
) -> None:
    await comments(client, partial(make_admin, app), contract)


async def test_every_operation_of_the_spec_is_exercised_with_its_success_status(
    client: httpx.AsyncClient, app: FastAPI, contract: Contract
) -> None:
    await realworld_flow(client, partial(make_admin, app), contract)
