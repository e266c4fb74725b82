"""The CPUs a process can use: its affinity, lowered by its cgroup's CPU quota (v2 or v1), as a
container limited with `--cpus` or a Kubernetes CPU limit sees them. Cgroup trees are written
in a temporary folder in each layout the kernel mounts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.runtime.cpus import cgroup_cpu_quota, usable_cpus


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_v2_quota_at_the_namespace_root_caps_the_cpus(tmp_path: Path) -> None:
    write(tmp_path / "proc", "0::/\n")
    write(tmp_path / "cg" / "cpu.max", "150000 100000\n")
    assert cgroup_cpu_quota(tmp_path / "cg", tmp_path / "proc") == 1.5
    assert usable_cpus(tmp_path / "cg", tmp_path / "proc") == min(2, len(os.sched_getaffinity(0)))
    write(tmp_path / "cg" / "cpu.max", "50000 100000\n")  # half a CPU still runs one worker
    assert usable_cpus(tmp_path / "cg", tmp_path / "proc") == 1


def test_the_tightest_v2_quota_on_the_way_up_counts_and_max_is_none(tmp_path: Path) -> None:
    write(tmp_path / "proc", "0::/kubepods/pod1/ctr\n")
    write(tmp_path / "cg" / "kubepods" / "cpu.max", "100000 100000\n")
    write(tmp_path / "cg" / "kubepods" / "pod1" / "ctr" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_quota(tmp_path / "cg", tmp_path / "proc") == 1.0
    write(tmp_path / "cg" / "kubepods" / "cpu.max", "max 100000\n")
    assert cgroup_cpu_quota(tmp_path / "cg", tmp_path / "proc") is None


@pytest.mark.parametrize("mount", ["cpu,cpuacct", "cpu"])
def test_a_v1_cfs_quota_caps_the_cpus_and_minus_one_is_none(tmp_path: Path, mount: str) -> None:
    write(tmp_path / "proc", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n")
    folder = tmp_path / "cg" / mount / "docker" / "abc"
    write(folder / "cpu.cfs_quota_us", "100000\n")
    write(folder / "cpu.cfs_period_us", "100000\n")
    assert usable_cpus(tmp_path / "cg", tmp_path / "proc") == 1
    write(folder / "cpu.cfs_quota_us", "-1\n")
    assert cgroup_cpu_quota(tmp_path / "cg", tmp_path / "proc") is None


def test_no_cgroup_or_an_unreadable_one_leaves_the_affinity(tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    assert usable_cpus(tmp_path / "none", tmp_path / "missing") == affinity
    write(tmp_path / "proc", "0::/\n")
    write(tmp_path / "cg" / "cpu.max", "garbage\n")
    assert usable_cpus(tmp_path / "cg", tmp_path / "proc") == affinity
