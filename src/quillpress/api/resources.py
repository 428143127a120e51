"""The one accessor adapters use to reach the app's typed resources."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from quillpress.infra.resources import Resources


def resources(connection: HTTPConnection) -> Resources:
    """The :class:`Resources` the app's lifespan opened (REST, GraphQL and middleware)."""
    found: Resources = connection.app.state.resources
    return found
