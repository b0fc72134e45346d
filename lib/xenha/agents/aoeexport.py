# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""AoEExport: export a block device or file as an ATA-over-Ethernet target with vblade, detached and supervised.

The monitor reads our pid file and /proc/PID/cmdline (no process is started) and imports only xenha.aoe.vblade
beyond the protocol core; start, stop, reload, validate-all and the deep monitor load xenha.aoe.export.
"""

from __future__ import annotations

import os
import sys

from xenha import __version__, ocf
from xenha.aoe.vblade import (
    BROADCAST_SHELF,
    BROADCAST_SLOT,
    MAX_SHELF,
    MAX_SLOT,
    AoeAddress,
    PidRecord,
    VbladeArgs,
    cmdline_args,
    normalize_mac,
    parse_pid_record,
    read_cmdline,
    same_export,
)
from xenha.errors import ConfigError, XenhaError
from xenha.ocf import ExitCode, log
from xenha.ocf.context import Context, bind_handlers
from xenha.ocf.params import name_problem, read_bool, read_int, read_list, read_path, read_str
from xenha.paths import Paths
from xenha.record import record
from xenha.state import StateDir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from xenha.ocf import Env
    from xenha.run import Deadline, Runner

__all__ = [
    "AGENT",
    "HANDLERS",
    "Params",
    "Unhealthy",
    "main",
    "params_from",
    "serves",
]

_log = log.get("xenha.agents.aoeexport")

# At most this many MAC addresses in mac_allow: vblade keeps them in a fixed table (aoe.c `Nmasks` = 32) and its
# `setmask` does not check the bound.
MAX_MACS = 32

_LONGDESC = """\
Exports one block device (typically a DRBD device on its Primary) or a regular file as an ATA over Ethernet
(AoE) target e<shelf>.<slot> on one Ethernet interface, by running vblade (Debian package vblade). Initiators
on the same Ethernet segment (the Linux aoe driver, or Xen guests' dom0s) see it as /dev/etherd/e<shelf>.<slot>.
Needs root (vblade opens a raw packet socket) and the vblade binary on this node.

start: validates the parameters and this node (vblade installed, interface and device present), refuses when a
vblade on this node already serves the same shelf and slot on that interface, and refuses when any other target
on the segment answers a Query Config broadcast for e<shelf>.<slot> (two targets with one address corrupt data
on the initiators). It then starts vblade fully detached (its own session, standard input from /dev/null,
output to a log file under /run/xenha/AoEExport, no other inherited descriptors), records its pid and command
line in a pid file there, and returns once vblade has printed its start-up line (the socket is bound and it
serves), or, when monitor_nic is set, once the target answers over the wire. An address conflict or a vblade
that exits at start-up (for example "open: Wrong medium type" for a DRBD device that is not Primary) fails
the start with the reason.

stop: sends SIGTERM to the recorded vblade and to any other vblade on this node serving the same address on the
same interface, then SIGKILL when two thirds of the stop timeout have passed. It never fails because the device
or the interface has gone, and it succeeds when nothing was running.

monitor: reads the pid file and /proc/PID/cmdline (no process is started): running means that process is vblade
serving our shelf and slot on our interface. A missing or stale pid file is "not running" (7), also for probes.
OCF_CHECK_LEVEL=10 also checks that vblade still has the exported file open (not deleted), that its packet
socket is bound to the interface and the interface is up, and, when monitor_nic is set, that the target answers
a Query Config over the wire from our interface's MAC address.

reload: when parameters change, restarts vblade with the new ones if it is running (vblade cannot change them in
place); never starts a stopped export (it then returns 7).

Ordering: start it after the storage it exports (for DRBD, order promote then start, colocated with the Promoted
role); initiators must not be started before it."""

AGENT = ocf.Agent(
    name="AoEExport",
    version=__version__,
    shortdesc="ATA over Ethernet target (vblade)",
    longdesc=_LONGDESC,
    parameters=(
        ocf.Parameter(
            "device",
            "exported block device or file",
            "Absolute path of the block device or regular file to export, opened by vblade at start. "
            "Example: /dev/drbd0 or /dev/drbd/by-res/r0/0. A DRBD device must be Primary on this node.",
            required=True,
        ),
        ocf.Parameter(
            "shelf",
            "AoE shelf number (major)",
            "The target's shelf address, an integer from 0 to 65534 (65535 is the broadcast shelf). "
            "Together with slot it must be unique on the Ethernet segment. Example: 1.",
            type="integer",
            required=True,
        ),
        ocf.Parameter(
            "slot",
            "AoE slot number (minor)",
            "The target's slot address, an integer from 0 to 254 (255 is the broadcast slot). Example: 0.",
            type="integer",
            required=True,
        ),
        ocf.Parameter(
            "nic",
            "Ethernet interface to serve on",
            "The network interface vblade binds to; initiators must be on the same Ethernet segment. "
            "A bridge works. Example: eth1 or xenbr1.",
            required=True,
        ),
        ocf.Parameter(
            "read_only",
            "export read-only",
            "When true, vblade opens the device read-only (-r) and initiators cannot write. Default: false.",
            type="boolean",
            default="false",
        ),
        ocf.Parameter(
            "mac_allow",
            "initiator MAC addresses allowed",
            "Comma- or space-separated MAC addresses of the only initiators vblade answers (-m); empty "
            f"(the default) answers every initiator. At most {MAX_MACS}. Example: 00:16:3e:00:00:01,00:16:3e:00:00:02.",
            default="",
        ),
        ocf.Parameter(
            "direct_io",
            "bypass the page cache (O_DIRECT)",
            "When true, vblade opens the device with O_DIRECT (-d). Default: false.",
            type="boolean",
            default="false",
        ),
        ocf.Parameter(
            "sync_io",
            "synchronous writes (O_SYNC)",
            "When true, vblade opens the device with O_SYNC (-s), so a write is acknowledged only once it is "
            "on stable storage. Default: false.",
            type="boolean",
            default="false",
        ),
        ocf.Parameter(
            "buffers",
            "socket buffer count",
            "Number of frames (of the interface's MTU) vblade's socket buffers hold (-b), 1 to 65535; vblade "
            "also advertises it to initiators as its buffer count. Default: 16 (vblade's own default).",
            type="integer",
            default="16",
        ),
        ocf.Parameter(
            "monitor_nic",
            "interface for the over-the-wire monitor",
            "An interface of this node on the same Ethernet segment as nic but not nic itself (for example the "
            "other end of a veth pair, or a second NIC on the same switch). When set, start waits until the target "
            "answers a Query Config sent from it, and OCF_CHECK_LEVEL=10 monitors ask the same. It cannot be nic: "
            "Linux never delivers frames a host sends to its own vblade's socket. Default: empty (no wire check).",
            default="",
        ),
    ),
    actions=(
        ocf.Action("start", 30),
        ocf.Action("stop", 30),
        ocf.Action("monitor", 20, interval=10, depth=0),
        ocf.Action("monitor", 30, interval=60, depth=10),
        ocf.Action("reload", 30),
        ocf.Action("validate-all", 10),
        ocf.Action("meta-data", 5),
    ),
)

# Linux IFNAMSIZ is 16 with the terminating NUL (dev_valid_name, net/core/dev.c).
_IFNAME_MAX = 15


class Unhealthy(XenhaError):
    """Raised by a deep monitor that finds vblade running but not serving as it should."""


@record
class Params:
    """The validated parameters of one instance."""

    device: str
    shelf: int
    slot: int
    nic: str
    read_only: bool = False
    mac_allow: tuple[str, ...] = ()
    direct_io: bool = False
    sync_io: bool = False
    buffers: int | None = None
    monitor_nic: str | None = None

    @property
    def address(self) -> AoeAddress:
        return AoeAddress(self.shelf, self.slot)

    @property
    def label(self) -> str:
        """How log lines and exit reasons name the export (xenha.aoe.export.label of its vblade_args)."""
        return f"vblade {self.address} on {self.nic}"

    @property
    def vblade_args(self) -> VbladeArgs:
        return VbladeArgs(
            shelf=self.shelf,
            slot=self.slot,
            netif=self.nic,
            path=self.device,
            read_only=self.read_only,
            direct_io=self.direct_io,
            sync_io=self.sync_io,
            buffers=self.buffers,
            macs=self.mac_allow,
        )


def _shown(value: str) -> str:
    """A parameter value quoted in a reason: at most 40 characters of it (reasons stay under 128 bytes)."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _required(params: Mapping[str, str], name: str) -> str:
    value = read_str(params, name)
    if not value:
        raise ConfigError(f"{name} is required")
    return value


def _address_part(params: Mapping[str, str], name: str, high: int, broadcast: int) -> int:
    """shelf or slot: required, 0 to `high`; the all-ones broadcast value gets its own reason."""
    if _required(params, name) == str(broadcast):
        raise ConfigError(f"{name}={broadcast}: out of range, 0 to {high} ({broadcast} is the broadcast {name})")
    return read_int(params, name, 0, low=0, high=high)


def _ifname(params: Mapping[str, str], name: str) -> str | None:
    """An interface name (a name that reaches vblade's argv: never an option), None when empty."""
    value = read_str(params, name)
    if not value:
        return None
    problem = name_problem(value, max_len=_IFNAME_MAX)
    if problem is not None:
        raise ConfigError(f"{name}={_shown(value)}: not a network interface name ({problem})")
    return value


def _strict(params: Mapping[str, str]) -> Params:
    device = read_path(params, "device") or _required(params, "device")
    nic = _ifname(params, "nic")
    if nic is None:
        raise ConfigError("nic is required")
    macs: list[str] = []
    for item in read_list(params, "mac_allow"):
        mac = normalize_mac(item)
        if mac is None:
            raise ConfigError(f"mac_allow: {_shown(item)} is not a MAC address")
        macs.append(mac)
    if len(macs) > MAX_MACS:
        raise ConfigError(f"mac_allow: {len(macs)} addresses, vblade takes at most {MAX_MACS}")
    monitor_nic = _ifname(params, "monitor_nic")
    if monitor_nic is not None and monitor_nic == nic:
        raise ConfigError(f"monitor_nic {monitor_nic!r} must differ from nic: a host never reaches its own vblade")
    return Params(
        device=device,
        shelf=_address_part(params, "shelf", MAX_SHELF, BROADCAST_SHELF),
        slot=_address_part(params, "slot", MAX_SLOT, BROADCAST_SLOT),
        nic=nic,
        read_only=read_bool(params, "read_only", False),
        mac_allow=tuple(macs),
        direct_io=read_bool(params, "direct_io", False),
        sync_io=read_bool(params, "sync_io", False),
        buffers=read_int(params, "buffers", 0, low=1, high=65535) if read_str(params, "buffers") else None,
        monitor_nic=monitor_nic,
    )


def _from_vblade_args(args: VbladeArgs) -> Params:
    return Params(
        device=args.path,
        shelf=args.shelf,
        slot=args.slot,
        nic=args.netif,
        read_only=args.read_only,
        mac_allow=args.macs,
        direct_io=args.direct_io,
        sync_io=args.sync_io,
        buffers=args.buffers,
    )


def params_from(env: Env) -> Params:
    """Validate the parameters; the only place that raises ConfigError for them.

    On stop, parameters that do not validate are replaced by the command line recorded in the pid file, so that
    an edited configuration can never leave running a vblade that pacemaker believes stopped.
    """
    if env.action != "stop":
        return _strict(env.params)
    try:
        return _strict(env.params)
    except ConfigError as exc:
        paths = Paths.from_environ(env.environ)
        recorded = _read_pid_record(StateDir(f"{paths.run_dir}/{env.resource_type}"), env.instance)
        args = None if recorded is None else cmdline_args(recorded.argv)
        if args is None:
            raise
        _log.warning("%s; stopping the vblade recorded in the pid file instead", exc.reason)
        return _from_vblade_args(args)


# --- pure decisions ----------------------------------------------------------------------------------------------


def serves(args: VbladeArgs, p: Params) -> bool:
    """True when a vblade serves our address on our interface (the options may differ)."""
    return (args.shelf, args.slot, args.netif) == (p.shelf, p.slot, p.nic)


# The characters an instance name keeps in our pid and log file names; the rest become "_" (names of earlier
# releases, so that an upgrade finds the pid file of a running vblade).
_STEM_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-")


def _stem(instance: str) -> str:
    return "vblade-" + "".join(c if c in _STEM_SAFE else "_" for c in instance)[:180]


# --- this node: the pid file and /proc (reads only; no process is started) ---------------------------------------


def _read_pid_record(state: StateDir, instance: str) -> PidRecord | None:
    text = state.read(f"{_stem(instance)}.pid")
    return None if text is None else parse_pid_record(text)


@record
class _Running:
    pid: int
    args: VbladeArgs
    recorded: PidRecord


def _recorded(ctx: Context) -> _Running | None:
    """The vblade our pid file names, if that process still runs that command line."""
    recorded = _read_pid_record(ctx.state, ctx.env.instance)
    if recorded is None:
        return None
    cmdline = read_cmdline(recorded.pid)
    args = cmdline_args(recorded.argv)
    if cmdline is None or args is None or not same_export(cmdline, recorded):
        return None
    return _Running(recorded.pid, args, recorded)


def _terminate(pid: int, what: str, deadline: Deadline) -> None:
    from xenha.aoe.spawn import terminate

    terminate(pid, what, deadline)


def _start_vblade(p: Params, ctx: Context, binary: str) -> int:
    """Start vblade for `p` detached and wait until it serves (xenha.aoe.export.start_vblade); its pid."""
    from xenha.aoe.export import start_vblade

    stem = _stem(ctx.env.instance)
    return start_vblade(
        p.vblade_args,
        p.monitor_nic,
        binary=binary,
        state=ctx.state,
        stem=stem,
        environ=ctx.env.environ,
        deadline=ctx.deadline,
    )


# --- handlers, in lifecycle order --------------------------------------------------------------------------------


def start(p: Params, ctx: Context) -> ExitCode:
    from xenha.aoe.export import check_node

    running = _recorded(ctx)
    if running is not None and serves(running.args, p):
        _log.info("%s: already running (pid %d)", p.label, running.pid)
        return ExitCode.SUCCESS
    binary = check_node(p.vblade_args, p.monitor_nic, ctx.paths.which)
    if running is not None:
        _log.warning("%s: stopping our previous vblade pid %d, started with other settings", p.label, running.pid)
        _terminate(running.pid, p.label, ctx.deadline.fraction(0.5))
    _start_vblade(p, ctx, binary)
    return ExitCode.SUCCESS


def stop(p: Params, ctx: Context) -> ExitCode:
    from xenha.aoe.export import strays

    running = _recorded(ctx)
    victims = [] if running is None else [running.pid]
    others = strays(p.vblade_args, exclude=None if running is None else running.pid)
    for pid in others:
        _log.warning("%s: also stopping vblade pid %d, which serves the same address", p.label, pid)
    victims += others
    for pid in victims:
        _terminate(pid, p.label, ctx.deadline)
    ctx.state.remove(f"{_stem(ctx.env.instance)}.pid")
    _log.info("%s: stopped" if victims else "%s: was not running", p.label)
    return ExitCode.SUCCESS


def monitor(p: Params, ctx: Context) -> ExitCode:
    running = _recorded(ctx)
    if running is None or not serves(running.args, p):
        if ctx.state.read(f"{_stem(ctx.env.instance)}.pid") is not None:
            _log.info("%s: stale pid file (no such vblade)", p.label)
        return ExitCode.NOT_RUNNING
    if ctx.env.check_level >= 10:
        from xenha.aoe.export import MONITOR_QUERY_WAIT, deep_problem, wire_problem

        problem = deep_problem(p.nic, running.pid, running.args)
        if problem is None and p.monitor_nic is not None:
            problem = wire_problem(p.vblade_args, p.monitor_nic, ctx.deadline.sub(MONITOR_QUERY_WAIT))
        if problem is not None:
            raise Unhealthy(f"{p.label}: {problem}")
    return ExitCode.SUCCESS


def reload(p: Params, ctx: Context) -> ExitCode:
    from xenha.aoe.export import check_node

    running = _recorded(ctx)
    if running is None:
        _log.info("%s: not running; reload does not start it", p.label)
        return ExitCode.NOT_RUNNING
    if running.args == p.vblade_args:
        _log.info("%s: running with these settings already", p.label)
        return ExitCode.SUCCESS
    binary = check_node(p.vblade_args, p.monitor_nic, ctx.paths.which)
    _log.info("%s: restarting vblade pid %d with the new settings", p.label, running.pid)
    _terminate(running.pid, p.label, ctx.deadline.fraction(0.5))
    ctx.state.remove(f"{_stem(ctx.env.instance)}.pid")
    _start_vblade(p, ctx, binary)
    return ExitCode.SUCCESS


def validate_all(p: Params, ctx: Context) -> ExitCode:
    from xenha.aoe.export import check_node

    check_node(p.vblade_args, p.monitor_nic, ctx.paths.which)
    return ExitCode.SUCCESS


HANDLERS = {
    "start": start,
    "stop": stop,
    "monitor": monitor,
    "reload": reload,
    "validate-all": validate_all,
}


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, runner: Runner | None = None
) -> int:
    """The launcher's entry point: run one OCF action and return its exit code."""
    table = bind_handlers(AGENT, params_from, HANDLERS, runner=runner)
    return ocf.run(AGENT, table, os.environ if environ is None else environ, sys.argv if argv is None else argv)
