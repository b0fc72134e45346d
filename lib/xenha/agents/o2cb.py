# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""O2cbCluster: the OCF agent that brings OCFS2's classic o2cb cluster stack online on each node, as a clone.

It does what `/etc/init.d/o2cb online|offline` of ocfs2-tools does (vendor/common/o2cb.init.sh), under Pacemaker:
`o2cb register-cluster`, the four timeouts written to configfs, `o2cb start-heartbeat` in global mode; and on stop
`o2cb stop-heartbeat` and `o2cb unregister-cluster`. It also keeps /etc/ocfs2/cluster.conf in line with Pacemaker's
membership (`crm_node -l`): it generates the file, or refuses one that disagrees. The monitor reads configfs only
(xenha.o2cb.configfs); cluster.conf and the membership parsers are imported by the actions that read them.
"""

from __future__ import annotations

import os
import sys

from xenha import __version__, ocf
from xenha.errors import ConfigError, NotInstalled, ParseError, ToolError, XenhaError
from xenha.o2cb.configfs import (
    DEFAULT_CONF,
    DEFAULT_CONFIGFS,
    DEFAULT_PORT,
    DEFAULT_TIMEOUTS,
    MAX_NODE_NUMBER,
    MAX_REGIONS,
    MAXIMUM_TIMEOUTS,
    MINIMUM_TIMEOUTS,
    TIMEOUT_FILES,
    HeartbeatMode,
    RegisteredCluster,
    Timeouts,
    is_cluster_name,
    is_node_name,
    list_configfs_clusters,
    parse_ipv4,
    read_configfs_cluster,
)
from xenha.ocf import ExitCode, log
from xenha.ocf.context import Context, bind_handlers
from xenha.ocf.params import read_bool, read_int, read_list, read_name, read_path, read_str
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from xenha.o2cb.conf import ClusterConf
    from xenha.o2cb.configfs import ActiveRegion
    from xenha.o2cb.membership import Member
    from xenha.ocf import Env, Handler
    from xenha.run import Result, Runner

__all__ = [
    "AGENT",
    "HANDLERS",
    "Params",
    "assess",
    "conf_problems",
    "desired_conf",
    "handlers",
    "main",
    "membership_problems",
    "monitor",
    "params_from",
    "start",
    "stop",
    "timeout_writes",
    "validate_all",
]

_log = log.get("xenha.agents.o2cb")

_LONGDESC = """\
Brings the O2CB cluster stack of OCFS2 (the in-kernel node manager, disk heartbeat, network layer and DLM) online
on this node, and takes it offline again. Run it as a clone, one instance per node that mounts OCFS2 volumes.

What it manages. start registers the cluster named by `cluster` with the kernel (`o2cb register-cluster`, which
creates /sys/kernel/config/cluster/NAME and one node directory per node of cluster.conf, marking the one whose name
matches this host's name as local), writes the four timeouts to configfs, and in global heartbeat mode starts the
heartbeat regions (`o2cb start-heartbeat`). stop stops the global heartbeat and unregisters the cluster (`o2cb
stop-heartbeat`, `o2cb unregister-cluster`). This is what `/etc/init.d/o2cb online` and `offline` do; do not also
enable O2CB_BOOTCLUSTER in /etc/default/o2cb.

What it needs. ocfs2-tools (the `o2cb` tool, 1.8 or later), configfs mounted, and the O2CB kernel modules loaded
(ocfs2_stack_o2cb, ocfs2_dlmfs: `/etc/init.d/o2cb load` at boot with O2CB_ENABLED=true and no boot cluster, or
modprobe). Loading and unloading modules is left to the boot scripts. Every node of the Pacemaker cluster must be
an O2CB node: /etc/ocfs2/cluster.conf lists exactly the nodes `crm_node -l` knows (members and lost nodes alike).
With generate_conf=true the agent writes that file at start: node numbers are the Pacemaker (corosync) node ids,
which must therefore be 1-254 (set nodeid in corosync.conf's nodelist); addresses come from the `addresses`
parameter or from resolving each node name (getent ahostsv4, i.e. /etc/hosts first, as `o2cb add-node` does without
--ip); loopback addresses are refused. Heartbeat stanzas and other clusters' stanzas of an existing file are kept.
With generate_conf=false (the default) the file is only checked, and start fails with "not configured" when it
disagrees with the membership, names no node for this host, or is malformed. Node names must equal the host names
(o2cb marks the local node by comparing names with gethostname()).

Failure behaviour. A start that cannot register leaves cleanup to the stop Pacemaker runs next. The timeouts must
be the same on every node (o2net refuses a peer with different ones) and cannot be changed while peers are
connected, so change them with the clone stopped everywhere. stop succeeds when the cluster is not registered, and
never reads cluster.conf, so a broken file cannot block it. stop fails only while heartbeat regions are still
active, which means an OCFS2 volume is still mounted on this node; the exit reason names the region and device.
Membership changes take effect at the next start of the clone instance.

Probes and monitor. The monitor reads configfs and never forks: it reports running when the cluster is registered
with a local node (and, in global mode, a heartbeat region is active), not running when it is not registered
(also when configfs or the modules are absent, and never an error for missing configuration on a probe), and a
failure when the cluster is half registered, runs in the other heartbeat mode, or has lost its global heartbeat.

Ordering with the other xenha agents. O2cbCluster starts after the shared disk is available (AoEExport on the
exporting side and the AoE/iSCSI initiator, or DRBD in dual-primary mode via DrbdDual) and before the Filesystem
resources that mount OCFS2 volumes, and Xen domains whose images live on them (XenDomain); stop runs in the reverse
order. Use an order constraint `O2cbCluster-clone then Filesystem-clone` and a colocation of the filesystems with it.
"""

AGENT = ocf.Agent(
    name="O2cbCluster",
    version=__version__,
    shortdesc="OCFS2 o2cb cluster stack (register, timeouts, heartbeat)",
    longdesc=_LONGDESC,
    parameters=(
        ocf.Parameter(
            "cluster",
            "O2CB cluster name",
            "The name of the O2CB cluster, as in the `cluster:` stanza of cluster.conf and in the OCFS2 volumes' "
            "superblocks (mkfs.ocfs2 --cluster-name). Up to 16 letters and digits. Default: ocfs2. Example: web.",
            default="ocfs2",
            unique=True,
        ),
        ocf.Parameter(
            "conf",
            "cluster.conf path",
            "The O2CB cluster layout file, passed to o2cb as --config-file. It must be identical on all nodes. "
            f"Default: {DEFAULT_CONF}.",
            default=DEFAULT_CONF,
        ),
        ocf.Parameter(
            "configfs",
            "configfs mount point",
            "Where configfs is mounted; the agent reads and writes cluster/<name>/ below it. Default: "
            f"{DEFAULT_CONFIGFS} (the environment variable XENHA_CONFIGFS overrides the default, for the lab).",
            default=DEFAULT_CONFIGFS,
        ),
        ocf.Parameter(
            "heartbeat_mode",
            "heartbeat mode",
            "local: o2cb heartbeats on every mounted OCFS2 volume (started by mount, stopped by umount). global: "
            "it heartbeats on the regions listed in `heartbeat:` stanzas of cluster.conf, started by this agent; "
            "recommended with three or more volumes. Must match heartbeat_mode in cluster.conf. Default: local.",
            default="local",
        ),
        ocf.Parameter(
            "dead_threshold",
            "disk heartbeat dead threshold",
            "Heartbeat iterations (2 s each) without a write before a node is declared dead: "
            "(dead_threshold - 1) * 2 seconds, 60 s by default. From "
            f"{MINIMUM_TIMEOUTS.dead_threshold} to {MAXIMUM_TIMEOUTS.dead_threshold}. "
            f"Default: {DEFAULT_TIMEOUTS.dead_threshold}. Written to "
            "configfs heartbeat/dead_threshold; the kernel ignores a change while any region is active.",
            type="integer",
            default=str(DEFAULT_TIMEOUTS.dead_threshold),
        ),
        ocf.Parameter(
            "idle_timeout_ms",
            "network idle timeout",
            "Milliseconds without traffic before o2net considers a connection dead. From "
            f"{MINIMUM_TIMEOUTS.idle_timeout_ms} to {MAXIMUM_TIMEOUTS.idle_timeout_ms}, "
            "and larger than keepalive_delay_ms. Default: "
            f"{DEFAULT_TIMEOUTS.idle_timeout_ms}. Must be the same on all nodes.",
            type="integer",
            default=str(DEFAULT_TIMEOUTS.idle_timeout_ms),
        ),
        ocf.Parameter(
            "keepalive_delay_ms",
            "network keepalive delay",
            "Longest time in milliseconds before o2net sends a keepalive packet on an idle connection. From "
            f"{MINIMUM_TIMEOUTS.keepalive_delay_ms} to {MAXIMUM_TIMEOUTS.keepalive_delay_ms}, "
            "and smaller than idle_timeout_ms. Default: "
            f"{DEFAULT_TIMEOUTS.keepalive_delay_ms}. Must be the same on all nodes.",
            type="integer",
            default=str(DEFAULT_TIMEOUTS.keepalive_delay_ms),
        ),
        ocf.Parameter(
            "reconnect_delay_ms",
            "network reconnect delay",
            "Shortest time in milliseconds between connection attempts to a peer. From "
            f"{MINIMUM_TIMEOUTS.reconnect_delay_ms} to {MAXIMUM_TIMEOUTS.reconnect_delay_ms}. "
            f"Default: {DEFAULT_TIMEOUTS.reconnect_delay_ms}.",
            type="integer",
            default=str(DEFAULT_TIMEOUTS.reconnect_delay_ms),
        ),
        ocf.Parameter(
            "generate_conf",
            "generate cluster.conf",
            "true: at start, write the cluster's stanzas of cluster.conf from Pacemaker's membership (node "
            "numbers = Pacemaker node ids, addresses from `addresses` or name resolution), keeping heartbeat "
            "stanzas and other clusters. false: only check the file and refuse it when it disagrees with the "
            "membership. Default: false.",
            type="boolean",
            default="false",
        ),
        ocf.Parameter(
            "addresses",
            "interconnect addresses",
            "With generate_conf: the O2CB address of nodes whose name does not resolve to it, as "
            "space-separated name=IPv4 pairs. Example: ha1=192.168.10.1 ha2=192.168.10.2. O2CB recommends a "
            "private low-latency interconnect. Default: empty (resolve every name).",
            default="",
        ),
        ocf.Parameter(
            "ip_port",
            "O2CB TCP port",
            f"With generate_conf: the TCP port o2net listens on, for every node. Default: {DEFAULT_PORT}.",
            type="integer",
            default=str(DEFAULT_PORT),
        ),
    ),
    actions=(
        ocf.Action("start", 90),
        ocf.Action("stop", 60),
        ocf.Action("monitor", 20, interval=20, depth=0),
        ocf.Action("validate-all", 30),
        ocf.Action("meta-data", 5),
    ),
)


@record
class Params:
    """The instance parameters, validated; `node` is this node's Pacemaker name."""

    cluster: str
    conf: str
    configfs: str
    heartbeat_mode: HeartbeatMode
    timeouts: Timeouts
    generate_conf: bool
    addresses: tuple[tuple[str, str], ...]
    ip_port: int
    node: str

    def address_of(self, node: str) -> str | None:
        """The address the `addresses` parameter gives `node`, or None."""
        return next((address for name, address in self.addresses if name == node), None)


def _timeout(params: Mapping[str, str], name: str, default: int) -> int:
    """A timeout from 0 to its MAXIMUM_TIMEOUTS value (the minimums are Timeouts.problems', with the pair rule)."""
    return read_int(params, name, default, low=0, high=getattr(MAXIMUM_TIMEOUTS, name))


def _addresses(params: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for word in read_list(params, "addresses"):
        name, sep, address = word.partition("=")
        if not sep or not is_node_name(name) or parse_ipv4(address) is None:
            raise ConfigError(f"addresses: {word!r} is not name=IPv4-address")
        pairs.append((name, address))
    return tuple(pairs)


def params_from(env: Env) -> Params:
    """Build and check Params from the environment; the only place parameter errors raise ConfigError."""
    params = env.params
    cluster = read_name(params, "cluster", "ocfs2")
    if not is_cluster_name(cluster):
        raise ConfigError(f"cluster {cluster!r}: not an O2CB cluster name (1-16 letters and digits)")
    mode = read_str(params, "heartbeat_mode", "local")
    if mode not in ("local", "global"):
        raise ConfigError(f"heartbeat_mode {mode!r}: must be local or global")
    timeouts = Timeouts(
        dead_threshold=_timeout(params, "dead_threshold", DEFAULT_TIMEOUTS.dead_threshold),
        idle_timeout_ms=_timeout(params, "idle_timeout_ms", DEFAULT_TIMEOUTS.idle_timeout_ms),
        keepalive_delay_ms=_timeout(params, "keepalive_delay_ms", DEFAULT_TIMEOUTS.keepalive_delay_ms),
        reconnect_delay_ms=_timeout(params, "reconnect_delay_ms", DEFAULT_TIMEOUTS.reconnect_delay_ms),
    )
    problems = timeouts.problems()
    if problems:
        raise ConfigError("; ".join(problems))
    return Params(
        cluster=cluster,
        conf=read_path(params, "conf", DEFAULT_CONF),
        # XENHA_CONFIGFS is the lab's override of the default, like the XENHA_* variables of xenha.paths.
        configfs=read_path(params, "configfs", env.environ.get("XENHA_CONFIGFS") or DEFAULT_CONFIGFS),
        heartbeat_mode=HeartbeatMode(mode),
        timeouts=timeouts,
        generate_conf=read_bool(params, "generate_conf", False),
        addresses=_addresses(params),
        # The kernel refuses port 0 and 65535 (o2nm_node_ipv4_port_store).
        ip_port=read_int(params, "ip_port", DEFAULT_PORT, low=1, high=65534),
        node=env.node,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Pure decisions


def conf_problems(conf: ClusterConf, p: Params) -> tuple[str, ...]:
    """What is wrong with `conf` for this resource, one short clause each; empty when it is usable."""
    cluster = conf.cluster(p.cluster)
    if cluster is None:
        return (f"no cluster stanza named {p.cluster}",)
    found = []
    nodes = conf.nodes_of(p.cluster)
    regions = conf.regions_of(p.cluster)
    if cluster.effective_mode != p.heartbeat_mode:
        found.append(f"heartbeat_mode is {cluster.effective_mode}, the resource says {p.heartbeat_mode}")
    if p.heartbeat_mode == HeartbeatMode.GLOBAL and not regions:
        found.append(f"global heartbeat needs a heartbeat region (o2cb add-heartbeat {p.cluster} DEVICE)")
    if len(regions) > MAX_REGIONS:
        found.append(f"{len(regions)} heartbeat regions, o2cb allows {MAX_REGIONS}")
    for what, values in (
        ("node name", [n.name for n in nodes]),
        ("node number", [str(n.number) for n in nodes]),
        ("address", [f"{n.ip_address}:{n.ip_port}" for n in nodes]),
        ("region", list(regions)),
    ):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            found.append(f"{what} {', '.join(twice)} used twice")
    if conf.node(p.cluster, p.node) is None:
        found.append(f"this node {p.node} is not in it")
    return tuple(found)


def membership_problems(conf: ClusterConf, cluster: str, members: Sequence[Member]) -> tuple[str, ...]:
    """How the cluster's node names differ from the nodes Pacemaker knows; empty when they are the same set."""
    known = {m.name for m in members}
    listed = {n.name for n in conf.nodes_of(cluster)}
    found = []
    if missing := sorted(known - listed):
        found.append(f"lacks Pacemaker node{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if extra := sorted(listed - known):
        found.append(f"lists {', '.join(extra)} unknown to Pacemaker")
    return tuple(found)


def desired_conf(
    existing: ClusterConf, p: Params, members: Sequence[Member], addresses: Mapping[str, str]
) -> ClusterConf:
    """`existing` with this cluster's stanzas generated from the membership; heartbeat stanzas are kept.

    Node numbers are the Pacemaker node ids, stable across membership changes and equal on every node; o2cb node
    numbers are 0-254 and corosync ids start at 1, so an id outside 1-254 is a ConfigError.
    """
    from xenha.o2cb.conf import ClusterStanza, NodeStanza

    nodes = []
    for member in sorted(members, key=lambda m: m.id):
        if not 1 <= member.id <= MAX_NODE_NUMBER:
            raise ConfigError(
                f"node {member.name}: Pacemaker node id {member.id} cannot be an O2CB node number (1-254); "
                f"set nodeid in corosync.conf's nodelist, or write {p.conf} yourself"
            )
        nodes.append(NodeStanza(member.name, member.id, addresses[member.name], p.ip_port, p.cluster))
    cluster = ClusterStanza(name=p.cluster, node_count=len(nodes), heartbeat_mode=p.heartbeat_mode)
    return existing.with_cluster(cluster, nodes, existing.heartbeats_of(p.cluster))


def timeout_writes(current: Timeouts | None, target: Timeouts) -> tuple[tuple[str, int], ...]:
    """The (name, value) writes that take configfs from `current` to `target`, in an order the kernel accepts.

    The kernel checks each write against the other value ("idle timeout must be larger than keepalive delay",
    nodemanager.c), so when the new idle timeout is not above the current keepalive delay, keepalive goes first.
    Unknown current values are taken as the kernel defaults and every value is written.
    """
    cur = current or DEFAULT_TIMEOUTS
    pair = ("idle_timeout_ms", "keepalive_delay_ms")
    if target.idle_timeout_ms <= cur.keepalive_delay_ms:
        pair = ("keepalive_delay_ms", "idle_timeout_ms")
    order = ("dead_threshold", *pair, "reconnect_delay_ms")
    return tuple(
        (name, getattr(target, name))
        for name in order
        if current is None or getattr(target, name) != getattr(current, name)
    )


def assess(cluster: RegisteredCluster | None, p: Params) -> tuple[ExitCode, str]:
    """The monitor's verdict on what configfs holds, with the sentence that explains it."""
    name = p.cluster
    if cluster is None:
        return ExitCode.NOT_RUNNING, f"cluster {name}: not registered"
    local = cluster.local_node
    if local is None:
        return ExitCode.ERR_GENERIC, (
            f"cluster {name}: registered without a local node (no node name in it matches this host's name)"
        )
    if cluster.heartbeat_mode is not None and cluster.heartbeat_mode != p.heartbeat_mode:
        return ExitCode.ERR_GENERIC, (
            f"cluster {name}: runs {cluster.heartbeat_mode} heartbeat, the resource says {p.heartbeat_mode}"
        )
    if p.heartbeat_mode == HeartbeatMode.GLOBAL and not cluster.regions:
        return ExitCode.ERR_GENERIC, f"cluster {name}: global heartbeat has no active region"
    return ExitCode.SUCCESS, f"cluster {name}: online as node {local.name} (number {local.num})"


def _regions_text(regions: Sequence[ActiveRegion]) -> str:
    return ", ".join(f"{r.uuid} on {r.device}" if r.device else r.uuid for r in regions)


# ---------------------------------------------------------------------------------------------------------------------
# I/O helpers


def _registered(p: Params) -> RegisteredCluster | None:
    return read_configfs_cluster(p.configfs, p.cluster)


def _require_configfs(p: Params) -> tuple[str, ...]:
    """The clusters configfs holds; NotInstalled when configfs or the O2CB modules are missing."""
    if not os.path.isdir(p.configfs):
        raise NotInstalled(f"configfs is not mounted at {p.configfs} (mount -t configfs none {p.configfs})")
    clusters = list_configfs_clusters(p.configfs)
    if clusters is None:
        raise NotInstalled(f"{p.configfs}/cluster is missing: the O2CB kernel modules are not loaded")
    return clusters


def _o2cb(ctx: Context, p: Params, conf: str, *args: str) -> Result:
    argv = ["o2cb", f"--config-file={conf}", *args]
    return ctx.run(argv, ctx.deadline).raise_for_status(f"cluster {p.cluster}: o2cb {args[0]}")


def _prepare_conf(p: Params, ctx: Context, members: Sequence[Member] | None, *, write: bool) -> None:
    """Generate or check cluster.conf; ConfigError (one line) when it cannot be used for this cluster.

    `members` is None when the membership is unknown (validate-all outside a running cluster): then only the file
    itself is checked.
    """
    from xenha.o2cb.conf import ClusterConf, read_cluster_conf, write_cluster_conf
    from xenha.o2cb.membership import interconnect_address

    try:
        existing = read_cluster_conf(p.conf, deadline=ctx.deadline)
    except ParseError as exc:
        raise ConfigError(exc.reason) from exc
    except OSError as exc:  # a FIFO, a directory, a device or a file over CONF_MAX_BYTES: files.FileRefused
        raise ConfigError(f"{p.conf}: cannot read: {exc.strerror}") from exc
    if p.generate_conf:
        if members is None:
            return  # start regenerates the file; all that can be checked now is that it parses
        strangers = sorted({name for name, _ in p.addresses} - {m.name for m in members})
        if strangers:
            _log.warning("cluster %s: addresses names %s, unknown to Pacemaker", p.cluster, ", ".join(strangers))
        addresses = {m.name: interconnect_address(m.name, p.address_of(m.name), ctx.run, ctx.deadline) for m in members}
        twice = sorted({a for a in addresses.values() if list(addresses.values()).count(a) > 1})
        if twice:
            raise ConfigError(f"nodes share the address {', '.join(twice)}; set addresses")
        wanted = desired_conf(existing or ClusterConf(), p, members, addresses)
        problems = conf_problems(wanted, p)
        if problems:
            raise ConfigError(f"generated cluster.conf: {'; '.join(problems)} ({p.conf})")
        if write and wanted != existing:
            write_cluster_conf(p.conf, wanted)
            _log.info("cluster %s: wrote %s for nodes %s", p.cluster, p.conf, ", ".join(m.name for m in members))
        return
    if existing is None:
        raise ConfigError(f"{p.conf}: not found (write it with o2cb add-cluster/add-node, or set generate_conf=true)")
    cluster = existing.cluster(p.cluster)
    if cluster is not None and cluster.node_count != len(existing.nodes_of(p.cluster)):
        # Only o2cb's own bookkeeping (o2cb_config.c numbers new nodes from it); the kernel never sees it.
        _log.warning(
            "%s: node_count is %d but the cluster has %d nodes",
            p.conf,
            cluster.node_count,
            len(existing.nodes_of(p.cluster)),
        )
    problems = conf_problems(existing, p)
    if members is not None:
        problems += membership_problems(existing, p.cluster, members)
    if problems:
        raise ConfigError(f"cluster.conf: {'; '.join(problems)} ({p.conf})")  # the problem first: reasons are clipped


def _write_timeouts(p: Params, cluster: RegisteredCluster) -> None:
    """Write the timeouts that differ, in a safe order; check the dead threshold took (it does not while hb runs)."""
    import errno

    base = os.path.join(p.configfs, "cluster", p.cluster)
    for name, value in timeout_writes(cluster.timeouts, p.timeouts):
        path = os.path.join(base, TIMEOUT_FILES[name])
        try:
            with open(path, "w", encoding="ascii") as handle:
                handle.write(f"{value}\n")
        except OSError as exc:
            hint = ""
            if exc.errno == errno.EINVAL and name != "dead_threshold":
                hint = " (o2net refuses new timeouts once a peer is connected: stop the clone on every node first)"
            raise ToolError(f"cluster {p.cluster}: cannot set {name} to {value}: {exc.strerror}{hint}") from exc
        _log.debug("cluster %s: %s = %d", p.cluster, name, value)
    after = _registered(p)
    if after is not None and after.dead_threshold != p.timeouts.dead_threshold:
        _log.warning(
            "cluster %s: dead_threshold stays %s (the kernel keeps it while a heartbeat region is active)",
            p.cluster,
            after.dead_threshold,
        )


def _stop_conf(p: Params, ctx: Context, cluster: RegisteredCluster) -> str:
    """A one-stanza cluster.conf for stop: o2cb's stop-heartbeat and unregister-cluster act on what configfs holds
    and only need the cluster to be named in the file they load (op_start.c, op_register.c), so stop never depends
    on the real file."""
    from xenha.o2cb.conf import ClusterConf, ClusterStanza, render_cluster_conf

    text = render_cluster_conf(ClusterConf(clusters=(ClusterStanza(p.cluster, 0, cluster.heartbeat_mode),)))
    name = f"{p.cluster}.stop.conf"
    try:
        ctx.state.write(name, text)
        return os.path.join(ctx.state.path, name)
    except (XenhaError, OSError) as exc:  # an untrusted state directory (or a full /run) must not fail a stop
        import tempfile

        why = exc.reason if isinstance(exc, XenhaError) else exc.strerror
        _log.warning("cluster %s: %s; stop's cluster.conf goes to a private temporary directory", p.cluster, why)
        path = os.path.join(tempfile.mkdtemp(prefix="xenha-o2cb-"), name)  # mode 0700, a name nobody can guess
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path


def _forget_stop_conf(ctx: Context, conf: str) -> None:
    """Remove what _stop_conf wrote: the state file, or the private temporary directory and its one file."""
    directory = os.path.dirname(conf)
    if directory == ctx.state.path:
        ctx.state.remove(os.path.basename(conf))
        return
    try:
        os.unlink(conf)
        os.rmdir(directory)
    except OSError as exc:
        _log.debug("%s: not removed: %s", conf, exc.strerror)


# ---------------------------------------------------------------------------------------------------------------------
# Handlers


def start(p: Params, ctx: Context) -> ExitCode:
    """Register the cluster, set its timeouts, start global heartbeat; succeed at once when already online."""
    from xenha.o2cb.membership import query_members

    code, text = assess(_registered(p), p)
    if code == ExitCode.SUCCESS:
        _log.info("%s; start has nothing to do", text)
        return ExitCode.SUCCESS
    others = [c for c in _require_configfs(p) if c != p.cluster]
    if others:
        raise ToolError(f"cluster {p.cluster}: configfs already holds O2CB cluster {others[0]} (the kernel allows one)")
    _prepare_conf(p, ctx, query_members(ctx.run, ctx.deadline), write=True)
    _o2cb(ctx, p, p.conf, "register-cluster", p.cluster)
    cluster = _registered(p)
    if cluster is None or not cluster.is_registered:
        raise ToolError(
            f"cluster {p.cluster}: no node of cluster.conf is this host ({os.uname().nodename}); "
            f"node names must be host names ({p.conf})"
        )
    _write_timeouts(p, cluster)
    if p.heartbeat_mode == HeartbeatMode.GLOBAL:
        _o2cb(ctx, p, p.conf, "start-heartbeat", p.cluster)
    code, text = assess(_registered(p), p)
    if code != ExitCode.SUCCESS:
        raise ToolError(text)
    _log.info("%s", text)
    return ExitCode.SUCCESS


def stop(p: Params, ctx: Context) -> ExitCode:
    """Stop global heartbeat and unregister; fail only while mounted volumes keep heartbeat regions active."""
    cluster = _registered(p)
    if cluster is None:
        _log.info("cluster %s: not registered; nothing to stop", p.cluster)
        return ExitCode.SUCCESS
    conf = _stop_conf(p, ctx, cluster)
    failure = ""
    if cluster.heartbeat_mode == HeartbeatMode.GLOBAL and cluster.regions and cluster.is_registered:
        result = ctx.run(["o2cb", f"--config-file={conf}", "stop-heartbeat", p.cluster], ctx.deadline)
        failure = "" if result.ok else f" ({result.fail_reason})"
        if failure:
            _log.warning("cluster %s: o2cb stop-heartbeat failed: %s", p.cluster, result.fail_reason)
        cluster = _registered(p)
        if cluster is None:
            return ExitCode.SUCCESS
    if cluster.regions:
        raise ToolError(
            f"cluster {p.cluster}: heartbeat region {_regions_text(cluster.regions)} still active: "
            f"stop the Filesystem using it{failure}"
        )
    _o2cb(ctx, p, conf, "unregister-cluster", p.cluster)
    if _registered(p) is not None:
        raise ToolError(f"cluster {p.cluster}: still in {p.configfs} after o2cb unregister-cluster")
    _forget_stop_conf(ctx, conf)
    _log.info("cluster %s: unregistered", p.cluster)
    return ExitCode.SUCCESS


def monitor(p: Params, ctx: Context) -> ExitCode:
    """Read configfs (no fork): running, not running (also without configfs), or failed with the reason."""
    code, text = assess(read_configfs_cluster(p.configfs, p.cluster, local_only=True), p)
    if code == ExitCode.ERR_GENERIC:
        raise ToolError(text)
    _log.debug("%s", text)
    return code


def validate_all(p: Params, ctx: Context) -> ExitCode:
    """Check the parameters, the o2cb tool, configfs, and cluster.conf (against the membership when it is known)."""
    from xenha.o2cb.membership import query_members

    if ctx.paths.which("o2cb") is None:
        raise NotInstalled("o2cb: not installed (package ocfs2-tools)")
    _require_configfs(p)
    members: tuple[Member, ...] | None
    try:
        members = query_members(ctx.run, ctx.deadline)
    except (ToolError, ParseError, NotInstalled) as exc:
        _log.warning("membership unknown, cluster.conf checked alone: %s", exc.reason)
        members = None
    _prepare_conf(p, ctx, members, write=False)
    return ExitCode.SUCCESS


HANDLERS = {"start": start, "stop": stop, "monitor": monitor, "validate-all": validate_all}


def handlers(runner: Runner | None = None) -> dict[str, Handler]:
    """ocf.run's handler table; tests pass a scripted runner."""
    return bind_handlers(AGENT, params_from, HANDLERS, runner=runner)


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, runner: Runner | None = None
) -> int:
    """The launcher's entry point: run one OCF action and return its exit code."""
    return ocf.run(
        AGENT, handlers(runner), os.environ if environ is None else environ, sys.argv if argv is None else argv
    )
