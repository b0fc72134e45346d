"""Xen toolstack parsers (xm/xend and xl/libxl): pure text in, frozen models out; ParseError on unknown syntax."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from typing import TYPE_CHECKING, TypeAlias

from xenha.errors import ParseError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ConfigValue",
    "DiskKind",
    "DiskSpec",
    "Domain",
    "DomainConfig",
    "DomainState",
    "DomainType",
    "DomainUptime",
    "DomUConfig",
    "MigrateOutcome",
    "MigrateStep",
    "MigrateTranscript",
    "MigrationRole",
    "SExpr",
    "ShutdownReason",
    "Toolstack",
    "VifSpec",
    "XenError",
    "XenErrorKind",
    "XendStatus",
    "classify_flags",
    "is_control_domain",
    "parse_disk_spec",
    "parse_domu_config",
    "parse_migrate_transcript",
    "parse_sxp",
    "parse_vif_spec",
    "parse_xen_error",
    "parse_xl_info",
    "parse_xl_info_value",
    "parse_xl_list",
    "parse_xl_list_long",
    "parse_xm_list",
    "parse_xm_list_long",
    "parse_xm_uptime",
    "read_domu_config",
    "sxp_children",
    "sxp_value",
]


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern on first use: a monitor imports this module to parse one listing; keep the import cheap."""
    return re.compile(pattern)


# ---------------------------------------------------------------------------------------------------------------------
# States and flags (GRAMMAR.md §4.1, §4.3)


class Toolstack(Enum):
    """Which toolstack printed the text: xend's `xm` (Xen 3.x-4.4) or libxl's `xl` (Xen 4.1+)."""

    XM = "xm"
    XL = "xl"


class DomainState(Enum):
    """One domain's state as `xenha inspect` reports it; see classify_flags for how six flags become one state."""

    RUNNING = "running"
    BLOCKED = "blocked"
    PAUSED = "paused"
    SHUTDOWN = "shutdown"
    CRASHED = "crashed"
    DYING = "dying"
    MIGRATING = "migrating"


class ShutdownReason(Enum):
    """libxl_shutdown_reason, shown by xl as the 5th state letter from "-rscwS" (xl_info.c list_domains)."""

    POWEROFF = "poweroff"
    REBOOT = "reboot"
    SUSPEND = "suspend"
    CRASH = "crash"
    WATCHDOG = "watchdog"
    SOFT_RESET = "soft_reset"
    UNKNOWN = "unknown"


class MigrationRole(Enum):
    """Which end of a live migration a transiently renamed domain is on."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


class DomainType(Enum):
    """libxl_domain_type as named in xl configs and `xl list -l` (`pvh` since Xen 4.10)."""

    PV = "pv"
    HVM = "hvm"
    PVH = "pvh"


class XendStatus(Enum):
    """xend's `(status N)` in `xm list --long` (XendAPIConstants.py:32-38, GRAMMAR.md §4.2)."""

    HALTED = 0
    PAUSED = 1
    RUNNING = 2
    SUSPENDED = 3
    SHUTTINGDOWN = 4
    CRASHED = 5
    UNKNOWN = 6


# xl prints `shutdown_reason_letters[reason]` when the domain is shut down, else '-' (reason 0), and '?' for a reason
# outside the table (xl_info.c list_domains). 'S' (soft_reset) exists since Xen 4.8; before that the table was "-rscw".
_REASON_LETTERS = "-rscwS"
_REASON_BY_LETTER: dict[str, ShutdownReason] = {
    "-": ShutdownReason.POWEROFF,
    "r": ShutdownReason.REBOOT,
    "s": ShutdownReason.SUSPEND,
    "c": ShutdownReason.CRASH,
    "w": ShutdownReason.WATCHDOG,
    "S": ShutdownReason.SOFT_RESET,
    "?": ShutdownReason.UNKNOWN,
}
# The alphabet of each of the six positions: xend's `r b p s c d` (XendConfig.py CONFIG_OLD_DOM_STATES), and xl's
# `r b p s <reason> d`.
_XM_POSITIONS = ("r-", "b-", "p-", "s-", "c-", "d-")
_XL_POSITIONS = ("r-", "b-", "p-", "s-", "-rscwS?", "d-")


def _flags_problem(flags: str, toolstack: Toolstack) -> str | None:
    """Why `flags` is not a state string `toolstack` can print, or None when it is one."""
    positions = _XL_POSITIONS if toolstack is Toolstack.XL else _XM_POSITIONS
    if len(flags) != 6:
        return f"state must be 6 characters, got {len(flags)}"
    for char, allowed in zip(flags, positions, strict=True):
        if char not in allowed:
            return f"state letter {char!r} is not one of {allowed!r}"
    return None


def classify_flags(flags: str, *, toolstack: Toolstack) -> DomainState:
    """Map a six-position state string to one DomainState; total over every string the toolstack can print.

    Precedence, first match wins: `d` dying > crashed > `s` shutdown > `p` paused > `r` running > `b` blocked.
    Crashed is the 5th position being `c`: xend's crashed flag, or xl's shutdown reason "crash" (`---sc-`, `--psc-`,
    GRAMMAR.md §4.3). xl prints a reason letter only while `s` is set, so `----c-` never comes from xl; it is still
    classified as crashed so that the function stays total. Paused beats running/blocked because a paused domain is
    not scheduled whatever its vCPUs were doing; shutdown beats paused because xl pauses a domain it saves (`--pss-`).

    `------` (neither running nor blocked) is RUNNING: the domain is runnable but no vCPU is on a CPU at that
    instant, i.e. it is queued behind other domains for the scheduler (ganeti/ganeti lib/hypervisor/hv_xen.py
    `_IsInstanceRunning`, citing old-list-archives.xenproject.org/xen-users/2007-06/msg00849.html). `rb----`, which
    Xen once printed (same source), is RUNNING as well.
    """
    problem = _flags_problem(flags, toolstack)
    if problem is not None:
        raise ParseError(f"{toolstack.value} list", 0, flags, problem)
    if flags[5] == "d":
        return DomainState.DYING
    if flags[4] == "c":
        return DomainState.CRASHED
    if flags[3] == "s":
        return DomainState.SHUTDOWN
    if flags[2] == "p":
        return DomainState.PAUSED
    if flags[0] == "r":
        return DomainState.RUNNING
    if flags[1] == "b":
        return DomainState.BLOCKED
    return DomainState.RUNNING


# Transient names during live migration (ganeti/ganeti lib/cmdlib/instance_migration.py and hv_xen.py
# FinalizeMigrationSource): xend renames the source to `migrating-<dom>` while copying (XendCheckpoint.save);
# xl creates the target as `<dom>--incoming` and renames the source to `<dom>--migratedaway` once the target has
# acknowledged the transfer (xl_migrate.c migrate_domain / xl_vmcontrol.c create_domain).
_XL_INCOMING = "--incoming"
_XL_MIGRATEDAWAY = "--migratedaway"
_XM_MIGRATING = "migrating-"


def _migration_split(name: str | None, toolstack: Toolstack) -> tuple[str | None, MigrationRole | None]:
    """The base name and the migration role encoded in a (possibly transient) domain name."""
    if name is None:
        return None, None
    if toolstack is Toolstack.XL:
        if name.endswith(_XL_INCOMING) and len(name) > len(_XL_INCOMING):
            return name[: -len(_XL_INCOMING)], MigrationRole.INCOMING
        if name.endswith(_XL_MIGRATEDAWAY) and len(name) > len(_XL_MIGRATEDAWAY):
            return name[: -len(_XL_MIGRATEDAWAY)], MigrationRole.OUTGOING
    elif name.startswith(_XM_MIGRATING) and len(name) > len(_XM_MIGRATING):
        return name[len(_XM_MIGRATING) :], MigrationRole.OUTGOING
    return name, None


# A transient migration name turns these states into MIGRATING; shutdown, crashed and dying are kept because they
# say more about the domain than the fact that a migration was under way.
_MIGRATING_OVERRIDES = frozenset({DomainState.RUNNING, DomainState.BLOCKED, DomainState.PAUSED})


# ---------------------------------------------------------------------------------------------------------------------
# `xm list` / `xl list` (GRAMMAR.md §4.1, §4.3)


@dataclass(frozen=True, slots=True)
class Domain:
    """One row of `xm list` or `xl list` (optionally with -v, -Z, -c, -n, claims or xm --label columns).

    `name` is None when xl printed `(null)`: libxl_domid_to_name() found no name because the domain is being built
    or destroyed (GRAMMAR.md §4.3). `domid` and `flags` are None for a domain xend manages but has not started
    (xm prints an empty ID and State, main.py parse_doms_info). `security_label` is None where xl printed `-`.
    """

    name: str | None
    domid: int | None
    memory_mib: int
    vcpus: int
    flags: str | None
    cpu_time: float
    toolstack: Toolstack
    uuid: str | None = None
    shutdown_code: int | None = None
    security_label: str | None = None
    claimed_mib: int | None = None
    cpupool: str | None = None
    node_affinity: str | None = None

    @property
    def state(self) -> DomainState:
        """classify_flags on the flags, MIGRATING for a live transient name, SHUTDOWN for an unstarted xend domain."""
        if self.flags is None:
            return DomainState.SHUTDOWN
        state = classify_flags(self.flags, toolstack=self.toolstack)
        if self.migration_role is not None and state in _MIGRATING_OVERRIDES:
            return DomainState.MIGRATING
        return state

    @property
    def has_null_name(self) -> bool:
        """True when xl printed `(null)` for the name (domain being created or destroyed)."""
        return self.name is None

    @property
    def shutdown_reason(self) -> ShutdownReason | None:
        """xl's shutdown reason (5th letter) while the `s` flag is set; None otherwise and for xm."""
        if self.toolstack is not Toolstack.XL or self.flags is None or self.flags[3] != "s":
            return None
        return _REASON_BY_LETTER[self.flags[4]]

    @property
    def base_name(self) -> str | None:
        """The domain's name without xl's `--incoming`/`--migratedaway` suffix or xend's `migrating-` prefix."""
        return _migration_split(self.name, self.toolstack)[0]

    @property
    def migration_role(self) -> MigrationRole | None:
        """INCOMING/OUTGOING for a transient migration name, else None."""
        return _migration_split(self.name, self.toolstack)[1]

    @property
    def is_dom0(self) -> bool:
        return self.domid == 0

    @property
    def is_active(self) -> bool:
        """True when the domain exists in the hypervisor (has a domain id)."""
        return self.domid is not None

    @property
    def is_live(self) -> bool:
        """True when the domain exists and is running, blocked, paused or migrating (it holds its disks)."""
        return self.is_active and self.state in _LIVE_STATES

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect` object for this domain."""
        return {
            "name": self.name,
            "domid": self.domid,
            "memory_mib": self.memory_mib,
            "vcpus": self.vcpus,
            "flags": self.flags,
            "state": self.state.value,
        }


_LIVE_STATES = frozenset({DomainState.RUNNING, DomainState.BLOCKED, DomainState.PAUSED, DomainState.MIGRATING})

# The header is matched with any whitespace between words: xl prints TABs before State and Time(s), but every copy
# in docs, mails and Ganeti has them expanded to spaces (GRAMMAR.md §4.3); the commit-message samples also shorten
# the Name column (xl/commitmsg_list_saved_domain_pssd_xen4.1.txt) or squeeze it (xm/commitmsg_xm_li_*).
_LIST_HEADER = r"Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)(?P<extra>.*)"
_LIST_HEADER_EXTRA = (
    r"(?P<verbose>\s+UUID\s+Reason-Code\s+Security\s+Label)?"  # xl list -v
    r"(?P<context>\s+Security\s+Label)?"  # xl list -Z (only without -v)
    r"(?P<claims>\s+Claimed)?"  # xl claims
    r"(?P<cpupool>\s+Cpupool)?"  # xl list -c
    r"(?P<numa>\s+NODE\s+Affinity)?"  # xl list -n
    r"(?P<label>\s+Label)?"  # xm list --label (main.py xm_label_list)
    r"\s*"
)
_XL_NAME = r"(?P<name>\S(?:.*?\S)?)"  # libxl does not forbid spaces inside a name
_XM_NAME = r"(?P<name>\S+)"  # xend accepts only [A-Za-z0-9_.:/+-] (XendDomainInfo._checkName)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# cpu_time is "%8.1f": exactly one decimal, which is what makes a glued cpupool column (printed "%16s" with no
# separator) separable from the time.
_TIME = r"(?P<time>\d+\.\d)"


@lru_cache(maxsize=32)
def _row_pattern(toolstack: Toolstack, columns: tuple[str, ...]) -> re.Pattern[str]:
    """The row regex for a header: the fixed columns, then the optional ones in the order xl prints them."""
    if toolstack is Toolstack.XL:
        head = (
            rf"{_XL_NAME} +(?P<domid>\d+) +(?P<mem>\d+) +(?P<vcpus>\d+) +"
            r"(?P<flags>[r-][b-][p-][s-][-rscwS?][d-]) +" + _TIME
        )
    else:
        # xend leaves ID and State empty for a managed domain that is not running; a hand-edited 3.2 sample shows a
        # 5-letter state (xm/commitmsg_xm_li_crashed_renamed_xen3.2.txt), handled by _xm_flags.
        head = (
            rf"{_XM_NAME} +(?:(?P<domid>\d+) +(?P<mem>\d+) +(?P<vcpus>\d+) +(?P<flags>[-rbpscd]{{5,6}})"
            rf"|(?P<imem>\d+) +(?P<ivcpus>\d+)) +" + _TIME
        )
    tail = ""
    if "verbose" in columns:
        tail += rf" (?P<uuid>{_UUID}) +(?P<reason>[0-9a-f]+|-)"
    if "claims" in columns:
        tail += r" +(?P<claimed>\d+)"
    if "verbose" in columns or "context" in columns or "label" in columns:
        tail += r" +(?P<label>\S+)"
    if "cpupool" in columns:
        # "%16s" without a leading space: glued to the time when the pool name has 16+ characters; after a label
        # a glued name is ambiguous, so a space is required there (a glued one fails to parse, it is not guessed).
        tail += r" +(?P<cpupool>\S+)" if "verbose" in columns or "context" in columns else r" *(?P<cpupool>\S+)"
    if "numa" in columns:
        tail += r" (?P<nodes>\S+)"
    return re.compile(head + tail + r" *")  # cached by lru_cache, like _rx


def _header_columns(line: str, toolstack: Toolstack, tool: str, lineno: int) -> tuple[str, ...]:
    match = _rx(_LIST_HEADER).fullmatch(line)
    if match is None:
        raise ParseError(tool, lineno, line, "expected the `Name ID Mem VCPUs State Time(s)` header")
    extra = _rx(_LIST_HEADER_EXTRA).fullmatch(match["extra"])
    if extra is None:
        raise ParseError(tool, lineno, line, "unknown header columns")
    columns = tuple(key for key, value in extra.groupdict().items() if value is not None)
    allowed = {"label"} if toolstack is Toolstack.XM else {"verbose", "context", "claims", "cpupool", "numa"}
    if not set(columns) <= allowed:
        raise ParseError(tool, lineno, line, f"columns {sorted(set(columns) - allowed)} are not printed by {tool}")
    if "verbose" in columns and "context" in columns:
        raise ParseError(tool, lineno, line, "xl prints the -Z header only without -v")
    return columns


def _xm_flags(flags: str, tool: str, lineno: int, line: str) -> str:
    """Normalise an xm state to 6 positions; a 5-letter state is accepted only where its letters place it.

    xend always prints 6 letters (XendConfig.py CONFIG_OLD_DOM_STATES), but the hand-edited sample
    xm/commitmsg_xm_li_crashed_renamed_xen3.2.txt shows `---c-`. xm's six letters are distinct, so a state with one
    `-` dropped still names its flags unambiguously: each letter goes back to its own position.
    """
    if len(flags) == 6:
        problem = _flags_problem(flags, Toolstack.XM)
        if problem is not None:
            raise ParseError(tool, lineno, line, problem)
        return flags
    letters = [c for c in flags if c != "-"]
    if len(flags) != 5 or any(c not in "rbpscd" for c in letters):
        raise ParseError(tool, lineno, line, f"state {flags!r} is not six of `rbpscd-`")
    if letters != sorted(letters, key="rbpscd".index) or len(set(letters)) != len(letters):
        raise ParseError(tool, lineno, line, f"state {flags!r} is not in `rbpscd` order")
    return "".join(letter if letter in letters else "-" for letter in "rbpscd")


def _parse_list(text: str, toolstack: Toolstack) -> tuple[Domain, ...]:
    tool = f"{toolstack.value} list"
    lines = text.splitlines()
    lineno = next((number for number, line in enumerate(lines, 1) if line.strip()), 0)
    if not lineno:
        raise ParseError(tool, len(lines), "", "no header line")
    columns = _header_columns(lines[lineno - 1].rstrip(), toolstack, tool, lineno)
    pattern = _row_pattern(toolstack, columns)
    domains: list[Domain] = []
    for number, line in enumerate(lines[lineno:], lineno + 1):
        if not line.strip():
            continue
        match = pattern.fullmatch(line)
        if match is None:
            raise ParseError(tool, number, line, "row does not match the header's columns")
        domains.append(_domain_from_match(match, toolstack, tool, number, line))
    return tuple(domains)


def _domain_from_match(match: re.Match[str], toolstack: Toolstack, tool: str, lineno: int, line: str) -> Domain:
    groups = match.groupdict()
    raw_name = groups["name"]
    name = None if raw_name == "(null)" and toolstack is Toolstack.XL else raw_name
    flags = groups["flags"]
    if flags is not None and toolstack is Toolstack.XM:
        flags = _xm_flags(flags, tool, lineno, line)
    elif flags is not None and flags[3] != "s" and flags[4] != "-":
        # xl prints `shutdown ? reason : 0`, so a reason letter without `s` is not xl output (xl_info.c)
        raise ParseError(tool, lineno, line, f"shutdown reason {flags[4]!r} without the `s` flag")
    domid = groups["domid"]
    mem = groups["mem"] if domid is not None else groups.get("imem")
    vcpus = groups["vcpus"] if domid is not None else groups.get("ivcpus")
    if mem is None or vcpus is None:  # unreachable with the patterns above; keeps the types honest
        raise ParseError(tool, lineno, line, "missing Mem or VCPUs")
    shutdown_code = None
    reason = groups.get("reason")
    if reason is not None and reason != "-":
        shutdown_code = int(reason, 16)
        # -v prints the reason as "%8x" only while shut down; it must agree with the 5th state letter.
        letter = _REASON_LETTERS[shutdown_code] if shutdown_code < len(_REASON_LETTERS) else "?"
        if flags is None or flags[3] != "s" or flags[4] != letter:
            raise ParseError(tool, lineno, line, f"Reason-Code {reason} disagrees with state {flags}")
    elif reason == "-" and flags is not None and flags[3] == "s":
        raise ParseError(tool, lineno, line, "Reason-Code '-' for a shut-down domain")
    label = groups.get("label")
    claimed = groups.get("claimed")
    return Domain(
        name=name,
        domid=None if domid is None else int(domid),
        memory_mib=int(mem),
        vcpus=int(vcpus),
        flags=flags,
        cpu_time=float(groups["time"]),
        toolstack=toolstack,
        uuid=groups.get("uuid"),
        shutdown_code=shutdown_code,
        security_label=None if label is None or label == "-" else label,
        claimed_mib=None if claimed is None else int(claimed),
        cpupool=groups.get("cpupool"),
        node_affinity=groups.get("nodes"),
    )


def parse_xm_list(text: str) -> tuple[Domain, ...]:
    """Parse `xm list [--label]` output (Xen 3.x-4.4); raise ParseError on any other line."""
    return _parse_list(text, Toolstack.XM)


def parse_xl_list(text: str) -> tuple[Domain, ...]:
    """Parse `xl list [-v|-Z] [-c] [-n]` or `xl claims` output; raise ParseError on any other line."""
    return _parse_list(text, Toolstack.XL)


# ---------------------------------------------------------------------------------------------------------------------
# S-expressions: `xm list --long` (GRAMMAR.md §4.2)

SExpr: TypeAlias = "str | tuple[SExpr, ...]"

# Tokens as xend's sxp.Parser reads them (tools/python/xen/xend/sxp.py): `#` starts a comment outside strings, a
# string is quoted with ' or " and knows C-like escapes, and an atom runs until whitespace, a parenthesis or `#`.
# xend's show() quotes every string that is not made of [A-Za-z0-9.:/~_-] (atomp), so the separators `{}<>[]!;`
# that xend's reader also splits atoms at never appear unquoted in its output; this reader does not split at them.
_SXP_TOKEN = (
    r"""(?s)(?P<space>\s+)|(?P<comment>\#[^\n]*)|(?P<open>\()|(?P<close>\))"""
    r"""|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<atom>[^\s()'"\#][^\s()\#]*)"""
)
_SXP_ESCAPE = r"(?s)\\(x[0-9A-Fa-f]{2}|[0-7]{1,3}|.)"
_SXP_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", "\\": "\\", "'": "'", '"': '"',
}  # fmt: skip


def _line_of(text: str, pos: int) -> tuple[int, str]:
    """1-based line number and text of the line holding offset `pos`."""
    lineno = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return lineno, text[start : end if end >= 0 else len(text)]


def _unescape_sxp(body: str, tool: str, text: str, pos: int) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match[1]
        if code in _SXP_SIMPLE_ESCAPES:
            return _SXP_SIMPLE_ESCAPES[code]
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            value = int(code, 8)
            if value <= 0xFF:
                return chr(value)
        lineno, line = _line_of(text, pos)
        raise ParseError(tool, lineno, line, f"unknown escape \\{code}")

    return _rx(_SXP_ESCAPE).sub(replace, body) if "\\" in body else body


def _parse_sxp_positions(text: str, tool: str = "sxp") -> list[tuple[int, SExpr]]:
    """Top-level expressions with the offset each starts at."""
    result: list[tuple[int, SExpr]] = []
    stack: list[tuple[int, list[SExpr]]] = []
    pos = 0
    while pos < len(text):
        match = _rx(_SXP_TOKEN).match(text, pos)
        if match is None:  # only an unterminated string gets here
            lineno, line = _line_of(text, pos)
            raise ParseError(tool, lineno, line, "unterminated string")
        kind = match.lastgroup
        start = pos
        pos = match.end()
        value: SExpr
        if kind == "open":
            stack.append((start, []))
            continue
        if kind == "close":
            if not stack:
                lineno, line = _line_of(text, start)
                raise ParseError(tool, lineno, line, "unbalanced ')'")
            start, items = stack.pop()
            value = tuple(items)
        elif kind == "string":
            value = _unescape_sxp(match[0][1:-1], tool, text, start)
        elif kind == "atom":
            value = match[0]
        else:  # whitespace or comment
            continue
        if stack:
            stack[-1][1].append(value)
        else:
            result.append((start, value))
    if stack:
        lineno, line = _line_of(text, stack[-1][0])
        raise ParseError(tool, lineno, line, "'(' is never closed")
    return result


def parse_sxp(text: str) -> tuple[SExpr, ...]:
    """Parse xend S-expression text into nested tuples of strings; raise ParseError on unbalanced or bad syntax.

    `(bootloader )` reads as `("bootloader",)`: xend prints an empty string as nothing (sxp.show via atomp('')).
    """
    return tuple(expr for _, expr in _parse_sxp_positions(text))


def sxp_children(node: SExpr, key: str) -> tuple[tuple[SExpr, ...], ...]:
    """The child lists of `node` whose first element is `key` (sxp.children(node, key) in xend)."""
    if isinstance(node, str):
        return ()
    return tuple(child for child in node[1:] if not isinstance(child, str) and child and child[0] == key)


def sxp_value(node: SExpr, key: str) -> str | None:
    """The atom of the first `(key value)` child; "" for `(key)`, None when absent or when the value is a list."""
    for child in sxp_children(node, key):
        if len(child) == 1:
            return ""
        value = child[1]
        return value if isinstance(value, str) else None
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Disk and network specifications (xl-disk-configuration(5), xm create; GRAMMAR.md §4.2)


class DiskKind(Enum):
    """How the backend reaches a disk: the legacy `prefix:` of xm/xl, xl's `backendtype=`, or a block script."""

    PHY = "phy"
    FILE = "file"
    TAP = "tap"
    QDISK = "qdisk"
    STANDALONE = "standalone"
    DRBD = "drbd"
    SCRIPT = "script"
    UNKNOWN = "unknown"


_DRBD_MINOR = r"/dev/drbd(\d+)"
_DRBD_BY_RES = r"/dev/drbd/by-res/([^/]+)(?:/(\d+))?"
# Legacy `prefix:` forms; `tap:aio:/x`, `tap:qcow2:/x` chain two (libxlu_disk_l.l "deprecated prefixes").
_FORMAT_PREFIXES = frozenset({"raw", "qcow", "qcow2", "vhd"})
_SCRIPT_PREFIXES = frozenset({"iscsi", "nbd", "enbd", "drbd"})
_KIND_PREFIXES = {
    "phy": DiskKind.PHY,
    "file": DiskKind.FILE,
    "tap": DiskKind.TAP,
    "tap2": DiskKind.TAP,
    "tapdisk": DiskKind.TAP,
    "aio": DiskKind.TAP,
    "ioemu": DiskKind.QDISK,
}
_PREFIX = r"([a-z][a-z0-9]*):"


@dataclass(frozen=True, slots=True)
class DiskSpec:
    """One virtual disk: where its data lives (`target`, `path`), how the backend reaches it, and the guest side.

    `target` is the backing store as written (`phy:/dev/drbd1`, `drbd:r0`, xl's `target=` value, xend's uname, or
    libxl's pdev_path); `path` is `target` without its legacy prefixes (the device, file or DRBD resource name).
    """

    target: str
    path: str
    vdev: str | None
    mode: str | None
    kind: DiskKind
    format: str | None = None
    script: str | None = None
    is_cdrom: bool = False

    @property
    def is_writable(self) -> bool:
        """False only for `r`/`ro` access; xm's `w!` (shared write) and xl's default count as writable."""
        return self.mode not in ("r", "ro")

    @property
    def drbd_resource(self) -> str | None:
        """The DRBD resource: the target of a `drbd:` disk (block-drbd script), or `/dev/drbd/by-res/<res>[/vol]`."""
        if self.kind is DiskKind.DRBD:
            return self.path
        match = _rx(_DRBD_BY_RES).fullmatch(self.path)
        return None if match is None else match[1]

    @property
    def drbd_volume(self) -> int | None:
        """The volume number of a `/dev/drbd/by-res/<res>/<vol>` path (DRBD 8.4+), else None."""
        match = _rx(_DRBD_BY_RES).fullmatch(self.path) if self.kind is not DiskKind.DRBD else None
        return None if match is None or match[2] is None else int(match[2])

    @property
    def drbd_minor(self) -> int | None:
        """N for a `/dev/drbdN` path, else None."""
        match = _rx(_DRBD_MINOR).fullmatch(self.path) if self.kind is not DiskKind.DRBD else None
        return None if match is None else int(match[1])

    @property
    def is_drbd(self) -> bool:
        return self.drbd_resource is not None or self.drbd_minor is not None

    def to_json(self) -> dict[str, object]:
        """This disk as a JSON object, with the DRBD identity worked out."""
        return {
            "target": self.target,
            "path": self.path,
            "vdev": self.vdev,
            "mode": self.mode,
            "kind": self.kind.value,
            "format": self.format,
            "script": self.script,
            "is_cdrom": self.is_cdrom,
            "drbd_resource": self.drbd_resource,
            "drbd_volume": self.drbd_volume,
            "drbd_minor": self.drbd_minor,
        }


def _script_kind(script: str | None) -> DiskKind | None:
    if script is None:
        return None
    base = script.rsplit("/", 1)[-1]
    return DiskKind.DRBD if base in ("drbd", "block-drbd") else DiskKind.SCRIPT


_ACCESS = frozenset({"r", "ro", "w", "rw", "w!", ""})
_DISK_KEYS = frozenset({"format", "devtype", "access", "backend", "backendtype", "vdev", "script", "specification"})
_DISK_FLAGS = frozenset({"cdrom", "direct-io-safe", "discard", "no-discard", "colo", "no-colo", "trusted", "untrusted"})
_DISK_FORMATS = frozenset({"", "raw", "qcow", "qcow2", "vhd", "empty", "qed"})
_BACKEND_KINDS = {"phy": DiskKind.PHY, "tap": DiskKind.TAP, "qdisk": DiskKind.QDISK, "standalone": DiskKind.STANDALONE}
_DISK_KEYWORD = r"(?s)([a-z][-a-z0-9_]*)=(.*)"  # libxlu_disk_l.l: `[a-z][-a-z0-9]*=`


def _strip_prefixes(target: str) -> tuple[str, DiskKind | None, str | None, str | None]:
    """Peel legacy prefixes off a target: (path, kind, format, script)."""
    kind: DiskKind | None = None
    fmt: str | None = None
    script: str | None = None
    rest = target
    while (match := _rx(_PREFIX).match(rest)) is not None:
        word = match[1]
        if word in _FORMAT_PREFIXES:
            fmt = word
        elif word in _SCRIPT_PREFIXES:
            script = f"block-{word}"
        elif word in _KIND_PREFIXES:
            kind = kind or _KIND_PREFIXES[word]
        elif kind is None and script is None and fmt is None:
            # xend runs /etc/xen/scripts/block-<prefix> for any other prefix (how DRBD's own block-drbd is used
            # with xm); xl rejects `foo:/x` and reads `foo:bar` as a path, so this is xm's reading.
            script = f"block-{word}"
        else:
            break
        rest = rest[match.end() :]
    return rest, kind, fmt, script


def _split_vdev(vdev: str) -> tuple[str, bool]:
    """`hdc:cdrom` / `xvda:disk` (deprecated devtype suffix) to (vdev, is_cdrom)."""
    head, sep, devtype = vdev.rpartition(":")
    if sep and devtype in ("cdrom", "disk"):
        return head, devtype == "cdrom"
    return vdev, False


def parse_disk_spec(spec: str, *, lineno: int = 0) -> DiskSpec:
    """Parse one xm/xl DISKSPEC (`phy:/dev/drbd1,xvda1,w` or `format=raw, vdev=xvda, access=rw, target=/dev/x`).

    Follows xl-disk-configuration(5) and libxlu_disk_l.l: positional parameters are target, format, vdev, access,
    except that after a legacy `prefix:` target the format position is skipped (xm's `uname,dev,mode`); `target=`
    takes the rest of the string, commas included. xm's `w!` access is accepted.
    """
    tool = "disk spec"
    target: str | None = None
    keyed: dict[str, str] = {}
    positional: list[str] = []
    is_cdrom = False
    rest = spec
    while rest:
        head, comma, tail = rest.partition(",")
        param = head.strip()
        if rest.lstrip().startswith("target="):  # "the target magic parameter, eats the rest of the string"
            target = rest.lstrip()[len("target=") :].strip()
            break
        rest = tail if comma else ""
        if not param:
            positional.append("")
            continue
        match = _rx(_DISK_KEYWORD).fullmatch(param)
        if match is not None:
            key, value = match[1], match[2].strip()
            if key not in _DISK_KEYS:
                raise ParseError(tool, lineno, spec, f"unknown parameter {key!r}")
            if key in keyed:
                raise ParseError(tool, lineno, spec, f"{key} respecified")
            keyed[key] = value
        elif param in _DISK_FLAGS:
            is_cdrom = is_cdrom or param == "cdrom"
        elif "=" in param:  # a positional parameter never holds "=" (libxlu_disk_l.l `[^=,]+`)
            raise ParseError(tool, lineno, spec, f"bad disk syntax {param!r}")
        else:
            positional.append(param)
    path: str
    kind: DiskKind | None = None
    fmt: str | None = None
    script: str | None = None
    if target is not None:  # xl stores `target=` verbatim: no legacy prefix is peeled off it
        path = target
    elif positional:
        target = positional.pop(0)
        path, kind, fmt, script = _strip_prefixes(target)
    else:
        raise ParseError(tool, lineno, spec, "no target")
    had_prefix = path != target
    names = ["vdev", "access"] if had_prefix else ["format", "vdev", "access"]
    if "format" in keyed and "format" in names:
        names.remove("format")
    if len(positional) > len(names):
        raise ParseError(tool, lineno, spec, "too many positional parameters")
    for name, value in zip(names, positional, strict=False):
        if name in keyed:
            raise ParseError(tool, lineno, spec, f"{name} respecified")
        keyed[name] = value
    if keyed.get("format") is not None:
        if keyed["format"] not in _DISK_FORMATS:
            raise ParseError(tool, lineno, spec, f"unknown format {keyed['format']!r}")
        fmt = keyed["format"] or fmt
    access = keyed.get("access")
    if access is not None and access not in _ACCESS:
        raise ParseError(tool, lineno, spec, f"unknown access {access!r}")
    devtype = keyed.get("devtype")
    if devtype is not None:
        if devtype not in ("cdrom", "disk"):
            raise ParseError(tool, lineno, spec, f"unknown devtype {devtype!r}")
        is_cdrom = devtype == "cdrom"
    vdev = keyed.get("vdev") or None
    if vdev is not None:
        vdev, suffix_cdrom = _split_vdev(vdev)
        is_cdrom = is_cdrom or suffix_cdrom
    if "script" in keyed:
        script = keyed["script"]
    backendtype = keyed.get("backendtype")
    if backendtype is not None and backendtype not in _BACKEND_KINDS:
        raise ParseError(tool, lineno, spec, f"unknown backendtype {backendtype!r}")
    kind = _script_kind(script) or (_BACKEND_KINDS[backendtype] if backendtype else None) or kind or DiskKind.UNKNOWN
    return DiskSpec(
        target=target,
        path=path,
        vdev=vdev,
        mode=access or None,
        kind=kind,
        format=fmt or None,
        script=script,
        is_cdrom=is_cdrom,
    )


@dataclass(frozen=True, slots=True)
class VifSpec:
    """One virtual network interface (xl-network-configuration(5) / xm `vif` and `(device (vif ...))`)."""

    mac: str | None = None
    bridge: str | None = None
    ip: str | None = None
    script: str | None = None
    model: str | None = None
    vifname: str | None = None
    type: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {field: getattr(self, field) for field in _VIF_FIELDS} | {"options": dict(self.options)}


_VIF_FIELDS = ("mac", "bridge", "ip", "script", "model", "vifname", "type")
_VIF_KEY = r"[a-z][a-z0-9_-]*"


def _vif_from_pairs(pairs: Sequence[tuple[str, str]]) -> VifSpec:
    known = {key: value for key, value in pairs if key in _VIF_FIELDS}
    other = tuple((key, value) for key, value in pairs if key not in _VIF_FIELDS)
    return VifSpec(
        mac=known.get("mac"),
        bridge=known.get("bridge"),
        ip=known.get("ip"),
        script=known.get("script"),
        model=known.get("model"),
        vifname=known.get("vifname"),
        type=known.get("type"),
        options=other,
    )


def parse_vif_spec(spec: str, *, lineno: int = 0) -> VifSpec:
    """Parse one xm/xl VIFSPEC (`mac=00:16:3e:00:00:01, bridge=xenbr0`); every item must be `key=value`."""
    pairs: list[tuple[str, str]] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or _rx(_VIF_KEY).fullmatch(key) is None:
            raise ParseError("vif spec", lineno, spec, f"item {item!r} is not key=value")
        pairs.append((key, value.strip()))
    return _vif_from_pairs(pairs)


# ---------------------------------------------------------------------------------------------------------------------
# `xm list --long` (SXP), `xl list -l` (JSON; Xen 4.1 SXP-like)


@dataclass(frozen=True, slots=True)
class DomainConfig:
    """One domain of `xm list --long` or `xl list -l`: identity, sizing and devices.

    `status` and `flags` come from xend only; `memory_mib` is xend's `memory` or libxl's target_memkb/1024,
    `maxmem_mib` xend's `maxmem` or libxl's max_memkb/1024. `domid` is None for a managed domain xend has not
    started.
    """

    name: str | None
    domid: int | None
    toolstack: Toolstack
    type: DomainType | None = None
    uuid: str | None = None
    memory_mib: int | None = None
    maxmem_mib: int | None = None
    vcpus: int | None = None
    disks: tuple[DiskSpec, ...] = ()
    vifs: tuple[VifSpec, ...] = ()
    status: XendStatus | None = None
    flags: str | None = None

    @property
    def state(self) -> DomainState | None:
        """As Domain.state from xend's `(state ...)`; None without flags (`xl list -l`, or an unstarted domain)."""
        if self.flags is None:
            return None
        state = classify_flags(self.flags, toolstack=self.toolstack)
        if self.migration_role is not None and state in _MIGRATING_OVERRIDES:
            return DomainState.MIGRATING
        return state

    @property
    def base_name(self) -> str | None:
        return _migration_split(self.name, self.toolstack)[0]

    @property
    def migration_role(self) -> MigrationRole | None:
        return _migration_split(self.name, self.toolstack)[1]

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect` object: Domain.to_json's keys (state None when unknown), then the configuration."""
        state = self.state
        return {
            "name": self.name,
            "domid": self.domid,
            "memory_mib": self.memory_mib,
            "vcpus": self.vcpus,
            "flags": self.flags,
            "state": None if state is None else state.value,
            "maxmem_mib": self.maxmem_mib,
            "type": None if self.type is None else self.type.value,
            "uuid": self.uuid,
            "status": None if self.status is None else self.status.name.lower(),
            "disks": [disk.to_json() for disk in self.disks],
            "vifs": [vif.to_json() for vif in self.vifs],
        }


def _int_field(value: object, tool: str, lineno: int, line: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParseError(tool, lineno, line, f"{what} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if not _rx(r"-?\d+").fullmatch(value):
        raise ParseError(tool, lineno, line, f"{what} is not an integer: {value!r}")
    return int(value)


def _optional_int(value: str | None, tool: str, lineno: int, line: str, what: str) -> int | None:
    return None if value is None else _int_field(value, tool, lineno, line, what)


def _xm_disk(dev: tuple[SExpr, ...], tool: str, lineno: int, line: str) -> DiskSpec:
    uname = sxp_value(dev, "uname")
    if not uname:
        raise ParseError(tool, lineno, line, f"{dev[0]} device without uname")
    path, kind, fmt, script = _strip_prefixes(uname)
    raw_vdev = sxp_value(dev, "dev")
    vdev, is_cdrom = _split_vdev(raw_vdev) if raw_vdev else (None, False)
    return DiskSpec(
        target=uname,
        path=path,
        vdev=vdev,
        mode=sxp_value(dev, "mode") or None,
        kind=_script_kind(script) or kind or DiskKind.UNKNOWN,
        format=fmt,
        script=script,
        is_cdrom=is_cdrom,
    )


def _xm_domain(node: SExpr, tool: str, lineno: int, line: str) -> DomainConfig:
    if isinstance(node, str) or not node or node[0] != "domain":
        raise ParseError(tool, lineno, line, "expected a (domain ...) expression")
    status_number = _optional_int(sxp_value(node, "status"), tool, lineno, line, "status")
    status: XendStatus | None = None
    if status_number is not None:
        try:
            status = XendStatus(status_number)
        except ValueError:
            raise ParseError(tool, lineno, line, f"unknown status {status_number}") from None
    flags = sxp_value(node, "state") or None
    if flags is not None:
        flags = _xm_flags(flags, tool, lineno, line)
    image = sxp_children(node, "image")
    dtype: DomainType | None = None
    if image:
        kinds = {child[0] for child in image[0][1:] if not isinstance(child, str) and child}
        dtype = DomainType.HVM if "hvm" in kinds else DomainType.PV if "linux" in kinds else None
    disks: list[DiskSpec] = []
    vifs: list[VifSpec] = []
    for device in sxp_children(node, "device"):
        for dev in device[1:]:
            if isinstance(dev, str) or not dev:
                continue
            if dev[0] in ("vbd", "tap", "tap2"):
                disks.append(_xm_disk(dev, tool, lineno, line))
            elif dev[0] == "vif":
                pairs = [
                    (kv[0], kv[1])
                    for kv in dev[1:]
                    if isinstance(kv, tuple) and len(kv) == 2 and isinstance(kv[0], str) and isinstance(kv[1], str)
                ]
                vifs.append(_vif_from_pairs(pairs))
    return DomainConfig(
        name=sxp_value(node, "name") or None,
        domid=_optional_int(sxp_value(node, "domid"), tool, lineno, line, "domid"),
        toolstack=Toolstack.XM,
        type=dtype,
        uuid=sxp_value(node, "uuid") or None,
        memory_mib=_optional_int(sxp_value(node, "memory"), tool, lineno, line, "memory"),
        maxmem_mib=_optional_int(sxp_value(node, "maxmem"), tool, lineno, line, "maxmem"),
        vcpus=_optional_int(sxp_value(node, "vcpus"), tool, lineno, line, "vcpus"),
        disks=tuple(disks),
        vifs=tuple(vifs),
        status=status,
        flags=flags,
    )


def parse_xm_list_long(text: str) -> tuple[DomainConfig, ...]:
    """Parse `xm list --long` (one `(domain ...)` SXP per domain); raise ParseError on bad syntax or values."""
    tool = "xm list --long"
    configs = []
    for pos, node in _parse_sxp_positions(text, tool):
        lineno, line = _line_of(text, pos)
        configs.append(_xm_domain(node, tool, lineno, line))
    return tuple(configs)


# libxl JSON (libxl_types.idl): libxl_disk_backend and the Xen 4.0/4.1 libxl_disk_phystype numbers shown by the SXP
# printer as `(phystype N)`.
_JSON_BACKENDS = {"phy": DiskKind.PHY, "tap": DiskKind.TAP, "qdisk": DiskKind.QDISK, "standalone": DiskKind.STANDALONE}
_BACKEND_NUMBERS = {1: DiskKind.PHY, 2: DiskKind.TAP, 3: DiskKind.QDISK}  # 4.2+: libxl_disk_backend
_PHYSTYPE_NUMBERS = {
    1: DiskKind.TAP,
    2: DiskKind.TAP,
    3: DiskKind.TAP,
    4: DiskKind.TAP,
    5: DiskKind.FILE,
    6: DiskKind.PHY,
}


class _JsonShape:
    """Typed access to one `xl list -l` domain object; every mismatch is a ParseError naming the JSON path."""

    def __init__(self, tool: str, lineno: int, line: str) -> None:
        self.tool, self.lineno, self.line = tool, lineno, line

    def fail(self, path: str, why: str) -> ParseError:
        return ParseError(self.tool, self.lineno, self.line, f"{path}: {why}")

    def obj(self, value: object, path: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(path, "expected an object")
        return value

    def opt_obj(self, parent: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
        value = parent.get(key)
        return {} if value is None else self.obj(value, f"{path}.{key}")

    def opt_str(self, parent: Mapping[str, object], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{path}.{key}", "expected a string")
        return value

    def opt_int(self, parent: Mapping[str, object], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{path}.{key}", "expected an integer")
        return value

    def opt_list(self, parent: Mapping[str, object], key: str, path: str) -> list[object]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}", "expected an array")
        return value


def _json_domain(item: object, shape: _JsonShape, index: int) -> DomainConfig:
    where = f"[{index}]"
    entry = shape.obj(item, where)
    domid = shape.opt_int(entry, "domid", where)
    if domid is None:
        raise shape.fail(f"{where}.domid", "missing")
    config = shape.opt_obj(entry, "config", where)
    c_info = shape.opt_obj(config, "c_info", f"{where}.config")
    b_info = shape.opt_obj(config, "b_info", f"{where}.config")
    # Xen 4.14+ also has c_info.domid (the domid asked for at creation, libxl 4a3a2567); the top-level domid is the
    # running domain's and is the one used (cf. the xendomains fix 0c06760b, GRAMMAR.md §4.3).
    type_name = shape.opt_str(c_info, "type", f"{where}.config.c_info")
    dtype: DomainType | None = None
    if type_name is not None:
        try:
            dtype = DomainType(type_name)
        except ValueError:
            raise shape.fail(f"{where}.config.c_info.type", f"unknown domain type {type_name!r}") from None
    disks: list[DiskSpec] = []
    for number, raw in enumerate(shape.opt_list(config, "disks", f"{where}.config")):
        path = f"{where}.config.disks[{number}]"
        disk = shape.obj(raw, path)
        pdev = shape.opt_str(disk, "pdev_path", path) or ""
        backend = shape.opt_str(disk, "backend", path)
        script = shape.opt_str(disk, "script", path)
        readwrite = shape.opt_int(disk, "readwrite", path)
        kind = _script_kind(script) or _JSON_BACKENDS.get(backend or "", DiskKind.UNKNOWN)
        fmt = shape.opt_str(disk, "format", path)
        disks.append(
            DiskSpec(
                target=pdev,
                path=pdev,
                vdev=shape.opt_str(disk, "vdev", path),
                mode=None if readwrite is None else ("w" if readwrite else "r"),
                kind=kind,
                format=None if fmt in (None, "unknown") else fmt,
                script=script,
                is_cdrom=bool(shape.opt_int(disk, "is_cdrom", path)),
            )
        )
    vifs: list[VifSpec] = []
    for number, raw in enumerate(shape.opt_list(config, "nics", f"{where}.config")):
        path = f"{where}.config.nics[{number}]"
        nic = shape.obj(raw, path)
        vifs.append(
            VifSpec(
                mac=shape.opt_str(nic, "mac", path),
                bridge=shape.opt_str(nic, "bridge", path),
                ip=shape.opt_str(nic, "ip", path),
                script=shape.opt_str(nic, "script", path),
                model=shape.opt_str(nic, "model", path),
                vifname=shape.opt_str(nic, "ifname", path),
                type=shape.opt_str(nic, "nictype", path),
            )
        )
    target_kb = shape.opt_int(b_info, "target_memkb", f"{where}.config.b_info")
    max_kb = shape.opt_int(b_info, "max_memkb", f"{where}.config.b_info")
    return DomainConfig(
        name=shape.opt_str(c_info, "name", f"{where}.config.c_info"),
        domid=domid,
        toolstack=Toolstack.XL,
        type=dtype,
        uuid=shape.opt_str(c_info, "uuid", f"{where}.config.c_info"),
        memory_mib=None if target_kb is None else target_kb // 1024,
        maxmem_mib=None if max_kb is None else max_kb // 1024,
        vcpus=shape.opt_int(b_info, "max_vcpus", f"{where}.config.b_info"),
        disks=tuple(disks),
        vifs=tuple(vifs),
    )


def _json_documents(text: str, tool: str) -> Iterator[tuple[int, object]]:
    """Every JSON value in `text` with its start offset: one array, or Xen 4.2's concatenated objects."""
    import json  # only `xl list -l` needs it; monitors parse `xl list`

    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            lineno, line = _line_of(text, exc.pos)
            raise ParseError(tool, lineno, line, exc.msg) from None
        except RecursionError:
            lineno, line = _line_of(text, pos)
            raise ParseError(tool, lineno, line, "JSON nested too deeply") from None
        yield pos, value
        pos = end


# Xen 4.1 `xl list -l` default: printf_info in xl_cmdimpl.c (later printf_info_sexp, tools/xl/xl_sxp.c): one
# `(key value)` per TAB-indented line. The PV branch prints `(linux 0)` already closed and then its own `)`, so the
# parentheses never balance for PV domains; the lines are therefore read by indentation, not by nesting.
_XL_SXP_LEAF = r"(?P<indent>\t*)\((?P<key>[A-Za-z_][A-Za-z0-9_]*)(?: (?P<value>.*))?\)"
_XL_SXP_OPEN = r"(?P<indent>\t*)\((?P<key>[A-Za-z_][A-Za-z0-9_]*)"
_XL_SXP_CLOSE = r"\t*\)"


def _xl_sxp_device(fields: dict[str, str], kind: str, tool: str, lineno: int, line: str) -> DiskSpec | VifSpec | None:
    if kind == "tap":
        phystype = _int_field(fields.get("phystype", "0"), tool, lineno, line, "phystype")
        # Xen 4.0/4.1 print the disk's `(domid N)` and libxl_disk_phystype; later ones `(frontend_domid N)` and
        # libxl_disk_backend.
        numbers = _PHYSTYPE_NUMBERS if "domid" in fields else _BACKEND_NUMBERS
        physpath = fields.get("physpath", "")
        readwrite = fields.get("readwrite")
        return DiskSpec(
            target=physpath,
            path=physpath,
            vdev=fields.get("virtpath") or None,
            mode=None if readwrite is None else ("r" if readwrite == "0" else "w"),
            kind=numbers.get(phystype, DiskKind.UNKNOWN),
            is_cdrom=fields.get("is_cdrom") == "1",
        )
    if kind == "vif":
        mac = fields.get("mac")
        if mac is not None and _rx(r"[0-9a-f]{12}").fullmatch(mac):
            mac = ":".join(mac[i : i + 2] for i in range(0, 12, 2))
        # printf("%s", NULL) shows `(null)` for an unset model or ifname
        model, vifname = fields.get("model"), fields.get("vifname")
        return VifSpec(
            mac=mac, model=None if model == "(null)" else model, vifname=None if vifname == "(null)" else vifname
        )
    return None


def _parse_xl_sxp(text: str, tool: str) -> tuple[DomainConfig, ...]:
    configs: list[DomainConfig] = []
    current: dict[str, str] | None = None
    sections: list[str] = []
    devices: list[tuple[str, dict[str, str], int, str]] = []
    start = (0, "")

    def finish() -> None:
        if current is None:
            return
        lineno, line = start
        disks: list[DiskSpec] = []
        vifs: list[VifSpec] = []
        for kind, fields, dev_lineno, dev_line in devices:
            device = _xl_sxp_device(fields, kind, tool, dev_lineno, dev_line)
            if isinstance(device, DiskSpec):
                disks.append(device)
            elif isinstance(device, VifSpec):
                vifs.append(device)
        max_kb = _optional_int(current.get("max_memkb"), tool, lineno, line, "max_memkb")
        target_kb = _optional_int(current.get("target_memkb"), tool, lineno, line, "target_memkb")
        uuid = current.get("uuid")
        configs.append(
            DomainConfig(
                name=current.get("name") or None,
                domid=_optional_int(current.get("domid"), tool, lineno, line, "domid"),
                toolstack=Toolstack.XL,
                type=DomainType.HVM if current.get("hvm") == "1" else DomainType.PV,
                uuid=None if uuid in (None, "<unknown>") else uuid,
                memory_mib=None if target_kb is None else target_kb // 1024,
                maxmem_mib=None if max_kb is None else max_kb // 1024,
                vcpus=_optional_int(current.get("max_vcpus"), tool, lineno, line, "max_vcpus"),
                disks=tuple(disks),
                vifs=tuple(vifs),
            )
        )

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            continue
        if line == "(domain":
            finish()
            current, sections, devices, start = {}, [], [], (lineno, line)
            continue
        if current is None:
            raise ParseError(tool, lineno, line, "expected `(domain`")
        leaf = _rx(_XL_SXP_LEAF).fullmatch(line)
        opening = _rx(_XL_SXP_OPEN).fullmatch(line) if leaf is None else None
        if leaf is not None:
            depth, key, value = len(leaf["indent"]), leaf["key"], leaf["value"] or ""
            del sections[max(depth - 1, 0) :]
            if depth <= 1 and not (sections and sections[0] == "device"):
                current.setdefault(key, value)
            elif sections[:1] == ["device"] and devices and depth >= 3:
                devices[-1][1].setdefault(key, value)
        elif opening is not None:
            depth, key = len(opening["indent"]), opening["key"]
            del sections[max(depth - 1, 0) :]
            sections.append(key)
            if depth == 1 and key == "device":
                devices.append(("", {}, lineno, line))
            elif depth == 2 and sections[0] == "device" and devices and not devices[-1][0]:
                devices[-1] = (key, devices[-1][1], lineno, line)
        elif _rx(_XL_SXP_CLOSE).fullmatch(line) is None:
            raise ParseError(tool, lineno, line, "expected `(key value)`, `(key` or `)`")
    finish()
    return tuple(configs)


def parse_xl_list_long(text: str) -> tuple[DomainConfig, ...]:
    """Parse `xl list -l`: a JSON array of {domid, config}, Xen 4.2's concatenated objects, or Xen 4.1's SXP form."""
    tool = "xl list -l"
    stripped = text.lstrip()
    if stripped.startswith("(domain"):
        return _parse_xl_sxp(text, tool)
    configs: list[DomainConfig] = []
    for pos, document in _json_documents(text, tool):
        lineno, line = _line_of(text, pos)
        shape = _JsonShape(tool, lineno, line)
        items = document if isinstance(document, list) else [document]
        configs.extend(_json_domain(item, shape, len(configs) + number) for number, item in enumerate(items))
    return tuple(configs)


# ---------------------------------------------------------------------------------------------------------------------
# Errors, `xl info`, `xm uptime`, `xl migrate` transcripts


class XenErrorKind(Enum):
    """What an xm/xl failure was about; UNKNOWN for anything not recognised (the classification is total)."""

    DOMAIN_NOT_FOUND = "domain_not_found"
    XEND_NOT_RUNNING = "xend_not_running"
    NO_HYPERVISOR = "no_hypervisor"
    MIGRATE_FAILED = "migrate_failed"
    LIBXL_FATAL = "libxl_fatal"
    LIBXL_ERROR = "libxl_error"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class XenError:
    """A classified xm/xl stderr: the kind, the deciding message, and the domain or rc it names."""

    kind: XenErrorKind
    message: str
    domain: str | None = None
    rc: int | None = None


# xl_utils.c find_domain: `%s is an invalid domain identifier (rc=%d)` (no rc before Xen 4.5; exit(2) up to 4.4).
# rc -6 is ERROR_INVAL, what libxl_name_to_domid returns for an unknown name; any other rc is a libxl failure.
_INVALID_DOMAIN = r"(?P<domain>.*\S) is an invalid domain identifier(?: \(rc=(?P<rc>-?\d+)\))?"
_DOES_NOT_EXIST = r"Error: Domain '(?P<domain>.*)' does not exist\."
_XEND_DOWN = r"Error: Unable to connect to xend: .*Is xend running\?"
_XL_MIGRATE_FAILURES = (
    "Migration failed, resuming at sender.",
    "Migration failed, failed to suspend at sender.",
    "Migration failed due to problems at target.",
    "** Migration failed during final handshake **",
)
_XL_TARGET_CREATE_FAILED = r"migration target: Domain creation failed \(code (?P<rc>-?\d+)\)\."
_XL_SUSPEND_FAILED = r"migration sender: libxl_domain_suspend failed \(rc=(?P<rc>-?\d+)\)"
_ERROR_ONLY = r"Error: (?P<message>.*)"
# No privcmd device: the kernel was booted without Xen (or the privcmd interface is missing), so no domain can run
# here. Every toolstack dies opening it, before it looks at any domain; the open's errno is ENOENT
# ("No such file or directory") because neither /dev/xen/privcmd nor /proc/xen/privcmd exists. Texts, xen-project/xen:
# * Xen 4.7+ (libxencall): tools/libs/call/linux.c:54 osdep_xencall_open `PERROR("Could not obtain handle on
#   privileged command interface")`, logged by xtl_logger_stdio.c as `xencall: error: MESSAGE: STRERROR`; then
#   tools/libs/light/libxl.c:102 libxl_ctx_alloc `LOGEV(ERROR, errno, "cannot open libxc handle")` and
#   tools/xl/xl.c:346 (RELEASE-4.17.3) `cannot init xl context`, exit 1. Seen verbatim in users' reports:
#     xencall: error: Could not obtain handle on privileged command interface: No such file or directory
#     libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory
#     cannot init xl context
# * Xen 4.1-4.6 (libxc): tools/libxc/xc_linux_osdep.c:54 (RELEASE-4.4.0) the same PERROR, which xc_private.h:127
#   formats as `MESSAGE (%d = %s)` and xc_reportv tags `xc: error: ... : Internal error`; libxl.c:92 as above.
# * Xen 3.3 xm opened libxc when imported (xm/main.py `xc = xen.lowlevel.xc.xc()`, commit 73d5acf5 until 75f6b53a)
#   and died with `ERROR Internal error: Could not obtain handle on privileged command interface (2 = No such file or
#   directory)` and a Python traceback ending in `xen.lowlevel.xc.Error: (1, 'Internal error', '... (2 = No such file
#   or directory)')`. From Xen 3.4 xm only talks to xend, which cannot start without Xen: see _XEND_DOWN.
# Any other errno (EACCES: not root) is a toolstack that is present but unusable, not a missing hypervisor.
_NO_PRIVCMD = r"Could not obtain handle on privileged command interface(?:: | \(2 = )No such file or directory"
_NO_LIBXC = r"libxl_ctx_alloc: cannot open libxc handle: No such file or directory"


def parse_xen_error(text: str) -> XenError:
    """Classify xm/xl stderr; total: anything not recognised is XenErrorKind.UNKNOWN, never an exception."""
    lines = [line.strip() for line in text.splitlines()]
    for line in lines:
        match = _rx(_INVALID_DOMAIN).fullmatch(line)
        if match is not None:
            rc = None if match["rc"] is None else int(match["rc"])
            kind = XenErrorKind.DOMAIN_NOT_FOUND if rc in (None, -6) else XenErrorKind.LIBXL_ERROR
            return XenError(kind, line, domain=match["domain"], rc=rc)
        match = _rx(_DOES_NOT_EXIST).fullmatch(line)
        if match is not None:
            return XenError(XenErrorKind.DOMAIN_NOT_FOUND, line, domain=match["domain"])
    for line in lines:
        if _rx(_XEND_DOWN).fullmatch(line):
            return XenError(XenErrorKind.XEND_NOT_RUNNING, line)
    for line in lines:
        if line in _XL_MIGRATE_FAILURES:
            return XenError(XenErrorKind.MIGRATE_FAILED, line)
    for line in lines:
        for pattern in (_XL_TARGET_CREATE_FAILED, _XL_SUSPEND_FAILED):
            match = _rx(pattern).search(line)
            if match is not None:
                return XenError(XenErrorKind.MIGRATE_FAILED, line, rc=int(match["rc"]))
    # xm: `Error: <message>` (possibly wrapped over several lines) followed by the command's usage text; for
    # `xm migrate` that usage starts `Usage: xm migrate` (xm/commitmsg_migrate_live_error_*).
    if any(line.startswith("Usage: xm migrate") for line in lines):
        message = _xm_error_message(lines)
        if message is not None:
            return XenError(XenErrorKind.MIGRATE_FAILED, message)
    # After the migration verdicts: a migration's stderr carries the target's messages too, and a target without
    # Xen says nothing about this node.
    for pattern in (_NO_PRIVCMD, _NO_LIBXC):
        for line in lines:
            if _rx(pattern).search(line):
                return XenError(XenErrorKind.NO_HYPERVISOR, line)
    for line in lines:
        if "FATAL ERROR" in line:
            return XenError(XenErrorKind.LIBXL_FATAL, line)
    for line in lines:
        if line.startswith(("libxl: error:", "libxl: critical:")):
            return XenError(XenErrorKind.LIBXL_ERROR, line)
    message = _xm_error_message(lines)
    if message is None:
        message = next((line for line in lines if line), "")
    return XenError(XenErrorKind.UNKNOWN, message)


def _xm_error_message(lines: Sequence[str]) -> str | None:
    """The text of xm's `Error: ...` up to the usage text or a blank line, joined into one line."""
    for index, line in enumerate(lines):
        match = _rx(_ERROR_ONLY).fullmatch(line)
        if match is None:
            continue
        parts = [match["message"]]
        for more in lines[index + 1 :]:
            if not more or more.startswith("Usage:"):
                break
            parts.append(more)
        return " ".join(parts)
    return None


def is_control_domain(capabilities: str) -> bool:
    """True when /proc/xen/capabilities text says this kernel runs as Xen's control domain (dom0).

    Linux drivers/xen/xenfs/super.c capabilities_read: `control_d\\n` in the initial domain, empty in any other
    guest; without Xen there is no such file. Xen's own start-up scripts decide the same way: `grep -q control_d
    /proc/xen/capabilities` (tools/hotplug/Linux/init.d/xencommons:40 at RELEASE-4.1.0, when xend was current;
    systemd/xendomains.service.in:13 today).
    """
    return "control_d" in capabilities.split()


# `xl info` and `xm info`: `key<padded to 23> : value` (xl_info.c output_* via maybe_printf). `xl info -n` adds
# tables after `cpu_topology`, `device topology` and `numa_info` headers whose rows are not key/value lines.
_INFO_LINE = r"(?P<key>[a-z_][a-z0-9_]*(?: [a-z0-9_]+)*) *: ?(?P<value>.*)"
_INFO_TABLES = frozenset({"cpu_topology", "device topology", "numa_info"})


def parse_xl_info(text: str) -> dict[str, str]:
    """Parse `xl info` / `xm info` into {key: value} (values right-stripped); ParseError on a malformed line.

    The rows of `xl info -n` tables are kept, newline-joined, as the value of their section key.
    """
    tool = "xl info"
    info: dict[str, str] = {}
    table: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _rx(_INFO_LINE).fullmatch(line)
        # A key/value line has its colon at column 23 (or later for a key of 23+ characters).
        if match is not None and (match.start("value") >= 23 or len(match["key"]) >= 23 or table is None):
            key, value = match["key"], match["value"].rstrip()
            if key in info:
                raise ParseError(tool, lineno, line, f"duplicate key {key!r}")
            info[key] = value
            table = key if key in _INFO_TABLES and not value else None
        elif table is not None:
            info[table] = (info[table] + "\n" + line.rstrip()).lstrip("\n")
        else:
            raise ParseError(tool, lineno, line, "expected `key : value`")
    return info


def parse_xl_info_value(text: str) -> str:
    """Parse `xl info KEY` (commit 7edc1083), which prints only the value on one line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ParseError("xl info KEY", len(lines), text[:120], "expected exactly one line")
    return lines[0].strip()


@dataclass(frozen=True, slots=True)
class DomainUptime:
    """One row of `xm uptime` / `xl uptime` (long form)."""

    name: str
    domid: int | None
    seconds: int


_UPTIME_HEADER = r"Name\s+ID\s+Uptime\s*"
_UPTIME_ROW = (
    r"(?P<name>\S+) +(?:(?P<domid>\d+) +)?(?:(?P<days>\d+) days?, +)?(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d) *"
)


def parse_xm_uptime(text: str) -> tuple[DomainUptime, ...]:
    """Parse `xm uptime` (main.py xm_uptime: `%-32s %5s ` + `[N day[s], ]%2d:%02d:%02d`) or `xl uptime`."""
    tool = "xm uptime"
    rows: list[DomainUptime] = []
    header_seen = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if not header_seen:
            if _rx(_UPTIME_HEADER).fullmatch(line) is None:
                raise ParseError(tool, lineno, line, "expected the `Name ID Uptime` header")
            header_seen = True
            continue
        match = _rx(_UPTIME_ROW).fullmatch(line)
        if match is None:
            raise ParseError(tool, lineno, line, "expected `name id [N days, ]h:mm:ss`")
        seconds = int(match["days"] or 0) * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
        domid = match["domid"]
        rows.append(DomainUptime(match["name"], None if domid is None else int(domid), seconds))
    if not header_seen:
        raise ParseError(tool, 0, "", "no header line")
    return tuple(rows)


class MigrateOutcome(Enum):
    """How an `xl migrate` ended, from the last verdict line xl printed (tools/xl/xl_migrate.c)."""

    SUCCEEDED = "succeeded"  # "Migration successful."
    RESUMED_AT_SENDER = "resumed_at_sender"  # "Migration failed, resuming at sender."
    SUSPEND_FAILED = "suspend_failed"  # "Migration failed, failed to suspend at sender." (guest timed out)
    FAILED_AT_TARGET = "failed_at_target"  # "Migration failed due to problems at target."
    UNDEFINED = "undefined"  # "** Migration failed during final handshake **": check both ends
    CRASHED = "crashed"  # xl itself died (e.g. "Segmentation fault", xl/commitmsg_migrate_segfault_xen4.5.txt)
    INCOMPLETE = "incomplete"  # no verdict at all


class MigrateStep(Enum):
    """The protocol messages of xl_migrate.c, sender's and receiver's (the receiver's stderr comes over ssh)."""

    TARGET_READY = "migration target: Ready to receive domain."
    TARGET_TRANSFER_COMPLETE = "migration target: Transfer complete, requesting permission to start domain."
    SENDER_ACKNOWLEDGED = "migration sender: Target has acknowledged transfer."
    SENDER_GIVING_PERMISSION = "migration sender: Giving target permission to start."
    TARGET_GOT_PERMISSION = "migration target: Got permission, starting domain."
    # sic: upstream's triple "s" (GRAMMAR.md §4.3)
    TARGET_STARTED = "migration target: Domain started successsfully."
    SENDER_TARGET_SUCCEEDED = "migration sender: Target reports successful startup."
    SENDER_TARGET_FAILED = "migration sender: Target reports startup failure"
    SENDER_TRYING_RESUME = "migration sender: Trying to resume at our end."
    SENDER_RESUMED = "migration sender: Resumed OK."
    TARGET_DESTROYING = "migration target: Failure, destroying our copy."
    TARGET_CLEANUP_OK = "migration target: Cleanup OK, granting sender permission to resume."
    TARGET_CREATE_FAILED = "migration target: Domain creation failed"
    SENDER_SUSPEND_FAILED = "migration sender: libxl_domain_suspend failed"


@dataclass(frozen=True, slots=True)
class MigrateTranscript:
    """The classified stderr of one `xl migrate`: outcome, protocol steps seen, error lines, and reported codes."""

    outcome: MigrateOutcome
    steps: tuple[MigrateStep, ...]
    errors: tuple[str, ...]
    code: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome is MigrateOutcome.SUCCEEDED

    @property
    def domain_left_at_sender(self) -> bool:
        """True when xl says the domain stays (or was resumed) on the sending host."""
        return self.outcome in (
            MigrateOutcome.RESUMED_AT_SENDER,
            MigrateOutcome.SUSPEND_FAILED,
            MigrateOutcome.FAILED_AT_TARGET,
        )


_VERDICTS = {
    "Migration successful.": MigrateOutcome.SUCCEEDED,
    "Migration failed, resuming at sender.": MigrateOutcome.RESUMED_AT_SENDER,
    "Migration failed, failed to suspend at sender.": MigrateOutcome.SUSPEND_FAILED,
    "Migration failed due to problems at target.": MigrateOutcome.FAILED_AT_TARGET,
    "** Migration failed during final handshake **": MigrateOutcome.UNDEFINED,
}
# Xen 4.1-dev printed the last progress line without a newline, gluing the next message to it (commit 87de0ad2;
# xl/commitmsg_migrate_progress_bug_no_newline_xen4.1.txt), so messages are also looked for mid-line.
_GLUED = r"(?=migration (?:target|sender)(?: \([^)]*\))?: )"
_CODE = r"\((?:code|rc=|status code) ?(?P<code>-?\d+)\)"
_CRASH_WORDS = ("Segmentation fault", "Aborted", "Killed", "Bus error")


def parse_migrate_transcript(text: str) -> MigrateTranscript:
    """Classify `xl migrate` stderr; total (unknown lines are ignored, a missing verdict is INCOMPLETE)."""
    steps: list[MigrateStep] = []
    errors: list[str] = []
    outcome: MigrateOutcome | None = None
    crashed = False
    code: int | None = None
    for raw in text.splitlines():
        for piece in _rx(_GLUED).split(raw):
            line = piece.strip()
            if not line:
                continue
            if line in _VERDICTS:
                outcome = _VERDICTS[line]
                continue
            step = next((s for s in MigrateStep if line.startswith(s.value)), None)
            if step is not None:
                steps.append(step)
                match = _rx(_CODE).search(line)
                if match is not None:
                    code = int(match["code"])
            elif ": error:" in line or "FATAL" in line or ": critical:" in line:
                errors.append(line)
            elif line.startswith(_CRASH_WORDS):
                crashed = True
                errors.append(line)
    if outcome is None:
        outcome = MigrateOutcome.CRASHED if crashed else MigrateOutcome.INCOMPLETE
    return MigrateTranscript(outcome=outcome, steps=tuple(steps), errors=tuple(errors), code=code)


# ---------------------------------------------------------------------------------------------------------------------
# domU config files (xl.cfg(5), xmdomain.cfg(5))

ConfigValue: TypeAlias = "str | int | float | bool | None | tuple[ConfigValue, ...]"


@dataclass(frozen=True, slots=True)
class DomUConfig:
    """A domU config file: the settings HA needs, typed, plus every literal setting in file order."""

    name: str
    type: DomainType
    memory_mib: int | None
    maxmem_mib: int | None
    vcpus: int | None
    disks: tuple[DiskSpec, ...]
    vifs: tuple[VifSpec, ...]
    settings: tuple[tuple[str, ConfigValue], ...]

    def get(self, key: str) -> ConfigValue:
        """The literal value of `key` (None when absent)."""
        return next((value for name, value in self.settings if name == key), None)


@dataclass(frozen=True, slots=True)
class _Setting:
    value: ConfigValue
    lineno: int
    element_lines: tuple[int, ...]  # the line of each list element, for error messages


class _ConfigReader:
    """Turns a config file into literal settings with `ast`, never evaluating anything."""

    tool = "domU config"

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()

    def fail(self, node: ast.AST | int, why: str) -> ParseError:
        lineno = node if isinstance(node, int) else getattr(node, "lineno", 0)
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return ParseError(self.tool, lineno, line, why)

    def literal(self, node: ast.expr) -> ConfigValue:
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str | int | float)):
            value: ConfigValue = node.value
            return value
        if isinstance(node, ast.List | ast.Tuple):
            return tuple(self.literal(item) for item in node.elts)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        ):
            return -node.operand.value
        raise self.fail(node, f"only literal values are allowed, not {type(node).__name__}")

    def settings(self) -> dict[str, _Setting]:
        try:
            module = ast.parse(self.text, mode="exec")
        except SyntaxError as exc:
            raise self.fail(exc.lineno or 0, exc.msg) from None
        except ValueError as exc:  # e.g. NUL bytes
            raise self.fail(0, str(exc)) from None
        found: dict[str, _Setting] = {}
        for stmt in module.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                found[stmt.targets[0].id] = _Setting(self.literal(stmt.value), stmt.lineno, _element_lines(stmt.value))
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name):
                # xl's `key += value` appends to a list or string (libxlu_cfg_y.y, Xen 4.5+).
                key, added = stmt.target.id, self.literal(stmt.value)
                old = found.get(key)
                if old is None:
                    found[key] = _Setting(added, stmt.lineno, _element_lines(stmt.value))
                elif isinstance(old.value, tuple) and isinstance(added, tuple):
                    lines = old.element_lines + _element_lines(stmt.value)
                    found[key] = _Setting(old.value + added, old.lineno, lines)
                elif isinstance(old.value, str) and isinstance(added, str):
                    found[key] = _Setting(old.value + added, old.lineno, ())
                else:
                    raise self.fail(stmt, f"cannot append to {key}")
            else:
                raise self.fail(stmt, "only `key = literal` settings are allowed")
        return found


def _element_lines(node: ast.expr) -> tuple[int, ...]:
    return tuple(element.lineno for element in node.elts) if isinstance(node, ast.List | ast.Tuple) else ()


def _config_int(reader: _ConfigReader, key: str, setting: _Setting) -> int:
    # libxlu stores every atom as a string and reads numbers with strtol, so `memory = "512"` is valid in xl.
    value = setting.value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _rx(r"\s*\d+\s*").fullmatch(value):
        return int(value)
    raise reader.fail(setting.lineno, f"{key} must be an integer, got {value!r}")


def _config_specs(reader: _ConfigReader, key: str, setting: _Setting) -> list[tuple[str, int]]:
    """Each string of a list setting with the line it is on; xm also took a single string."""
    value = setting.value
    if isinstance(value, str):
        return [(value, setting.lineno)]
    if isinstance(value, tuple):
        specs: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            line = setting.element_lines[index] if index < len(setting.element_lines) else setting.lineno
            if not isinstance(item, str):
                raise reader.fail(line, f"{key} entries must be strings, got {item!r}")
            specs.append((item, line))
        return specs
    raise reader.fail(setting.lineno, f"{key} must be a list of strings")


def parse_domu_config(text: str) -> DomUConfig:
    """Parse an xm/xl domU config without executing it: literal `key = value` settings only, else ParseError.

    `type` (Xen 4.10+: pv, pvh, hvm) wins over `builder` (`hvm`, else PV); `name` is required as xl requires it.
    """
    reader = _ConfigReader(text)
    found = reader.settings()
    name = found.get("name")
    if name is None or not isinstance(name.value, str) or not name.value:
        raise reader.fail(0 if name is None else name.lineno, "name must be a non-empty string")
    dtype = DomainType.PV
    builder = found.get("builder")
    if builder is not None:
        if not isinstance(builder.value, str):
            raise reader.fail(builder.lineno, "builder must be a string")
        dtype = DomainType.HVM if builder.value == "hvm" else DomainType.PV
    type_setting = found.get("type")
    if type_setting is not None:
        try:
            dtype = DomainType(type_setting.value)
        except ValueError:
            raise reader.fail(type_setting.lineno, f"unknown type {type_setting.value!r}") from None

    def number(key: str) -> int | None:
        setting = found.get(key)
        return None if setting is None else _config_int(reader, key, setting)

    disk = found.get("disk")
    vif = found.get("vif")
    disks = [] if disk is None else [parse_disk_spec(s, lineno=n) for s, n in _config_specs(reader, "disk", disk)]
    vifs = [] if vif is None else [parse_vif_spec(s, lineno=n) for s, n in _config_specs(reader, "vif", vif)]
    return DomUConfig(
        name=name.value,
        type=dtype,
        memory_mib=number("memory"),
        maxmem_mib=number("maxmem"),
        vcpus=number("vcpus"),
        disks=tuple(disks),
        vifs=tuple(vifs),
        settings=tuple((key, setting.value) for key, setting in found.items()),
    )


def read_domu_config(path: Path) -> DomUConfig:
    """Read and parse a domU config file."""
    return parse_domu_config(path.read_text(encoding="utf-8", errors="replace"))
