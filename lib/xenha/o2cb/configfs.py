# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""O2CB as the kernel holds it in configfs, read without forking (Linux fs/ocfs2/cluster/nodemanager.c and
heartbeat.c; §6.4), and the vocabulary every O2CB module shares: paths and limits, the heartbeat mode, the four
timeouts, active regions, name checks.

O2CB is OCFS2's classic in-kernel cluster stack. Section numbers (§) refer to shared/fixtures/GRAMMAR.md, and
`ocfs2-tools:<path>` to markfasheh/ocfs2-tools (the 1.8 series, as in Debian 12). The O2cbCluster monitor's one
module: imports os and xenha's errors, files and record at run time; names and numbers are checked without regular
expressions, and attribute files are read with xenha.files (bounded, never waiting on a FIFO).
"""

from __future__ import annotations

import os

from xenha.errors import ParseError
from xenha.files import read_bytes
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import ClassVar

__all__ = [
    "CLUSTER_ATTRS",
    "DEFAULT_CONF",
    "DEFAULT_CONFIGFS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUTS",
    "HEARTBEAT_ATTRS",
    "MAX_NODE_NUMBER",
    "MAX_REGIONS",
    "MAXIMUM_TIMEOUTS",
    "MINIMUM_TIMEOUTS",
    "NODE_ATTRS",
    "REGION_ATTRS",
    "TIMEOUT_FILES",
    "ActiveRegion",
    "HeartbeatMode",
    "RegisteredCluster",
    "RegisteredNode",
    "Timeouts",
    "is_cluster_name",
    "is_node_name",
    "is_region",
    "is_uint",
    "list_configfs_clusters",
    "numbered_lines",
    "parse_ipv4",
    "read_configfs_cluster",
    "timeouts_of",
]

DEFAULT_CONF = "/etc/ocfs2/cluster.conf"
DEFAULT_CONFIGFS = "/sys/kernel/config"
# O2CB_DEFAULT_IP_PORT (ocfs2-tools:o2cb_ctl/o2cbtool.h), used by `o2cb add-node` without --port.
DEFAULT_PORT = 7777
# O2NM_MAX_NODES is 255: node numbers run 0..254 (ocfs2-tools:o2cb_ctl/op_node.c validate_nodenum;
# ocfs2.cluster.conf(5) "Node number (0 - 254)").
MAX_NODE_NUMBER = 254
# "O2CB allows up to 32 heartbeat regions to be configured in the global heartbeat mode" (o2cb(7)).
MAX_REGIONS = 32

_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NODE_CHARS = _ALNUM | frozenset("_.-")
_UPPER_HEX = frozenset("0123456789ABCDEF")


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line) for each line split at "\\n"; a final newline does not make an extra empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return enumerate(lines, start=1)


def is_uint(text: str) -> bool:
    """A decimal number as the kernel prints one: ASCII digits, no sign, no leading zero (`0` itself excepted)."""
    return bool(text) and all(c in _DIGITS for c in text) and (text == "0" or text[0] != "0")


def is_cluster_name(text: str) -> bool:
    """Up to 16 characters [0-9A-Za-z], as `o2cbtool_validate_clustername` (ocfs2-tools:o2cb_ctl/op_cluster.c)."""
    return 1 <= len(text) <= 16 and all(c in _ALNUM for c in text)


def is_node_name(text: str) -> bool:
    """A host name usable as an O2CB node name (a configfs directory name of at most 64 characters).

    O2NM_MAX_NAME_LEN is 64; node names are host names without the domain (ocfs2.cluster.conf(5)) and become
    configfs directory names, so '/' and white space can never occur: `[0-9A-Za-z][0-9A-Za-z_.-]{0,63}`.
    """
    return 1 <= len(text) <= 64 and text[0] in _ALNUM and all(c in _NODE_CHARS for c in text)


def is_region(text: str) -> bool:
    """A heartbeat region name: the OCFS2 volume UUID as ocfs2 prints it, 32 upper-case hex digits."""
    return len(text) == 32 and all(c in _UPPER_HEX for c in text)


def parse_ipv4(text: str) -> str | None:
    """`text` if it is a dotted-quad IPv4 address as glibc's inet_pton accepts it (no leading zeros), else None."""
    parts = text.split(".")
    if len(parts) != 4 or not all(is_uint(p) and len(p) <= 3 and int(p) <= 255 for p in parts):
        return None
    return text


class HeartbeatMode(str):
    """Where O2CB heartbeats: on every mounted volume (local) or on configured regions only (global); o2cb(7).

    A str whose only instances are LOCAL and GLOBAL, as ExitCode is an int with named values: `HeartbeatMode(text)`
    returns the constant (ValueError for any other text), `is` compares, and mypy checks every field typed with it;
    it costs a class definition where Enum costs the `enum` module.
    """

    __slots__ = ()
    LOCAL: ClassVar[HeartbeatMode]
    GLOBAL: ClassVar[HeartbeatMode]
    ALL: ClassVar[tuple[HeartbeatMode, ...]]
    _BY_TEXT: ClassVar[dict[str, HeartbeatMode]]

    def __new__(cls, text: str) -> HeartbeatMode:
        try:
            return cls._BY_TEXT[text]
        except KeyError:
            raise ValueError(f"{text!r} is not a valid HeartbeatMode") from None

    @property
    def value(self) -> str:
        """The word cluster.conf and configfs use (Enum's spelling, kept for callers that read it)."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"HeartbeatMode.{self.upper()}"


HeartbeatMode.LOCAL = str.__new__(HeartbeatMode, "local")
HeartbeatMode.GLOBAL = str.__new__(HeartbeatMode, "global")
HeartbeatMode.ALL = (HeartbeatMode.LOCAL, HeartbeatMode.GLOBAL)
HeartbeatMode._BY_TEXT = {str(mode): mode for mode in HeartbeatMode.ALL}


@record
class Timeouts:
    """The four O2CB timeouts, in the units configfs uses (iterations of 2 s for the dead threshold, else ms)."""

    dead_threshold: int
    idle_timeout_ms: int
    keepalive_delay_ms: int
    reconnect_delay_ms: int

    def problems(self) -> tuple[str, ...]:
        """Why these values would be refused: the init script's minimums and the kernel's keepalive < idle rule."""
        found = [
            f"{name} {value} is below the minimum {minimum}"
            for name, value, minimum in (
                ("dead_threshold", self.dead_threshold, MINIMUM_TIMEOUTS.dead_threshold),
                ("idle_timeout_ms", self.idle_timeout_ms, MINIMUM_TIMEOUTS.idle_timeout_ms),
                ("keepalive_delay_ms", self.keepalive_delay_ms, MINIMUM_TIMEOUTS.keepalive_delay_ms),
                ("reconnect_delay_ms", self.reconnect_delay_ms, MINIMUM_TIMEOUTS.reconnect_delay_ms),
            )
            if value < minimum
        ]
        # Linux fs/ocfs2/cluster/nodemanager.c: "o2net: keepalive delay must be smaller than idle timeout".
        if self.keepalive_delay_ms >= self.idle_timeout_ms:
            found.append(
                f"keepalive_delay_ms {self.keepalive_delay_ms} must be smaller than idle_timeout_ms "
                f"{self.idle_timeout_ms}"
            )
        return tuple(found)


def timeouts_of(dead: int | None, idle: int | None, keepalive: int | None, reconnect: int | None) -> Timeouts | None:
    """Timeouts when all four values are known, else None."""
    if dead is None or idle is None or keepalive is None or reconnect is None:
        return None
    return Timeouts(dead, idle, keepalive, reconnect)


# DEF_* and MIN_* of ocfs2-tools:vendor/common/o2cb.init.sh ("The default values should always be in sync with the
# kernel"). The OCFS2 1.2 era defaults were 7/10000/5000/2000 (ocfs2/docs_o2cb_init_configure_ocfs2_1.2.txt).
DEFAULT_TIMEOUTS = Timeouts(dead_threshold=31, idle_timeout_ms=30000, keepalive_delay_ms=2000, reconnect_delay_ms=2000)
MINIMUM_TIMEOUTS = Timeouts(dead_threshold=7, idle_timeout_ms=5000, keepalive_delay_ms=1000, reconnect_delay_ms=2000)
# Ours, not the kernel's (configfs takes any unsigned 32-bit value): a node declared dead after more than half an hour
# of silence, or an o2net timeout above an hour, is a typo that would stall every OCFS2 volume for that long.
MAXIMUM_TIMEOUTS = Timeouts(
    dead_threshold=1000, idle_timeout_ms=3_600_000, keepalive_delay_ms=3_600_000, reconnect_delay_ms=3_600_000
)

# Each timeout's file under configfs `cluster/<name>/` (set_timeouts_o2cb in o2cb.init.sh; §6.4).
TIMEOUT_FILES = {
    "dead_threshold": "heartbeat/dead_threshold",
    "idle_timeout_ms": "idle_timeout_ms",
    "keepalive_delay_ms": "keepalive_delay_ms",
    "reconnect_delay_ms": "reconnect_delay_ms",
}


@record
class ActiveRegion:
    """A heartbeat region running in the kernel: its UUID and block device name (`sdg1`), if known."""

    uuid: str
    dev: str | None = None
    pid: int | None = None

    @property
    def device(self) -> str | None:
        """The device path: `sdg1` -> `/dev/sdg1`, `etherd!e0.1` -> `/dev/etherd/e0.1`.

        The kernel names block devices with '/' replaced by '!' (disk_name, block/genhd.c); the init script prints
        that name after "/dev/" unchanged, so its region lines show `/dev/etherd!e0.1` for an AoE disk.
        """
        return None if self.dev is None else "/dev/" + self.dev.replace("!", "/")


# ---------------------------------------------------------------------------------------------------------------------
# configfs

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


# configfs attributes are at most a page (the kernel's show functions write into one).
_PAGE = 4096


def _read(path: str) -> str | None:
    """A configfs attribute's text, or None when the file (or its directory) vanished or cannot be read.

    Read with xenha.files (no file object for a few bytes, a dozen times per monitor): the configfs root is a
    parameter, so a FIFO or a device where an attribute should be is refused at once, never waited on. procfs-like:
    no deadline, no thread.
    """
    try:
        data = read_bytes(path, limit=_PAGE)
    except OSError:
        return None
    return data.decode("ascii", "replace")


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
    names = _listdir(f"{configfs}/cluster")
    if names is None:
        return None
    return tuple(n for n in names if os.path.isdir(f"{configfs}/cluster/{n}"))


def read_configfs_cluster(configfs: str, name: str, *, local_only: bool = False) -> RegisteredCluster | None:
    """Read `<configfs>/cluster/<name>` without forking; None when that cluster is not in configfs.

    File formats are the kernel's show functions: "%d\\n", "%u\\n", "%pI4\\n", "local|global\\n" (§6.4). With
    `local_only`, only what the monitor decides on is read: the local node (name and number), the heartbeat mode and
    the names of the active regions; other nodes, the local node's address, region devices and the timeouts are
    left out (empty or None), which saves a dozen file reads per monitor.
    """
    base = f"{configfs}/cluster/{name}"
    if not os.path.isdir(base):
        return None
    nodes = []
    for node in _listdir(f"{base}/node") or []:
        nbase = f"{base}/node/{node}"
        if local_only:
            # Only node directories hold a `local` file (configfs has no other entries here): no isdir needed.
            if _attr_uint(f"{nbase}/local") == 1:
                nodes.append(RegisteredNode(node, _attr_uint(f"{nbase}/num"), None, None, local=True))
                break
            continue
        if not os.path.isdir(nbase):
            continue
        address = _attr_text(f"{nbase}/ipv4_address")
        if address is not None and parse_ipv4(address) is None:
            raise ParseError(f"{nbase}/ipv4_address", 1, address, "expected an IPv4 address")
        local = _attr_uint(f"{nbase}/local")
        nodes.append(
            RegisteredNode(
                name=node,
                num=_attr_uint(f"{nbase}/num"),
                ipv4_address=address,
                ipv4_port=_attr_uint(f"{nbase}/ipv4_port"),
                local=local == 1,
            )
        )
    regions = []
    hb = f"{base}/heartbeat"
    for entry in _listdir(hb) or []:
        if entry in HEARTBEAT_ATTRS:
            continue
        if local_only:
            regions.append(ActiveRegion(entry))
            continue
        rbase = f"{hb}/{entry}"
        if not os.path.isdir(rbase):
            continue
        regions.append(ActiveRegion(entry, dev=_attr_text(f"{rbase}/dev"), pid=_attr_uint(f"{rbase}/pid")))
    mode_text = _attr_text(f"{hb}/mode")
    if mode_text is not None and mode_text not in ("local", "global"):
        raise ParseError(f"{hb}/mode", 1, mode_text, "expected local or global")
    mode = HeartbeatMode(mode_text) if mode_text is not None else None
    if local_only:
        return RegisteredCluster(name, tuple(nodes), tuple(regions), mode, None, None, None, None)
    return RegisteredCluster(
        name=name,
        nodes=tuple(nodes),
        regions=tuple(regions),
        heartbeat_mode=mode,
        dead_threshold=_attr_uint(f"{hb}/dead_threshold"),
        idle_timeout_ms=_attr_uint(f"{base}/idle_timeout_ms"),
        keepalive_delay_ms=_attr_uint(f"{base}/keepalive_delay_ms"),
        reconnect_delay_ms=_attr_uint(f"{base}/reconnect_delay_ms"),
        fence_method=_attr_text(f"{base}/fence_method"),
    )
