"""The supervisor's checks that need no sandbox: result shapes, and finding the cgroup hierarchies.

These run everywhere (no root): they read what a hostile run could write,
and the mount tables of the machines the sandbox meets.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from compute.sandbox import Limits, ResultInvalid, nesting_depth, validate_result
from compute.sandbox.cgroups import parse_hierarchies
from compute.sandbox.results import parse_result

LIMITS = Limits()


def test_a_result_nested_thousands_deep_is_refused_naming_its_depth() -> None:
    raw = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(ResultInvalid, match="nested 5001 levels deep; at most 4 are allowed"):
        parse_result(raw, LIMITS)


def test_a_result_nested_past_any_recursion_limit_is_refused_not_crashed() -> None:
    depth = sys.getrecursionlimit() * 50
    raw = b'{"a": ' + b"{" * depth + b"}" * depth + b"}"
    with pytest.raises(ResultInvalid, match=f"nested {depth + 1} levels deep"):
        parse_result(raw, LIMITS)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    raw = b'{"a": "[[[[[[[[[[\\"{{{{{{{{", "b": [1, 2]}'
    assert nesting_depth(raw) == 2
    with pytest.raises(ResultInvalid, match="only numbers"):  # a string is refused, but for what it is
        parse_result(raw, LIMITS)


def test_a_python_value_nested_past_the_recursion_limit_is_refused_by_the_validator() -> None:
    deep: list[object] = []
    inner = deep
    for _ in range(sys.getrecursionlimit() * 5):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    with pytest.raises(ResultInvalid, match="nested deeper than 4 levels at result.a"):
        validate_result({"a": deep}, LIMITS)


def test_results_at_the_depth_limit_pass_and_one_deeper_fail() -> None:
    fine = {"a": {"b": {"c": [1.0, 2.0]}}}  # the numbers sit inside four containers
    assert parse_result(b'{"a": {"b": {"c": [1.0, 2.0]}}}', LIMITS) == fine
    with pytest.raises(ResultInvalid, match="nested 5 levels deep"):
        parse_result(b'{"a": {"b": {"c": {"d": [1.0]}}}}', LIMITS)


def test_the_first_problem_in_the_file_is_the_one_reported() -> None:
    with pytest.raises(ResultInvalid, match=r"result.first\[1\]: only numbers"):
        validate_result({"first": [1, "x"], "second": {"y": None}}, LIMITS)


HYBRID = """\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/freezer cgroup rw,relatime,freezer 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
"""
HYBRID_OWN = "9:name=systemd:/\n8:pids:/\n6:freezer:/\n4:memory:/workers/w1\n1:cpu:/\n2:cpuacct:/\n0::/\n"

UNIFIED = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
"""

DEBIAN_10_STYLE = """\
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,nosuid,nodev,noexec,relatime,pids 0 0
"""


def test_a_hybrid_layout_offers_every_v1_controller_and_an_empty_v2_mount() -> None:
    found = parse_hierarchies(HYBRID, HYBRID_OWN)
    assert found.v2 == Path("/sys/fs/cgroup/unified")
    assert found.v1["memory"] == Path("/sys/fs/cgroup/memory")
    assert found.v1["cpuacct"] == Path("/sys/fs/cgroup/cpuacct")
    assert found.own_v1["memory"] == "/workers/w1"
    assert "name=systemd" not in found.v1


def test_a_unified_layout_has_only_the_v2_mount() -> None:
    found = parse_hierarchies(UNIFIED, "0::/system.slice/lm-worker.service\n")
    assert found.v2 == Path("/sys/fs/cgroup") and found.v1 == {}


def test_controllers_mounted_together_share_one_hierarchy_and_a_missing_freezer_shows() -> None:
    found = parse_hierarchies(DEBIAN_10_STYLE, "5:cpu,cpuacct:/\n4:memory:/\n3:pids:/\n")
    assert found.v1["cpu"] == found.v1["cpuacct"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert "freezer" not in found.v1 and found.v2 is None


def test_without_a_freezer_or_a_usable_v2_no_run_can_start_and_the_reason_says_why() -> None:
    from compute.sandbox import SandboxUnavailable
    from compute.sandbox.cgroups import backend_name

    found = parse_hierarchies(DEBIAN_10_STYLE, "5:cpu,cpuacct:/\n4:memory:/\n3:pids:/\n")
    with pytest.raises(SandboxUnavailable, match="no cgroup2 mount, and cgroup v1 lacks freezer"):
        backend_name(found)
