"""The floors of the cheap reads: the least work a Python server could do for each of the
reads a client makes most (``bench/reads.py`` measures Quillpress beside them).

The same shape as ``bench/floor.py`` (which this app also serves, for the readiness
check): a hand-written ASGI app, one asyncpg pool, **one** SQL statement per request,
orjson. Each answer has the same bytes as Quillpress's (``bench/reads.py`` checks that
before loading), anonymous viewer:

- ``GET /api/tags``: the statement Quillpress runs (tags in use, most used first, ties by
  name, at most 500), rows → ``{"tags": [...]}``.
- ``GET /api/articles/{slug}``: the article with its author, its tags sorted by name
  (an array subquery), the maintained favorites counter and the timestamps formatted by
  PostgreSQL.
- ``GET /api/profiles/{username}``: the user by case-insensitive username, as Quillpress
  matches it.
- ``GET /api/user`` signed in: the JWT verified as Quillpress verifies it (PyJWT, the
  ``kid`` names the HMAC key, the one algorithm bound to it, every claim Quillpress issues
  required), then the live session and its user in one statement, ``{"user": …}`` with
  the request's token. A token that fails any check is 401.

Run by ``bench/run.py`` as ``uvicorn bench.floors:app``; besides ``BENCH_DATABASE_URL``
and ``BENCH_POOL_SIZE`` it reads the token key from ``QUILLPRESS_SECRET_KEY`` and
``QUILLPRESS_JWT_ALGORITHM`` (an HMAC one; ``HS256`` by default), as the servers do.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

import jwt
import orjson
from bench.floor import Floor, Scope, Send, _respond, article_of

TAGS_LIMIT = 500  # Quillpress's ``services.articles.TAGS_LIMIT``
REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti", "sid"]  # as ``infra.tokens`` issues

TAGS_SQL = """
SELECT name FROM tag WHERE articles_count > 0 ORDER BY articles_count DESC, name LIMIT $1
"""

ARTICLE_SQL = """
SELECT a.slug, a.title, a.description, a.body,
       ARRAY(
           SELECT t.name
           FROM article_tag AS at JOIN tag AS t ON t.id = at.tag_id
           WHERE at.article_id = a.id
           ORDER BY t.name
       ) AS tag_list,
       to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
       to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
       a.favorites_count, u.username, u.bio, u.image
FROM article AS a JOIN app_user AS u ON u.id = a.author_id
WHERE a.slug = $1
"""

PROFILE_SQL = "SELECT username, bio, image FROM app_user WHERE lower(username) = lower($1)"

# The session is live and its user not banned: ``repositories.sessions.live_role``'s
# condition, with the user's fields in the same statement.
SIGNED_IN_SQL = """
SELECT u.email, u.username, u.bio, u.image
FROM user_session AS s JOIN app_user AS u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND NOT u.banned
"""

NOT_FOUND = b'{"errors":{"path":["not found"]}}'
INVALID_TOKEN = b'{"errors":{"token":["is invalid"]}}'


def hmac_kid(secret: str) -> str:
    """The key id Quillpress puts in its tokens' header for an HMAC secret."""
    return "hs-" + hmac.new(secret.encode(), b"quillpress kid", hashlib.sha256).hexdigest()[:16]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class ReadFloors(Floor):
    def __init__(self) -> None:
        super().__init__()
        self._secret = b""
        self._kid = ""
        self._algorithm = "HS256"

    def _load_key(self) -> None:
        secret = os.environ["QUILLPRESS_SECRET_KEY"]
        algorithm = os.environ.get("QUILLPRESS_JWT_ALGORITHM", "HS256")
        if not algorithm.startswith("HS"):
            raise RuntimeError(f"the floor verifies HMAC tokens only, not {algorithm}")
        self._secret, self._kid, self._algorithm = secret.encode(), hmac_kid(secret), algorithm

    async def _http(self, scope: Scope, send: Send) -> None:
        path: str = scope["path"]
        if scope["method"] != "GET":
            await _respond(send, 404, NOT_FOUND)
        elif path == "/api/tags":
            await self._tags(send)
        elif path == "/api/user":
            await self._user(scope, send)
        elif path.startswith("/api/articles/") and path.count("/") == 3:
            await self._article(path.removeprefix("/api/articles/"), send)
        elif path.startswith("/api/profiles/") and path.count("/") == 3:
            await self._profile(path.removeprefix("/api/profiles/"), send)
        else:
            await super()._http(scope, send)  # the list, for the readiness check

    async def _tags(self, send: Send) -> None:
        assert self.pool is not None, "lifespan did not run"
        rows = await self.pool.fetch(TAGS_SQL, TAGS_LIMIT)
        await _respond(send, 200, orjson.dumps({"tags": [row["name"] for row in rows]}))

    async def _article(self, slug: str, send: Send) -> None:
        assert self.pool is not None, "lifespan did not run"
        row = await self.pool.fetchrow(ARTICLE_SQL, slug)
        if row is None:
            await _respond(send, 404, NOT_FOUND)
            return
        article = {**article_of(row), "body": row["body"]}
        await _respond(send, 200, orjson.dumps({"article": article}))

    async def _profile(self, username: str, send: Send) -> None:
        assert self.pool is not None, "lifespan did not run"
        row = await self.pool.fetchrow(PROFILE_SQL, username)
        if row is None:
            await _respond(send, 404, NOT_FOUND)
            return
        profile = {
            "username": row["username"],
            "bio": row["bio"],
            "image": row["image"],
            "following": False,
        }
        await _respond(send, 200, orjson.dumps({"profile": profile}))

    async def _user(self, scope: Scope, send: Send) -> None:
        claims, token = self._verify(_header(scope, b"authorization"))
        if claims is None:
            await _respond(send, 401, INVALID_TOKEN)
            return
        assert self.pool is not None, "lifespan did not run"
        row = await self.pool.fetchrow(SIGNED_IN_SQL, claims["sid"], int(claims["sub"]))
        if row is None:
            await _respond(send, 401, INVALID_TOKEN)
            return
        user = {
            "email": row["email"],
            "token": token,
            "username": row["username"],
            "bio": row["bio"],
            "image": row["image"],
        }
        await _respond(send, 200, orjson.dumps({"user": user}))

    def _verify(self, header: str | None) -> tuple[dict[str, Any] | None, str]:
        """The token's claims (``None`` when it fails a check) and the token itself."""
        if not self._secret:
            self._load_key()
        scheme, _, token = (header or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() not in {"token", "bearer"} or not token:
            return None, token
        try:
            if jwt.get_unverified_header(token).get("kid") != self._kid:
                return None, token
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": REQUIRED_CLAIMS},
            )
            int(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError):
            return None, token
        if not isinstance(claims.get("sid"), str) or not claims["sid"]:
            return None, token
        return claims, token


app = ReadFloors()
