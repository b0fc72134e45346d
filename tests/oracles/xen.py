# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracles for Xen text that no product code reads: `xl info KEY` and `xm uptime`/`xl uptime` (tests only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xenha.errors import ParseError

__all__ = ["DomainUptime", "parse_xl_info_value", "parse_xm_uptime"]


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


_UPTIME_HEADER = re.compile(r"Name\s+ID\s+Uptime\s*")
_UPTIME_ROW = re.compile(
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
            if _UPTIME_HEADER.fullmatch(line) is None:
                raise ParseError(tool, lineno, line, "expected the `Name ID Uptime` header")
            header_seen = True
            continue
        match = _UPTIME_ROW.fullmatch(line)
        if match is None:
            raise ParseError(tool, lineno, line, "expected `name id [N days, ]h:mm:ss`")
        seconds = int(match["days"] or 0) * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
        domid = match["domid"]
        rows.append(DomainUptime(match["name"], None if domid is None else int(domid), seconds))
    if not header_seen:
        raise ParseError(tool, 0, "", "no header line")
    return tuple(rows)
