"""``up.sh --seed``: the demo data is in before the instances start, so the entry URL shows
it on the first request after ``up.sh`` returns (no cache to expire, no replica to wait
for); and ``topology.env`` names each variable once."""

from __future__ import annotations

from tests.cluster.conftest import Topology, topology_entries

DEMO_ARTICLES = 500  # quillpress seed's default


def test_seed_shows_the_demo_data_through_nginx_at_once(topology: Topology) -> None:
    articles = topology.first_look["/api/articles"]
    assert articles["articlesCount"] == DEMO_ARTICLES
    # Avatars point at the entry URL (QUILLPRESS_PUBLIC_URL), not at one instance.
    images = {article["author"]["image"] for article in articles["articles"]} - {None}
    assert images
    assert all(image.startswith(topology.entry_url + "/") for image in images), images
    assert topology.first_look["/api/tags"]["tags"]
    (summary,) = [line for line in topology.output.splitlines() if line.startswith("Demo data")]
    assert f"{DEMO_ARTICLES} articles" in summary
    assert 'password is "password123"' in summary


def test_topology_env_names_each_variable_once(topology: Topology) -> None:
    keys = [key for key, _ in topology_entries(topology.state_dir)]
    assert sorted(key for key in set(keys) if keys.count(key) > 1) == []
    assert len(topology.instance_pids) == len(topology.instance_urls) == 2
