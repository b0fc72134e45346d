"""XenDomainHA: the OCF agent for one Xen domU (xl or xm), with a DRBD guard before start and live migration."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from xenha import __version__, ocf
from xenha.errors import ArgsError, ConfigError, DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.ocf import Env, ExitCode
from xenha.ocf.context import Context, bind_handlers
from xenha.run import Deadline, Result, poll_until
from xenha.xen.ctl import NoHypervisor, Tool, XenCtl, find_domain, open_toolstack
from xenha.xen.listing import (
    Domain,
    DomainState,
    DomUConfig,
    MigrateOutcome,
    MigrateStep,
    MigrationRole,
    ShutdownReason,
    Toolstack,
    XenErrorKind,
    parse_domu_config,
    parse_migrate_transcript,
    parse_xen_error,
    parse_xl_info,
)

__all__ = [
    "AGENT",
    "HANDLERS",
    "TABLE",
    "DomainError",
    "Health",
    "Params",
    "StopStep",
    "assess",
    "create_argv",
    "main",
    "migrate_argv",
    "migration_address",
    "params_from",
    "stop_plan",
]

_log = ocf.log.get("xenha.xendomain")

_BOOL_TEXT = "true/false (also yes/no, 1/0, on/off)"

AGENT = ocf.Agent(
    name="XenDomainHA",
    version=__version__,
    shortdesc="Xen unprivileged domain (domU), with DRBD safety checks",
    longdesc=(
        "Manages one Xen domU through the xl toolstack (libxl, Xen 4.1+) or the xm toolstack (xend, Xen 3.x-4.4): "
        "start creates it from its config file, stop shuts it down cleanly and destroys it when the clean shutdown "
        "does not finish in time, monitor reads its state from one `xl list NAME`, and migrate_to/migrate_from move "
        "it live to another node (set the meta attribute allow-migrate=true).\n\n"
        "Failure: a crashed domU, or one that has shut down but is still listed, is reported as failed (1) with the "
        "reason; an absent domU is not running (7). A paused domU counts as running, with a warning in the log. "
        "Stop never fails because the config file is missing: it finds the domain by the name parameter or the "
        "resource name, including the transient names of a live migration (NAME--incoming, NAME--migratedaway, "
        "migrating-NAME). A probe answers 7 for a domU that is not here, and never fails for a missing config "
        "file or toolstack.\n\n"
        "No Xen here: on a node booted without the Xen hypervisor, or without its privcmd interface (`xl list` "
        'fails with "Could not obtain handle on privileged command interface: No such file or directory"; with '
        "xm, xend is unreachable and /proc/xen/capabilities does not say control_d), no domU can run. Then every "
        "monitor answers not running (7), probes and recurring monitors alike, stop succeeds, and start, migrate_to "
        "and migrate_from fail with not installed (5), which keeps the domU off this node until the failure is "
        "cleared. A toolstack that is there but fails otherwise (xend stopped on a dom0, a libxl error, output it "
        "cannot parse) is a generic error (1), probes included, because the domU may then be running unseen. So is "
        "a toolstack that does not answer within the operation's timeout: the reason names it (\"xl list timed "
        'out after 20.0s"), and toolstack=auto does not try the other one then.\n\n'
        "DRBD guard (drbd_guard, on by default): before start, every DRBD device the domU uses (drbd:RES disks of "
        "the block-drbd script, phy:/dev/drbdN, phy:/dev/drbd/by-res/RES[/VOL]) must be UpToDate here and must not "
        "be held Primary by a peer while Secondary here, unless a live migration into this node is under way; "
        "before migrate_to, the target "
        "must be connected with UpToDate data (or Primary already). The state is read from /proc/drbd for DRBD 8 "
        "and from one `drbdsetup status --json` for DRBD 9. With dual-primary resources (a DrbdDualPrimary clone "
        "with promoted-max=2, Primary on both nodes) DRBD's state cannot tell where the guest runs, so the guard "
        "then checks only that the data here is UpToDate and leaves exclusivity to the cluster manager, whose "
        "fencing makes it safe.\n\n"
        "Ordering: colocate and order the domU after the xenha DRBD and storage resources it uses (for example "
        "after the promotion of a drbddual clone); this agent only checks, it never promotes or demotes.\n\n"
        "Action timeouts below are advised minimums."
    ),
    parameters=(
        ocf.Parameter(
            "config",
            "domU configuration file",
            "Absolute path of the domU's configuration file, in xl or xm syntax, as `xl create` reads it. It must "
            "exist on every node that may run the domU. Start and validate-all fail when it is missing here; stop, "
            "monitor and migrate_from do not need it when the name parameter is set. No default. "
            "Example: /etc/xen/web1.cfg. Not reloadable.",
            required=True,
            unique=True,
        ),
        ocf.Parameter(
            "name",
            "domain name",
            "The domain's name as `xl list` shows it. Default: the `name` setting of the config file, else the "
            "resource's name. Set it when the config file may be missing (shared storage) or computes its name. "
            "When it differs from the config, start passes it to `xl create` as `name=...`. Example: web1. "
            "Not reloadable.",
        ),
        ocf.Parameter(
            "toolstack",
            "Xen toolstack",
            "Which toolstack runs the domain: `xl`, `xm`, or `auto`. Auto prefers xl when the `xl` binary exists and "
            "answers, else xm, and remembers the choice in /run/xenha/XenDomainHA/toolstack so a monitor does not "
            "probe every time. The other toolstack is tried only when the first is not installed or answers as an "
            "unusable one (on Xen 4.1-4.4, xl with xend running); one that hangs is reported as timed out, never "
            "replaced. Default: auto. Reloadable.",
            default="auto",
            reloadable=True,
        ),
        ocf.Parameter(
            "shutdown_timeout",
            "clean shutdown time limit",
            "Seconds that stop waits for a clean shutdown (`xl shutdown`) before it destroys the domain "
            "(`xl destroy`). 0 destroys at once. Default (empty): two thirds of what remains of the stop timeout, "
            "keeping the rest for destroy. Example: 120 (then give stop a timeout of at least 150s). Reloadable.",
            type="integer",
            reloadable=True,
        ),
        ocf.Parameter(
            "shutdown_acpi",
            "power button shutdown",
            "When true, stop asks for a clean shutdown with a virtual ACPI power button press (`xl trigger NAME "
            "power`) instead of `xl shutdown`: for HVM guests without PV drivers. Value: " + _BOOL_TEXT + ". "
            "Default: false. Reloadable.",
            type="boolean",
            default="false",
            reloadable=True,
        ),
        ocf.Parameter(
            "migration_address",
            "migration address per node",
            "Where to send a live migration, per target node: space-separated NODE=ADDRESS pairs. A target named "
            "here wins over node_ip_attribute and migration_network_suffix; a target not named falls through to them "
            "and finally to its node name. Default: empty. Example: `ha1=ha1X ha2=10.1.1.2`. Reloadable.",
            reloadable=True,
        ),
        ocf.Parameter(
            "node_ip_attribute",
            "node attribute holding the migration address",
            "Name of a node attribute whose value on the target node is the migration address "
            "(`crm_attribute -N TARGET -n ATTR -G -q`); used when migration_address does not name the target. "
            "Make sure it points at the right node. Default: empty (not used). Example: migration_ip. Reloadable.",
            reloadable=True,
        ),
        ocf.Parameter(
            "migration_network_suffix",
            "suffix of the migration host name",
            "Appended to the target's node name to form the migration address, when neither migration_address nor "
            "node_ip_attribute gives one: with suffix X, a migration to ha2 goes to host ha2X (a name that resolves "
            "to the node's address on the migration network). Default: empty. Example: X. Reloadable.",
            reloadable=True,
        ),
        ocf.Parameter(
            "migrate_options",
            "extra migration arguments",
            "Extra arguments for `xl migrate` (or `xm migrate --live`), split like a shell would (quotes group "
            "words); they come before the domain name. Default: empty. Example: "
            '`-s "ssh -o ConnectTimeout=5"` (xl). Reloadable.',
            reloadable=True,
        ),
        ocf.Parameter(
            "migration_port",
            "migration port",
            "TCP port of the migration listener: xm passes `--port=PORT` (xend relocation server); xl uses ssh, "
            'so the port becomes `-s "ssh -p PORT"` (not together with -s in migrate_options). Default: empty (the '
            "toolstack's default: 8002 for xend, 22 for xl over ssh). Example: 8002. Reloadable.",
            type="integer",
            reloadable=True,
        ),
        ocf.Parameter(
            "drbd_guard",
            "DRBD safety checks",
            "When true, start refuses (generic error, with the reason) if any DRBD device of the domU is Primary on "
            "a peer while Secondary here and no migration into this node is under way, or its data here is not "
            "UpToDate, or its state cannot be read; migrate_to refuses when the target cannot take the devices "
            "(not connected, data not UpToDate). Dual-primary devices (Primary on both nodes) pass the peer check. "
            "Value: " + _BOOL_TEXT + ". Default: true. "
            "Reloadable.",
            type="boolean",
            default="true",
            reloadable=True,
        ),
        ocf.Parameter(
            "monitor_scripts",
            "in-guest check commands",
            "Space-separated absolute paths of executables run by a monitor with OCF_CHECK_LEVEL 10 or more (op "
            "monitor with OCF_CHECK_LEVEL=10), after the domU was found running; each gets the agent's environment "
            "and must exit 0, else the monitor fails with the script's name and status. Default: empty. Example: "
            "`/usr/local/lib/xenha/check-web1-http`. Reloadable.",
            reloadable=True,
        ),
        ocf.Parameter(
            "autoset_utilization_cpu",
            "publish vCPU count as utilization",
            "When true, a monitor of the running domU sets the resource's `cpu` utilization to its vCPU count "
            "(`crm_resource --utilization`), only when the value changed since it was last written. Make sure the "
            "nodes have cpu utilization, or the resource may not be placed. Value: " + _BOOL_TEXT + ". "
            "Default: false. Reloadable.",
            type="boolean",
            default="false",
            reloadable=True,
        ),
        ocf.Parameter(
            "autoset_utilization_hv_memory",
            "publish memory as utilization",
            "When true, a monitor of the running domU sets the resource's `hv_memory` utilization to its memory in "
            "MiB as `xl list` shows it, only when the value changed since it was last written. Value: "
            + _BOOL_TEXT
            + ". Default: false. Reloadable.",
            type="boolean",
            default="false",
            reloadable=True,
        ),
    ),
    actions=(
        ocf.Action("start", 90),
        ocf.Action("stop", 90),
        ocf.Action("monitor", 30, interval=10, depth=0),
        ocf.Action("monitor", 60, interval=60, depth=10),
        ocf.Action("migrate_to", 180),
        ocf.Action("migrate_from", 60),
        ocf.Action("reload", 20),
        ocf.Action("validate-all", 20),
        ocf.Action("meta-data", 5),
    ),
)


class DomainError(XenhaError):
    """Raised when the domU is in a state the action cannot accept (crashed, not here, still migrating)."""


# ---------------------------------------------------------------------------------------------------------------------
# Parameters

NameSource = Literal["parameter", "config", "instance"]

# Names as xend accepts them (XendDomainInfo._checkName: [A-Za-z0-9_.:/+-]) less `/`; libxl is laxer, but these are
# the names a cluster admin uses, and they are safe in argv, log lines and state-file names.
_NAME = re.compile(r"[A-Za-z0-9_.:+-]{1,64}")
_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n", ""})
# Actions that cannot work without a readable config file; the others find the domain by name.
_NEEDS_CONFIG = frozenset({"start", "validate-all"})
_STATE_TOOLSTACK = "toolstack"
_TOOLSTACKS: dict[str, Literal["auto", "xl", "xm"]] = {"auto": "auto", "xl": "xl", "xm": "xm"}


@dataclass(frozen=True, slots=True)
class Params:
    """The validated parameters of one invocation."""

    config: str
    name: str
    name_source: NameSource
    domu: DomUConfig | None
    config_problem: str | None
    toolstack: Literal["auto", "xl", "xm"]
    shutdown_timeout: int | None
    shutdown_acpi: bool
    migration_address: tuple[tuple[str, str], ...]
    node_ip_attribute: str | None
    migration_network_suffix: str
    migrate_options: tuple[str, ...]
    migration_port: int | None
    drbd_guard: bool
    monitor_scripts: tuple[str, ...]
    autoset_cpu: bool
    autoset_hv_memory: bool

    @property
    def who(self) -> str:
        """The object every message starts with."""
        return f"domU {self.name}"


def _name_problem(name: str) -> str | None:
    """Why `name` cannot be a managed domain's name, or None."""
    if not _NAME.fullmatch(name):
        return "must be 1-64 characters from A-Z a-z 0-9 _ . : + -"
    if name.isdigit():
        return "must not be all digits (xl would read it as a domain id)"
    if name == "Domain-0":
        return "is dom0"
    if name.endswith(("--incoming", "--migratedaway")) or name.startswith("migrating-"):
        return "looks like a transient migration name"
    return None


def _bool(env: Env, key: str, default: bool, problems: list[str]) -> bool:
    raw = env.params.get(key)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False if text else default
    problems.append(f"{key}={raw!r} is not a boolean")
    return default


def _int(env: Env, key: str, problems: list[str]) -> int | None:
    raw = (env.params.get(key) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        problems.append(f"{key}={raw!r} is not a non-negative integer")
        return None
    return int(raw)


def _pairs(raw: str, key: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for word in raw.split():
        node, sep, address = word.partition("=")
        if not sep or not node or not address:
            problems.append(f"{key}: {word!r} is not NODE=ADDRESS")
            continue
        pairs.append((node, address))
    return tuple(pairs)


def _split(raw: str, key: str, problems: list[str]) -> tuple[str, ...]:
    if not raw.strip():
        return ()
    import shlex

    try:
        return tuple(shlex.split(raw))
    except ValueError as exc:
        problems.append(f"{key}: {exc}")
        return ()


def _load_config(path: str) -> tuple[DomUConfig | None, str | None, bool]:
    """(config, problem, missing): the parsed file, or why it could not be used."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, f"config {path} does not exist on this node", True
    except OSError as exc:
        return None, f"config {path}: {exc.strerror}", True
    try:
        return parse_domu_config(text), None, False
    except ParseError as exc:
        return None, f"config {path}: {exc.reason}", False


def params_from(env: Env) -> Params:
    """Validate the parameters; the only place that raises ConfigError (and NotInstalled for a missing config).

    Stop is lenient: a malformed optional parameter falls back to its default with a warning, so that stop still
    finds and stops the domain; only a name that start would never have accepted makes it give up.
    """
    lenient = env.action == "stop"
    problems: list[str] = []
    config = (env.params.get("config") or "").strip()
    name_param = (env.params.get("name") or "").strip()
    if not config and env.action in _NEEDS_CONFIG:
        raise ConfigError("config: parameter is required")

    domu: DomUConfig | None = None
    problem: str | None = None
    missing = False
    if config and (env.action in _NEEDS_CONFIG or env.action == "migrate_to" or not name_param):
        if not os.path.isabs(config):
            problems.append(f"config={config!r} is not an absolute path")
        else:
            domu, problem, missing = _load_config(config)
    elif not config:
        problem = "no config parameter"

    source: NameSource
    if name_param:
        name, source = name_param, "parameter"
    elif domu is not None:
        name, source = domu.name, "config"
    else:
        name, source = env.base_instance, "instance"
    why = _name_problem(name)
    if why is not None:
        raise ConfigError(f"domU {name}: the name (from the {source}) {why}")

    toolstack = (env.params.get("toolstack") or "auto").strip().lower()
    if toolstack not in _TOOLSTACKS:
        problems.append(f"toolstack={toolstack!r} is not auto, xl or xm")
        toolstack = "auto"
    options = _split(env.params.get("migrate_options") or "", "migrate_options", problems)
    port = _int(env, "migration_port", problems)
    if port is not None and not 0 < port < 65536:
        problems.append(f"migration_port={port} is not a TCP port")
        port = None
    if port is not None and "-s" in options and toolstack != "xm":
        problems.append("migration_port and `-s` in migrate_options both set the ssh command")
    params = Params(
        config=config,
        name=name,
        name_source=source,
        domu=domu,
        config_problem=problem,
        toolstack=_TOOLSTACKS[toolstack],
        shutdown_timeout=_int(env, "shutdown_timeout", problems),
        shutdown_acpi=_bool(env, "shutdown_acpi", False, problems),
        migration_address=_pairs(env.params.get("migration_address") or "", "migration_address", problems),
        node_ip_attribute=(env.params.get("node_ip_attribute") or "").strip() or None,
        migration_network_suffix=(env.params.get("migration_network_suffix") or "").strip(),
        migrate_options=options,
        migration_port=port,
        drbd_guard=_bool(env, "drbd_guard", True, problems),
        monitor_scripts=tuple((env.params.get("monitor_scripts") or "").split()),
        autoset_cpu=_bool(env, "autoset_utilization_cpu", False, problems),
        autoset_hv_memory=_bool(env, "autoset_utilization_hv_memory", False, problems),
    )
    if problems:
        if not lenient:
            raise ConfigError(f"{params.who}: " + "; ".join(problems))
        _log.warning("%s: %s; using the defaults for stop", params.who, "; ".join(problems))
    if problem is not None and env.action in _NEEDS_CONFIG:
        if missing:
            raise NotInstalled(f"{params.who}: {problem}")
        # A config the literal parser cannot read (e.g. Python code in an old xm config) is still fine for
        # `xl create`; only the guard needs its disks.
        if env.action == "validate-all" or params.drbd_guard or source != "parameter":
            raise ConfigError(f"{params.who}: {problem}")
        _log.warning("%s: %s; starting without reading it (drbd_guard is off)", params.who, problem)
    return params


# ---------------------------------------------------------------------------------------------------------------------
# Pure decisions


class Health(Enum):
    """What one `xl list` row means for the resource."""

    ABSENT = "absent"
    RUNNING = "running"
    PAUSED = "paused"
    MIGRATING = "migrating"
    CRASHED = "crashed"
    SHUT_DOWN = "shut down"
    DYING = "dying"


def assess(domain: Domain | None) -> Health:
    """Classify a listed domain (None: not listed). A domain xend knows but has not started (no id) is ABSENT."""
    if domain is None or not domain.is_active:
        return Health.ABSENT
    state = domain.state
    if state in (DomainState.RUNNING, DomainState.BLOCKED):
        return Health.RUNNING
    return {
        DomainState.PAUSED: Health.PAUSED,
        DomainState.MIGRATING: Health.MIGRATING,
        DomainState.CRASHED: Health.CRASHED,
        DomainState.SHUTDOWN: Health.SHUT_DOWN,
        DomainState.DYING: Health.DYING,
    }[state]


def _failure_text(domain: Domain, health: Health) -> str:
    """`crashed`, `shut down (reboot) but still present` ... for exit reasons."""
    if health is Health.SHUT_DOWN:
        reason = domain.shutdown_reason
        detail = "" if reason is None or reason is ShutdownReason.POWEROFF else f" ({reason.value})"
        return f"shut down{detail} but still present (flags {domain.flags})"
    return f"{health.value} (flags {domain.flags})"


@dataclass(frozen=True, slots=True)
class StopStep:
    """One domain stop acts on: its listed name, and whether it gets a clean shutdown before destroy."""

    name: str
    clean: bool
    unpause: bool = False


def stop_plan(domains: Sequence[Domain], name: str) -> tuple[StopStep, ...]:
    """The domains that make up `name` here, in the order stop handles them.

    A running domain under its own name (or xend's `migrating-NAME`, which is still running while xend copies it)
    gets a clean shutdown first; a paused one is unpaused so it can act on the request. xl's `NAME--migratedaway`
    (suspended, its memory sent) and `NAME--incoming` (not yet started) are destroyed at once, as is anything shut
    down, crashed or dying.
    """
    steps: list[StopStep] = []
    for domain in domains:
        if domain.name is None or domain.base_name != name or not domain.is_active:
            continue
        role = domain.migration_role
        health = assess(domain)
        paused = domain.flags is not None and domain.flags[2] == "p"
        clean_candidate = role is None or (role is MigrationRole.OUTGOING and domain.toolstack is Toolstack.XM)
        clean = clean_candidate and health in (Health.RUNNING, Health.PAUSED, Health.MIGRATING)
        steps.append(StopStep(domain.name, clean, unpause=clean and paused))
    order = {None: 0, MigrationRole.OUTGOING: 1, MigrationRole.INCOMING: 2}
    by_name = {d.name: d for d in domains}
    return tuple(sorted(steps, key=lambda s: order[by_name[s.name].migration_role]))


def migration_address(
    target: str, mapping: Sequence[tuple[str, str]], attribute: str | None, suffix: str
) -> tuple[str, str]:
    """(address, how it was chosen): the mapping, else the node attribute, else node name + suffix."""
    for node, address in mapping:
        if node == target:
            return address, "migration_address"
    if attribute and attribute != "(null)":
        return attribute, "node_ip_attribute"
    if suffix:
        return target + suffix, "migration_network_suffix"
    return target, "node name"


def create_argv(tool: Tool, config: str, name: str, *, override_name: bool) -> list[str]:
    """`xl create CONFIG [name="NAME"]` / `xm create CONFIG [name=NAME]` (xl's parser wants the quotes, xm's none)."""
    argv = [tool, "create", config]
    if override_name:
        argv.append(f'name="{name}"' if tool == "xl" else f"name={name}")
    return argv


def migrate_argv(tool: Tool, name: str, address: str, options: Sequence[str], port: int | None) -> list[str]:
    """`xl migrate [OPTS] [-s "ssh -p PORT"] NAME ADDR` / `xm migrate --live [--port=PORT] [OPTS] NAME ADDR`."""
    if tool == "xl":
        extra = ["-s", f"ssh -p {port}"] if port is not None else []
        return ["xl", "migrate", *options, *extra, name, address]
    extra = [f"--port={port}"] if port is not None else []
    return ["xm", "migrate", "--live", *extra, *options, name, address]


# ---------------------------------------------------------------------------------------------------------------------
# The toolstack at run time


def _open(p: Params, ctx: Context, name: str | None) -> tuple[XenCtl, tuple[Domain, ...]]:
    """Pick the toolstack and run the first listing with it; with `auto` that listing is the probe.

    The choice `auto` made is remembered in the state directory, so later monitors try it first; the other one is
    tried only when the remembered one is gone or answers unusably, never when it hangs (xenctl.open_toolstack).
    Raises NotInstalled when no toolstack is installed, NoHypervisor when there is no Xen here, ToolError when the
    chosen one fails or times out.
    """
    caps = ctx.paths.xen_capabilities
    if p.toolstack != "auto":
        return open_toolstack((p.toolstack,), ctx.run, ctx.deadline, name=name, who=p.who, capabilities=caps)
    cached = (ctx.state.read(_STATE_TOOLSTACK) or "").strip()
    order: tuple[Tool, ...] = ("xm", "xl") if cached == "xm" else ("xl", "xm")
    xen, listing = open_toolstack(order, ctx.run, ctx.deadline, name=name, who=p.who, capabilities=caps)
    if xen.tool != cached:
        _remember_toolstack(ctx, xen.tool)
    return xen, listing


def _remember_toolstack(ctx: Context, tool: str) -> None:
    try:
        ctx.state.write(_STATE_TOOLSTACK, tool + "\n")
    except (OSError, XenhaError) as exc:
        _log.debug("toolstack %s: not remembered: %s", tool, exc)
    else:
        _log.info("toolstack: using %s (remembered in %s)", tool, ctx.state.path)


# Seconds between two listings while waiting for a domain to start, stop or arrive: short, because every stop after
# a migration and every start waits on one, and an `xl list` costs little.
_POLL = 0.25


# ---------------------------------------------------------------------------------------------------------------------
# Handlers, in lifecycle order


def start(p: Params, ctx: Context) -> ExitCode:
    """Create the domU unless it runs; DRBD guard first; then wait until it runs, within the op's budget."""
    xen, domains = _open(p, ctx, None)
    current = find_domain(domains, p.name)
    health = assess(current)
    if health in (Health.RUNNING, Health.PAUSED):
        _log.info("%s: already running%s", p.who, " (paused)" if health is Health.PAUSED else "")
        return ExitCode.SUCCESS
    if current is not None and health is not Health.ABSENT:
        _log.warning("%s: leftover domain is %s; destroying it before the start", p.who, _failure_text(current, health))
        _destroy(xen, p.name, ctx.deadline)
    incoming = find_domain(domains, f"{p.name}--incoming") if xen.tool == "xl" else None
    if incoming is not None:
        _log.info("%s: a live migration into this node is under way; waiting for it to finish", p.who)
        return _await_running(xen, p, ctx.deadline, "start")
    _guard_start(p, ctx)
    override = p.name_source == "parameter" and (p.domu is None or p.domu.name != p.name)
    argv = create_argv(xen.tool, p.config, p.name, override_name=override)
    result = ctx.run(argv, ctx.deadline)
    if result.failed:
        raise ToolError(f"{p.who}: {xen.tool} create failed: {_tool_detail(result)}", argv=result.argv, rc=result.rc)
    code = _await_running(xen, p, ctx.deadline, "start")
    _log.info("%s: started", p.who)
    return code


def _tool_detail(result: Result) -> str:
    """What a failed xl/xm command said: its classified error, else its last line that is not progress chatter."""
    error = parse_xen_error(result.stderr)
    if error.kind is not XenErrorKind.UNKNOWN:
        return error.message
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    chatter = ("Parsing config from", "Using config file", "Started domain")  # xl_vmcontrol.c / xm create
    useful = [line for line in lines if not line.startswith(chatter)]
    return useful[-1] if useful else result.fail_reason


def _guard_start(p: Params, ctx: Context) -> None:
    if not p.drbd_guard:
        return
    from xenha.drbd.guard import GuardRefused, Verdict, check_start, drbd_disks

    if p.domu is None:  # params_from refused a start without a readable config while the guard is on
        raise GuardRefused(f"{p.who}: cannot find its DRBD disks: {p.config_problem}")
    disks = drbd_disks(p.domu.disks)
    result = check_start(disks, incoming=False, run=ctx.run, deadline=ctx.deadline, proc_drbd=ctx.paths.proc_drbd)
    if not result.is_safe:
        verb = "refusing to start" if result.verdict is Verdict.REFUSE else "cannot verify DRBD, not starting"
        raise GuardRefused(f"{p.who}: {verb}: {result.reason}")
    if disks:
        _log.info("%s: DRBD guard: %s safe to use here", p.who, ", ".join(o.disk.label for o in result.observed))


def _await_running(xen: XenCtl, p: Params, deadline: Deadline, action: str) -> ExitCode:
    """Poll `xl list NAME` until the domU runs for real (not paused, not --incoming); fail early if it died."""
    seen: list[Health] = []

    def check() -> ExitCode | None:
        domain = xen.domain(p.name, deadline)
        health = assess(domain)
        seen.append(health)
        if health is Health.RUNNING:
            return ExitCode.SUCCESS
        if domain is not None and health in (Health.CRASHED, Health.SHUT_DOWN, Health.DYING):
            raise DomainError(f"{p.who}: {_failure_text(domain, health)} during {action}")
        return None

    try:
        return poll_until(check, deadline, interval=_POLL, what=f"{p.who}: {action}")
    except DeadlineExceeded:
        last = seen[-1].value if seen else "unknown"
        raise DeadlineExceeded(f"{p.who}: not running at the end of {action} (last seen: {last})") from None


def stop(p: Params, ctx: Context) -> ExitCode:
    """Shut the domU down cleanly, destroy it if it does not finish in time; one `xl list` when it is not here."""
    try:
        xen, domains = _open(p, ctx, None)
    except NoHypervisor as exc:
        _log.info("%s; nothing can run here, so nothing to stop", exc.reason)
        return ExitCode.SUCCESS
    steps = stop_plan(domains, p.name)
    if not steps and any(d.name is None for d in domains):
        steps = _await_reboot(xen, p, ctx)
    if not steps:
        _log.info("%s: not running here", p.who)
        return ExitCode.SUCCESS
    for step in steps:
        _stop_one(xen, p, ctx, step)
    _log.info("%s: stopped", p.who)
    return ExitCode.SUCCESS


def _await_reboot(xen: XenCtl, p: Params, ctx: Context) -> tuple[StopStep, ...]:
    """A nameless domain is one being built or torn down: perhaps ours, rebooting. Watch it for a few seconds.

    xl reboots a domU by destroying it and creating it again under the same name; in between, `xl list` shows the
    old one as `(null)` (GRAMMAR.md §4.3). Returning "stopped" then would let the new one run unmanaged.
    """
    window = ctx.deadline.sub(5.0)
    _log.info("%s: not listed, but a nameless domain is; waiting up to %.0fs for a reboot", p.who, window.remaining())

    def check() -> tuple[StopStep, ...] | None:
        domains = xen.list(ctx.deadline)
        steps = stop_plan(domains, p.name)
        if steps or not any(d.name is None for d in domains):
            return steps
        return None

    try:
        return poll_until(check, window, interval=_POLL, what=f"{p.who}: reboot")
    except DeadlineExceeded:
        return ()


def _shutdown_deadline(p: Params, ctx: Context) -> Deadline:
    if p.shutdown_timeout is not None:
        return ctx.deadline.sub(float(p.shutdown_timeout))
    return ctx.deadline.fraction(2 / 3)


def _stop_one(xen: XenCtl, p: Params, ctx: Context, step: StopStep) -> None:
    who = f"domU {step.name}"
    if step.clean and (p.shutdown_timeout is None or p.shutdown_timeout > 0):
        limit = _shutdown_deadline(p, ctx)
        if step.unpause:
            _log.warning("%s: paused; unpausing it so it can shut down", who)
            xen.call("unpause", step.name, deadline=limit)
        how = ("trigger", step.name, "power") if p.shutdown_acpi else ("shutdown", step.name)
        _log.info("%s: %s, waiting up to %.0fs", who, " ".join(how), limit.remaining())
        result = xen.call(*how, deadline=limit)
        if result.failed and parse_xen_error(result.stderr).kind is XenErrorKind.DOMAIN_NOT_FOUND:
            return
        if result.failed:
            _log.warning("%s: clean shutdown refused (%s); destroying it", who, result.fail_reason)
        elif _gone(xen, step.name, limit, ctx.deadline):
            _log.info("%s: shut down cleanly", who)
            return
        else:
            _log.warning("%s: did not shut down in time; destroying it", who)
    _destroy(xen, step.name, ctx.deadline)


def _gone(xen: XenCtl, name: str, window: Deadline, deadline: Deadline) -> bool:
    """Poll until `name` is no longer listed; False when it still is when `window` closes.

    Each `xl list` gets the op's `deadline`, not what is left of the window: a look started just before the
    window closes must still be allowed to answer.
    """

    def check() -> bool | None:
        return True if xen.domain(name, deadline) is None else None

    try:
        poll_until(check, window, interval=_POLL, what=f"domU {name}: shutdown")
    except DeadlineExceeded:
        return False
    return True


def _destroy(xen: XenCtl, name: str, deadline: Deadline) -> None:
    """`xl destroy NAME` until it is gone; stop must not lie, so running out of time is an error."""

    def check() -> bool | None:
        result = xen.call("destroy", name, deadline=deadline)
        if result.failed and parse_xen_error(result.stderr).kind is not XenErrorKind.DOMAIN_NOT_FOUND:
            _log.warning("domU %s: destroy failed: %s", name, result.fail_reason)
        return True if xen.domain(name, deadline) is None else None

    _log.warning("domU %s: destroying", name)
    try:
        poll_until(check, deadline, interval=_POLL, what=f"domU {name}: destroy")
    except DeadlineExceeded:
        raise DeadlineExceeded(f"domU {name}: still present after destroy") from None


def monitor(p: Params, ctx: Context) -> ExitCode:
    """One `xl list NAME`: running/blocked 0, paused 0 with a warning, absent 7, crashed or shut down 1.

    No Xen hypervisor here is 7 as well, for a probe and a recurring monitor alike: nothing can run on this node.
    A toolstack that is there but fails or hangs is 1, probes included: then the domU may be running unseen.
    """
    try:
        _, domains = _open(p, ctx, p.name)
    except NoHypervisor as exc:
        # A probe on a node booted without Xen is routine; a recurring monitor finding it means the node changed
        # under a domU we thought ran here.
        level = ocf.log.INFO if ctx.env.is_probe else ocf.log.WARNING
        _log.log(level, "%s; nothing can run here, not running", exc.reason)
        return ExitCode.NOT_RUNNING
    domain = find_domain(domains, p.name)
    health = assess(domain)
    if domain is None or health is Health.ABSENT:
        if not ctx.env.is_probe:
            _log.info("%s: not running", p.who)
        return ExitCode.NOT_RUNNING
    if health is Health.PAUSED:
        _log.warning("%s: paused", p.who)
    elif health is not Health.RUNNING:
        raise DomainError(f"{p.who}: {_failure_text(domain, health)}")
    if p.autoset_cpu or p.autoset_hv_memory:
        _update_utilization(p, ctx, domain)
    if ctx.env.check_level >= 10 and p.monitor_scripts:
        _run_monitor_scripts(p, ctx)
    return ExitCode.SUCCESS


def _update_utilization(p: Params, ctx: Context, domain: Domain) -> None:
    """Set cpu/hv_memory utilization when it changed since last written (remembered per resource)."""
    wanted: dict[str, str] = {}
    if p.autoset_cpu:
        wanted["cpu"] = str(domain.vcpus)
    if p.autoset_hv_memory:
        wanted["hv_memory"] = str(domain.memory_mib)
    state_name = f"utilization.{ctx.env.base_instance}"
    known = dict(line.split("=", 1) for line in (ctx.state.read(state_name) or "").split() if "=" in line)
    changed = {k: v for k, v in wanted.items() if known.get(k) != v}
    if not changed:
        return
    for attr, value in changed.items():
        argv = ["crm_resource", "-r", ctx.env.base_instance, "-z", "-p", attr, "-v", value]
        try:
            result = ctx.run(argv, ctx.deadline)
        except NotInstalled:
            _log.warning("%s: crm_resource is not installed; utilization not set", p.who)
            return
        if result.failed:
            _log.warning("%s: cannot set utilization %s=%s: %s", p.who, attr, value, result.fail_reason)
            return
        known[attr] = value
        _log.info("%s: utilization %s set to %s", p.who, attr, value)
    try:
        ctx.state.write(state_name, "".join(f"{k}={v}\n" for k, v in sorted(known.items())))
    except (OSError, XenhaError) as exc:
        _log.debug("%s: utilization not remembered: %s", p.who, exc)


def _run_monitor_scripts(p: Params, ctx: Context) -> None:
    for script in p.monitor_scripts:
        try:
            result = ctx.run([script], ctx.deadline)
        except NotInstalled:
            raise DomainError(f"{p.who}: monitor script {script} is missing or not executable") from None
        if result.failed:
            raise DomainError(f"{p.who}: monitor script {script} failed: {result.fail_reason}")


def migrate_to(p: Params, ctx: Context) -> ExitCode:
    """Live-migrate the running domU to the migrate_target node; on failure it keeps running here."""
    target = ctx.env.meta.get("migrate_target", "").strip()
    if not target:
        raise ArgsError(f"{p.who}: migrate_to needs the migrate_target meta attribute (set by Pacemaker)")
    xen, domains = _open(p, ctx, p.name)
    domain = find_domain(domains, p.name)
    health = assess(domain)
    if health is Health.ABSENT:
        raise DomainError(f"{p.who}: not running here, nothing to migrate to {target}")
    if domain is not None and health not in (Health.RUNNING, Health.PAUSED):
        raise DomainError(f"{p.who}: {_failure_text(domain, health)}; not migrating to {target}")
    if target == ctx.env.node:
        _log.info("%s: migrate_target %s is this node; nothing to do", p.who, target)
        return ExitCode.SUCCESS
    _guard_migrate(p, ctx, target)
    address, how = _resolve_address(p, ctx, target)
    argv = migrate_argv(xen.tool, p.name, address, p.migrate_options, p.migration_port)
    _log.info("%s: migrating to %s at %s (from %s)", p.who, target, address, how)
    result = ctx.run(argv, ctx.deadline)
    if result.ok:
        _log.info("%s: migrated to %s", p.who, target)
        return ExitCode.SUCCESS
    raise ToolError(_migration_failure(xen, p, ctx, target, result), argv=result.argv, rc=result.rc)


def _guard_migrate(p: Params, ctx: Context, target: str) -> None:
    if not p.drbd_guard:
        return
    from xenha.drbd.guard import GuardRefused, check_migrate, drbd_disks

    if p.domu is None:
        raise GuardRefused(f"{p.who}: not migrating to {target}: cannot find its DRBD disks: {p.config_problem}")
    disks = drbd_disks(p.domu.disks)
    result = check_migrate(disks, target=target, run=ctx.run, deadline=ctx.deadline, proc_drbd=ctx.paths.proc_drbd)
    if not result.is_safe:
        raise GuardRefused(f"{p.who}: not migrating to {target}: {result.reason}; it keeps running here")


def _resolve_address(p: Params, ctx: Context, target: str) -> tuple[str, str]:
    attribute: str | None = None
    if p.node_ip_attribute and target not in dict(p.migration_address):
        argv = ["crm_attribute", "-N", target, "-n", p.node_ip_attribute, "-G", "-q"]
        try:
            result = ctx.run(argv, ctx.deadline.fraction(0.25))
        except NotInstalled:
            result = None
        if result is not None and result.ok and result.stdout.strip():
            attribute = result.stdout.strip().splitlines()[0].strip()
        else:
            why = "crm_attribute is not installed" if result is None else result.fail_reason
            _log.warning("%s: node attribute %s of %s unavailable (%s)", p.who, p.node_ip_attribute, target, why)
    return migration_address(target, p.migration_address, attribute, p.migration_network_suffix)


def _migration_failure(xen: XenCtl, p: Params, ctx: Context, target: str, result: Result) -> str:
    """The exit reason of a failed migration, after making sure the guest keeps running here when it can."""
    detail = _migration_detail(result.stderr) or parse_xen_error(result.stderr).message or result.fail_reason
    undefined = False
    if xen.tool == "xl":
        transcript = parse_migrate_transcript(result.stderr)
        undefined = transcript.outcome in (MigrateOutcome.UNDEFINED, MigrateOutcome.CRASHED)
    if undefined:
        return f"{p.who}: migration to {target} ended in an undefined state ({detail}); check both nodes"
    try:
        domain = xen.domain(p.name)
    except ToolError:
        domain = None
    health = assess(domain)
    if health is Health.PAUSED:
        xen.call("unpause", p.name)
        _log.warning("%s: paused after the failed migration; unpaused", p.who)
        health = Health.RUNNING
    where = "it keeps running here" if health is Health.RUNNING else f"here it is {health.value}"
    return f"{p.who}: migration to {target} failed: {detail}; {where}"


# The xl_migrate.c messages that say what went wrong, more precisely than the final verdict line (GRAMMAR.md §4.3).
_MIGRATE_CAUSES = (
    MigrateStep.TARGET_CREATE_FAILED.value,
    MigrateStep.SENDER_SUSPEND_FAILED.value,
    MigrateStep.SENDER_TARGET_FAILED.value,
)


def _migration_detail(stderr: str) -> str | None:
    """The line naming the cause of a failed `xl migrate`, or the last libxl error; None when there is none."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    cause = next((line for line in lines if line.startswith(_MIGRATE_CAUSES)), None)
    if cause is None:
        cause = next((line for line in reversed(lines) if line.startswith(("libxl: error:", "xc: error:"))), None)
    return None if cause is None else cause.rstrip(".")


def migrate_from(p: Params, ctx: Context) -> ExitCode:
    """Succeed once the domU runs here for real; fail at once when neither it nor its incoming copy is here."""
    xen, domains = _open(p, ctx, None)
    if not any(d.base_name == p.name or d.name is None for d in domains):
        raise DomainError(f"{p.who}: not here after the migration")
    return _await_running(xen, p, ctx.deadline, "migrate_from")


def reload(p: Params, ctx: Context) -> ExitCode:
    """Every parameter but config and name is read at each action; forget what was cached from the old ones."""
    ctx.state.remove(f"utilization.{ctx.env.base_instance}")
    if p.toolstack != "auto":
        ctx.state.remove(_STATE_TOOLSTACK)
    _log.info("%s: parameters reloaded", p.who)
    return ExitCode.SUCCESS


def validate_all(p: Params, ctx: Context) -> ExitCode:
    """Config, names and toolstack; with OCF_CHECK_LEVEL 10 also free memory, monitor scripts and DRBD here."""
    tools: tuple[Tool, ...] = ("xl", "xm") if p.toolstack == "auto" else (p.toolstack,)
    found = [t for t in tools if ctx.paths.which(t)]
    if not found:
        raise NotInstalled(f"{p.who}: toolstack {' or '.join(tools)} is not installed")
    for script in p.monitor_scripts:
        if not (os.path.isabs(script) and os.access(script, os.X_OK)):
            raise NotInstalled(f"{p.who}: monitor script {script} is not an executable absolute path")
    if p.name_source == "parameter" and p.domu is not None and p.domu.name != p.name:
        _log.info("%s: the config names it %s; start passes the name parameter", p.who, p.domu.name)
    if ctx.env.check_level >= 10:
        _validate_environment(p, ctx, found[0])
    return ExitCode.SUCCESS


def _validate_environment(p: Params, ctx: Context, tool: Tool) -> None:
    xen = XenCtl(tool, ctx.run, ctx.deadline, p.who, ctx.paths.xen_capabilities)
    running = xen.domain(p.name) is not None
    if not running and p.domu is not None and p.domu.memory_mib:
        result = xen.call("info")
        if result.ok:
            try:
                free = int(parse_xl_info(result.stdout).get("free_memory", "0"))
            except (ParseError, ValueError):
                free = -1
            if 0 <= free < p.domu.memory_mib:
                raise DomainError(f"{p.who}: needs {p.domu.memory_mib} MiB, {tool} info shows {free} MiB free")
    if p.drbd_guard and p.domu is not None:
        from xenha.drbd.guard import drbd_disks, observe

        for item in observe(
            drbd_disks(p.domu.disks), run=ctx.run, deadline=ctx.deadline, proc_drbd=ctx.paths.proc_drbd
        ):
            if item.problem is not None:
                _log.warning("%s: %s: %s", p.who, item.disk.label, item.problem)


TABLE: Mapping[str, Callable[[Params, Context], ExitCode]] = {
    "start": start,
    "stop": stop,
    "monitor": monitor,
    "migrate_to": migrate_to,
    "migrate_from": migrate_from,
    "reload": reload,
    "validate-all": validate_all,
}
HANDLERS = bind_handlers(AGENT, params_from, TABLE)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The launcher's entry point: one action from argv, parameters from the environment."""
    return ocf.run(AGENT, HANDLERS, os.environ if environ is None else environ, sys.argv if argv is None else argv)
