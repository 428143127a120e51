"""The typed resources a running app (or a CLI command) holds.

The composition root (:func:`quillpress.wiring.open_resources`) builds one
:class:`Resources` and closes it; adapters reach it through one accessor
(``quillpress.api.resources.resources``), never through scattered ``app.state``
attributes. What later capabilities need (cache, limiter, metrics) is added here as a
field, built in the composition root, so no adapter changes shape for it.

The database is held as a :class:`Store`: an adapter passes it to a use case and can do
nothing else with it (no connection, no transaction, no engine). Only the layers allowed
to import ``quillpress.db`` (the use cases, the composition root, the CLI) open it, with
``quillpress.db.database.opened``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from quillpress.config import Settings
from quillpress.infra.activity import ActivityThrottle
from quillpress.infra.cache import Cache
from quillpress.infra.epoch import CacheEpoch
from quillpress.infra.events import EventBus
from quillpress.infra.limits import Limiter
from quillpress.infra.metrics import Metrics
from quillpress.infra.persisted_queries import PersistedQueries
from quillpress.infra.security import Security


class Store(Protocol):
    """The database as the adapters hold it: opaque. It has no member to read with, so an
    adapter holding one has no way to a connection or an engine; a use case takes it as
    its ``db`` and opens it (``quillpress.db.database.opened``), which a non-database
    object fails at once. The one implementation is ``quillpress.db.database.Database``."""


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    database: Store
    security: Security
    events: EventBus
    cache: Cache
    activity: ActivityThrottle
    metrics: Metrics
    limiter: Limiter
    persisted_queries: PersistedQueries
    epoch: CacheEpoch
