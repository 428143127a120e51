"""The ``Idempotency-Key`` headers, shared by both adapters and the edge (which counts
replays in the metrics from the response header, one place for REST and GraphQL)."""

from __future__ import annotations

from typing import Any

from quillpress.domain.idempotency import Created

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYED_NAME = REPLAYED_HEADER.lower().encode("latin-1")


def replay_headers(created: Created[Any]) -> dict[str, str]:
    """``Idempotent-Replayed: true`` on a replay; nothing on a first answer."""
    return {REPLAYED_HEADER: "true"} if created.replayed else {}
