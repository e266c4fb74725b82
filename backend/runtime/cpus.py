"""How many CPUs this process can really use: its affinity, and the CPU quota of its cgroup.

A container limited to one CPU by a quota (`docker run --cpus 1`, a Kubernetes CPU limit) still
sees every core in its affinity: the kernel lets it run anywhere, only for at most the quota's
time per period. Several workers taking turns in one CPU's worth of time cost more than one
(async_sandbox.py), so the quota counts as much as the affinity.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def usable_cpus(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    cpus = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root, proc_cgroup)
    return max(1, min(cpus, math.ceil(quota))) if quota is not None else cpus


def cgroup_cpu_quota(cgroup_root: Path, proc_cgroup: Path) -> float | None:
    """The tightest CPU quota (in CPUs) on this process's cgroup and its ancestors, v2 or v1;
    None when there is none, or nothing can be read (not Linux, no cgroup mounted)."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    quotas = []
    for line in lines:
        _id, _sep, rest = line.partition(":")
        controllers, _sep, path = rest.partition(":")
        if controllers == "":  # v2: one unified hierarchy
            quotas += [q for d in _ancestors(cgroup_root, path) if (q := _v2_quota(d)) is not None]
        elif "cpu" in controllers.split(","):  # v1: the cpu controller's own hierarchy
            for mount in (controllers, "cpu", "cpu,cpuacct"):
                folder = cgroup_root / mount
                if folder.is_dir():
                    found = (_v1_quota(d) for d in _ancestors(folder, path))
                    quotas += [q for q in found if q is not None]
                    break
    return min(quotas) if quotas else None


def _ancestors(root: Path, path: str) -> list[Path]:
    """`root/path` and each folder above it up to `root`. Inside a container's cgroup
    namespace the path is `/` and the limits sit at the root itself."""
    parts = [part for part in path.split("/") if part and part != ".."]
    return [root.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def _v2_quota(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
        return int(quota) / int(period) if quota != "max" and int(period) > 0 else None
    except (OSError, ValueError):
        return None


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
