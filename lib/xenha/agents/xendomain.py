# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""XenDomainHA: the OCF agent for one Xen domU (xl or xm), with a DRBD guard before start and live migration.

The monitor (every 10 s, a fresh interpreter each time) runs one `xl list NAME` and imports only the OCF core, the
runner and xenha.xen.listing: no config parsing (the name is a parameter, or remembered per config file), no
toolstack client or error classifier unless the listing is not a plain answer, no `re`, no `json`, no logging
unless a record passes the threshold. Start, stop, migration and validate-all import what they need (the toolstack
client, configs, error classification, command lines, the DRBD guard) when they run.
"""

from __future__ import annotations

import os
import sys

from xenha import __version__, ocf
from xenha.errors import ArgsError, ConfigError, DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.ocf import ExitCode, log
from xenha.ocf.context import bind_handlers, op_deadline
from xenha.ocf.params import BOOL_TEXT, name_problem, read_bool, read_int, read_list, read_pairs, read_path, read_str
from xenha.paths import Paths
from xenha.record import record
from xenha.run import Deadline, poll_until
from xenha.state import StateDir
from xenha.xen.listing import DomainState, Toolstack, find_domain, parse_xl_list, parse_xm_list, says_no_such_domain

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Literal

    from xenha.ocf import Env
    from xenha.ocf.context import Context
    from xenha.run import Result, Runner
    from xenha.xen.config import DomUConfig
    from xenha.xen.ctl import Tool, XenCtl
    from xenha.xen.domain import HealthName, StopStep
    from xenha.xen.listing import Domain

    NameSource = Literal["parameter", "config", "instance"]
    ToolstackChoice = Literal["auto", "xl", "xm"]

__all__ = ["AGENT", "HANDLERS", "TABLE", "DomainError", "Params", "main", "migration_address", "params_from"]

_log = log.get("xenha.xendomain")

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
            "Without it, monitor and stop read the config file only when it changed: the name found in it is "
            "remembered in /run/xenha/XenDomainHA with the file's modification time, size and inode. "
            "When it differs from the config, start passes it to `xl create` as `name=...`. Unique: two resources "
            "for one domain would run it twice. Example: web1. Not reloadable.",
            unique=True,
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
            "power`) instead of `xl shutdown`: for HVM guests without PV drivers. Value: " + BOOL_TEXT + ". "
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
            "Value: " + BOOL_TEXT + ". Default: true. "
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
            "nodes have cpu utilization, or the resource may not be placed. Value: " + BOOL_TEXT + ". "
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
            + BOOL_TEXT
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

# Actions that cannot work without a readable config file; the others find the domain by name.
_NEEDS_CONFIG = frozenset({"start", "validate-all"})
_STATE_TOOLSTACK = "toolstack"
# The name a config file gives its domain, per config path: "MTIME_NS SIZE INODE\nNAME\n" (see _config_name).
_STATE_CONFIG_NAME = "config-name."
_TOOLSTACKS: dict[str, ToolstackChoice] = {"auto": "auto", "xl": "xl", "xm": "xm"}
_MAX_SECONDS = 2**31 - 1


@record
class Params:
    """The validated parameters of one invocation."""

    config: str
    name: str
    name_source: NameSource
    domu: DomUConfig | None
    config_problem: str | None
    toolstack: ToolstackChoice
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


def params_from(env: Env) -> Params:
    """Validate the parameters; the only place that raises ConfigError (and NotInstalled for a missing config).

    Stop is lenient: a malformed optional parameter falls back to its default with a warning, so that stop still
    finds and stops the domain; only a name that start would never have accepted makes it give up.
    """
    lenient = env.action == "stop"
    problems: list[str] = []
    params = env.params
    config = read_str(params, "config")
    name_param = read_str(params, "name")
    if not config and env.action in _NEEDS_CONFIG:
        raise ConfigError("config: parameter is required")

    wants_domu = env.action in _NEEDS_CONFIG or env.action == "migrate_to"
    domu: DomUConfig | None = None
    config_name: str | None = None
    problem: str | None = None
    missing = False
    if config and (wants_domu or not name_param):
        try:
            read_path(params, "config")
        except ConfigError as exc:
            problems.append(exc.reason)
        else:
            if wants_domu:
                domu, problem, missing = _load_config(config, _config_deadline(env))
            else:
                config_name, domu, problem = _config_name(config, env)
    elif not config:
        problem = "no config parameter"

    source: NameSource
    if name_param:
        name, source = name_param, "parameter"
    elif domu is not None:
        name, source = domu.name, "config"
    elif config_name:
        name, source = config_name, "config"
    else:
        name, source = env.base_instance, "instance"
    why = _name_problem(name)
    if why is not None:
        shown = name if len(name) <= 24 else name[:21] + "..."
        raise ConfigError(f"domU {shown!r}: name (from the {source}) {why}")

    toolstack = read_str(params, "toolstack", "auto").lower()
    if toolstack not in _TOOLSTACKS:
        problems.append(f"toolstack={_shown(toolstack)} is not auto, xl or xm")
        toolstack = "auto"
    options = _split_options(read_str(params, "migrate_options"), problems)
    port = _int(params, "migration_port", problems)
    if port is not None and not 0 < port < 65536:
        problems.append(f"migration_port={port} is not a TCP port")
        port = None
    if port is not None and "-s" in options and toolstack != "xm":
        problems.append("migration_port and `-s` in migrate_options both set the ssh command")
    try:
        addresses = read_pairs(params, "migration_address")
    except ConfigError:
        problems.append(f"migration_address={_shown(params.get('migration_address', ''))}: not NODE=ADDRESS pairs")
        addresses = ()
    if any(address.startswith("-") for _, address in addresses):
        problems.append("migration_address: an address starts with '-' (xl migrate would read it as an option)")
        addresses = ()
    attribute = read_str(params, "node_ip_attribute") or None
    attribute_problem = None if attribute is None else name_problem(attribute, allowed=":", max_len=128)
    if attribute is not None and attribute_problem is not None:
        problems.append(f"node_ip_attribute={_shown(attribute)}: {attribute_problem}")
        attribute = None
    result = Params(
        config=config,
        name=name,
        name_source=source,
        domu=domu,
        config_problem=problem,
        toolstack=_TOOLSTACKS[toolstack],
        shutdown_timeout=_int(params, "shutdown_timeout", problems),
        shutdown_acpi=_bool(params, "shutdown_acpi", False, problems),
        migration_address=addresses,
        node_ip_attribute=attribute,
        migration_network_suffix=read_str(params, "migration_network_suffix"),
        migrate_options=options,
        migration_port=port,
        drbd_guard=_bool(params, "drbd_guard", True, problems),
        monitor_scripts=read_list(params, "monitor_scripts"),
        autoset_cpu=_bool(params, "autoset_utilization_cpu", False, problems),
        autoset_hv_memory=_bool(params, "autoset_utilization_hv_memory", False, problems),
    )
    if problems:
        if not lenient:
            raise ConfigError(f"{result.who}: " + "; ".join(problems))
        _log.warning("%s: %s; using the defaults for stop", result.who, "; ".join(problems))
    if problem is not None and env.action in _NEEDS_CONFIG:
        if missing:
            raise NotInstalled(f"{result.who}: {problem}")
        # A config the literal parser cannot read (e.g. Python code in an old xm config) is still fine for
        # `xl create`; only the guard needs its disks.
        if env.action == "validate-all" or result.drbd_guard or source != "parameter":
            raise ConfigError(f"{result.who}: {problem}")
        _log.warning("%s: %s; starting without reading it (drbd_guard is off)", result.who, problem)
    return result


def _name_problem(name: str) -> str | None:
    """Why `name` cannot be a managed domain's name, or None.

    Names as xend accepts them (XendDomainInfo._checkName: [A-Za-z0-9_.:/+-]) less `/` and a leading `-` (it would
    reach `xl list` as an option); libxl is laxer, but these are the names a cluster admin uses, and they are safe in
    argv, log lines and state-file names.
    """
    problem = name_problem(name, allowed=":+", max_len=64) if name else "empty"
    if problem is not None:
        return f"{problem}: must be 1-64 characters from A-Z a-z 0-9 _ . : + -"
    if name.isdigit():
        return "must not be all digits (xl would read it as a domain id)"
    if name == "Domain-0":
        return "is dom0"
    if name.endswith(("--incoming", "--migratedaway")) or name.startswith("migrating-"):
        return "looks like a transient migration name"
    return None


def _shown(value: str) -> str:
    """A parameter value quoted in a message: at most 40 characters of it."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _bool(params: Mapping[str, str], key: str, default: bool, problems: list[str]) -> bool:
    try:
        return read_bool(params, key, default)
    except ConfigError:
        problems.append(f"{key}={_shown(params[key])} is not a boolean ({BOOL_TEXT})")
        return default


def _int(params: Mapping[str, str], key: str, problems: list[str]) -> int | None:
    """A non-negative integer parameter, None when empty."""
    if not read_str(params, key):
        return None
    try:
        return read_int(params, key, 0, low=0, high=_MAX_SECONDS)
    except ConfigError as exc:
        problems.append(exc.reason)
        return None


def _split_options(raw: str, problems: list[str]) -> tuple[str, ...]:
    """migrate_options split as a shell would; plain words without quotes or escapes need no shlex."""
    if raw.isprintable() and not any(char in raw for char in "'\"\\"):
        return tuple(raw.split())  # only ' ' separates words here, as in shlex
    import shlex

    try:
        return tuple(shlex.split(raw))
    except ValueError as exc:
        problems.append(f"migrate_options: {exc}")
        return ()


def _config_deadline(env: Env) -> Deadline:
    """The time a read or stat of the config file may take: a third of the op's, so that a config on a dead NFS or
    OCFS2 mount leaves the action (a stop that then finds the domain by its instance name) the rest."""
    return op_deadline(env, AGENT.action_timeout(env.action)).fraction(1 / 3)


def _load_config(path: str, deadline: Deadline) -> tuple[DomUConfig | None, str | None, bool]:
    """(config, problem, missing): the parsed file, or why it could not be used."""
    from xenha.xen.config import read_domu_config

    try:
        return read_domu_config(path, deadline=deadline), None, False
    except FileNotFoundError:
        return None, f"config {path} does not exist on this node", True
    except OSError as exc:
        return None, f"config {path}: {exc.strerror}", True
    except DeadlineExceeded:
        return None, f"config {path}: its file system did not answer in time", True
    except ParseError as exc:
        return None, f"config {path}: {exc.reason}", False


def _config_name(path: str, env: Env) -> tuple[str | None, DomUConfig | None, str | None]:
    """(name, config, problem) for the actions that need only the domain's name from the config file.

    The name is remembered in the state directory with the file's mtime, size and inode, so a monitor without the
    name parameter stats the file and reads one small state file instead of parsing the config every 10 s. The
    config is parsed (and returned) only when the file changed; a state directory that cannot be written only
    costs the next monitor a parse.
    """
    from xenha.files import stat_path

    deadline = _config_deadline(env)
    try:
        info = stat_path(path, deadline=deadline)
    except FileNotFoundError:
        return None, None, f"config {path} does not exist on this node"
    except OSError as exc:
        return None, None, f"config {path}: {exc.strerror}"
    except DeadlineExceeded:
        return None, None, f"config {path}: its file system did not answer in time"
    stamp = f"{info.st_mtime_ns} {info.st_size} {info.st_ino}"
    state = StateDir(f"{Paths.from_environ(env.environ).run_dir}/{env.resource_type}")
    remembered = (state.read(_STATE_CONFIG_NAME + path) or "").split("\n")
    if len(remembered) >= 2 and remembered[0] == stamp and remembered[1]:
        return remembered[1], None, None
    domu, problem, _ = _load_config(path, deadline)
    if domu is None:
        return None, None, problem
    try:
        state.write(_STATE_CONFIG_NAME + path, f"{stamp}\n{domu.name}\n")
    except (OSError, XenhaError) as exc:
        _log.debug("config %s: name not remembered: %s", path, exc)
    return domu.name, domu, None


# ---------------------------------------------------------------------------------------------------------------------
# Pure decisions


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


# ---------------------------------------------------------------------------------------------------------------------
# The toolstack at run time


def _open(
    p: Params, ctx: Context, name: str | None, *, first: Result | XenhaError | None = None
) -> tuple[XenCtl, tuple[Domain, ...]]:
    """Pick the toolstack and run the first listing with it; with `auto` that listing is the probe.

    The choice `auto` made is remembered in the state directory, so later monitors try it first; the other one is
    tried only when the remembered one is gone or answers unusably, never when it hangs (ctl.open_toolstack).
    `first` is the outcome of that listing when the monitor ran it already with the chosen or remembered tool.
    Raises NotInstalled when no toolstack is installed, NoHypervisor when there is no Xen here, ToolError when the
    chosen one fails or times out.
    """
    from xenha.xen.ctl import open_toolstack

    caps = ctx.paths.xen_capabilities
    if p.toolstack != "auto":
        order: tuple[Tool, ...] = (p.toolstack,)
        return open_toolstack(order, ctx.run, ctx.deadline, name=name, who=p.who, capabilities=caps, first=first)
    cached = _remembered_toolstack(ctx)
    order = ("xm", "xl") if cached == "xm" else ("xl", "xm")
    xen, listing = open_toolstack(order, ctx.run, ctx.deadline, name=name, who=p.who, capabilities=caps, first=first)
    if xen.tool != cached:
        _remember_toolstack(ctx, xen.tool)
    return xen, listing


def _remembered_toolstack(ctx: Context) -> Tool | None:
    """The toolstack `auto` chose before (see _open), or None."""
    cached = (ctx.state.read(_STATE_TOOLSTACK) or "").strip()
    return "xl" if cached == "xl" else "xm" if cached == "xm" else None


def _monitor_listing(p: Params, ctx: Context) -> tuple[Domain, ...]:
    """The monitor's one `xl list NAME`, with the chosen toolstack or the one `auto` remembered.

    A listing and "no such domain" are read here with xenha.xen.listing alone. Anything else (no toolstack
    remembered yet, one that is missing, fails, hangs or prints what is not a listing) goes to _open, which reads
    this same outcome rather than running the command again, and imports the toolstack client only then.
    """
    tool = p.toolstack if p.toolstack != "auto" else _remembered_toolstack(ctx)
    if tool is None:
        return _open(p, ctx, p.name)[1]
    first: Result | XenhaError
    try:
        first = ctx.run([tool, "list", p.name], ctx.deadline)
    except (NotInstalled, DeadlineExceeded) as exc:
        first = exc
    else:
        if first.ok:
            try:
                return (parse_xl_list if tool == Toolstack.XL else parse_xm_list)(first.stdout)
            except ParseError:
                pass  # _open reads it again: for `auto` a listing it cannot parse means trying the other tool
        elif not first.timed_out and says_no_such_domain(first.stderr):
            return ()
    return _open(p, ctx, p.name, first=first)[1]


def _remember_toolstack(ctx: Context, tool: str) -> None:
    """Remember what `auto` chose; at debug level, so that a probe on a freshly booted node stays quiet and light."""
    try:
        ctx.state.write(_STATE_TOOLSTACK, tool + "\n")
    except (OSError, XenhaError) as exc:
        _log.debug("toolstack %s: not remembered: %s", tool, exc)
    else:
        _log.debug("toolstack: using %s (remembered in %s)", tool, ctx.state.path)


def _is_not_found(stderr: str) -> bool:
    """Whether a failed xl/xm command said the domain does not exist (the error classifier, on failure paths)."""
    from xenha.xen.messages import XenErrorKind, parse_xen_error

    return parse_xen_error(stderr).kind is XenErrorKind.DOMAIN_NOT_FOUND


# Seconds between two listings while waiting for a domain to start, stop or arrive: short, because every stop after
# a migration and every start waits on one, and an `xl list` costs little.
_POLL = 0.25


# ---------------------------------------------------------------------------------------------------------------------
# Handlers, in lifecycle order


def start(p: Params, ctx: Context) -> ExitCode:
    """Create the domU unless it runs; DRBD guard first; then wait until it runs, within the op's budget."""
    from xenha.xen.domain import Health, assess, failure_text

    xen, domains = _open(p, ctx, None)
    current = find_domain(domains, p.name)
    health = assess(current)
    if health in (Health.RUNNING, Health.PAUSED):
        _log.info("%s: already running%s", p.who, " (paused)" if health == Health.PAUSED else "")
        return ExitCode.SUCCESS
    if current is not None and health != Health.ABSENT:
        _log.warning("%s: leftover domain is %s; destroying it before the start", p.who, failure_text(current, health))
        _destroy(xen, p.name, ctx.deadline)
    incoming = find_domain(domains, f"{p.name}--incoming") if xen.tool == Toolstack.XL else None
    if incoming is not None:
        _log.info("%s: a live migration into this node is under way; waiting for it to finish", p.who)
        return _await_running(xen, p, ctx.deadline, "start")
    _guard_start(p, ctx)
    from xenha.xen.cmd import create_argv

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
    from xenha.xen.messages import XenErrorKind, parse_xen_error

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
    result = check_start(
        disks, incoming=False, run=ctx.run, deadline=ctx.deadline, proc_drbd=ctx.paths.proc_drbd,
        run_dir=ctx.paths.run_dir,
    )  # fmt: skip
    if not result.is_safe:
        verb = "refusing to start" if result.verdict is Verdict.REFUSE else "cannot verify DRBD, not starting"
        raise GuardRefused(f"{p.who}: {verb}: {result.reason}")
    if disks:
        _log.info("%s: DRBD guard: %s safe to use here", p.who, ", ".join(o.disk.label for o in result.observed))


def _await_running(xen: XenCtl, p: Params, deadline: Deadline, action: str) -> ExitCode:
    """Poll `xl list NAME` until the domU runs for real (not paused, not --incoming); fail early if it died."""
    from xenha.xen.domain import Health, assess, failure_text

    seen: list[HealthName] = []

    def check() -> ExitCode | None:
        domain = xen.domain(p.name, deadline)
        health = assess(domain)
        seen.append(health)
        if health == Health.RUNNING:
            return ExitCode.SUCCESS
        if domain is not None and health in (Health.CRASHED, Health.SHUT_DOWN, Health.DYING):
            raise DomainError(f"{p.who}: {failure_text(domain, health)} during {action}")
        return None

    try:
        return poll_until(check, deadline, interval=_POLL, what=f"{p.who}: {action}")
    except DeadlineExceeded:
        last = seen[-1] if seen else "unknown"
        raise DeadlineExceeded(f"{p.who}: not running at the end of {action} (last seen: {last})") from None


def stop(p: Params, ctx: Context) -> ExitCode:
    """Shut the domU down cleanly, destroy it if it does not finish in time; one `xl list` when it is not here."""
    from xenha.xen.ctl import NoHypervisor
    from xenha.xen.domain import stop_plan

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
    from xenha.xen.domain import stop_plan

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
        if result.failed and _is_not_found(result.stderr):
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
        if result.failed and not _is_not_found(result.stderr):
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
    An absent domU is logged at debug only: Pacemaker records the result, and `logging` stays unimported. The
    states are those of xenha.xen.domain.assess, read from the listed state so that a healthy monitor needs no more
    than xenha.xen.listing (tests/agents/test_xendomain.py holds the two together on every state string).
    """
    try:
        domains = _monitor_listing(p, ctx)
    except NotInstalled as exc:
        from xenha.xen.ctl import NoHypervisor

        if not isinstance(exc, NoHypervisor):
            raise
        # A probe on a node booted without Xen is routine; a recurring monitor finding it means the node changed
        # under a domU we thought ran here.
        _log.log(log.INFO if ctx.env.is_probe else log.WARNING, "%s; nothing can run here, not running", exc.reason)
        return ExitCode.NOT_RUNNING
    domain = find_domain(domains, p.name)
    if domain is None or not domain.is_active:
        _log.debug("%s: not running", p.who)
        return ExitCode.NOT_RUNNING
    state = domain.state
    if state == DomainState.PAUSED:
        _log.warning("%s: paused", p.who)
    elif state not in (DomainState.RUNNING, DomainState.BLOCKED):
        from xenha.xen.domain import assess, failure_text

        raise DomainError(f"{p.who}: {failure_text(domain, assess(domain))}")
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
    from xenha.xen.domain import Health, assess, failure_text

    xen, domains = _open(p, ctx, p.name)
    domain = find_domain(domains, p.name)
    health = assess(domain)
    if health == Health.ABSENT:
        raise DomainError(f"{p.who}: not running here, nothing to migrate to {target}")
    if domain is not None and health not in (Health.RUNNING, Health.PAUSED):
        raise DomainError(f"{p.who}: {failure_text(domain, health)}; not migrating to {target}")
    if target == ctx.env.node:
        _log.info("%s: migrate_target %s is this node; nothing to do", p.who, target)
        return ExitCode.SUCCESS
    _guard_migrate(p, ctx, target)
    from xenha.xen.cmd import migrate_argv

    address, how = _resolve_address(p, ctx, target)
    argv = migrate_argv(xen.tool, p.name, address, p.migrate_options, p.migration_port)
    _log.info("%s: migrating to %s at %s (from %s)", p.who, target, address, how)
    result = ctx.run(argv, ctx.deadline)
    if result.ok:
        _log.info("%s: migrated to %s", p.who, target)
        return ExitCode.SUCCESS
    raise ToolError(_migration_failure(xen, p, target, result), argv=result.argv, rc=result.rc)


def _guard_migrate(p: Params, ctx: Context, target: str) -> None:
    if not p.drbd_guard:
        return
    from xenha.drbd.guard import GuardRefused, check_migrate, drbd_disks

    if p.domu is None:
        raise GuardRefused(f"{p.who}: not migrating to {target}: cannot find its DRBD disks: {p.config_problem}")
    disks = drbd_disks(p.domu.disks)
    result = check_migrate(
        disks, target=target, run=ctx.run, deadline=ctx.deadline, proc_drbd=ctx.paths.proc_drbd,
        run_dir=ctx.paths.run_dir,
    )  # fmt: skip
    if not result.is_safe:
        raise GuardRefused(f"{p.who}: not migrating to {target}: {result.reason}; it keeps running here")


def _resolve_address(p: Params, ctx: Context, target: str) -> tuple[str, str]:
    attribute: str | None = None
    if p.node_ip_attribute and target not in dict(p.migration_address):
        argv = ["crm_attribute", f"--node={target}", f"--name={p.node_ip_attribute}", "-G", "-q"]
        try:
            result = ctx.run(argv, ctx.deadline.fraction(0.25))
        except NotInstalled:
            result = None
        value = result.stdout.strip().splitlines()[0].strip() if result is not None and result.stdout.strip() else ""
        if result is not None and result.ok and value and not value.startswith("-"):
            attribute = value
        else:
            why = "crm_attribute is not installed" if result is None else result.fail_reason
            if value.startswith("-"):
                why = f"{value[:40]!r} would pass for an option"
            _log.warning("%s: node attribute %s of %s unavailable (%s)", p.who, p.node_ip_attribute, target, why)
    return migration_address(target, p.migration_address, attribute, p.migration_network_suffix)


def _migration_failure(xen: XenCtl, p: Params, target: str, result: Result) -> str:
    """The exit reason of a failed migration, after making sure the guest keeps running here when it can."""
    from xenha.xen.domain import Health, assess
    from xenha.xen.messages import MigrateOutcome, parse_migrate_transcript, parse_xen_error

    detail = _migration_detail(result.stderr) or parse_xen_error(result.stderr).message or result.fail_reason
    undefined = False
    if xen.tool == Toolstack.XL:
        transcript = parse_migrate_transcript(result.stderr)
        undefined = transcript.outcome in (MigrateOutcome.UNDEFINED, MigrateOutcome.CRASHED)
    if undefined:
        return f"{p.who}: migration to {target} ended in an undefined state ({detail}); check both nodes"
    try:
        domain = xen.domain(p.name)
    except ToolError:
        domain = None
    health = assess(domain)
    if health == Health.PAUSED:
        xen.call("unpause", p.name)
        _log.warning("%s: paused after the failed migration; unpaused", p.who)
        health = Health.RUNNING
    where = "it keeps running here" if health == Health.RUNNING else f"here it is {health}"
    # Where the guest is comes before the tool's words: ocf.run clips a reason to 128 bytes, and libxl's are long.
    return f"{p.who}: migration to {target} failed, {where}: {detail}"


def _migration_detail(stderr: str) -> str | None:
    """The line naming the cause of a failed `xl migrate`, or the last libxl error; None when there is none."""
    from xenha.xen.messages import MigrateStep

    # The xl_migrate.c messages that say what went wrong, more precisely than the final verdict line (GRAMMAR.md
    # §4.3).
    causes = (
        MigrateStep.TARGET_CREATE_FAILED.value,
        MigrateStep.SENDER_SUSPEND_FAILED.value,
        MigrateStep.SENDER_TARGET_FAILED.value,
    )
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    cause = next((line for line in lines if line.startswith(causes)), None)
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
    from xenha.xen.ctl import XenCtl

    xen = XenCtl(tool, ctx.run, ctx.deadline, p.who, ctx.paths.xen_capabilities)
    running = xen.domain(p.name) is not None
    if not running and p.domu is not None and p.domu.memory_mib:
        result = xen.call("info")
        if result.ok:
            from xenha.xen.messages import parse_xl_info

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


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, runner: Runner | None = None
) -> int:
    """The launcher's entry point: one action from argv, parameters from the environment."""
    handlers = HANDLERS if runner is None else bind_handlers(AGENT, params_from, TABLE, runner=runner)
    return ocf.run(AGENT, handlers, os.environ if environ is None else environ, sys.argv if argv is None else argv)
