"""How many CPUs this process may use: what ``QUILLPRESS_WORKERS=auto`` counts.

Two limits apply, and the smaller one counts:

- the **affinity mask** (``sched_getaffinity``): the cores the process may be scheduled
  on, which a container's cpuset (``docker run --cpuset-cpus``) narrows;
- the **CPU quota** of its cgroup: ``docker run --cpus 2`` and a Kubernetes CPU limit
  leave every core of the host in the affinity mask and cap the time instead, as
  ``cpu.max`` (cgroup v2: ``"200000 100000"``, a quota of 200 ms per 100 ms period, is 2
  CPUs; ``"max 100000"`` is no quota). Counting only the mask, a container limited to 2
  CPUs on a 64-core host started 64 workers, each with its own database pool.

A fractional quota rounds down (1.5 CPUs → 1 worker: a second one would be throttled),
never below 1. cgroup v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``, ``-1`` = none)
is read from the hierarchy's top, which is the container's own inside a container.

The paths are parameters so tests can point them at fixture files."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def available_cpus(*, cgroup_root: Path | None = None, proc_self_cgroup: Path | None = None) -> int:
    """The CPUs this process may use: its affinity mask, capped by its cgroup's quota."""
    if hasattr(os, "sched_getaffinity"):
        cpus = max(1, len(os.sched_getaffinity(0)))
    else:  # macOS, Windows: no affinity mask and no cgroups
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root=cgroup_root, proc_self_cgroup=proc_self_cgroup)
    return cpus if quota is None else min(cpus, quota)


def cgroup_cpu_quota(
    *, cgroup_root: Path | None = None, proc_self_cgroup: Path | None = None
) -> int | None:
    """Whole CPUs the cgroup quota allows (at least 1), or ``None``: no quota (or no
    cgroup file to read, as outside Linux). The paths default to the module's
    ``CGROUP_ROOT`` and ``PROC_SELF_CGROUP``, read at each call."""
    cgroup_root = CGROUP_ROOT if cgroup_root is None else cgroup_root
    proc_self_cgroup = PROC_SELF_CGROUP if proc_self_cgroup is None else proc_self_cgroup
    v2 = _v2_directories(cgroup_root, proc_self_cgroup)
    if v2:
        quotas = [_cpu_max(directory / "cpu.max") for directory in v2]
    else:
        v1 = cgroup_root / "cpu"
        quotas = [_cfs(v1 / "cpu.cfs_quota_us", v1 / "cpu.cfs_period_us")]
    found = [quota for quota in quotas if quota is not None]
    if not found:
        return None
    return max(1, math.floor(min(found)))


def _v2_directories(root: Path, proc_self_cgroup: Path) -> list[Path]:
    """The process's cgroup v2 directory and its ancestors up to the root: a quota on any
    of them applies (a nested cgroup cannot use more than its parent). Inside a container
    with its own cgroup namespace the process's path is ``/`` and the root is the
    container's cgroup; empty when the unified hierarchy is not mounted."""
    if not (root / "cgroup.controllers").exists():
        return []
    path = "/"
    try:
        for line in proc_self_cgroup.read_text().splitlines():
            if line.startswith("0::"):
                path = line[3:].strip() or "/"
    except OSError:
        pass
    directory = root / path.lstrip("/")
    directories = [directory]
    while directory != root and root in directory.parents:
        directory = directory.parent
        directories.append(directory)
    return directories


def _cpu_max(path: Path) -> float | None:
    """``cpu.max``: ``"<quota> <period>"`` in microseconds, the quota ``max`` for none."""
    try:
        quota, _, period = path.read_text().strip().partition(" ")
    except OSError:
        return None
    return _ratio(quota, period or "100000")


def _cfs(quota_path: Path, period_path: Path) -> float | None:
    try:
        quota = quota_path.read_text().strip()
        period = period_path.read_text().strip()
    except OSError:
        return None
    return _ratio(quota, period)


def _ratio(quota: str, period: str) -> float | None:
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max", or something this code does not know: no quota
        return None
    if quota_us <= 0 or period_us <= 0:  # cgroup v1's -1
        return None
    return quota_us / period_us
