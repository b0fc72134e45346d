# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a XenDomainHA monitor imports: run through its launcher in a child `python3 -IS` against a stub xl/xm.

The STYLE.md section 2 hot set, enforced deterministically (no timing here: bench/xendomain.py measures): a monitor
of a running guest and of an absent one, probe and recurring, loads none of tests.hotset.FORBIDDEN, no `re`, no
`json`, and of xenha.xen only the listing parser; the toolstack client, the error classifier and the config parser
stay for what is not a plain answer.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hotset import REPO, heavy, modules_of

LAUNCHER = REPO / "ocf" / "XenDomainHA"
# The xenha modules a healthy monitor needs besides the OCF core, the runner and the state directory.
XEN_HOT = {"xenha.xen", "xenha.xen.listing"}
XEN_COLD = {"xenha.xen.ctl", "xenha.xen.domain", "xenha.xen.config", "xenha.xen.messages", "xenha.xen.long"}

# `xl list NAME` / `xm list NAME` as the toolstacks print them (xl_info.c list_domains, xl_utils.c find_domain;
# xend's main.py), for the guest the file $STUB_STATE names as running.
STUB = """#!/bin/sh
if [ "$1" = list ] && [ -n "$2" ]; then
    if grep -qx "$2" "$STUB_STATE" 2>/dev/null; then
        printf 'Name                                        ID   Mem VCPUs\\tState\\tTime(s)\\n'
        printf '%-40s %5d %5d %5d     %s %8.1f\\n' "$2" 7 512 1 '-b----' 12.3
        exit 0
    fi
    if [ "$(basename "$0")" = xm ]; then
        echo "Error: Domain '$2' does not exist." >&2
    else
        echo "$2 is an invalid domain identifier (rc=-6)" >&2
    fi
    exit 1
fi
exit 1
"""


@pytest.fixture
def dom0(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A node with stub xl and xm, a config for web1, a private run dir; `run(action, **params)` -> (rc, modules)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("xl", "xm"):
        (bindir / tool).write_text(STUB)
        (bindir / tool).chmod(0o755)
    config = tmp_path / "web1.cfg"
    config.write_text("name = 'web1'\nmemory = 512\nvcpus = 1\ndisk = ['phy:/dev/vg0/web1,xvda,w']\n")
    state = tmp_path / "running"
    capabilities = tmp_path / "capabilities"
    capabilities.write_text("control_d\n")

    class Dom0:
        run_dir = tmp_path / "run"

        def guest(self, running: bool) -> None:
            state.write_text("web1\n" if running else "")

        def run(self, *, interval: int, **params: str) -> tuple[int, set[str]]:
            environ = {
                "PATH": f"{bindir}:/usr/bin:/bin",
                "STUB_STATE": str(state),
                "OCF_ROOT": "/usr/lib/ocf",
                "OCF_RESOURCE_INSTANCE": "web1",
                "OCF_RESKEY_config": str(config),
                "OCF_RESKEY_CRM_meta_interval": str(interval),
                "OCF_RESKEY_CRM_meta_timeout": "20000",
                "HA_LOGFACILITY": "none",
                "XENHA_RUN_DIR": str(self.run_dir),
                "XENHA_PROC_XEN_CAPABILITIES": str(capabilities),
                **{f"OCF_RESKEY_{key}": value for key, value in params.items()},
            }
            code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], environ)
            assert "ocf-exit-reason" not in stderr, stderr
            return code, loaded

    return Dom0()


STATES = [pytest.param(True, id="running"), pytest.param(False, id="absent")]


def assert_hot(loaded: set[str]) -> None:
    assert heavy(loaded) == set()
    assert not {"re", "json", "shlex", "ast"} & loaded
    xen = {name for name in loaded if name.startswith("xenha.xen")}
    assert xen == XEN_HOT, f"beyond the listing parser: {sorted(xen - XEN_HOT)}"


@pytest.mark.parametrize("tool", ["xl", "xm"])
@pytest.mark.parametrize("running", STATES)
def test_monitor_with_a_chosen_toolstack_is_hot_from_the_first_probe(dom0, tool: str, running: bool) -> None:
    dom0.guest(running)
    expected = 0 if running else 7
    for interval in (0, 10000, 10000):  # a probe on a freshly booted node (empty /run), then recurring monitors
        code, loaded = dom0.run(interval=interval, toolstack=tool, name="web1")
        assert code == expected
        assert_hot(loaded)


@pytest.mark.parametrize("running", STATES)
def test_monitor_with_auto_and_the_config_name_is_hot_once_both_are_remembered(dom0, running: bool) -> None:
    """The first monitor on a node picks the toolstack and reads the config's name; it remembers both."""
    dom0.guest(running)
    expected = 0 if running else 7
    code, first = dom0.run(interval=0)
    assert code == expected
    assert heavy(first, allow=frozenset({"dataclasses", "enum", "typing", "inspect"})) == set()  # the config parser
    assert sorted(os.listdir(dom0.run_dir / "XenDomainHA"))[1] == "toolstack"
    for interval in (0, 10000):
        code, loaded = dom0.run(interval=interval)
        assert code == expected
        assert_hot(loaded)


def test_auto_toolstack_probe_on_a_fresh_node_with_a_name_loads_no_forbidden_module(dom0) -> None:
    """Choosing the toolstack needs the client (xenha.xen.ctl), nothing heavier, and logs at debug only."""
    dom0.guest(True)
    code, loaded = dom0.run(interval=0, name="web1")
    assert code == 0
    assert heavy(loaded) == set()
    assert not {"re", "json"} & loaded
    assert "xenha.xen.ctl" in loaded
