# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xm list` / `xl list` (GRAMMAR.md §4.1, §4.3): the domain states, the Domain record, the row parser, and the
plain "no such domain" answer of `xl list NAME` (hot: the one xenha.xen module a healthy monitor imports).

A monitor parses one `xl list NAME` every 10 s in a fresh interpreter, so this module imports only xenha.errors and
xenha.record. The header and rows of the plain listing are a fixed printf format (xl_info.c list_domains, xend's
main.py parse_doms_info) and are read with str.split; regexes are compiled only, and cached, for the optional
columns (-v, -Z, -c, -n, claims, xm --label) and for any row the split reader does not vouch for, which then
decides (and names the problem in a ParseError).
"""

from __future__ import annotations

from xenha.errors import ParseError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Sequence
    from typing import Final, Literal

    Tool = Literal["xm", "xl"]
    DomainStateName = Literal["running", "blocked", "paused", "shutdown", "crashed", "dying", "migrating"]
    ShutdownReasonName = Literal["poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset", "unknown"]
    MigrationRoleName = Literal["incoming", "outgoing"]

__all__ = [
    "LIVE_STATES",
    "MIGRATING_OVERRIDES",
    "Domain",
    "DomainState",
    "MigrationRole",
    "ShutdownReason",
    "Toolstack",
    "classify_flags",
    "find_domain",
    "flags_problem",
    "normalise_xm_flags",
    "parse_xl_list",
    "parse_xm_list",
    "says_no_such_domain",
    "split_migration_name",
]

# ---------------------------------------------------------------------------------------------------------------------
# States and flags (GRAMMAR.md §4.1, §4.3): str constants; the Literal aliases above let mypy check them.


class Toolstack:
    """Which toolstack printed the text: xend's `xm` (Xen 3.x-4.4) or libxl's `xl` (Xen 4.1+)."""

    XM: Final = "xm"
    XL: Final = "xl"
    ALL: Final = (XM, XL)


class DomainState:
    """One domain's state as `xenha inspect` reports it; see classify_flags for how six flags become one state."""

    RUNNING: Final = "running"
    BLOCKED: Final = "blocked"
    PAUSED: Final = "paused"
    SHUTDOWN: Final = "shutdown"
    CRASHED: Final = "crashed"
    DYING: Final = "dying"
    MIGRATING: Final = "migrating"
    ALL: Final = (RUNNING, BLOCKED, PAUSED, SHUTDOWN, CRASHED, DYING, MIGRATING)


class ShutdownReason:
    """libxl_shutdown_reason, shown by xl as the 5th state letter from "-rscwS" (xl_info.c list_domains)."""

    POWEROFF: Final = "poweroff"
    REBOOT: Final = "reboot"
    SUSPEND: Final = "suspend"
    CRASH: Final = "crash"
    WATCHDOG: Final = "watchdog"
    SOFT_RESET: Final = "soft_reset"
    UNKNOWN: Final = "unknown"
    ALL: Final = (POWEROFF, REBOOT, SUSPEND, CRASH, WATCHDOG, SOFT_RESET, UNKNOWN)


class MigrationRole:
    """Which end of a live migration a transiently renamed domain is on."""

    INCOMING: Final = "incoming"
    OUTGOING: Final = "outgoing"
    ALL: Final = (INCOMING, OUTGOING)


# xl prints `shutdown_reason_letters[reason]` when the domain is shut down, else '-' (reason 0), and '?' for a reason
# outside the table (xl_info.c list_domains). 'S' (soft_reset) exists since Xen 4.8; before that the table was "-rscw".
_REASON_LETTERS = "-rscwS"
_REASON_BY_LETTER: dict[str, ShutdownReasonName] = {
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


def flags_problem(flags: str, toolstack: Tool) -> str | None:
    """Why `flags` is not a state string `toolstack` can print, or None when it is one."""
    positions = _XL_POSITIONS if toolstack == Toolstack.XL else _XM_POSITIONS
    if len(flags) != 6:
        return f"state must be 6 characters, got {len(flags)}"
    for char, allowed in zip(flags, positions, strict=True):
        if char not in allowed:
            return f"state letter {char!r} is not one of {allowed!r}"
    return None


def classify_flags(flags: str, *, toolstack: Tool) -> DomainStateName:
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
    problem = flags_problem(flags, toolstack)
    if problem is not None:
        raise ParseError(f"{toolstack} list", 0, flags, problem)
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


def normalise_xm_flags(flags: str, tool: str, lineno: int, line: str) -> str:
    """Normalise an xm state to 6 positions; a 5-letter state is accepted only where its letters place it.

    xend always prints 6 letters (XendConfig.py CONFIG_OLD_DOM_STATES), but the hand-edited sample
    xm/commitmsg_xm_li_crashed_renamed_xen3.2.txt shows `---c-`. xm's six letters are distinct, so a state with one
    `-` dropped still names its flags unambiguously: each letter goes back to its own position.
    """
    if len(flags) == 6:
        problem = flags_problem(flags, Toolstack.XM)
        if problem is not None:
            raise ParseError(tool, lineno, line, problem)
        return flags
    letters = [c for c in flags if c != "-"]
    if len(flags) != 5 or any(c not in "rbpscd" for c in letters):
        raise ParseError(tool, lineno, line, f"state {flags!r} is not six of `rbpscd-`")
    if letters != sorted(letters, key="rbpscd".index) or len(set(letters)) != len(letters):
        raise ParseError(tool, lineno, line, f"state {flags!r} is not in `rbpscd` order")
    return "".join(letter if letter in letters else "-" for letter in "rbpscd")


# Transient names during live migration (ganeti/ganeti lib/cmdlib/instance_migration.py and hv_xen.py
# FinalizeMigrationSource): xend renames the source to `migrating-<dom>` while copying (XendCheckpoint.save);
# xl creates the target as `<dom>--incoming` and renames the source to `<dom>--migratedaway` once the target has
# acknowledged the transfer (xl_migrate.c migrate_domain / xl_vmcontrol.c create_domain).
_XL_INCOMING = "--incoming"
_XL_MIGRATEDAWAY = "--migratedaway"
_XM_MIGRATING = "migrating-"


def split_migration_name(name: str | None, toolstack: Tool) -> tuple[str | None, MigrationRoleName | None]:
    """The base name and the migration role encoded in a (possibly transient) domain name."""
    if name is None:
        return None, None
    if toolstack == Toolstack.XL:
        if name.endswith(_XL_INCOMING) and len(name) > len(_XL_INCOMING):
            return name[: -len(_XL_INCOMING)], MigrationRole.INCOMING
        if name.endswith(_XL_MIGRATEDAWAY) and len(name) > len(_XL_MIGRATEDAWAY):
            return name[: -len(_XL_MIGRATEDAWAY)], MigrationRole.OUTGOING
    elif name.startswith(_XM_MIGRATING) and len(name) > len(_XM_MIGRATING):
        return name[len(_XM_MIGRATING) :], MigrationRole.OUTGOING
    return name, None


# A transient migration name turns these states into MIGRATING; shutdown, crashed and dying are kept because they
# say more about the domain than the fact that a migration was under way.
MIGRATING_OVERRIDES = frozenset({DomainState.RUNNING, DomainState.BLOCKED, DomainState.PAUSED})
# The states in which a domain exists and holds its disks.
LIVE_STATES = frozenset({DomainState.RUNNING, DomainState.BLOCKED, DomainState.PAUSED, DomainState.MIGRATING})


# ---------------------------------------------------------------------------------------------------------------------
# `xm list` / `xl list` (GRAMMAR.md §4.1, §4.3)


@record
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
    toolstack: Tool
    uuid: str | None = None
    shutdown_code: int | None = None
    security_label: str | None = None
    claimed_mib: int | None = None
    cpupool: str | None = None
    node_affinity: str | None = None

    @property
    def state(self) -> DomainStateName:
        """classify_flags on the flags, MIGRATING for a live transient name, SHUTDOWN for an unstarted xend domain."""
        if self.flags is None:
            return DomainState.SHUTDOWN
        state = classify_flags(self.flags, toolstack=self.toolstack)
        if state in MIGRATING_OVERRIDES and self.migration_role is not None:
            return DomainState.MIGRATING
        return state

    @property
    def has_null_name(self) -> bool:
        """True when xl printed `(null)` for the name (domain being created or destroyed)."""
        return self.name is None

    @property
    def shutdown_reason(self) -> ShutdownReasonName | None:
        """xl's shutdown reason (5th letter) while the `s` flag is set; None otherwise and for xm."""
        if self.toolstack != Toolstack.XL or self.flags is None or self.flags[3] != "s":
            return None
        return _REASON_BY_LETTER[self.flags[4]]

    @property
    def base_name(self) -> str | None:
        """The domain's name without xl's `--incoming`/`--migratedaway` suffix or xend's `migrating-` prefix."""
        return split_migration_name(self.name, self.toolstack)[0]

    @property
    def migration_role(self) -> MigrationRoleName | None:
        """INCOMING/OUTGOING for a transient migration name, else None."""
        return split_migration_name(self.name, self.toolstack)[1]

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
        return self.is_active and self.state in LIVE_STATES

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect` object for this domain."""
        return {
            "name": self.name,
            "domid": self.domid,
            "memory_mib": self.memory_mib,
            "vcpus": self.vcpus,
            "flags": self.flags,
            "state": self.state,
        }


def parse_xm_list(text: str) -> tuple[Domain, ...]:
    """Parse `xm list [--label]` output (Xen 3.x-4.4); raise ParseError on any other line."""
    return _parse_list(text, Toolstack.XM)


def parse_xl_list(text: str) -> tuple[Domain, ...]:
    """Parse `xl list [-v|-Z] [-c] [-n]` or `xl claims` output; raise ParseError on any other line."""
    return _parse_list(text, Toolstack.XL)


def find_domain(domains: Sequence[Domain], name: str) -> Domain | None:
    """The domain listed under exactly `name`."""
    for domain in domains:
        if domain.name == name:
            return domain
    return None


# What `xl list NAME` / `xm list NAME` print for a name that is not a domain (xl_utils.c find_domain, Xen 4.5+ with
# rc -6 = ERROR_INVAL from libxl_name_to_domid, earlier without the rc; xend's `Error: Domain 'NAME' does not exist.`).
_XL_NO_SUCH = " is an invalid domain identifier"
_XL_NO_SUCH_RC = " is an invalid domain identifier (rc=-6)"
_XM_NO_SUCH_HEAD = "Error: Domain '"
_XM_NO_SUCH_TAIL = "' does not exist."


def says_no_such_domain(stderr: str) -> bool:
    """True when `stderr` is what xl/xm print for a domain that does not exist; False: ask messages.parse_xen_error.

    Plain string tests, so that a monitor of an absent guest needs neither xenha.xen.messages nor `re`. Never True
    where parse_xen_error would not say DOMAIN_NOT_FOUND (a test holds it to that on every fixture and on random
    text): the first line that could decide for parse_xen_error decides here, and only in its two plain forms.
    """
    for raw in stderr.splitlines():
        line = raw.strip()
        if _XL_NO_SUCH in line:
            for tail in (_XL_NO_SUCH, _XL_NO_SUCH_RC):
                if line.endswith(tail) and len(line) > len(tail) and not line[-len(tail) - 1].isspace():
                    return True
            return False
        if line.startswith(_XM_NO_SUCH_HEAD):
            return line.endswith(_XM_NO_SUCH_TAIL) and len(line) >= len(_XM_NO_SUCH_HEAD) + len(_XM_NO_SUCH_TAIL)
    return False


_PLAIN_HEADER = ["Name", "ID", "Mem", "VCPUs", "State", "Time(s)"]


def _parse_list(text: str, toolstack: Tool) -> tuple[Domain, ...]:
    tool = f"{toolstack} list"
    lines = text.splitlines()
    lineno = next((number for number, line in enumerate(lines, 1) if line.strip()), 0)
    if not lineno:
        raise ParseError(tool, len(lines), "", "no header line")
    header = lines[lineno - 1].rstrip()
    if header.isascii() and header.startswith("Name") and header.split() == _PLAIN_HEADER:
        columns: tuple[str, ...] = ()
    else:
        columns = _header_columns(header, toolstack, tool, lineno)
    plain_row = _plain_xl_row if toolstack == Toolstack.XL else _plain_xm_row
    domains: list[Domain] = []
    for number, line in enumerate(lines[lineno:], lineno + 1):
        if not line.strip():
            continue
        domain = None if columns else plain_row(line)
        domains.append(domain or _matched_row(line, toolstack, columns, tool, number))
    return tuple(domains)


# The plain rows, read by split: printf("%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f\n") in xl_info.c, and
# `%(name)-32s %(domid)5s %(mem)5d %(vcpus)5s %(state)10s %(cpu_time)8.1f` in xend's main.py. Each returns None for
# anything it does not vouch for (a TAB, a non-ASCII name, a 5-letter xm state, a letter out of place...): the
# regex reader then decides, so both read every row alike and the errors are the regex reader's.


def _tenths(text: str) -> bool:
    """True for `\\d+\\.\\d`: cpu_time is "%8.1f", exactly one decimal."""
    whole, dot, tenth = text.partition(".")
    return bool(dot) and whole.isdigit() and len(tenth) == 1 and tenth.isdigit()


def _plain_xl_row(line: str) -> Domain | None:
    if not (line.isascii() and line.isprintable()):
        return None
    parts = line.rsplit(None, 5)  # libxl allows spaces inside a name: the five numeric columns are the last words
    if len(parts) != 6:
        return None
    name, domid, mem, vcpus, flags, time = parts
    if name[0] == " " or not (domid.isdigit() and mem.isdigit() and vcpus.isdigit() and _tenths(time)):
        return None
    if flags_problem(flags, Toolstack.XL) is not None or (flags[3] != "s" and flags[4] != "-"):
        return None
    return Domain(
        None if name == "(null)" else name, int(domid), int(mem), int(vcpus), flags, float(time), Toolstack.XL
    )


def _plain_xm_row(line: str) -> Domain | None:
    if not (line.isascii() and line.isprintable()) or line[0] == " ":
        return None
    parts = line.split()
    if len(parts) == 6:
        name, domid, mem, vcpus, flags, time = parts
        if not domid.isdigit() or flags_problem(flags, Toolstack.XM) is not None:
            return None
        number: int | None = int(domid)
        state: str | None = flags
    elif len(parts) == 4:  # a managed domain xend has not started: empty ID and State
        name, mem, vcpus, time = parts
        number = state = None
    else:
        return None
    if not (mem.isdigit() and vcpus.isdigit() and _tenths(time)):
        return None
    return Domain(name, number, int(mem), int(vcpus), state, float(time), Toolstack.XM)


# ---------------------------------------------------------------------------------------------------------------------
# The regex reader: optional columns and whatever the plain readers leave to it (rare; compiled on first use)

_PATTERNS: dict[object, re.Pattern[str]] = {}


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern on first use and keep it: a monitor imports this module to parse one plain listing."""
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        import re

        compiled = _PATTERNS[pattern] = re.compile(pattern)
    return compiled


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


def _row_pattern(toolstack: Tool, columns: tuple[str, ...]) -> re.Pattern[str]:
    """The row regex for a header: the fixed columns, then the optional ones in the order xl prints them."""
    key = (toolstack, columns)
    cached = _PATTERNS.get(key)
    if cached is not None:
        return cached
    if toolstack == Toolstack.XL:
        head = (
            rf"{_XL_NAME} +(?P<domid>\d+) +(?P<mem>\d+) +(?P<vcpus>\d+) +"
            r"(?P<flags>[r-][b-][p-][s-][-rscwS?][d-]) +" + _TIME
        )
    else:
        # xend leaves ID and State empty for a managed domain that is not running; a hand-edited 3.2 sample shows a
        # 5-letter state (xm/commitmsg_xm_li_crashed_renamed_xen3.2.txt), handled by normalise_xm_flags.
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
    import re

    compiled = _PATTERNS[key] = re.compile(head + tail + r" *")
    return compiled


def _header_columns(line: str, toolstack: Tool, tool: str, lineno: int) -> tuple[str, ...]:
    match = _rx(_LIST_HEADER).fullmatch(line)
    if match is None:
        raise ParseError(tool, lineno, line, "expected the `Name ID Mem VCPUs State Time(s)` header")
    extra = _rx(_LIST_HEADER_EXTRA).fullmatch(match["extra"])
    if extra is None:
        raise ParseError(tool, lineno, line, "unknown header columns")
    columns = tuple(key for key, value in extra.groupdict().items() if value is not None)
    allowed = {"label"} if toolstack == Toolstack.XM else {"verbose", "context", "claims", "cpupool", "numa"}
    if not set(columns) <= allowed:
        raise ParseError(tool, lineno, line, f"columns {sorted(set(columns) - allowed)} are not printed by {tool}")
    if "verbose" in columns and "context" in columns:
        raise ParseError(tool, lineno, line, "xl prints the -Z header only without -v")
    return columns


def _matched_row(line: str, toolstack: Tool, columns: tuple[str, ...], tool: str, lineno: int) -> Domain:
    match = _row_pattern(toolstack, columns).fullmatch(line)
    if match is None:
        raise ParseError(tool, lineno, line, "row does not match the header's columns")
    groups = match.groupdict()
    raw_name = groups["name"]
    name = None if raw_name == "(null)" and toolstack == Toolstack.XL else raw_name
    flags = groups["flags"]
    if flags is not None and toolstack == Toolstack.XM:
        flags = normalise_xm_flags(flags, tool, lineno, line)
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
