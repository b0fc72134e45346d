# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha convert`: a heartbeat v1 configuration (haresources, xendomainsHA<N>) as a Pacemaker configuration.

The admins this is for run the pattern of the heartbeat v1 guides: haresources lines `ha1 xendomainsHA1` /
`ha2 xendomainsHA2`, /etc/default/xendomainsHA<N> (XENDOMAINS_AUTO=/etc/xen/auto/HA1, XENDOMAINS_MIGRATE="ha2X
--live"), the auto directories holding (links to) domU configs with `drbd:RES` or `phy:/dev/drbdN` disks, and a
drbd.conf with `allow-two-primaries`. Three stages, the middle ones pure:

- `read_setup` (the only I/O): every file read bounded, never blocking on a FIFO; nothing is executed. Its
  records are `HaResources` (parse_haresources), `HaCf` (parse_ha_cf), one `GroupInput` per group
  (xenha.hb1.config reads the defaults and the guests' configs) and the DRBD configuration (xenha.drbd.conf).
- `build_model`: what Pacemaker should run. A DrbdDualPrimary promotable clone per DRBD resource a guest uses
  (promoted-max 2 when the resource allows two Primaries, else 1), a XenDomainHA per guest (allow-migrate when its
  group migrated on stop, migration_address from the XENDOMAINS_MIGRATE target and the node names), colocation
  with and order after each of its clones, a location preference for the group's home node, resource-stickiness
  from ha.cf's auto_failback, cluster properties, and `Finding`s: what cannot be carried over, each marked when it
  needs the admin's decision.
- `render_crm` / `render_pcs`: crmsh text for `crm configure load update FILE`, or a sh script of pcs commands
  that edits a copy of the CIB and pushes it. The findings head the output as comments.

Fencing is never decided here: heartbeat v1 clusters of this pattern usually ran without it, and the real fence
agent (IPMI, a PDU, SBD, ...) is the admin's choice. The output sets stonith-enabled=true, shows where the fence
device goes in a comment, and always lists fencing as a decision; it never prints stonith-enabled=false.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from xenha import __version__
from xenha.drbd.conf import DrbdConf, DrbdResource, parse_drbd_conf
from xenha.errors import ConfigError, ParseError, XenhaError
from xenha.files import read_text
from xenha.hb1.config import SCRIPT_PREFIX, GroupConfig, Guest, ShellVars, group_config, guest_from_text
from xenha.hb1.config import parse_shell_vars as _parse_shell_vars
from xenha.run import Deadline

__all__ = [
    "Clone",
    "Finding",
    "GroupInput",
    "GuestResource",
    "HaCf",
    "HaResources",
    "Model",
    "Setup",
    "build_model",
    "check_lines",
    "main",
    "migration_addresses",
    "parse_ha_cf",
    "parse_haresources",
    "read_setup",
    "render",
    "render_crm",
    "render_pcs",
]

FILE_MAX_BYTES = 1 << 20  # haresources, ha.cf, a defaults file, a domU config: a few KiB each
READ_TIMEOUT_S = 60.0  # every file of a conversion, together
MAX_GUESTS_PER_DIR = 4096
DEFAULT_DRBD_CONF = "/etc/drbd.conf"
# Placement: a guest prefers its group's home node by HOME_SCORE. auto_failback on: stickiness 0, so it goes home
# (live, when it may migrate) as soon as the home node is back; off: stickiness above the home preference, so it
# stays where it runs. Both stay far below DrbdDualPrimary's promotion scores (10000 for UpToDate, 1 for a Diskless
# Primary), so a guest still leaves a node whose disk failed.
HOME_SCORE = 100
STAY_STICKINESS = 200
MIGRATION_THRESHOLD = 3
FENCING_DELAY = "10s"
STONITH_TIMEOUT = "90s"  # an IPMI power cycle after the priority delay (README, "Fencing")
# The README's configuration gives a guest more than the agent's advised minimums: a live migration copies the
# guest's memory (about 10 s per GiB at 1 Gbit/s), and start may wait for the DRBD guard. Each op gets the larger.
GUEST_TIMEOUTS = {"start": 120, "stop": 120, "migrate_to": 300, "migrate_from": 90}
_SHUTDOWN_MARGIN_S = 30  # stop: the clean-shutdown wait plus this much for destroy
_XL_LIVE = frozenset({"--live", "-l"})  # xl migrate is always live; XenDomainHA adds xm's --live itself
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=-]+")
_GROUP_WORD = re.compile(re.escape(SCRIPT_PREFIX) + r"([A-Za-z0-9_-]{1,32})")


# ---------------------------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class HaResource:
    """One haresources line: the home node and its resources as written (`xendomainsHA1`, `IPaddr::10.0.0.1`)."""

    node: str
    resources: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class HaResources:
    path: str
    lines: tuple[HaResource, ...]


@dataclass(frozen=True, slots=True)
class HaCf:
    """What ha.cf says that matters here: the nodes, auto_failback, crm, stonith directives (line, text)."""

    path: str
    nodes: tuple[str, ...] = ()
    auto_failback: str | None = None  # "on", "off", "legacy"; None when not set (heartbeat's default: legacy)
    auto_failback_line: int = 0
    crm: tuple[int, str] | None = None
    stonith: tuple[tuple[int, str], ...] = ()  # (line, "stonith_host external/ipmi"): the directive and its type


@dataclass(frozen=True, slots=True)
class GroupInput:
    """One xendomainsHA<N> group: its haresources line, defaults file, settings and guests."""

    group: str
    home: str
    line: int
    defaults_path: str
    variables: ShellVars
    config: GroupConfig
    guests: tuple[Guest, ...]
    others: tuple[str, ...] = ()  # the other resources on its haresources line


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything read from disk."""

    haresources: HaResources
    ha_cf: HaCf
    groups: tuple[GroupInput, ...]
    drbd: DrbdConf
    drbd_conf_path: str
    local_node: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """Something that cannot be carried over as it was; `decide` when the admin must choose before loading."""

    subject: str
    text: str
    decide: bool = True

    def __str__(self) -> str:
        return f"{'decide' if self.decide else 'note'}: {self.subject}: {self.text}"


@dataclass(frozen=True, slots=True)
class Clone:
    """A DrbdDualPrimary promotable clone of one DRBD resource."""

    resource: str
    primitive_id: str
    clone_id: str
    promoted_max: int
    clone_max: int


@dataclass(frozen=True, slots=True)
class GuestResource:
    """A XenDomainHA primitive and its constraints."""

    id: str
    name: str
    config: str
    group: str
    home: str
    clones: tuple[str, ...]  # clone ids, colocated with (Promoted) and ordered after (promote)
    allow_migrate: bool
    priority: int
    params: tuple[tuple[str, str], ...]
    stop_timeout: int
    home_id: str = ""  # the location constraint's id
    constraint_ids: tuple[tuple[str, str], ...] = ()  # (colocation, order) ids, one pair per clone


@dataclass(frozen=True, slots=True)
class Model:
    """The Pacemaker configuration to print."""

    nodes: tuple[str, ...]
    clones: tuple[Clone, ...]
    guests: tuple[GuestResource, ...]
    stickiness: int
    auto_failback: str
    drbdconf: str | None
    findings: tuple[Finding, ...]
    sources: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = field(default=())

    @property
    def needs_decision(self) -> bool:
        return any(f.decide for f in self.findings)


# ---------------------------------------------------------------------------------------------------------------------
# haresources and ha.cf


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with `#` comments removed and `\\` continuations joined, numbered by their first physical line."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split("#", 1)[0]
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        pending += line
        if pending.strip():
            out.append((start, pending.strip()))
        pending = ""
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError(path, line, text.split("\n")[line - 1], "NUL byte")


def parse_haresources(text: str, path: str = "/etc/ha.d/haresources") -> HaResources:
    """haresources: `NODE RESOURCE...` per line (`#` comments, `\\` continuations); ParseError naming file and line."""
    _check_text(text, path)
    lines: list[HaResource] = []
    physical = text.split("\n")
    for number, line in _logical_lines(text):
        words = line.split()
        if len(words) < 2:
            raise ParseError(path, number, physical[number - 1], "expected a node name and at least one resource")
        lines.append(HaResource(words[0], tuple(words[1:]), number))
    if not lines:
        raise ParseError(path, 0, "", "no resource group")
    return HaResources(path, tuple(lines))


_ON = frozenset({"on", "yes", "true", "1", "y"})
_OFF = frozenset({"off", "no", "false", "0", "n"})


def parse_ha_cf(text: str, path: str = "/etc/ha.d/ha.cf") -> HaCf:
    """ha.cf directives that matter here (node, auto_failback, crm, stonith, stonith_host); the others are skipped."""
    _check_text(text, path)
    physical = text.split("\n")
    nodes: list[str] = []
    auto_failback: str | None = None
    auto_line = 0
    crm: tuple[int, str] | None = None
    stonith: list[tuple[int, str]] = []
    for number, line in _logical_lines(text):
        words = line.split()
        key, args = words[0].lower(), words[1:]
        if key == "node":
            if not args:
                raise ParseError(path, number, physical[number - 1], "node needs a name")
            nodes.extend(a for a in args if a not in nodes)
        elif key == "auto_failback":
            value = args[0].lower() if len(args) == 1 else ""
            if value in _ON:
                auto_failback = "on"
            elif value in _OFF:
                auto_failback = "off"
            elif value == "legacy":
                auto_failback = "legacy"
            else:
                raise ParseError(path, number, physical[number - 1], "auto_failback must be on, off or legacy")
            auto_line = number
        elif key == "crm":
            value = args[0].lower() if args else ""
            crm = None if value in _OFF else (number, line)
        elif key in ("stonith", "stonith_host"):
            # `stonith TYPE FILE` / `stonith_host FROM TYPE PARAMS...`: only the type is kept (PARAMS hold passwords)
            kind = args[0] if key == "stonith" and args else args[1] if len(args) > 1 else "?"
            stonith.append((number, f"{key} {kind}"))
    return HaCf(path, tuple(nodes), auto_failback, auto_line, crm, tuple(stonith))


# ---------------------------------------------------------------------------------------------------------------------
# Reading (the only I/O)


def _read(path: str, deadline: Deadline) -> str:
    """A file's text, bounded (xenha.files: at most FILE_MAX_BYTES, no FIFO or device, given up at `deadline`)."""
    try:
        return read_text(path, limit=FILE_MAX_BYTES, deadline=deadline, errors="surrogateescape")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None


def _read_guests(directory: str, group: str, deadline: Deadline) -> tuple[Guest, ...]:
    """The guests of an auto directory (as xenha.hb1.config.read_guests lists them), every config read bounded."""
    try:
        entries = sorted(os.listdir(directory))
    except OSError as exc:
        raise ConfigError(f"{SCRIPT_PREFIX}{group}: XENDOMAINS_AUTO={directory}: {exc.strerror}") from None
    if len(entries) > MAX_GUESTS_PER_DIR:
        raise ConfigError(f"{directory}: more than {MAX_GUESTS_PER_DIR} entries")
    guests: list[Guest] = []
    for entry in entries:
        path = os.path.join(directory, entry)
        if entry.startswith(".") or entry.endswith(("~", ".dpkg-old", ".dpkg-dist")) or not os.path.isfile(path):
            continue
        # The resource names the config itself, not the auto directory's link to it: under Pacemaker the auto
        # directories are no longer read.
        real = os.path.realpath(path) if os.path.islink(path) else path
        text = _read(real, deadline)
        guest = guest_from_text(real, text)
        if guest.domu is None:
            guest = Guest(_guess_name(real, text), guest.config_path, None, guest.problem)
        guests.append(guest)
    return tuple(guests)


_LITERAL_NAME = re.compile(r"""^[ \t]*name[ \t]*=[ \t]*(["'])([^"'\n]+)\1[ \t]*(?:#.*)?$""", re.MULTILINE)


def _guess_name(path: str, text: str) -> str:
    """The name of a config that is not literal: a whole `name = "web1"` line, else the file's name without .cfg.

    Only a line that is nothing but the literal counts: `name = 'web' + suffix` is not the name "web".
    """
    match = _LITERAL_NAME.search(text)
    if match is not None:
        return match[2]
    base = os.path.basename(path)
    return base[: -len(".cfg")] if base.endswith(".cfg") and len(base) > 4 else base


def _local_node() -> str | None:
    name = os.uname().nodename.split(".", 1)[0]
    return name or None


def read_setup(ha_dir: str, defaults_dir: str, drbd_conf: str, *, local_node: str | None = None) -> Setup:
    """Read the heartbeat v1 configuration of this node; ConfigError or ParseError (file and line) on bad input.

    Every file is read bounded, all of them within READ_TIMEOUT_S (a config on a hung NFS mount ends the command
    with DeadlineExceeded instead of hanging it).
    """
    deadline = Deadline(READ_TIMEOUT_S)
    hr_path = os.path.join(ha_dir, "haresources")
    cf_path = os.path.join(ha_dir, "ha.cf")
    hr_text = _read(hr_path, deadline)
    physical = hr_text.split("\n")
    haresources = parse_haresources(hr_text, hr_path)
    ha_cf = parse_ha_cf(_read(cf_path, deadline), cf_path)
    if ha_cf.crm is not None:
        number, line = ha_cf.crm
        raise ParseError(cf_path, number, line, "heartbeat's CRM runs this cluster, not haresources; convert its CIB")
    sources = [hr_path, cf_path]
    groups: list[GroupInput] = []
    seen: dict[str, int] = {}
    for entry in haresources.lines:
        found = [m for m in (_GROUP_WORD.fullmatch(r) for r in entry.resources) if m is not None]
        if len(found) > 1:
            raise ParseError(hr_path, entry.line, physical[entry.line - 1], "two xendomainsHA groups on one line")
        if not found:
            continue
        group = found[0][1]
        if group in seen:
            raise ParseError(
                hr_path, entry.line, physical[entry.line - 1], f"group {group} is also on line {seen[group]}"
            )
        seen[group] = entry.line
        path = os.path.join(defaults_dir, f"{SCRIPT_PREFIX}{group}")
        variables = _parse_shell_vars(_read(path, deadline), tool=path)
        try:
            config = group_config(group, variables)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc.reason}") from None
        guests = _read_guests(config.auto_dir, group, deadline)
        others = tuple(r for r in entry.resources if r != found[0][0])
        groups.append(GroupInput(group, entry.node, entry.line, path, variables, config, guests, others))
        sources.append(path)
    if not groups:
        raise ParseError(hr_path, 0, "", f"no {SCRIPT_PREFIX}<N> resource group: nothing to convert")
    try:
        drbd = parse_drbd_conf(_read(drbd_conf, deadline), drbd_conf, limit=FILE_MAX_BYTES, deadline=deadline)
    except OSError as exc:  # an included file
        raise ConfigError(f"{drbd_conf}: {exc.strerror}") from None
    sources.append(drbd_conf)
    return Setup(haresources, ha_cf, tuple(groups), drbd, drbd_conf, local_node, tuple(sources))


# ---------------------------------------------------------------------------------------------------------------------
# The model (pure)


def _advised(agent: str) -> dict[str, int]:
    """Advised timeouts (s) by action, from the agent's own declaration (its meta-data)."""
    if agent == "DrbdDualPrimary":
        from xenha.agents.drbddual import AGENT
    else:
        from xenha.agents.xendomain import AGENT
    timeouts: dict[str, int] = {}
    for action in AGENT.actions:
        timeouts.setdefault(action.name, action.timeout)
    return timeouts


def _drbd_ops() -> list[str]:
    from xenha.agents.drbddual import AGENT

    ops = []
    for action in AGENT.actions:
        if action.name == "monitor" and action.interval:
            ops.append(f"monitor interval={action.interval}s role={action.role} timeout={action.timeout}s")
    t = _advised("DrbdDualPrimary")
    ops += [f"{name} timeout={t[name]}s" for name in ("start", "stop", "promote", "demote", "notify")]
    return ops


def _xen_ops(stop_timeout: int, migrate: bool) -> list[str]:
    from xenha.agents.xendomain import AGENT

    t = {name: max(value, GUEST_TIMEOUTS.get(name, 0)) for name, value in _advised("XenDomainHA").items()}
    monitor = next(a for a in AGENT.actions if a.name == "monitor" and a.interval)
    ops = [
        f"monitor interval={monitor.interval}s timeout={monitor.timeout}s",
        f"start timeout={t['start']}s",
        f"stop timeout={stop_timeout}s",
    ]
    if migrate:
        ops += [f"migrate_to timeout={t['migrate_to']}s", f"migrate_from timeout={t['migrate_from']}s"]
    return ops


def migration_addresses(
    target: str, nodes: Sequence[str], *, peer: str | None, local: str | None
) -> tuple[dict[str, str], str | None]:
    """Where XenDomainHA should send each node's migrations, from one XENDOMAINS_MIGRATE target: (pairs, problem).

    `ha2X` with nodes ha1, ha2 names node ha2 plus a suffix "X", so every node gets its name plus "X" (the guides'
    convention). A target that is no node name plus a suffix (an address) belongs to XENHA_PEER when set, else to
    the one other node of a two-node cluster; the others' addresses are then unknown (`problem` says so). A suffix
    of "" means the node names are the addresses: no pairs.
    """
    lowered = {n.lower(): n for n in nodes}
    owner: str | None = None
    if peer is not None and peer.lower() in lowered:
        owner = lowered[peer.lower()]
    else:
        candidates = [n for n in nodes if target.lower().startswith(n.lower())]
        if candidates:
            owner = max(candidates, key=len)
    if owner is not None and target.lower().startswith(owner.lower()):
        suffix = target[len(owner) :]
        return ({} if not suffix else {n: n + suffix for n in nodes}), None
    if owner is None and local is not None and local in nodes and len(nodes) == 2:
        owner = next(n for n in nodes if n != local)
    if owner is None:
        return {}, f"XENDOMAINS_MIGRATE target {target} is no node name: set migration_address (NODE=ADDRESS) by hand"
    unknown = [n for n in nodes if n != owner]
    problem = None
    if unknown:
        problem = (
            f"XENDOMAINS_MIGRATE target {target} is {owner}'s address; {', '.join(unknown)}'s is not known here "
            f"(see the defaults file on {owner}): add it to migration_address"
        )
    return {owner: target}, problem


@dataclass(slots=True)
class _Ids:
    used: set[str] = field(default_factory=set)

    def take(self, wanted: str) -> str:
        base = wanted if _ID.fullmatch(wanted) else "x-" + re.sub(r"[^A-Za-z0-9_.-]", "_", wanted)
        candidate, n = base, 2
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        self.used.add(candidate)
        return candidate


def _guest_drbd(guest: Guest, drbd: DrbdConf, findings: list[Finding]) -> list[DrbdResource]:
    """The DRBD resources under a guest's disks; a finding for each disk that is not on a known one."""
    assert guest.domu is not None
    found: list[DrbdResource] = []
    for disk in guest.domu.disks:
        if disk.is_cdrom:
            continue
        res: DrbdResource | None = None
        if disk.drbd_resource is not None:
            res = drbd.resource(disk.drbd_resource)
            if res is None:
                findings.append(Finding(guest.name, f"disk {disk.target}: no resource {disk.drbd_resource} in "
                                        f"{drbd.path}: no DRBD clone or constraint for it"))  # fmt: skip
                continue
        elif disk.drbd_minor is not None:
            res = drbd.by_minor(disk.drbd_minor)
            if res is None:
                findings.append(Finding(guest.name, f"disk {disk.target}: no resource with minor {disk.drbd_minor} "
                                        f"in {drbd.path}: no DRBD clone or constraint for it"))  # fmt: skip
                continue
        else:
            if disk.is_writable:
                findings.append(Finding(guest.name, f"disk {disk.target} is not on DRBD: no storage resource or "
                                        "constraint is written for it; make sure every node reaches it (shared "
                                        "storage: AoEExport, ...) or that the guest must not move"))  # fmt: skip
            continue
        if res not in found:
            found.append(res)
    return found


def _group_findings(setup: Setup, grp: GroupInput) -> list[Finding]:
    """What a group's haresources line and defaults file hold that does not carry over."""
    findings: list[Finding] = []
    cfg = grp.config
    who = f"{cfg.name} ({grp.defaults_path})"
    for other in grp.others:
        res_name = other.split("::", 1)[1] if other.startswith("drbddisk::") else None
        covered = res_name is not None and any(
            g.domu is not None and any(d.drbd_resource == res_name for d in g.domu.disks) for g in grp.guests
        )
        if covered:
            findings.append(Finding(f"{setup.haresources.path}:{grp.line}", f"{other}: the DRBD clone of "
                                    f"{res_name} replaces it", decide=False))  # fmt: skip
        else:
            findings.append(Finding(f"{setup.haresources.path}:{grp.line}", f"{other} in the group of "
                                    f"{cfg.name} is not converted: configure it yourself, colocated with "
                                    "and ordered before the guests that need it"))  # fmt: skip
    if cfg.save_dir is not None:
        findings.append(Finding(who, f"XENDOMAINS_SAVE={cfg.save_dir}: Pacemaker does not save guests on stop "
                                "(a stop shuts them down, or migrates them when allowed), nor restore them "
                                "on start"))  # fmt: skip
    elif cfg.restore:
        findings.append(Finding(who, "XENDOMAINS_RESTORE=true: Pacemaker starts guests from their configs, "
                                "it restores no saved image", decide=False))  # fmt: skip
    for note in cfg.notes:
        text = note
        if note.startswith("XENDOMAINS_SHUTDOWN_ALL"):
            text = ("XENDOMAINS_SHUTDOWN_ALL is not carried over: Pacemaker stops only the guests it manages, "
                    "never the other group's or unmanaged ones")  # fmt: skip
        findings.append(Finding(who, text, decide=False))
    if not grp.guests:
        findings.append(Finding(who, f"no guest config in {cfg.auto_dir}: nothing to convert", decide=False))
    return findings


def build_model(setup: Setup) -> Model:
    """The Pacemaker configuration for a heartbeat v1 setup, and what cannot be carried over (pure)."""
    findings: list[Finding] = []
    nodes = list(setup.ha_cf.nodes)
    for entry in setup.haresources.lines:
        if entry.node not in nodes:
            if setup.ha_cf.nodes:
                findings.append(Finding(f"{setup.haresources.path}:{entry.line}", f"home node {entry.node} is not "
                                        f"a node of {setup.ha_cf.path}: no such node in the cluster"))  # fmt: skip
            nodes.append(entry.node)
    if not setup.ha_cf.nodes and setup.local_node and setup.local_node not in nodes:
        nodes.append(setup.local_node)
    for entry in setup.haresources.lines:
        if not any(_GROUP_WORD.fullmatch(r) for r in entry.resources):
            findings.append(Finding(f"{setup.haresources.path}:{entry.line}", f"{' '.join(entry.resources)} "
                                    "(no xendomainsHA group) is not converted: configure it yourself"))  # fmt: skip

    auto_failback = setup.ha_cf.auto_failback or "legacy"
    stickiness = STAY_STICKINESS if auto_failback == "off" else 0
    if setup.ha_cf.auto_failback is None:
        why = "auto_failback is not set (heartbeat's default, legacy, fails back): guests go back to their home node"
        findings.append(Finding(setup.ha_cf.path, why, decide=False))
    elif auto_failback == "legacy":
        findings.append(Finding(f"{setup.ha_cf.path}:{setup.ha_cf.auto_failback_line}", "auto_failback legacy "
                                "is taken as on: guests go back to their home node", decide=False))  # fmt: skip
    for number, line in setup.ha_cf.stonith:
        findings.append(Finding(f"{setup.ha_cf.path}:{number}", f"{line} is not converted: configure the "
                                "equivalent fence device (fence_ipmilan, ...) in the fencing section"))  # fmt: skip

    ids, allocate = _ids_for(setup)
    used: dict[str, dict[str, str]] = {}  # DRBD resource -> guest -> group
    clones: dict[str, Clone] = {}
    guests: list[GuestResource] = []
    seen_guests: dict[str, str] = {}
    first_group = setup.groups[0].group
    others_count = sum(len(g.guests) for g in setup.groups[1:])
    for grp in setup.groups:
        cfg = grp.config
        who = f"{cfg.name} ({grp.defaults_path})"
        if grp.home not in nodes:
            nodes.append(grp.home)
        findings += _group_findings(setup, grp)
        pairs: dict[str, str] = {}
        options: tuple[str, ...] = ()
        if cfg.migrate is not None:
            pairs, problem = migration_addresses(cfg.migrate.host, nodes, peer=cfg.peer, local=setup.local_node)
            if problem is not None:
                findings.append(Finding(who, problem))
            options = tuple(o for o in cfg.migrate.options if o not in _XL_LIVE)
        maxwait = (grp.variables.get("XENDOMAINS_STOP_MAXWAIT") or "").strip()
        shutdown = int(cfg.stop_maxwait) if maxwait else None
        stop_timeout = max(_advised("XenDomainHA")["stop"], GUEST_TIMEOUTS["stop"])
        if shutdown is not None:
            stop_timeout = max(stop_timeout, shutdown + _SHUTDOWN_MARGIN_S)
        for guest in grp.guests:
            if guest.name in seen_guests:
                findings.append(Finding(guest.name, f"{guest.config_path} is also a guest of {seen_guests[guest.name]}"
                                        ": one resource is written, for the first"))  # fmt: skip
                continue
            seen_guests[guest.name] = cfg.name
            params: list[tuple[str, str]] = [("config", guest.config_path)]
            resources: list[DrbdResource] = []
            if guest.domu is None:
                params.append(("name", guest.name))
                findings.append(Finding(guest.name, f"{guest.problem}: the config computes its name or settings, so "
                                        f"name={guest.name} is a guess and its disks are unknown (no DRBD "
                                        "constraint is written): check both"))  # fmt: skip
            else:
                resources = _guest_drbd(guest, setup.drbd, findings)
            migrate = cfg.migrate is not None
            single = [r.name for r in resources if not r.two_primaries]
            if migrate and single:
                migrate = False
                findings.append(Finding(guest.name, f"{cfg.name} migrated its guests on stop, but DRBD "
                                        f"{', '.join(single)} does not allow two primaries: no live migration "
                                        "(allow-migrate=false); add allow-two-primaries to migrate live"))  # fmt: skip
            if migrate and pairs:
                params.append(("migration_address", " ".join(f"{n}={a}" for n, a in sorted(pairs.items()))))
            if migrate and options:
                params.append(("migrate_options", shlex.join(options)))
            if shutdown is not None:
                params.append(("shutdown_timeout", str(shutdown)))
            if cfg.toolstack != "auto":
                params.append(("toolstack", cfg.toolstack))
            for res in resources:
                used.setdefault(res.name, {})[guest.name] = cfg.name
                if res.name not in clones:
                    hosts = res.hosts
                    clones[res.name] = Clone(
                        resource=res.name,
                        primitive_id=ids[f"drbd:{res.name}"],
                        clone_id=ids[f"ms:{res.name}"],
                        promoted_max=2 if res.two_primaries else 1,
                        clone_max=len(hosts) if len(hosts) >= 2 else max(2, len(setup.ha_cf.nodes)),
                    )
            # README's names for one DRBD resource (web1-with-drbd); with several, one pair per clone
            tails = ["drbd"] if len(resources) == 1 else [clones[r.name].clone_id for r in resources]
            priority = 1 + others_count if grp.group == first_group and len(setup.groups) > 1 else 1
            guests.append(
                GuestResource(
                    id=(gid := ids[f"guest:{guest.name}"]),
                    name=guest.name,
                    config=guest.config_path,
                    group=cfg.name,
                    home=grp.home,
                    clones=tuple(clones[r.name].clone_id for r in resources),
                    allow_migrate=migrate,
                    priority=priority,
                    params=tuple(params),
                    stop_timeout=stop_timeout,
                    home_id=allocate.take(f"{gid}-home"),
                    constraint_ids=tuple(
                        (allocate.take(f"{gid}-with-{tail}"), allocate.take(f"{gid}-after-{tail}")) for tail in tails
                    ),
                )
            )
    for res_name, by_guest in sorted(used.items()):
        groups = sorted(set(by_guest.values()))
        if len(groups) > 1:
            users = ", ".join(f"{g} ({grp})" for g, grp in sorted(by_guest.items()))
            findings.append(Finding(f"DRBD {res_name}", f"used by guests of {' and '.join(groups)}: {users}; they "
                                    "are all colocated with its Promoted role"
                                    + ("" if clones[res_name].promoted_max == 2 else
                                       ", and with one Primary they always run on one node")
                                    + "; decide whether the groups should share it"))  # fmt: skip
    for clone in clones.values():
        conf = setup.drbd.resource(clone.resource)
        if conf is None or not conf.two_primaries:
            continue
        if conf.fencing != "resource-and-stonith" or "crm-fence-peer" not in (conf.fence_peer or ""):
            findings.append(Finding(f"DRBD {conf.name}", f"two Primaries without DRBD's own fencing ({conf.path}:"
                                    f"{conf.line}): add `fencing resource-and-stonith;` and the crm-fence-peer "
                                    "handlers (README, DRBD's own fencing), so that a Primary that loses its peer "
                                    "freezes until the peer is fenced"))  # fmt: skip
    findings.append(
        Finding(
            "fencing",
            "no fence device is converted (heartbeat v1 ran without one here, or with stonith directives that "
            "have no automatic equivalent); choose the fence agent for your nodes and add it where the fencing "
            "section says: with stonith-enabled=true and no device, Pacemaker starts no resource",
        )
    )
    properties = [("stonith-enabled", "true"), ("stonith-timeout", STONITH_TIMEOUT)]
    if len(nodes) == 2:
        properties.append(("priority-fencing-delay", FENCING_DELAY))
    drbdconf = setup.drbd_conf_path if os.path.normpath(setup.drbd_conf_path) != DEFAULT_DRBD_CONF else None
    return Model(
        nodes=tuple(nodes),
        clones=tuple(clones.values()),
        guests=tuple(guests),
        stickiness=stickiness,
        auto_failback=auto_failback,
        drbdconf=drbdconf,
        findings=tuple(findings),
        sources=setup.sources,
        properties=tuple(properties),
    )


def _ids_for(setup: Setup) -> tuple[dict[str, str], _Ids]:
    """XML ids, unique across the configuration: guest names first, then the DRBD resources; the allocator for
    the constraints' ids (`web1-with-drbd`, `web1-after-drbd`, `web1-home`; README's names) after them."""
    ids = _Ids()
    out: dict[str, str] = {}
    for grp in setup.groups:
        for guest in grp.guests:
            key = f"guest:{guest.name}"
            if key not in out:
                out[key] = ids.take(guest.name)
    for res in setup.drbd.resources:
        out[f"drbd:{res.name}"] = ids.take(f"drbd-{res.name}")
        out[f"ms:{res.name}"] = ids.take(f"ms-drbd-{res.name}")
    return out, ids


def check_lines(model: Model) -> list[str]:
    """`--check`: one line per finding, decisions first."""
    ordered = [f for f in model.findings if f.decide] + [f for f in model.findings if not f.decide]
    return [str(f) for f in ordered]


# ---------------------------------------------------------------------------------------------------------------------
# Rendering (pure)


def _value(value: str) -> str:
    """A crmsh value: bare when safe, else double-quoted; ConfigError for what crmsh could not read back."""
    if _SAFE_VALUE.fullmatch(value):
        return value
    if any(c in value for c in '"\\\n\r') or not value.isprintable():
        raise ConfigError(f"{value!r}: a value with a quote, backslash or control character cannot be written")
    return f'"{value}"'


def _header(model: Model, comment: str) -> list[str]:
    lines = [
        f"{comment} Pacemaker configuration converted from heartbeat v1 by xenha convert {__version__}",
        f"{comment} from: {' '.join(model.sources)}",
        f"{comment} auto_failback {model.auto_failback}: resource-stickiness={model.stickiness}, each guest prefers "
        f"its group's home node by {HOME_SCORE}",
    ]
    decide = [f for f in model.findings if f.decide]
    notes = [f for f in model.findings if not f.decide]
    if decide:
        lines.append(f"{comment} To decide before loading this ({len(decide)}):")
        lines += [line for f in decide for line in _wrapped(f"{f.subject}: {f.text}", comment)]
    if notes:
        lines.append(f"{comment} Not carried over (no decision needed):")
        lines += [line for f in notes for line in _wrapped(f"{f.subject}: {f.text}", comment)]
    return lines


def _wrapped(text: str, comment: str) -> list[str]:
    import textwrap

    return textwrap.wrap(
        text, 116, initial_indent=f"{comment}  - ", subsequent_indent=f"{comment}    ", break_on_hyphens=False,
        break_long_words=False,
    )  # fmt: skip


def _fencing_comment(model: Model, comment: str, example: list[str]) -> list[str]:
    lines = [
        f"{comment} Fencing: the real fence agent is yours to choose (fence_ipmilan, fence_ilo4, fence_idrac, a PDU,",
        f"{comment} SBD...). A cluster without it is unsafe (DRBD dual-primary and live migration need it) and, with",
        f"{comment} stonith-enabled=true, Pacemaker starts nothing until a fence device exists. One device per node,",
        f"{comment} never run on the node it fences; for IPMI, put in your BMCs' addresses and credentials:",
    ]
    lines += [f"{comment}   {line.replace('NODE', node)}" for node in model.nodes for line in example]
    if len(model.nodes) == 2:
        lines.append(
            f"{comment} priority-fencing-delay: in a split, the node running the higher total guest priority "
            "fences first and survives"
        )
    return lines


def render_crm(model: Model) -> str:
    """crmsh text for `crm configure load update FILE`."""
    out = _header(model, "#")
    drbdconf = f" drbdconf={_value(model.drbdconf)}" if model.drbdconf else ""
    for clone in model.clones:
        ops = " \\\n    ".join(f"op {op}" for op in _drbd_ops())
        out += [
            "",
            f"primitive {clone.primitive_id} ocf:xenha:DrbdDualPrimary params drbd_resource={_value(clone.resource)}"
            f"{drbdconf} \\\n    {ops}",
            f"clone {clone.clone_id} {clone.primitive_id} meta promotable=true promoted-max={clone.promoted_max} "
            f"promoted-node-max=1 \\\n    clone-max={clone.clone_max} clone-node-max=1 notify=true interleave=true",
        ]
    for guest in model.guests:
        params = " ".join(f"{k}={_value(v)}" for k, v in guest.params)
        meta = f"allow-migrate={'true' if guest.allow_migrate else 'false'} priority={guest.priority}"
        ops = " \\\n    ".join(f"op {op}" for op in _xen_ops(guest.stop_timeout, guest.allow_migrate))
        out += [
            "",
            f"primitive {guest.id} ocf:xenha:XenDomainHA params {params} \\\n    meta {meta} \\\n    {ops}",
        ]
        for clone_id, (with_id, after_id) in zip(guest.clones, guest.constraint_ids, strict=True):
            out += [
                f"colocation {with_id} inf: {guest.id} {clone_id}:Promoted",
                f"order {after_id} Mandatory: {clone_id}:promote {guest.id}:start",
            ]
        out.append(f"location {guest.home_id} {guest.id} {HOME_SCORE}: {guest.home}")
    out.append("")
    example = [
        # one line each: crmsh joins a comment ending in a backslash with the next one
        "primitive fence-NODE stonith:fence_ipmilan params ip=BMC-OF-NODE username=... password=... lanplus=1 "
        "pcmk_host_list=NODE op monitor interval=60s timeout=20s",
        "location fence-NODE-elsewhere fence-NODE -inf: NODE",
    ]
    out += _fencing_comment(model, "#", example)
    out.append("property " + " ".join(f"{k}={v}" for k, v in model.properties))
    out.append(f"rsc_defaults resource-stickiness={model.stickiness} migration-threshold={MIGRATION_THRESHOLD}")
    return "\n".join(out) + "\n"


def _op_words(op: str) -> list[str]:
    return op.split()


def render_pcs(model: Model) -> str:
    """A sh script of pcs commands: it edits a copy of the CIB (`pcs -f`) and pushes the configuration once."""
    q = shlex.quote
    out = ["#!/bin/sh", *_header(model, "#")]
    out += [
        "# Run it on one node of the new cluster: it changes a copy of the CIB and pushes it at the end.",
        "set -e",
        'cib=$(mktemp "${TMPDIR:-/tmp}/xenha-convert.XXXXXX")',
        "trap 'rm -f \"$cib\"' EXIT",
        'pcs cluster cib "$cib"',
    ]
    for clone in model.clones:
        params = [f"drbd_resource={clone.resource}"]
        if model.drbdconf:
            params.append(f"drbdconf={model.drbdconf}")
        ops: list[str] = []
        for op in _drbd_ops():
            ops += _op_words(op)
        meta = [
            "promotable", clone.clone_id, f"promoted-max={clone.promoted_max}", "promoted-node-max=1",
            f"clone-max={clone.clone_max}", "clone-node-max=1", "notify=true", "interleave=true",
        ]  # fmt: skip
        words = ["resource", "create", clone.primitive_id, "ocf:xenha:DrbdDualPrimary", *params, "op", *ops, *meta]
        out += ["", 'pcs -f "$cib" ' + " ".join(q(w) for w in words)]
    for guest in model.guests:
        params = [f"{k}={v}" for k, v in guest.params]
        meta = [f"allow-migrate={'true' if guest.allow_migrate else 'false'}", f"priority={guest.priority}"]
        ops = []
        for op in _xen_ops(guest.stop_timeout, guest.allow_migrate):
            ops += _op_words(op)
        words = ["resource", "create", guest.id, "ocf:xenha:XenDomainHA", *params, "meta", *meta, "op", *ops]
        out += ["", 'pcs -f "$cib" ' + " ".join(q(w) for w in words)]
        for clone_id, (with_id, after_id) in zip(guest.clones, guest.constraint_ids, strict=True):
            colo = ["constraint", "colocation", "add", guest.id, "with", "Promoted", clone_id, "INFINITY",
                    f"id={with_id}"]  # fmt: skip
            order = ["constraint", "order", "promote", clone_id, "then", "start", guest.id, "kind=Mandatory",
                     f"id={after_id}"]  # fmt: skip
            out += ['pcs -f "$cib" ' + " ".join(q(w) for w in colo), 'pcs -f "$cib" ' + " ".join(q(w) for w in order)]
        loc = ["constraint", "location", "add", guest.home_id, guest.id, guest.home, str(HOME_SCORE)]
        out.append('pcs -f "$cib" ' + " ".join(q(w) for w in loc))
    out.append("")
    example = [
        'pcs -f "$cib" stonith create fence-NODE fence_ipmilan ip=BMC-OF-NODE username=... password=... lanplus=1 '
        "pcmk_host_list=NODE op monitor interval=60s timeout=20s",
        'pcs -f "$cib" constraint location fence-NODE avoids NODE',
    ]
    out += _fencing_comment(model, "#", example)
    props = ["property", "set", *(f"{k}={v}" for k, v in model.properties)]
    defaults = ["resource", "defaults", "update", f"resource-stickiness={model.stickiness}",
                f"migration-threshold={MIGRATION_THRESHOLD}"]  # fmt: skip
    out += ['pcs -f "$cib" ' + " ".join(q(w) for w in props), 'pcs -f "$cib" ' + " ".join(q(w) for w in defaults)]
    out += ["", 'pcs cluster cib-push "$cib" --config']
    return "\n".join(out) + "\n"


def render(model: Model, fmt: str) -> str:
    return render_pcs(model) if fmt == "pcs" else render_crm(model)


# ---------------------------------------------------------------------------------------------------------------------
# The command


def main(args: argparse.Namespace, out: TextIO, err: TextIO, *, local_node: str | None = None) -> int:
    """Run `xenha convert`; bad input gives one line on stderr and exit 1."""
    try:
        setup = read_setup(args.ha_dir, args.defaults_dir, args.drbd_conf, local_node=local_node or _local_node())
        model = build_model(setup)
        text = render(model, args.format)
    except XenhaError as exc:
        err.write(f"xenha convert: {_one_line(exc.reason)}\n")
        return 1
    if args.check:
        for line in check_lines(model):
            out.write(_one_line(line) + "\n")
        return 1 if model.needs_decision else 0
    out.write(text)
    decide = sum(1 for f in model.findings if f.decide)
    if decide:
        err.write(f"xenha convert: {decide} things to decide: see the comments at the top, or run with --check\n")
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())
