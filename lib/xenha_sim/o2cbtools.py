# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated `o2cb` tool of ocfs2-tools 1.8 (o2cb_ctl/o2cbtool.c, op_*.c) over a node's simulated configfs.

Output, messages and exit codes follow the C sources: results on stdout (verbosef VL_OUT), errors on stderr as
"o2cb: <text>" (errorf) or "o2cb: <error table message> <text>" (tcom_err, com_err's format), exit status 1 on any
failure (`ret ? 1 : 0` in main). Where a com_err message comes from an error table we could not read, it is marked
"(approximated)" below. Deliberate deviations from the real tool:

- `unregister-cluster NAME` while a *different* cluster is registered loops forever in the real tool
  (proceed_unregister never advances its index, op_register.c); the simulator reports "Cluster 'NAME' not active".
- `add-heartbeat` with an argument that is neither a known volume nor a UUID is refused instead of stored as a
  region name ("'X' is not a block device; assuming region").
- Three subcommands exist only here, as the simulated world's stand-ins for mkfs/mount: `sim-volume DEVICE UUID
  [LABEL]`, `sim-mount DEVICE MOUNTPOINT` and `sim-umount MOUNTPOINT`.

The node is $XENHA_SIM_NODE (what gethostname() returns on a simulated node), its configfs $XENHA_CONFIGFS or the
world's record (xenha_sim.o2cbsim.configfs_root), the configuration /etc/ocfs2/cluster.conf or --config-file.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from xenha.errors import ParseError
from xenha.o2cb.conf import (
    ClusterConf,
    ClusterStanza,
    HeartbeatStanza,
    NodeStanza,
    read_cluster_conf,
    render_cluster_conf,
)
from xenha.o2cb.configfs import (
    DEFAULT_CONF,
    DEFAULT_PORT,
    MAX_NODE_NUMBER,
    HeartbeatMode,
    is_cluster_name,
    is_region,
    parse_ipv4,
)
from xenha.record import replace
from xenha_sim.o2cblisting import render_list_cluster, render_list_clusters
from xenha_sim.o2cbsim import (
    SimConfigfs,
    SimError,
    add_volume,
    configfs_root,
    mount_volume,
    regions_pinned,
    umount_volume,
    volume,
    volume_by_uuid,
)
from xenha_sim.world import State, World, current_node, log_event, node_state, world_dir

__all__ = ["COMMANDS", "VERSION", "main"]

VERSION = "1.8.7"
_PROG = "o2cb"


@dataclass(frozen=True, slots=True)
class _Command:
    name: str
    usage: str
    help: str


# o2cbtool_cmds[] of ocfs2-tools 1.8 o2cb_ctl/o2cbtool.c, in order (the usage text lists them so).
COMMANDS = (
    _Command("add-cluster", "<clustername>", "Add cluster to the config file."),
    _Command("remove-cluster", "<clustername>", "Removes cluster from the config file."),
    _Command(
        "add-node",
        "[--ip <ip>] [--port <port>] [--number <num>] <clustername> <nodename>",
        "Adds a node to the cluster in the config file.",
    ),
    _Command("remove-node", "<clustername> <nodename>", "Removes a node from the cluster in the config file."),
    _Command(
        "add-heartbeat", "<clustername> [<uuid>|<device>]", "Adds a heartbeat region to the cluster in the config file."
    ),
    _Command(
        "remove-heartbeat",
        "<clustername> [<uuid>|<device>]",
        "Removes a heartbeat region from the cluster in the config file.",
    ),
    _Command("heartbeat-mode", "<clustername> {global|local}", "Toggles the heartbeat mode between global and local."),
    _Command("list-clusters", "", "Lists all the cluster names in the config file."),
    _Command(
        "list-cluster",
        "[--oneline] <clustername>",
        "Lists all the nodes and heartbeat regions associated with the cluster in the config file.",
    ),
    _Command(
        "list-nodes",
        "[--oneline] <clustername>",
        "Lists all the nodes associated with the cluster in the config file. ",
    ),
    _Command(
        "list-heartbeats",
        "[--oneline] <clustername>",
        "Lists all the heartbeat regions associated with the cluster in the config file.",
    ),
    _Command("register-cluster", "<clustername>", "Registers the cluster with configfs."),
    _Command("unregister-cluster", "<clustername>", "Unregisters the cluster from configfs."),
    _Command("start-heartbeat", "<clustername>", "Starts global heartbeat."),
    _Command("stop-heartbeat", "<clustername>", "Stops global heartbeat."),
    _Command("cluster-status", "[<clustername>]", "Returns 0 if cluster online, 1 otherwise."),
    _Command("online-cluster", "[<clustername>]", "Online cluster"),
    _Command("offline-cluster", "[<clustername>]", "Offline cluster"),
    _Command("sim-volume", "<device> <uuid> [<label>]", "(simulator) Declares a shared OCFS2 volume."),
    _Command("sim-mount", "<device> <mountpoint>", "(simulator) Mounts an OCFS2 volume on this node."),
    _Command("sim-umount", "<mountpoint>", "(simulator) Unmounts an OCFS2 volume on this node."),
)

# com_err messages of libo2cb/o2cb_err.et.
_SERVICE_UNAVAILABLE = "Unable to access cluster service"
_INTERNAL_FAILURE = "Internal logic failure"
_REGION_IN_USE = "Heartbeat region in use"
_INVALID_CLUSTER_NAME = "Invalid name for a cluster"
# o2cb_config_load returns -EIO for a file jconfig cannot parse; com_err's error_message() has no table for a
# negative code and prints this (e2fsprogs lib/et/error_message.c).
_BAD_CONFIG = "Unknown code ____ 251"


class _Usage(Exception):
    """Bad arguments: main prints "usage: CMD USAGE" (o_print_usage)."""


def _getopt_long(args: Sequence[str], options: Mapping[str, bool]) -> tuple[list[tuple[str, str]], list[str]]:
    """GNU getopt_long with no short options and permutation: (name, value) pairs and the operands."""
    found: list[tuple[str, str]] = []
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            operands += args[index:]
            break
        if not arg.startswith("--") or arg == "-":
            if arg.startswith("-") and arg != "-":
                raise _Usage(arg)
            operands.append(arg)
            continue
        name, sep, value = arg[2:].partition("=")
        if name not in options:
            raise _Usage(arg)
        if options[name] and not sep:
            if index >= len(args):
                raise _Usage(arg)
            value = args[index]
            index += 1
        elif not options[name] and sep:
            raise _Usage(arg)
        found.append((name, value))
    return found, operands


def _strtol(text: str) -> int | None:
    """strtol(text, &end, 0) with `*end` required to be NUL: decimal, 0x hex or 0 octal, or None."""
    body = text.strip(" \t")
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    try:
        if body.lower().startswith("0x"):
            return sign * int(body[2:], 16)
        if body.startswith("0") and len(body) > 1:
            return sign * int(body[1:], 8)
        return sign * int(body, 10)
    except ValueError:
        return None


def _node_is_local(nodename: str, hostname: str) -> bool:
    """op_register.c node_is_local: the name matches the host name up to a '.', ignoring case."""
    size = len(nodename)
    return hostname[:size].lower() == nodename.lower() and (len(hostname) == size or hostname[size] == ".")


class _Tool:
    """One invocation: the loaded configuration, the node's configfs, and where output goes."""

    def __init__(self, config_file: str, environ: Mapping[str, str], out: TextIO, err: TextIO, verbosity: int) -> None:
        self.config_file = config_file
        self.environ = environ
        self.out = out
        self.err = err
        self.verbosity = verbosity
        self.node = current_node(dict(environ))
        path = world_dir(dict(environ))
        self.world = World(path) if os.path.exists(os.path.join(path, "state.json")) else None
        self.fs = SimConfigfs(configfs_root(environ, self.world))
        self.conf = ClusterConf()
        self.modified = False
        self.print_usage = True

    # output -----------------------------------------------------------------------------------------------------

    def errorf(self, text: str) -> None:
        self.err.write(f"{_PROG}: {text}\n")

    def tcom_err(self, message: str, text: str) -> None:
        self.err.write(f"{_PROG}: {message} {text}\n")

    def appf(self, text: str) -> None:
        """verbosef(VL_APP, ...): shown with -v only, on stderr."""
        if self.verbosity >= 2:
            self.err.write(f"{text}\n")

    # shared steps -----------------------------------------------------------------------------------------------

    def cluster(self, name: str, *, lower: bool = False) -> ClusterStanza | None:
        found = self.conf.cluster(name)
        if found is None:
            self.errorf(f"{'unknown' if lower else 'Unknown'} cluster '{name}'")
        return found

    def init_stack(self) -> bool:
        """o2cbtool_init_cluster_stack: o2cb_init() fails without configfs and the O2CB modules."""
        if not self.fs.loaded:
            self.tcom_err(_SERVICE_UNAVAILABLE, "while initializing the cluster")
            return False
        return True

    def registered(self, name: str) -> bool:
        """is_cluster_registered (o2cbutils.c): a local node exists."""
        if name not in self.fs.clusters():
            return False
        return any(self.fs.node_attrs(name, n)["local"] == "1" for n in self.fs.nodes(name))

    def state(self) -> State | None:
        return None if self.world is None else self.world.snapshot()

    def change(self, update: Callable[[State], None]) -> bool:
        """Apply `update` to the world in a transaction; False (after an error message) without a world."""
        if self.world is None:
            self.errorf(f"no simulated world at {world_dir(dict(self.environ))}")
            return False
        with self.world.transaction() as state:
            update(state)
        return True

    def log(self, text: str) -> None:
        if self.world is not None:
            with self.world.transaction() as state:
                if node_state(state, self.node) is not None:
                    log_event(state, self.node, f"o2cb: {text}")

    # config-file commands (op_cluster.c, op_node.c, op_heartbeat.c, op_lists.c) ---------------------------------

    def add_cluster(self, args: list[str]) -> int:
        if len(args) < 1:
            return 1
        self.print_usage = False
        name = args[0].strip(" \t")
        if not self.valid_name(name):
            return 1
        if self.conf.cluster(name) is not None:
            self.errorf(f"Cluster '{name}' already exists")
            return 1
        stanza = ClusterStanza(name=name, node_count=0, heartbeat_mode=HeartbeatMode.LOCAL)
        self.conf = replace(self.conf, clusters=(*self.conf.clusters, stanza))
        self.modified = True
        self.appf(f"Added cluster '{name}'")
        return 0

    def valid_name(self, name: str) -> bool:
        """o2cbtool_validate_clustername."""
        if not name:
            self.tcom_err(_INVALID_CLUSTER_NAME, "; zero length")
        elif len(name) > 16:
            self.tcom_err(_INVALID_CLUSTER_NAME, "; max 16 characters")
        elif not is_cluster_name(name):
            self.tcom_err(_INVALID_CLUSTER_NAME, "; only alpha-numeric characters allowed")
        else:
            return True
        return False

    def remove_cluster(self, args: list[str]) -> int:
        if len(args) < 1 or not args[0].strip(" \t"):
            return 1
        self.print_usage = False
        name = args[0]
        if self.conf.cluster(name) is None:
            self.errorf(f"Unknown cluster '{name}'")
            return 1
        self.conf = ClusterConf(
            clusters=tuple(c for c in self.conf.clusters if c.name != name),
            nodes=tuple(n for n in self.conf.nodes if n.cluster != name),
            heartbeats=tuple(h for h in self.conf.heartbeats if h.cluster != name),
        )
        self.modified = True
        self.appf(f"Removed cluster '{name}'")
        return 0

    def add_node(self, args: list[str]) -> int:
        # op_node.c prints its own usage line. The source we read never clears o_print_usage here (nor in
        # remove-node), so main would print the usage line a second time, even on success; not reproduced.
        self.print_usage = False
        try:
            opts, operands = _getopt_long(args, {"ip": True, "port": True, "number": True})
        except _Usage:
            self.errorf(f"usage: add-node {COMMANDS[2].usage}")
            return 1
        ip: str | None = None
        port = -1
        number = -1
        for name, value in opts:
            if name == "ip":
                ip = value
            else:
                parsed = _strtol(value)
                if parsed is None:
                    self.errorf(f"invalid {'port' if name == 'port' else 'node'} number")
                    self.errorf(f"usage: add-node {COMMANDS[2].usage}")
                    return 1
                if name == "port":
                    port = parsed
                else:
                    number = parsed
        if len(operands) < 2:
            self.errorf(f"usage: add-node {COMMANDS[2].usage}")
            return 1
        cluster_name, node_name = operands[0], operands[1].strip(" \t")
        if not node_name:
            self.errorf("node name cannot be zero length")
            return 1
        cluster = self.cluster(cluster_name, lower=True)
        if cluster is None:
            return 1
        if ip is not None:
            if parse_ipv4(ip) is None:
                self.errorf(f"Bad IP Address '{ip}'")
                return 1
        else:
            state = self.state()
            record = node_state(state, node_name) if state is not None else None
            ip = (record or {}).get("address") or None
            if ip is None:
                self.errorf(f"Name or service not known, while looking up the IP address for '{node_name}'")
                return 1
        used = {n.number for n in self.conf.nodes_of(cluster_name)}
        if number == -1:
            number = next((i for i in range(MAX_NODE_NUMBER + 1) if i not in used), -1)
            if number == -1:
                self.errorf("Cluster is full - No more nodes can be added to it")
                return 1
        elif not 0 <= number <= MAX_NODE_NUMBER:
            self.errorf(f"Nodenum should be >=0 and < {MAX_NODE_NUMBER + 1} but is {number}")
            return 1
        elif number in used:
            self.errorf(f"Choose another node number as '{number}' is in use")
            return 1
        if self.conf.node(cluster_name, node_name) is not None:
            self.errorf(f"node '{node_name}' already exists")
            return 1
        port = DEFAULT_PORT if port == -1 else port
        node = NodeStanza(name=node_name, number=number, ip_address=ip, ip_port=port, cluster=cluster_name)
        self.conf = self.conf.with_cluster(
            replace(cluster, node_count=cluster.node_count + 1),
            (*self.conf.nodes_of(cluster_name), node),
            self.conf.heartbeats_of(cluster_name),
        )
        self.modified = True
        self.appf(
            f"Added node '{node_name}' in cluster '{cluster_name}' having ip '{ip}', port '{port}' and number "
            f"'{number}'"
        )
        return 0

    def remove_node(self, args: list[str]) -> int:
        self.print_usage = False
        if len(args) < 2:
            self.errorf(f"usage: remove-node {COMMANDS[3].usage}")
            return 1
        cluster_name, node_name = args[0], args[1]
        cluster = self.cluster(cluster_name, lower=True)
        if cluster is None:
            return 1
        if self.conf.node(cluster_name, node_name) is None:
            self.errorf(f"unknown node '{node_name}'")
            return 1
        self.conf = self.conf.with_cluster(
            replace(cluster, node_count=max(0, cluster.node_count - 1)),
            tuple(n for n in self.conf.nodes_of(cluster_name) if n.name != node_name),
            self.conf.heartbeats_of(cluster_name),
        )
        self.modified = True
        self.appf(f"Removed node '{node_name}' from cluster '{cluster_name}'")
        return 0

    def region_of(self, arg: str) -> str | None:
        """get_region (op_heartbeat.c): a block device's volume UUID, else the argument itself as a region."""
        state = self.state()
        vol = volume(state, arg) if state is not None else None
        if vol is not None:
            return vol["uuid"]
        if arg.startswith("/dev/"):
            self.tcom_err("No such file or directory", f"while reading region on device '{arg}'")  # (approximated)
            return None
        if not is_region(arg):
            self.errorf(f"'{arg}' is neither a simulated OCFS2 volume nor a region UUID")
            return None
        return arg

    def add_heartbeat(self, args: list[str]) -> int:
        if len(args) < 2:
            return 1
        self.print_usage = False
        region = self.region_of(args[1].strip(" \t"))
        if region is None:
            return 1
        cluster = self.cluster(args[0])
        if cluster is None:
            return 1
        if region in self.conf.regions_of(cluster.name):
            self.errorf(f"Heartbeat region '{region}' already exists")
            return 1
        self.conf = replace(self.conf, heartbeats=(*self.conf.heartbeats, HeartbeatStanza(region, cluster.name)))
        self.modified = True
        self.appf(f"Added heartbeat region '{region}' to cluster '{cluster.name}'")
        return 0

    def remove_heartbeat(self, args: list[str]) -> int:
        if len(args) < 2:
            return 1
        self.print_usage = False
        region = self.region_of(args[1])
        if region is None:
            return 1
        cluster = self.cluster(args[0])
        if cluster is None:
            return 1
        if region not in self.conf.regions_of(cluster.name):
            self.errorf(f"Unknown heartbeat region '{region}'")
            return 1
        kept = tuple(h for h in self.conf.heartbeats if not (h.cluster == cluster.name and h.region == region))
        self.conf = replace(self.conf, heartbeats=kept)
        self.modified = True
        self.appf(f"Removed heartbeat region '{region}' from cluster '{cluster.name}'")
        return 0

    def heartbeat_mode(self, args: list[str]) -> int:
        if len(args) < 2 or args[1] not in ("global", "local"):
            return 1
        self.print_usage = False
        cluster = self.cluster(args[0])
        if cluster is None:
            return 1
        self.conf = self.conf.with_cluster(
            replace(cluster, heartbeat_mode=HeartbeatMode(args[1])),
            self.conf.nodes_of(cluster.name),
            self.conf.heartbeats_of(cluster.name),
        )
        self.modified = True
        self.appf(f"Changed heartbeat mode in cluster '{cluster.name}' to '{args[1]}'")
        return 0

    def list_clusters(self, args: list[str]) -> int:
        self.print_usage = False
        self.out.write(render_list_clusters(c.name for c in self.conf.clusters))
        return 0

    def list_objects(self, command: str, args: list[str]) -> int:
        try:
            opts, operands = _getopt_long(args, {"oneline": False})
        except _Usage:
            return 1
        if not operands:
            return 1
        self.print_usage = False
        cluster = self.cluster(operands[0])
        if cluster is None:
            return 1
        text = render_list_cluster(self.conf, cluster.name, oneline=bool(opts))
        blocks = _list_blocks(text, oneline=bool(opts))
        if command == "list-nodes":
            text = "".join(b for b in blocks if b.startswith("node:"))
        elif command == "list-heartbeats":
            text = "".join(b for b in blocks if b.startswith("heartbeat:"))
        self.out.write(text)
        return 0

    # configfs commands (op_register.c, op_start.c, op_status.c) -------------------------------------------------

    def register_cluster(self, args: list[str]) -> int:
        if len(args) < 1:
            return 1
        self.print_usage = False
        name = args[0]
        cluster = self.cluster(name)
        if cluster is None or not self.valid_name(name) or not self.init_stack():
            return 1
        try:
            self.fs.create_cluster(name)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                self.tcom_err(_INTERNAL_FAILURE, f"while registering cluster '{name}'")
                return 1
        mode = cluster.effective_mode
        try:
            self.fs.set_heartbeat_mode(name, mode)
        except OSError:
            self.tcom_err(_INTERNAL_FAILURE, f"while registering heartbeat mode '{mode.value}'")
            return 1
        if self.unregister_nodes(name, only_missing=True):
            return 1
        for node in self.conf.nodes_of(name):
            if node.name in self.fs.nodes(name):
                continue  # O2CB_ET_NODE_EXISTS: "silently skip if node already registered"
            try:
                self.fs.add_node(
                    name,
                    node.name,
                    num=node.number,
                    address=node.ip_address,
                    port=node.ip_port,
                    local=_node_is_local(node.name, self.node),
                )
            except OSError:
                self.tcom_err(_INTERNAL_FAILURE, f"while registering node '{node.name}'")
                return 1
        self.appf(f"Cluster '{name}' registered")
        self.log(f"registered cluster {name}")
        return 0

    def unregister_nodes(self, name: str, *, only_missing: bool) -> int:
        """unregister_nodes (op_register.c): with only_missing, those gone from or changed in the config file."""
        for node in self.fs.nodes(name):
            if only_missing:
                wanted = self.conf.node(name, node)
                attrs = self.fs.node_attrs(name, node)
                if wanted is not None and (attrs["ipv4_address"], attrs["ipv4_port"], attrs["num"]) == (
                    wanted.ip_address,
                    str(wanted.ip_port),
                    str(wanted.number),
                ):
                    continue
            self.fs.remove_node(name, node)
        return 0

    def unregister_cluster(self, args: list[str]) -> int:
        if len(args) < 1:
            return 1
        self.print_usage = False
        name = args[0]
        if self.cluster(name) is None or not self.init_stack():
            return 1
        if name not in self.fs.clusters():
            # The real tool loops forever when another cluster is registered (see the module docstring).
            self.errorf(f"Cluster '{name}' not active")
            return 1
        if self.fs.regions(name):
            self.errorf("Atleast one heartbeat region is still active")
            return 1
        self.unregister_nodes(name, only_missing=False)
        try:
            self.fs.remove_cluster(name)
        except OSError:
            self.tcom_err(_INTERNAL_FAILURE, f"while unregistering cluster '{name}'")
            return 1
        self.appf(f"Cluster '{name}' unregistered")
        self.log(f"unregistered cluster {name}")
        return 0

    def heartbeat_command(self, args: list[str], *, start: bool) -> int:
        if len(args) < 1:
            return 1
        self.print_usage = False
        name = args[0]
        if self.cluster(name) is None or not self.init_stack():
            return 1
        if not self.registered(name):
            self.errorf(f"Cluster '{name}' not registered")
            return 1
        if self.fs.heartbeat_mode(name) is not HeartbeatMode.GLOBAL:
            return 0  # local heartbeat: nothing to do, and no output (op_start.c)
        state = self.state() or {}
        wanted = self.conf.regions_of(name)
        if start:
            for region in wanted:
                device = volume_by_uuid(state, region) if state else None
                if device is None:
                    self.tcom_err("Unknown heartbeat region", region)  # (approximated)
                    return 1
                if region not in self.fs.regions(name):
                    self.fs.start_region(name, region, device)
        clusters = self.fs.clusters()
        if not clusters or clusters[0] != name:
            self.errorf(f"Cluster {name} is not active")
            return 1
        for region in self.fs.regions(name):
            if start and region in wanted:
                continue
            if state and regions_pinned(state, self.node, self.fs, name):
                self.tcom_err(_REGION_IN_USE, f"while stopping heartbeat on region '{region}'")
                return 1
            self.fs.stop_region(name, region)
        self.out.write(f"Global heartbeat {'started' if start else 'stopped'}\n")
        self.log(f"global heartbeat {'started' if start else 'stopped'} for {name}")
        return 0

    def cluster_status(self, args: list[str]) -> int:
        self.print_usage = False
        name = ""
        online = False
        if self.init_stack():
            clusters = self.fs.clusters()
            if clusters:
                name = clusters[0]
                if args and args[0][:16] != name:
                    name = args[0][:16]
                elif self.registered(name):
                    global_mode = self.fs.heartbeat_mode(name) is HeartbeatMode.GLOBAL
                    online = not global_mode or bool(self.fs.regions(name))
        word = "online" if online else "offline"
        self.out.write(f"Cluster '{name}' is {word}\n" if name else f"{word}\n")
        return 0 if online else 1

    # simulator-only commands -----------------------------------------------------------------------------------

    def sim_volume(self, args: list[str]) -> int:
        if len(args) < 2 or not is_region(args[1]):
            return 1
        self.print_usage = False
        device, uuid = args[0], args[1]
        label = args[2] if len(args) > 2 else ""
        return 0 if self.change(lambda state: add_volume(state, device, uuid, label)) else 1

    def sim_mount(self, args: list[str], *, mount: bool) -> int:
        if len(args) < (2 if mount else 1):
            return 1
        self.print_usage = False

        def update(state: State) -> None:
            if mount:
                mount_volume(state, self.node, self.fs, args[0], args[1])
            else:
                umount_volume(state, self.node, self.fs, args[0])

        try:
            return 0 if self.change(update) else 1
        except (SimError, OSError) as exc:
            self.errorf(str(exc))
            return 1


def _list_blocks(text: str, *, oneline: bool) -> list[str]:
    """Split list-cluster output into its per-object pieces (lines, or stanzas with their blank line)."""
    if oneline:
        return text.splitlines(keepends=True)
    return [block + "\n\n" for block in text.split("\n\n") if block]


def _usage(err: TextIO) -> int:
    err.write(f"usage: {_PROG} [--config-file=path] [-h|--help] [-v|--verbose] [-V|--version] COMMAND [ARGS]\n")
    err.write("\nThe commands are:\n")
    for command in COMMANDS:
        err.write(f"  {command.name:<18}  {command.help}\n")
    err.write("\n")
    return 1


def _dispatch(tool: _Tool, name: str, args: list[str]) -> int:
    simple: dict[str, Callable[[list[str]], int]] = {
        "add-cluster": tool.add_cluster,
        "remove-cluster": tool.remove_cluster,
        "add-node": tool.add_node,
        "remove-node": tool.remove_node,
        "add-heartbeat": tool.add_heartbeat,
        "remove-heartbeat": tool.remove_heartbeat,
        "heartbeat-mode": tool.heartbeat_mode,
        "list-clusters": tool.list_clusters,
        "register-cluster": tool.register_cluster,
        "unregister-cluster": tool.unregister_cluster,
        "cluster-status": tool.cluster_status,
        "sim-volume": tool.sim_volume,
    }
    if name in simple:
        return simple[name](args)
    if name in ("list-cluster", "list-nodes", "list-heartbeats"):
        return tool.list_objects(name, args)
    if name in ("start-heartbeat", "stop-heartbeat"):
        return tool.heartbeat_command(args, start=name == "start-heartbeat")
    if name in ("sim-mount", "sim-umount"):
        return tool.sim_mount(args, mount=name == "sim-mount")
    tool.print_usage = False
    tool.errorf(f"Command '{name}' is not simulated")
    return 1


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run `o2cb ARGS...` (argv[0] is the program name); returns the exit status."""
    args = list(sys.argv if argv is None else argv)[1:]
    env = os.environ if environ is None else environ
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    config_file: str | None = None
    verbosity = 1
    show_help = show_version = False
    while args and args[0].startswith("-") and args[0] != "-":
        arg = args.pop(0)
        if arg == "--":
            break
        if arg.startswith("--config-file"):
            _, sep, value = arg.partition("=")
            if not sep:
                if not args or arg != "--config-file":
                    return _usage(err)
                value = args.pop(0)
            config_file = value
        elif arg in ("--help", "--verbose", "--version"):
            show_help |= arg == "--help"
            verbosity += arg == "--verbose"
            show_version |= arg == "--version"
        elif arg.startswith("--") or any(c not in "hvV" for c in arg[1:]):
            return _usage(err)
        else:
            show_help |= "h" in arg
            verbosity += arg.count("v")
            show_version |= "V" in arg
    if show_version:
        err.write(f"{_PROG} {VERSION}\n")
        return 1
    if show_help or not args:
        return _usage(err)
    name = args.pop(0)
    command = next((c for c in COMMANDS if c.name == name), None)
    if command is None:
        err.write(f"{_PROG}: Unknown command '{name}'\n")
        return _usage(err)
    path = config_file or env.get("XENHA_O2CB_CONF") or DEFAULT_CONF
    tool = _Tool(path, env, out, err, verbosity)
    try:
        tool.conf = read_cluster_conf(path) or ClusterConf()
    except (ParseError, OSError):
        tool.tcom_err(_BAD_CONFIG, f"while loading cluster configuration file '{path}'")
        return 1
    ret = _dispatch(tool, name, args)
    if tool.print_usage:
        tool.errorf(f"usage: {command.name} {command.usage}")
    if ret or not tool.modified:
        return 1 if ret else 0
    try:
        _store(path, render_cluster_conf(tool.conf))
    except OSError as exc:
        tool.tcom_err(exc.strerror or "I/O error", f"while storing the cluster configuration in file '{path}'")
        return 1
    return 0


def _store(path: str, text: str) -> None:
    """write_file (o2cb_config.c): a temporary file beside the target, mode 0644, renamed over it."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o755, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
