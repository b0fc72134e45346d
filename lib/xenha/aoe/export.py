# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""One vblade export on this node, beyond its pid file: can this node serve it, start it detached and wait until it
serves, find other vblades serving the same address, and check a running one (device, socket, answers on the wire).

What AoEExport's start, stop, reload, validate-all and deep monitor do; the plain monitor never imports it. The
export is named by the VbladeArgs it is (or is to be) started with.
"""

from __future__ import annotations

import os

from xenha.aoe.vblade import ETH_P_AOE, VbladeArgs, cmdline_args, read_cmdline
from xenha.errors import ConfigError, NotInstalled, ToolError, XenhaError
from xenha.ocf import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from xenha.aoe.startup import VbladeStartup
    from xenha.run import Deadline
    from xenha.state import StateDir

__all__ = [
    "MONITOR_QUERY_SETTLE",
    "MONITOR_QUERY_WAIT",
    "QUERY_WAIT",
    "AddressInUse",
    "InterfaceDown",
    "check_node",
    "deep_problem",
    "label",
    "same_address",
    "start_vblade",
    "startup_seen",
    "strays",
    "wire_problem",
]

_log = log.get("xenha.aoe.export")

# Seconds the pre-start check waits for another target to answer a Query Config broadcast. Targets on a LAN answer
# within a millisecond; half a second leaves room for a busy vblade without slowing a failover noticeably.
QUERY_WAIT = 0.5
# Seconds the wire check (monitor_nic) waits for our own target's answer, and then for a second target's.
MONITOR_QUERY_WAIT = 2.0
MONITOR_QUERY_SETTLE = 0.2


class AddressInUse(XenhaError):
    """Raised when another target already serves the address we are to export (a generic, retryable error)."""


class InterfaceDown(XenhaError):
    """Raised when an interface the export needs is down (a generic error: it may come up again)."""


def label(args: VbladeArgs) -> str:
    """How log lines and exit reasons name the export: `vblade e1.0 on eth1`."""
    return f"vblade {args.address} on {args.netif}"


def same_address(a: VbladeArgs, b: VbladeArgs) -> bool:
    """True when both serve the same address on the same interface (the options may differ)."""
    return (a.shelf, a.slot, a.netif) == (b.shelf, b.slot, b.netif)


def strays(args: VbladeArgs, exclude: int | None) -> list[int]:
    """Other vblade processes on this node serving args' address on its interface."""
    from xenha.aoe.proc import list_pids

    found = []
    for pid in list_pids():
        if pid in (exclude, os.getpid()):
            continue
        cmdline = read_cmdline(pid)
        theirs = None if cmdline is None else cmdline_args(cmdline)
        if theirs is not None and same_address(theirs, args):
            found.append(pid)
    return found


def check_node(args: VbladeArgs, monitor_nic: str | None, which: Callable[[str], str | None]) -> str:
    """Raise unless this node can run the export; return vblade's absolute path."""
    import stat

    from xenha.aoe.netif import ifindex, is_up

    binary = which("vblade")
    if binary is None:
        raise NotInstalled("vblade: not installed (Debian package vblade)")
    binary = os.path.abspath(binary)  # the daemon changes to / before it execs
    for name in filter(None, (args.netif, monitor_nic)):
        if ifindex(name) is None:
            raise NotInstalled(f"{name}: no such network interface on this node")
        if not is_up(name):
            # vblade would print its start-up line and then exit on its first read ("Network is down").
            raise InterfaceDown(f"{name}: interface is down")
    try:
        info = os.stat(args.path)
    except FileNotFoundError:
        raise NotInstalled(f"{args.path}: does not exist on this node") from None
    except OSError as exc:
        raise NotInstalled(f"{args.path}: {exc.strerror}") from None
    if not (stat.S_ISBLK(info.st_mode) or stat.S_ISREG(info.st_mode)):
        raise ConfigError(f"{args.path}: neither a block device nor a regular file")
    if info.st_size == 0 and stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{args.path}: empty file, nothing to export")
    return binary


def start_vblade(
    args: VbladeArgs,
    monitor_nic: str | None,
    *,
    binary: str,
    state: StateDir,
    stem: str,
    environ: Mapping[str, str],
    deadline: Deadline,
) -> int:
    """Refuse address conflicts, start vblade detached, record it in `<stem>.pid`, and wait until it serves; its pid."""
    from xenha.aoe.channel import query_config
    from xenha.aoe.spawn import spawn_detached
    from xenha.aoe.vblade import PidRecord, render_pid_record, vblade_argv
    from xenha.aoe.wire import format_mac
    from xenha.run import poll_until

    name = label(args)
    others = strays(args, exclude=None)
    if others:
        raise AddressInUse(f"{name}: already served by vblade pid {others[0]} not started by this resource")
    answers = query_config(args.netif, args.address, deadline.sub(QUERY_WAIT))
    if answers:
        macs = ", ".join(sorted({format_mac(a.header.src) for a in answers}))
        raise AddressInUse(f"{name}: target {args.address} already answers on the segment (from {macs})")
    state.ensure()
    log_path = os.path.join(state.path, f"{stem}.log")
    argv = vblade_argv(args, binary)
    pid = spawn_detached(argv, env={**environ, "LC_ALL": "C"}, log_path=log_path, deadline=deadline)
    state.write(f"{stem}.pid", render_pid_record(PidRecord(pid, tuple(argv))))
    try:
        startup = poll_until(
            lambda: startup_seen(args, pid, log_path), deadline, interval=0.05, what=f"{name}: start-up line"
        )
    except ToolError:
        state.remove(f"{stem}.pid")  # it exited: nothing for stop or monitor to find
        raise
    _log.info(
        "%s: exporting %s (%d sectors, %s), pid %d",
        name,
        args.path,
        startup.sectors,
        startup.mode or "mode not printed",
        pid,
    )
    if monitor_nic is not None:
        poll_until(
            lambda: True if wire_problem(args, monitor_nic, deadline.sub(MONITOR_QUERY_WAIT)) is None else None,
            deadline,
            interval=0.0,
            what=f"{name}: answer over the wire from {monitor_nic}",
        )
    return pid


def _read_log(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def startup_seen(args: VbladeArgs, pid: int, log_path: str) -> VbladeStartup | None:
    """vblade's start-up line once it is in the log; ToolError with vblade's last message once it has exited.

    Whether vblade still runs is asked before its log is read: everything a process wrote is in the file by the
    time it has exited, so a vblade found gone is never blamed with a log read before its last words.
    """
    from xenha.aoe.startup import scan_vblade_log

    exited = read_cmdline(pid) is None
    found = scan_vblade_log(_read_log(log_path))
    if found.startup is not None and found.startup.pid == pid:
        if found.startup.address != args.address:
            raise ToolError(f"{label(args)}: vblade announced {found.startup.address} instead")
        return found.startup
    if exited:
        raise ToolError(f"{label(args)}: vblade exited during start-up: {found.last_message or 'no message'}")
    return None


def wire_problem(args: VbladeArgs, monitor_nic: str, wait: Deadline) -> str | None:
    """Ask for e<shelf>.<slot> from monitor_nic: what is wrong with the answers, or None when only ours answers."""
    from xenha.aoe.channel import query_config
    from xenha.aoe.netif import hwaddr
    from xenha.aoe.wire import format_mac

    ours = hwaddr(args.netif)
    answers = query_config(monitor_nic, args.address, wait, settle=MONITOR_QUERY_SETTLE)
    if not answers:
        return f"no answer to a Query Config from {monitor_nic}"
    sources = sorted({format_mac(a.header.src) for a in answers})
    others = [mac for mac in sources if mac != ours]
    if others:
        return f"another target answers for {args.address} (from {', '.join(others)})"
    if any(a.header.has_error for a in answers):
        return f"the target answered with AoE error {answers[0].header.error}"
    return None


def deep_problem(nic: str, pid: int, running: VbladeArgs) -> str | None:
    """Depth-10 checks on vblade `pid`, started with `running`: its file still open, its AoE packet socket bound to
    `nic` and up; None when healthy."""
    from xenha.aoe.netif import ifindex
    from xenha.aoe.proc import open_files, read_proc_net_packet
    from xenha.errors import ParseError

    files = open_files(pid)
    exported = running.path  # what vblade was started on, which a parameter change does not alter
    target = os.path.realpath(exported)
    if not any(f == target for f in files):
        deleted = any(f == f"{target} (deleted)" for f in files)
        return f"{exported} is {'deleted' if deleted else 'no longer open'} in vblade pid {pid}"
    inodes = {int(f[8:-1]) for f in files if f.startswith("socket:[") and f.endswith("]")}
    try:
        sockets = read_proc_net_packet()
    except (OSError, ParseError) as exc:
        return f"cannot read /proc/net/packet: {exc}"
    index = ifindex(nic)
    bound = [s for s in sockets if s.inode in inodes and s.protocol == ETH_P_AOE]
    if not bound or index is None or all(s.ifindex != index for s in bound):
        return f"vblade pid {pid} has no AoE socket on {nic}"
    if not any(s.is_running for s in bound):
        return f"{nic} is down"
    return None
