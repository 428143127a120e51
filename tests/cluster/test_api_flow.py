"""The suite's own end-to-end RealWorld scenario (tests/rest/test_contract.py: every
operation of the spec, each response validated against it) through the balancer, so the
requests land on both instances in turn."""

from __future__ import annotations

from functools import partial

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cluster.conftest import Topology
from tests.helpers import make_admin_in
from tests.rest.test_contract import Contract, realworld_flow


async def test_the_realworld_flow_passes_through_nginx(
    topology: Topology, fresh: None, primary: AsyncEngine, through_nginx: httpx.AsyncClient
) -> None:
    await realworld_flow(through_nginx, partial(make_admin_in, primary), Contract.load())
    served_by = _upstreams_in_access_log(topology)
    assert set(served_by) == {url.removeprefix("http://") for url in topology.instance_urls}


def _upstreams_in_access_log(topology: Topology) -> list[str]:
    """Which instance served each request nginx logged (``upstream=127.0.0.1:PORT``)."""
    log = (topology.state_dir / "logs" / "nginx-access.log").read_text()
    return [
        word.removeprefix("upstream=")
        for line in log.splitlines()
        for word in line.split()
        if word.startswith("upstream=") and word != "upstream=-"
    ]
