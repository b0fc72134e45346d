# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse the rare lines of /proc/drbd: resync/verify progress and proc_details; raise ParseError. Cold.

xenha.drbd.proc imports this module on the first line of a device block that is neither a state nor a counter
line (§1.5, §1.6 of shared/fixtures/GRAMMAR.md): the progress bar and its finish line, `stalled`, sector pos, the
short verify line of 8.2.2-8.3.9, LRU statistics and the LRU dump, and `blocked on activity log`.
"""

from __future__ import annotations

from xenha.drbd.proc import (
    _PROC,
    _S_BAR,
    _S_BLOCKED,
    _S_COUNTERS,
    _S_FINISH,
    _S_LRU,
    _S_LRU_DUMP,
    _S_SECTOR,
    _Dev,
)
from xenha.errors import ParseError
from xenha.record import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

__all__ = ["LruStats", "SectorPos", "SyncProgress", "VerifyProgress", "continuation"]


@record
class SectorPos:
    """The proc_details>=1 line `TAB "%3d%% sector pos: %llu/%llu" [" stop sector: %llu"]` (§1.5)."""

    percent: int
    position: int
    total: int
    stop: int | None = None


@record
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


@record
class VerifyProgress:
    """The short online-verify line of 8.2.2-8.3.9 (§1.5): `TAB "%3d%% [oos:%lu  ]%lu/%lu"`, in bitmap bits."""

    percent: int
    done: int
    total: int
    oos: int | None = None


@record
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


# ---------------------------------------------------------------------------------------------------------------------
# The lines: each regex is compiled on its first use (a monitor of a resync needs two of the nine).


class _LazyPattern:
    """A regex compiled (and `re` imported) on its first use."""

    __slots__ = ("_compiled", "_pattern")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> object:
        if self._compiled is None:
            import re

            self._compiled = re.compile(self._pattern, re.ASCII)
        return getattr(self._compiled, name)


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile with re.ASCII (lazily): \\d is [0-9] only, so int() never meets a digit it cannot convert."""
    return _LazyPattern(pattern)  # type: ignore[return-value]  # quacks like the Pattern it compiles


_N = r"(\d{1,20})"  # an unsigned number (at most 20 digits: u64)
_G = r"(\d{1,20}(?:,\d{3}){0,6})"  # seq_printf_with_thousands_grouping; up to 8.3.9 "%ld,%03ld" of anything
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


def _grouped(text: str) -> int:
    return int(text.replace(",", ""))


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


def continuation(cur: _Dev, body: str, lineno: int, line: str) -> None:
    """One line of a resync, a verify or proc_details (§1.5, §1.6) of the device block `cur`."""
    configured = cur.configured
    c0 = body[0]
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
