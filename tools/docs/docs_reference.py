"""Reference pages generated from the code and the committed contracts, never by hand.

The documentation site's hook (``hooks.py``) puts these where a page holds a marker
(``<!-- generated: settings -->``, ``rest``, ``graphql``, ``changelog``),
so the configuration reference is ``quillpress.config.Settings`` itself and the API reference
is the committed ``openapi.json`` and ``schema.graphql``: none of them can drift from the
page, and a setting without a description fails the build (``tests/docs/test_site.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_FILE = ROOT / "openapi.json"
SCHEMA_FILE = ROOT / "schema.graphql"
MARKER = "<!-- generated: {name} -->"


class UndocumentedSetting(Exception):
    """A setting with no description: the reference would show an empty cell."""


def cell(text: str) -> str:
    """Text made safe for one Markdown table cell (one line, pipes escaped)."""
    return " ".join(text.split()).replace("|", "\\|")


# --- configuration ---------------------------------------------------------------


def setting_variables_of(name: str, field: Any) -> list[str]:
    """The environment variables a setting is read from, its own name first."""
    from pydantic import AliasChoices

    from quillpress.config import ENV_PREFIX

    names = [ENV_PREFIX + name.upper()]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        names += [str(choice) for choice in alias.choices if str(choice) not in names]
    return names


def default_text(field: Any) -> str:
    """A setting's default as it would be written in the environment."""
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, list | tuple):
        return f"`{','.join(map(str, value))}`" if value else "empty"
    return f"`{value}`"


def settings_rows() -> list[tuple[str, list[str], str, str]]:
    """(field name, variables, default, description) for every setting, in class order."""
    from quillpress.config import Settings

    rows = []
    for name, field in Settings.model_fields.items():
        if not (field.description or "").strip():
            raise UndocumentedSetting(
                f"Settings.{name} has no description: add a docstring under the field in "
                "src/quillpress/config.py (the configuration reference is generated from it)"
            )
        rows.append(
            (name, setting_variables_of(name, field), default_text(field), field.description or "")
        )
    return rows


def settings_reference() -> str:
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for _name, variables, default, description in settings_rows():
        names = " or ".join(f"`{variable}`" for variable in variables)
        lines.append(f"| {names} | {default} | {cell(description)} |")
    return "\n".join(lines) + "\n"


# --- REST ------------------------------------------------------------------------


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items')) or 'values'}"
    kinds = [_schema_name(option) for option in schema.get("anyOf", [])]
    if kinds:
        return " or ".join(kind for kind in kinds if kind)
    return str(schema.get("type", ""))


def _body_schema(content: dict[str, Any] | None) -> str:
    for media in (content or {}).values():
        return _schema_name(media.get("schema"))
    return ""


def _auth(operation: dict[str, Any]) -> str:
    security = operation.get("security")
    if not security:
        return "none"
    return "optional" if {} in security else "required"


def _parameter_type(schema: dict[str, Any]) -> str:
    kind = _schema_name(schema) or "string"
    bounds = []
    if "minimum" in schema:
        bounds.append(f"≥ {schema['minimum']}")
    if "maximum" in schema:
        bounds.append(f"≤ {schema['maximum']}")
    if "maxLength" in schema:
        bounds.append(f"≤ {schema['maxLength']} characters")
    if "default" in schema:
        bounds.append(f"default {schema['default']}")
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def operations(document: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def rest_reference(document: dict[str, Any] | None = None) -> str:
    """Every operation of ``openapi.json``, grouped by its first tag in the document's order."""
    document = document or json.loads(OPENAPI_FILE.read_text())
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for method, path, operation in operations(document):
        by_tag.setdefault(operation.get("tags", ["Other"])[0], []).append((method, path, operation))
    out: list[str] = []
    descriptions = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    for tag in [t["name"] for t in document.get("tags", [])] + sorted(by_tag):
        if tag not in by_tag:
            continue
        out += [f"### {tag}", ""]
        if descriptions.get(tag):
            out += [descriptions[tag], ""]
        out += ["| operation | id | auth | answers |", "| --- | --- | --- | --- |"]
        for method, path, operation in by_tag.pop(tag):
            statuses = ", ".join(operation.get("responses", {}))
            out.append(
                f"| `{method} {path}` {cell(operation.get('summary', ''))} | "
                f"`{operation.get('operationId', '')}` | {_auth(operation)} | {statuses} |"
            )
        out.append("")
    out += ["### Operations in detail", ""]
    for method, path, operation in operations(document):
        out += [f"#### `{method} {path}`", ""]
        out += [
            f"**{operation.get('summary', '')}** · `{operation.get('operationId', '')}` · "
            f"authentication: {_auth(operation)}",
            "",
        ]
        if operation.get("description"):
            out += [operation["description"].strip(), ""]
        parameters = operation.get("parameters", [])
        if parameters:
            out += [
                "| parameter | in | required | type | meaning |",
                "| --- | --- | --- | --- | --- |",
            ]
            for parameter in parameters:
                schema = parameter.get("schema", {})
                out.append(
                    f"| `{parameter['name']}` | {parameter['in']} | "
                    f"{'yes' if parameter.get('required') else 'no'} | "
                    f"{cell(_parameter_type(schema))} | "
                    f"{cell(parameter.get('description') or schema.get('description', ''))} |"
                )
            out.append("")
        body = operation.get("requestBody")
        if body:
            out += [
                f"Request body: `{_body_schema(body.get('content'))}`"
                f"{' (required)' if body.get('required') else ''}.",
                "",
            ]
        out += ["| status | body | meaning |", "| --- | --- | --- |"]
        for status, response in operation.get("responses", {}).items():
            schema = _body_schema(response.get("content"))
            out.append(
                f"| {status} | {f'`{schema}`' if schema else ''} | "
                f"{cell(response.get('description', ''))} |"
            )
        out.append("")
    out += ["### Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        out += [f"#### `{name}`", ""]
        if schema.get("description"):
            out += [cell(schema["description"]), ""]
        if properties:
            out += ["| field | type | required |", "| --- | --- | --- |"]
            for field, spec in properties.items():
                out.append(
                    f"| `{field}` | {cell(_schema_name(spec) or 'object')} | "
                    f"{'yes' if field in required else 'no'} |"
                )
            out.append("")
    return "\n".join(out) + "\n"


# --- GraphQL ---------------------------------------------------------------------


def graphql_reference(sdl: str | None = None) -> str:
    """The root fields of ``schema.graphql`` with their arguments, then the whole schema."""
    from graphql import GraphQLObjectType, build_schema

    sdl = sdl if sdl is not None else SCHEMA_FILE.read_text()
    schema = build_schema(sdl)
    out: list[str] = []
    roots: list[tuple[str, GraphQLObjectType | None]] = [
        ("Queries", schema.query_type),
        ("Mutations", schema.mutation_type),
    ]
    for title, root in roots:
        if root is None:
            continue
        out += [
            f"### {title}",
            "",
            "| field | arguments | returns | meaning |",
            "| --- | --- | --- | --- |",
        ]
        for name, field in root.fields.items():
            arguments = ", ".join(f"`{arg}: {spec.type}`" for arg, spec in field.args.items())
            out.append(
                f"| `{name}` | {arguments} | `{field.type}` | {cell(field.description or '')} |"
            )
        out.append("")
    out += ["### The whole schema", "", "```graphql", sdl.rstrip(), "```", ""]
    return "\n".join(out)


# --- the changelog ---------------------------------------------------------------


def changelog() -> str:
    """``CHANGELOG.md`` (at the root, where GitHub shows it) with its links into ``docs/`` made
    relative to the site's page."""
    text = (ROOT / "CHANGELOG.md").read_text()
    return re.sub(r"\]\(docs/", "](", text)


GENERATORS = {
    "changelog": changelog,
    "settings": settings_reference,
    "rest": rest_reference,
    "graphql": graphql_reference,
}


def fill(markdown: str) -> str:
    """``markdown`` with every generation marker replaced by what it names."""
    for name, generate in GENERATORS.items():
        marker = MARKER.format(name=name)
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown
