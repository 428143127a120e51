"""Our OpenAPI document held against the RealWorld spec (the copy in ``tests/data``).

A client generated from either document must work against this API: every spec operation
exists at ``/api`` + its path with the same method, operation id, parameters, required
request fields and auth requirement, and every response the spec describes (status and
body) is one ours documents and accepts. Ours may say more: extra optional fields,
extra error statuses, tighter request constraints.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import hypothesis
import jsonschema
import pytest
import yaml
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from quillpress.app import openapi_document
from quillpress.config import Settings

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "realworld-openapi.yml"
OURS_URI = "urn:quillpress:openapi"
METHODS = {"get", "post", "put", "delete", "patch"}
# Instances of the spec's schema per response; derandomized, so the same ones every run.
INSTANCES_PER_RESPONSE = 40


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    return openapi_document(Settings())


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def spec_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def our_operation(ours: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    item = ours["paths"].get("/api" + path)
    assert item is not None, f"/api{path} is missing"
    assert method in item, f"{method.upper()} /api{path} is missing"
    operation: dict[str, Any] = item[method]
    return operation


def body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" not in operation:
        return None
    body = resolve(document, operation["requestBody"])
    return resolve(document, body["content"]["application/json"]["schema"])


def property_paths(
    document: dict[str, Any], schema: dict[str, Any], prefix: str = ""
) -> tuple[set[str], set[str]]:
    """(all property paths, required property paths) of a request body, e.g. ``user.email``."""
    schema = resolve(document, schema)
    every: set[str] = set()
    required: set[str] = set()
    for name, child in schema.get("properties", {}).items():
        path = prefix + name
        every.add(path)
        if name in schema.get("required", []):
            required.add(path)
        child = resolve(document, child)
        if "properties" in child:
            child_every, child_required = property_paths(document, child, path + ".")
            every |= child_every
            required |= child_required
    return every, required


# --- operations, parameters, request bodies, auth ----------------------------------------


def test_every_spec_operation_exists_with_its_operation_id(
    spec: dict[str, Any], ours: dict[str, Any]
) -> None:
    for path, method, operation in spec_operations(spec):
        assert our_operation(ours, path, method)["operationId"] == operation["operationId"]


def test_operations_beyond_the_spec_stay_out_of_its_tags(
    spec: dict[str, Any], ours: dict[str, Any]
) -> None:
    """Endpoints later issues add are fine, under a tag of their own, so the RealWorld
    sections of the docs stay the RealWorld contract."""
    theirs = {("/api" + path, method) for path, method, _ in spec_operations(spec)}
    spec_tags = {tag["name"] for tag in spec["tags"]}
    for path, item in ours["paths"].items():
        for method, operation in item.items():
            if (path, method) not in theirs:
                assert not spec_tags & set(operation.get("tags", [])), (method, path)


def test_parameters_match(spec: dict[str, Any], ours: dict[str, Any]) -> None:
    for path, method, operation in spec_operations(spec):
        mine = our_operation(ours, path, method).get("parameters", [])
        theirs = [resolve(spec, parameter) for parameter in operation.get("parameters", [])]
        by_name = {(p["in"], p["name"]): p for p in mine}
        for parameter in theirs:
            key = (parameter["in"], parameter["name"])
            assert key in by_name, f"{method.upper()} {path}: {key} is missing"
            assert by_name[key].get("required", False) == parameter.get("required", False), key
            assert by_name[key]["schema"]["type"] == parameter["schema"]["type"], key
        assert {p["name"] for p in mine if p["in"] == "path"} == {
            p["name"] for p in theirs if p["in"] == "path"
        }


def test_request_bodies_require_the_same_fields(spec: dict[str, Any], ours: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation in spec_operations(spec):
        mine = our_operation(ours, path, method)
        theirs_schema = body_schema(spec, operation)
        mine_schema = body_schema(ours, mine)
        assert (theirs_schema is None) == (mine_schema is None), f"{method.upper()} {path}"
        if theirs_schema is None or mine_schema is None:
            continue
        assert mine["requestBody"].get("required") is True, f"{method.upper()} {path}"
        theirs_every, theirs_required = property_paths(spec, theirs_schema)
        mine_every, mine_required = property_paths(ours, mine_schema)
        assert mine_required == theirs_required, f"{method.upper()} {path}"
        assert theirs_every <= mine_every, f"{method.upper()} {path}: {theirs_every - mine_every}"
        checked += 1
    assert checked == 6  # register, login, update user, create/update article, add comment


def test_auth_requirements_match(spec: dict[str, Any], ours: dict[str, Any]) -> None:
    assert ours["components"]["securitySchemes"]["Token"] == {
        **spec["components"]["securitySchemes"]["Token"],
        "description": ours["components"]["securitySchemes"]["Token"]["description"],
    }
    for path, method, operation in spec_operations(spec):
        security = our_operation(ours, path, method)["security"]
        if operation.get("security"):
            # The spec's Token, plus Bearer and cookie mode's session cookie.
            assert security == [{"Token": []}, {"Bearer": []}, {"Cookie": []}], f"{method} {path}"
        else:  # "Auth is optional" or "not required": a request without credentials works
            optional = [{}, {"Token": []}, {"Bearer": []}, {"Cookie": []}]
            assert security in ([], optional), f"{method} {path}"


# --- responses ----------------------------------------------------------------------------


def instances(spec: dict[str, Any], schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under one of the spec's response schemas.

    Hand-written for the handful of keywords the spec's responses use (hypothesis-jsonschema
    is not a dependency, and schemathesis's generator is internal): an unknown keyword fails
    loudly rather than being ignored, so the generated values never claim more than they are.
    """
    schema = resolve(spec, schema)
    known = {"type", "properties", "required", "items", "additionalProperties", "format"}
    unknown = set(schema) - known - {"description", "title"}
    assert not unknown, f"extend instances() for {unknown}"
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*(instances(spec, {**schema, "type": one}) for one in kind))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {name: instances(spec, sub) for name, sub in properties.items() if name in required}
        optional = {
            name: instances(spec, sub) for name, sub in properties.items() if name not in required
        }
        if "additionalProperties" in schema:
            assert not properties
            return st.dictionaries(
                st.text(min_size=1, max_size=8), instances(spec, schema["additionalProperties"])
            )
        return st.fixed_dictionaries(fixed, optional=optional)
    if kind == "array":
        return st.lists(instances(spec, schema["items"]), max_size=3)
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
        return st.text(max_size=12)
    if kind == "integer":
        return st.integers()
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise AssertionError(f"extend instances() for type {kind!r}")


def _pointer(*parts: str) -> str:
    return "".join("/" + quote(part.replace("~", "~0").replace("/", "~1")) for part in parts)


def spec_responses(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path, method, operation in spec_operations(spec):
        for status, response in operation["responses"].items():
            yield path, method, status, resolve(spec, response)


def test_every_spec_response_status_is_documented(
    spec: dict[str, Any], ours: dict[str, Any]
) -> None:
    for path, method, status, response in spec_responses(spec):
        mine = our_operation(ours, path, method)["responses"]
        assert status in mine, f"{method.upper()} {path} does not document {status}"
        has_body = "application/json" in (response.get("content") or {})
        assert ("content" in mine[status]) == has_body, f"{method.upper()} {path} {status}"


def test_every_response_the_spec_describes_validates_against_ours(
    spec: dict[str, Any], ours: dict[str, Any]
) -> None:
    registry: Registry[Any] = Registry().with_resource(
        OURS_URI, Resource.from_contents(ours, default_specification=DRAFT202012)
    )
    checked = 0
    for path, method, status, response in spec_responses(spec):
        content = (response.get("content") or {}).get("application/json")
        if content is None:
            continue
        where = _pointer(
            "paths", "/api" + path, method, "responses", status, "content", "application/json"
        )
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"{OURS_URI}#{where}/schema"},
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        label = f"{method.upper()} {path} {status}"
        if "example" in content:
            errors = list(validator.iter_errors(content["example"]))
            assert not errors, f"{label}: the spec's example: {errors[0].message}"

        @hypothesis.settings(
            max_examples=INSTANCES_PER_RESPONSE, derandomize=True, database=None, deadline=None
        )
        @hypothesis.given(instances(spec, content["schema"]))
        def accepted(instance: Any) -> None:
            errors = list(validator.iter_errors(instance))  # noqa: B023 (called right here)
            assert not errors, f"{label}: {errors[0].message} in {instance!r}"  # noqa: B023

        accepted()
        checked += 1
    assert checked > 60  # 19 operations, each with a 2xx and several errors


def test_the_instance_generator_can_fail(spec: dict[str, Any]) -> None:
    """Guards the guard: a schema stricter than the spec rejects what instances() makes."""
    stricter = {"type": "object", "required": ["bio"], "properties": {"bio": {"type": "string"}}}
    validator = jsonschema.Draft202012Validator(stricter)
    profile = spec["components"]["schemas"]["Profile"]
    rejected: list[Any] = []

    @hypothesis.settings(max_examples=50, derandomize=True, database=None)
    @hypothesis.given(instances(spec, profile))
    def collect(instance: Any) -> None:
        if not validator.is_valid(instance):
            rejected.append(instance)

    collect()
    assert any(instance["bio"] is None for instance in rejected)
