# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated O2CB kernel side: each node's o2nm/o2hb configfs tree in a directory, shared volumes, and mounts.

The configfs tree of a simulated node is a plain directory laid out as the kernel lays out
/sys/kernel/config/cluster (§6.4 of shared/fixtures/GRAMMAR.md): it is the truth about what is registered, because
the agent and the init script read and write those files directly. `SimConfigfs` enforces the kernel's rules on the
operations `o2cb` performs (one cluster only, write-once node attributes, unique numbers and addresses, one local
node, no rmdir of a non-empty group); it cannot stop a plain `echo > file` from skipping the checks a real configfs
attribute store makes (e.g. keepalive < idle timeout), so the agent checks those itself.

World state, under state["o2cb"] (plain JSON):

    {"nodes":   {"ha1": {"configfs": "/tmp/.../configfs", "boot": 1,
                         "mounts": [{"device": "/dev/etherd/e0.1", "uuid": "77D9...", "mountpoint": "/srv/web"}]}},
     "volumes": {"/dev/etherd/e0.1": {"uuid": "77D95EF51C0149D2823674FCC162CF8B", "label": "web"}}}

A mounted volume holds a heartbeat region: in local mode mount starts one for the volume (ocfs2_hb_ctl -S) and umount
stops it; in global mode a mount pins every region (o2hb_region_inc_user), so `o2cb stop-heartbeat` fails with
"Heartbeat region in use". A node whose world boot count changed has rebooted: its configfs tree and mounts are gone.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Mapping
from typing import Any

from xenha.o2cb.configfs import DEFAULT_CONFIGFS, DEFAULT_TIMEOUTS, HeartbeatMode, parse_ipv4
from xenha_sim.world import State, World, current_node, log_event, node_state

__all__ = [
    "SimConfigfs",
    "SimError",
    "add_volume",
    "advance",
    "attach_node",
    "bdevname",
    "configfs_root",
    "mount_volume",
    "mounts_of",
    "o2cb_state",
    "regions_pinned",
    "umount_volume",
    "volume",
    "volume_by_uuid",
]

# Kernel defaults of a new cluster (nodemanager.c o2nm_cluster_group_make_group, heartbeat.c): the init script's
# DEF_* values, fence_method "reset", heartbeat mode "local".
_CLUSTER_DEFAULTS = {
    "idle_timeout_ms": DEFAULT_TIMEOUTS.idle_timeout_ms,
    "keepalive_delay_ms": DEFAULT_TIMEOUTS.keepalive_delay_ms,
    "reconnect_delay_ms": DEFAULT_TIMEOUTS.reconnect_delay_ms,
}


class SimError(Exception):
    """A simulated failure that a tool reports as text (not an errno from the kernel)."""


def _oserror(code: int, path: str) -> OSError:
    return OSError(code, os.strerror(code), path)


def bdevname(device: str) -> str:
    """The kernel's name for a block device path, as configfs `dev` shows it: `/dev/etherd/e0.1` -> `etherd!e0.1`.

    disk_name() in block/genhd.c replaces '/' with '!'; the init script then prints "/dev/etherd!e0.1".
    """
    name = device.removeprefix("/dev/")
    return name.replace("/", "!")


class SimConfigfs:
    """One node's configfs tree in a directory; methods mirror the kernel operations o2cb performs."""

    def __init__(self, root: str) -> None:
        self.root = root

    @property
    def top(self) -> str:
        return os.path.join(self.root, "cluster")

    def cluster_dir(self, name: str) -> str:
        return os.path.join(self.top, name)

    @property
    def loaded(self) -> bool:
        """Whether `<root>/cluster` exists, i.e. configfs is mounted and ocfs2_nodemanager is loaded."""
        return os.path.isdir(self.top)

    def load(self) -> None:
        """Mount configfs and load the O2CB modules: create `<root>/cluster`."""
        os.makedirs(self.top, exist_ok=True)

    def unload(self) -> None:
        """Remove the whole tree (modules unloaded); refuses while a cluster is registered, as the init script does."""
        if self.clusters():
            raise _oserror(errno.EBUSY, self.top)
        shutil.rmtree(self.root, ignore_errors=True)

    def clusters(self) -> list[str]:
        """Registered cluster names (directories under `<root>/cluster`)."""
        if not self.loaded:
            return []
        return sorted(n for n in os.listdir(self.top) if os.path.isdir(os.path.join(self.top, n)))

    def _write(self, path: str, value: object) -> None:
        with open(path, "w", encoding="ascii") as handle:
            handle.write(f"{value}\n")

    def read(self, path: str) -> str:
        """An attribute's value without the newline, path relative to `<root>/cluster`."""
        with open(os.path.join(self.top, path), encoding="ascii") as handle:
            return handle.read().rstrip("\n")

    def create_cluster(self, name: str) -> None:
        """mkdir cluster/<name>: EEXIST if it exists, ENOSPC if another cluster does (only one may exist)."""
        if not self.loaded:
            raise _oserror(errno.ENOENT, self.top)
        base = self.cluster_dir(name)
        if os.path.isdir(base):
            raise _oserror(errno.EEXIST, base)
        if self.clusters():
            raise _oserror(errno.ENOSPC, base)
        os.makedirs(os.path.join(base, "node"))
        os.makedirs(os.path.join(base, "heartbeat"))
        for attr, value in _CLUSTER_DEFAULTS.items():
            self._write(os.path.join(base, attr), value)
        self._write(os.path.join(base, "fence_method"), "reset")
        self._write(os.path.join(base, "heartbeat", "dead_threshold"), DEFAULT_TIMEOUTS.dead_threshold)
        self._write(os.path.join(base, "heartbeat", "mode"), HeartbeatMode.LOCAL.value)

    def remove_cluster(self, name: str) -> None:
        """rmdir cluster/<name>: ENOTEMPTY while nodes or regions are in it, ENOENT if absent."""
        base = self.cluster_dir(name)
        if not os.path.isdir(base):
            raise _oserror(errno.ENOENT, base)
        if self.nodes(name) or self.regions(name):
            raise _oserror(errno.ENOTEMPTY, base)
        shutil.rmtree(base)

    def nodes(self, cluster: str) -> list[str]:
        path = os.path.join(self.cluster_dir(cluster), "node")
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def regions(self, cluster: str) -> list[str]:
        path = os.path.join(self.cluster_dir(cluster), "heartbeat")
        if not os.path.isdir(path):
            return []
        return sorted(e for e in os.listdir(path) if os.path.isdir(os.path.join(path, e)))

    def heartbeat_mode(self, cluster: str) -> HeartbeatMode:
        return HeartbeatMode(self.read(f"{cluster}/heartbeat/mode"))

    def set_heartbeat_mode(self, cluster: str, mode: HeartbeatMode) -> None:
        """Write heartbeat/mode; EBUSY while regions are active (the mode cannot change under a running heartbeat)."""
        if self.regions(cluster) and self.heartbeat_mode(cluster) is not mode:
            raise _oserror(errno.EBUSY, os.path.join(self.cluster_dir(cluster), "heartbeat", "mode"))
        self._write(os.path.join(self.cluster_dir(cluster), "heartbeat", "mode"), mode.value)

    def node_attrs(self, cluster: str, node: str) -> dict[str, str]:
        base = os.path.join(self.cluster_dir(cluster), "node", node)
        return {a: self.read(f"{cluster}/node/{node}/{a}") for a in ("num", "ipv4_address", "ipv4_port", "local")} | {
            "dir": base
        }

    def add_node(self, cluster: str, name: str, *, num: int, address: str, port: int, local: bool) -> None:
        """mkdir node/<name> and set num, address, port, local with the kernel's checks (nodemanager.c).

        EEXIST for an existing node, number or address; EINVAL for a bad value; EBUSY for a second local node.
        """
        base = os.path.join(self.cluster_dir(cluster), "node", name)
        if os.path.isdir(base):
            raise _oserror(errno.EEXIST, base)
        if parse_ipv4(address) is None or not 0 < port < 65535 or not 0 <= num < 255:
            raise _oserror(errno.EINVAL, base)
        for other in self.nodes(cluster):
            attrs = self.node_attrs(cluster, other)
            if attrs["num"] == str(num) or attrs["ipv4_address"] == address:
                raise _oserror(errno.EEXIST, base)
            if local and attrs["local"] == "1":
                raise _oserror(errno.EBUSY, base)
        os.makedirs(base)
        self._write(os.path.join(base, "ipv4_address"), address)
        self._write(os.path.join(base, "ipv4_port"), port)
        self._write(os.path.join(base, "num"), num)
        self._write(os.path.join(base, "local"), 1 if local else 0)

    def remove_node(self, cluster: str, name: str) -> None:
        base = os.path.join(self.cluster_dir(cluster), "node", name)
        if not os.path.isdir(base):
            raise _oserror(errno.ENOENT, base)
        shutil.rmtree(base)

    def start_region(self, cluster: str, uuid: str, device: str, *, blocks: int = 255) -> None:
        """mkdir heartbeat/<uuid> and configure it (what o2cb_start_heartbeat does); EEXIST if it runs already."""
        base = os.path.join(self.cluster_dir(cluster), "heartbeat", uuid)
        if os.path.isdir(base):
            raise _oserror(errno.EEXIST, base)
        os.makedirs(base)
        self._write(os.path.join(base, "block_bytes"), 512)
        self._write(os.path.join(base, "start_block"), 1024)
        self._write(os.path.join(base, "blocks"), blocks)
        self._write(os.path.join(base, "dev"), bdevname(device))
        # The heartbeat thread's pid: any stable number will do in a simulation.
        self._write(os.path.join(base, "pid"), 1000 + sum(uuid.encode()) % 30000)

    def stop_region(self, cluster: str, uuid: str) -> None:
        base = os.path.join(self.cluster_dir(cluster), "heartbeat", uuid)
        if not os.path.isdir(base):
            raise _oserror(errno.ENOENT, base)
        shutil.rmtree(base)

    def wipe(self) -> None:
        """What a reboot leaves: configfs mounted and modules loaded (the boot scripts), nothing registered."""
        for name in self.clusters():
            shutil.rmtree(self.cluster_dir(name))

    def listing(self) -> str:
        """`find <root>/cluster` of the tree (directories before their contents), for checks against the parser."""
        lines = []
        for directory, dirs, files in os.walk(self.top):
            dirs.sort()
            lines.append(directory)
            lines += [os.path.join(directory, f) for f in sorted(files)]
        return "".join(f"{line}\n" for line in lines)


# ---------------------------------------------------------------------------------------------------------------------
# World integration


def o2cb_state(state: State) -> dict[str, Any]:
    """state["o2cb"], created empty on first use."""
    section: dict[str, Any] = state.setdefault("o2cb", {})
    section.setdefault("nodes", {})
    section.setdefault("volumes", {})
    return section


def attach_node(state: State, node: str, configfs: str) -> None:
    """Record where `node`'s configfs tree lives (and its boot count, so a reboot can be noticed)."""
    record = node_state(state, node) or {}
    o2cb_state(state)["nodes"][node] = {"configfs": configfs, "boot": record.get("boot", 1), "mounts": []}


def configfs_root(environ: Mapping[str, str], world: World | None = None) -> str:
    """The simulated node's configfs: $XENHA_CONFIGFS, else the world's record for the node, else the real one."""
    if environ.get("XENHA_CONFIGFS"):
        return environ["XENHA_CONFIGFS"]
    if world is not None and world.exists:
        record = o2cb_state(world.snapshot()).get("nodes", {}).get(current_node(dict(environ)))
        if record and record.get("configfs"):
            return str(record["configfs"])
    return DEFAULT_CONFIGFS


def add_volume(state: State, device: str, uuid: str, label: str = "") -> None:
    """Declare a shared OCFS2 volume every node can see (what `mounted.ocfs2 -d` would list)."""
    o2cb_state(state)["volumes"][device] = {"uuid": uuid, "label": label}


def volume(state: State, device: str) -> dict[str, str] | None:
    found: dict[str, str] | None = o2cb_state(state)["volumes"].get(device)
    return found


def volume_by_uuid(state: State, uuid: str) -> str | None:
    """The device holding the volume with this UUID (o2cb_scandisk's job), or None."""
    return next((dev for dev, v in o2cb_state(state)["volumes"].items() if v["uuid"] == uuid), None)


def mounts_of(state: State, node: str) -> list[dict[str, str]]:
    record = o2cb_state(state)["nodes"].get(node)
    return [] if record is None else list(record.get("mounts", []))


def _online_cluster(fs: SimConfigfs) -> str:
    """The registered cluster with a local node, which a mount needs; SimError otherwise."""
    for name in fs.clusters():
        if any(fs.node_attrs(name, n)["local"] == "1" for n in fs.nodes(name)):
            return name
    raise SimError("Cluster stack is not online (no O2CB cluster registered with a local node)")


def mount_volume(state: State, node: str, fs: SimConfigfs, device: str, mountpoint: str) -> None:
    """Mount an OCFS2 volume on `node`: start its heartbeat region (local mode) or pin the regions (global)."""
    vol = volume(state, device)
    if vol is None:
        raise SimError(f"{device}: not an OCFS2 volume of the simulated world")
    record = o2cb_state(state)["nodes"].setdefault(node, {"configfs": fs.root, "boot": 1, "mounts": []})
    if any(m["mountpoint"] == mountpoint for m in record["mounts"]):
        raise SimError(f"{mountpoint}: already mounted")
    cluster = _online_cluster(fs)
    if fs.heartbeat_mode(cluster) is HeartbeatMode.LOCAL:
        fs.start_region(cluster, vol["uuid"], device)
    elif not fs.regions(cluster):
        raise SimError("global heartbeat is not running")
    record["mounts"].append({"device": device, "uuid": vol["uuid"], "mountpoint": mountpoint})
    log_event(state, node, f"o2cb: mounted {device} on {mountpoint}")


def umount_volume(state: State, node: str, fs: SimConfigfs, mountpoint: str) -> None:
    """Unmount: stop the volume's heartbeat region in local mode."""
    record = o2cb_state(state)["nodes"].get(node)
    mount = next((m for m in (record or {}).get("mounts", []) if m["mountpoint"] == mountpoint), None)
    if record is None or mount is None:
        raise SimError(f"{mountpoint}: not mounted")
    for cluster in fs.clusters():
        if fs.heartbeat_mode(cluster) is HeartbeatMode.LOCAL and mount["uuid"] in fs.regions(cluster):
            fs.stop_region(cluster, mount["uuid"])
    record["mounts"].remove(mount)
    log_event(state, node, f"o2cb: unmounted {mountpoint}")


def regions_pinned(state: State, node: str, fs: SimConfigfs, cluster: str) -> bool:
    """Whether a mount pins the regions of `cluster` (global mode: any mount on the node pins them all)."""
    return fs.heartbeat_mode(cluster) is HeartbeatMode.GLOBAL and bool(mounts_of(state, node))


def advance(state: State, now: float) -> None:
    """World hook: a node whose boot count changed rebooted, so its registration and mounts are gone."""
    section = state.get("o2cb")
    if not section:
        return
    for node, record in section.get("nodes", {}).items():
        world_node = node_state(state, node)
        if world_node is None or world_node.get("boot", 1) == record.get("boot", 1):
            continue
        SimConfigfs(record["configfs"]).wipe()
        record["mounts"] = []
        record["boot"] = world_node.get("boot", 1)
        log_event(state, node, "o2cb: rebooted; configfs cleared", now=now)
