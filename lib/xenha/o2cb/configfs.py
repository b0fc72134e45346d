"""What the kernel holds of an O2CB cluster, read from configfs without forking (Linux fs/ocfs2/cluster/nodemanager.c
and heartbeat.c; §6.4). The O2cbCluster monitor's one source: imports os and xenha's errors, record and o2cb.model.
"""

from __future__ import annotations

import os

from xenha.errors import ParseError
from xenha.o2cb.model import ActiveRegion, HeartbeatMode, Timeouts, is_uint, parse_ipv4, timeouts_of
from xenha.record import record

__all__ = [
    "CLUSTER_ATTRS",
    "HEARTBEAT_ATTRS",
    "NODE_ATTRS",
    "REGION_ATTRS",
    "RegisteredCluster",
    "RegisteredNode",
    "list_configfs_clusters",
    "read_configfs_cluster",
]

# The attribute files the kernel creates in each directory of the layout.
CLUSTER_ATTRS = frozenset({"idle_timeout_ms", "keepalive_delay_ms", "reconnect_delay_ms", "fence_method"})
NODE_ATTRS = frozenset({"num", "ipv4_port", "ipv4_address", "local"})
HEARTBEAT_ATTRS = frozenset({"dead_threshold", "mode"})
REGION_ATTRS = frozenset({"block_bytes", "start_block", "blocks", "dev", "pid"})


@record
class RegisteredNode:
    """A node directory under `cluster/<name>/node/`: number, address, port, and whether it is this host."""

    name: str
    num: int | None
    ipv4_address: str | None
    ipv4_port: int | None
    local: bool


@record
class RegisteredCluster:
    """A cluster as the kernel holds it in configfs; values are None when a file was unreadable or empty."""

    name: str
    nodes: tuple[RegisteredNode, ...]
    regions: tuple[ActiveRegion, ...]
    heartbeat_mode: HeartbeatMode | None
    dead_threshold: int | None
    idle_timeout_ms: int | None
    keepalive_delay_ms: int | None
    reconnect_delay_ms: int | None
    fence_method: str | None = None

    @property
    def local_node(self) -> RegisteredNode | None:
        """The node whose `local` is 1 (only one can be: o2nm_node_local_store refuses a second)."""
        return next((n for n in self.nodes if n.local), None)

    @property
    def is_registered(self) -> bool:
        """o2cb's definition: "Only after the local node is added to the cluster is the cluster considered
        registered" (is_cluster_registered, ocfs2-tools:o2cb_ctl/o2cbutils.c)."""
        return self.local_node is not None

    @property
    def is_online(self) -> bool:
        """`o2cb cluster-status`'s definition: registered, and in global mode at least one region active."""
        if not self.is_registered:
            return False
        return self.heartbeat_mode != HeartbeatMode.GLOBAL or bool(self.regions)

    @property
    def timeouts(self) -> Timeouts | None:
        """The current timeouts, when all four files were readable."""
        return timeouts_of(self.dead_threshold, self.idle_timeout_ms, self.keepalive_delay_ms, self.reconnect_delay_ms)


def _read(path: str) -> str | None:
    """A configfs attribute's text, or None when the file (or its directory) vanished or cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("ascii", "replace")
    except OSError:
        return None


def _attr_text(path: str) -> str | None:
    """The attribute without its newline; None when absent or empty (e.g. `dev` of a region not yet started)."""
    text = _read(path)
    if text is None:
        return None
    if text.endswith("\n"):
        text = text[:-1]
    if "\n" in text:
        raise ParseError(path, 1, text, "configfs attribute has more than one line")
    return text or None


def _attr_uint(path: str) -> int | None:
    text = _attr_text(path)
    if text is None:
        return None
    if not is_uint(text):
        raise ParseError(path, 1, text, "expected an unsigned decimal number")
    return int(text)


def _listdir(path: str) -> list[str] | None:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None


def list_configfs_clusters(configfs: str) -> tuple[str, ...] | None:
    """Names under `<configfs>/cluster`, or None when that directory does not exist (o2cb modules not loaded)."""
    names = _listdir(os.path.join(configfs, "cluster"))
    if names is None:
        return None
    return tuple(n for n in names if os.path.isdir(os.path.join(configfs, "cluster", n)))


def read_configfs_cluster(configfs: str, name: str) -> RegisteredCluster | None:
    """Read `<configfs>/cluster/<name>` without forking; None when that cluster is not in configfs.

    File formats are the kernel's show functions: "%d\\n", "%u\\n", "%pI4\\n", "local|global\\n" (§6.4).
    """
    base = os.path.join(configfs, "cluster", name)
    if not os.path.isdir(base):
        return None
    nodes = []
    for node in _listdir(os.path.join(base, "node")) or []:
        nbase = os.path.join(base, "node", node)
        if not os.path.isdir(nbase):
            continue
        address = _attr_text(os.path.join(nbase, "ipv4_address"))
        if address is not None and parse_ipv4(address) is None:
            raise ParseError(os.path.join(nbase, "ipv4_address"), 1, address, "expected an IPv4 address")
        local = _attr_uint(os.path.join(nbase, "local"))
        nodes.append(
            RegisteredNode(
                name=node,
                num=_attr_uint(os.path.join(nbase, "num")),
                ipv4_address=address,
                ipv4_port=_attr_uint(os.path.join(nbase, "ipv4_port")),
                local=local == 1,
            )
        )
    regions = []
    hb = os.path.join(base, "heartbeat")
    for entry in _listdir(hb) or []:
        rbase = os.path.join(hb, entry)
        if entry in HEARTBEAT_ATTRS or not os.path.isdir(rbase):
            continue
        regions.append(
            ActiveRegion(entry, dev=_attr_text(os.path.join(rbase, "dev")), pid=_attr_uint(os.path.join(rbase, "pid")))
        )
    mode_text = _attr_text(os.path.join(hb, "mode"))
    if mode_text is not None and mode_text not in ("local", "global"):
        raise ParseError(os.path.join(hb, "mode"), 1, mode_text, "expected local or global")
    return RegisteredCluster(
        name=name,
        nodes=tuple(nodes),
        regions=tuple(regions),
        heartbeat_mode=HeartbeatMode(mode_text) if mode_text is not None else None,
        dead_threshold=_attr_uint(os.path.join(hb, "dead_threshold")),
        idle_timeout_ms=_attr_uint(os.path.join(base, "idle_timeout_ms")),
        keepalive_delay_ms=_attr_uint(os.path.join(base, "keepalive_delay_ms")),
        reconnect_delay_ms=_attr_uint(os.path.join(base, "reconnect_delay_ms")),
        fence_method=_attr_text(os.path.join(base, "fence_method")),
    )
