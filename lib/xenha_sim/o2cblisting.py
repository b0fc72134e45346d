# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the simulated `o2cb list-cluster [--oneline] NAME` and `o2cb list-clusters` print (ocfs2-tools 1.8
o2cb_ctl/op_lists.c format strings), from the product's cluster.conf model. No product code reads these listings.
"""

from __future__ import annotations

from collections.abc import Iterable

from xenha.o2cb.conf import ClusterConf, render_stanza

__all__ = ["render_list_cluster", "render_list_clusters"]


def render_list_cluster(conf: ClusterConf, name: str, *, oneline: bool = False) -> str:
    """What `o2cb list-cluster [--oneline] NAME` prints.

    Raises KeyError when `conf` has no cluster `name` (o2cb prints "Unknown cluster 'NAME'" then).
    """
    cluster = conf.cluster(name)
    if cluster is None:
        raise KeyError(name)
    nodes, regions = conf.nodes_of(name), conf.regions_of(name)
    mode = str(cluster.effective_mode)
    if oneline:
        lines = [f"heartbeat: {r} {name}\n" for r in regions]
        lines += [f"node: {n.number} {n.name} {n.ip_address}:{n.ip_port} {name}\n" for n in nodes]
        lines.append(f"cluster: {cluster.node_count} {mode} {name}\n")
        return "".join(lines)
    out = [render_stanza("heartbeat", (("region", r), ("cluster", name))) for r in regions]
    out += [
        render_stanza(
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
    out.append(
        render_stanza("cluster", (("node_count", str(cluster.node_count)), ("heartbeat_mode", mode), ("name", name)))
    )
    return "".join(out)


def render_list_clusters(names: Iterable[str]) -> str:
    """What `o2cb list-clusters` prints: one name per line."""
    return "".join(f"{name}\n" for name in names)
