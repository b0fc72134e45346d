# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""vblade's start-up line and log (GRAMMAR.md §5): what a start waits for, and the message of a vblade that exited.

Read by start only. The start-up line is a fixed printf format, read with str.partition.
"""

from __future__ import annotations

from xenha.aoe.vblade import AoeAddress, is_digits, parse_address
from xenha.aoe.wire import SECTOR_SIZE
from xenha.errors import ParseError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Literal

    OpenModeName = Literal["O_RDWR", "O_RDONLY"]

__all__ = [
    "OpenMode",
    "VbladeLog",
    "VbladeStartup",
    "is_old_debug_line",
    "parse_startup_line",
    "scan_vblade_log",
]


class OpenMode:
    """How vblade opened the exported file (the word after the sector count)."""

    RDWR: Final = "O_RDWR"
    RDONLY: Final = "O_RDONLY"
    ALL: Final = (RDWR, RDONLY)


@record
class VbladeStartup:
    """What vblade prints once it is bound to its interface, just before it starts serving."""

    pid: int
    address: AoeAddress
    sectors: int
    mode: OpenModeName | None  # None: vblade before v14 did not print it (fixture aoe/readme_vblade_startup_old.txt)

    @property
    def size_bytes(self) -> int:
        return self.sectors * SECTOR_SIZE

    @property
    def is_read_only(self) -> bool:
        return self.mode == OpenMode.RDONLY


@record
class VbladeLog:
    """vblade's combined stdout and stderr: the start-up line if printed, and every other line verbatim."""

    startup: VbladeStartup | None
    messages: tuple[str, ...]

    @property
    def last_message(self) -> str:
        return self.messages[-1] if self.messages else ""


_MODES: dict[str, OpenModeName | None] = {"": None, " O_RDWR": OpenMode.RDWR, " O_RDONLY": OpenMode.RDONLY}


def _is_device_shaped(text: str) -> bool:
    """`e<digits>.<digits>`, the start-up line's device field before its ranges are checked."""
    shelf, dot, slot = text[1:].partition(".")
    return text.startswith("e") and bool(dot) and is_digits(shelf) and is_digits(slot)


def parse_startup_line(lineno: int, line: str) -> VbladeStartup | None:
    """The start-up line, or None when `line` is not one; ParseError when its device is not an AoE address.

    OpenAoE/vblade aoe.c main(): printf("pid %ld: e%d.%d, %lld sectors %s\\n", ...); trailing blanks are ignored.
    """
    text = line.rstrip()
    if not text.startswith("pid "):
        return None
    pid, sep, rest = text[4:].partition(": ")
    if not sep or not is_digits(pid):
        return None
    device, sep, rest = rest.partition(", ")
    if not sep or not _is_device_shaped(device):
        return None
    sectors, sep, mode = rest.partition(" sectors")
    if not sep or not is_digits(sectors) or mode not in _MODES:
        return None
    address = parse_address(device)
    if address is None:
        raise ParseError("vblade", lineno, line, f"AoE address out of range: {device!r}")
    return VbladeStartup(pid=int(pid), address=address, sectors=int(sectors), mode=_MODES[mode])


def is_old_debug_line(line: str) -> bool:
    """The debug lines vblade printed before the start-up line until ~2005: `ioctl returned N`, `N bytes`.

    Fixture aoe/readme_vblade_startup_old.txt.
    """
    text = line.strip()
    if text.startswith("ioctl returned "):
        value = text[len("ioctl returned ") :]
        return is_digits(value[1:] if value.startswith("-") else value)
    return text.endswith(" bytes") and is_digits(text[: -len(" bytes")])


def scan_vblade_log(text: str) -> VbladeLog:
    """Classify every line of a vblade log: the first start-up line, and the rest (perror text, usage) as messages."""
    startup: VbladeStartup | None = None
    messages: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parsed = parse_startup_line(lineno, line) if startup is None else None
        if parsed is not None:
            startup = parsed
        elif not is_old_debug_line(line):
            messages.append(line.rstrip())
    return VbladeLog(startup=startup, messages=tuple(messages))
