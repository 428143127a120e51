"""Which REST routes answer personal data, read off the route itself (``http_caching``
sends those ``Cache-Control: no-store`` and no ETag).

The rule is by trait, so a route nobody thought about is safe: every route only a signed-in
user may call is personal (``/api/user``, its sessions, the admin API…), unless its handler
says otherwise with :func:`cacheable_per_viewer`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.routing import APIRoute

from quillpress.api.rest.openapi import requires_sign_in

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_PER_VIEWER = "_quillpress_cacheable_per_viewer"


def cacheable_per_viewer(endpoint: Endpoint) -> Endpoint:
    """Marks a sign-in-only ``GET`` whose answer is public data picked or flagged for the
    viewer, not data about anyone (the feed): it gets ``private, no-cache`` and an ETag,
    like any signed-in read, instead of personal data's ``no-store``."""
    setattr(endpoint, _PER_VIEWER, True)
    return endpoint


def is_personal(route: object) -> bool:
    """``route`` is the matched route (``scope["route"]``), or ``None`` when none matched."""
    if not isinstance(route, APIRoute):
        return False
    return requires_sign_in(route) and not getattr(route.endpoint, _PER_VIEWER, False)
