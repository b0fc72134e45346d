# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""/etc/ocfs2/cluster.conf (jconfig stanzas, §6.1): the model, a strict parser, and o2cb's own writer layout.

Read and written by start and validate-all, never by the monitor. `parse_*` raise only ParseError. The stanza
scanner and writer are shared with the readings of `o2cb list-cluster` (tests) and the simulated o2cb, which
print the same stanza syntax.
"""

from __future__ import annotations

import os

from xenha.errors import ParseError, ToolError
from xenha.files import write_atomic
from xenha.o2cb.configfs import (
    MAX_NODE_NUMBER,
    HeartbeatMode,
    is_cluster_name,
    is_node_name,
    is_region,
    is_uint,
    numbered_lines,
    parse_ipv4,
)
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from xenha.run import Deadline

__all__ = [
    "STANZA_KEYS",
    "ClusterConf",
    "ClusterStanza",
    "HeartbeatStanza",
    "NodeStanza",
    "Stanza",
    "build_conf",
    "parse_cluster_conf",
    "CONF_MAX_BYTES",
    "read_cluster_conf",
    "render_cluster_conf",
    "render_stanza",
    "scan_stanzas",
    "write_cluster_conf",
]


@record
class ClusterStanza:
    """A `cluster:` stanza; `heartbeat_mode` is None when the key is absent (files older than ocfs2-tools 1.8)."""

    name: str
    node_count: int
    heartbeat_mode: HeartbeatMode | None = None

    @property
    def effective_mode(self) -> HeartbeatMode:
        """The mode o2cb applies: local when the key is absent (show_cluster in ocfs2-tools:o2cb_ctl/op_lists.c)."""
        return self.heartbeat_mode or HeartbeatMode.LOCAL


@record
class NodeStanza:
    """A `node:` stanza: an O2CB node, its number (0-254), its interconnect address and port, and its cluster."""

    name: str
    number: int
    ip_address: str
    ip_port: int
    cluster: str


@record
class HeartbeatStanza:
    """A `heartbeat:` stanza: a global heartbeat region (volume UUID) of a cluster."""

    region: str
    cluster: str


@record
class ClusterConf:
    """A cluster.conf: stanzas of each kind in file order. A file may define several clusters."""

    clusters: tuple[ClusterStanza, ...] = ()
    nodes: tuple[NodeStanza, ...] = ()
    heartbeats: tuple[HeartbeatStanza, ...] = ()

    def cluster(self, name: str) -> ClusterStanza | None:
        """The cluster stanza called `name`, or None."""
        return next((c for c in self.clusters if c.name == name), None)

    def nodes_of(self, cluster: str) -> tuple[NodeStanza, ...]:
        """The node stanzas whose `cluster` is `cluster` (how o2cb_config.c attaches nodes to a cluster)."""
        return tuple(n for n in self.nodes if n.cluster == cluster)

    def regions_of(self, cluster: str) -> tuple[str, ...]:
        """The heartbeat regions of `cluster`, in file order."""
        return tuple(h.region for h in self.heartbeats if h.cluster == cluster)

    def heartbeats_of(self, cluster: str) -> tuple[HeartbeatStanza, ...]:
        """The heartbeat stanzas of `cluster`, in file order."""
        return tuple(h for h in self.heartbeats if h.cluster == cluster)

    def node(self, cluster: str, name: str) -> NodeStanza | None:
        """The node called `name` in `cluster`, or None."""
        return next((n for n in self.nodes_of(cluster) if n.name == name), None)

    def with_cluster(
        self, cluster: ClusterStanza, nodes: Iterable[NodeStanza], heartbeats: Iterable[HeartbeatStanza]
    ) -> ClusterConf:
        """This file with every stanza of `cluster.name` replaced (other clusters' stanzas are kept in place)."""
        name = cluster.name
        clusters = [c for c in self.clusters if c.name != name]
        index = next((i for i, c in enumerate(self.clusters) if c.name == name), len(clusters))
        clusters.insert(index, cluster)
        return ClusterConf(
            clusters=tuple(clusters),
            nodes=tuple(n for n in self.nodes if n.cluster != name) + tuple(nodes),
            heartbeats=tuple(h for h in self.heartbeats if h.cluster != name) + tuple(heartbeats),
        )


# Each stanza kind's required and optional keys.
STANZA_KEYS = {
    "cluster": ({"name", "node_count"}, {"heartbeat_mode"}),
    "node": ({"number", "name", "ip_address", "ip_port", "cluster"}, set()),
    "heartbeat": ({"region", "cluster"}, set()),
}
# jconfig.c: a stanza name is /^\w+:\s*\n/, an attribute /^\s+\w+\s*=\s*.*\n/ (GScanner identifiers are ASCII).
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_BLANKS = " \t"


class Stanza:
    """One stanza as scanned: its kind, where it starts, and its attributes (value, line number, line)."""

    __slots__ = ("attrs", "kind", "line", "lineno")

    def __init__(self, kind: str, lineno: int, line: str) -> None:
        self.kind = kind
        self.lineno = lineno
        self.line = line
        self.attrs: dict[str, tuple[str, int, str]] = {}


def _word_prefix(text: str) -> str:
    end = 0
    while end < len(text) and text[end] in _WORD:
        end += 1
    return text[:end]


def _attribute(line: str) -> tuple[str, str] | None:
    """(key, value) of an indented `key = value` line (blanks around `=`), or None."""
    rest = line.lstrip(_BLANKS)
    key = _word_prefix(rest)
    if not key or rest == line:
        return None
    rest = rest[len(key) :].lstrip(_BLANKS)
    if not rest.startswith("="):
        return None
    return key, rest[1:].lstrip(_BLANKS)


def _stanza_head(line: str) -> str | None:
    """The kind of a `kind:` line (blanks after the colon allowed), or None."""
    kind, colon, rest = line.partition(":")
    if not colon or not kind or _word_prefix(kind) != kind or rest.strip(_BLANKS):
        return None
    return kind


def scan_stanzas(text: str, tool: str) -> list[Stanza]:
    """Split jconfig text (ocfs2-tools:o2cb_ctl/jconfig.c) into stanzas, strictly."""
    stanzas: list[Stanza] = []
    current: Stanza | None = None
    for lineno, line in numbered_lines(text):
        if line.strip(_BLANKS) == "":
            current = None  # a blank or white-space line ends the stanza (j_config_parse_white_start)
            continue
        if line.startswith("#"):
            continue  # a comment only at column 0 (j_config_parse_comment)
        if line[0] in _BLANKS:
            found = _attribute(line)
            if found is None:
                raise ParseError(tool, lineno, line, "expected an indented 'key = value' line")
            if current is None:
                raise ParseError(tool, lineno, line, "attribute outside a stanza (a blank line ended the stanza)")
            key, value = found
            if value.endswith("\\"):
                raise ParseError(tool, lineno, line, "continuation lines are not used in cluster.conf")
            if value != value.rstrip(_BLANKS):
                # jconfig keeps trailing blanks in the value, so o2cb would then reject the number or use a name
                # that matches nothing; ocfs2.cluster.conf(5): "Care should be taken to avoid stray white-spaces".
                raise ParseError(tool, lineno, line, "trailing white space in value")
            required, optional = STANZA_KEYS[current.kind]
            if key not in required and key not in optional:
                raise ParseError(tool, lineno, line, f"unknown key {key!r} in a {current.kind} stanza")
            if key in current.attrs:
                raise ParseError(tool, lineno, line, f"duplicate key {key!r}")
            current.attrs[key] = (value, lineno, line)
            continue
        kind = _stanza_head(line)
        if kind is None:
            raise ParseError(tool, lineno, line, "expected a stanza name ('cluster:', 'node:' or 'heartbeat:')")
        if kind not in STANZA_KEYS:
            raise ParseError(tool, lineno, line, f"unknown stanza {kind!r}")
        current = Stanza(kind, lineno, line)
        stanzas.append(current)
    for stanza in stanzas:
        missing = sorted(STANZA_KEYS[stanza.kind][0] - stanza.attrs.keys())
        if missing:
            raise ParseError(tool, stanza.lineno, stanza.line, f"{stanza.kind} stanza lacks {', '.join(missing)}")
    return stanzas


def _conf_uint(tool: str, stanza: Stanza, key: str, high: int, low: int = 0) -> int:
    value, lineno, line = stanza.attrs[key]
    if not is_uint(value):
        raise ParseError(tool, lineno, line, f"{key} is not a decimal number")
    number = int(value)
    if not low <= number <= high:
        raise ParseError(tool, lineno, line, f"{key} {number} is outside {low}..{high}")
    return number


def _conf_text(tool: str, stanza: Stanza, key: str, check: Callable[[str], bool], what: str) -> str:
    value, lineno, line = stanza.attrs[key]
    if not check(value):
        raise ParseError(tool, lineno, line, f"{key} is not {what}")
    return value


def build_conf(stanzas: list[Stanza], tool: str) -> ClusterConf:
    """The model of scanned stanzas; ParseError names the line of a value o2cb would refuse."""
    clusters: list[ClusterStanza] = []
    nodes: list[NodeStanza] = []
    heartbeats: list[HeartbeatStanza] = []
    for st in stanzas:
        if st.kind == "cluster":
            mode: HeartbeatMode | None = None
            if "heartbeat_mode" in st.attrs:
                text, lineno, line = st.attrs["heartbeat_mode"]
                if text not in ("local", "global"):
                    raise ParseError(tool, lineno, line, "heartbeat_mode is neither 'local' nor 'global'")
                mode = HeartbeatMode(text)
            clusters.append(
                ClusterStanza(
                    name=_conf_text(tool, st, "name", is_cluster_name, "a cluster name (1-16 of [0-9A-Za-z])"),
                    node_count=_conf_uint(tool, st, "node_count", MAX_NODE_NUMBER + 1),
                    heartbeat_mode=mode,
                )
            )
        elif st.kind == "node":
            address, lineno, line = st.attrs["ip_address"]
            if parse_ipv4(address) is None:
                raise ParseError(tool, lineno, line, "ip_address is not a dotted-quad IPv4 address")
            nodes.append(
                NodeStanza(
                    name=_conf_text(tool, st, "name", is_node_name, "a node name"),
                    number=_conf_uint(tool, st, "number", MAX_NODE_NUMBER),
                    ip_address=address,
                    # The kernel refuses port 0 and 65535 (o2nm_node_ipv4_port_store: `tmp >= (u16)-1`).
                    ip_port=_conf_uint(tool, st, "ip_port", 65534, low=1),
                    cluster=_conf_text(tool, st, "cluster", is_cluster_name, "a cluster name"),
                )
            )
        else:
            heartbeats.append(
                HeartbeatStanza(
                    region=_conf_text(tool, st, "region", is_region, "a region UUID (32 upper-case hex digits)"),
                    cluster=_conf_text(tool, st, "cluster", is_cluster_name, "a cluster name"),
                )
            )
    return ClusterConf(clusters=tuple(clusters), nodes=tuple(nodes), heartbeats=tuple(heartbeats))


def parse_cluster_conf(text: str) -> ClusterConf:
    """Parse /etc/ocfs2/cluster.conf (jconfig stanzas, §6.1); raise ParseError on anything o2cb would not use.

    Stanza and key order are free (o2cb writes stanzas grouped by kind, keys in hash-table order: see
    ocfs2/cluster_conf_sample_global_heartbeat_3nodes.conf). Comments are `#` at column 0. Stricter than jconfig:
    unknown stanzas or keys, duplicate keys and trailing white space in values are errors, not silently kept.
    """
    return build_conf(scan_stanzas(text, "cluster.conf"), "cluster.conf")


# o2cb allows 255 nodes and 32 heartbeat regions: a full cluster.conf is about 30 KiB.
CONF_MAX_BYTES = 1 << 20


def read_cluster_conf(path: str, *, deadline: Deadline | None = None) -> ClusterConf | None:
    """The parsed file at `path`, or None when it does not exist; ParseError names the file.

    Read with xenha.files: a regular file of at most CONF_MAX_BYTES, before `deadline` (DeadlineExceeded when its
    file system does not answer); a FIFO, a directory or a device is an OSError (files.FileRefused) at once.
    """
    from xenha.files import read_text

    try:
        text = read_text(path, limit=CONF_MAX_BYTES, deadline=deadline, errors="surrogateescape")
    except FileNotFoundError:
        return None
    try:
        return parse_cluster_conf(text)
    except ParseError as exc:
        raise ParseError(path, exc.lineno, exc.line, exc.why) from None


_CLUSTER_KEYS = ("heartbeat_mode", "node_count", "name")
_NODE_KEYS = ("number", "cluster", "ip_port", "ip_address", "name")


def render_stanza(kind: str, pairs: Iterable[tuple[str, str]]) -> str:
    """One stanza as o2cb writes it: `kind:`, TAB-indented `key = value` lines, a blank line."""
    return f"{kind}:\n" + "".join(f"\t{key} = {value}\n" for key, value in pairs) + "\n"


def render_cluster_conf(conf: ClusterConf) -> str:
    """The file as o2cb writes it: clusters, nodes, heartbeats; TAB-indented keys; a blank line after each stanza.

    Key order follows ocfs2/cluster_conf_sample_global_heartbeat_3nodes.conf (o2cb's hash-table order); the blank
    line after every stanza, the last one included, is j_config_foreach_stanza_print's.
    """
    out: list[str] = []
    for c in conf.clusters:
        values = {"heartbeat_mode": None if c.heartbeat_mode is None else str(c.heartbeat_mode)}
        values |= {"node_count": str(c.node_count), "name": c.name}
        out.append(render_stanza("cluster", ((k, v) for k in _CLUSTER_KEYS if (v := values[k]) is not None)))
    for n in conf.nodes:
        node = {"number": str(n.number), "cluster": n.cluster, "ip_port": str(n.ip_port)}
        node |= {"ip_address": n.ip_address, "name": n.name}
        out.append(render_stanza("node", ((k, node[k]) for k in _NODE_KEYS)))
    for h in conf.heartbeats:
        out.append(render_stanza("heartbeat", (("cluster", h.cluster), ("region", h.region))))
    return "".join(out)


def write_cluster_conf(path: str, conf: ClusterConf) -> None:
    """Replace `path` with `conf` atomically, mode 0644, as o2cb's write_file does (temporary file, then rename);
    ToolError when it cannot be written."""
    tmp = f"{path}.xenha.{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        try:  # a leftover of an earlier pid, or something planted there: never written through (O_EXCL below)
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        write_atomic(path, render_cluster_conf(conf), tmp=tmp, mode=0o644, fsync=True)
    except OSError as exc:
        raise ToolError(f"{path}: cannot write: {exc.strerror}") from exc
