"""Per-request context: who is asking, the database handle, fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias, TypeVar

from graphql import GraphQLResolveInfo

from quillpress.api.graphql.loaders import Loaders
from quillpress.config import Settings
from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.errors import Unauthenticated
from quillpress.domain.idempotency import Created, IdempotencyKey, parse_key
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Store
from quillpress.infra.security import Security

V = TypeVar("V")


@dataclass
class Context:
    db: Store
    security: Security
    settings: Settings
    viewer: Principal | None
    client: ClientInfo
    limiter: Limiter
    idempotency_key: str | None = None
    """The request's ``Idempotency-Key`` header, for ``createArticle`` and ``addComment``."""
    replayed: bool = False
    """Set by a mutation that replayed a key's first result: the response then carries
    ``Idempotent-Replayed: true``, as REST's does."""
    _loaders: Loaders | None = field(default=None, init=False, repr=False)

    @property
    def loaders(self) -> Loaders:
        """This request's loaders: they cache per viewer, so they never outlive it; built
        on first use (most queries, the article list among them, never batch)."""
        if self._loaders is None:
            self._loaders = Loaders(self.db, self.viewer)
        return self._loaders

    def idempotency(self) -> IdempotencyKey | None:
        """The request's key, parsed (a malformed one is the mutation's input error)."""
        return parse_key(self.idempotency_key, ttl_hours=self.settings.idempotency_ttl_hours)

    def created(self, result: Created[V]) -> V:
        """A create's view, noting whether it was a replay."""
        self.replayed = self.replayed or result.replayed
        return result.view

    def principal(self) -> Principal:
        if self.viewer is None:
            raise Unauthenticated.missing()
        return self.viewer


Info: TypeAlias = GraphQLResolveInfo[Context]
"""What every resolver receives; ``info.context`` is this request's :class:`Context`."""
