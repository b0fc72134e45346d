"""DRBD state model and DRBD 8.x parsers (/proc/drbd, drbdadm, drbdsetup show); parse_* raise only ParseError."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import cast

from xenha.errors import ParseError

# Every parse_* function takes text and returns frozen dataclasses; read_* functions do the I/O. Section
# numbers (§) refer to shared/fixtures/GRAMMAR.md, fixture names to files under shared/fixtures/.

__all__ = [
    "BuildKind",
    "ConnState",
    "DiskState",
    "DrbdFailure",
    "DrbdVolume",
    "DrbdadmError",
    "DrbdadmVersion",
    "DrbdsetupShow",
    "DstatePair",
    "FailedCommand",
    "LruStats",
    "ProcCounters",
    "ProcDevice",
    "ProcDrbd",
    "ReplState",
    "Role",
    "RolePair",
    "SectorPos",
    "ShKnown",
    "ShStatus",
    "ShStatusMinor",
    "ShowAddress",
    "ShowOption",
    "ShowSection",
    "ShowVolume",
    "SyncProgress",
    "Transport",
    "VerifyProgress",
    "WriteOrdering",
    "parse_cstate",
    "parse_drbdadm_error",
    "parse_drbdadm_version",
    "parse_drbdsetup_show",
    "parse_dstate",
    "parse_proc_drbd",
    "parse_role",
    "parse_sh_status",
    "parse_usermode_helper",
    "read_proc_drbd",
    "read_usermode_helper",
]


class Role(Enum):
    """A node's role for a resource (drbd_strings.c role names)."""

    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    UNKNOWN = "Unknown"


class DiskState(Enum):
    """A backing disk's state; DRBD 8.x and 9 names (9 adds Detaching)."""

    DISKLESS = "Diskless"
    ATTACHING = "Attaching"
    DETACHING = "Detaching"
    FAILED = "Failed"
    NEGOTIATING = "Negotiating"
    INCONSISTENT = "Inconsistent"
    OUTDATED = "Outdated"
    DUNKNOWN = "DUnknown"
    CONSISTENT = "Consistent"
    UPTODATE = "UpToDate"


class ConnState(Enum):
    """A connection state: DRBD 8.x `cs:` names, DRBD 9 connection names, and the printed `Unconfigured`."""

    UNCONFIGURED = "Unconfigured"
    STANDALONE = "StandAlone"
    DISCONNECTING = "Disconnecting"
    UNCONNECTED = "Unconnected"
    TIMEOUT = "Timeout"
    BROKEN_PIPE = "BrokenPipe"
    NETWORK_FAILURE = "NetworkFailure"
    PROTOCOL_ERROR = "ProtocolError"
    WF_CONNECTION = "WFConnection"
    WF_REPORT_PARAMS = "WFReportParams"
    TEAR_DOWN = "TearDown"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    STARTING_SYNC_S = "StartingSyncS"
    STARTING_SYNC_T = "StartingSyncT"
    WF_BITMAP_S = "WFBitMapS"
    WF_BITMAP_T = "WFBitMapT"
    WF_SYNC_UUID = "WFSyncUUID"
    SYNC_SOURCE = "SyncSource"
    SYNC_TARGET = "SyncTarget"
    PAUSED_SYNC_S = "PausedSyncS"
    PAUSED_SYNC_T = "PausedSyncT"
    VERIFY_S = "VerifyS"
    VERIFY_T = "VerifyT"
    AHEAD = "Ahead"
    BEHIND = "Behind"
    SKIPPED_SYNC_S = "SkippedSyncS"
    SKIPPED_SYNC_T = "SkippedSyncT"
    TOO_LARGE = "TOO_LARGE"


class ReplState(Enum):
    """A DRBD 9 peer device's replication state."""

    OFF = "Off"
    ESTABLISHED = "Established"
    STARTING_SYNC_S = "StartingSyncS"
    STARTING_SYNC_T = "StartingSyncT"
    WF_BITMAP_S = "WFBitMapS"
    WF_BITMAP_T = "WFBitMapT"
    WF_SYNC_UUID = "WFSyncUUID"
    SYNC_SOURCE = "SyncSource"
    SYNC_TARGET = "SyncTarget"
    VERIFY_S = "VerifyS"
    VERIFY_T = "VerifyT"
    PAUSED_SYNC_S = "PausedSyncS"
    PAUSED_SYNC_T = "PausedSyncT"
    AHEAD = "Ahead"
    BEHIND = "Behind"


@dataclass(frozen=True, slots=True)
class DrbdVolume:
    """One volume as seen from this node towards one peer: the common view of every DRBD source.

    This is what `xenha inspect drbd --json` prints and what the agents decide on. DRBD 8.x gives one per
    minor; DRBD 9 gives one per peer device (or one with no peer when the volume has no connection).
    `cstate` is the 8.x-style connection state: for DRBD 9 the replication state when the connection is
    Connected and replication is not Established/Off, else the connection state.
    """

    resource: str | None
    minor: int | None
    volume: int | None
    role: Role
    peer_role: Role | None
    cstate: ConnState
    disk: DiskState
    peer_disk: DiskState | None
    sync_percent: float | None = None
    peer: str | None = None

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role is Role.PRIMARY

    @property
    def both_primary(self) -> bool:
        return self.is_primary and self.is_peer_primary

    @property
    def is_connected(self) -> bool:
        """True once the peers talk (Connected or any sync/verify state)."""
        return self.cstate in _CONNECTED_STATES

    @property
    def is_uptodate(self) -> bool:
        return self.disk is DiskState.UPTODATE

    @property
    def is_peer_uptodate(self) -> bool:
        return self.peer_disk is DiskState.UPTODATE

    @property
    def is_syncing(self) -> bool:
        return self.cstate in _SYNC_STATES

    @property
    def is_configured(self) -> bool:
        return self.cstate is not ConnState.UNCONFIGURED

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect drbd --json` object, in DRBD's own words."""
        return {
            "resource": self.resource,
            "minor": self.minor,
            "volume": self.volume,
            "role": self.role.value,
            "peer_role": None if self.peer_role is None else self.peer_role.value,
            "cstate": self.cstate.value,
            "disk": self.disk.value,
            "peer_disk": None if self.peer_disk is None else self.peer_disk.value,
            "sync_percent": self.sync_percent,
        }


_SYNC_STATES = frozenset(
    {
        ConnState.STARTING_SYNC_S,
        ConnState.STARTING_SYNC_T,
        ConnState.WF_BITMAP_S,
        ConnState.WF_BITMAP_T,
        ConnState.WF_SYNC_UUID,
        ConnState.SYNC_SOURCE,
        ConnState.SYNC_TARGET,
        ConnState.PAUSED_SYNC_S,
        ConnState.PAUSED_SYNC_T,
    }
)
_CONNECTED_STATES = _SYNC_STATES | {
    ConnState.CONNECTED,
    ConnState.VERIFY_S,
    ConnState.VERIFY_T,
    ConnState.AHEAD,
    ConnState.BEHIND,
}


# ---------------------------------------------------------------------------------------------------------------------
# Name lookups shared by every parser below. A name the kernel or drbdsetup never prints is an unknown token.


class _LazyPattern:
    """A regex compiled on its first use: a monitor reads /proc/drbd with a few of the patterns of this module
    and should not pay, every ten seconds, for compiling all of them at import."""

    __slots__ = ("_compiled", "_pattern")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> object:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, re.ASCII)
        return getattr(self._compiled, name)


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile with re.ASCII (lazily): \\d is [0-9] only, so int() never meets a digit it cannot convert."""
    return cast("re.Pattern[str]", _LazyPattern(pattern))


_UINT_RE = _rx(r"[0-9]{1,20}")


def _is_uint(text: str) -> bool:
    return _UINT_RE.fullmatch(text) is not None


# Constant lookup tables (like the compiled regexes below): Enum(value) costs ~1 us a call, a dict lookup
# ~50 ns, and a 256-minor /proc/drbd needs five lookups per minor.
_CONN_NAMES: dict[str, ConnState] = {m.value: m for m in ConnState}
_ROLE_NAMES: dict[str, Role] = {m.value: m for m in Role}
_DISK_NAMES: dict[str, DiskState] = {m.value: m for m in DiskState}


def _conn_state(name: str, tool: str, lineno: int, line: str) -> ConnState:
    cs = _CONN_NAMES.get(name)
    if cs is None:
        raise ParseError(tool, lineno, line, f"unknown connection state {name!r}")
    return cs


def _role(name: str, tool: str, lineno: int, line: str) -> Role:
    role = _ROLE_NAMES.get(name)
    if role is None:
        raise ParseError(tool, lineno, line, f"unknown role {name!r}")
    return role


def _disk_state(name: str, tool: str, lineno: int, line: str) -> DiskState:
    disk = _DISK_NAMES.get(name)
    if disk is None:
        raise ParseError(tool, lineno, line, f"unknown disk state {name!r}")
    return disk


# ---------------------------------------------------------------------------------------------------------------------
# /proc/drbd (§1, §3.1)

_PROC = "/proc/drbd"


class BuildKind(Enum):
    """Which build line follows the version line (§1.1)."""

    GIT_HASH = "GIT-hash"  # out-of-tree module: "GIT-hash: <40 hex> [changed files] build by user@host, date"
    SRCVERSION = "srcversion"  # in-tree module: "srcversion: %-24s" (trailing blank, stripped here)
    BUILT_IN = "built-in"  # in-tree, compiled into the kernel
    SVN = "SVN Revision"  # old 8.0 builds from SVN


class WriteOrdering(Enum):
    """The `wo:` counter: the write-ordering method in use (8.4.11:drbd_proc.c:247-252)."""

    BARRIER = "b"
    FLUSH = "f"
    DRAIN = "d"
    NONE = "n"


@dataclass(frozen=True, slots=True)
class Transport:
    """One entry of the DRBD 9 `Transports (api:N):` line (§3.1); `version` is the module version or "NONE"."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class ProcCounters:
    """The counter line (§1.4); `ep`/`wo` exist from 8.2.7, `oos` from 8.2.6. Sizes in KiB."""

    ns: int
    nr: int
    dw: int
    dr: int
    al: int
    bm: int
    lo: int
    pe: int
    ua: int
    ap: int
    ep: int | None = None
    wo: WriteOrdering | None = None
    oos: int | None = None


@dataclass(frozen=True, slots=True)
class SectorPos:
    """The proc_details>=1 line `TAB "%3d%% sector pos: %llu/%llu" [" stop sector: %llu"]` (§1.5)."""

    percent: int
    position: int
    total: int
    stop: int | None = None


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """The resync/verify progress bar and its finish line (§1.5).

    `permille` is what the kernel prints as `%3u.%u%%`. `left`/`total` are in `unit` ("K" KiB or "M" MiB).
    `finish` is the estimate in seconds, None when 8.0-8.3.8 printed the bare `stalled` line instead (then
    `stalled` is True and no speed is known). `speed` is the ~18 s average, `speed_mean` the mean since the
    start, `speed_recent` the ~3 s average printed only with proc_details>=1 (`(recent -- mean)`), all KiB/s.
    `delay_probe` / `queue_delay` (ms) are the 8.3.8-only suffixes after `)K`/`)M`.
    """

    verify: bool
    permille: int
    left: int
    total: int
    unit: str
    finish: int | None = None
    speed: int | None = None
    speed_recent: int | None = None
    speed_mean: int | None = None
    want: int | None = None
    stalled: bool = False
    delay_probe: int | None = None
    queue_delay: float | None = None
    sector: SectorPos | None = None

    @property
    def percent(self) -> float:
        return self.permille / 10

    @property
    def left_kib(self) -> int:
        return self.left * 1024 if self.unit == "M" else self.left

    @property
    def total_kib(self) -> int:
        return self.total * 1024 if self.unit == "M" else self.total


@dataclass(frozen=True, slots=True)
class VerifyProgress:
    """The short online-verify line of 8.2.2-8.3.9 (§1.5): `TAB "%3d%% [oos:%lu  ]%lu/%lu"`, in bitmap bits."""

    percent: int
    done: int
    total: int
    oos: int | None = None


@dataclass(frozen=True, slots=True)
class LruStats:
    """An LRU statistics line (§1.6); `locked_key` is "dirty" before 8.4 and "locked" from 8.4 on."""

    name: str
    used: int
    size: int
    hits: int
    misses: int
    starving: int
    locked: int
    changed: int
    locked_key: str = "dirty"


def _common_view(
    *,
    resource: str | None,
    minor: int | None,
    volume: int | None,
    cstate: ConnState,
    role: Role | None,
    peer_role: Role | None,
    disk: DiskState | None,
    peer_disk: DiskState | None,
    sync_percent: float | None,
) -> DrbdVolume:
    """A DrbdVolume; a minor printed as Unconfigured (no role, no disk) shows the state behind that word:
    StandAlone, Diskless, Secondary, peer Unknown/DUnknown (8.4.11:drbd_proc.c:286-289)."""
    if role is None or disk is None:
        return DrbdVolume(
            resource, minor, volume, Role.SECONDARY, Role.UNKNOWN, cstate, DiskState.DISKLESS, DiskState.DUNKNOWN
        )
    return DrbdVolume(resource, minor, volume, role, peer_role, cstate, disk, peer_disk, sync_percent)


@dataclass(frozen=True, slots=True)
class ProcDevice:
    """One minor of /proc/drbd (§1.2-§1.6).

    An Unconfigured minor (`cs:Unconfigured`) has only `minor` and `cstate`; every other field is None/empty.
    `role_key` is "st" (8.0-8.2) or "ro" (8.3+). `protocol` is None when the kernel printed a blank (no net
    config, §1.3). `flags` holds the 4-6 flag characters; a raw NUL 5th flag (8.3.1, congestion_reason 0,
    `proc_drbd/83_ganeti_mixed_states.txt`) is stored as "-" with `flags_nul` True.
    """

    minor: int
    cstate: ConnState
    role_key: str | None = None
    role: Role | None = None
    peer_role: Role | None = None
    disk: DiskState | None = None
    peer_disk: DiskState | None = None
    protocol: str | None = None
    flags: str | None = None
    flags_nul: bool = False
    counters: ProcCounters | None = None
    progress: SyncProgress | VerifyProgress | None = None
    lru: tuple[LruStats, ...] = ()
    al_blocked: int | None = None

    @property
    def is_configured(self) -> bool:
        return self.cstate is not ConnState.UNCONFIGURED

    @property
    def is_io_suspended(self) -> bool:
        """Flag 1 `s` (§1.3)."""
        return self.flags is not None and self.flags[0] == "s"

    @property
    def is_resync_paused(self) -> bool:
        """Any of flags 2-4 (`a` after-dependency, `p` by peer, `u` by user)."""
        return self.flags is not None and self.flags[1:4] != "---"

    @property
    def congestion(self) -> str | None:
        """Flag 5 (8.3.1+): None when absent or `-`, else one of d c b n a (§1.3)."""
        if self.flags is None or len(self.flags) < 5 or self.flags[4] == "-":
            return None
        return self.flags[4]

    @property
    def is_al_suspended(self) -> bool:
        """Flag 6 `s` (8.3.9+)."""
        return self.flags is not None and len(self.flags) >= 6 and self.flags[5] == "s"

    @property
    def sync_percent(self) -> float | None:
        if isinstance(self.progress, SyncProgress):
            return self.progress.percent
        if isinstance(self.progress, VerifyProgress):
            return float(self.progress.percent)
        return None

    def volume(self) -> DrbdVolume:
        """The common view. An Unconfigured minor shows the state behind that word (StandAlone, Diskless,
        Secondary, peer Unknown/DUnknown: the condition in 8.4.11:drbd_proc.c:286-289)."""
        return _common_view(
            resource=None,
            minor=self.minor,
            volume=None,
            cstate=self.cstate,
            role=self.role,
            peer_role=self.peer_role,
            disk=self.disk,
            peer_disk=self.peer_disk,
            sync_percent=self.sync_percent,
        )


@dataclass(frozen=True, slots=True)
class ProcDrbd:
    """A parsed /proc/drbd: the header (all fields None when absent) and the minors in file order."""

    version: str | None = None
    api: int | None = None
    proto_min: int | None = None
    proto_max: int | None = None  # None for the 8.0 single-protocol form "proto:86"
    compat: str | None = None  # DRBD 9 " (compat 8.4)"
    build_kind: BuildKind | None = None
    build: str | None = None  # the build line after its label; None for "built-in"
    transports_api: int | None = None
    transports: tuple[Transport, ...] = ()
    devices: tuple[ProcDevice, ...] = ()

    @property
    def major(self) -> int | None:
        """The release's major number (8 or 9); None without a version line."""
        return _release_number(self.version, 1)

    @property
    def minor(self) -> int | None:
        """The release's minor number (0, 2, 3, 4 ...); None without a version line."""
        return _release_number(self.version, 2)

    @property
    def is_drbd9(self) -> bool:
        return self.major is not None and self.major >= 9

    @property
    def git_hash(self) -> str | None:
        """The 40-hex commit of a GIT-hash build line, when it has one (docs redact it as `[...]`)."""
        if self.build_kind is not BuildKind.GIT_HASH or self.build is None:
            return None
        m = _GIT_HASH_RE.match(self.build)
        return None if m is None else m.group(1)

    def device(self, minor: int) -> ProcDevice | None:
        for dev in self.devices:
            if dev.minor == minor:
                return dev
        return None

    def volumes(self) -> tuple[DrbdVolume, ...]:
        """The common view, one DrbdVolume per minor (resource and volume unknown to /proc/drbd)."""
        return tuple(dev.volume() for dev in self.devices)


_RELEASE_RE = _rx(r"(\d{1,20})\.(\d{1,20})")


def _release_number(version: str | None, group: int) -> int | None:
    m = None if version is None else _RELEASE_RE.match(version)
    return None if m is None else int(m.group(group))


_N = r"(\d{1,20})"  # an unsigned number (at most 20 digits: u64)
_I = r"(-?\d{1,20})"  # a signed number
_G = r"(\d{1,20}(?:,\d{3}){0,6})"  # seq_printf_with_thousands_grouping; up to 8.3.9 "%ld,%03ld" of anything
_GIT_HASH_RE = _rx(r"([0-9a-f]{40})(?:\s|$)")
_VERSION_RE = _rx(rf"version: (\S+) \(api:{_N}/proto:{_N}(?:-{_N})?\)(?: \(compat ([^()\s]+)\))?")
_TRANSPORTS_RE = _rx(rf"Transports \(api:{_N}\):((?: [^\s()]+ \([^()]*\))*)")
_TRANSPORT_ITEM_RE = _rx(r" ([^\s()]+) \(([^()]*)\)")
# A device line starts with "%2d:" (matched after its leading blanks) and never with a TAB; the LRU detail
# lines "\t%2d: FREE" do (§1.6).
_STATE_RE = _rx(rf"{_N}: cs:(\w+) (st|ro):(\w+)/(\w+) ds:(\w+)/(\w+) ([ABC ]) ([rs][-a][-p][-u](?:[-dcbna\x00][-s]?)?)")
_UNCONFIGURED_RE = _rx(rf"{_N}: cs:Unconfigured")
_DEVICE_PREFIX_RE = _rx(rf"{_N}: ")
_COUNTERS_RE = _rx(
    rf"ns:{_N} nr:{_N} dw:{_N} dr:{_N} al:{_N} bm:{_N} lo:{_I} pe:{_I} ua:{_I} ap:{_I}"
    rf"(?: ep:{_I} wo:([bdfn]))?(?: oos:{_N})?"
)
_BAR_RE = _rx(
    rf"\[=*>\.*\] (sync'ed|verified): *{_N}\.(\d)% \({_N}/{_N}\)([KM])"
    rf"(?: queue_delay: (\d{{1,20}}\.\d) ms| delay_probe: {_N})?(finish: .*)?"
)
_FINISH_RE = _rx(rf"finish: {_N}:(\d\d):(\d\d) speed: {_G} \((?:{_G} -- )?{_G}\)(?: want: {_G})? K/sec( \(stalled\))?")
_SECTOR_RE = _rx(rf"{_N}% sector pos: {_N}/{_N}(?: stop sector: {_N})?")
_OV_RE = _rx(rf"{_N}% (?:oos:{_N}  )?{_N}/{_N}")
_LRU_RE = _rx(rf"(\w+): used:{_N}/{_N} hits:{_N} misses:{_N} starving:{_N} (dirty|locked):{_N} changed:{_N}")
# 8.3 proc_details>=2 dumps the resync LRU (lc_seq_dump_details): a header, then "\t%2d: FREE" or
# "\t%2d: %4u %4u    %5d NO_WRITES|--------- LOCKED|------". Debug output without state: checked, not kept.
_LRU_DUMP_HEAD_RE = _rx(r"nn: lc_number refcnt \S.*")
_LRU_DUMP_ITEM_RE = _rx(r"\d{1,20}: +(?:FREE|\d{1,20} +\d{1,20} +-?\d{1,20} \S+ \S+)")
_BLOCKED_RE = _rx(rf"blocked on activity log: {_N}")

# Stages of a device block, in the order the kernel prints them (8.4.11:drbd_proc.c:284-333).
_S_STATE, _S_COUNTERS, _S_BAR, _S_FINISH, _S_SECTOR, _S_LRU, _S_LRU_DUMP, _S_BLOCKED = range(8)


_WO_NAMES: dict[str, WriteOrdering] = {m.value: m for m in WriteOrdering}


def _grouped(text: str) -> int:
    return int(text.replace(",", ""))


# ProcDevice's fields minor .. flags_nul, in order.
_State = tuple[
    int,
    ConnState,
    str | None,
    Role | None,
    Role | None,
    DiskState | None,
    DiskState | None,
    str | None,
    str | None,
    bool,
]


class _Dev:
    """Mutable accumulator for one device block; frozen into ProcDevice when the block ends."""

    __slots__ = (
        "al_blocked",
        "bar",
        "bar_line",
        "bar_lineno",
        "configured",
        "counters",
        "lru",
        "progress",
        "stage",
        "state",
    )

    def __init__(self, state: _State) -> None:
        self.state = state
        self.configured = state[3] is not None
        self.stage = _S_STATE
        self.counters: ProcCounters | None = None
        self.bar: re.Match[str] | None = None
        self.bar_lineno = 0
        self.bar_line = ""
        self.progress: SyncProgress | VerifyProgress | None = None
        self.lru: list[LruStats] = []
        self.al_blocked: int | None = None

    def freeze(self) -> ProcDevice:
        if self.stage == _S_BAR:
            raise ParseError(_PROC, self.bar_lineno, self.bar_line, "progress bar without finish line")
        return ProcDevice(*self.state, self.counters, self.progress, tuple(self.lru), self.al_blocked)


def _device_start(body: str, lineno: int, line: str) -> _Dev | None:
    """A new device block when `body` (the line without leading blanks) is a state line (§1.2, §1.3)."""
    m = _STATE_RE.fullmatch(body)
    if m is None:
        m = _UNCONFIGURED_RE.fullmatch(body)
        if m is not None:
            return _Dev((int(m.group(1)), ConnState.UNCONFIGURED, None, None, None, None, None, None, None, False))
        if _DEVICE_PREFIX_RE.match(body):
            raise ParseError(_PROC, lineno, line, "malformed state line")
        return None  # e.g. a space-indented "%3d%% ..." verify line of a hand-edited listing
    g = m.groups()
    cstate, role, peer_role = _CONN_NAMES.get(g[1]), _ROLE_NAMES.get(g[3]), _ROLE_NAMES.get(g[4])
    disk, peer_disk = _DISK_NAMES.get(g[5]), _DISK_NAMES.get(g[6])
    if cstate is None or cstate is ConnState.UNCONFIGURED:  # the kernel prints Unconfigured alone
        raise ParseError(_PROC, lineno, line, f"unknown connection state {g[1]!r}")
    if role is None or peer_role is None:
        raise ParseError(_PROC, lineno, line, f"unknown role in {g[3]}/{g[4]}")
    if disk is None or peer_disk is None:
        raise ParseError(_PROC, lineno, line, f"unknown disk state in {g[5]}/{g[6]}")
    flags = g[8]
    nul = "\x00" in flags
    if nul:
        # 8.3.1 printed congestion_reason raw: a NUL when 0 (83_ganeti_mixed_states.txt shows "r---^@").
        flags = flags.replace("\x00", "-")
    return _Dev((int(g[0]), cstate, g[2], role, peer_role, disk, peer_disk, None if g[7] == " " else g[7], flags, nul))


def _parse_counters(m: re.Match[str]) -> ProcCounters:
    g = m.groups()
    ep, wo, oos = g[10], g[11], g[12]
    return ProcCounters(
        int(g[0]),
        int(g[1]),
        int(g[2]),
        int(g[3]),
        int(g[4]),
        int(g[5]),
        int(g[6]),
        int(g[7]),
        int(g[8]),
        int(g[9]),
        None if ep is None else int(ep),
        None if wo is None else _WO_NAMES[wo],
        None if oos is None else int(oos),
    )


def _progress_from(bar: re.Match[str], finish: re.Match[str] | None, lineno: int, line: str) -> SyncProgress:
    """Combine the bar line and the finish line (or the old bare `stalled` line when `finish` is None)."""
    permille = int(bar.group(2)) * 10 + int(bar.group(3))
    if permille > 1000:
        raise ParseError(_PROC, lineno, line, "sync percentage above 100")
    qd, dp = bar.group(7), bar.group(8)
    finish_s = speed = recent = mean = want = None
    stalled = True
    if finish is not None:
        minutes, seconds = int(finish.group(2)), int(finish.group(3))
        if minutes > 59 or seconds > 59:
            raise ParseError(_PROC, lineno, line, "finish time out of range")
        finish_s = int(finish.group(1)) * 3600 + minutes * 60 + seconds
        speed, mean = _grouped(finish.group(4)), _grouped(finish.group(6))
        recent = None if finish.group(5) is None else _grouped(finish.group(5))
        want = None if finish.group(7) is None else _grouped(finish.group(7))
        stalled = finish.group(8) is not None
    return SyncProgress(
        verify=bar.group(1) == "verified",
        permille=permille,
        left=int(bar.group(4)),
        total=int(bar.group(5)),
        unit=bar.group(6),
        finish=finish_s,
        speed=speed,
        speed_recent=recent,
        speed_mean=mean,
        want=want,
        stalled=stalled,
        delay_probe=None if dp is None else int(dp),
        queue_delay=None if qd is None else float(qd),
    )


def _continuation(cur: _Dev, body: str, lineno: int, line: str) -> None:
    """One indented line of a device block (§1.4-§1.6), checked against the kernel's printing order."""
    configured = cur.configured
    c0 = body[0]
    if c0 == "n" and body.startswith("ns:"):
        m = _COUNTERS_RE.fullmatch(body)
        if m is None:
            raise ParseError(_PROC, lineno, line, "malformed counter line")
        if cur.stage != _S_STATE or not configured:
            raise ParseError(_PROC, lineno, line, "counter line out of place")
        cur.counters = _parse_counters(m)
        cur.stage = _S_COUNTERS
        return
    if c0 == "[":
        m = _BAR_RE.fullmatch(body)
        if m is None:
            raise ParseError(_PROC, lineno, line, "malformed progress bar")
        if cur.stage > _S_COUNTERS or not configured:
            raise ParseError(_PROC, lineno, line, "progress bar out of place")
        tail = m.group(9)
        if tail is None:
            cur.bar, cur.bar_lineno, cur.bar_line = m, lineno, line
            cur.stage = _S_BAR
            return
        # In-kernel 2.6.39 printed "(%lu/%lu)M" without "\n\t": `)Mfinish:` on one line (GRAMMAR §1.5,
        # proc_drbd/83_ganeti_syncsource_kernel2.6.39.txt).
        f = _FINISH_RE.fullmatch(tail)
        if f is None:
            raise ParseError(_PROC, lineno, line, "malformed finish part")
        cur.progress = _progress_from(m, f, lineno, line)
        cur.stage = _S_FINISH
        return
    if c0 == "f" and body.startswith("finish:"):
        f = _FINISH_RE.fullmatch(body)
        if f is None:
            raise ParseError(_PROC, lineno, line, "malformed finish line")
        if cur.stage != _S_BAR or cur.bar is None:
            raise ParseError(_PROC, lineno, line, "finish line without progress bar")
        cur.progress = _progress_from(cur.bar, f, lineno, line)
        cur.stage = _S_FINISH
        return
    if body == "stalled":
        # 8.0-8.3.8 print a bare "stalled" in place of the finish line (8.0.6:drbd_proc.c:124-129).
        if cur.stage != _S_BAR or cur.bar is None:
            raise ParseError(_PROC, lineno, line, "stalled line without progress bar")
        cur.progress = _progress_from(cur.bar, None, lineno, line)
        cur.stage = _S_FINISH
        return
    if "% sector pos: " in body:
        m = _SECTOR_RE.fullmatch(body)
        if m is None:
            raise ParseError(_PROC, lineno, line, "malformed sector pos line")
        if cur.stage != _S_FINISH or not isinstance(cur.progress, SyncProgress):
            raise ParseError(_PROC, lineno, line, "sector pos line without progress")
        stop = m.group(4)
        sector = SectorPos(int(m.group(1)), int(m.group(2)), int(m.group(3)), None if stop is None else int(stop))
        cur.progress = replace(cur.progress, sector=sector)
        cur.stage = _S_SECTOR
        return
    m = _LRU_RE.fullmatch(body)
    if m is not None:
        if cur.stage > _S_LRU or cur.stage == _S_BAR or not configured:
            raise ParseError(_PROC, lineno, line, "LRU statistics out of place")
        g = m.groups()
        cur.lru.append(
            LruStats(g[0], int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]), int(g[7]), int(g[8]), g[6])
        )
        cur.stage = _S_LRU
        return
    m = _OV_RE.fullmatch(body)
    if m is not None:
        # 8.2.2-8.3.9 online verify: "%3d%% [oos:%lu  ]%lu/%lu" instead of the bar (§1.5).
        if cur.stage > _S_COUNTERS or not configured:
            raise ParseError(_PROC, lineno, line, "verify progress out of place")
        oos = m.group(2)
        cur.progress = VerifyProgress(
            int(m.group(1)), int(m.group(3)), int(m.group(4)), None if oos is None else int(oos)
        )
        cur.stage = _S_SECTOR
        return
    if _LRU_DUMP_HEAD_RE.fullmatch(body):
        if cur.stage > _S_LRU or cur.stage == _S_BAR:
            raise ParseError(_PROC, lineno, line, "LRU dump out of place")
        cur.stage = _S_LRU_DUMP
        return
    if _LRU_DUMP_ITEM_RE.fullmatch(body) and line[0] in "\t ":
        if cur.stage != _S_LRU_DUMP:
            raise ParseError(_PROC, lineno, line, "LRU dump line without header")
        return
    m = _BLOCKED_RE.fullmatch(body)
    if m is not None:
        if cur.stage >= _S_BLOCKED or cur.stage == _S_BAR:
            raise ParseError(_PROC, lineno, line, "duplicate or misplaced activity-log line")
        cur.al_blocked = int(m.group(1))
        cur.stage = _S_BLOCKED
        return
    raise ParseError(_PROC, lineno, line, "unknown line")


def parse_proc_drbd(text: str) -> ProcDrbd:
    """Parse /proc/drbd of DRBD 8.0-8.4 or 9 (header, 8.4-compat devices); raise ParseError on unknown syntax.

    Tolerated deviations, each seen in a fixture: blank lines before the header (docs listings), a missing
    version line (`80_ganeti_no_version_line.txt`), an identical repeated build line and a device without
    counter line (`docs_84_ug_849_redacted_githash.txt`), any indentation of continuation lines and trailing
    blanks (`83_ganeti_synctarget.txt`, `83_ganeti_synctarget_want_srcversion.txt`), 4-6 flags in any version
    (`docs_84_ug_840_three_minors.txt`). Blank lines between devices are the kernel's hole markers (§1.2): the
    minor numbers are printed, so they only end the previous device block.
    """
    version: str | None = None
    api = pmin = pmax = tapi = None
    compat: str | None = None
    build_kind: BuildKind | None = None
    build: str | None = None
    build_line: str | None = None
    transports: tuple[Transport, ...] = ()
    seen_header = False
    devices: list[ProcDevice] = []
    cur: _Dev | None = None
    last_minor = -1
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not any(lines):
        raise ParseError(_PROC, 1, text[:120], "empty")
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip(" \t\r")
        if not line:
            if cur is not None:
                devices.append(cur.freeze())
                cur = None
            continue
        c0 = line[0]
        if c0 == " " or "0" <= c0 <= "9":
            body = line.lstrip(" ")
            new = _device_start(body, lineno, line) if "0" <= body[0] <= "9" else None
            if new is not None:
                if cur is not None:
                    devices.append(cur.freeze())
                if new.state[0] <= last_minor:
                    raise ParseError(_PROC, lineno, line, "minor numbers not increasing")
                last_minor = new.state[0]
                cur = new
                continue
        if c0 in " \t":
            if cur is None:
                raise ParseError(_PROC, lineno, line, "continuation line without a device")
            _continuation(cur, line.lstrip(" \t"), lineno, line)
            continue
        if devices or cur is not None:
            raise ParseError(_PROC, lineno, line, "unknown line after the devices")
        if line.startswith("version: "):
            m = _VERSION_RE.fullmatch(line)
            if m is None or _RELEASE_RE.match(m.group(1)) is None:
                raise ParseError(_PROC, lineno, line, "malformed version line")
            if seen_header:
                raise ParseError(_PROC, lineno, line, "version line not first")
            version, compat = m.group(1), m.group(5)
            api, pmin = int(m.group(2)), int(m.group(3))
            pmax = None if m.group(4) is None else int(m.group(4))
            seen_header = True
            continue
        kind, rest = _build_line(line)
        if kind is not None:
            if build_line is not None:
                # docs_84_ug_849_redacted_githash.txt repeats the (redacted) GIT-hash line: accept a repeat only.
                if line != build_line:
                    raise ParseError(_PROC, lineno, line, "second, different build line")
                continue
            if tapi is not None:
                raise ParseError(_PROC, lineno, line, "build line after the transports line")
            build_kind, build, build_line = kind, rest, line
            seen_header = True
            continue
        if line.startswith("Transports "):
            m = _TRANSPORTS_RE.fullmatch(line)
            if m is None or tapi is not None:
                raise ParseError(_PROC, lineno, line, "malformed or repeated transports line")
            tapi = int(m.group(1))
            transports = tuple(Transport(n, v) for n, v in _TRANSPORT_ITEM_RE.findall(m.group(2)))
            seen_header = True
            continue
        raise ParseError(_PROC, lineno, line, "unknown line")
    if cur is not None:
        devices.append(cur.freeze())
    return ProcDrbd(
        version=version,
        api=api,
        proto_min=pmin,
        proto_max=pmax,
        compat=compat,
        build_kind=build_kind,
        build=build,
        transports_api=tapi,
        transports=transports,
        devices=tuple(devices),
    )


def _build_line(line: str) -> tuple[BuildKind | None, str | None]:
    if line.startswith("GIT-hash: "):
        return BuildKind.GIT_HASH, line[10:]
    if line.startswith("srcversion: "):
        return BuildKind.SRCVERSION, line[12:].strip()
    if line == "built-in":
        return BuildKind.BUILT_IN, None
    if line.startswith("SVN Revision: "):
        return BuildKind.SVN, line[14:]
    return None, None


def read_proc_drbd(path: str | os.PathLike[str]) -> ProcDrbd:
    """Read and parse a /proc/drbd file; OSError propagates (no file: the drbd module is not loaded)."""
    with open(path, "rb") as f:
        data = f.read()
    return parse_proc_drbd(data.decode("utf-8", "surrogateescape"))


# ---------------------------------------------------------------------------------------------------------------------
# /sys/module/drbd/parameters/usermode_helper

_HELPER = "usermode_helper"


def parse_usermode_helper(text: str) -> str:
    """Parse /sys/module/drbd/parameters/usermode_helper ("%s\\n" of a charp parameter); raise ParseError otherwise.

    This is the program the kernel runs for handlers (fence-peer, split-brain ...): "/sbin/drbdadm" by
    default; Ganeti sets "/bin/true" (proc_drbd/sys_module_drbd_parameters_usermode_helper.txt), which
    silently disables every handler, fencing included. An empty string means no helper is set.
    """
    body = text[:-1] if text.endswith("\n") else text
    if "\n" in body or "\x00" in body:
        raise ParseError(_HELPER, 1, text[:120], "more than one line")
    if body != body.strip():
        raise ParseError(_HELPER, 1, body, "surrounding blanks")
    return body


def read_usermode_helper(path: str | os.PathLike[str]) -> str:
    """Read and parse the usermode_helper module parameter file; OSError propagates."""
    with open(path, "rb") as f:
        data = f.read()
    return parse_usermode_helper(data.decode("utf-8", "surrogateescape"))


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm role / cstate / dstate one-liners (§2)


@dataclass(frozen=True, slots=True)
class RolePair:
    """One line of `drbdadm role`: `Local/Peer` (8.x), `Local` (DRBD 9), or Unconfigured (both None)."""

    role: Role | None
    peer_role: Role | None = None

    @property
    def is_configured(self) -> bool:
        return self.role is not None

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role is Role.PRIMARY


@dataclass(frozen=True, slots=True)
class DstatePair:
    """One line of `drbdadm dstate`: local disk and the peers' disks (one in 8.x, one per peer in DRBD 9).

    Unconfigured has `disk` None and no peers.
    """

    disk: DiskState | None
    peer_disks: tuple[DiskState, ...] = ()

    @property
    def is_configured(self) -> bool:
        return self.disk is not None

    @property
    def peer_disk(self) -> DiskState | None:
        """The single 8.x peer disk (the first peer's on DRBD 9)."""
        return self.peer_disks[0] if self.peer_disks else None


def _one_liner_lines(text: str, tool: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ParseError(tool, 1, text, "no output")
    return lines


def parse_role(text: str) -> tuple[RolePair, ...]:
    """Parse `drbdadm role` (or the pre-8.3 `state`) output, one RolePair per line; raise ParseError otherwise."""
    tool = "drbdadm role"
    out: list[RolePair] = []
    for lineno, line in enumerate(_one_liner_lines(text, tool), 1):
        if line == "Unconfigured":
            out.append(RolePair(None))
            continue
        local, sep, peer = line.partition("/")
        if sep and not peer:
            raise ParseError(tool, lineno, line, "missing peer role")
        out.append(RolePair(_role(local, tool, lineno, line), _role(peer, tool, lineno, line) if sep else None))
    return tuple(out)


def parse_cstate(text: str) -> tuple[ConnState, ...]:
    """Parse `drbdadm cstate` output (one state per volume in 8.4, per connection in DRBD 9); raise ParseError."""
    tool = "drbdadm cstate"
    return tuple(_conn_state(line, tool, n, line) for n, line in enumerate(_one_liner_lines(text, tool), 1))


def parse_dstate(text: str) -> tuple[DstatePair, ...]:
    """Parse `drbdadm dstate` output: `Local/Peer` (8.x), `Local/Peer1/Peer2...` (DRBD 9), `Unconfigured`."""
    tool = "drbdadm dstate"
    out: list[DstatePair] = []
    for lineno, line in enumerate(_one_liner_lines(text, tool), 1):
        if line == "Unconfigured":
            out.append(DstatePair(None))
            continue
        parts = line.split("/")
        disks = tuple(_disk_state(p, tool, lineno, line) for p in parts)
        out.append(DstatePair(disks[0], disks[1:]))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm sh-status (§2) and drbdadm --version: shell assignments meant to be eval'ed

# drbd-utils shell_escape() backslash-escapes everything outside [%+-./0-9:=@A-Z_a-z]; an unescaped blank,
# quote or shell operator would change what `eval` does, so it is not tool output. (Brackets are tolerated:
# docs_drbdadm_version_9.22.txt shows a hand-redacted "[...]".)
_SH_UNSAFE = frozenset(" \t\"'`$;&|<>()")
_SH_ASSIGN_RE = _rx(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def _sh_unescape(value: str, tool: str, lineno: int, line: str) -> str:
    if "\\" not in value:
        if any(c in _SH_UNSAFE for c in value):
            raise ParseError(tool, lineno, line, "unescaped shell character")
        return value
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == "\\":
            if i + 1 == n:
                raise ParseError(tool, lineno, line, "dangling backslash")
            out.append(value[i + 1])
            i += 2
            continue
        if c in _SH_UNSAFE:
            raise ParseError(tool, lineno, line, "unescaped shell character")
        out.append(c)
        i += 1
    return "".join(out)


class ShKnown(Enum):
    """`_known=`: whether drbdsetup found the minor (drbd-utils v84 drbdsetup.c sh_status_scmd)."""

    CONFIGURED = "Configured"
    UNCONFIGURED = "Unconfigured"
    NOT_AVAILABLE = "NA"  # printed as "NA # not available or not yet created" (a shell comment)


@dataclass(frozen=True, slots=True)
class ShStatusMinor:
    """One `_sh_status_process` record of `drbdadm sh-status`, with the resource-level variables in effect."""

    minor: int
    known: ShKnown
    cstate: ConnState
    res_name: str | None = None
    volume: int | None = None  # 8.4 utils; -1 for a volume not yet created
    role: Role | None = None  # None when Unconfigured (empty value)
    peer_role: Role | None = None
    disk: DiskState | None = None
    peer_disk: DiskState | None = None
    suspended: bool = False
    aftr_isp: bool = False
    peer_isp: bool = False
    user_isp: bool = False
    resynced_percent: float | None = None
    conf_res_name: str | None = None
    conf_file: str | None = None
    conf_line: int | None = None
    conf_volume: int | None = None
    stacked_on: str | None = None
    stacked_on_device: str | None = None
    stacked_on_minor: int | None = None

    def to_volume(self) -> DrbdVolume:
        """The common view; Unconfigured as in ProcDevice.volume (StandAlone, Diskless, not Primary)."""
        resource = self.res_name if self.res_name is not None else self.conf_res_name
        vol = self.volume if self.volume is not None and self.volume >= 0 else self.conf_volume
        return _common_view(
            resource=resource,
            minor=self.minor,
            volume=vol,
            cstate=self.cstate,
            role=self.role,
            peer_role=self.peer_role,
            disk=self.disk,
            peer_disk=self.peer_disk,
            sync_percent=self.resynced_percent,
        )


@dataclass(frozen=True, slots=True)
class ShStatus:
    """`drbdadm sh-status`: the header variables and one record per minor."""

    drbd_version: str | None
    drbd_api: int | None
    config_file: str | None
    minors: tuple[ShStatusMinor, ...]

    def volumes(self) -> tuple[DrbdVolume, ...]:
        return tuple(m.to_volume() for m in self.minors)


_SH_HEADER_KEYS = frozenset({"_drbd_version", "_drbd_api", "_config_file"})
_SH_RESOURCE_KEYS = frozenset(
    {"_conf_res_name", "_conf_file_line", "_stacked_on", "_stacked_on_device", "_stacked_on_minor", "_conf_volume"}
)
_SH_MINOR_KEYS = frozenset(
    {
        "_minor",
        "_res_name",
        "_volume",
        "_known",
        "_cstate",
        "_role",
        "_peer",
        "_disk",
        "_pdsk",
        "_flags_susp",
        "_flags_aftr_isp",
        "_flags_peer_isp",
        "_flags_user_isp",
        "_resynced_percent",
    }
)
_SH_KNOWN_RE = _rx(r"(Configured|Unconfigured|NA)(?: #.*)?")
_INT_RE = _rx(r"-?\d{1,20}")
_PERCENT_RE = _rx(r"\d{1,20}\.\d")


def parse_sh_status(text: str) -> ShStatus:
    """Parse `drbdadm sh-status` (8.3/8.4 utils) output; raise ParseError on unknown variables or values.

    The output is shell assignments that the LINBIT agent evals, calling `_sh_status_process` per minor
    (drbd-utils scripts/drbd.shellfuncs.sh). Resource-level variables (`_conf_*`, `_stacked_*`) stay in
    effect for the following minors, as they would in the shell; the drbdsetup part starts afresh per minor.
    """
    tool = "drbdadm sh-status"
    header: dict[str, str] = {}
    resource: dict[str, tuple[int, str, str]] = {}
    minor: dict[str, tuple[int, str, str]] = {}
    records: list[ShStatusMinor] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line == "_sh_status_process":
            records.append(_sh_record(minor, resource, tool, lineno, line))
            minor = {}
            continue
        m = _SH_ASSIGN_RE.fullmatch(line)
        if m is None:
            raise ParseError(tool, lineno, line, "not a shell assignment")
        key, raw = m.group(1), m.group(2)
        if key == "_known":
            k = _SH_KNOWN_RE.fullmatch(raw)
            if k is None:
                raise ParseError(tool, lineno, line, "unknown _known value")
            value = k.group(1)
        else:
            value = _sh_unescape(raw, tool, lineno, line)
        if key in _SH_MINOR_KEYS:
            minor[key] = (lineno, line, value)
        elif key in _SH_RESOURCE_KEYS:
            resource[key] = (lineno, line, value)  # stays in effect, as in the shell
        elif key in _SH_HEADER_KEYS:
            if records or resource or minor:
                raise ParseError(tool, lineno, line, "header variable after the first resource")
            if key == "_drbd_api" and not _is_uint(value):
                raise ParseError(tool, lineno, line, "not a number")
            header[key] = value
        else:
            raise ParseError(tool, lineno, line, f"unknown variable {key}")
    if minor:
        lineno, line, _ = next(iter(minor.values()))
        raise ParseError(tool, lineno, line, "minor variables without _sh_status_process")
    api = header.get("_drbd_api")
    return ShStatus(
        drbd_version=header.get("_drbd_version"),
        drbd_api=None if api is None else int(api),
        config_file=header.get("_config_file"),
        minors=tuple(records),
    )


def _sh_record(
    minor: dict[str, tuple[int, str, str]],
    resource: dict[str, tuple[int, str, str]],
    tool: str,
    lineno: int,
    line: str,
) -> ShStatusMinor:
    for required in ("_minor", "_known", "_cstate"):
        if required not in minor:
            raise ParseError(tool, lineno, line, f"{required} missing before _sh_status_process")

    def text_of(d: dict[str, tuple[int, str, str]], key: str) -> str | None:
        entry = d.get(key)
        return None if entry is None or entry[2] == "" else entry[2]

    def int_of(d: dict[str, tuple[int, str, str]], key: str) -> int | None:
        entry = d.get(key)
        if entry is None or entry[2] == "":
            return None
        if not _INT_RE.fullmatch(entry[2]):
            raise ParseError(tool, entry[0], entry[1], "not a number")
        return int(entry[2])

    def flag_of(key: str) -> bool:
        entry = minor.get(key)
        if entry is None or entry[2] == "":
            return False
        if entry[2] != "1":
            raise ParseError(tool, entry[0], entry[1], "flag is neither 1 nor empty")
        return True

    def role_of(key: str) -> Role | None:
        entry = minor.get(key)
        return None if entry is None or entry[2] == "" else _role(entry[2], tool, entry[0], entry[1])

    def disk_of(key: str) -> DiskState | None:
        entry = minor.get(key)
        return None if entry is None or entry[2] == "" else _disk_state(entry[2], tool, entry[0], entry[1])

    cs_lineno, cs_line, cs = minor["_cstate"]
    cstate = _conn_state(cs, tool, cs_lineno, cs_line)
    known = ShKnown(minor["_known"][2])
    role = role_of("_role")
    disk = disk_of("_disk")
    configured = cstate is not ConnState.UNCONFIGURED
    if configured and (role is None or disk is None):
        raise ParseError(tool, cs_lineno, cs_line, "configured minor without role or disk")
    if not configured and (role is not None or disk is not None):
        raise ParseError(tool, cs_lineno, cs_line, "Unconfigured minor with a role or disk")
    pct_entry = minor.get("_resynced_percent")
    pct: float | None = None
    if pct_entry is not None and pct_entry[2] != "":
        if not _PERCENT_RE.fullmatch(pct_entry[2]):
            raise ParseError(tool, pct_entry[0], pct_entry[1], "malformed percentage")
        pct = float(pct_entry[2])
    conf_file = conf_line = None
    cfl = resource.get("_conf_file_line")
    if cfl is not None:
        f, sep, num = cfl[2].rpartition(":")
        if not sep or not _is_uint(num):
            raise ParseError(tool, cfl[0], cfl[1], "expected FILE:LINE")
        conf_file, conf_line = f, int(num)
    minor_no = int_of(minor, "_minor")
    if minor_no is None or minor_no < 0:
        entry = minor["_minor"]
        raise ParseError(tool, entry[0], entry[1], "bad minor number")
    return ShStatusMinor(
        minor=minor_no,
        known=known,
        cstate=cstate,
        res_name=text_of(minor, "_res_name"),
        volume=int_of(minor, "_volume"),
        role=role,
        peer_role=role_of("_peer"),
        disk=disk,
        peer_disk=disk_of("_pdsk"),
        suspended=flag_of("_flags_susp"),
        aftr_isp=flag_of("_flags_aftr_isp"),
        peer_isp=flag_of("_flags_peer_isp"),
        user_isp=flag_of("_flags_user_isp"),
        resynced_percent=pct,
        conf_res_name=text_of(resource, "_conf_res_name"),
        conf_file=conf_file,
        conf_line=conf_line,
        conf_volume=int_of(resource, "_conf_volume"),
        stacked_on=text_of(resource, "_stacked_on"),
        stacked_on_device=text_of(resource, "_stacked_on_device"),
        stacked_on_minor=int_of(resource, "_stacked_on_minor"),
    )


@dataclass(frozen=True, slots=True)
class DrbdadmVersion:
    """`drbdadm --version`: shell assignments (docs_drbdadm_version_9.22.txt); codes are 0xMMmmpp ints."""

    buildtag: str | None = None
    api_version: int | None = None
    kernel_version_code: int | None = None
    kernel_version: str | None = None
    version_code: int | None = None
    version: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # variables this parser does not know, in order

    @property
    def kernel_version_tuple(self) -> tuple[int, int, int] | None:
        """(major, minor, patch) of the loaded DRBD module (drbd-utils falls back to its own)."""
        return None if self.kernel_version_code is None else _code_tuple(self.kernel_version_code)

    @property
    def version_tuple(self) -> tuple[int, int, int] | None:
        """(major, minor, patch) of drbd-utils."""
        return None if self.version_code is None else _code_tuple(self.version_code)


def _code_tuple(code: int) -> tuple[int, int, int]:
    return (code >> 16) & 0xFF, (code >> 8) & 0xFF, code & 0xFF


_VERSION_KEYS = frozenset(
    {
        "DRBDADM_BUILDTAG",
        "DRBDADM_API_VERSION",
        "DRBD_KERNEL_VERSION_CODE",
        "DRBD_KERNEL_VERSION",
        "DRBDADM_VERSION_CODE",
        "DRBDADM_VERSION",
    }
)
_HEX_RE = _rx(r"0x[0-9a-fA-F]{1,8}")


def parse_drbdadm_version(text: str) -> DrbdadmVersion:
    """Parse `drbdadm --version` (KEY=value lines, shell-escaped); raise ParseError on anything else."""
    tool = "drbdadm --version"
    texts: dict[str, str] = {}
    numbers: dict[str, int] = {}
    extra: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        m = _SH_ASSIGN_RE.fullmatch(line)
        if m is None or not m.group(1).isupper():
            raise ParseError(tool, lineno, line, "not a KEY=value line")
        key, value = m.group(1), _sh_unescape(m.group(2), tool, lineno, line)
        if key not in _VERSION_KEYS:
            extra.append((key, value))
        elif key in texts or key in numbers:
            raise ParseError(tool, lineno, line, f"{key} repeated")
        elif key.endswith("_CODE"):
            if not _HEX_RE.fullmatch(value):
                raise ParseError(tool, lineno, line, "version code is not 0x hex")
            numbers[key] = int(value, 16)
        elif key == "DRBDADM_API_VERSION":
            if not _is_uint(value):
                raise ParseError(tool, lineno, line, "API version is not a number")
            numbers[key] = int(value)
        else:
            texts[key] = value
    if not texts and not numbers:
        raise ParseError(tool, 1, text[:120], "no DRBDADM_/DRBD_KERNEL_ variables")
    return DrbdadmVersion(
        buildtag=texts.get("DRBDADM_BUILDTAG"),
        api_version=numbers.get("DRBDADM_API_VERSION"),
        kernel_version_code=numbers.get("DRBD_KERNEL_VERSION_CODE"),
        kernel_version=texts.get("DRBD_KERNEL_VERSION"),
        version_code=numbers.get("DRBDADM_VERSION_CODE"),
        version=texts.get("DRBDADM_VERSION"),
        extra=tuple(extra),
    )


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm/drbdsetup error transcripts (§2 "Errors"): a total extractor, never raises


@dataclass(frozen=True, slots=True)
class DrbdFailure:
    """`[OBJ: ]Failure: (code) text` (config error, code >= 100) or `[OBJ: ]State change failed: (code) text`."""

    object: str | None
    code: int
    text: str
    is_state_change: bool = False

    def __str__(self) -> str:
        prefix = "" if self.object is None else f"{self.object}: "
        what = "State change failed" if self.is_state_change else "Failure"
        return f"{prefix}{what}: ({self.code}) {self.text}"


@dataclass(frozen=True, slots=True)
class FailedCommand:
    """drbdadm's `Command '...' terminated with exit code N` line."""

    command: str
    exit_code: int


@dataclass(frozen=True, slots=True)
class DrbdadmError:
    """What a drbdadm/drbdsetup stderr transcript says: failures, failed commands, and the other lines."""

    failures: tuple[DrbdFailure, ...] = ()
    commands: tuple[FailedCommand, ...] = ()
    messages: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int | None:
        """The exit code of the last failed drbdsetup/drbdmeta command drbdadm reported."""
        return self.commands[-1].exit_code if self.commands else None

    @property
    def reason(self) -> str:
        """A one-line summary for ocf-exit-reason: the first failure, else the first other line."""
        if self.failures:
            return str(self.failures[0])
        if self.messages:
            return self.messages[0]
        if self.commands:
            c = self.commands[-1]
            return f"{c.command} exited {c.exit_code}"
        return ""


_FAILURE_RE = _rx(r"(?:(\S+): )?Failure: \((\d{1,20})\) (.*)")
_STATE_FAILED_RE = _rx(r"(?:(\S+): )?State change failed: \((-?\d{1,20})\) ?(.*)")
_TERMINATED_RE = _rx(r"Command '(.*)' terminated with exit code (\d{1,20})")


def parse_drbdadm_error(text: str) -> DrbdadmError:
    """Extract failures and `terminated with exit code N` from drbdadm/drbdsetup stderr; total, never raises.

    Example (drbdadm/commitmsg_drbdadm_up_attach_failure_119.txt): `3: Failure: (119) No valid meta-data
    signature found.` then advice, then `Command 'drbdsetup attach 3 ...' terminated with exit code 10`.
    A success transcript (drbdadm/commitmsg_drbdadm_create_md_convert_v08_to_v09.txt) yields no failures.
    """
    failures: list[DrbdFailure] = []
    commands: list[FailedCommand] = []
    messages: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        m = _FAILURE_RE.fullmatch(line)
        if m is not None:
            failures.append(DrbdFailure(m.group(1), int(m.group(2)), m.group(3)))
            continue
        m = _STATE_FAILED_RE.fullmatch(line)
        if m is not None:
            failures.append(DrbdFailure(m.group(1), int(m.group(2)), m.group(3), is_state_change=True))
            continue
        m = _TERMINATED_RE.fullmatch(line)
        if m is not None:
            commands.append(FailedCommand(m.group(1), int(m.group(2))))
            continue
        messages.append(line)
    return DrbdadmError(tuple(failures), tuple(commands), tuple(messages))


# ---------------------------------------------------------------------------------------------------------------------
# drbdsetup show (8.0-8.4 config dump; drbdsetup/show_*.txt)

_SHOW = "drbdsetup show"


@dataclass(frozen=True, slots=True)
class ShowOption:
    """`name value... [_is_default];` with quotes removed; a flag option (`allow-two-primaries;`) has no values."""

    name: str
    values: tuple[str, ...] = ()
    is_default: bool = False
    lineno: int = 0

    @property
    def value(self) -> str | None:
        return self.values[0] if self.values else None


@dataclass(frozen=True, slots=True)
class ShowSection:
    """`name [args] { ... }`: its options and subsections in order (the root has name "")."""

    name: str
    args: tuple[str, ...] = ()
    options: tuple[ShowOption, ...] = ()
    sections: tuple[ShowSection, ...] = ()
    lineno: int = 0

    def option(self, name: str) -> ShowOption | None:
        for o in self.options:
            if o.name == name:
                return o
        return None

    def section(self, name: str, *args: str) -> ShowSection | None:
        for s in self.sections:
            if s.name == name and (not args or s.args == args):
                return s
        return None


@dataclass(frozen=True, slots=True)
class ShowAddress:
    """An `address [family] host:port;` value; family defaults to ipv4, IPv6 hosts without brackets."""

    family: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ShowVolume:
    """The local device of a minor: 8.0-8.3 `_this_host` itself, 8.4 each `volume N { }` inside it."""

    number: int | None
    device_path: str | None = None
    device_minor: int | None = None
    disk: str | None = None
    meta_disk: str | None = None
    meta_index: int | None = None


@dataclass(frozen=True, slots=True)
class DrbdsetupShow:
    """Parsed `drbdsetup show`; the properties read the 8.0-8.3 layout (top-level sections) and the 8.4 one
    (everything inside `resource NAME { }`)."""

    root: ShowSection

    @property
    def resource(self) -> ShowSection:
        """The section holding net/disk/_this_host: `resource NAME` on 8.4, the root before."""
        res = self.root.section("resource")
        return self.root if res is None else res

    @property
    def resource_name(self) -> str | None:
        res = self.root.section("resource")
        return None if res is None or not res.args else res.args[0]

    @property
    def net(self) -> ShowSection | None:
        return self.resource.section("net")

    @property
    def protocol(self) -> str | None:
        """`protocol X;` at top level (8.0-8.3) or in `net { }` (8.4)."""
        for where in (self.resource, self.net):
            if where is not None:
                opt = where.option("protocol")
                if opt is not None:
                    return opt.value
        return None

    @property
    def allow_two_primaries(self) -> bool:
        """`allow-two-primaries;` (8.3 flag form) or `allow-two-primaries yes;` (8.4) in `net { }`."""
        net = self.net
        opt = None if net is None else net.option("allow-two-primaries")
        return opt is not None and (not opt.values or opt.values[0] == "yes")

    @property
    def local_address(self) -> ShowAddress | None:
        return _show_address(self.resource.section("_this_host"))

    @property
    def peer_address(self) -> ShowAddress | None:
        return _show_address(self.resource.section("_remote_host"))

    @property
    def volumes(self) -> tuple[ShowVolume, ...]:
        host = self.resource.section("_this_host")
        if host is None:
            return ()
        vols = [_show_volume(s, int(s.args[0])) for s in host.sections if s.name == "volume"]
        if not vols and any(host.option(k) is not None for k in ("device", "disk", "meta-disk")):
            vols.append(_show_volume(host, None))
        return tuple(vols)


_SHOW_WORD_RE = _rx(r'[^\s{};"]+')
_SHOW_ADDR_RE = _rx(r"(?:\[([^\]]+)\]|([^\s:\[\]]+)):(\d{1,20})")


def _show_address(section: ShowSection | None) -> ShowAddress | None:
    opt = None if section is None else section.option("address")
    if opt is None:
        return None
    return _address_of(opt)


def _address_of(opt: ShowOption) -> ShowAddress:
    line = " ".join((opt.name, *opt.values))
    if len(opt.values) == 1:
        family, addr = "ipv4", opt.values[0]
    elif len(opt.values) == 2:
        family, addr = opt.values
    else:
        raise ParseError(_SHOW, opt.lineno, line, "expected address [family] host:port")
    m = _SHOW_ADDR_RE.fullmatch(addr)
    if m is None:
        raise ParseError(_SHOW, opt.lineno, line, "malformed host:port")
    return ShowAddress(family, m.group(1) or m.group(2), int(m.group(3)))


def _show_volume(section: ShowSection, number: int | None) -> ShowVolume:
    path = minor = None
    dev = section.option("device")
    if dev is not None:
        path, minor = _device_of(dev)
    disk = section.option("disk")
    meta = section.option("meta-disk")
    meta_disk = meta_index = None
    if meta is not None:
        meta_disk, meta_index = _meta_of(meta)
    return ShowVolume(number, path, minor, None if disk is None else disk.value, meta_disk, meta_index)


def _device_of(opt: ShowOption) -> tuple[str | None, int | None]:
    """`device "/dev/drbdN";` (8.0), `device minor N;` (8.3+), or `device PATH minor N;`."""
    vals = opt.values
    path: str | None = None
    if vals and vals[0].startswith("/"):
        path, vals = vals[0], vals[1:]
    if not vals:
        if path is None:
            raise ParseError(_SHOW, opt.lineno, opt.name, "device without value")
        return path, None
    if len(vals) == 2 and vals[0] == "minor" and _is_uint(vals[1]):
        return path, int(vals[1])
    raise ParseError(_SHOW, opt.lineno, " ".join((opt.name, *opt.values)), "expected device PATH|minor N")


def _meta_of(opt: ShowOption) -> tuple[str, int | None]:
    """`meta-disk internal;`, `meta-disk PATH;` or `meta-disk PATH [ N ];` (indexed, 8.0-8.4)."""
    vals = opt.values
    if len(vals) == 1:
        return vals[0], None
    if len(vals) == 4 and vals[1] == "[" and vals[3] == "]" and _is_uint(vals[2]):
        return vals[0], int(vals[2])
    if len(vals) == 2 and vals[1].startswith("[") and vals[1].endswith("]") and _is_uint(vals[1][1:-1]):
        return vals[0], int(vals[1][1:-1])
    raise ParseError(_SHOW, opt.lineno, " ".join((opt.name, *vals)), "expected meta-disk PATH [ N ]")


class _Frame:
    __slots__ = ("args", "lineno", "name", "options", "sections")

    def __init__(self, name: str, args: tuple[str, ...], lineno: int) -> None:
        self.name = name
        self.args = args
        self.lineno = lineno
        self.options: list[ShowOption] = []
        self.sections: list[ShowSection] = []

    def freeze(self) -> ShowSection:
        return ShowSection(self.name, self.args, tuple(self.options), tuple(self.sections), self.lineno)


def parse_drbdsetup_show(text: str) -> DrbdsetupShow:
    """Parse `drbdsetup show` output into nested sections; raise ParseError on unbalanced or malformed text.

    Statements are `words... ;` (an option) or `words... {` ... `}` (a section); `# ...` comments (units
    such as `# bytes`) and the `_is_default` marker are dropped/recorded. Well-known values are checked
    here so the DrbdsetupShow properties cannot fail later: address, device, meta-disk, volume numbers.
    """
    stack = [_Frame("", (), 0)]
    tokens: list[tuple[str, bool]] = []  # (text, was_quoted)
    for lineno, line in enumerate(text.split("\n"), 1):
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if c in " \t\r":
                i += 1
            elif c == "#":
                break
            elif c == '"':
                j = i + 1
                buf: list[str] = []
                while j < n and line[j] != '"':
                    if line[j] == "\\" and j + 1 < n:
                        j += 1
                    buf.append(line[j])
                    j += 1
                if j >= n:
                    raise ParseError(_SHOW, lineno, line, "unterminated string")
                tokens.append(("".join(buf), True))
                i = j + 1
            elif c == ";":
                if not tokens or tokens[0][1]:
                    raise ParseError(_SHOW, lineno, line, "empty or unnamed statement")
                values = [t for t, _ in tokens[1:]]
                is_default = "_is_default" in values
                if is_default:
                    values = [v for v in values if v != "_is_default"]
                stack[-1].options.append(ShowOption(tokens[0][0], tuple(values), is_default, lineno))
                tokens = []
                i += 1
            elif c == "{":
                if not tokens or any(q for _, q in tokens):
                    raise ParseError(_SHOW, lineno, line, "section without a plain name")
                stack.append(_Frame(tokens[0][0], tuple(t for t, _ in tokens[1:]), lineno))
                tokens = []
                i += 1
            elif c == "}":
                if tokens:
                    raise ParseError(_SHOW, lineno, line, "missing ';' before '}'")
                if len(stack) == 1:
                    raise ParseError(_SHOW, lineno, line, "unbalanced '}'")
                done = stack.pop()
                stack[-1].sections.append(done.freeze())
                i += 1
            else:
                m = _SHOW_WORD_RE.match(line, i)
                if m is None:  # a blank other than space/TAB/CR
                    raise ParseError(_SHOW, lineno, line, f"unexpected character {c!r}")
                tokens.append((m.group(), False))
                i = m.end()
    if tokens:
        raise ParseError(_SHOW, len(text.split("\n")), tokens[-1][0], "missing ';' at end of input")
    if len(stack) > 1:
        f = stack[-1]
        raise ParseError(_SHOW, f.lineno, f.name, "section not closed")
    show = DrbdsetupShow(stack[0].freeze())
    _check_show(show.root)
    return show


def _check_show(section: ShowSection) -> None:
    for opt in section.options:
        if opt.name == "address":
            _address_of(opt)
        elif opt.name == "device" and section.name in ("_this_host", "volume"):
            _device_of(opt)
        elif opt.name == "meta-disk":
            _meta_of(opt)
    for sub in section.sections:
        if sub.name == "volume" and (len(sub.args) != 1 or not _is_uint(sub.args[0])):
            raise ParseError(_SHOW, sub.lineno, " ".join(("volume", *sub.args)), "volume needs one number")
        _check_show(sub)
