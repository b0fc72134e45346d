"""O2CB text formats (cluster.conf, `o2cb` listings, init-script output, configfs); parse_* raise only ParseError.

O2CB is OCFS2's classic in-kernel cluster stack. Every `parse_*` function takes text and returns frozen dataclasses,
raising `xenha.errors.ParseError` (and nothing else) on syntax it does not know; `render_*` print a model the way the
tool does; `read_*` do the I/O. Section numbers (§) refer to shared/fixtures/GRAMMAR.md, fixture names to
shared/fixtures/, and `ocfs2-tools:<path>` to markfasheh/ocfs2-tools (the 1.8 series, as in Debian 12).

The last section parses two inputs the O2cbCluster agent reads from outside O2CB: `crm_node -l` (Pacemaker's
membership) and `getent ahostsv4` (name resolution through nsswitch, i.e. /etc/hosts first).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import Enum

from xenha.errors import ParseError

__all__ = [
    "DEFAULT_CONF",
    "DEFAULT_CONFIGFS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUTS",
    "MAX_NODE_NUMBER",
    "MAX_REGIONS",
    "MINIMUM_TIMEOUTS",
    "TIMEOUT_FILES",
    "ActiveRegion",
    "ClusterConf",
    "ClusterStanza",
    "ClusterStatus",
    "ConfigfsListing",
    "ConfigurePrompt",
    "HeartbeatMode",
    "HeartbeatStanza",
    "InitStatus",
    "InitStep",
    "InitTranscript",
    "ListedCluster",
    "Member",
    "MemberState",
    "NodeStanza",
    "OnlineStatus",
    "RegisteredCluster",
    "RegisteredNode",
    "Timeouts",
    "is_cluster_name",
    "is_node_name",
    "is_region",
    "list_configfs_clusters",
    "parse_cluster_conf",
    "parse_cluster_status",
    "parse_configfs_listing",
    "parse_crm_node_list",
    "parse_getent_ahosts",
    "parse_init_status",
    "parse_init_transcript",
    "parse_ipv4",
    "parse_list_cluster",
    "parse_list_cluster_oneline",
    "parse_list_clusters",
    "parse_online_status",
    "read_cluster_conf",
    "read_configfs_cluster",
    "render_cluster_conf",
    "render_cluster_status",
    "render_configfs_listing",
    "render_crm_node_list",
    "render_init_status",
    "render_list_cluster",
    "render_list_clusters",
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

_CLUSTER_NAME = re.compile(r"[0-9A-Za-z]{1,16}")
# O2NM_MAX_NAME_LEN is 64; node names are host names without the domain (ocfs2.cluster.conf(5)) and become
# configfs directory names, so '/' and white space can never occur.
_NODE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,63}")
# Region names are the volume UUID as ocfs2 prints it: 32 upper-case hex digits (ocfs2/cluster_conf_sample_*).
_REGION = re.compile(r"[0-9A-F]{32}")
_IPV4 = re.compile(r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})")
_UINT = re.compile(r"0|[1-9][0-9]*")


def is_cluster_name(text: str) -> bool:
    """Up to 16 characters [0-9A-Za-z], as `o2cbtool_validate_clustername` (ocfs2-tools:o2cb_ctl/op_cluster.c)."""
    return _CLUSTER_NAME.fullmatch(text) is not None


def is_node_name(text: str) -> bool:
    """A host name usable as an O2CB node name (a configfs directory name of at most 64 characters)."""
    return _NODE_NAME.fullmatch(text) is not None


def is_region(text: str) -> bool:
    """A heartbeat region name: the OCFS2 volume UUID, 32 upper-case hex digits."""
    return _REGION.fullmatch(text) is not None


def parse_ipv4(text: str) -> str | None:
    """`text` if it is a dotted-quad IPv4 address as glibc's inet_pton accepts it (no leading zeros), else None."""
    match = _IPV4.fullmatch(text)
    if match is None or any(int(part) > 255 for part in match.groups()):
        return None
    return text


class HeartbeatMode(Enum):
    """Where O2CB heartbeats: on every mounted volume (local) or on configured regions only (global); o2cb(7)."""

    LOCAL = "local"
    GLOBAL = "global"


@dataclass(frozen=True, slots=True)
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


def _timeouts(dead: int | None, idle: int | None, keepalive: int | None, reconnect: int | None) -> Timeouts | None:
    if dead is None or idle is None or keepalive is None or reconnect is None:
        return None
    return Timeouts(dead, idle, keepalive, reconnect)


# DEF_* and MIN_* of ocfs2-tools:vendor/common/o2cb.init.sh ("The default values should always be in sync with the
# kernel"). The OCFS2 1.2 era defaults were 7/10000/5000/2000 (ocfs2/docs_o2cb_init_configure_ocfs2_1.2.txt).
DEFAULT_TIMEOUTS = Timeouts(dead_threshold=31, idle_timeout_ms=30000, keepalive_delay_ms=2000, reconnect_delay_ms=2000)
MINIMUM_TIMEOUTS = Timeouts(dead_threshold=7, idle_timeout_ms=5000, keepalive_delay_ms=1000, reconnect_delay_ms=2000)

# Each timeout's file under configfs `cluster/<name>/` (set_timeouts_o2cb in o2cb.init.sh; §6.4).
TIMEOUT_FILES = {
    "dead_threshold": "heartbeat/dead_threshold",
    "idle_timeout_ms": "idle_timeout_ms",
    "keepalive_delay_ms": "keepalive_delay_ms",
    "reconnect_delay_ms": "reconnect_delay_ms",
}


# ---------------------------------------------------------------------------------------------------------------------
# /etc/ocfs2/cluster.conf and `o2cb list-cluster` (§6.1, §6.2)


@dataclass(frozen=True, slots=True)
class ClusterStanza:
    """A `cluster:` stanza; `heartbeat_mode` is None when the key is absent (files older than ocfs2-tools 1.8)."""

    name: str
    node_count: int
    heartbeat_mode: HeartbeatMode | None = None

    @property
    def effective_mode(self) -> HeartbeatMode:
        """The mode o2cb applies: local when the key is absent (show_cluster in ocfs2-tools:o2cb_ctl/op_lists.c)."""
        return self.heartbeat_mode or HeartbeatMode.LOCAL


@dataclass(frozen=True, slots=True)
class NodeStanza:
    """A `node:` stanza: an O2CB node, its number (0-254), its interconnect address and port, and its cluster."""

    name: str
    number: int
    ip_address: str
    ip_port: int
    cluster: str


@dataclass(frozen=True, slots=True)
class HeartbeatStanza:
    """A `heartbeat:` stanza: a global heartbeat region (volume UUID) of a cluster."""

    region: str
    cluster: str


@dataclass(frozen=True, slots=True)
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


_STANZA_KEYS = {
    "cluster": ({"name", "node_count"}, {"heartbeat_mode"}),
    "node": ({"number", "name", "ip_address", "ip_port", "cluster"}, set()),
    "heartbeat": ({"region", "cluster"}, set()),
}
# jconfig.c: a stanza name is /^\w+:\s*\n/, an attribute /^\s+\w+\s*=\s*.*\n/ (GScanner identifiers are ASCII).
_STANZA_HEAD = re.compile(r"([A-Za-z0-9_]+):[ \t]*")
_ATTRIBUTE = re.compile(r"[ \t]+([A-Za-z0-9_]+)[ \t]*=[ \t]*(.*)")


@dataclass(slots=True)
class _Stanza:
    kind: str
    lineno: int
    line: str
    attrs: dict[str, tuple[str, int, str]] = field(default_factory=dict)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line) for each line; a final newline does not make an extra empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return enumerate(lines, start=1)


def _scan_stanzas(text: str, tool: str) -> list[_Stanza]:
    """Split jconfig text (ocfs2-tools:o2cb_ctl/jconfig.c) into stanzas, strictly."""
    stanzas: list[_Stanza] = []
    current: _Stanza | None = None
    for lineno, line in _lines(text):
        if line.strip(" \t") == "":
            current = None  # a blank or white-space line ends the stanza (j_config_parse_white_start)
            continue
        if line.startswith("#"):
            continue  # a comment only at column 0 (j_config_parse_comment)
        if line[0] in " \t":
            match = _ATTRIBUTE.fullmatch(line)
            if match is None:
                raise ParseError(tool, lineno, line, "expected an indented 'key = value' line")
            if current is None:
                raise ParseError(tool, lineno, line, "attribute outside a stanza (a blank line ended the stanza)")
            key, value = match.groups()
            if value.endswith("\\"):
                raise ParseError(tool, lineno, line, "continuation lines are not used in cluster.conf")
            if value != value.rstrip(" \t"):
                # jconfig keeps trailing blanks in the value, so o2cb would then reject the number or use a name
                # that matches nothing; ocfs2.cluster.conf(5): "Care should be taken to avoid stray white-spaces".
                raise ParseError(tool, lineno, line, "trailing white space in value")
            required, optional = _STANZA_KEYS[current.kind]
            if key not in required and key not in optional:
                raise ParseError(tool, lineno, line, f"unknown key {key!r} in a {current.kind} stanza")
            if key in current.attrs:
                raise ParseError(tool, lineno, line, f"duplicate key {key!r}")
            current.attrs[key] = (value, lineno, line)
            continue
        head = _STANZA_HEAD.fullmatch(line)
        if head is None:
            raise ParseError(tool, lineno, line, "expected a stanza name ('cluster:', 'node:' or 'heartbeat:')")
        if head.group(1) not in _STANZA_KEYS:
            raise ParseError(tool, lineno, line, f"unknown stanza {head.group(1)!r}")
        current = _Stanza(head.group(1), lineno, line)
        stanzas.append(current)
    for stanza in stanzas:
        missing = sorted(_STANZA_KEYS[stanza.kind][0] - stanza.attrs.keys())
        if missing:
            raise ParseError(tool, stanza.lineno, stanza.line, f"{stanza.kind} stanza lacks {', '.join(missing)}")
    return stanzas


def _conf_uint(tool: str, stanza: _Stanza, key: str, high: int, low: int = 0) -> int:
    value, lineno, line = stanza.attrs[key]
    if _UINT.fullmatch(value) is None:
        raise ParseError(tool, lineno, line, f"{key} is not a decimal number")
    number = int(value)
    if not low <= number <= high:
        raise ParseError(tool, lineno, line, f"{key} {number} is outside {low}..{high}")
    return number


def _conf_text(tool: str, stanza: _Stanza, key: str, check: re.Pattern[str], what: str) -> str:
    value, lineno, line = stanza.attrs[key]
    if check.fullmatch(value) is None:
        raise ParseError(tool, lineno, line, f"{key} is not {what}")
    return value


def _build_conf(stanzas: list[_Stanza], tool: str) -> ClusterConf:
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
                    name=_conf_text(tool, st, "name", _CLUSTER_NAME, "a cluster name (1-16 of [0-9A-Za-z])"),
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
                    name=_conf_text(tool, st, "name", _NODE_NAME, "a node name"),
                    number=_conf_uint(tool, st, "number", MAX_NODE_NUMBER),
                    ip_address=address,
                    # The kernel refuses port 0 and 65535 (o2nm_node_ipv4_port_store: `tmp >= (u16)-1`).
                    ip_port=_conf_uint(tool, st, "ip_port", 65534, low=1),
                    cluster=_conf_text(tool, st, "cluster", _CLUSTER_NAME, "a cluster name"),
                )
            )
        else:
            heartbeats.append(
                HeartbeatStanza(
                    region=_conf_text(tool, st, "region", _REGION, "a region UUID (32 upper-case hex digits)"),
                    cluster=_conf_text(tool, st, "cluster", _CLUSTER_NAME, "a cluster name"),
                )
            )
    return ClusterConf(clusters=tuple(clusters), nodes=tuple(nodes), heartbeats=tuple(heartbeats))


def parse_cluster_conf(text: str) -> ClusterConf:
    """Parse /etc/ocfs2/cluster.conf (jconfig stanzas, §6.1); raise ParseError on anything o2cb would not use.

    Stanza and key order are free (o2cb writes stanzas grouped by kind, keys in hash-table order: see
    ocfs2/cluster_conf_sample_global_heartbeat_3nodes.conf). Comments are `#` at column 0. Stricter than jconfig:
    unknown stanzas or keys, duplicate keys and trailing white space in values are errors, not silently kept.
    """
    return _build_conf(_scan_stanzas(text, "cluster.conf"), "cluster.conf")


def read_cluster_conf(path: str) -> ClusterConf | None:
    """The parsed file at `path`, or None when it does not exist; ParseError names the file."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    try:
        return parse_cluster_conf(text)
    except ParseError as exc:
        raise ParseError(path, exc.lineno, exc.line, exc.why) from None


_CLUSTER_KEYS = ("heartbeat_mode", "node_count", "name")
_NODE_KEYS = ("number", "cluster", "ip_port", "ip_address", "name")
_HEARTBEAT_KEYS = ("cluster", "region")


def _stanza(kind: str, pairs: Iterable[tuple[str, str]]) -> str:
    return f"{kind}:\n" + "".join(f"\t{key} = {value}\n" for key, value in pairs) + "\n"


def render_cluster_conf(conf: ClusterConf) -> str:
    """The file as o2cb writes it: clusters, nodes, heartbeats; TAB-indented keys; a blank line after each stanza.

    Key order follows ocfs2/cluster_conf_sample_global_heartbeat_3nodes.conf (o2cb's hash-table order); the blank
    line after every stanza, the last one included, is j_config_foreach_stanza_print's.
    """
    out: list[str] = []
    for c in conf.clusters:
        values = {"heartbeat_mode": c.heartbeat_mode.value if c.heartbeat_mode else None}
        values |= {"node_count": str(c.node_count), "name": c.name}
        out.append(_stanza("cluster", ((k, v) for k in _CLUSTER_KEYS if (v := values[k]) is not None)))
    for n in conf.nodes:
        node = {"number": str(n.number), "cluster": n.cluster, "ip_port": str(n.ip_port)}
        node |= {"ip_address": n.ip_address, "name": n.name}
        out.append(_stanza("node", ((k, node[k]) for k in _NODE_KEYS)))
    for h in conf.heartbeats:
        out.append(_stanza("heartbeat", (("cluster", h.cluster), ("region", h.region))))
    return "".join(out)


def parse_list_cluster(text: str) -> ClusterConf:
    """Parse `o2cb list-cluster NAME` (§6.2): heartbeat, node, then one cluster stanza, each followed by a blank line.

    The stanza syntax is cluster.conf's (reconstructed/ocfs2/o2cb_list_cluster_webcluster.txt); the cluster stanza
    always carries heartbeat_mode (op_lists.c prints "local" when the file has none).
    """
    tool = "o2cb list-cluster"
    stanzas = _scan_stanzas(text, tool)
    rank = {"heartbeat": 0, "node": 1, "cluster": 2}
    for previous, stanza in zip(stanzas, stanzas[1:], strict=False):
        if rank[stanza.kind] < rank[previous.kind]:
            raise ParseError(tool, stanza.lineno, stanza.line, f"{stanza.kind} stanza after a {previous.kind} stanza")
    conf = _build_conf(stanzas, tool)
    if len(conf.clusters) != 1:
        last = stanzas[-1] if stanzas else _Stanza("", len(text.splitlines()), "")
        raise ParseError(tool, last.lineno, last.line, "expected exactly one cluster stanza")
    if conf.clusters[0].heartbeat_mode is None:
        st = next(s for s in stanzas if s.kind == "cluster")
        raise ParseError(tool, st.lineno, st.line, "cluster stanza lacks heartbeat_mode")
    return conf


def _list_cluster_parts(conf: ClusterConf, name: str) -> tuple[ClusterStanza, tuple[NodeStanza, ...], tuple[str, ...]]:
    cluster = conf.cluster(name)
    if cluster is None:
        raise KeyError(name)
    return cluster, conf.nodes_of(name), conf.regions_of(name)


def render_list_cluster(conf: ClusterConf, name: str, *, oneline: bool = False) -> str:
    """What `o2cb list-cluster [--oneline] NAME` prints (format strings of ocfs2-tools:o2cb_ctl/op_lists.c).

    Raises KeyError when `conf` has no cluster `name` (o2cb prints "Unknown cluster 'NAME'" then).
    """
    cluster, nodes, regions = _list_cluster_parts(conf, name)
    mode = cluster.effective_mode.value
    if oneline:
        lines = [f"heartbeat: {r} {name}\n" for r in regions]
        lines += [f"node: {n.number} {n.name} {n.ip_address}:{n.ip_port} {name}\n" for n in nodes]
        lines.append(f"cluster: {cluster.node_count} {mode} {name}\n")
        return "".join(lines)
    out = [_stanza("heartbeat", (("region", r), ("cluster", name))) for r in regions]
    out += [
        _stanza(
            "node",
            (
                ("number", str(n.number)),
                ("name", n.name),
                ("ip_address", n.ip_address),
                ("ip_port", str(n.ip_port)),
                ("cluster", name),
            ),
        )
        for n in nodes
    ]
    out.append(_stanza("cluster", (("node_count", str(cluster.node_count)), ("heartbeat_mode", mode), ("name", name))))
    return "".join(out)


_ONELINE_HEARTBEAT = re.compile(r"heartbeat: (\S+) (\S+)")
_ONELINE_NODE = re.compile(r"node: (\S+) (\S+) (\S+):(\S+) (\S+)")
_ONELINE_CLUSTER = re.compile(r"cluster: (\S+) (\S+) (\S+)")


def _field(tool: str, lineno: int, line: str, value: str, *, check: re.Pattern[str], what: str) -> str:
    if check.fullmatch(value) is None:
        raise ParseError(tool, lineno, line, f"{value!r} is not {what}")
    return value


def _uint_field(tool: str, lineno: int, line: str, value: str, *, high: int, low: int = 0) -> int:
    if _UINT.fullmatch(value) is None or not low <= int(value) <= high:
        raise ParseError(tool, lineno, line, f"{value!r} is not a number in {low}..{high}")
    return int(value)


def parse_list_cluster_oneline(text: str) -> ClusterConf:
    """Parse `o2cb list-cluster --oneline NAME` (§6.2): `heartbeat:`, `node:` lines, then one `cluster:` line."""
    tool = "o2cb list-cluster --oneline"
    heartbeats: list[HeartbeatStanza] = []
    nodes: list[NodeStanza] = []
    cluster: ClusterStanza | None = None
    for lineno, line in _lines(text):
        if cluster is not None:
            raise ParseError(tool, lineno, line, "text after the cluster line")
        if (m := _ONELINE_HEARTBEAT.fullmatch(line)) is not None:
            if nodes:
                raise ParseError(tool, lineno, line, "heartbeat line after a node line")
            region = _field(tool, lineno, line, m.group(1), check=_REGION, what="a region UUID")
            heartbeats.append(
                HeartbeatStanza(region, _field(tool, lineno, line, m.group(2), check=_CLUSTER_NAME, what="a name"))
            )
        elif (m := _ONELINE_NODE.fullmatch(line)) is not None:
            number, name, address, port, owner = m.groups()
            if parse_ipv4(address) is None:
                raise ParseError(tool, lineno, line, f"{address!r} is not an IPv4 address")
            nodes.append(
                NodeStanza(
                    name=_field(tool, lineno, line, name, check=_NODE_NAME, what="a node name"),
                    number=_uint_field(tool, lineno, line, number, high=MAX_NODE_NUMBER),
                    ip_address=address,
                    ip_port=_uint_field(tool, lineno, line, port, high=65534, low=1),
                    cluster=_field(tool, lineno, line, owner, check=_CLUSTER_NAME, what="a cluster name"),
                )
            )
        elif (m := _ONELINE_CLUSTER.fullmatch(line)) is not None:
            count, mode, name = m.groups()
            if mode not in ("local", "global"):
                raise ParseError(tool, lineno, line, f"unknown heartbeat mode {mode!r}")
            cluster = ClusterStanza(
                name=_field(tool, lineno, line, name, check=_CLUSTER_NAME, what="a cluster name"),
                node_count=_uint_field(tool, lineno, line, count, high=MAX_NODE_NUMBER + 1),
                heartbeat_mode=HeartbeatMode(mode),
            )
        else:
            raise ParseError(tool, lineno, line, "expected a heartbeat:, node: or cluster: line")
    if cluster is None:
        raise ParseError(tool, len(text.splitlines()), "", "no cluster line")
    return ClusterConf(clusters=(cluster,), nodes=tuple(nodes), heartbeats=tuple(heartbeats))


def parse_list_clusters(text: str) -> tuple[str, ...]:
    """Parse `o2cb list-clusters` (§6.2, op_lists.c): one cluster name per line, in file order."""
    names = []
    for lineno, line in _lines(text):
        names.append(_field("o2cb list-clusters", lineno, line, line, check=_CLUSTER_NAME, what="a cluster name"))
    return tuple(names)


def render_list_clusters(names: Iterable[str]) -> str:
    """What `o2cb list-clusters` prints."""
    return "".join(f"{name}\n" for name in names)


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """`o2cb cluster-status [NAME]`: online or not, and the name it printed (None for the bare form)."""

    name: str | None
    online: bool


_CLUSTER_STATUS = re.compile(r"Cluster '([^']*)' is (online|offline)")


def parse_cluster_status(text: str) -> ClusterStatus:
    """Parse `o2cb cluster-status` (§6.2, op_status.c): `Cluster 'NAME' is online|offline`, or bare `online|offline`.

    The bare form appears when no cluster is registered, or when the cluster stack could not be reached.
    """
    tool = "o2cb cluster-status"
    lines = list(_lines(text))
    if len(lines) != 1:
        lineno, line = lines[1] if lines else (1, "")
        raise ParseError(tool, lineno, line, "expected exactly one line")
    lineno, line = lines[0]
    if line in ("online", "offline"):
        return ClusterStatus(name=None, online=line == "online")
    match = _CLUSTER_STATUS.fullmatch(line)
    if match is None:
        raise ParseError(tool, lineno, line, "expected \"Cluster 'NAME' is online|offline\"")
    return ClusterStatus(name=match.group(1), online=match.group(2) == "online")


def render_cluster_status(status: ClusterStatus) -> str:
    """What `o2cb cluster-status` prints."""
    word = "online" if status.online else "offline"
    return f"{word}\n" if status.name is None else f"Cluster '{status.name}' is {word}\n"


# ---------------------------------------------------------------------------------------------------------------------
# /etc/init.d/o2cb (ocfs2-tools:vendor/common/o2cb.init.sh; §6.3)


class OnlineStatus(Enum):
    """`/etc/init.d/o2cb online-status`: exit 0, 1 and 2 respectively ("Return codes to userspace. Do not change.")."""

    ONLINE = "online"
    OFFLINE = "offline"
    ERROR = "error"


def parse_online_status(text: str) -> OnlineStatus:
    """Parse `/etc/init.d/o2cb online-status`: one word (reconstructed/ocfs2/o2cb_init_online_status_*.txt)."""
    lines = list(_lines(text))
    if len(lines) != 1 or lines[0][1] not in ("online", "offline", "error"):
        lineno, line = lines[-1] if lines else (1, "")
        raise ParseError("o2cb online-status", lineno, line, "expected one line: online, offline or error")
    return OnlineStatus(lines[0][1])


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class InitStatus:
    """`/etc/init.d/o2cb status`. Fields are None when the script did not print that line.

    `drivers` holds `Driver for "X"` (1.4+) and `Module "X"` (1.2) lines, `filesystems` the `Filesystem "X"` lines,
    both as (name, yes) pairs in output order. `legacy` marks the OCFS2 1.2 layout (Module lines, unquoted name).
    """

    drivers: tuple[tuple[str, bool], ...] = ()
    filesystems: tuple[tuple[str, bool], ...] = ()
    stack_glue_loaded: bool | None = None
    stack_plugin: tuple[str, bool] | None = None
    cluster: str | None = None
    online: bool | None = None
    dead_threshold: int | None = None
    idle_timeout_ms: int | None = None
    keepalive_delay_ms: int | None = None
    reconnect_delay_ms: int | None = None
    heartbeat_mode: HeartbeatMode | None = None
    heartbeat_active: bool | None = None
    regions: tuple[ActiveRegion, ...] = ()
    live_nodes: tuple[int, ...] | None = None
    userdlm_domains: tuple[str, ...] = ()
    debugfs_mounted: bool | None = None
    legacy: bool = False

    def driver_loaded(self, name: str) -> bool | None:
        """Whether driver/module `name` was reported loaded; None when not reported."""
        return next((ok for n, ok in self.drivers if n == name), None)

    def filesystem_mounted(self, name: str) -> bool | None:
        """Whether filesystem `name` was reported mounted; None when not reported."""
        return next((ok for n, ok in self.filesystems if n == name), None)

    @property
    def timeouts(self) -> Timeouts | None:
        """The four timeouts, when all four were printed."""
        return _timeouts(self.dead_threshold, self.idle_timeout_ms, self.keepalive_delay_ms, self.reconnect_delay_ms)


# Each status line kind with its rank: the script prints them in this order (status(), online_status_o2cb()).
_STATUS_LINES: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("driver", 0, re.compile(r'Driver for "([^"]+)": (Loaded|Not loaded)')),
    ("module", 0, re.compile(r'Module "([^"]+)": (Loaded|Not loaded)')),
    ("filesystem", 0, re.compile(r'Filesystem "([^"]+)": (Mounted|Not mounted)')),
    ("glue", 0, re.compile(r"Stack glue driver: (Loaded|Not loaded)")),
    ("plugin", 0, re.compile(r'Stack plugin "([^"]+)": (Loaded|Not loaded)')),
    # OCFS2 1.2 printed the name unquoted (ocfs2/docs_o2cb_init_status_ocfs2_1.2_local_hb_not_active.txt).
    ("cluster", 1, re.compile(r'Checking O2CB cluster (?:"([^"]*)"|([^" ]+)): (Online|Offline)')),
    ("dead_threshold", 2, re.compile(r"  Heartbeat dead threshold: (\d+)")),
    ("idle_timeout_ms", 2, re.compile(r"  Network idle timeout: (\d+)")),
    ("keepalive_delay_ms", 2, re.compile(r"  Network keepalive delay: (\d+)")),
    ("reconnect_delay_ms", 2, re.compile(r"  Network reconnect delay: (\d+)")),
    ("mode", 3, re.compile(r"  Heartbeat mode: (Local|Global)")),
    ("heartbeat", 4, re.compile(r"Checking O2CB heartbeat: (Active|Not active)")),
    # list_heartbeat_o2cb: "  ${regionstr}${HBUUID} /dev/${dev}"; $regionstr is never set, so it is empty.
    ("region", 5, re.compile(r"  ([0-9A-F]{32}) /dev/(\S*)")),
    # list_nodes_o2cb echoes debugfs o2hb/livenodes, which ends in a space after each number.
    ("nodes", 6, re.compile(r"Nodes in O2CB cluster:((?: \d+)*) ?")),
    # userdlm_status: echo "Active userdlm domains: " $(...) puts two spaces before the first domain.
    ("userdlm", 7, re.compile(r"Active userdlm domains:  (\S+(?: \S+)*)")),
    ("debugfs", 8, re.compile(r"Debug file system at /sys/kernel/debug: (mounted|not mounted)")),
)


def parse_init_status(text: str) -> InitStatus:
    """Parse `/etc/init.d/o2cb status` (§6.3): loader lines, cluster state, timeouts, heartbeat, nodes, userdlm."""
    tool = "o2cb status"
    status = InitStatus()
    rank = 0
    seen: set[str] = set()
    for lineno, line in _lines(text):
        found = _classify_status_line(line)
        if found is None:
            raise ParseError(tool, lineno, line, "unknown status line")
        kind, line_rank, match = found
        if line_rank < rank:
            raise ParseError(tool, lineno, line, "line out of the order the init script prints")
        if kind in seen and kind not in ("driver", "module", "filesystem", "region"):
            raise ParseError(tool, lineno, line, "line repeated")
        if 2 <= line_rank <= 6 and status.online is not True:
            raise ParseError(tool, lineno, line, "cluster details without an Online cluster")
        if line_rank == 5 and status.heartbeat_active is not True:
            raise ParseError(tool, lineno, line, "region listed without an active heartbeat")
        rank = line_rank
        seen.add(kind)
        status = _status_with(status, kind, match)
    return status


def _classify_status_line(line: str) -> tuple[str, int, re.Match[str]] | None:
    for kind, rank, pattern in _STATUS_LINES:
        match = pattern.fullmatch(line)
        if match is not None:
            return kind, rank, match
    return None


def _status_with(status: InitStatus, kind: str, match: re.Match[str]) -> InitStatus:
    groups = match.groups()
    if kind in ("driver", "module"):
        return replace(
            status,
            drivers=(*status.drivers, (groups[0], groups[1] == "Loaded")),
            legacy=kind == "module" or status.legacy,
        )
    if kind == "filesystem":
        return replace(status, filesystems=(*status.filesystems, (groups[0], groups[1] == "Mounted")))
    if kind == "glue":
        return replace(status, stack_glue_loaded=groups[0] == "Loaded")
    if kind == "plugin":
        return replace(status, stack_plugin=(groups[0], groups[1] == "Loaded"))
    if kind == "cluster":
        quoted, bare, state = groups
        name = quoted if quoted is not None else bare
        return replace(status, cluster=name, online=state == "Online", legacy=status.legacy or bare is not None)
    if kind == "dead_threshold":
        return replace(status, dead_threshold=int(groups[0]))
    if kind == "idle_timeout_ms":
        return replace(status, idle_timeout_ms=int(groups[0]))
    if kind == "keepalive_delay_ms":
        return replace(status, keepalive_delay_ms=int(groups[0]))
    if kind == "reconnect_delay_ms":
        return replace(status, reconnect_delay_ms=int(groups[0]))
    if kind == "mode":
        return replace(status, heartbeat_mode=HeartbeatMode(groups[0].lower()))
    if kind == "heartbeat":
        return replace(status, heartbeat_active=groups[0] == "Active")
    if kind == "region":
        return replace(status, regions=(*status.regions, ActiveRegion(uuid=groups[0], dev=groups[1] or None)))
    if kind == "nodes":
        return replace(status, live_nodes=tuple(int(n) for n in groups[0].split()))
    if kind == "userdlm":
        return replace(status, userdlm_domains=tuple(groups[0].split()))
    return replace(status, debugfs_mounted=groups[0] == "mounted")


def render_init_status(status: InitStatus) -> str:
    """What the 1.8 init script prints for `status` (the inverse of parse_init_status for non-legacy output)."""
    out = []
    for name, loaded in status.drivers:
        out.append(f'Driver for "{name}": {"Loaded" if loaded else "Not loaded"}')
        for fs_name, mounted in status.filesystems:
            if fs_name == name:
                out.append(f'Filesystem "{fs_name}": {"Mounted" if mounted else "Not mounted"}')
        if name == "configfs":
            if status.stack_glue_loaded is not None:
                out.append(f"Stack glue driver: {'Loaded' if status.stack_glue_loaded else 'Not loaded'}")
            if status.stack_plugin is not None:
                plugin, loaded_plugin = status.stack_plugin
                out.append(f'Stack plugin "{plugin}": {"Loaded" if loaded_plugin else "Not loaded"}')
    if status.cluster is not None:
        out.append(f'Checking O2CB cluster "{status.cluster}": {"Online" if status.online else "Offline"}')
    if status.online:
        for label, value in (
            ("Heartbeat dead threshold", status.dead_threshold),
            ("Network idle timeout", status.idle_timeout_ms),
            ("Network keepalive delay", status.keepalive_delay_ms),
            ("Network reconnect delay", status.reconnect_delay_ms),
        ):
            if value is not None:
                out.append(f"  {label}: {value}")
        if status.heartbeat_mode is not None:
            out.append(f"  Heartbeat mode: {status.heartbeat_mode.value.capitalize()}")
        if status.heartbeat_active is not None:
            out.append(f"Checking O2CB heartbeat: {'Active' if status.heartbeat_active else 'Not active'}")
        out += [f"  {r.uuid} /dev/{r.dev or ''}" for r in status.regions]
        if status.live_nodes is not None:
            out.append("Nodes in O2CB cluster:" + "".join(f" {n}" for n in status.live_nodes))
    if status.userdlm_domains:
        out.append("Active userdlm domains:  " + " ".join(status.userdlm_domains))
    if status.debugfs_mounted is not None:
        out.append(f"Debug file system at /sys/kernel/debug: {'mounted' if status.debugfs_mounted else 'not mounted'}")
    return "".join(f"{line}\n" for line in out)


@dataclass(frozen=True, slots=True)
class InitStep:
    """One `<action>: OK|Failed` line of an init-script action, with the lines it printed after a failure."""

    action: str
    ok: bool
    detail: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigurePrompt:
    """One question of `/etc/init.d/o2cb configure`: the question, its current value, the answer typed, the minimum."""

    question: str
    current: str
    answer: str
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class InitTranscript:
    """What an init-script action (online, offline, unload, configure) printed, as steps, prompts and notices."""

    steps: tuple[InitStep, ...] = ()
    prompts: tuple[ConfigurePrompt, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return all(step.ok for step in self.steps)

    def step(self, prefix: str) -> InitStep | None:
        """The first step whose action starts with `prefix`."""
        return next((s for s in self.steps if s.action.startswith(prefix)), None)


# Fixed text the script prints: configure_ask's heredocs, and one-line notices (o2cb.init.sh).
_TRANSCRIPT_TEXT = frozenset(
    {
        "Configuring the O2CB driver.",
        "This will configure the on-boot properties of the O2CB driver.",
        "The following questions will determine whether the driver is loaded on",
        "boot.  The current values will be shown in brackets ('[]').  Hitting",
        "<ENTER> without typing an answer will keep that current value.  Ctrl-C",
        "will abort.",
        "Please configure this service in the Debian way:",
        " dpkg-reconfigure ocfs2-tools",
        "checking debugfs...",
        "Cluster not known",
    }
)
_STEP = re.compile(r"(\S.*?) ?: (OK|Failed)")
_PROMPT = re.compile(r"(\S.*?) \[([^\]]*)\]: ?(.*)")
_MINIMUM = re.compile(r".*\(>=(\d+)\)")
_NOTICE = re.compile(r"Cluster \S+ already online|Invalid .+|.+ cannot be less than \d+")


def parse_init_transcript(text: str) -> InitTranscript:
    """Parse what `/etc/init.d/o2cb online|offline|unload|configure` printed (§6.3 action messages).

    Steps are `<action>: OK|Failed` (`Setting O2CB cluster timeouts : OK` has a space before the colon). After a
    Failed step the script echoes the tool's output, which is kept as that step's detail. Prompts are
    `question [current]: answer`; the configure heredoc and known notices are accepted; anything else is an error.
    """
    tool = "o2cb init"
    steps: list[InitStep] = []
    prompts: list[ConfigurePrompt] = []
    notices: list[str] = []
    for lineno, line in _lines(text):
        if line == "" or line in _TRANSCRIPT_TEXT:
            continue
        if (m := _PROMPT.fullmatch(line)) is not None:
            minimum = _MINIMUM.fullmatch(m.group(1))
            prompts.append(ConfigurePrompt(m.group(1), m.group(2), m.group(3), int(minimum[1]) if minimum else None))
        elif (m := _STEP.fullmatch(line)) is not None:
            steps.append(InitStep(action=m.group(1), ok=m.group(2) == "OK"))
        elif _NOTICE.fullmatch(line) is not None:
            notices.append(line)
        elif steps and not steps[-1].ok:
            steps[-1] = replace(steps[-1], detail=(*steps[-1].detail, line))
        else:
            raise ParseError(tool, lineno, line, "unknown init script line")
    return InitTranscript(steps=tuple(steps), prompts=tuple(prompts), notices=tuple(notices))


# ---------------------------------------------------------------------------------------------------------------------
# configfs (Linux fs/ocfs2/cluster/nodemanager.c and heartbeat.c; §6.4)

_CLUSTER_ATTRS = frozenset({"idle_timeout_ms", "keepalive_delay_ms", "reconnect_delay_ms", "fence_method"})
_NODE_ATTRS = frozenset({"num", "ipv4_port", "ipv4_address", "local"})
_HEARTBEAT_ATTRS = frozenset({"dead_threshold", "mode"})
_REGION_ATTRS = frozenset({"block_bytes", "start_block", "blocks", "dev", "pid"})


@dataclass(frozen=True, slots=True)
class ListedCluster:
    """One cluster of a configfs listing: its node directories and heartbeat region directories, in listing order."""

    name: str
    nodes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigfsListing:
    """A `find <configfs>/cluster` listing: the configfs mount point and the clusters under it."""

    root: str
    clusters: tuple[ListedCluster, ...] = ()


def parse_configfs_listing(text: str) -> ConfigfsListing:
    """Parse a recursive listing of `<root>/cluster` (reconstructed/ocfs2/configfs_cluster_tree_listing.txt).

    Every path must be part of the layout the kernel creates (§6.4), and appear after its parent directory, as
    `find` prints it. The root is whatever precedes `/cluster` on the first line.
    """
    tool = "configfs listing"
    lines = list(_lines(text))
    if not lines or not lines[0][1].endswith("/cluster"):
        lineno, line = lines[0] if lines else (1, "")
        raise ParseError(tool, lineno, line, "expected <configfs root>/cluster first")
    top = lines[0][1]
    root = top[: -len("/cluster")]
    seen = {top}
    clusters: dict[str, ListedCluster] = {}
    for lineno, line in lines[1:]:
        if not line.startswith(top + "/"):
            raise ParseError(tool, lineno, line, f"path outside {top}")
        parts = line[len(top) + 1 :].split("/")
        parent = line.rsplit("/", 1)[0]
        if parent not in seen:
            raise ParseError(tool, lineno, line, "path listed before its directory")
        if line in seen:
            raise ParseError(tool, lineno, line, "path listed twice")
        name = parts[0]
        if len(parts) == 1:
            if _CLUSTER_NAME.fullmatch(name) is None:
                raise ParseError(tool, lineno, line, "cluster directory is not a cluster name")
            clusters[name] = ListedCluster(name)
        elif not _layout_ok(parts):
            raise ParseError(tool, lineno, line, "not part of the o2nm/o2hb configfs layout")
        elif len(parts) == 3 and parts[1] == "node":
            clusters[name] = replace(clusters[name], nodes=(*clusters[name].nodes, parts[2]))
        elif len(parts) == 3 and parts[1] == "heartbeat" and parts[2] not in _HEARTBEAT_ATTRS:
            clusters[name] = replace(clusters[name], regions=(*clusters[name].regions, parts[2]))
        seen.add(line)
    return ConfigfsListing(root=root, clusters=tuple(clusters.values()))


def _layout_ok(parts: list[str]) -> bool:
    """Whether cluster-relative `parts` (`[cluster, ...]`) name a file or directory the kernel creates."""
    depth = len(parts)
    if depth == 2:
        return parts[1] in _CLUSTER_ATTRS or parts[1] in ("node", "heartbeat")
    if parts[1] == "node":
        if depth == 3:
            return _NODE_NAME.fullmatch(parts[2]) is not None
        return depth == 4 and parts[3] in _NODE_ATTRS
    if parts[1] == "heartbeat":
        if depth == 3:
            return parts[2] in _HEARTBEAT_ATTRS or _REGION.fullmatch(parts[2]) is not None
        return depth == 4 and _REGION.fullmatch(parts[2]) is not None and parts[3] in _REGION_ATTRS
    return False


def render_configfs_listing(listing: ConfigfsListing) -> str:
    """A `find`-style listing of the layout `listing` describes (attribute files included)."""
    top = f"{listing.root}/cluster"
    out = [top]
    for c in listing.clusters:
        base = f"{top}/{c.name}"
        out.append(base)
        out += [f"{base}/{a}" for a in ("idle_timeout_ms", "keepalive_delay_ms", "reconnect_delay_ms", "fence_method")]
        out.append(f"{base}/node")
        for node in c.nodes:
            out.append(f"{base}/node/{node}")
            out += [f"{base}/node/{node}/{a}" for a in ("num", "ipv4_port", "ipv4_address", "local")]
        out += [f"{base}/heartbeat", f"{base}/heartbeat/dead_threshold", f"{base}/heartbeat/mode"]
        for region in c.regions:
            out.append(f"{base}/heartbeat/{region}")
            out += [f"{base}/heartbeat/{region}/{a}" for a in ("block_bytes", "start_block", "blocks", "dev", "pid")]
    return "".join(f"{line}\n" for line in out)


@dataclass(frozen=True, slots=True)
class RegisteredNode:
    """A node directory under `cluster/<name>/node/`: number, address, port, and whether it is this host."""

    name: str
    num: int | None
    ipv4_address: str | None
    ipv4_port: int | None
    local: bool


@dataclass(frozen=True, slots=True)
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
        return self.heartbeat_mode is not HeartbeatMode.GLOBAL or bool(self.regions)

    @property
    def timeouts(self) -> Timeouts | None:
        """The current timeouts, when all four files were readable."""
        return _timeouts(self.dead_threshold, self.idle_timeout_ms, self.keepalive_delay_ms, self.reconnect_delay_ms)


def _read(path: str) -> str | None:
    """A configfs attribute's text, or None when the file (or its directory) vanished or cannot be read."""
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
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
    if _UINT.fullmatch(text) is None:
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
        if entry in _HEARTBEAT_ATTRS or not os.path.isdir(rbase):
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


# ---------------------------------------------------------------------------------------------------------------------
# Inputs from outside O2CB: Pacemaker's membership and name resolution


class MemberState(Enum):
    """A node's state in the controller's peer cache (`crm_node -l`); empty when the controller has none yet."""

    MEMBER = "member"
    LOST = "lost"
    UNKNOWN = ""


@dataclass(frozen=True, slots=True)
class Member:
    """One line of `crm_node -l`: the cluster layer's node id, the node name (may be empty), and its state."""

    id: int
    name: str
    state: MemberState


_CRM_NODE_LINE = re.compile(r"(0|[1-9][0-9]*) (\S*) (\S*)")


def parse_crm_node_list(text: str) -> tuple[Member, ...]:
    """Parse `crm_node -l` (pacemaker tools/crm_node.c node_list_default: "%" PRIu32 " %s %s" per node).

    Lists every known node, past and present; a node without a name yet prints an empty name (pcmk__s(uname, "")).
    """
    tool = "crm_node -l"
    members = []
    for lineno, line in _lines(text):
        match = _CRM_NODE_LINE.fullmatch(line)
        if match is None:
            raise ParseError(tool, lineno, line, "expected 'ID NAME STATE'")
        ident, name, state = match.groups()
        if int(ident) > 0xFFFFFFFF:
            raise ParseError(tool, lineno, line, "node id is not a 32-bit number")
        if state not in ("member", "lost", ""):
            raise ParseError(tool, lineno, line, f"unknown node state {state!r}")
        members.append(Member(id=int(ident), name=name, state=MemberState(state)))
    return tuple(members)


def render_crm_node_list(members: Iterable[Member]) -> str:
    """What `crm_node -l` prints for `members`."""
    return "".join(f"{m.id} {m.name} {m.state.value}\n" for m in members)


_GETENT_LINE = re.compile(r"(\S+) +(STREAM|DGRAM|RAW)(?: +(\S*))?")


def parse_getent_ahosts(text: str) -> tuple[str, ...]:
    """Parse `getent ahostsv4 NAME`: the distinct addresses, first (preferred) first.

    glibc nss/getent.c prints "%-15s %-6s %s\\n" (address, socket type, canonical name on the first line only).
    """
    tool = "getent ahostsv4"
    found: list[str] = []
    for lineno, line in _lines(text):
        match = _GETENT_LINE.fullmatch(line)
        if match is None or parse_ipv4(match.group(1)) is None:
            raise ParseError(tool, lineno, line, "expected 'ADDRESS SOCKTYPE [NAME]'")
        if match.group(1) not in found:
            found.append(match.group(1))
    return tuple(found)
