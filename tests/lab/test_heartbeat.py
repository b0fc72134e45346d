# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real heartbeat 3.0.6 (v1, haresources) on two nodes in network namespaces, with the simulator as Xen and DRBD.

Each node is `ip netns exec NS unshare --mount --uts --propagation private sh -c SETUP` running heartbeat itself:
private /run (so /var/lock), /etc/ha.d, /var/lib/heartbeat and host name, the simulated xl/xm/drbdadm/drbdsetup
bind-mounted over any real ones. The nodes talk ucast over a veth pair joining their namespaces, on a /24 that exists
only there. haresources is the classic pair `ha1 xendomainsHA1` / `ha2 xendomainsHA2`, with auto_failback on.

The test checks: both groups start on their home nodes; killing ha1 (heartbeat and every process in its namespace,
and the simulated node's guests with it) moves HA1's guests to ha2; ha1 coming back takes them home. The measured
times are printed (pytest -s) and recorded in the test's `record_property`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEARTBEAT = "/usr/libexec/heartbeat/heartbeat"
SIM_TOOLS = REPO / "packaging" / "lab-scripts"
NODES = ("ha1", "ha2")
GROUPS = {"1": ("web1", "r1", 1), "2": ("db2", "r2", 2)}  # group -> (guest, DRBD resource, minor)
SUBNET = "10.99.77"

pytestmark = pytest.mark.lab


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, mounts)"
    if not os.access(HEARTBEAT, os.X_OK):
        return f"heartbeat is not installed ({HEARTBEAT}; Debian package heartbeat)"
    for tool in ("ip", "unshare", "mount", "hostname"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(
        ["ip", "netns", "add", f"xhbprobe{os.getpid()}"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", f"xhbprobe{os.getpid()}"], capture_output=True, check=False)
    return None


def _sh(*argv: str) -> None:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")


@dataclass
class HbLab:
    root: Path
    prefix: str

    def netns(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def address(self, node: str) -> str:
        return f"{SUBNET}.{NODES.index(node) + 1}"

    def node_dir(self, node: str) -> Path:
        return self.root / "nodes" / node

    @property
    def world(self):  # noqa: ANN201 -- xenha_sim is imported lazily, only when the lab runs
        from xenha_sim.world import World

        return World(str(self.root / "world"))

    # -- building ----------------------------------------------------------------------------------------------
    def build(self) -> None:
        from xenha_sim import drbdsim
        from xenha_sim.world import add_node

        self.world.create()
        with self.world.transaction() as state:
            for node in NODES:
                add_node(state, node, address=self.address(node))
                state["nodes"][node]["proc_drbd"] = str(self.node_dir(node) / "proc_drbd")
            for _, res, _ in GROUPS.values():
                drbdsim.init_resource(state, res, list(NODES))
        (self.root / "drbd.conf").write_text(
            "global { usage-count no; }\ncommon { net { protocol C; allow-two-primaries; } }\n"
            + "".join(
                f"resource {res} {{\n  device /dev/drbd{minor};\n  disk /dev/vg/{res};\n  meta-disk internal;\n"
                + "".join(f"  on {n} {{ address {self.address(n)}:77{minor:02d}; }}\n" for n in NODES)
                + "}\n"
                for _, res, minor in GROUPS.values()
            )
        )
        for group, (guest, res, _) in GROUPS.items():
            auto = self.root / "auto" / f"HA{group}"
            auto.mkdir(parents=True)
            (auto / f"{guest}.cfg").write_text(f"name = '{guest}'\nmemory = 256\ndisk = ['drbd:{res},xvda,w']\n")
        for node in NODES:
            self._node_files(node)
        self._network()
        for node in NODES:
            self.drbd_up(node)

    def _node_files(self, node: str) -> None:
        nd = self.node_dir(node)
        shutil.copytree("/etc/ha.d", nd / "etc/ha.d", symlinks=True)
        (nd / "var/lib").mkdir(parents=True)
        if os.path.isdir("/var/lib/heartbeat"):  # cores/{root,hacluster,nobody} as the package made them
            shutil.copytree("/var/lib/heartbeat", nd / "var/lib/heartbeat", symlinks=True)
        else:
            (nd / "var/lib/heartbeat/cores").mkdir(parents=True)
        for stale in ("hb_uuid", "hostcache", "delhostcache", "hb_generation"):
            (nd / "var/lib/heartbeat" / stale).unlink(missing_ok=True)
        (nd / "default").mkdir()
        ha = nd / "etc/ha.d"
        peer = next(n for n in NODES if n != node)
        (ha / "ha.cf").write_text(
            f"logfile {nd}/ha-log\ndebugfile {nd}/ha-debug\nlogfacility none\n"
            "keepalive 500ms\nwarntime 2\ndeadtime 3\ninitdead 6\nudpport 694\n"
            f"ucast eth0 {self.address(peer)}\nauto_failback on\ncrm off\n" + "".join(f"node {n}\n" for n in NODES)
        )
        (ha / "authkeys").write_text("auth 1\n1 crc\n")
        (ha / "authkeys").chmod(0o600)
        (ha / "haresources").write_text("ha1 xendomainsHA1\nha2 xendomainsHA2\n")
        for group in GROUPS:
            script = ha / "resource.d" / f"xendomainsHA{group}"
            # a link keeps the group's name in argv[0]; the checkout launcher finds ../lib through it
            script.unlink(missing_ok=True)  # the copy of /etc/ha.d may hold an installed one
            script.symlink_to(REPO / "heartbeat-v1" / "xendomainsHA")
            (nd / "default" / f"xendomainsHA{group}").write_text(
                f"XENDOMAINS_AUTO={self.root}/auto/HA{group}\nXENDOMAINS_STOP_MAXWAIT=10\nXENHA_START_MAXWAIT=20\n"
            )

    def _network(self) -> None:
        a, b = (self.netns(n) for n in NODES)
        _sh("ip", "netns", "add", a)
        _sh("ip", "netns", "add", b)
        _sh("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
        for node in NODES:
            ns = self.netns(node)
            _sh("ip", "-n", ns, "addr", "add", f"{self.address(node)}/24", "dev", "eth0")
            _sh("ip", "-n", ns, "link", "set", "eth0", "up")
            _sh("ip", "-n", ns, "link", "set", "lo", "up")

    def env(self, node: str) -> dict[str, str]:
        return {
            "PATH": f"{SIM_TOOLS}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "XENHA_SIM_WORLD": self.world.path,
            "XENHA_SIM_NODE": node,
            "XENHA_SIM_DRBD_CONF": str(self.root / "drbd.conf"),
            "XENHA_PROC_DRBD": str(self.node_dir(node) / "proc_drbd"),
            "XENHA_HB1_DEFAULTS_DIR": str(self.node_dir(node) / "default"),
            "XENHA_LEDGER": str(self.node_dir(node) / "migrations.json"),
            "HA_LOGFACILITY": "none",
            "LC_ALL": "C",
            "HOME": "/root",
        }

    def drbd_up(self, node: str) -> None:
        done = subprocess.run([str(SIM_TOOLS / "drbdadm"), "up", *(r for _, r, _ in GROUPS.values())],
                              env=self.env(node), capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr

    # -- node life ---------------------------------------------------------------------------------------------
    def start(self, node: str) -> None:
        """heartbeat in the node's namespaces (it detaches; the namespaces live as long as it does)."""
        nd = self.node_dir(node)
        binds = "".join(
            f"[ -e /usr/sbin/{t} ] && mount --bind {SIM_TOOLS}/{t} /usr/sbin/{t}; " for t in ("drbdadm", "drbdsetup")
        )
        setup = (
            "set -e; mount -t tmpfs -o mode=755 tmpfs /run; "
            "mkdir -p /run/lock /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm /run/xenha; "
            "chown -R hacluster:haclient /run/heartbeat /run/crm; "
            f"mount --bind {nd}/etc/ha.d /etc/ha.d; mount --bind {nd}/var/lib/heartbeat /var/lib/heartbeat; "
            f"{binds}hostname {node}; exec {HEARTBEAT}"
        )
        argv = ["ip", "netns", "exec", self.netns(node), "unshare", "--mount", "--uts", "--propagation", "private",
                "sh", "-c", setup]  # fmt: skip
        with open(nd / "start.log", "ab") as log:
            done = subprocess.run(argv, env=self.env(node), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                  timeout=30, check=False)  # fmt: skip
        assert done.returncode == 0, (nd / "start.log").read_text()

    def pids(self, node: str) -> list[int]:
        done = subprocess.run(["ip", "netns", "pids", self.netns(node)], capture_output=True, text=True, check=False)
        return [int(p) for p in done.stdout.split()]

    def kill(self, node: str) -> None:
        """Crash the node: SIGKILL every process in its namespace (by pid), and its simulated guests vanish."""
        for pid in self.pids(node):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        from xenha_sim import faults

        with self.world.transaction() as state:
            faults.crash_node(state, node)

    def revive(self, node: str) -> None:
        from xenha_sim import faults

        with self.world.transaction() as state:
            faults.restart_node(state, node)
        self.drbd_up(node)

    def teardown(self) -> None:
        for node in NODES:
            for pid in self.pids(node):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        time.sleep(0.2)
        for node in NODES:
            subprocess.run(["ip", "netns", "del", self.netns(node)], capture_output=True, check=False)

    # -- observing ---------------------------------------------------------------------------------------------
    def guests(self, node: str) -> set[str]:
        from xenha_sim import xensim

        state = self.world.snapshot()
        if not state["nodes"][node]["alive"]:
            return set()
        return {v.name for v in xensim.list_domains(state, node, time.time()) if v.domid != 0}

    def wait_for(self, want: dict[str, set[str]], timeout: float) -> float:
        """Seconds until every node runs exactly the wanted guests; fails with both nodes' logs otherwise."""
        started = time.monotonic()
        while True:
            seen = {n: self.guests(n) for n in NODES}
            if all(seen[n] == want[n] for n in want):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                logs = "\n".join(f"--- {n} ha-log:\n{self._tail(n)}" for n in NODES)
                pytest.fail(f"wanted {want}, have {seen} after {timeout:.0f}s\n{logs}")
            time.sleep(0.2)

    def _tail(self, node: str) -> str:
        for name in ("ha-debug", "ha-log"):
            path = self.node_dir(node) / name
            if path.exists():
                return "\n".join(path.read_text(errors="replace").splitlines()[-60:])
        return "(no log)"


@pytest.fixture
def hblab(tmp_path: Path) -> Iterator[HbLab]:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    lab = HbLab(tmp_path, f"xhb{os.getpid() % 100000}")
    try:
        lab.build()
        yield lab
    finally:
        lab.teardown()
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
        assert lab.prefix not in left, f"namespaces left behind: {left}"


def test_groups_start_home_fail_over_and_fail_back(hblab, record_property):
    began = time.monotonic()
    for node in NODES:
        hblab.start(node)
    start_s = hblab.wait_for({"ha1": {"web1"}, "ha2": {"db2"}}, timeout=60)
    record_property("start_s", round(time.monotonic() - began, 1))

    killed = time.monotonic()
    hblab.kill("ha1")
    takeover_s = hblab.wait_for({"ha2": {"web1", "db2"}}, timeout=60)
    record_property("takeover_s", round(time.monotonic() - killed, 1))

    hblab.revive("ha1")
    back = time.monotonic()
    hblab.start("ha1")
    failback_s = hblab.wait_for({"ha1": {"web1"}, "ha2": {"db2"}}, timeout=90)
    record_property("failback_s", round(time.monotonic() - back, 1))
    print(f"\nheartbeat lab: start {start_s:.1f}s, takeover {takeover_s:.1f}s, failback {failback_s:.1f}s")
    log = (hblab.node_dir("ha2") / "ha-log").read_text(errors="replace")
    assert "mach_down(default)" in log and "info: Taking over resource group xendomainsHA1" in log
    assert "info: Releasing resource group: ha1 xendomainsHA1" in log  # auto_failback gave it back
    assert "Resource STOP failure" not in log and "is active, and should not be" not in log
