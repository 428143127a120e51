"""``GET /.well-known/jwks.json``: the public keys that verify access tokens, so other
services can check a token without the secret. Empty with HMAC signing (a shared secret
is never published); with ``QUILLPRESS_JWT_ALGORITHM=EdDSA``, the Ed25519 public key."""

from __future__ import annotations

from fastapi import APIRouter, Request

from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.infra.signing_keys import jwks

router = APIRouter()


@router.get("/.well-known/jwks.json", include_in_schema=False)
async def json_web_key_set(request: Request) -> JsonResponse:
    response = JsonResponse(jwks(resources(request).security.tokens))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
