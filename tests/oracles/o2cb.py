# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracles for O2CB text that no product code reads (tests only): `o2cb list-cluster [--oneline]`, `list-clusters`
and `cluster-status`, the init script's `status`, `online-status` and action transcripts (ocfs2-tools
vendor/common/o2cb.init.sh; §6.3), a `find` listing of configfs (§6.4), and `crm_node -l` rendered back.

They read the fixtures, and the simulator's output, against the same grammar the product's parsers follow
(xenha.o2cb.conf for the stanza syntax, xenha.o2cb.configfs for the layout). Section numbers (§) refer to
shared/fixtures/GRAMMAR.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

from xenha.errors import ParseError
from xenha.o2cb.conf import ClusterConf, ClusterStanza, HeartbeatStanza, NodeStanza, Stanza, build_conf, scan_stanzas
from xenha.o2cb.configfs import (
    CLUSTER_ATTRS,
    HEARTBEAT_ATTRS,
    MAX_NODE_NUMBER,
    NODE_ATTRS,
    REGION_ATTRS,
    ActiveRegion,
    HeartbeatMode,
    Timeouts,
    numbered_lines,
    parse_ipv4,
    timeouts_of,
)
from xenha.o2cb.membership import Member

__all__ = [
    "ClusterStatus",
    "ConfigfsListing",
    "ConfigurePrompt",
    "InitStatus",
    "InitStep",
    "InitTranscript",
    "ListedCluster",
    "OnlineStatus",
    "parse_cluster_status",
    "parse_configfs_listing",
    "parse_init_status",
    "parse_init_transcript",
    "parse_list_cluster",
    "parse_list_cluster_oneline",
    "parse_list_clusters",
    "parse_online_status",
    "render_cluster_status",
    "render_configfs_listing",
    "render_crm_node_list",
    "render_init_status",
]

_CLUSTER_NAME = re.compile(r"[0-9A-Za-z]{1,16}")
_NODE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,63}")
_REGION = re.compile(r"[0-9A-F]{32}")
_UINT = re.compile(r"0|[1-9][0-9]*")


# ---------------------------------------------------------------------------------------------------------------------
# `o2cb list-cluster [--oneline] NAME`, `o2cb list-clusters`, `o2cb cluster-status` (§6.2)


def parse_list_cluster(text: str) -> ClusterConf:
    """Parse `o2cb list-cluster NAME` (§6.2): heartbeat, node, then one cluster stanza, each followed by a blank line.

    The stanza syntax is cluster.conf's (reconstructed/ocfs2/o2cb_list_cluster_webcluster.txt); the cluster stanza
    always carries heartbeat_mode (op_lists.c prints "local" when the file has none).
    """
    tool = "o2cb list-cluster"
    stanzas = scan_stanzas(text, tool)
    rank = {"heartbeat": 0, "node": 1, "cluster": 2}
    for previous, stanza in zip(stanzas, stanzas[1:], strict=False):
        if rank[stanza.kind] < rank[previous.kind]:
            raise ParseError(tool, stanza.lineno, stanza.line, f"{stanza.kind} stanza after a {previous.kind} stanza")
    conf = build_conf(stanzas, tool)
    if len(conf.clusters) != 1:
        last = stanzas[-1] if stanzas else Stanza("", len(text.splitlines()), "")
        raise ParseError(tool, last.lineno, last.line, "expected exactly one cluster stanza")
    if conf.clusters[0].heartbeat_mode is None:
        st = next(s for s in stanzas if s.kind == "cluster")
        raise ParseError(tool, st.lineno, st.line, "cluster stanza lacks heartbeat_mode")
    return conf


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
    for lineno, line in numbered_lines(text):
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
    for lineno, line in numbered_lines(text):
        names.append(_field("o2cb list-clusters", lineno, line, line, check=_CLUSTER_NAME, what="a cluster name"))
    return tuple(names)


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
    lines = list(numbered_lines(text))
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


class OnlineStatus(Enum):
    """`/etc/init.d/o2cb online-status`: exit 0, 1 and 2 respectively ("Return codes to userspace. Do not change.")."""

    ONLINE = "online"
    OFFLINE = "offline"
    ERROR = "error"


def parse_online_status(text: str) -> OnlineStatus:
    """Parse `/etc/init.d/o2cb online-status`: one word (reconstructed/ocfs2/o2cb_init_online_status_*.txt)."""
    lines = list(numbered_lines(text))
    if len(lines) != 1 or lines[0][1] not in ("online", "offline", "error"):
        lineno, line = lines[-1] if lines else (1, "")
        raise ParseError("o2cb online-status", lineno, line, "expected one line: online, offline or error")
    return OnlineStatus(lines[0][1])


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
        return timeouts_of(self.dead_threshold, self.idle_timeout_ms, self.keepalive_delay_ms, self.reconnect_delay_ms)


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
    for lineno, line in numbered_lines(text):
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
    for lineno, line in numbered_lines(text):
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
    lines = list(numbered_lines(text))
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
        elif len(parts) == 3 and parts[1] == "heartbeat" and parts[2] not in HEARTBEAT_ATTRS:
            clusters[name] = replace(clusters[name], regions=(*clusters[name].regions, parts[2]))
        seen.add(line)
    return ConfigfsListing(root=root, clusters=tuple(clusters.values()))


def _layout_ok(parts: list[str]) -> bool:
    """Whether cluster-relative `parts` (`[cluster, ...]`) name a file or directory the kernel creates."""
    depth = len(parts)
    if depth == 2:
        return parts[1] in CLUSTER_ATTRS or parts[1] in ("node", "heartbeat")
    if parts[1] == "node":
        if depth == 3:
            return _NODE_NAME.fullmatch(parts[2]) is not None
        return depth == 4 and parts[3] in NODE_ATTRS
    if parts[1] == "heartbeat":
        if depth == 3:
            return parts[2] in HEARTBEAT_ATTRS or _REGION.fullmatch(parts[2]) is not None
        return depth == 4 and _REGION.fullmatch(parts[2]) is not None and parts[3] in REGION_ATTRS
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


def render_crm_node_list(members: Iterable[Member]) -> str:
    """What `crm_node -l` prints for `members`."""
    return "".join(f"{m.id} {m.name} {m.state}\n" for m in members)
