# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""fence_noop: a fence agent that fences nothing but lab nodes (sim_world); it records every request.

Hot path: pacemaker-fenced runs `monitor` every 60 s and `status` before fencing, options on stdin. Those import
only the protocol core (records, str constants, xenha.ocf.log, which loads logging only for a record that passes
its threshold); getopt (command line), json (the world), signal (kills) and lxml (meta-data) load where needed.
"""

from __future__ import annotations

import io
import os
import sys
import time

from xenha import __version__
from xenha.errors import ArgsError, ConfigError, NotInstalled, ParseError, ToolError, XenhaError
from xenha.ocf import log
from xenha.ocf.context import Context
from xenha.ocf.params import parse_bool
from xenha.ocf.protocol import Env
from xenha.paths import Paths
from xenha.record import record
from xenha.run import Deadline, Runner, SubprocessRunner
from xenha.state import StateDir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any, Final, Literal, TextIO

    FenceActionName = Literal[
        "on", "off", "reboot", "status", "monitor", "list", "list-status", "metadata", "manpage", "validate-all"
    ]
    PowerStateName = Literal["on", "off"]

__all__ = [
    "FENCE_ACTIONS",
    "HANDLERS",
    "NOTHING_FENCED",
    "OPTIONS",
    "POWER_STATES",
    "FenceAction",
    "FenceContext",
    "FenceExit",
    "Host",
    "Option",
    "PowerState",
    "RawInput",
    "Refused",
    "Reply",
    "Request",
    "kill_netns",
    "lab_netns",
    "main",
    "netns_pids",
    "parse_argv",
    "parse_power_state",
    "parse_stdin",
    "render_metadata",
    "render_power_state",
    "request_from",
]

_log = log.get("xenha.fence.noop")

NAME = "fence_noop"
NOTHING_FENCED = (
    "NOTHING WAS FENCED: fence_noop only records fencing requests; with dual-primary DRBD (or any storage "
    "two nodes write at once) a real fence device is required"
)
# Seconds `xenha-sim crash` may take; pacemaker-fenced passes no timeout to fence agents (it kills them itself).
SIM_TIMEOUT = 20.0
# Seconds a lab node's processes may take to die after SIGKILL before the power-off is reported failed.
KILL_TIMEOUT = 5.0
# The simulator's world file (xenha_sim.world, which the product never imports) and the most of it we read.
WORLD_STATE = "state.json"
WORLD_MAX_BYTES = 64 << 20
DEFAULT_LOG = "/var/log/xenha/fence_noop.log"
STATE_FILE = "power-state"


class FenceAction:
    """The actions of the fence-agents API (fencing.py `_get_available_actions`, with `separator` support)."""

    ON: Final = "on"
    OFF: Final = "off"
    REBOOT: Final = "reboot"
    STATUS: Final = "status"
    MONITOR: Final = "monitor"
    LIST: Final = "list"
    LIST_STATUS: Final = "list-status"
    METADATA: Final = "metadata"
    MANPAGE: Final = "manpage"
    VALIDATE_ALL: Final = "validate-all"


# Every action, in the order meta-data lists them.
FENCE_ACTIONS: tuple[FenceActionName, ...] = (
    FenceAction.ON,
    FenceAction.OFF,
    FenceAction.REBOOT,
    FenceAction.STATUS,
    FenceAction.MONITOR,
    FenceAction.LIST,
    FenceAction.LIST_STATUS,
    FenceAction.METADATA,
    FenceAction.MANPAGE,
    FenceAction.VALIDATE_ALL,
)
_ACTIONS: dict[str, FenceActionName] = {action: action for action in FENCE_ACTIONS}


class FenceExit:
    """Exit codes pacemaker-fenced reads: 0 done (status: on), 1 failed (status: cannot tell), 2 status off."""

    SUCCESS: Final = 0
    FAILED: Final = 1
    OFF: Final = 2


class PowerState:
    """What a plug was last set to; a plug never set is on."""

    ON: Final = "on"
    OFF: Final = "off"


POWER_STATES: tuple[PowerStateName, ...] = (PowerState.ON, PowerState.OFF)
_POWER: dict[str, PowerStateName] = {state: state for state in POWER_STATES}


@record
class Option:
    """One option: a stdin key, a command-line option and a meta-data parameter at once."""

    name: str
    long: str
    short: str | None
    metavar: str | None  # None: a flag without a value
    shortdesc: str
    default: str | None = None
    type: str = "string"
    required: bool = False
    aliases: tuple[str, ...] = ()  # other stdin keys, printed as deprecated parameters (fencing.py prints `port`)

    @property
    def getopt_mixed(self) -> str:
        value = "" if self.metavar is None else f"=[{self.metavar}]"
        return (f"-{self.short}, " if self.short else "") + f"--{self.long}{value}"


OPTIONS: tuple[Option, ...] = (
    Option("action", "action", "o", "action", "Fencing action", default="reboot", required=True),
    Option(
        "plug",
        "plug",
        "n",
        "id",
        "Node to fence (pacemaker passes it as port=)",
        required=True,
        aliases=("port",),
    ),
    Option(
        "hosts",
        "hosts",
        None,
        "list",
        "Nodes this device answers for, comma- or space-separated; list prints them. Empty: any node.",
        default="",
    ),
    Option(
        "separator", "separator", "C", "char", "Separator between the fields of list and list-status lines", default=","
    ),
    Option("log_file", "log-file", None, "path", "File every fencing request is appended to", default=DEFAULT_LOG),
    Option(
        "state_dir",
        "state-dir",
        None,
        "path",
        "Directory holding the recorded power state of each plug",
        default="/run/xenha/fence_noop",
    ),
    Option(
        "sim_world",
        "sim-world",
        None,
        "path",
        "xenha simulator world: off and reboot power the lab node off (SIGKILL) and crash it there (lab use)",
        default="",
    ),
    Option("quiet", "quiet", "q", None, "Disable logging to stderr (syslog and the log file still get it)"),
    Option("verbose", "verbose", "v", None, "Verbose mode"),
    Option("version", "version", "V", None, "Display version information and exit"),
    Option("help", "help", "h", None, "Display help and exit"),
)


def _option(key: str) -> Option | None:
    """The option a stdin key names: its name, its long option with `_` for `-`, or an alias (`port`)."""
    return next((o for o in OPTIONS if key in (o.name, o.long.replace("-", "_"), *o.aliases)), None)


_LONGDESC = f"""\
fence_noop is a fence agent that fences nothing. Every on, off and reboot request is recorded (time, action,
target) in its log file and in syslog, the power state it claims for that node is remembered, and the request
succeeds. It exists for test clusters and for the xenha lab, where a simulated world stands in for the nodes.

sim_world (lab use): with the simulator's world directory set, off and reboot power a lab node off for real before
they report success. The world records each lab node's network namespace (net:[INODE]); every process in it is
found through /proc/PID/ns/net and killed with SIGKILL, scanning again until none is left (so a child forked
meanwhile dies too), and only then is the node marked crashed in the world (xenha-sim crash NODE): its pacemaker
cannot act once the node is fenced. reboot powers off too, since the lab has no BIOS to boot it: the node stays
off until a test or an admin boots it (xenha-lab start NODE). If processes are still alive {KILL_TIMEOUT:.0f} s
after SIGKILL, the request fails (exit 1). A node the world records no namespace for (a plain simulator) is only
marked crashed; a missing world or xenha-sim only warns.

{NOTHING_FENCED}. A node reported fenced may still be running and writing while pacemaker recovers its resources
elsewhere.

status prints the recorded state of the plug and exits 0 for on, 2 for off (a plug never fenced is on; after off
it stays off until on or reboot). monitor always succeeds. list prints the hosts parameter as "host,host" lines,
the fence-agents list format that pacemaker's dynamic-list host check reads; list-status adds ON or OFF. With
hosts set, requests for any other node fail (exit 1)."""


# --- input: stdin key=value lines and the command line -----------------------------------------------------------


@record
class RawInput:
    """Option values by option name ("1"/"0" for flags), and what was ignored on the way."""

    values: Mapping[str, str]
    warnings: tuple[str, ...] = ()


def parse_stdin(text: str) -> RawInput:
    """Read pacemaker-fenced's `key=value` lines as tolerantly as fencing.py's `_parse_input_stdin`; never raises.

    Blank lines and `#` comments are skipped; blanks around keys and values are dropped; `-` and `_` are the
    same in keys; a value in double quotes loses them; `nodename` (always sent by pacemaker-fenced) is skipped
    silently; unknown keys and flags without a boolean value (xenha.ocf.params' words) are ignored with a warning.
    A later line overrides an earlier one.
    """
    values: dict[str, str] = {}
    warnings: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        key, value = key.strip().replace("-", "_"), value.strip()
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        option = _option(key)
        if option is None:
            if key != "nodename":
                warnings.append(f"Parse error: Ignoring unknown option '{line}'")
            continue
        if option.metavar is not None:
            values[option.name] = value
            continue
        try:
            flag = parse_bool(key, value, False) if value else None
        except ConfigError:
            flag = None
        if flag is None:
            warnings.append(f"Parse error: Ignoring option '{key}' because it does not have value")
        else:
            values[option.name] = "1" if flag else "0"
    return RawInput(values=values, warnings=tuple(warnings))


def parse_argv(args: Sequence[str]) -> RawInput:
    """Read command-line options (fence-agents names: -o/--action, -n/--plug, ...); raise ArgsError when unknown."""
    import getopt  # not on pacemaker's path (stdin): it loads gettext, re and enum

    short = "".join(f"{o.short}{':' if o.metavar else ''}" for o in OPTIONS if o.short)
    long = [f"{o.long}{'=' if o.metavar else ''}" for o in OPTIONS]
    try:
        pairs, rest = getopt.gnu_getopt(list(args), short, long)
    except getopt.GetoptError as exc:
        raise ArgsError(f"Parse error: {exc.msg}") from None
    values: dict[str, str] = {}
    for flag, value in pairs:
        option = next(o for o in OPTIONS if flag in (f"--{o.long}", f"-{o.short}"))
        values[option.name] = value if option.metavar is not None else "1"
    warnings = (f"Unused arguments on command line: {rest}",) if rest else ()
    return RawInput(values=values, warnings=warnings)


@record
class Request:
    """One validated invocation."""

    action: FenceActionName
    plug: str | None = None
    hosts: tuple[str, ...] = ()
    separator: str = ","
    log_file: str = DEFAULT_LOG
    state_dir: str | None = None
    sim_world: str | None = None
    quiet: bool = False
    verbose: bool = False
    help: bool = False
    version: bool = False

    def accepts(self, plug: str) -> bool:
        """Whether this device answers for `plug`: any node without `hosts`, else those listed (any case)."""
        return not self.hosts or plug.casefold() in {h.casefold() for h in self.hosts}


_NOT_IN_NAMES = frozenset(",;=\"'\\")


def _is_node_name(text: str) -> bool:
    """1 to 253 printable characters, none of them whitespace, `,;="'` or a backslash, not starting with `-`.

    No leading `-`: a plug becomes an argument of `xenha-sim crash`, and must never read as an option there. Only
    printable characters (no undecodable bytes, which arrive as surrogates): names are echoed to stdout by list.
    """
    return (
        0 < len(text) <= 253
        and not text.startswith("-")
        and text.isprintable()
        and not any(c.isspace() or c in _NOT_IN_NAMES for c in text)
    )


def _path(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name, "").strip()
    if not value:
        return None
    if not os.path.isabs(value):
        raise ArgsError(f"Failed: {name} {value!r} is not an absolute path")
    return value


def request_from(values: Mapping[str, str]) -> Request:
    """Validate option values into a Request; raise ArgsError (the agent then exits 1, like fencing.py)."""
    text = values.get("action", "reboot").strip().lower()
    text = "metadata" if text == "meta-data" else text  # OCF spelling, accepted by fencing.py too
    action = _ACTIONS.get(text)
    if action is None:
        raise ArgsError(f"Failed: Unrecognised action '{text}'")
    plug = values.get("plug", "").strip() or None
    if plug is not None and not _is_node_name(plug):
        raise ArgsError(f"Failed: plug {plug!r} is not a node name")
    hosts = tuple(dict.fromkeys(values.get("hosts", "").replace(",", " ").split()))
    bad = [h for h in hosts if not _is_node_name(h)]
    if bad:
        raise ArgsError(f"Failed: hosts entry {bad[0]!r} is not a node name")
    separator = values.get("separator", ",")
    if not separator:
        raise ArgsError("Failed: separator must not be empty")
    if not all(c.isprintable() or c == "\t" for c in separator):  # list prints it: no undecodable bytes
        raise ArgsError(f"Failed: separator {separator!r} is not printable")
    return Request(
        action=action,
        plug=plug,
        hosts=hosts,
        separator=separator,
        log_file=_path(values, "log_file") or DEFAULT_LOG,
        state_dir=_path(values, "state_dir"),
        sim_world=_path(values, "sim_world"),
        quiet=values.get("quiet") == "1",
        verbose=values.get("verbose") == "1",
        help=values.get("help") == "1",
        version=values.get("version") == "1",
    )


# --- the recorded power state ------------------------------------------------------------------------------------


def parse_power_state(text: str) -> dict[str, PowerStateName]:
    """Parse the state file (`plug<TAB>on|off` per line, plug in lower case); raise ParseError on anything else."""
    states: dict[str, PowerStateName] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        plug, tab, word = line.partition("\t")
        state = _POWER.get(word)
        if not tab or not _is_node_name(plug) or state is None:
            raise ParseError(NAME, lineno, line, "not a plug<TAB>on|off line")
        states[plug] = state
    return states


def render_power_state(states: Mapping[str, PowerStateName]) -> str:
    return "".join(f"{plug}\t{states[plug]}\n" for plug in sorted(states))


def _load(ctx: Context) -> dict[str, PowerStateName]:
    text = ctx.state.read(STATE_FILE)
    if text is None:
        return {}
    try:
        return parse_power_state(text)
    except ParseError as exc:
        _log.warning("%s/%s: %s; starting from every plug on", ctx.state.path, STATE_FILE, exc.reason)
        return {}


def _power(ctx: Context, plug: str) -> PowerStateName:
    return _load(ctx).get(plug.casefold(), PowerState.ON)


def _set_power(ctx: Context, plug: str, state: PowerStateName) -> None:
    """Remember `state` for `plug`; a failure is logged, never raised (the request still succeeds)."""
    try:
        with ctx.state.lock(STATE_FILE, ctx.deadline):
            states = _load(ctx)
            states[plug.casefold()] = state
            ctx.state.write(STATE_FILE, render_power_state(states))
    except (OSError, XenhaError) as exc:
        _log.warning("cannot record %s as %s in %s: %s", plug, state, ctx.state.path, exc)


# --- side effects of a fencing request ---------------------------------------------------------------------------


def _record(req: Request, plug: str) -> None:
    """Append the request to the log file and syslog it, each line saying that nothing was fenced."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    line = f"action={req.action} target={plug} result=success -- {NOTHING_FENCED}"
    _log.warning("%s", line)
    try:
        os.makedirs(os.path.dirname(req.log_file), mode=0o755, exist_ok=True)
        with log.open_append(req.log_file) as handle:  # a FIFO or a symlink there is refused, never waited on
            handle.write(f"{stamp} {NAME}[{os.getpid()}]: {line}\n")
    except OSError as exc:
        _log.warning("cannot write %s: %s (the request is still reported done)", req.log_file, exc.strerror)


# --- a lab node's power: every process of its network namespace --------------------------------------------------


def _is_netns(text: str) -> bool:
    """`net:[INODE]`, as /proc/PID/ns/net links read."""
    return text.startswith("net:[") and text.endswith("]") and text[5:-1].isdecimal()


@record
class Host:
    """What a lab power-off touches on this machine: /proc, kill(2), our own pid, how long the killed may take."""

    proc: str = "/proc"
    kill: Callable[[int, int], None] = os.kill
    pid: int = 0  # 0: this process's
    kill_timeout: float = KILL_TIMEOUT


@record
class FenceContext(Context):
    """A handler's context plus the host a lab power-off acts on."""

    host: Host


def lab_netns(world: str, plug: str) -> str | None:
    """The network namespace (`net:[INODE]`) the world at `world` records for lab node `plug`; None if none.

    Raise OSError when the world's state file cannot be read, ParseError when it is not the world's JSON.
    """
    import json

    path = os.path.join(world, WORLD_STATE)
    with open(path, "rb") as handle:
        data = handle.read(WORLD_MAX_BYTES + 1)
    if len(data) > WORLD_MAX_BYTES:
        raise ParseError(path, 1, "", f"larger than {WORLD_MAX_BYTES} bytes")  # no world is that large
    head = data[:80].decode("utf-8", "replace").partition("\n")[0]
    try:
        state = json.loads(data)
    except ValueError as exc:
        raise ParseError(path, 1, head, f"not JSON ({exc})") from None
    nodes = state.get("nodes") if isinstance(state, dict) else None
    if not isinstance(nodes, dict):
        raise ParseError(path, 1, head, "no nodes object")
    record = nodes.get(plug)
    if record is None:  # pacemaker's node names and the world's may differ in case only
        record = next((rec for name, rec in nodes.items() if name.casefold() == plug.casefold()), None)
    netns = record.get("lab_netns") if isinstance(record, dict) else None
    if netns is None:
        return None
    if not isinstance(netns, str) or not _is_netns(netns):
        raise ParseError(path, 1, str(netns), f"{plug}: lab_netns is not net:[INODE]")
    return netns


def netns_pids(netns: str, *, proc: str = "/proc") -> list[int]:
    """The pids whose network namespace is `netns` (`net:[INODE]`), read from `proc`/PID/ns/net.

    A zombie has no namespace link any more (ENOENT), so the dead are not listed; neither is a process that exits
    while we read.
    """
    found = []
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            if os.readlink(f"{proc}/{name}/ns/net") == netns:
                found.append(int(name))
        except OSError:
            continue
    return sorted(found)


def kill_netns(netns: str, host: Host, deadline: Deadline, *, pause: Callable[[float], None] = time.sleep) -> int:
    """SIGKILL every process in `netns` but ours, scanning again until none is left; return how many were killed.

    A process forked between a scan and the kills is found by the next scan. Raise ToolError when `netns` is the
    namespace of PID 1 (a lab never puts a node there: the world is wrong) or when processes outlive `deadline`.
    """
    import signal

    try:
        if os.readlink(f"{host.proc}/1/ns/net") == netns:
            raise ToolError(f"Failed: {netns} is the host's network namespace (pid 1); refusing to kill it")
    except OSError:
        pass
    ours = host.pid or os.getpid()
    killed: set[int] = set()
    while True:
        alive = [pid for pid in netns_pids(netns, proc=host.proc) if pid != ours]
        if not alive:
            return len(killed)
        for pid in alive:  # again for those already killed: harmless, and a reused pid is not spared
            try:
                host.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if deadline.expired:
            raise ToolError(f"Failed: {len(alive)} processes of {netns} still alive after SIGKILL: {alive[:8]}")
        if killed.issuperset(alive):
            pause(0.01)  # killed, not yet dead: give the kernel a moment to tear them down
        killed.update(alive)


def _power_off_in_sim(req: Request, ctx: FenceContext, plug: str) -> None:
    """With sim_world set, kill every process of lab node `plug` (if the world names its namespace), then crash it.

    Killing comes first so that the node cannot act between the world's crash and its death; a world that cannot
    be read only warns (the crash below warns too), processes that survive raise ToolError.
    """
    if req.sim_world is None:
        return
    try:
        netns = lab_netns(req.sim_world, plug)
    except (OSError, ParseError) as exc:
        why = exc.reason if isinstance(exc, ParseError) else f"{exc.filename}: {exc.strerror}"
        _log.warning("%s: cannot find its lab namespace in the world: %s", plug, why)
        netns = None
    if netns is not None:
        started = time.monotonic()
        count = kill_netns(netns, ctx.host, ctx.deadline.sub(ctx.host.kill_timeout))
        _log.warning(
            "%s: lab node powered off: %d processes of %s killed in %.2fs",
            plug,
            count,
            netns,
            time.monotonic() - started,
        )
    _crash_in_sim(req, ctx, plug)


def _crash_in_sim(req: Request, ctx: Context, plug: str) -> None:
    """With sim_world set, mark `plug` crashed in the simulated world; a missing or failing xenha-sim only warns."""
    if req.sim_world is None:
        return
    try:
        result = ctx.run(["xenha-sim", "crash", plug], ctx.deadline)
    except NotInstalled:
        _log.warning("xenha-sim is not installed; %s was not crashed in the simulated world", plug)
        return
    if result.failed:
        _log.warning("xenha-sim crash %s: %s", plug, result.fail_reason)
    else:
        _log.info("%s crashed in the simulated world %s", plug, req.sim_world)


# --- handlers ----------------------------------------------------------------------------------------------------


@record
class Reply:
    """A handler's answer: the exit code (FenceExit) and the lines for stdout."""

    code: int
    lines: tuple[str, ...] = ()


class Refused(XenhaError):
    """Raised when a request names a node this device does not answer for."""


def _target(req: Request) -> str:
    if req.plug is None:
        raise ArgsError("Failed: You have to enter plug number or machine identification")
    if not req.accepts(req.plug):
        raise Refused(f"Failed: {req.plug} is not one of this device's hosts ({', '.join(req.hosts)})")
    return req.plug


def on(req: Request, ctx: FenceContext) -> Reply:
    plug = _target(req)
    _record(req, plug)
    _set_power(ctx, plug, PowerState.ON)
    return Reply(FenceExit.SUCCESS, ("Success: Powered ON",))


def off(req: Request, ctx: FenceContext) -> Reply:
    # Never "Already OFF": the recorded state is fiction, and the node may have come back since; power it off in
    # the lab and record it every time. The record follows the power-off: it says result=success.
    plug = _target(req)
    _power_off_in_sim(req, ctx, plug)
    _record(req, plug)
    _set_power(ctx, plug, PowerState.OFF)
    return Reply(FenceExit.SUCCESS, ("Success: Powered OFF",))


def reboot(req: Request, ctx: FenceContext) -> Reply:
    # In the lab a reboot is a power-off: nothing boots the node but Lab.start (xenha-lab start NODE).
    plug = _target(req)
    _power_off_in_sim(req, ctx, plug)
    _record(req, plug)
    _set_power(ctx, plug, PowerState.ON)
    return Reply(FenceExit.SUCCESS, ("Success: Rebooted",))


def status(req: Request, ctx: FenceContext) -> Reply:
    state = _power(ctx, _target(req))
    return Reply(FenceExit.OFF if state == PowerState.OFF else FenceExit.SUCCESS, (f"Status: {state.upper()}",))


def monitor(req: Request, ctx: FenceContext) -> Reply:
    _log.debug("monitor: nothing to check, %s", NOTHING_FENCED)
    return Reply(FenceExit.SUCCESS)


def list_hosts(req: Request, ctx: FenceContext) -> Reply:
    if not req.hosts:
        _log.warning("list: the hosts parameter is empty, so there is nothing to list")
    return Reply(FenceExit.SUCCESS, tuple(f"{h}{req.separator}{h}" for h in req.hosts))


def list_status(req: Request, ctx: FenceContext) -> Reply:
    states = _load(ctx)
    lines = []
    for host in req.hosts:
        state = states.get(host.casefold(), PowerState.ON)
        lines.append(f"{host}{req.separator}{host}{req.separator}{state.upper()}")
    return Reply(FenceExit.SUCCESS, tuple(lines))


def validate_all(req: Request, ctx: FenceContext) -> Reply:
    """The options were checked on the way in (request_from); the target is not checked against `hosts`.

    Pacemaker validates a device with a made-up target (`port=node1`, `nodename=node1`: stonith__validate in
    lib/fencing/st_client.c), which no `hosts` list names; fence_dummy ignores it too.
    """
    if req.plug is not None and not req.accepts(req.plug):
        _log.debug("validate-all: target %s is not in hosts (a validation's placeholder target)", req.plug)
    return Reply(FenceExit.SUCCESS)


HANDLERS: dict[str, Callable[[Request, FenceContext], Reply]] = {
    FenceAction.ON: on,
    FenceAction.OFF: off,
    FenceAction.REBOOT: reboot,
    FenceAction.STATUS: status,
    FenceAction.MONITOR: monitor,
    FenceAction.LIST: list_hosts,
    FenceAction.LIST_STATUS: list_status,
    FenceAction.VALIDATE_ALL: validate_all,
}


# --- meta-data and usage -----------------------------------------------------------------------------------------


def render_metadata() -> str:
    """The fence-agents meta-data document (fence-agents lib/metadata.rng layout), built with lxml."""
    from lxml import etree

    root = etree.Element("resource-agent", name=NAME, shortdesc="Fence agent that fences nothing (records only)")
    etree.SubElement(root, "longdesc").text = _LONGDESC
    etree.SubElement(root, "vendor-url").text = "none: fence_noop drives no device"
    params = etree.SubElement(root, "parameters")
    for option in OPTIONS:
        # fencing.py prints the old stdin name first, marked deprecated, and the current one as obsoleting it;
        # pacemaker-fenced then passes the target as port= (stonith__device_parameter_flags).
        for alias in option.aliases:
            _parameter(params, option, alias, {"deprecated": "1"})
        _parameter(params, option, option.name, {"obsoletes": option.aliases[0]} if option.aliases else {})
    actions = etree.SubElement(root, "actions")
    for action in FENCE_ACTIONS:
        attrs: dict[str, str] = {"name": action}
        if action == FenceAction.ON:
            attrs["automatic"] = "0"  # no unfencing needed
        etree.SubElement(actions, "action", attrs)
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    return f'<?xml version="1.0" ?>\n{body}'


def _parameter(parent: Any, option: Option, name: str, extra: Mapping[str, str]) -> None:
    from lxml import etree

    attrs = {"name": name, "unique": "0", "required": "1" if option.required else "0", **extra}
    elem = etree.SubElement(parent, "parameter", attrs)
    etree.SubElement(elem, "getopt", mixed=option.getopt_mixed)
    content = {"type": option.type if option.metavar is not None else "boolean"}
    if option.default:
        content["default"] = option.default
    etree.SubElement(elem, "content", content)
    etree.SubElement(elem, "shortdesc", lang="en").text = option.shortdesc


def _usage() -> str:
    lines = [f"Usage:\n\t{NAME} [options]\nOptions:"]
    lines += [f"   {o.getopt_mixed:<31}{o.shortdesc}" for o in OPTIONS]
    lines.append(f"\n{NOTHING_FENCED}.")
    return "\n".join(lines) + "\n"


# --- logging and entry point -------------------------------------------------------------------------------------


def _setup_logging(req: Request, environ: Mapping[str, str], stderr: TextIO) -> None:
    """xenha.ocf.log tagged `fence_noop[pid]`: syslog per HA_LOGFACILITY, stderr unless quiet, debug when verbose.

    Nothing is imported or opened here: the handlers are built on the first record that passes the threshold.
    """
    settings = dict(environ)
    if req.verbose:
        settings["HA_debug"] = "1"
    if req.quiet:  # no stderr handler: XENHA_LOG_STDERR unset and a stream that is no terminal
        settings.pop("XENHA_LOG_STDERR", None)
        stderr = io.StringIO()
    else:  # pacemaker-fenced logs what a fence agent writes on stderr
        settings["XENHA_LOG_STDERR"] = "1"
    log.configure(NAME, "", req.action, settings, stderr=stderr)


def _context(req: Request, environ: Mapping[str, str], runner: Runner | None, host: Host | None) -> FenceContext:
    paths = Paths.from_environ(environ)
    child_env = dict(environ)
    if req.sim_world is not None:
        child_env["XENHA_SIM_WORLD"] = req.sim_world
    return FenceContext(
        env=Env.from_environ(environ, [NAME, req.action], resource_type=NAME),
        paths=paths,
        run=runner or SubprocessRunner(env=child_env, which=paths.which),
        deadline=Deadline(SIM_TIMEOUT),
        state=StateDir(req.state_dir or f"{paths.run_dir}/{NAME}"),
        host=host or Host(),
    )


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    runner: Runner | None = None,
    host: Host | None = None,
) -> int:
    """Run one request: options from the command line if any, else from stdin; errors map to exit 1 here only."""
    argv = sys.argv if argv is None else argv
    environ = os.environ if environ is None else environ
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        raw = parse_argv(argv[1:]) if len(argv) > 1 else parse_stdin((stdin or sys.stdin).read())
        req = request_from(raw.values)
    except ArgsError as exc:
        err.write(f"{exc.reason}\nPlease use '-h' for usage\n")
        return FenceExit.FAILED
    if req.help:
        out.write(_usage())
        return FenceExit.SUCCESS
    if req.version:
        out.write(f"{__version__}\n")
        return FenceExit.SUCCESS
    if req.action in (FenceAction.METADATA, FenceAction.MANPAGE):
        out.write(render_metadata())
        return FenceExit.SUCCESS
    _setup_logging(req, environ, err)
    for warning in raw.warnings:
        _log.warning("%s", warning)
    try:
        reply = HANDLERS[req.action](req, _context(req, environ, runner, host))
    except XenhaError as exc:
        _log.error("%s", exc.reason)
        return FenceExit.FAILED
    except Exception as exc:  # noqa: BLE001 -- a fence agent answers with an exit code, never a traceback
        _log.debug("%s crashed", req.action, exc_info=True)
        _log.error("Failed: internal error: %s: %s", type(exc).__name__, exc)
        return FenceExit.FAILED
    for line in reply.lines:
        out.write(f"{line}\n")
    out.flush()
    return int(reply.code)
