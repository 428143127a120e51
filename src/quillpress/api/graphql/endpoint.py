"""``/graphql`` over HTTP: GraphiQL for browsers, queries by GET, anything by POST.

Malformed requests, syntax errors, rule violations and over-budget queries are refused with
a 400 before anything executes. Parsed and validated documents are cached by query text.

Automatic persisted queries follow Apollo's protocol: ``extensions.persistedQuery``
(``version: 1``, ``sha256Hash``) stands for the document; an unknown hash is answered
``PERSISTED_QUERY_NOT_FOUND`` (200, as Apollo Server answers it) and the client resends
the document with its hash, which is verified, registered and executed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import replace
from inspect import isawaitable
from types import CoroutineType
from typing import Any, TypeGuard

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from starlette.requests import Request
from starlette.responses import Response

from quillpress.api.credentials import client_of, credentials_of
from quillpress.api.docs import graphiql_html, graphiql_policy
from quillpress.api.graphql import protections
from quillpress.api.graphql.context import Context
from quillpress.api.graphql.errors import (
    RATE_LIMITED,
    UNAVAILABLE,
    domain_error,
    format_error,
    request_error,
)
from quillpress.api.graphql.execution import LeafExecutor
from quillpress.api.graphql.schema import schema as default_schema
from quillpress.api.idempotency import KEY_HEADER, REPLAYED_HEADER
from quillpress.api.resources import resources
from quillpress.api.security_headers import new_nonce, page_response
from quillpress.config import Settings
from quillpress.domain.errors import (
    CsrfRejected,
    DomainError,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from quillpress.infra import read_tags
from quillpress.infra.metrics import Metrics
from quillpress.infra.persisted_queries import SHA256_HEX, document_hash
from quillpress.infra.resources import Resources
from quillpress.infra.statements import statement_stats
from quillpress.services import limits
from quillpress.services.authentication import authenticate

NO_STORE = {"Cache-Control": "no-store"}
"""On every GraphQL answer: one URL serves a viewer's own data (``me``, sessions, the admin
fields) and public data alike, with no ETag, so nothing may keep any of it."""


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type="application/json", headers=NO_STORE
    )


def _refuse(message: str, code: str = "BAD_REQUEST", status: int = 400) -> Response:
    return _json({"errors": [request_error(message, code)]}, status)


def _get_mutation_refused(kind: OperationType) -> Response:
    """A mutation sent by GET: 405 with ``Allow: POST`` (GraphQL over HTTP), never run."""
    response = _refuse(
        f"Only queries may be sent with GET, not {kind.value} operations; use POST.", status=405
    )
    response.headers["Allow"] = "POST"
    return response


PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


def _persisted_query_error(message: str, code: str) -> Response:
    """Apollo's two persisted-query answers (not found, not supported) are 200s: a client
    retries with the document (or stops hashing) instead of failing on an HTTP error."""
    return _json({"errors": [request_error(message, code)]})


def _unavailable(errors: list[dict[str, Any]]) -> Response:
    """Nothing could be answered because the database is down: 503, like REST."""
    response = _json({"errors": errors}, 503)
    response.headers["Retry-After"] = str(Unavailable.retry_after_seconds)
    return response


def _rate_limited(errors: list[dict[str, Any]], error: RateLimited) -> Response:
    """Nothing could be answered because a rate limit refused it: 429, like REST."""
    response = _json({"errors": errors}, 429)
    response.headers.update(error.headers())
    return response


def _limited_before_execution(error: RateLimited, metrics: Metrics) -> Response:
    metrics.rate_limited(error.rule)
    return _rate_limited([domain_error(error)], error)


def _is_coroutine(value: Any) -> TypeGuard[Awaitable[Any]]:
    """Every async resolver here is a coroutine function, so this exact type check is
    enough; graphql-core's default probes each of the page's hundreds of leaf values."""
    return type(value) is CoroutineType


def _first_refusal(result: ExecutionResult) -> RateLimited | None:
    """A rate-limit refusal among the field errors (an aliased login past the limit…)."""
    for error in result.errors or ():
        if isinstance(error.original_error, RateLimited):
            return error.original_error
    return None


def _all_rate_limited(payload: dict[str, Any]) -> bool:
    errors = payload.get("errors") or []
    return bool(errors) and all(error["extensions"].get("code") == RATE_LIMITED for error in errors)


class Prepared:
    """A query text parsed and validated once: its document (``None`` when it does not
    parse) and its formatted errors."""

    __slots__ = ("document", "errors")

    def __init__(self, document: DocumentNode | None, errors: list[dict[str, Any]]) -> None:
        self.document = document
        self.errors = errors


class DocumentCache:
    """query text → :class:`Prepared`; least recently used entries go first."""

    def __init__(self, schema: GraphQLSchema, rules: list[Any], size: int) -> None:
        self._schema = schema
        self._rules = rules
        self._size = size
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, query: str) -> Prepared:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        entry = self._prepare(query)
        if self._size:
            self._entries[query] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query)
        except GraphQLError as error:
            return Prepared(None, [format_error(error, default_code="GRAPHQL_PARSE_FAILED")])
        errors = validate(self._schema, document, self._rules)
        return Prepared(document, [format_error(error) for error in errors])


class GraphQLEndpoint:
    def __init__(self, settings: Settings, schema: GraphQLSchema = default_schema) -> None:
        self.settings = settings
        self.schema = schema
        rules: list[Any] = [
            *specified_rules,
            protections.depth_limit(settings.graphql_max_depth),
            protections.alias_limit(settings.graphql_max_aliases),
        ]
        if not settings.introspection_enabled:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.documents = DocumentCache(schema, rules, settings.graphql_document_cache_size)

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            asked = request.query_params
            if (
                "query" not in asked
                and "extensions" not in asked
                and "text/html" in request.headers.get("accept", "")
            ):
                nonce = new_nonce()  # fresh for every response, or it would be no secret
                root = request.scope.get("root_path", "")
                page = graphiql_html(request.url.path, nonce=nonce, root=root)
                return page_response(page, policy=graphiql_policy(nonce))
            params: Any = dict(asked)
            for name in ("variables", "extensions"):  # JSON-encoded, as POST bodies carry them
                if isinstance(params.get(name), str):
                    try:
                        params[name] = orjson.loads(params[name])
                    except orjson.JSONDecodeError:
                        return _refuse(f"The {name} parameter is not valid JSON.")
        else:
            try:
                params = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return _refuse("The request body is not valid JSON.")
        return await self._run(request, params)

    async def _run(self, request: Request, params: Any) -> Response:
        if not isinstance(params, dict):
            return _refuse("The request must be a JSON object with a `query` string.")
        query, variables, operation_name, extensions = (
            params.get("query"),
            params.get("variables"),
            params.get("operationName"),
            params.get("extensions"),
        )
        if extensions is not None and not isinstance(extensions, dict):
            return _refuse("`extensions` must be a JSON object.")
        found = resources(request)
        persisted = (extensions or {}).get("persistedQuery")
        document_sha256: str | None = None  # known when the client named it
        register = False
        if persisted is not None:
            resolved = await self._persisted(found, persisted, query)
            if isinstance(resolved, Response):
                return resolved
            query, document_sha256, register = resolved
        if not isinstance(query, str) or not query.strip():
            return _refuse("The request has no `query` string.")
        if variables is not None and not isinstance(variables, dict):
            return _refuse("`variables` must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            return _refuse("`operationName` must be a string.")

        prepared = self.documents.get(query)
        document = prepared.document
        if document is None or prepared.errors:
            return _json({"errors": prepared.errors}, 400)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return _refuse(
                "No operation with that name, or several operations and no `operationName`."
            )
        if request.method == "GET" and operation.operation is not OperationType.QUERY:
            return _get_mutation_refused(operation.operation)
        # Only documents that parse, validate and name an operation are registered.
        if (
            register
            and document_sha256 is not None
            and await found.persisted_queries.register(document_sha256, query)
        ):
            found.metrics.persisted_query("registered")
        try:
            auth = await authenticate(
                found.database,
                found.security,
                replace(
                    credentials_of(request, self.settings),
                    writes=protections.mutation_fields(document, operation),
                ),
                activity=found.activity,
                limiter=found.limiter,
            )
        except Unauthenticated as error:
            found.metrics.auth_failure(error)
            return _json({"errors": [domain_error(error)]}, 401)
        except CsrfRejected as error:  # extensions.reason names the check that failed
            found.metrics.auth_failure(error)
            return _json({"errors": [domain_error(error)]}, 403)
        except Unavailable as error:
            return _unavailable([domain_error(error)])
        except RateLimited as error:
            return _limited_before_execution(error, found.metrics)
        viewer = auth.principal if auth is not None else None

        cost = protections.query_cost(
            self.schema,
            document,
            operation,
            variables or {},
            default_page=self.settings.default_page_size,
        )
        if cost > self.settings.graphql_max_cost:
            return _refuse(
                f"Query cost {cost} exceeds the maximum of {self.settings.graphql_max_cost}; "
                "ask for smaller pages or fewer nested lists.",
                code="QUERY_TOO_COMPLEX",
            )
        client = client_of(request)
        try:
            await limits.query_cost(found.limiter, viewer, client.ip, cost)
        except RateLimited as error:
            return _limited_before_execution(error, found.metrics)

        found.metrics.graphql_operation(
            operation.name.value if operation.name is not None else None,
            operation.operation.value,
        )
        context = Context(
            db=found.database,
            security=found.security,
            settings=self.settings,
            viewer=viewer,
            client=client,
            limiter=found.limiter,
            idempotency_key=request.headers.get(KEY_HEADER),
        )
        result = execute(
            self.schema,
            document,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
            is_awaitable=_is_coroutine,
            executor_class=LeafExecutor,
        )
        if isawaitable(result):
            result = await result
        if operation.operation is OperationType.QUERY and viewer is None and not result.errors:
            # Response cache (api.response_cache): an anonymous query's answer is the same
            # for every anonymous client, whatever it selects (``viewer`` is null and every
            # ``favorited``/``following`` false for all of them), so it is shared.
            read_tags.share()
        response = self._respond(result, found.metrics)
        if context.replayed:
            response.headers[REPLAYED_HEADER] = "true"
        return response

    async def _persisted(
        self, found: Resources, persisted: Any, query: Any
    ) -> Response | tuple[Any, str, bool]:
        """``extensions.persistedQuery`` resolved: ``(query, sha256, register)``, or the
        answer that ends the request (not supported, bad version or hash, not found)."""
        if not self.settings.graphql_persisted_queries:
            return _persisted_query_error(
                "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        version = persisted.get("version") if isinstance(persisted, dict) else None
        if type(version) is not int or version != 1:
            return _refuse("Unsupported persisted query version")
        sha256 = persisted.get("sha256Hash")
        if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256):
            return _refuse(
                "`extensions.persistedQuery.sha256Hash` must be the SHA-256 of the query "
                "as 64 lower-case hex digits."
            )
        if query is None:
            document = await found.persisted_queries.lookup(sha256)
            if document is None:
                found.metrics.persisted_query("miss")
                return _persisted_query_error("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)
            found.metrics.persisted_query("hit")
            return document, sha256, False
        if isinstance(query, str) and document_hash(query) != sha256:
            return _refuse("provided sha does not match query")
        return query, sha256, True

    def _respond(self, result: ExecutionResult, metrics: Metrics) -> Response:
        payload: dict[str, Any] = {"data": result.data}
        status = 200
        if result.errors:
            for error in result.errors:
                if isinstance(error.original_error, RateLimited):
                    metrics.rate_limited(error.original_error.rule)
                elif isinstance(error.original_error, DomainError):
                    metrics.auth_failure(error.original_error)  # counts only the auth kinds
            payload["errors"] = [
                format_error(error, default_code="BAD_USER_INPUT") for error in result.errors
            ]
            if result.data is None and all(
                error.original_error is None or isinstance(error.original_error, GraphQLError)
                for error in result.errors
            ):
                status = 400  # variables that do not fit the operation: nothing ran
        if (
            result.data is None
            and payload.get("errors")
            and all(error["extensions"].get("code") == UNAVAILABLE for error in payload["errors"])
        ):
            return _unavailable(payload["errors"])
        refusal = _first_refusal(result)
        if refusal is not None and result.data is None and _all_rate_limited(payload):
            return _rate_limited(payload["errors"], refusal)
        if self.settings.graphql_debug:
            stats = statement_stats()
            if stats is not None:
                payload["extensions"] = {
                    "sql": {"statements": stats.count, "ms": round(stats.milliseconds, 2)}
                }
        response = _json(payload, status)
        if refusal is not None:  # answered in part: the client still learns when to retry
            response.headers.update(refusal.headers())
        return response
