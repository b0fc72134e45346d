# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies for the O2CB grammars (GRAMMAR.md §6): one composite per production, drawing a model."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from tests.oracles.o2cb import ClusterStatus, ConfigfsListing, InitStatus, ListedCluster
from xenha.o2cb.conf import ClusterConf, ClusterStanza, HeartbeatStanza, NodeStanza
from xenha.o2cb.configfs import MAX_NODE_NUMBER, ActiveRegion, HeartbeatMode, Timeouts
from xenha.o2cb.membership import Member, MemberState

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

cluster_names = st.text(_ALNUM, min_size=1, max_size=16)
node_names = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_ALNUM),
    st.text(_ALNUM + "_.-", max_size=20),
)
regions = st.text("0123456789ABCDEF", min_size=32, max_size=32)
node_numbers = st.integers(0, MAX_NODE_NUMBER)
ports = st.integers(1, 65534)
modes = st.sampled_from(HeartbeatMode.ALL)


@st.composite
def ipv4s(draw: st.DrawFn) -> str:
    """A dotted quad as inet_ntoa prints it (no leading zeros)."""
    return ".".join(str(draw(st.integers(0, 255))) for _ in range(4))


@st.composite
def cluster_stanzas(draw: st.DrawFn, *, name: str | None = None, with_mode: bool | None = None) -> ClusterStanza:
    """`cluster:` node_count, heartbeat_mode (absent in pre-1.8 files), name."""
    mode = draw(modes) if with_mode or (with_mode is None and draw(st.booleans())) else None
    return ClusterStanza(
        name=name or draw(cluster_names), node_count=draw(st.integers(0, MAX_NODE_NUMBER + 1)), heartbeat_mode=mode
    )


@st.composite
def node_stanzas(draw: st.DrawFn, *, cluster: str | None = None) -> NodeStanza:
    """`node:` number, name, ip_address, ip_port, cluster."""
    return NodeStanza(
        name=draw(node_names),
        number=draw(node_numbers),
        ip_address=draw(ipv4s()),
        ip_port=draw(ports),
        cluster=cluster or draw(cluster_names),
    )


@st.composite
def heartbeat_stanzas(draw: st.DrawFn, *, cluster: str | None = None) -> HeartbeatStanza:
    """`heartbeat:` region, cluster."""
    return HeartbeatStanza(region=draw(regions), cluster=cluster or draw(cluster_names))


@st.composite
def cluster_confs(draw: st.DrawFn) -> ClusterConf:
    """A whole cluster.conf: any number of each stanza (the grammar does not tie them together)."""
    return ClusterConf(
        clusters=tuple(draw(st.lists(cluster_stanzas(), max_size=3))),
        nodes=tuple(draw(st.lists(node_stanzas(), max_size=5))),
        heartbeats=tuple(draw(st.lists(heartbeat_stanzas(), max_size=3))),
    )


@st.composite
def listed_clusters(draw: st.DrawFn) -> ClusterConf:
    """What `o2cb list-cluster NAME` shows: one cluster (mode always printed), its nodes and its regions."""
    name = draw(cluster_names)
    return ClusterConf(
        clusters=(draw(cluster_stanzas(name=name, with_mode=True)),),
        nodes=tuple(draw(st.lists(node_stanzas(cluster=name), max_size=5))),
        heartbeats=tuple(draw(st.lists(heartbeat_stanzas(cluster=name), max_size=3))),
    )


@st.composite
def cluster_statuses(draw: st.DrawFn) -> ClusterStatus:
    """`o2cb cluster-status`: named or bare."""
    return ClusterStatus(name=draw(st.none() | cluster_names), online=draw(st.booleans()))


@st.composite
def timeouts(draw: st.DrawFn) -> Timeouts:
    """Four timeouts the agent accepts (minimums honoured, keepalive < idle)."""
    idle = draw(st.integers(5000, 120000))
    return Timeouts(
        dead_threshold=draw(st.integers(7, 200)),
        idle_timeout_ms=idle,
        keepalive_delay_ms=draw(st.integers(1000, idle - 1)),
        reconnect_delay_ms=draw(st.integers(2000, 60000)),
    )


@st.composite
def init_statuses(draw: st.DrawFn) -> InitStatus:
    """`/etc/init.d/o2cb status` of the 1.8 script, shaped as status() prints it."""
    configfs, dlmfs = draw(st.booleans()), draw(st.booleans())
    filesystems = [("configfs", draw(st.booleans()))] if configfs else []
    filesystems += [("ocfs2_dlmfs", draw(st.booleans()))] if dlmfs else []
    glue = draw(st.none() | st.booleans())
    status = InitStatus(
        drivers=(("configfs", configfs), ("ocfs2_dlmfs", dlmfs)),
        filesystems=tuple(filesystems),
        stack_glue_loaded=glue,
        stack_plugin=None if glue is None else ("o2cb", draw(st.booleans())),
        userdlm_domains=tuple(draw(st.lists(st.text(_ALNUM, min_size=1, max_size=8), max_size=3))),
        debugfs_mounted=draw(st.none() | st.booleans()),
    )
    cluster = draw(st.none() | cluster_names)
    if cluster is None:
        return status
    online = draw(st.booleans())
    status = replace(status, cluster=cluster, online=online)
    if not online:
        return status
    mode, active = draw(modes), draw(st.booleans())
    listed = active and mode is HeartbeatMode.GLOBAL
    dev = st.none() | st.text(_ALNUM + "!", min_size=1, max_size=10)
    found = draw(st.lists(st.builds(ActiveRegion, regions, dev), max_size=3)) if listed else []
    values = draw(timeouts())
    return replace(
        status,
        dead_threshold=values.dead_threshold,
        idle_timeout_ms=values.idle_timeout_ms,
        keepalive_delay_ms=values.keepalive_delay_ms,
        reconnect_delay_ms=values.reconnect_delay_ms,
        heartbeat_mode=mode,
        heartbeat_active=active,
        regions=tuple(found),
        live_nodes=tuple(draw(st.lists(node_numbers, max_size=4))) if listed and draw(st.booleans()) else None,
    )


@st.composite
def configfs_listings(draw: st.DrawFn) -> ConfigfsListing:
    """A configfs tree: a root path and up to two clusters with distinct nodes and regions."""
    root = "/" + "/".join(draw(st.lists(st.text(_ALNUM + "_.-", min_size=1, max_size=8), min_size=1, max_size=4)))
    names = draw(st.lists(cluster_names, max_size=2, unique=True))
    return ConfigfsListing(
        root=root,
        clusters=tuple(
            ListedCluster(
                name=name,
                nodes=tuple(draw(st.lists(node_names, max_size=4, unique=True))),
                regions=tuple(draw(st.lists(regions, max_size=3, unique=True))),
            )
            for name in names
        ),
    )


@st.composite
def members(draw: st.DrawFn) -> Member:
    """One `crm_node -l` line: id, name (empty until the controller learns it), state."""
    return Member(
        id=draw(st.integers(0, 2**32 - 1)),
        name=draw(st.just("") | node_names),
        state=draw(st.sampled_from(MemberState.ALL)),
    )


@st.composite
def getent_outputs(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    """(addresses, text) of `getent ahostsv4 NAME`: "%-15s %-6s %s" per address and socket type."""
    addresses = tuple(draw(st.lists(ipv4s(), min_size=1, max_size=3, unique=True)))
    name = draw(node_names)
    lines = []
    for index, address in enumerate(addresses):
        for kind in ("STREAM", "DGRAM", "RAW"):
            canonical = name if index == 0 and kind == "STREAM" else ""
            lines.append(f"{address:<15} {kind:<6} {canonical}\n")
    return addresses, "".join(lines)


@st.composite
def mutations(draw: st.DrawFn, text: str) -> str:
    """`text` with one random edit: a character deleted, replaced or inserted, or a line duplicated or dropped."""
    kind = draw(st.sampled_from(["delete", "replace", "insert", "dup", "drop"]))
    lines = text.splitlines(keepends=True)
    if kind in ("dup", "drop") and lines:
        index = draw(st.integers(0, len(lines) - 1))
        if kind == "dup":
            lines.insert(index, lines[index])
        else:
            del lines[index]
        return "".join(lines)
    char = draw(st.sampled_from(list(" \t\n:=#x9/.'\"Z-") + [chr(0xE9)]))
    if kind == "insert" or not text:
        index = draw(st.integers(0, len(text)))
        return text[:index] + char + text[index:]
    index = draw(st.integers(0, len(text) - 1))
    return text[:index] + ("" if kind == "delete" else char) + text[index + 1 :]
