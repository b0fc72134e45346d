# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies for DRBD 8.x output: draw a model, render it as the tool prints it (GRAMMAR §1-§2)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from tests.oracles.drbd_adm import DstatePair, RolePair
from xenha.drbd.model import CONN_STATES, DISK_STATES, ROLES, ConnState, DiskState, Role
from xenha.drbd.proc import (
    BuildKind,
    ProcCounters,
    ProcDevice,
    ProcDrbd,
    WriteOrdering,
)
from xenha.drbd.progress import LruStats, SectorPos, SyncProgress, VerifyProgress

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.drbd.model import ConnName, DiskName, RoleName
    from xenha.drbd.proc import BuildName, WriteOrderingName

_WRITE_ORDERINGS: tuple[WriteOrderingName, ...] = (
    WriteOrdering.BARRIER,
    WriteOrdering.FLUSH,
    WriteOrdering.DRAIN,
    WriteOrdering.NONE,
)

# Every composite returns `(model, text)`. The /proc/drbd productions take a `Dialect` saying which kernel
# printed the text, because the printf formats changed between releases (GRAMMAR.md §1.3-§1.6); the model
# holds only what the text shows, so `parse_proc_drbd(text) == model` must hold for every dialect.

__all__ = [
    "DIALECTS",
    "Dialect",
    "build_lines",
    "counter_lines",
    "cstate_outputs",
    "devices",
    "dialects",
    "dstate_outputs",
    "lru_lines",
    "proc_drbd",
    "progress_lines",
    "role_outputs",
    "state_lines",
    "version_lines",
]


_LOCAL_ROLES: tuple[RoleName, ...] = (Role.PRIMARY, Role.SECONDARY)  # a local role is never Unknown
_CS_80: tuple[ConnName, ...] = (
    ConnState.STANDALONE,
    ConnState.DISCONNECTING,
    ConnState.UNCONNECTED,
    ConnState.TIMEOUT,
    ConnState.BROKEN_PIPE,
    ConnState.NETWORK_FAILURE,
    ConnState.PROTOCOL_ERROR,
    ConnState.WF_CONNECTION,
    ConnState.WF_REPORT_PARAMS,
    ConnState.TEAR_DOWN,
    ConnState.CONNECTED,
    ConnState.STARTING_SYNC_S,
    ConnState.STARTING_SYNC_T,
    ConnState.WF_BITMAP_S,
    ConnState.WF_BITMAP_T,
    ConnState.WF_SYNC_UUID,
    ConnState.SYNC_SOURCE,
    ConnState.SYNC_TARGET,
    ConnState.PAUSED_SYNC_S,
    ConnState.PAUSED_SYNC_T,
)
_CS_82: tuple[ConnName, ...] = (*_CS_80, ConnState.VERIFY_S, ConnState.VERIFY_T)
_CS_8310: tuple[ConnName, ...] = (*_CS_82, ConnState.AHEAD, ConnState.BEHIND)


@dataclass(frozen=True)
class Dialect:
    """What one kernel release prints (GRAMMAR §1.3-§1.6); the defaults are 8.3.10+/8.4."""

    name: str
    release: str  # version-line release prefix
    api: int
    proto: tuple[int, int | None]  # (min, max); max None for the 8.0 "proto:86" form
    role_key: str = "ro"  # "st" before 8.3
    nflags: int = 6  # 4 before 8.3.1, 5 in 8.3.1-8.3.8
    nul_flag: bool = False  # 8.3.1 prints congestion_reason raw (a NUL when 0)
    counters: str = "full"  # "80" (ap last), "826" (+oos), "full" (+ep wo oos)
    verify_short: str | None = None  # "oos" (8.2.2-8.2.5) or "plain" (8.2.6-8.3.9): `%3d%% [oos:N  ]D/T`
    modern_progress: bool = True  # 8.3.10+: verified: label, 3-group speeds, "(stalled)", proc_details lines
    bar_from_left: bool = False  # 8.0: the bar is computed from the per-mille left (8.0.6:drbd_proc.c:88-111)
    want: bool = True  # "want:" for SyncTarget/VerifyS (8.3.8, 8.3.9+)
    suffix_8338: bool = False  # 8.3.8 only: " delay_probe: N" / " queue_delay: N.N ms" after ")K"
    lru_always: bool = False  # 8.0-8.2.5 print the LRU lines whenever the disk is attached
    locked_key: str = "dirty"  # "locked" from 8.4
    blocked_line: bool = False  # 8.4 proc_details>=2 "blocked on activity log"
    cstates: tuple[ConnName, ...] = _CS_8310


DIALECTS: tuple[Dialect, ...] = (
    Dialect(
        "8.0", "8.0.", 86, (86, None), role_key="st", nflags=4, counters="80", modern_progress=False,
        bar_from_left=True, want=False, lru_always=True, cstates=_CS_80,
    ),
    Dialect(
        "8.2.6", "8.2.", 88, (86, 88), role_key="st", nflags=4, counters="826", verify_short="plain",
        modern_progress=False, want=False, cstates=_CS_82,
    ),
    Dialect(
        "8.3.1", "8.3.", 88, (86, 89), nflags=5, nul_flag=True, verify_short="plain", modern_progress=False,
        want=False, cstates=_CS_82,
    ),
    Dialect(
        "8.3.8", "8.3.", 88, (86, 94), nflags=5, verify_short="plain", modern_progress=False, suffix_8338=True,
        cstates=_CS_82,
    ),
    Dialect("8.3.16", "8.3.", 88, (86, 97)),
    Dialect("8.4", "8.4.", 1, (86, 101), locked_key="locked", blocked_line=True),
)  # fmt: skip


def dialects(*names: str) -> st.SearchStrategy[Dialect]:
    """The dialects named (all when none are)."""
    chosen = [d for d in DIALECTS if not names or d.name in names]
    return st.sampled_from(chosen)


_SYNC = {ConnState.SYNC_SOURCE, ConnState.SYNC_TARGET, ConnState.VERIFY_S, ConnState.VERIFY_T}
_VERIFY = {ConnState.VERIFY_S, ConnState.VERIFY_T}
_WANT = {ConnState.SYNC_TARGET, ConnState.VERIFY_S}
_UNCONNECTED = set(_CS_80[:9])  # StandAlone .. WFReportParams: peer Unknown/DUnknown

_u32 = st.integers(min_value=0, max_value=2**32 - 1)
_small = st.integers(min_value=0, max_value=10**6)
_word = st.sampled_from(["root", "linbit", "buildsystem", "mockbuild", "phil", "x"])


def _grouped(value: int, dialect: Dialect) -> str:
    """seq_printf_with_thousands_grouping (8.3.10+) or the older "%ld,%03ld" when > 1000 (8.0.6:139-156)."""
    if dialect.modern_progress:
        if value >= 1_000_000:
            return f"{value // 1_000_000},{value // 1000 % 1000:03d},{value % 1000:03d}"
        if value >= 1000:
            return f"{value // 1000},{value % 1000:03d}"
        return str(value)
    return f"{value // 1000},{value % 1000:03d}" if value > 1000 else str(value)


@st.composite
def version_lines(draw: st.DrawFn, dialect: Dialect) -> tuple[tuple[str, int, int, int | None], str]:
    """`version: REL (api:N/proto:A[-B])` (§1.1): (release, api, proto_min, proto_max) and text."""
    patch = draw(st.integers(min_value=0, max_value=16))
    suffix = draw(st.sampled_from(["", "-1", "-2"]))
    release = f"{dialect.release}{patch}{suffix}"
    pmin, pmax = dialect.proto
    proto = f"{pmin}" if pmax is None else f"{pmin}-{pmax}"
    return (release, dialect.api, pmin, pmax), f"version: {release} (api:{dialect.api}/proto:{proto})\n"


@st.composite
def build_lines(draw: st.DrawFn, dialect: Dialect) -> tuple[tuple[BuildName, str | None], str]:
    """The build line after the version line (§1.1): GIT-hash, srcversion (padded to 24), built-in, SVN."""
    kinds: list[BuildName] = [BuildKind.GIT_HASH, BuildKind.SRCVERSION, BuildKind.BUILT_IN]
    if dialect.name == "8.0":
        kinds.append(BuildKind.SVN)
    kind = draw(st.sampled_from(kinds))
    if kind is BuildKind.GIT_HASH:
        githash = f"{draw(st.integers(min_value=0, max_value=16**40 - 1)):040x}"
        changed = draw(st.lists(st.sampled_from(["drbd/drbd_main.c", "drbd/drbd_nl.c"]), max_size=2, unique=True))
        user = draw(_word)
        build = " ".join([githash, *changed]) + f" build by {user}@host, 2011-10-12 09:07:35"
        return (kind, build), f"GIT-hash: {build}\n"
    if kind is BuildKind.SRCVERSION:
        src = f"{draw(st.integers(min_value=0, max_value=16**23 - 1)):023X}"
        return (kind, src), f"srcversion: {src:<24}\n"
    if kind is BuildKind.SVN:
        rev = draw(st.integers(min_value=1, max_value=9999))
        build = f"{rev} build by root@host, 2007-09-03 10:39:27"
        return (kind, build), f"SVN Revision: {build}\n"
    return (kind, None), "built-in\n"


@st.composite
def state_lines(draw: st.DrawFn, dialect: Dialect, minor: int, syncing: bool = False) -> tuple[ProcDevice, str]:
    """`%2d: cs:%s st|ro:%s/%s ds:%s/%s %c <flags>` (§1.3) for a configured minor (a Sync*/Verify* one if asked)."""
    cstate = draw(st.sampled_from([c for c in dialect.cstates if c in _SYNC] if syncing else dialect.cstates))
    role = draw(st.sampled_from(_LOCAL_ROLES))
    disk = draw(st.sampled_from([d for d in DISK_STATES if d != DiskState.DETACHING]))
    peer_role: RoleName
    peer_disk: DiskName
    if cstate in _UNCONNECTED:
        peer_role, peer_disk = Role.UNKNOWN, DiskState.DUNKNOWN
    else:
        peer_role = draw(st.sampled_from(_LOCAL_ROLES))
        peer_disk = draw(st.sampled_from([d for d in DISK_STATES if d != DiskState.DETACHING]))
    protocol = None if cstate is ConnState.STANDALONE else draw(st.sampled_from("ABC"))
    chars = [
        draw(st.sampled_from("rs")),
        draw(st.sampled_from("-a")),
        draw(st.sampled_from("-p")),
        draw(st.sampled_from("-u")),
    ]
    nul = False
    if dialect.nflags >= 5:
        fifth = draw(st.sampled_from("-dcbna"))
        if dialect.nul_flag and fifth == "-":
            nul = draw(st.booleans())
        chars.append(fifth)
    if dialect.nflags == 6:
        chars.append(draw(st.sampled_from("-s")))
    flags = "".join(chars)
    raw_flags = flags[:4] + "\x00" + flags[5:] if nul else flags
    dev = ProcDevice(
        minor=minor,
        cstate=cstate,
        role_key=dialect.role_key,
        role=role,
        peer_role=peer_role,
        disk=disk,
        peer_disk=peer_disk,
        protocol=protocol,
        flags=flags,
        flags_nul=nul,
    )
    text = (
        f"{minor:2d}: cs:{cstate} {dialect.role_key}:{role}/{peer_role} "
        f"ds:{disk}/{peer_disk} {protocol or ' '} {raw_flags}\n"
    )
    return dev, text


@st.composite
def counter_lines(draw: st.DrawFn, dialect: Dialect) -> tuple[ProcCounters, str]:
    """`    ns:%u nr:%u dw:%u dr:%u al:%u bm:%u lo:%d pe:%d ua:%d ap:%d [ep:%d wo:%c] [oos:%llu]` (§1.4)."""
    un = [draw(_u32) for _ in range(6)]
    signed = [draw(st.integers(min_value=-5, max_value=10**5)) for _ in range(4)]
    text = "    ns:{} nr:{} dw:{} dr:{} al:{} bm:{} lo:{} pe:{} ua:{} ap:{}".format(*un, *signed)
    ep = wo = oos = None
    if dialect.counters == "full":
        ep = draw(st.integers(min_value=0, max_value=100))
        wo = draw(st.sampled_from(_WRITE_ORDERINGS))
        text += f" ep:{ep} wo:{wo}"
    if dialect.counters in ("826", "full"):
        oos = draw(st.integers(min_value=0, max_value=2**40))
        text += f" oos:{oos}"
    ns, nr, dw, dr, al, bm = un
    lo, pe, ua, ap = signed
    return ProcCounters(ns, nr, dw, dr, al, bm, lo, pe, ua, ap, ep, wo, oos), text + "\n"


@st.composite
def progress_lines(
    draw: st.DrawFn, dialect: Dialect, cstate: str, details: bool
) -> tuple[SyncProgress | VerifyProgress, str]:
    """The resync/verify progress (§1.5) the dialect prints for a Sync*/Verify* minor."""
    verify = cstate in _VERIFY
    if verify and dialect.verify_short is not None:
        pct = draw(st.integers(min_value=0, max_value=100))
        total = draw(st.integers(min_value=1, max_value=2**32))
        done = draw(st.integers(min_value=0, max_value=total))
        oos = draw(_small) if dialect.verify_short == "oos" else None
        mid = "" if oos is None else f"oos:{oos}  "
        return VerifyProgress(pct, done, total, oos), f"\t{pct:3d}% {mid}{done}/{total}\n"
    permille = draw(st.integers(min_value=0, max_value=1000))
    total = draw(st.integers(min_value=0, max_value=2**40))
    left = draw(st.integers(min_value=0, max_value=total))
    unit = draw(st.sampled_from("KM"))
    if dialect.bar_from_left:
        dots = (1000 - permille) // 50
        eqs = 20 - dots
    else:
        eqs = permille // 50
        dots = 20 - eqs
    bar = "=" * max(eqs - 1, 0) + ">" + "." * dots
    label = "verified:" if verify and dialect.modern_progress else "sync'ed:"
    text = f"\t[{bar}] {label}{permille // 10:3d}.{permille % 10}% ({left}/{total}){unit}"
    delay_probe = queue_delay = None
    if dialect.suffix_8338 and draw(st.booleans()):
        if cstate is ConnState.SYNC_TARGET:
            tenths = draw(st.integers(min_value=0, max_value=99999))
            queue_delay = tenths / 10
            text += f" queue_delay: {tenths // 10}.{tenths % 10} ms"
        else:
            delay_probe = draw(_small)
            text += f" delay_probe: {delay_probe}"
    # Linux 2.6.39's in-tree 8.3 printed "(%lu/%lu)M" without "\n\t" (GRAMMAR §1.5).
    glued = unit == "M" and dialect.modern_progress and draw(st.booleans())
    text += "" if glued else "\n\t"
    if not dialect.modern_progress and draw(st.booleans()):
        model = SyncProgress(
            verify=False, permille=permille, left=left, total=total, unit=unit, stalled=True,
            delay_probe=delay_probe, queue_delay=queue_delay,
        )  # fmt: skip
        return model, text + "stalled\n"
    finish = draw(st.integers(min_value=0, max_value=200 * 3600))
    speed, mean = draw(_u32), draw(_u32)  # the old form has no million group: "%ld,%03ld" of anything
    recent = draw(_small) if details and dialect.modern_progress else None
    want = draw(_small) if dialect.want and cstate in _WANT else None
    stalled = dialect.modern_progress and draw(st.booleans())
    h, rem = divmod(finish, 3600)
    text += f"finish: {h}:{rem // 60:02d}:{rem % 60:02d} speed: {_grouped(speed, dialect)} ("
    if recent is not None:
        text += f"{_grouped(recent, dialect)} -- "
    text += f"{_grouped(mean, dialect)})"
    if want is not None:
        text += f" want: {_grouped(want, dialect)}"
    text += " K/sec" + (" (stalled)" if stalled else "") + "\n"
    sector = None
    if details and dialect.modern_progress:
        sector = SectorPos(
            draw(st.integers(min_value=0, max_value=100)),
            draw(st.integers(min_value=0, max_value=2**40)),
            draw(st.integers(min_value=0, max_value=2**40)),
            draw(st.none() | st.integers(min_value=1, max_value=2**40)),
        )
        text += f"\t{sector.percent:3d}% sector pos: {sector.position}/{sector.total}"
        text += "" if sector.stop is None else f" stop sector: {sector.stop}"
        text += "\n"
    model = SyncProgress(
        verify=verify and dialect.modern_progress,
        permille=permille,
        left=left,
        total=total,
        unit=unit,
        finish=finish,
        speed=speed,
        speed_recent=recent,
        speed_mean=mean,
        want=want,
        stalled=stalled,
        delay_probe=delay_probe,
        queue_delay=queue_delay,
        sector=sector,
    )
    return model, text


@st.composite
def lru_lines(draw: st.DrawFn, dialect: Dialect) -> tuple[tuple[LruStats, ...], str]:
    """The resync and act_log LRU statistics lines (§1.6)."""
    stats: list[LruStats] = []
    text = ""
    for name, size in (("resync", 61), ("act_log", 257)):
        used = draw(st.integers(min_value=0, max_value=size))
        n = [draw(_u32) for _ in range(5)]
        stats.append(LruStats(name, used, size, n[0], n[1], n[2], n[3], n[4], dialect.locked_key))
        text += (
            f"\t{name}: used:{used}/{size} hits:{n[0]} misses:{n[1]} starving:{n[2]} "
            f"{dialect.locked_key}:{n[3]} changed:{n[4]}\n"
        )
    return tuple(stats), text


@st.composite
def devices(
    draw: st.DrawFn, dialect: Dialect, minor: int, details: int, syncing: bool = False
) -> tuple[ProcDevice, str]:
    """One minor: `cs:Unconfigured`, or state + counters + progress + LRU + blocked lines (§1.2-§1.6)."""
    blocked = None
    if not syncing and draw(st.integers(min_value=0, max_value=4)) == 0:
        text = f"{minor:2d}: cs:Unconfigured\n"
        if details >= 2 and dialect.blocked_line:
            blocked = draw(_small)
            text += f"\tblocked on activity log: {blocked}\n"
        return ProcDevice(minor=minor, cstate=ConnState.UNCONFIGURED, al_blocked=blocked), text
    dev, text = draw(state_lines(dialect, minor, syncing))
    counters, ctext = draw(counter_lines(dialect))
    text += ctext
    progress = None
    if dev.cstate in _SYNC:
        progress, ptext = draw(progress_lines(dialect, dev.cstate, details >= 1))
        text += ptext
    lru: tuple[LruStats, ...] = ()
    if dev.disk != DiskState.DISKLESS and (dialect.lru_always or details >= 1):
        lru, ltext = draw(lru_lines(dialect))
        text += ltext
    if details >= 2 and dialect.blocked_line:
        blocked = draw(_small)
        text += f"\tblocked on activity log: {blocked}\n"
    model = ProcDevice(
        minor=dev.minor,
        cstate=dev.cstate,
        role_key=dev.role_key,
        role=dev.role,
        peer_role=dev.peer_role,
        disk=dev.disk,
        peer_disk=dev.peer_disk,
        protocol=dev.protocol,
        flags=dev.flags,
        flags_nul=dev.flags_nul,
        counters=counters,
        progress=progress,
        lru=lru,
        al_blocked=blocked,
    )
    return model, text


@st.composite
def proc_drbd(
    draw: st.DrawFn, dialect: Dialect | None = None, max_minors: int = 4, syncing: bool = False
) -> tuple[ProcDrbd, str]:
    """A whole /proc/drbd: header, then minors in increasing order with a blank line before each gap (§1.2).

    With `syncing`, there is at least one minor and the first is a configured Sync*/Verify* one.
    """
    d = dialect if dialect is not None else draw(dialects())
    text = ""
    version: tuple[str | None, int | None, int | None, int | None] = (None, None, None, None)
    if draw(st.integers(min_value=0, max_value=9)) > 0:  # Ganeti's synthetic sample has no version line
        version, vtext = draw(version_lines(d))
        text += vtext
    (kind, build), btext = draw(build_lines(d))
    text += btext
    minors = sorted(draw(st.sets(st.integers(min_value=0, max_value=300), min_size=int(syncing), max_size=max_minors)))
    details = draw(st.integers(min_value=0, max_value=2)) if d.modern_progress else 0
    devs: list[ProcDevice] = []
    prev = -1
    for minor in minors:
        if prev != minor - 1:
            text += "\n"
        prev = minor
        dev, dtext = draw(devices(d, minor, details, syncing and not devs))
        devs.append(dev)
        text += dtext
    release, api, pmin, pmax = version
    model = ProcDrbd(
        version=release,
        api=api,
        proto_min=pmin,
        proto_max=pmax,
        build_kind=kind,
        build=build,
        devices=tuple(devs),
    )
    return model, text


@st.composite
def role_outputs(draw: st.DrawFn) -> tuple[tuple[RolePair, ...], str]:
    """`drbdadm role`: one `Local/Peer` (8.x), `Local` (DRBD 9) or `Unconfigured` line per volume (§2)."""
    pairs: list[RolePair] = []
    text = ""
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        form = draw(st.sampled_from(["pair", "single", "unconfigured"]))
        role = draw(st.sampled_from(_LOCAL_ROLES))
        if form == "unconfigured":
            pairs.append(RolePair(None))
            text += "Unconfigured\n"
        elif form == "single":
            pairs.append(RolePair(role))
            text += f"{role}\n"
        else:
            peer = draw(st.sampled_from(ROLES))
            pairs.append(RolePair(role, peer))
            text += f"{role}/{peer}\n"
    return tuple(pairs), text


@st.composite
def cstate_outputs(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    """`drbdadm cstate`: one state per line (8.4 per volume, DRBD 9 per connection)."""
    states = tuple(draw(st.lists(st.sampled_from(CONN_STATES), min_size=1, max_size=4)))
    return states, "".join(f"{s}\n" for s in states)


@st.composite
def dstate_outputs(draw: st.DrawFn) -> tuple[tuple[DstatePair, ...], str]:
    """`drbdadm dstate`: `Local/Peer` (8.x), `Local/Peer1/Peer2...` (DRBD 9) or `Unconfigured` per line."""
    pairs: list[DstatePair] = []
    text = ""
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            pairs.append(DstatePair(None))
            text += "Unconfigured\n"
            continue
        disks = draw(st.lists(st.sampled_from(DISK_STATES), min_size=2, max_size=4))
        pairs.append(DstatePair(disks[0], tuple(disks[1:])))
        text += "/".join(disks) + "\n"
    return tuple(pairs), text
