# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab: real Corosync + Pacemaker nodes in network namespaces, driving xenha on the simulated world.

Each node is a supervisor process (xenha_sim.labnode run by `python3 -I`) started as
`ip netns exec <prefix>-<node> unshare --mount --uts --ipc --propagation private`, which gives it a private /run,
/dev/shm, /etc/corosync, /etc/hosts, /var/lib/pacemaker, /var/lib/corosync and /var/log, then runs
`corosync -f` and `pacemakerd` with the simulated tools first on PATH. Nodes talk over veth pairs joined by a
bridge that lives in a namespace of its own, on a private /24 that exists only inside those namespaces.
Everything the lab knows is in its directory (default /var/lib/xenha-lab): `lab.json`, the world, per-node trees.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from xenha_sim import xensim
from xenha_sim.world import World, add_node, log_event

__all__ = ["FENCE_LOG", "Lab", "LabConfig", "LabError"]

DEFAULT_DIR = "/var/lib/xenha-lab"
SIM_BIN = "/usr/lib/xenha-sim/bin"
# Tools the simulator replaces; inside a node they are also bind-mounted over the host's real binaries.
SIM_TOOLS = ("xl", "xm", "drbdadm", "drbdsetup", "o2cb")
# fence_noop's log_file in a lab configuration (the demo's): one per lab, rotated by `up` so that a fence recorded by
# an earlier lab is never read as this one's.
FENCE_LOG = "fence_noop.log"
# Seconds the processes of a node may take to die after SIGKILL.
KILL_TIMEOUT = 10.0


class LabError(Exception):
    """Raised when a lab operation cannot be done; the message is one line for the admin."""


@dataclass
class LabConfig:
    """What `up` built; saved as lab.json so later commands know the nodes."""

    nodes: list[str]
    prefix: str = "xlab"
    subnet: str = "10.99.0"
    token_ms: int = 3000
    cluster_name: str = "xenha-lab"
    sim_bin: str = SIM_BIN
    drbd_version: str = "8.4"
    toolstack: str = "xl"
    extra_env: dict[str, str] = field(default_factory=dict)

    def address(self, node: str) -> str:
        return f"{self.subnet}.{self.nodes.index(node) + 1}"

    def netns(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    @property
    def bridge_ns(self) -> str:
        return f"{self.prefix}-br"


def _alive(pid: int) -> bool:
    """True unless `pid` is gone or a zombie (PID 1 here may not reap the orphans of a killed node)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _sh(argv: Sequence[str], *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc


class Lab:
    """A handle on the lab directory."""

    def __init__(self, path: str | None = None) -> None:
        self.dir = Path(path or os.environ.get("XENHA_LAB_DIR") or DEFAULT_DIR)
        self.world = World(str(self.dir / "world"))

    # -- configuration -------------------------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.dir / "lab.json"

    def config(self) -> LabConfig:
        try:
            saved = json.loads(self.config_file.read_text())
            saved.pop("pythonpath", None)  # written by labs before the launchers ran -IS; nothing reads it now
            return LabConfig(**saved)
        except FileNotFoundError:
            raise LabError(f"no lab at {self.dir} (run: xenha-lab up 2)") from None

    def node_dir(self, node: str) -> Path:
        return self.dir / "nodes" / node

    @property
    def fence_log(self) -> Path:
        return self.dir / FENCE_LOG

    def node_env(self, cfg: LabConfig, node: str) -> dict[str, str]:
        """The environment of corosync/pacemakerd on `node`, which pacemaker's executor passes to agents."""
        env = {
            "PATH": f"{cfg.sim_bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "XENHA_SIM_NODE": node,
            "XENHA_SIM_WORLD": self.world.path,
            "XENHA_PROC_DRBD": str(self.node_dir(node) / "proc_drbd"),
            # the node's /proc/xen/capabilities: `control_d` while it is up, gone with /proc/xen while it is down
            "XENHA_PROC_XEN_CAPABILITIES": str(self.node_dir(node) / "proc_xen" / "capabilities"),
            "XENHA_CONFIGFS": str(self.node_dir(node) / "configfs"),
            # The simulated drbdadm's /etc/drbd.conf: the lab's, shared by every node as admins keep it in sync.
            "XENHA_SIM_DRBD_CONF": str(self.dir / "drbd.conf"),
            "LC_ALL": "C",
            "HOME": "/root",
        }
        env.update(cfg.extra_env)
        return env

    # -- building ------------------------------------------------------------------------------------------
    def up(self, count: int, *, config: LabConfig | None = None, timeout: float = 90) -> LabConfig:
        """Create the world, the network and `count` nodes, start them, and wait until all are online."""
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, mounts)")
        if not 2 <= count <= 5:
            raise LabError("a lab has 2 to 5 nodes")
        if self.config_file.exists():
            self.down()
        cfg = config or LabConfig(nodes=[f"ha{i}" for i in range(1, count + 1)])
        if not shutil.which("corosync") or not shutil.which("pacemakerd"):
            raise LabError("corosync and pacemaker are not installed (make deps)")
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.fence_log.exists():  # the last lab's fences, kept for post-mortems only
            self.fence_log.replace(self.fence_log.with_name(f"{FENCE_LOG}.1"))
        self.config_file.write_text(json.dumps(asdict(cfg), indent=1))
        self.world.create(force=True)
        self._network(cfg)
        with self.world.transaction() as state:
            state.setdefault("drbd", {})["version"] = cfg.drbd_version
            for node in cfg.nodes:
                add_node(state, node, toolstack=cfg.toolstack, address=cfg.address(node))
                state["nodes"][node]["proc_drbd"] = str(self.node_dir(node) / "proc_drbd")
                state["nodes"][node]["aliases"] = [f"{node}X", cfg.address(node)]
                # Fencing through the world (fence_noop's sim_world) powers the lab node off for real; the
                # namespace is named by inode because /run/netns is not visible inside the nodes' private /run.
                state["nodes"][node]["lab_netns"] = f"net:[{os.stat(f'/run/netns/{cfg.netns(node)}').st_ino}]"
        for node in cfg.nodes:
            self._prepare_node(cfg, node)
        with self.world.transaction() as state:  # after _prepare_node, which empties the node trees
            for node in cfg.nodes:
                xensim.set_capabilities_file(state, node, str(self.node_dir(node) / "proc_xen" / "capabilities"))
        for node in cfg.nodes:
            self.start(node)
        self.wait_online(cfg.nodes, timeout=timeout)
        return cfg

    def _network(self, cfg: LabConfig) -> None:
        br = cfg.bridge_ns
        _sh(["ip", "netns", "add", br])
        _sh(["ip", "-n", br, "link", "add", "br0", "type", "bridge"])
        _sh(["ip", "-n", br, "link", "set", "br0", "up"])
        _sh(["ip", "-n", br, "link", "set", "lo", "up"])
        for node in cfg.nodes:
            ns = cfg.netns(node)
            _sh(["ip", "netns", "add", ns])
            _sh(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", node, "netns", br])
            _sh(["ip", "-n", br, "link", "set", node, "master", "br0", "up"])
            _sh(["ip", "-n", ns, "addr", "add", f"{cfg.address(node)}/24", "dev", "eth0"])
            _sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
            _sh(["ip", "-n", ns, "link", "set", "lo", "up"])

    def _prepare_node(self, cfg: LabConfig, node: str) -> None:
        root = self.node_dir(node)
        if root.exists():
            shutil.rmtree(root)
        for sub in (
            "etc/corosync",
            "var/lib/pacemaker/cib",
            "var/lib/pacemaker/pengine",
            "var/lib/pacemaker/blackbox",
            "var/lib/pacemaker/cores",
            "var/lib/corosync",
            "var/log/pacemaker",
            "var/log/corosync",
            "var/log/xenha",
            "var/log/crmsh",
            "configfs",
        ):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("var/lib/pacemaker", "var/log/pacemaker"):
            subprocess.run(["chown", "-R", "hacluster:haclient", str(root / sub)], check=True)
        hosts = "127.0.0.1 localhost\n" + "".join(f"{cfg.address(n)} {n}\n" for n in cfg.nodes)
        (root / "etc/hosts").write_text(hosts)
        (root / "etc/corosync/corosync.conf").write_text(corosync_conf(cfg))
        cib = root / "var/lib/pacemaker/cib/cib.xml"
        cib.write_text(initial_cib(cfg))
        subprocess.run(["chown", "hacluster:haclient", str(cib)], check=True)
        os.chmod(cib, 0o600)

    # -- node life -----------------------------------------------------------------------------------------
    def supervisor_pid(self, node: str) -> int | None:
        """The pid of `node`'s supervisor, or None when the node is down (killed, fenced, never started).

        A fence kills the supervisor but leaves its pid file, so the pid must be alive and still in the node's
        network namespace: a reused pid is not the node.
        """
        try:
            pid = int((self.node_dir(node) / "supervisor.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid):
            return None
        try:
            same = os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(self._netns_path(node)).st_ino
        except (OSError, LabError):
            return None
        return pid if same else None

    def _netns_path(self, node: str) -> str:
        return f"/run/netns/{self.config().netns(node)}"

    def start(self, node: str) -> None:
        """Boot `node`: a fresh supervisor in the node's namespaces starts corosync and pacemakerd."""
        cfg = self.config()
        if self.supervisor_pid(node) is not None:
            raise LabError(f"{node} is already running")
        self._power_off(cfg, node)  # a booting node runs nothing from before (a half-done kill, a stray exec)
        with self.world.transaction() as state:
            if not state["nodes"][node]["alive"]:
                from xenha_sim import faults

                faults.restart_node(state, node)
        env = self.node_env(cfg, node)
        # No PYTHONPATH: the node's environment reaches every agent pacemaker runs there. The supervisor finds the
        # simulator where this module is; the agents and simulated tools are installed launchers (python3 -IS).
        lib = str(Path(__file__).resolve().parents[1])
        supervisor = (
            f"import sys; sys.path.insert(0, {lib!r}); from xenha_sim.labnode import main; sys.exit(main(sys.argv))"
        )
        log = open(self.node_dir(node) / "supervisor.log", "ab")  # noqa: SIM115 -- handed to the child
        argv = [
            "ip",
            "netns",
            "exec",
            cfg.netns(node),
            "unshare",
            "--mount",
            "--uts",
            "--ipc",
            "--propagation",
            "private",
            sys.executable,
            "-I",
            "-c",
            supervisor,
            node,
            str(self.node_dir(node)),
            cfg.sim_bin,
            ",".join(SIM_TOOLS),
        ]
        subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
        log.close()
        deadline = time.monotonic() + 10
        while self.supervisor_pid(node) is None:
            if time.monotonic() > deadline:
                raise LabError(f"{node}: supervisor did not start (see {self.node_dir(node)}/supervisor.log)")
            time.sleep(0.05)

    def kill(self, node: str) -> None:
        """Crash `node` abruptly: SIGKILL every process in its namespaces, by pid; its guests vanish."""
        cfg = self.config()
        self._power_off(cfg, node)
        (self.node_dir(node) / "supervisor.pid").unlink(missing_ok=True)
        with self.world.transaction() as state:
            from xenha_sim import faults

            faults.crash_node(state, node)

    def node_pids(self, cfg: LabConfig, node: str) -> list[int]:
        """The live processes in `node`'s network namespace (a zombie is in none, so it is not listed)."""
        proc = _sh(["ip", "netns", "pids", cfg.netns(node)], check=False)
        return [int(p) for p in proc.stdout.split()]

    def _power_off(self, cfg: LabConfig, node: str) -> None:
        """SIGKILL every process of `node`, listing them again until none is left (a fork races one listing)."""
        deadline = time.monotonic() + KILL_TIMEOUT
        while pids := self.node_pids(cfg, node):
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise LabError(f"{node}: processes {pids[:8]} still alive {KILL_TIMEOUT:.0f}s after SIGKILL")
            time.sleep(0.02)

    def exec(
        self, node: str, argv: Sequence[str], *, timeout: float | None = None, capture: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run argv inside `node`'s namespaces with the node's environment."""
        cfg = self.config()
        pid = self.supervisor_pid(node)
        if pid is None:
            raise LabError(f"{node} is not running")
        env = self.node_env(cfg, node)
        full = ["nsenter", "-t", str(pid), "-n", "-m", "-u", "-i", "--", *argv]
        return subprocess.run(
            full, env=env, timeout=timeout, check=False, text=True, capture_output=capture, stdin=subprocess.DEVNULL
        )

    def cut_link(self, a: str, b: str) -> None:
        """Cut the network between two nodes (both directions) and the simulated replication link."""
        cfg = self.config()
        for src, dst in ((a, b), (b, a)):
            _sh(["ip", "-n", cfg.netns(src), "route", "replace", "blackhole", f"{cfg.address(dst)}/32"])
        from xenha_sim import drbdsim

        with self.world.transaction() as state:
            drbdsim.cut_link(state, a, b)
            log_event(state, a, f"link {a}-{b} cut")

    def heal(self) -> None:
        """Restore every cut link."""
        cfg = self.config()
        for node in cfg.nodes:
            for other in cfg.nodes:
                if other != node:
                    _sh(
                        ["ip", "-n", cfg.netns(node), "route", "del", "blackhole", f"{cfg.address(other)}/32"],
                        check=False,
                    )
        from xenha_sim import drbdsim

        with self.world.transaction() as state:
            for key in list(state["links"]):
                a, b = key.split("|")
                drbdsim.heal_link(state, a, b)
            log_event(state, "lab", "all links healed")

    # -- observing -----------------------------------------------------------------------------------------
    def crm_mon_xml(self, node: str | None = None) -> str:
        cfg = self.config()
        for candidate in [node] if node else cfg.nodes:
            if candidate and self.supervisor_pid(candidate) is not None:
                proc = self.exec(candidate, ["crm_mon", "-1", "--output-as=xml"], timeout=20, capture=True)
                if proc.returncode == 0:
                    return proc.stdout
        raise LabError("no node answers crm_mon")

    def online_nodes(self, node: str | None = None) -> set[str]:
        from xml.etree import ElementTree

        doc = ElementTree.fromstring(self.crm_mon_xml(node))
        return {n.get("name", "") for n in doc.iter("node") if n.get("online") == "true"}

    def wait_online(self, nodes: Sequence[str], *, timeout: float = 90) -> float:
        """Wait until every node in `nodes` is online in pacemaker's view; return the seconds it took."""
        start = time.monotonic()
        while True:
            try:
                if set(nodes) <= self.online_nodes():
                    return time.monotonic() - start
            except LabError:
                pass
            if time.monotonic() - start > timeout:
                raise LabError(f"nodes {sorted(nodes)} not online after {timeout:.0f}s")
            time.sleep(0.5)

    # -- teardown ------------------------------------------------------------------------------------------
    def down(self) -> None:
        """Kill every node, delete every namespace; the lab directory is kept for post-mortems."""
        try:
            cfg = self.config()
        except LabError:
            return
        stuck = []
        for node in cfg.nodes:
            try:
                self._power_off(cfg, node)
            except LabError as exc:  # tear down the rest anyway; say so at the end
                stuck.append(str(exc))
            (self.node_dir(node) / "supervisor.pid").unlink(missing_ok=True)
        time.sleep(0.2)
        for ns in [*(cfg.netns(n) for n in cfg.nodes), cfg.bridge_ns]:
            _sh(["ip", "netns", "del", ns], check=False)
        self.config_file.unlink(missing_ok=True)
        if stuck:
            raise LabError("; ".join(stuck))


def corosync_conf(cfg: LabConfig) -> str:
    """corosync.conf for the lab: knet, no crypto (private namespaces), two_node for N=2, token from the config."""
    nodes = "".join(
        f"    node {{\n        ring0_addr: {cfg.address(n)}\n        name: {n}\n        nodeid: {i}\n    }}\n"
        for i, n in enumerate(cfg.nodes, start=1)
    )
    two_node = "    two_node: 1\n" if len(cfg.nodes) == 2 else ""
    return (
        "totem {\n    version: 2\n"
        f"    cluster_name: {cfg.cluster_name}\n"
        "    transport: knet\n    crypto_cipher: none\n    crypto_hash: none\n"
        f"    token: {cfg.token_ms}\n}}\n\n"
        f"nodelist {{\n{nodes}}}\n\n"
        f"quorum {{\n    provider: corosync_votequorum\n{two_node}}}\n\n"
        "logging {\n    to_logfile: yes\n    logfile: /var/log/corosync/corosync.log\n"
        "    to_syslog: no\n    to_stderr: no\n    timestamp: on\n}\n"
    )


def initial_cib(cfg: LabConfig) -> str:
    """An identical starting CIB on every node, with dc-deadtime=2s so the cluster forms in seconds."""
    nodes = "".join(f'      <node id="{i}" uname="{n}"/>\n' for i, n in enumerate(cfg.nodes, start=1))
    return (
        '<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">\n'
        "  <configuration>\n"
        "    <crm_config>\n"
        '      <cluster_property_set id="cib-bootstrap-options">\n'
        '        <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>\n'
        '        <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>\n'
        '        <nvpair id="opt-cluster-recheck" name="cluster-recheck-interval" value="1min"/>\n'
        "      </cluster_property_set>\n"
        "    </crm_config>\n"
        f"    <nodes>\n{nodes}    </nodes>\n"
        "    <resources/>\n"
        "    <constraints/>\n"
        "  </configuration>\n"
        "  <status/>\n"
        "</cib>\n"
    )
