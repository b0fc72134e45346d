"""AoEExport: export a block device or file as an ATA-over-Ethernet target with vblade, detached and supervised."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import socket
import stat
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from xenha import ocf
from xenha.aoe.wire import (
    AoeAddress,
    VbladeArgs,
    VbladeStartup,
    format_mac,
    normalize_mac,
    parse_proc_net_packet,
    parse_vblade_cmdline,
    query_config,
    scan_vblade_log,
    vblade_argv,
)
from xenha.errors import ConfigError, DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.ocf import Env, ExitCode, log
from xenha.ocf.context import Context, bind_handlers
from xenha.paths import Paths
from xenha.run import Deadline, poll_until
from xenha.state import StateDir

__all__ = [
    "AGENT",
    "HANDLERS",
    "AddressInUse",
    "InterfaceDown",
    "Params",
    "PidRecord",
    "Unhealthy",
    "main",
    "params_from",
    "parse_pid_record",
    "render_pid_record",
    "same_export",
    "serves",
    "spawn_detached",
]

_log = log.get("xenha.agents.aoeexport")

# Seconds the pre-start check waits for another target to answer a Query Config broadcast. Targets on a LAN answer
# within a millisecond; half a second leaves room for a busy vblade without slowing a failover noticeably.
QUERY_WAIT = 0.5
# Seconds the wire check (monitor_nic) waits for our own target's answer, and then for a second target's.
MONITOR_QUERY_WAIT = 2.0
MONITOR_QUERY_SETTLE = 0.2
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
    version="1.0",
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

_TRUE = ("1", "true", "yes", "on", "y")
_FALSE = ("0", "false", "no", "off", "n", "")
_DIGITS = re.compile(r"[0-9]+")
_IFNAME = re.compile(r"^[^\s/:]{1,15}$")


class AddressInUse(XenhaError):
    """Raised when another target already serves the address we are to export (a generic, retryable error)."""


class InterfaceDown(XenhaError):
    """Raised when an interface the export needs is down (a generic error: it may come up again)."""


class Unhealthy(XenhaError):
    """Raised by a deep monitor that finds vblade running but not serving as it should."""


@dataclass(frozen=True, slots=True)
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
        """How log lines and exit reasons name the export."""
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


def _bool(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} {value!r}: need true or false")


def _int(params: Mapping[str, str], name: str, low: int, high: int, why: str = "") -> int:
    text = params.get(name, "").strip()
    if not text:
        raise ConfigError(f"{name} is required")
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise ConfigError(f"{name} {text!r}: need an integer from {low} to {high}{why}")
    return int(text)


def _ifname(name: str, value: str) -> str:
    if not _IFNAME.match(value):
        raise ConfigError(f"{name} {value!r}: not a network interface name")
    return value


def _strict(params: Mapping[str, str]) -> Params:
    device = params.get("device", "").strip()
    if not device:
        raise ConfigError("device is required")
    if not os.path.isabs(device):
        raise ConfigError(f"device {device!r}: need an absolute path")
    nic = params.get("nic", "").strip()
    if not nic:
        raise ConfigError("nic is required")
    macs: list[str] = []
    for item in params.get("mac_allow", "").replace(",", " ").split():
        mac = normalize_mac(item)
        if mac is None:
            raise ConfigError(f"mac_allow: {item!r} is not a MAC address")
        macs.append(mac)
    if len(macs) > MAX_MACS:
        raise ConfigError(f"mac_allow: {len(macs)} addresses, vblade takes at most {MAX_MACS}")
    buffers = params.get("buffers", "").strip()
    monitor_nic = params.get("monitor_nic", "").strip() or None
    if monitor_nic is not None and monitor_nic == nic:
        raise ConfigError(f"monitor_nic {monitor_nic!r} must differ from nic: a host never reaches its own vblade")
    return Params(
        device=device,
        shelf=_int(params, "shelf", 0, 65534, " (65535 is the broadcast shelf)"),
        slot=_int(params, "slot", 0, 254, " (255 is the broadcast slot)"),
        nic=_ifname("nic", nic),
        read_only=_bool(params, "read_only"),
        mac_allow=tuple(macs),
        direct_io=_bool(params, "direct_io"),
        sync_io=_bool(params, "sync_io"),
        buffers=_int(params, "buffers", 1, 65535) if buffers else None,
        monitor_nic=None if monitor_nic is None else _ifname("monitor_nic", monitor_nic),
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
        record = _read_pid_record(StateDir(f"{paths.run_dir}/{env.resource_type}"), env.instance)
        args = None if record is None else _vblade_args(record.argv)
        if args is None:
            raise
        _log.warning("%s; stopping the vblade recorded in the pid file instead", exc.reason)
        return _from_vblade_args(args)


# --- pure decisions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PidRecord:
    """What the pid file holds: vblade's pid, then the argv it was started with (JSON) to tell a reused pid apart."""

    pid: int
    argv: tuple[str, ...]


def render_pid_record(record: PidRecord) -> str:
    # The pid alone on the first line keeps the file readable by anything that expects a plain pid file.
    return f"{record.pid}\n{json.dumps(list(record.argv))}\n"


def parse_pid_record(text: str) -> PidRecord | None:
    """The record in a pid file, or None when it is not one we wrote (stale, truncated or foreign)."""
    lines = text.splitlines()
    if len(lines) != 2 or not _DIGITS.fullmatch(lines[0].strip()):
        return None
    try:
        argv = json.loads(lines[1])
    except ValueError:
        return None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return None
    return PidRecord(pid=int(lines[0]), argv=tuple(argv))


def _vblade_part(cmdline: Sequence[str]) -> Sequence[str] | None:
    """The argv from the vblade program on: a script (the lab's simulated vblade) runs under its interpreter."""
    for index in (0, 1):
        if len(cmdline) > index and os.path.basename(cmdline[index]) == "vblade":
            return cmdline[index:]
    return None


def _vblade_args(cmdline: Sequence[str]) -> VbladeArgs | None:
    part = _vblade_part(cmdline)
    if part is None:
        return None
    try:
        return parse_vblade_cmdline(part)
    except ParseError:
        return None


def same_export(cmdline: Sequence[str], record: PidRecord) -> bool:
    """True when a live process's command line is the vblade we recorded (its pid was not reused)."""
    part = _vblade_part(cmdline)
    return part is not None and tuple(part) == record.argv


def serves(args: VbladeArgs, p: Params) -> bool:
    """True when a vblade serves our address on our interface (the options may differ)."""
    return (args.shelf, args.slot, args.netif) == (p.shelf, p.slot, p.nic)


def _stem(instance: str) -> str:
    return "vblade-" + re.sub(r"[^A-Za-z0-9_.:@-]", "_", instance)[:180]


# --- this node: /proc, interfaces, devices (reads only; no process is started) ----------------------------------


def _cmdline(pid: int) -> list[str] | None:
    """The process's argv, or None when it is gone or a zombie (whose cmdline is empty; PID 1 may not reap it)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    if not raw:
        return None
    return [part.decode("utf-8", "surrogateescape") for part in raw.rstrip(b"\0").split(b"\0")]


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _open_files(pid: int) -> list[str]:
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    found = []
    for name in names:
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:
            continue
    return found


def _read_pid_record(state: StateDir, instance: str) -> PidRecord | None:
    text = state.read(f"{_stem(instance)}.pid")
    return None if text is None else parse_pid_record(text)


@dataclass(frozen=True, slots=True)
class _Running:
    pid: int
    args: VbladeArgs
    record: PidRecord


def _recorded(ctx: Context) -> _Running | None:
    """The vblade our pid file names, if that process still runs that command line."""
    record = _read_pid_record(ctx.state, ctx.env.instance)
    if record is None:
        return None
    cmdline = _cmdline(record.pid)
    args = _vblade_args(record.argv)
    if cmdline is None or args is None or not same_export(cmdline, record):
        return None
    return _Running(record.pid, args, record)


def _strays(p: Params, exclude: int | None) -> list[int]:
    """Other vblade processes on this node serving our address on our interface."""
    found = []
    for pid in _pids():
        if pid in (exclude, os.getpid()):
            continue
        cmdline = _cmdline(pid)
        args = None if cmdline is None else _vblade_args(cmdline)
        if args is not None and serves(args, p):
            found.append(pid)
    return found


def _ifindex(nic: str) -> int | None:
    try:
        return socket.if_nametoindex(nic)
    except OSError:
        return None


_SIOCGIFFLAGS = 0x8913
_SIOCGIFHWADDR = 0x8927
_IFF_UP = 0x1


def _ifreq(nic: str, request: int) -> bytes | None:
    """An SIOCGIF* ioctl on `nic` (struct ifreq: 16-byte name, then the answer); asks this network namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            return fcntl.ioctl(sock.fileno(), request, struct.pack("16s24x", nic.encode()[:15]))
        except OSError:
            return None


def _hwaddr(nic: str) -> str | None:
    answer = _ifreq(nic, _SIOCGIFHWADDR)
    return None if answer is None else format_mac(answer[18:24])


def _is_up(nic: str) -> bool:
    answer = _ifreq(nic, _SIOCGIFFLAGS)
    return answer is not None and bool(struct.unpack_from("H", answer, 16)[0] & _IFF_UP)


def _check_node(p: Params, ctx: Context) -> str:
    """Raise unless this node can run the export; return vblade's path."""
    binary = ctx.paths.which("vblade")
    if binary is None:
        raise NotInstalled("vblade: not installed (Debian package vblade)")
    binary = os.path.abspath(binary)  # the daemon changes to / before it execs
    for name in filter(None, (p.nic, p.monitor_nic)):
        if _ifindex(name) is None:
            raise NotInstalled(f"{name}: no such network interface on this node")
        if not _is_up(name):
            # vblade would print its start-up line and then exit on its first read ("Network is down").
            raise InterfaceDown(f"{name}: interface is down")
    try:
        info = os.stat(p.device)
    except FileNotFoundError:
        raise NotInstalled(f"{p.device}: does not exist on this node") from None
    except OSError as exc:
        raise NotInstalled(f"{p.device}: {exc.strerror}") from None
    if not (stat.S_ISBLK(info.st_mode) or stat.S_ISREG(info.st_mode)):
        raise ConfigError(f"{p.device}: neither a block device nor a regular file")
    if info.st_size == 0 and stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{p.device}: empty file, nothing to export")
    return binary


# --- starting vblade detached ------------------------------------------------------------------------------------


def _daemon_child(argv: Sequence[str], env: Mapping[str, str], log_path: str, report: int) -> NoReturn:
    """In the first child: new session, fork again, and exec argv in the grandchild; report pid or failure."""
    try:
        os.setsid()
        grandchild = os.fork()
        if grandchild > 0:
            os.write(report, f"pid {grandchild}\n".encode())
            os._exit(0)
        os.chdir("/")
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        # Everything else goes, including what the executor or ocf-tester handed us; `report` is close-on-exec.
        os.closerange(3, report)
        os.closerange(report + 1, os.sysconf("SC_OPEN_MAX"))
        for sig in signal.valid_signals():
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):
                    pass
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.execve(argv[0], list(argv), dict(env))
    except BaseException as exc:  # noqa: BLE001 -- report anything to the parent, then leave without cleanup
        try:
            os.write(report, f"error {exc.__class__.__name__}: {exc}\n".encode(errors="replace"))
        finally:
            os._exit(127)
    os._exit(127)  # pragma: no cover -- execve does not return


def spawn_detached(argv: Sequence[str], *, env: Mapping[str, str], log_path: str, deadline: Deadline) -> int:
    """Start argv as a daemon (double fork, own session, cwd /, stdin /dev/null, output to log_path); its pid.

    vblade is not a child of the agent, so the executor waits for nothing and no descriptor of the agent (its
    stdout pipe in particular: ocf-tester reads the agent's output to EOF) stays open in vblade. A close-on-exec
    pipe carries the grandchild's pid, or the reason exec failed, back to us.
    """
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    child = os.fork()
    if child == 0:  # pragma: no cover -- runs in the child, which never returns here
        os.close(read_end)
        _daemon_child(argv, env, log_path, write_end)
    os.close(write_end)
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline.remaining()
            ready, _, _ = select.select([read_end], [], [], min(remaining, 60.0))
            if not ready:
                raise DeadlineExceeded(f"{argv[0]}: did not start in time")
            chunk = os.read(read_end, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(child, 0)
    report = b"".join(chunks).decode(errors="replace").splitlines()
    pid = next((int(line.split()[1]) for line in report if re.fullmatch(r"pid \d+", line)), None)
    failure = next((line[len("error ") :] for line in report if line.startswith("error ")), None)
    if failure is not None:
        if failure.startswith(("FileNotFoundError", "PermissionError")):
            raise NotInstalled(f"{argv[0]}: cannot execute: {failure}")
        raise ToolError(f"{argv[0]}: could not be started: {failure}", argv=tuple(argv))
    if pid is None:
        raise ToolError(f"{argv[0]}: daemon start reported nothing", argv=tuple(argv))
    return pid


def _start_vblade(p: Params, ctx: Context, binary: str) -> int:
    """Refuse address conflicts, start vblade detached, record it, and wait until it serves; its pid."""
    strays = _strays(p, exclude=None)
    if strays:
        raise AddressInUse(f"{p.label}: already served by vblade pid {strays[0]} not started by this resource")
    wait = ctx.deadline.sub(QUERY_WAIT)
    answers = query_config(p.nic, p.address, wait)
    if answers:
        macs = ", ".join(sorted({format_mac(a.header.src) for a in answers}))
        raise AddressInUse(f"{p.label}: target {p.address} already answers on the segment (from {macs})")
    ctx.state.ensure()
    stem = _stem(ctx.env.instance)
    log_path = os.path.join(ctx.state.path, f"{stem}.log")
    argv = vblade_argv(p.vblade_args, binary)
    env = {**ctx.env.environ, "LC_ALL": "C"}
    pid = spawn_detached(argv, env=env, log_path=log_path, deadline=ctx.deadline)
    ctx.state.write(f"{stem}.pid", render_pid_record(PidRecord(pid, tuple(argv))))
    try:
        startup = poll_until(
            lambda: _startup_seen(p, pid, log_path), ctx.deadline, interval=0.05, what=f"{p.label}: start-up line"
        )
    except ToolError:
        ctx.state.remove(f"{stem}.pid")  # it exited: nothing for stop or monitor to find
        raise
    _log.info(
        "%s: exporting %s (%d sectors, %s), pid %d",
        p.label,
        p.device,
        startup.sectors,
        startup.mode.value if startup.mode else "mode not printed",
        pid,
    )
    if p.monitor_nic is not None:
        monitor_nic = p.monitor_nic
        poll_until(
            lambda: True if _wire_problem(p, monitor_nic, ctx.deadline.sub(MONITOR_QUERY_WAIT)) is None else None,
            ctx.deadline,
            interval=0.0,
            what=f"{p.label}: answer over the wire from {monitor_nic}",
        )
    return pid


def _read_log(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _startup_seen(p: Params, pid: int, log_path: str) -> VbladeStartup | None:
    log = scan_vblade_log(_read_log(log_path))
    if log.startup is not None and log.startup.pid == pid:
        if log.startup.address != p.address:
            raise ToolError(f"{p.label}: vblade announced {log.startup.address} instead")
        return log.startup
    if _cmdline(pid) is None:
        raise ToolError(f"{p.label}: vblade exited during start-up: {log.last_message or 'no message'}")
    return None


def _wire_problem(p: Params, monitor_nic: str, wait: Deadline) -> str | None:
    """Ask for e<shelf>.<slot> from monitor_nic: what is wrong with the answers, or None when only ours answers."""
    ours = _hwaddr(p.nic)
    answers = query_config(monitor_nic, p.address, wait, settle=MONITOR_QUERY_SETTLE)
    if not answers:
        return f"no answer to a Query Config from {monitor_nic}"
    sources = sorted({format_mac(a.header.src) for a in answers})
    others = [mac for mac in sources if mac != ours]
    if others:
        return f"another target answers for {p.address} (from {', '.join(others)})"
    if any(a.header.has_error for a in answers):
        return f"the target answered with AoE error {answers[0].header.error}"
    return None


def _terminate(pid: int, what: str, deadline: Deadline) -> None:
    """SIGTERM, then SIGKILL after two thirds of the time left; raise DeadlineExceeded if it outlives both."""
    for sig, share in ((signal.SIGTERM, 2 / 3), (signal.SIGKILL, 1.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        try:
            poll_until(
                lambda: True if _cmdline(pid) is None else None,
                deadline.fraction(share),
                interval=0.05,
                what=f"{what}: exit after {signal.Signals(sig).name}",
            )
            return
        except DeadlineExceeded:
            _log.warning("%s: pid %d still running after %s", what, pid, signal.Signals(sig).name)
    raise DeadlineExceeded(f"{what}: pid {pid} survived SIGKILL (stuck in I/O?)")


def _deep_problem(p: Params, running: _Running) -> str | None:
    """Depth-10 checks on a running vblade: open device, packet socket bound and up; None when healthy."""
    files = _open_files(running.pid)
    exported = running.args.path  # what vblade was started on, which a parameter change does not alter
    target = os.path.realpath(exported)
    if not any(f == target for f in files):
        deleted = any(f == f"{target} (deleted)" for f in files)
        return f"{exported} is {'deleted' if deleted else 'no longer open'} in vblade pid {running.pid}"
    inodes = {int(f[8:-1]) for f in files if f.startswith("socket:[") and f.endswith("]")}
    try:
        with open("/proc/net/packet", encoding="ascii") as handle:
            sockets = parse_proc_net_packet(handle.read())
    except (OSError, ParseError) as exc:
        return f"cannot read /proc/net/packet: {exc}"
    ifindex = _ifindex(p.nic)
    bound = [s for s in sockets if s.inode in inodes and s.protocol == 0x88A2]
    if not bound or ifindex is None or all(s.ifindex != ifindex for s in bound):
        return f"vblade pid {running.pid} has no AoE socket on {p.nic}"
    if not any(s.is_running for s in bound):
        return f"{p.nic} is down"
    return None


# --- handlers, in lifecycle order --------------------------------------------------------------------------------


def start(p: Params, ctx: Context) -> ExitCode:
    running = _recorded(ctx)
    if running is not None and serves(running.args, p):
        _log.info("%s: already running (pid %d)", p.label, running.pid)
        return ExitCode.SUCCESS
    binary = _check_node(p, ctx)
    if running is not None:
        _log.warning("%s: stopping our previous vblade pid %d, started with other settings", p.label, running.pid)
        _terminate(running.pid, p.label, ctx.deadline.fraction(0.5))
    _start_vblade(p, ctx, binary)
    return ExitCode.SUCCESS


def stop(p: Params, ctx: Context) -> ExitCode:
    running = _recorded(ctx)
    victims = [] if running is None else [running.pid]
    strays = _strays(p, exclude=None if running is None else running.pid)
    for pid in strays:
        _log.warning("%s: also stopping vblade pid %d, which serves the same address", p.label, pid)
    victims += strays
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
        problem = _deep_problem(p, running)
        if problem is None and p.monitor_nic is not None:
            problem = _wire_problem(p, p.monitor_nic, ctx.deadline.sub(MONITOR_QUERY_WAIT))
        if problem is not None:
            raise Unhealthy(f"{p.label}: {problem}")
    return ExitCode.SUCCESS


def reload(p: Params, ctx: Context) -> ExitCode:
    running = _recorded(ctx)
    if running is None:
        _log.info("%s: not running; reload does not start it", p.label)
        return ExitCode.NOT_RUNNING
    if running.args == p.vblade_args:
        _log.info("%s: running with these settings already", p.label)
        return ExitCode.SUCCESS
    binary = _check_node(p, ctx)
    _log.info("%s: restarting vblade pid %d with the new settings", p.label, running.pid)
    _terminate(running.pid, p.label, ctx.deadline.fraction(0.5))
    ctx.state.remove(f"{_stem(ctx.env.instance)}.pid")
    _start_vblade(p, ctx, binary)
    return ExitCode.SUCCESS


def validate_all(p: Params, ctx: Context) -> ExitCode:
    _check_node(p, ctx)
    return ExitCode.SUCCESS


HANDLERS = {
    "start": start,
    "stop": stop,
    "monitor": monitor,
    "reload": reload,
    "validate-all": validate_all,
}


def main() -> int:
    return ocf.run(AGENT, bind_handlers(AGENT, params_from, HANDLERS), os.environ, sys.argv)
