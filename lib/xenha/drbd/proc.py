# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse /proc/drbd of DRBD 8.0-8.4 and the DRBD 9 header; raise ParseError on unknown syntax. Hot path.

A DRBD 8.4 monitor reads /proc/drbd every ten seconds, so the lines it always meets (version, build, transports,
state, counters) are read here with str.partition/split and dictionary lookups; no regex is compiled and `re` is
not imported for them. The lines of a resync, a verify or proc_details (progress bar, finish, sector pos, LRU
statistics and dump, blocked on activity log) are rarer: xenha.drbd.progress reads them, imported on the first
such line, and compiles each of its regexes on first use.

Every parse_* function takes text and returns records; read_proc_drbd does the (bounded) I/O. Section numbers (§)
refer to shared/fixtures/GRAMMAR.md, fixture names to files under shared/fixtures/.
"""

from __future__ import annotations

import errno
import os

from xenha.drbd.model import (
    ConnState,
    DrbdVolume,
    common_view,
    conn_state_named,
    disk_state_named,
    role_named,
)
from xenha.errors import ParseError
from xenha.files import FileRefused, read_bytes
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Final, Literal

    from xenha.drbd.model import ConnName, DiskName, RoleName
    from xenha.drbd.progress import LruStats, SyncProgress, VerifyProgress

    BuildName = Literal["GIT-hash", "srcversion", "built-in", "SVN Revision"]
    WriteOrderingName = Literal["b", "f", "d", "n"]

__all__ = [
    "MAX_BYTES",
    "BuildKind",
    "BuildName",
    "ProcCounters",
    "ProcDevice",
    "ProcDrbd",
    "Transport",
    "WriteOrdering",
    "WriteOrderingName",
    "parse_proc_drbd",
    "read_proc_drbd",
]

_PROC = "/proc/drbd"
# /proc/drbd of 256 minors with proc_details is some 100 KiB; anything far larger is not the kernel's file.
MAX_BYTES = 4 << 20


class BuildKind:
    """Which build line follows the version line (§1.1)."""

    GIT_HASH: Final = "GIT-hash"  # out-of-tree module: "GIT-hash: <40 hex> [changed files] build by user@host, date"
    SRCVERSION: Final = "srcversion"  # in-tree module: "srcversion: %-24s" (trailing blank, stripped here)
    BUILT_IN: Final = "built-in"  # in-tree, compiled into the kernel
    SVN: Final = "SVN Revision"  # old 8.0 builds from SVN


class WriteOrdering:
    """The `wo:` counter: the write-ordering method in use (8.4.11:drbd_proc.c:247-252)."""

    BARRIER: Final = "b"
    FLUSH: Final = "f"
    DRAIN: Final = "d"
    NONE: Final = "n"


_WO_NAMES: dict[str, WriteOrderingName] = {
    w: w for w in (WriteOrdering.BARRIER, WriteOrdering.FLUSH, WriteOrdering.DRAIN, WriteOrdering.NONE)
}


@record
class Transport:
    """One entry of the DRBD 9 `Transports (api:N):` line (§3.1); `version` is the module version or "NONE"."""

    name: str
    version: str


@record
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
    wo: WriteOrderingName | None = None
    oos: int | None = None


@record
class ProcDevice:
    """One minor of /proc/drbd (§1.2-§1.6).

    An Unconfigured minor (`cs:Unconfigured`) has only `minor` and `cstate`; every other field is None/empty.
    `role_key` is "st" (8.0-8.2) or "ro" (8.3+). `protocol` is None when the kernel printed a blank (no net
    config, §1.3). `flags` holds the 4-6 flag characters; a raw NUL 5th flag (8.3.1, congestion_reason 0,
    `proc_drbd/83_ganeti_mixed_states.txt`) is stored as "-" with `flags_nul` True.
    """

    minor: int
    cstate: ConnName
    role_key: str | None = None
    role: RoleName | None = None
    peer_role: RoleName | None = None
    disk: DiskName | None = None
    peer_disk: DiskName | None = None
    protocol: str | None = None
    flags: str | None = None
    flags_nul: bool = False
    counters: ProcCounters | None = None
    progress: SyncProgress | VerifyProgress | None = None
    lru: tuple[LruStats, ...] = ()
    al_blocked: int | None = None

    @property
    def is_configured(self) -> bool:
        return self.cstate != ConnState.UNCONFIGURED

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
        """The resync or verify progress in percent, None without one."""
        progress = self.progress
        return None if progress is None else float(progress.percent)

    def volume(self) -> DrbdVolume:
        """The common view. An Unconfigured minor shows the state behind that word (StandAlone, Diskless,
        Secondary, peer Unknown/DUnknown: the condition in 8.4.11:drbd_proc.c:286-289)."""
        return common_view(
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


@record
class ProcDrbd:
    """A parsed /proc/drbd: the header (all fields None when absent) and the minors in file order."""

    version: str | None = None
    api: int | None = None
    proto_min: int | None = None
    proto_max: int | None = None  # None for the 8.0 single-protocol form "proto:86"
    compat: str | None = None  # DRBD 9 " (compat 8.4)"
    build_kind: BuildName | None = None
    build: str | None = None  # the build line after its label; None for "built-in"
    transports_api: int | None = None
    transports: tuple[Transport, ...] = ()
    devices: tuple[ProcDevice, ...] = ()

    @property
    def major(self) -> int | None:
        """The release's major number (8 or 9); None without a version line."""
        numbers = _release_numbers(self.version)
        return None if numbers is None else numbers[0]

    @property
    def minor(self) -> int | None:
        """The release's minor number (0, 2, 3, 4 ...); None without a version line."""
        numbers = _release_numbers(self.version)
        return None if numbers is None else numbers[1]

    @property
    def is_drbd9(self) -> bool:
        major = self.major
        return major is not None and major >= 9

    @property
    def git_hash(self) -> str | None:
        """The 40-hex commit of a GIT-hash build line, when it has one (docs redact it as `[...]`)."""
        build = self.build
        if self.build_kind != BuildKind.GIT_HASH or build is None or len(build) < 40:
            return None
        head = build[:40]
        if any(c not in _HEX for c in head) or (len(build) > 40 and build[40] not in _BLANKS):
            return None
        return head

    def device(self, minor: int) -> ProcDevice | None:
        for dev in self.devices:
            if dev.minor == minor:
                return dev
        return None

    def volumes(self) -> tuple[DrbdVolume, ...]:
        """The common view, one DrbdVolume per minor (resource and volume unknown to /proc/drbd)."""
        return tuple(dev.volume() for dev in self.devices)


# ---------------------------------------------------------------------------------------------------------------------
# Tokens of the fixed printf formats, checked without regexes (the old patterns were compiled with re.ASCII:
# \d is [0-9], \s is [ \t\n\r\f\v], \w is [A-Za-z0-9_]).

_HEX = frozenset("0123456789abcdef")
_BLANKS = frozenset(" \t\n\r\f\v")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_MAX_DIGITS = 20  # a u64 prints at most 20 digits


def _digits(text: str) -> bool:
    """`\\d{1,20}`: one to twenty ASCII digits."""
    return 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()


def _signed(text: str) -> bool:
    """`-?\\d{1,20}`."""
    return _digits(text[1:] if text[:1] == "-" else text)


def _is_word(text: str) -> bool:
    """`\\w+` (ASCII)."""
    return bool(text) and all(c in _WORD for c in text)


def _release_numbers(version: str | None) -> tuple[int, int] | None:
    """(major, minor) from a release `8.4.11-1`: `\\d{1,20}\\.\\d{1,20}` at its start; None otherwise."""
    if version is None:
        return None
    major, dot, rest = version.partition(".")
    if not dot or not _digits(major):
        return None
    end = 0
    while end < len(rest) and end < _MAX_DIGITS and "0" <= rest[end] <= "9":
        end += 1
    return None if end == 0 else (int(major), int(rest[:end]))


def _version_line(line: str) -> tuple[str, int, int, int | None, str | None] | None:
    """`version: REL (api:N/proto:A[-B])[ (compat X)]` (§1.1, §3.1): (release, api, min, max, compat) or None."""
    release, sep, rest = line[len("version: ") :].partition(" (api:")
    if not sep or not release or any(c in _BLANKS for c in release) or _release_numbers(release) is None:
        return None
    api, sep, rest = rest.partition("/proto:")
    if not sep or not _digits(api):
        return None
    proto, sep, tail = rest.partition(")")
    if not sep:
        return None
    low, dash, high = proto.partition("-")
    if not _digits(low) or (dash and not _digits(high)):
        return None
    compat: str | None = None
    if tail:
        if not (tail.startswith(" (compat ") and tail.endswith(")")):
            return None
        compat = tail[len(" (compat ") : -1]
        if not compat or any(c in "()" or c in _BLANKS for c in compat):
            return None
    return release, int(api), int(low), int(high) if dash else None, compat


def _transports_line(line: str) -> tuple[int, tuple[Transport, ...]] | None:
    """`Transports (api:N): NAME (VERSION)...` (§3.1) or None."""
    api, sep, items = line[len("Transports (api:") :].partition("):")
    if not sep or not _digits(api):
        return None
    found: list[Transport] = []
    while items:
        name, sep, rest = items[1:].partition(" (")
        if items[0] != " " or not sep or not name or any(c in "()" or c in _BLANKS for c in name):
            return None
        version, sep, items = rest.partition(")")
        if not sep or "(" in version:
            return None
        found.append(Transport(name, version))
    return int(api), tuple(found)


_FLAG_SETS = ("rs", "-a", "-p", "-u", "-dcbna\x00", "-s")


def _flags_ok(flags: str) -> bool:
    """`[rs][-a][-p][-u](?:[-dcbna\\x00][-s]?)?`: 4 to 6 flag characters (§1.3)."""
    return 4 <= len(flags) <= 6 and all(c in allowed for c, allowed in zip(flags, _FLAG_SETS, strict=False))


# ProcDevice's fields minor .. flags_nul, in order.
if TYPE_CHECKING:
    _State = tuple[
        int,
        ConnName,
        str | None,
        RoleName | None,
        RoleName | None,
        DiskName | None,
        DiskName | None,
        str | None,
        str | None,
        bool,
    ]


def _state_line(minor: int, rest: str, lineno: int, line: str) -> _State:
    """`cs:%s st|ro:%s/%s ds:%s/%s %c <flags>` after `%2d: ` (§1.3); protocol is a blank without net config."""
    parts = rest.split(" ")
    if len(parts) == 5 and parts[3] in ("A", "B", "C"):
        protocol: str | None = parts[3]
    elif len(parts) == 6 and parts[3] == "" and parts[4] == "":
        protocol = None
    else:
        raise ParseError(_PROC, lineno, line, "malformed state line")
    cs_word, role_word, ds_word, flags = parts[0], parts[1], parts[2], parts[-1]
    role_key, _, roles = role_word.partition(":")
    local, _, peer = roles.partition("/")
    disks = ds_word[3:]
    disk_word, _, peer_disk_word = disks.partition("/")
    cs = cs_word[3:]
    if (
        not cs_word.startswith("cs:")
        or role_key not in ("st", "ro")
        or not ds_word.startswith("ds:")
        or not _flags_ok(flags)
        or not all(_is_word(w) for w in (cs, local, peer, disk_word, peer_disk_word))
    ):
        raise ParseError(_PROC, lineno, line, "malformed state line")
    cstate = conn_state_named(cs)
    if cstate is None or cstate == ConnState.UNCONFIGURED:  # the kernel prints Unconfigured alone
        raise ParseError(_PROC, lineno, line, f"unknown connection state {cs!r}")
    role, peer_role = role_named(local), role_named(peer)
    if role is None or peer_role is None:
        raise ParseError(_PROC, lineno, line, f"unknown role in {local}/{peer}")
    disk, peer_disk = disk_state_named(disk_word), disk_state_named(peer_disk_word)
    if disk is None or peer_disk is None:
        raise ParseError(_PROC, lineno, line, f"unknown disk state in {disk_word}/{peer_disk_word}")
    nul = "\x00" in flags
    if nul:
        # 8.3.1 printed congestion_reason raw: a NUL when 0 (83_ganeti_mixed_states.txt shows "r---^@").
        flags = flags.replace("\x00", "-")
    return (minor, cstate, role_key, role, peer_role, disk, peer_disk, protocol, flags, nul)


_COUNTER_KEYS = ("ns", "nr", "dw", "dr", "al", "bm", "lo", "pe", "ua", "ap")
_SIGNED_FROM = 6  # lo pe ua ap are %d


def _counters(body: str) -> ProcCounters | None:
    """`ns:%u nr:%u dw:%u dr:%u al:%u bm:%u lo:%d pe:%d ua:%d ap:%d[ ep:%d wo:%c][ oos:%llu]` (§1.4) or None."""
    words = body.split(" ")
    count = len(words)
    if count not in (10, 11, 12, 13):
        return None
    values: list[int] = []
    for index, (word, key) in enumerate(zip(words, _COUNTER_KEYS, strict=False)):
        name, sep, value = word.partition(":")
        if name != key or not sep or not (_signed(value) if index >= _SIGNED_FROM else _digits(value)):
            return None
        values.append(int(value))
    ep: int | None = None
    wo: WriteOrderingName | None = None
    oos: int | None = None
    rest = words[10:]
    if count >= 12:
        ep_word, wo_word = rest[0], rest[1]
        wo = _WO_NAMES.get(wo_word[3:]) if wo_word.startswith("wo:") else None
        if not ep_word.startswith("ep:") or not _signed(ep_word[3:]) or wo is None:
            return None
        ep = int(ep_word[3:])
        rest = rest[2:]
    if rest:
        if len(rest) != 1 or not rest[0].startswith("oos:") or not _digits(rest[0][4:]):
            return None
        oos = int(rest[0][4:])
    ns, nr, dw, dr, al, bm, lo, pe, ua, ap = values
    return ProcCounters(ns, nr, dw, dr, al, bm, lo, pe, ua, ap, ep, wo, oos)


# Stages of a device block, in the order the kernel prints them (8.4.11:drbd_proc.c:284-333).
_S_STATE, _S_COUNTERS, _S_BAR, _S_FINISH, _S_SECTOR, _S_LRU, _S_LRU_DUMP, _S_BLOCKED = range(8)


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
    """A new device block when `body` (the line without leading blanks) starts with `%2d: ` (§1.2, §1.3).

    None for a line that does not (e.g. a space-indented "%3d%% ..." verify line of a hand-edited listing).
    """
    colon = body.find(": ")
    if colon < 1 or not _digits(body[:colon]):
        return None
    minor = int(body[:colon])
    rest = body[colon + 2 :]
    if rest == "cs:Unconfigured":
        return _Dev((minor, ConnState.UNCONFIGURED, None, None, None, None, None, None, None, False))
    return _Dev(_state_line(minor, rest, lineno, line))


def _continuation(cur: _Dev, body: str, lineno: int, line: str) -> None:
    """One indented line of a device block (§1.4-§1.6), checked against the kernel's printing order."""
    configured = cur.configured
    c0 = body[0]
    if c0 == "n" and body.startswith("ns:"):
        counters = _counters(body)
        if counters is None:
            raise ParseError(_PROC, lineno, line, "malformed counter line")
        if cur.stage != _S_STATE or not configured:
            raise ParseError(_PROC, lineno, line, "counter line out of place")
        cur.counters = counters
        cur.stage = _S_COUNTERS
        return
    from xenha.drbd.progress import continuation

    continuation(cur, body, lineno, line)


# ---------------------------------------------------------------------------------------------------------------------
# The file


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
    build_kind: BuildName | None = None
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
            header = _version_line(line)
            if header is None:
                raise ParseError(_PROC, lineno, line, "malformed version line")
            if seen_header:
                raise ParseError(_PROC, lineno, line, "version line not first")
            version, api, pmin, pmax, compat = header
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
            found = _transports_line(line) if line.startswith("Transports (api:") else None
            if found is None or tapi is not None:
                raise ParseError(_PROC, lineno, line, "malformed or repeated transports line")
            tapi, transports = found
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


def _build_line(line: str) -> tuple[BuildName | None, str | None]:
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
    """Read (xenha.files: at most MAX_BYTES, never waiting on a FIFO) and parse a /proc/drbd file; OSError propagates.

    No file means the drbd module is not loaded (FileNotFoundError); a FIFO, directory or device is a
    files.FileRefused; more than MAX_BYTES is a ParseError. procfs never sleeps on a server: no deadline, no thread.
    """
    try:
        data = read_bytes(os.fspath(path), limit=MAX_BYTES)
    except FileRefused as exc:
        if exc.errno == errno.EFBIG:
            raise ParseError(_PROC, 0, os.fspath(path), f"more than {MAX_BYTES} bytes") from None
        raise
    return parse_proc_drbd(data.decode("utf-8", "surrogateescape"))
