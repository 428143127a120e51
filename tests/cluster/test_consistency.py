"""The caching issue's consistency table across processes: every kind of write through
instance 1 shows, at once, in every view read through instance 2 (each instance its own
process, sharing the topology's Redis and primary). The truth is an uncached app in this
process on the same primary."""

from __future__ import annotations

import httpx

from tests.cache.test_consistency import every_write_shows_through_the_other
from tests.cluster.conftest import Topology
from tests.conftest import make_settings
from tests.helpers import serve


async def test_every_write_through_one_instance_shows_through_the_other_process(
    topology: Topology, fresh: None, instances: list[httpx.AsyncClient]
) -> None:
    first, second = instances[:2]
    settings = make_settings(topology.primary_url, cache="off", secret_key=topology.secret_key)
    async with serve(settings) as (_, truth):
        await every_write_shows_through_the_other(first, second, truth)
