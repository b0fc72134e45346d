# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""XenDomainHA run through its launcher against the simulated xl and xm: lifecycle, failures, live migration."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sim.conftest import REPO, Sim
from xenha_sim import drbdsim, faults, xensim

AGENT = str(REPO / "ocf" / "XenDomainHA")
PEER = "/usr/lib/ocf/resource.d/heartbeat/Xen"
TOOLS = ("xl", "xm")
DRBD_CONF = """resource r0 {
  device /dev/drbd0;
  disk /dev/vg/r0;
  meta-disk internal;
  net { allow-two-primaries yes; }
  on ha1 { address 10.0.0.1:7788; }
  on ha2 { address 10.0.0.2:7788; }
}
"""


@dataclass
class Run:
    code: int
    stderr: str
    elapsed: float
    calls: list[str]

    @property
    def reason(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
        assert len(lines) <= 1, self.stderr
        return lines[0].removeprefix("ocf-exit-reason:") if lines else ""


class Cluster:
    """The simulated world plus helpers: run the agent as a node, count the xl/xm calls it makes, change the world."""

    def __init__(self, sim: Sim, root: Path) -> None:
        self.sim = sim
        self.root = root
        self.config = root / "web1.cfg"
        self.config.write_text("name = 'web1'\nmemory = 512\nvcpus = 2\ndisk = ['phy:/dev/vg0/web1,xvda,w']\n")
        # Shims in front of the simulated tools record every call, so tests can assert how many forks an action made.
        self.shims = root / "shims"
        self.shims.mkdir()
        self.log = root / "calls.log"
        for tool in TOOLS:
            shim = self.shims / tool
            shim.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{self.log}"\nexec "{sim.bindir / tool}" "$@"\n')
            shim.chmod(0o755)
        with sim.world.transaction() as state:
            xensim.set_config(state, shutdown_delay=0.2, migrate_min_s=0.3, migrate_s_per_gib=0.5)
            for node in ("ha1", "ha2"):  # each node's xenfs, kept by the simulator: control_d while the node is up
                xensim.set_capabilities_file(state, node, str(self.capabilities(node)))

    def capabilities(self, node: str) -> Path:
        return self.root / "nodes" / node / "proc_xen" / "capabilities"

    def agent(self, node: str, action: str, *, meta: dict[str, str] | None = None, interval: int = 10000,
              path: str | None = None, agent: str = AGENT, **params: str) -> Run:  # fmt: skip
        """Run one action; the config goes in both `config` (ours) and `xmfile` (ocf:heartbeat:Xen)."""
        extra = {
            "PATH": path or f"{self.shims}:{self.sim.bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
            "XENHA_RUN_DIR": str(self.root / "run" / node),
            "XENHA_PROC_XEN_CAPABILITIES": str(self.capabilities(node)),
            "HA_LOGFACILITY": "none",
            "XENHA_LOG_STDERR": "1",
            "OCF_ROOT": "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE": "web1",
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "OCF_RESKEY_CRM_meta_interval": str(interval),
            "OCF_RESKEY_CRM_meta_on_node": node,
            "XENHA_SIM_DRBD_CONF": str(self.root / "drbd.conf"),
            "OCF_RESKEY_config": str(self.config),
            "OCF_RESKEY_xmfile": str(self.config),
        }
        extra.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
        extra.update({f"OCF_RESKEY_CRM_meta_{k}": v for k, v in (meta or {}).items()})
        env = self.sim.env(node, **extra)
        self.log.write_text("")
        started = time.monotonic()
        done = subprocess.run([agent, action], env=env, capture_output=True, text=True, timeout=60, check=False)
        elapsed = time.monotonic() - started
        calls = [line for line in self.log.read_text().splitlines() if line]
        return Run(done.returncode, done.stderr, elapsed, calls)

    def domains(self, node: str) -> dict[str, str]:
        """{name: xl state letters} of the node's domUs."""
        state = self.sim.world.snapshot()
        now = time.time()
        return {v.name: v.xl_state for v in xensim.list_domains(state, node, now) if v.domid != 0}

    def change(self, fn, *args, **kwargs) -> None:
        with self.sim.world.transaction() as state:
            fn(state, *args, **kwargs)

    def drbd(self, *, uptodate: bool = True, version: str = "8.4") -> None:
        """Resource r0 (minor 0, allow-two-primaries) up and connected on ha1 and ha2; web1 on drbd:r0."""
        (self.root / "drbd.conf").write_text(DRBD_CONF)
        self.config.write_text("name = 'web1'\nmemory = 512\nvcpus = 2\ndisk = ['drbd:r0,xvda,w']\n")
        with self.sim.world.transaction() as state:
            if version != "8.4":
                drbdsim.set_drbd_version(state, version)
            drbdsim.init_resource(state, "r0", ["ha1", "ha2"], uptodate=uptodate)
        for node in ("ha1", "ha2"):
            up = self.sim.run(node, ["drbdadm", "up", "r0"], XENHA_SIM_DRBD_CONF=str(self.root / "drbd.conf"))
            assert up.returncode == 0, up.stderr

    def role(self, node: str) -> str:
        return str(drbdsim.role_of(self.sim.world.snapshot(), node, "r0"))


@pytest.fixture
def cluster(sim: Sim, tmp_path: Path) -> Cluster:
    return Cluster(sim, tmp_path)


def started(cluster: Cluster, tool: str, node: str = "ha1") -> None:
    run = cluster.agent(node, "start", toolstack=tool)
    assert run.code == 0, run.stderr
    assert list(cluster.domains(node)) == ["web1"]


# -- lifecycle -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_lifecycle(cluster, tool):
    assert cluster.agent("ha1", "monitor", toolstack=tool, interval=0).code == 7
    started(cluster, tool)
    assert cluster.agent("ha1", "monitor", toolstack=tool).code == 0
    again = cluster.agent("ha1", "start", toolstack=tool)
    assert (again.code, again.calls) == (0, [f"{tool} list"])
    stop = cluster.agent("ha1", "stop", toolstack=tool)
    assert stop.code == 0, stop.stderr
    assert "shut down cleanly" in stop.stderr
    assert cluster.domains("ha1") == {}
    assert cluster.agent("ha1", "monitor", toolstack=tool).code == 7


@pytest.mark.parametrize("tool", TOOLS)
def test_stop_when_stopped_and_monitor_of_absent_are_one_fork(cluster, tool):
    stop = cluster.agent("ha1", "stop", toolstack=tool)
    assert (stop.code, stop.calls) == (0, [f"{tool} list"])
    assert stop.elapsed < 2.0
    monitor = cluster.agent("ha1", "monitor", toolstack=tool)
    assert (monitor.code, monitor.calls, monitor.reason) == (7, [f"{tool} list web1"], "")


def test_auto_toolstack_prefers_xl_and_remembers(cluster):
    first = cluster.agent("ha1", "monitor", interval=0)
    assert (first.code, first.calls) == (7, ["xl list web1"])
    assert (cluster.root / "run" / "ha1" / "XenDomainHA" / "toolstack").read_text() == "xl\n"
    # without xl on the path the remembered choice is dropped and xm is used
    shims_xm_only = cluster.root / "xm-only"
    shims_xm_only.mkdir()
    os.symlink(cluster.shims / "xm", shims_xm_only / "xm")
    run = cluster.agent("ha1", "monitor", interval=0, path=f"{shims_xm_only}:/usr/bin:/bin")
    assert (run.code, run.calls) == (7, ["xm list web1"])
    assert (cluster.root / "run" / "ha1" / "XenDomainHA" / "toolstack").read_text() == "xm\n"


def test_probe_without_any_toolstack_is_not_running(cluster):
    run = cluster.agent("ha1", "monitor", interval=0, path="/usr/bin:/bin")
    assert (run.code, run.reason) == (7, "")


def test_hung_xl_is_the_reason_and_xm_is_not_tried(cluster):
    """Issue 11: with toolstack=auto a hung `xl` used the whole budget, then `xm` took the blame for the timeout."""
    cluster.change(xensim.set_tool_hang, "ha1", "xl", 10.0)
    run = cluster.agent("ha1", "monitor", interval=0, meta={"timeout": "2000"})  # 1.5 s for the op
    assert (run.code, run.calls) == (1, ["xl list web1"])
    assert run.reason.startswith("domU web1: xl list timed out after 1.")
    assert run.elapsed < 5.0


def test_hung_remembered_xm_is_the_reason_and_xl_is_not_tried(cluster):
    state_dir = cluster.root / "run" / "ha1" / "XenDomainHA"
    state_dir.mkdir(parents=True, mode=0o700)
    (state_dir / "toolstack").write_text("xm\n")
    cluster.change(xensim.set_tool_hang, "ha1", "xm", 10.0)
    run = cluster.agent("ha1", "stop", meta={"timeout": "2000"})
    assert (run.code, run.calls) == (1, ["xm list"])
    assert run.reason.startswith("domU web1: xm list timed out after 1.")


@pytest.mark.parametrize("tool", [*TOOLS, "auto"])
def test_a_node_without_xen_runs_nothing(cluster, tool):
    """Issue 11: a lab node whose world record crashed while its pacemaker ran answered a probe with 1, and the
    cluster restarted a healthy guest ("might be active on 2 nodes"). Without Xen nothing runs here: 7, stop 0."""
    started(cluster, "xl", "ha2")
    cluster.change(faults.crash_node, "ha1")
    first = "xl" if tool == "auto" else tool
    probe = cluster.agent("ha1", "monitor", toolstack=tool, interval=0)
    assert (probe.code, probe.calls, probe.reason) == (7, [f"{first} list web1"], "")
    assert "INFO: domU web1: no Xen hypervisor here" in probe.stderr
    monitor = cluster.agent("ha1", "monitor", toolstack=tool)
    assert (monitor.code, monitor.reason) == (7, "")
    assert "WARNING: domU web1: no Xen hypervisor here" in monitor.stderr
    stop = cluster.agent("ha1", "stop", toolstack=tool)
    assert (stop.code, stop.calls, stop.reason) == (0, [f"{first} list"], "")
    start = cluster.agent("ha1", "start", toolstack=tool)
    assert start.code == 5
    assert start.reason.startswith("domU web1: no Xen hypervisor here")
    assert cluster.agent("ha2", "monitor", toolstack=tool).code == 0  # the guest kept running where it was
    cluster.change(faults.restart_node, "ha1")
    assert cluster.agent("ha1", "monitor", toolstack=tool, interval=0).code == 7


def test_xend_stopped_on_a_dom0_is_a_broken_toolstack(cluster):
    with cluster.sim.world.transaction() as state:
        state["nodes"]["ha1"]["xend_running"] = False
    probe = cluster.agent("ha1", "monitor", toolstack="xm", interval=0)
    xend_down = "Error: Unable to connect to xend: No such file or directory. Is xend running?"
    assert (probe.code, probe.reason) == (1, f"domU web1: xm list failed: {xend_down}")


@pytest.mark.parametrize("tool", TOOLS)
def test_crashed_guest_fails_the_monitor_and_stop_destroys_it(cluster, tool):
    started(cluster, tool)
    cluster.change(xensim.crash_guest, "ha1", "web1", time.time())
    monitor = cluster.agent("ha1", "monitor", toolstack=tool)
    assert monitor.code == 1
    assert monitor.reason.startswith("domU web1: crashed (flags ")
    stop = cluster.agent("ha1", "stop", toolstack=tool)
    assert stop.code == 0
    assert f"{tool} shutdown web1" not in stop.calls
    assert cluster.domains("ha1") == {}


@pytest.mark.parametrize("tool", TOOLS)
def test_paused_guest_is_running_with_a_warning(cluster, tool):
    started(cluster, tool)
    cluster.sim.run("ha1", [tool, "pause", "web1"])
    monitor = cluster.agent("ha1", "monitor", toolstack=tool)
    assert monitor.code == 0
    assert "domU web1: paused" in monitor.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_guest_ignoring_shutdown_is_destroyed_after_shutdown_timeout(cluster, tool):
    started(cluster, tool)
    cluster.change(xensim.set_guest_behaviour, "web1", ignore_shutdown=True)
    stop = cluster.agent("ha1", "stop", toolstack=tool, shutdown_timeout="1")
    assert stop.code == 0, stop.stderr
    assert "did not shut down in time; destroying it" in stop.stderr
    assert f"{tool} destroy web1" in stop.calls
    assert 1.0 <= stop.elapsed < 5.0
    assert cluster.domains("ha1") == {}


def test_stop_finds_the_domain_without_its_config(cluster):
    started(cluster, "xl")
    cluster.config.unlink()
    stop = cluster.agent("ha1", "stop")
    assert stop.code == 0, stop.stderr
    assert cluster.domains("ha1") == {}


def test_start_with_a_name_parameter_overrides_the_config(cluster):
    run = cluster.agent("ha1", "start", name="web7")
    assert run.code == 0, run.stderr
    assert list(cluster.domains("ha1")) == ["web7"]
    assert cluster.agent("ha1", "monitor", name="web7").code == 0
    assert cluster.agent("ha1", "stop", name="web7").code == 0


def test_start_fails_with_the_toolstack_reason_when_memory_is_short(cluster):
    cluster.change(xensim.reserve_memory, "ha1", 16000)
    run = cluster.agent("ha1", "start")
    assert run.code == 1
    assert run.reason == "domU web1: xl create failed: failed to free memory for the domain"


# -- live migration --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_live_migration_then_stop_on_the_source(cluster, tool):
    started(cluster, tool)
    to = cluster.agent("ha1", "migrate_to", toolstack=tool, meta={"migrate_target": "ha2"})
    assert to.code == 0, to.stderr
    frm = cluster.agent("ha2", "migrate_from", toolstack=tool, meta={"migrate_source": "ha1"})
    assert frm.code == 0, frm.stderr
    assert cluster.domains("ha2") == {"web1": cluster.domains("ha2")["web1"]}
    assert cluster.agent("ha2", "monitor", toolstack=tool).code == 0
    stop = cluster.agent("ha1", "stop", toolstack=tool)
    assert (stop.code, stop.calls) == (0, [f"{tool} list"])
    assert cluster.agent("ha1", "monitor", toolstack=tool).code == 7


def test_migration_address_through_the_network_suffix(cluster):
    with cluster.sim.world.transaction() as state:
        state["nodes"]["ha2"]["aliases"] = ["ha2X"]
    started(cluster, "xl")
    to = cluster.agent("ha1", "migrate_to", meta={"migrate_target": "ha2"}, migration_network_suffix="X")
    assert to.code == 0, to.stderr
    assert "xl migrate web1 ha2X" in to.calls
    assert cluster.agent("ha2", "migrate_from").code == 0


@pytest.mark.parametrize("tool", TOOLS)
def test_failed_migration_keeps_the_guest_running_here(cluster, tool):
    started(cluster, tool)
    cluster.change(xensim.set_migrate_fail_at, 0.5)
    to = cluster.agent("ha1", "migrate_to", toolstack=tool, meta={"migrate_target": "ha2"})
    assert to.code == 1
    assert to.reason.startswith("domU web1: migration to ha2 failed, it keeps running here: ")
    assert cluster.agent("ha1", "monitor", toolstack=tool).code == 0
    frm = cluster.agent("ha2", "migrate_from", toolstack=tool)
    assert (frm.code, frm.reason) == (1, "domU web1: not here after the migration")
    assert cluster.domains("ha2") == {}


def test_migration_to_an_unknown_host_fails_with_the_reason(cluster):
    started(cluster, "xl")
    to = cluster.agent("ha1", "migrate_to", meta={"migrate_target": "ha2"}, migration_address="ha2=nowhere")
    assert to.code == 1
    assert to.reason.startswith("domU web1: migration to ha2 failed, it keeps running here: ")
    assert len(to.reason.encode()) <= 127
    assert list(cluster.domains("ha1")) == ["web1"]


def test_stop_during_an_incoming_migration_destroys_the_incoming_copy(cluster):
    started(cluster, "xl")
    cluster.change(xensim.set_config, migrate_s_per_gib=20.0)  # 10 s for this guest: still under way below
    migrate = subprocess.Popen(["xl", "migrate", "web1", "ha2"], env=cluster.sim.env("ha1"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 5
        while "web1--incoming" not in cluster.domains("ha2") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "web1--incoming" in cluster.domains("ha2")
        assert cluster.agent("ha2", "monitor").code == 7
        stop = cluster.agent("ha2", "stop")
        assert stop.code == 0, stop.stderr
        assert "xl destroy web1--incoming" in stop.calls
        assert cluster.domains("ha2") == {}
    finally:
        migrate.wait(timeout=30)
    assert list(cluster.domains("ha1")) == ["web1"]


# -- the DRBD guard --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["8.4", "9"])
def test_guard_refuses_a_second_start_while_the_peer_is_primary(cluster, version):
    cluster.drbd(version=version)
    started(cluster, "xl", "ha1")
    assert cluster.role("ha1") == "Primary"
    run = cluster.agent("ha2", "start")
    assert run.code == 1
    assert run.reason.startswith("domU web1: refusing to start: drbd r0")
    assert "Primary on " in run.reason
    assert not any(call.startswith("xl create") for call in run.calls)
    assert cluster.domains("ha2") == {}
    # once it is stopped there (block-drbd demotes), the start goes through
    assert cluster.agent("ha1", "stop").code == 0
    assert cluster.role("ha1") == "Secondary"
    assert cluster.agent("ha2", "start").code == 0
    assert cluster.role("ha2") == "Primary"


def test_guard_refuses_data_that_is_not_uptodate(cluster):
    cluster.drbd(uptodate=False)
    run = cluster.agent("ha1", "start")
    assert (run.code, run.reason) == (
        1,
        "domU web1: refusing to start: drbd r0: local data is Inconsistent, not UpToDate",
    )
    assert cluster.agent("ha1", "start", drbd_guard="false").code == 1  # then block-drbd itself cannot promote


def test_guarded_live_migration_follows_the_disk(cluster):
    cluster.drbd()
    started(cluster, "xl", "ha1")
    to = cluster.agent("ha1", "migrate_to", meta={"migrate_target": "ha2"})
    assert to.code == 0, to.stderr
    assert cluster.agent("ha2", "migrate_from").code == 0
    assert (cluster.role("ha1"), cluster.role("ha2")) == ("Secondary", "Primary")


def test_guard_refuses_a_migration_over_a_cut_link(cluster):
    cluster.drbd()
    started(cluster, "xl", "ha1")
    cluster.change(drbdsim.cut_link, "ha1", "ha2")
    to = cluster.agent("ha1", "migrate_to", meta={"migrate_target": "ha2"})
    assert to.code == 1
    assert to.reason.startswith("domU web1: not migrating to ha2: drbd r0: not connected to ha2")
    assert not any(call.startswith("xl migrate") for call in to.calls)
    assert cluster.agent("ha1", "monitor").code == 0


# -- the same cases against ocf:heartbeat:Xen ------------------------------------------------------------------------

needs_peer = pytest.mark.skipif(not os.access(PEER, os.X_OK), reason="resource-agents is not installed")


@needs_peer
@pytest.mark.slow
def test_peer_is_slow_when_the_guest_is_not_there(cluster):
    """Stop-when-stopped and a recurring monitor of an absent guest: we answer at once, the peer retries 5 s."""
    ours_stop = cluster.agent("ha1", "stop")
    ours_monitor = cluster.agent("ha1", "monitor")
    assert (ours_stop.code, len(ours_stop.calls)) == (0, 1)
    assert (ours_monitor.code, len(ours_monitor.calls)) == (7, 1)
    with ThreadPoolExecutor(2) as pool:  # the two peer runs wait in parallel: one 5 s wait for the test
        peer_stop, peer_monitor = pool.map(lambda action: cluster.agent("ha1", action, agent=PEER), ["stop", "monitor"])
    assert (peer_stop.code, peer_monitor.code) == (0, 7)
    assert peer_stop.elapsed >= 5.0
    assert peer_monitor.elapsed >= 5.0
    assert max(ours_stop.elapsed, ours_monitor.elapsed) < 0.2 * min(peer_stop.elapsed, peer_monitor.elapsed)


@needs_peer
def test_peer_reports_a_crashed_guest_as_running(cluster):
    started(cluster, "xl")
    cluster.change(xensim.crash_guest, "ha1", "web1", time.time())
    assert cluster.agent("ha1", "monitor").code == 1
    assert cluster.agent("ha1", "monitor", agent=PEER).code == 0  # it only asks whether `xl list NAME` succeeds


@needs_peer
def test_peer_has_no_drbd_guard(cluster):
    cluster.drbd()
    started(cluster, "xl", "ha1")
    ours = cluster.agent("ha2", "start")
    assert ours.code == 1
    assert not any(call.startswith("xl create") for call in ours.calls)
    # The peer creates the guest a second time; block-drbd may promote (allow-two-primaries), and only the
    # simulator's own invariant (no guest on two nodes) stops it.
    peer = cluster.agent("ha2", "start", agent=PEER, meta={"timeout": "5000"})
    assert "xl create " + str(cluster.config) in " ".join(peer.calls)
    assert peer.code != 0
    assert "SplitBrain" in peer.stderr


@needs_peer
def test_peer_waits_in_migrate_from_for_a_guest_that_never_comes(cluster):
    ours = cluster.agent("ha2", "migrate_from", meta={"timeout": "3000"})
    peer = cluster.agent("ha2", "migrate_from", agent=PEER, meta={"timeout": "3000"})
    assert ours.code == peer.code == 1
    assert ours.elapsed < 1.0
    assert peer.elapsed >= 2.0  # it polls for 2/3 of the timeout
