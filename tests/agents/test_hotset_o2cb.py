# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What O2cbCluster's monitor and probe load, run as pacemaker-execd runs them: the launcher in python3 -IS, reading
a simulated configfs (the monitor reads configfs only and forks nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hotset import REPO, heavy, modules_of
from xenha.o2cb.configfs import HeartbeatMode
from xenha_sim.o2cbsim import SimConfigfs

LAUNCHER = REPO / "ocf" / "O2cbCluster"
REGION = "77D95EF51C0149D2823674FCC162CF8B"


def _quiet(loaded: set[str]) -> set[str]:
    """The forbidden modules, plus re and json (configfs files are read with str methods), and cluster.conf's and
    the membership's parsers, which only start and validate-all need."""
    ours = {"xenha.o2cb.conf", "xenha.o2cb.membership"}
    return heavy(loaded) | (loaded & ({"re", "json", "encodings.ascii"} | ours))


@pytest.fixture
def configfs(tmp_path: Path) -> SimConfigfs:
    fs = SimConfigfs(str(tmp_path / "configfs"))
    fs.load()
    return fs


def environ(tmp_path: Path, configfs: str, *, interval: str = "20000", **params: str) -> dict[str, str]:
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "XENHA_RUN_DIR": str(tmp_path / "run"),
        "OCF_RESOURCE_INSTANCE": "o2cb:0",
        "OCF_RESKEY_CRM_meta_interval": interval,
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "OCF_RESKEY_CRM_meta_on_node": "ha1",
        "OCF_RESKEY_cluster": "web",
        "OCF_RESKEY_configfs": configfs,
        **{f"OCF_RESKEY_{k}": v for k, v in params.items()},
    }


@pytest.mark.parametrize("interval", ["20000", "0"], ids=["monitor", "probe"])
@pytest.mark.parametrize("mode", ["local", "global"])
def test_monitor_of_a_running_cluster_loads_no_heavy_module(tmp_path, configfs, interval, mode):
    configfs.create_cluster("web")
    configfs.add_node("web", "ha1", num=1, address="10.0.0.1", port=7777, local=True)
    configfs.add_node("web", "ha2", num=2, address="10.0.0.2", port=7777, local=False)
    if mode == "global":
        configfs.set_heartbeat_mode("web", HeartbeatMode.GLOBAL)
        configfs.start_region("web", REGION, "/dev/etherd/e0.1")
    env = environ(tmp_path, configfs.root, interval=interval, heartbeat_mode=mode)
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], env)
    assert code == 0, stderr
    assert _quiet(loaded) == set()
    assert stderr == ""


@pytest.mark.parametrize("interval", ["20000", "0"], ids=["monitor", "probe"])
@pytest.mark.parametrize("where", ["unregistered", "no configfs"])
def test_monitor_of_an_absent_cluster_loads_no_heavy_module(tmp_path, configfs, interval, where):
    root = configfs.root if where == "unregistered" else str(tmp_path / "nowhere")
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], environ(tmp_path, root, interval=interval))
    assert code == 7, stderr
    assert _quiet(loaded) == set()
    assert stderr == ""


def test_a_failing_monitor_loads_logging_only_then(tmp_path, configfs):
    """The control: a half-registered cluster is a failure worth reporting, so logging is loaded and the tests above
    can fail."""
    configfs.create_cluster("web")
    configfs.add_node("web", "ha2", num=2, address="10.0.0.2", port=7777, local=False)
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], environ(tmp_path, configfs.root))
    assert code == 1 and "without a local node" in stderr
    assert "logging" in loaded
