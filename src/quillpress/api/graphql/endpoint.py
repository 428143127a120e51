"""``/graphql`` over HTTP: GraphiQL for browsers, queries by GET, anything by POST.

Malformed requests, syntax errors, rule violations and over-budget queries are refused with
a 400 before anything executes. Parsed and validated documents are cached by query text.

Automatic persisted queries (Apollo's protocol) are resolved with the transport's fields
(``api.graphql.transport``): a hash stands for a document registered earlier.

A request passes one step at a time, each named for it (the transport's fields, the
operation, the persisted query's registration, the viewer, the cost, execution); a step
that refuses raises ``Answered`` with its response, so ``_run`` reads as the list of steps."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from inspect import isawaitable
from types import CoroutineType
from typing import Any, TypeGuard

import orjson
from graphql import (
    DocumentNode,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    specified_rules,
)
from starlette.requests import Request
from starlette.responses import Response

from quillpress.api.credentials import client_of, credentials_of
from quillpress.api.docs import graphiql_html, graphiql_policy
from quillpress.api.graphql import protections, transport
from quillpress.api.graphql.context import Context
from quillpress.api.graphql.documents import DocumentCache, Prepared
from quillpress.api.graphql.errors import domain_error
from quillpress.api.graphql.execution import PlainExecutor
from quillpress.api.graphql.responses import (
    Answered,
    count_refusal,
    get_mutation_refused,
    json_response,
    refuse,
    refused,
    respond,
)
from quillpress.api.graphql.schema import schema as default_schema
from quillpress.api.graphql.transport import Asked
from quillpress.api.idempotency import KEY_HEADER, REPLAYED_HEADER
from quillpress.api.resources import resources
from quillpress.api.security_headers import new_nonce, page_response
from quillpress.config import Settings
from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.errors import DomainError, RateLimited
from quillpress.infra import read_tags
from quillpress.infra.resources import Resources
from quillpress.services import limits
from quillpress.services.authentication import authenticate


def _is_coroutine(value: Any) -> TypeGuard[Awaitable[Any]]:
    """Every async resolver here is a coroutine function, so this exact type check is
    enough; graphql-core's default probes each of the page's hundreds of leaf values."""
    return type(value) is CoroutineType


def _refusal(found: Resources, error: DomainError) -> Answered:
    """A domain error that ends the request before execution, counted and answered with
    REST's status for it."""
    count_refusal(found.metrics, error)
    return Answered(refused([domain_error(error)], error))


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
                        return refuse(f"The {name} parameter is not valid JSON.")
        else:
            try:
                params = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                return refuse("The request body is not valid JSON.")
        return await self._run(request, params)

    async def _run(self, request: Request, params: Any) -> Response:
        found = resources(request)
        try:
            asked = await transport.asked(
                found, params, persisted_queries=self.settings.graphql_persisted_queries
            )
            prepared, document, operation = self._operation(request, asked)
            await self._register(found, asked)
            viewer = await self._viewer(request, found, document, operation)
            client = client_of(request)
            await self._within_cost(found, asked, prepared, operation, viewer, client)
        except Answered as answered:
            return answered.response
        context = self._context(request, found, viewer, client)
        return await self._execute(found, asked, prepared, document, operation, context)

    def _operation(
        self, request: Request, asked: Asked
    ) -> tuple[Prepared, DocumentNode, OperationDefinitionNode]:
        """The document, parsed and validated (once per text, with what is derived from
        it), and the operation it names; by GET, a query only."""
        prepared = self.documents.get(asked.query)
        document = prepared.document
        if document is None or prepared.errors:
            raise Answered(json_response({"errors": prepared.errors}, 400))
        operation = get_operation_ast(document, asked.operation_name)
        if operation is None:
            raise Answered(
                refuse("No operation with that name, or several operations and no `operationName`.")
            )
        if request.method == "GET" and operation.operation is not OperationType.QUERY:
            raise Answered(get_mutation_refused(operation.operation))
        return prepared, document, operation

    async def _register(self, found: Resources, asked: Asked) -> None:
        """A document sent with its hash, registered now that it parses, validates and
        names an operation (only such documents are)."""
        if (
            asked.register
            and asked.sha256 is not None
            and await found.persisted_queries.register(asked.sha256, asked.query)
        ):
            found.metrics.persisted_query("registered")

    async def _viewer(
        self,
        request: Request,
        found: Resources,
        document: DocumentNode,
        operation: OperationDefinitionNode,
    ) -> Principal | None:
        """Who asks, through the one way in, told which mutation fields the operation
        writes (the writes-per-user limit counts them); ``None`` when anonymous."""
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
        except DomainError as error:  # a CSRF refusal's extensions.reason names the check
            raise _refusal(found, error) from None
        return auth.principal if auth is not None else None

    async def _within_cost(
        self,
        found: Resources,
        asked: Asked,
        prepared: Prepared,
        operation: OperationDefinitionNode,
        viewer: Principal | None,
        client: ClientInfo,
    ) -> None:
        """The operation's estimated cost: over the maximum it never runs, and it is
        charged to the viewer, or to the client's IP when anonymous (a rate limit)."""
        cost = prepared.cost(
            operation,
            lambda document: protections.query_cost(
                self.schema,
                document,
                operation,
                asked.variables or {},
                default_page=self.settings.default_page_size,
            ),
        )
        if cost > self.settings.graphql_max_cost:
            raise Answered(
                refuse(
                    f"Query cost {cost} exceeds the maximum of {self.settings.graphql_max_cost}; "
                    "ask for smaller pages or fewer nested lists.",
                    code="QUERY_TOO_COMPLEX",
                )
            )
        try:
            await limits.query_cost(found.limiter, viewer, client.ip, cost)
        except RateLimited as error:
            raise _refusal(found, error) from None

    def _context(
        self, request: Request, found: Resources, viewer: Principal | None, client: ClientInfo
    ) -> Context:
        """What the resolvers share for this request (its loaders among them)."""
        return Context(
            db=found.database,
            security=found.security,
            settings=self.settings,
            viewer=viewer,
            client=client,
            limiter=found.limiter,
            idempotency_key=request.headers.get(KEY_HEADER),
        )

    async def _execute(
        self,
        found: Resources,
        asked: Asked,
        prepared: Prepared,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        context: Context,
    ) -> Response:
        """The operation run, counted by name and kind, and answered."""
        found.metrics.graphql_operation(
            operation.name.value if operation.name is not None else None,
            operation.operation.value,
        )
        result = execute(
            self.schema,
            document,
            context_value=context,
            variable_values=asked.variables,
            operation_name=asked.operation_name,
            is_awaitable=_is_coroutine,
            executor_class=PlainExecutor,
            plans=prepared.plans,
        )
        if isawaitable(result):
            result = await result
        if (
            operation.operation is OperationType.QUERY
            and context.viewer is None
            and not result.errors
        ):
            # Response cache (api.response_cache): an anonymous query's answer is the same
            # for every anonymous client, whatever it selects (``viewer`` is null and every
            # ``favorited``/``following`` false for all of them), so it is shared.
            read_tags.share()
        response = respond(result, found.metrics, debug=self.settings.graphql_debug)
        if context.replayed:
            response.headers[REPLAYED_HEADER] = "true"
        return response
