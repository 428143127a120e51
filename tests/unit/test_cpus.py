"""``QUILLPRESS_WORKERS=auto`` counts what a container may use: the affinity mask capped by
the cgroup's CPU quota (``docker run --cpus 2`` on a 64-core host is 2 workers, not 64).
The cgroup files are fixture trees laid out as the kernel shows them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quillpress import cpus
from quillpress.config import Settings
from quillpress.cpus import available_cpus, cgroup_cpu_quota


def affinity() -> int:
    return len(os.sched_getaffinity(0))


def unified(root: Path, cpu_max: str | None, *, own: str = "/") -> tuple[Path, Path]:
    """A cgroup v2 mount at ``root`` (the container's view: its cgroup is the root) with
    ``cpu.max`` in the process's own cgroup directory ``own``; and its /proc/self/cgroup."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    directory = root / own.lstrip("/")
    directory.mkdir(parents=True, exist_ok=True)
    if cpu_max is not None:
        (directory / "cpu.max").write_text(cpu_max + "\n")
    membership = root.parent / "proc-self-cgroup"
    membership.write_text(f"0::{own}\n")
    return root, membership


@pytest.mark.parametrize(
    ("cpu_max", "quota"),
    [
        ("200000 100000", 2),  # docker run --cpus 2
        ("400000 100000", 4),
        ("150000 100000", 1),  # 1.5 CPUs: a second worker would be throttled
        ("50000 100000", 1),  # half a CPU: still one worker
        ("100000 50000", 2),  # another period
        ("max 100000", None),  # no quota
        ("max", None),
    ],
)
def test_cpu_max_is_quota_over_period_rounded_down(
    tmp_path: Path, cpu_max: str, quota: int | None
) -> None:
    root, membership = unified(tmp_path / "cgroup", cpu_max)
    assert cgroup_cpu_quota(cgroup_root=root, proc_self_cgroup=membership) == quota


def test_no_cpu_max_no_cgroup_files_and_garbage_mean_no_quota(tmp_path: Path) -> None:
    root, membership = unified(tmp_path / "v2", None)  # the host's root cgroup has none
    assert cgroup_cpu_quota(cgroup_root=root, proc_self_cgroup=membership) is None
    nothing = tmp_path / "nothing"  # not Linux, or no cgroup mounted
    assert cgroup_cpu_quota(cgroup_root=nothing, proc_self_cgroup=nothing / "x") is None
    root, membership = unified(tmp_path / "odd", "lots 100000")
    assert cgroup_cpu_quota(cgroup_root=root, proc_self_cgroup=membership) is None


def test_the_smallest_quota_on_the_way_to_the_root_counts(tmp_path: Path) -> None:
    """Without a cgroup namespace the process sits deep in the host's tree (a systemd
    slice, a pod): a parent's quota caps its children."""
    own = "/kubepods.slice/pod1/container1"
    root, membership = unified(tmp_path / "cgroup", "max 100000", own=own)
    (root / "kubepods.slice" / "pod1" / "cpu.max").write_text("300000 100000\n")
    (root / "kubepods.slice" / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(cgroup_root=root, proc_self_cgroup=membership) == 3
    (root / own.lstrip("/") / "cpu.max").write_text("200000 100000\n")
    assert cgroup_cpu_quota(cgroup_root=root, proc_self_cgroup=membership) == 2


@pytest.mark.parametrize(("quota_us", "expected"), [("200000", 2), ("-1", None)])
def test_cgroup_v1_cfs_quota(tmp_path: Path, quota_us: str, expected: int | None) -> None:
    cpu = tmp_path / "cgroup" / "cpu"
    cpu.mkdir(parents=True)
    (cpu / "cpu.cfs_quota_us").write_text(quota_us + "\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    membership = tmp_path / "proc-self-cgroup"
    membership.write_text("4:cpu,cpuacct:/docker/abc\n")
    assert cgroup_cpu_quota(cgroup_root=tmp_path / "cgroup", proc_self_cgroup=membership) == (
        expected
    )


def test_available_cpus_is_the_affinity_mask_capped_by_the_quota(tmp_path: Path) -> None:
    root, membership = unified(tmp_path / "one", "100000 100000")
    assert available_cpus(cgroup_root=root, proc_self_cgroup=membership) == 1
    root, membership = unified(tmp_path / "many", "6400000 100000")  # 64 CPUs of quota
    assert available_cpus(cgroup_root=root, proc_self_cgroup=membership) == affinity()
    root, membership = unified(tmp_path / "none", "max 100000")
    assert available_cpus(cgroup_root=root, proc_self_cgroup=membership) == affinity()


def test_workers_auto_reads_the_cgroup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``docker run --cpus 1`` gives ``serve`` with the image's QUILLPRESS_WORKERS=auto."""
    root, membership = unified(tmp_path / "cgroup", "100000 100000")
    monkeypatch.setattr(cpus, "CGROUP_ROOT", root)
    monkeypatch.setattr(cpus, "PROC_SELF_CGROUP", membership)
    assert Settings(workers="auto").worker_count == 1
    assert Settings(workers="3").worker_count == 3  # a number is taken as it is
