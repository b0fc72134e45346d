# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracles for AoE text that no product code reads: aoe-stat (and status.sh) output, and vblade's start-up output
read as a whole (tests only; the agent reads vblade's log with xenha.aoe.startup.scan_vblade_log)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from xenha.aoe.startup import VbladeStartup, is_old_debug_line, parse_startup_line
from xenha.aoe.vblade import AoeAddress, parse_address
from xenha.errors import ParseError

__all__ = ["AoeStat", "AoeStatRow", "DeviceState", "parse_aoe_stat", "parse_vblade_startup"]

# --------------------------------------------------------------------------------------------------------------------
# aoe-stat (aoetools 36) and the kernel's status.sh (GRAMMAR.md §5)


class DeviceState(Enum):
    """An initiator-side AoE device's state, as the aoe driver's sysfs `state` attribute prints it.

    GRAMMAR.md §5 lists up, down and down,closewait (aoe-stat(8)); the driver can also print `,kickme` after either
    state (torvalds/linux drivers/block/aoe/aoeblk.c `aoedisk_show_state`: `"up"|"down"` then `",kickme"` when
    DEVFL_KICKME is set, else `",closewait"` when the device is open but not up).
    """

    UP = "up"
    DOWN = "down"
    UP_KICKME = "up,kickme"
    DOWN_KICKME = "down,kickme"
    DOWN_CLOSEWAIT = "down,closewait"

    @property
    def is_up(self) -> bool:
        return self in (DeviceState.UP, DeviceState.UP_KICKME)


@dataclass(frozen=True, slots=True)
class AoeStatRow:
    """One device line; None where aoe-stat printed `(NA)` or the layout has no such column.

    `size_mb` is the size exactly as printed: aoe-stat computes `512000 * sectors / 10**9` (integer MB), prints it
    with `%04d` and inserts a dot before the last three digits, so `10.737GB` is 10737. `netifs` is the driver's
    comma-separated `netif` attribute; its `none` (no usable interface) is the empty tuple.
    """

    address: AoeAddress
    size_mb: int | None
    netifs: tuple[str, ...] | None
    payload: int | None
    state: DeviceState | None

    @property
    def is_up(self) -> bool:
        return self.state is not None and self.state.is_up

    @property
    def size_gb(self) -> float | None:
        return None if self.size_mb is None else self.size_mb / 1000


@dataclass(frozen=True, slots=True)
class AoeStat:
    """aoe-stat output: device rows in printed order and the warnings interleaved from stderr."""

    rows: tuple[AoeStatRow, ...]
    warnings: tuple[str, ...] = ()

    def find(self, address: AoeAddress) -> AoeStatRow | None:
        return next((row for row in self.rows if row.address == address), None)


_NA = "(NA)"
_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also accepts other scripts' digits, which int() may reject
_SIZE = re.compile(r"(\d+)\.(\d{3})GB")
_MESSAGE = re.compile(r"(?P<me>\S+) (?P<kind>Warning|Error): (?P<text>.+)")


def _address(tool: str, lineno: int, line: str, text: str) -> AoeAddress:
    address = parse_address(text)
    if address is None:
        raise ParseError(tool, lineno, line, f"not an AoE device name in range: {text!r}")
    return address


def _size(lineno: int, line: str, token: str) -> int | None:
    if token == _NA:
        return None
    m = _SIZE.fullmatch(token)
    if m is None:
        raise ParseError("aoe-stat", lineno, line, f"size column is not N.NNNGB: {token!r}")
    return int(m[1]) * 1000 + int(m[2])


def _netifs(token: str) -> tuple[str, ...] | None:
    if token == _NA:
        return None
    if token == "none":
        return ()
    return tuple(token.split(","))


def _state(lineno: int, line: str, token: str) -> DeviceState | None:
    if token == _NA:
        return None
    try:
        return DeviceState(token)
    except ValueError:
        raise ParseError("aoe-stat", lineno, line, f"unknown device state {token!r}") from None


def _payload(lineno: int, line: str, token: str) -> int:
    if not _DIGITS.fullmatch(token):
        raise ParseError("aoe-stat", lineno, line, f"payload column is not a byte count: {token!r}")
    return int(token)


def parse_aoe_stat(text: str) -> AoeStat:
    """Parse aoe-stat output (and the kernel's status.sh); raise ParseError on any other line.

    Rows are told apart by their column count, since no column contains blanks (GRAMMAR.md §5):
    5 = device, size, netif, payload, state (driver exports `payload`: `%10s %15s %10s %-5s %-14s`);
    4 = device, size, netif, state (`%10s %15s %6s %-14s`) -- also what the payload layout prints for a device
    whose payload is `(NA)`: the script then passes four values to the five-column format, so the state lands in
    the payload column and the last column is blank; 3 = device, netif, state (status.sh `%8s\\t%8s\\t%8s`, and
    2005 aoetools as in fixtures aoe/readme_aoe_stat_one_device.txt, TABs possibly expanded to blanks).
    `%-14s` leaves trailing blanks (aoe/manpage_aoe_stat_warning_wrong_minor.txt). Warnings that aoe-stat writes
    to stderr (`aoe-stat Warning: device node ... has wrong minor device number`) may be interleaved with the
    sorted rows when both streams are captured; they are kept. Its `Error:` message (sysfs not mounted) is raised.
    """
    rows: list[AoeStatRow] = []
    warnings: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        message = _MESSAGE.fullmatch(line.strip())
        if message is not None:
            if message["kind"] == "Error":
                raise ParseError("aoe-stat", lineno, line, "aoe-stat reported an error")
            warnings.append(message["text"])
            continue
        tokens = line.split()
        if len(tokens) == 5:
            device, size, netif, payload, state = tokens
            rows.append(
                AoeStatRow(
                    address=_address("aoe-stat", lineno, line, device),
                    size_mb=_size(lineno, line, size),
                    netifs=_netifs(netif),
                    payload=_payload(lineno, line, payload),
                    state=_state(lineno, line, state),
                )
            )
        elif len(tokens) == 4:
            device, size, netif, state = tokens
            rows.append(
                AoeStatRow(
                    address=_address("aoe-stat", lineno, line, device),
                    size_mb=_size(lineno, line, size),
                    netifs=_netifs(netif),
                    payload=None,
                    state=_state(lineno, line, state),
                )
            )
        elif len(tokens) == 3:
            device, netif, state = tokens
            rows.append(
                AoeStatRow(
                    address=_address("aoe-stat", lineno, line, device),
                    size_mb=None,
                    netifs=_netifs(netif),
                    payload=None,
                    state=_state(lineno, line, state),
                )
            )
        else:
            raise ParseError("aoe-stat", lineno, line, f"expected 3 to 5 columns, found {len(tokens)}")
    return AoeStat(rows=tuple(rows), warnings=tuple(warnings))


# --------------------------------------------------------------------------------------------------------------------
# vblade's start-up output as a whole (GRAMMAR.md §5)


def parse_vblade_startup(text: str) -> VbladeStartup:
    """Parse vblade's start-up output: optional old debug lines, then exactly one `pid N: eS.L, N sectors MODE`."""
    found: VbladeStartup | None = None
    lineno = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        startup = parse_startup_line(lineno, line)
        if startup is not None:
            if found is not None:
                raise ParseError("vblade", lineno, line, "second start-up line")
            found = startup
        elif found is None and is_old_debug_line(line):
            continue
        else:
            raise ParseError("vblade", lineno, line, "not a vblade start-up line")
    if found is None:
        raise ParseError("vblade", lineno, "", "no start-up line")
    return found
