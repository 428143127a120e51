"""Per-request context: who is asking, the database handle, fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from graphql import GraphQLResolveInfo

from quillpress.api.graphql.loaders import Loaders
from quillpress.config import Settings
from quillpress.domain.auth import Principal
from quillpress.domain.errors import Unauthenticated
from quillpress.infra.resources import Database, Limiter
from quillpress.infra.security import Security
from quillpress.services.sessions import ClientInfo


@dataclass
class Context:
    db: Database
    security: Security
    settings: Settings
    viewer: Principal | None
    client: ClientInfo = field(default_factory=ClientInfo)
    limiter: Limiter = field(default_factory=Limiter.disabled)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # Built per request: loaders cache per viewer, so they must never outlive it.
        self.loaders = Loaders(self.db, self.viewer)

    def principal(self) -> Principal:
        if self.viewer is None:
            raise Unauthenticated.missing()
        return self.viewer


Info: TypeAlias = GraphQLResolveInfo[Context]
"""What every resolver receives; ``info.context`` is this request's :class:`Context`."""
