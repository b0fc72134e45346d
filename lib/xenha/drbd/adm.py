# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse what the agents read from drbdadm beyond the state; cold: only failure and once-per-boot paths import it.

The error transcripts of drbdadm/drbdsetup (the agents report DRBD's own failure line from them), `drbdadm sh-dev`
and the `allow-two-primaries` line of `drbdadm -d -v dump`. parse_sh_dev raises only ParseError;
parse_drbdadm_error never raises. Section numbers (§) refer to shared/fixtures/GRAMMAR.md. The parsers of outputs
no product code reads (one-liners, sh-status, --version, drbdsetup show) are test oracles (tests/oracles/drbd_adm.py).
"""

from __future__ import annotations

import re

from xenha.drbd.model import (
    conn_state_named,
    device_minor,
    disk_state_named,
    role_named,
)
from xenha.errors import ParseError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from xenha.drbd.model import ConnName, DiskName, RoleName

    KnownName = Literal["Configured", "Unconfigured", "NA"]

__all__ = [
    "DrbdFailure",
    "DrbdadmError",
    "FailedCommand",
    "allows_two_primaries",
    "parse_drbdadm_error",
    "parse_sh_dev",
]


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile with re.ASCII: \\d is [0-9] only, so int() never meets a digit it cannot convert."""
    return re.compile(pattern, re.ASCII)


_UINT_RE = _rx(r"[0-9]{1,20}")


def _is_uint(text: str) -> bool:
    return _UINT_RE.fullmatch(text) is not None


def _conn_state(name: str, tool: str, lineno: int, line: str) -> ConnName:
    cs = conn_state_named(name)
    if cs is None:
        raise ParseError(tool, lineno, line, f"unknown connection state {name!r}")
    return cs


def _role(name: str, tool: str, lineno: int, line: str) -> RoleName:
    role = role_named(name)
    if role is None:
        raise ParseError(tool, lineno, line, f"unknown role {name!r}")
    return role


def _disk_state(name: str, tool: str, lineno: int, line: str) -> DiskName:
    disk = disk_state_named(name)
    if disk is None:
        raise ParseError(tool, lineno, line, f"unknown disk state {name!r}")
    return disk


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm sh-dev and drbdadm dump


def parse_sh_dev(text: str, resource: str) -> tuple[int, ...]:
    """Parse `drbdadm sh-dev RES` (one /dev/drbdN per volume, in volume order); raise ParseError otherwise."""
    minors: list[int] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        minor = device_minor(line.strip())
        if minor is None:
            raise ParseError(f"drbdadm sh-dev {resource}", lineno, line, "expected /dev/drbdN")
        minors.append(minor)
    if not minors:
        raise ParseError(f"drbdadm sh-dev {resource}", 0, text, "no device")
    return tuple(minors)


_TWO_PRIMARIES = re.compile(r"^\s*allow-two-primaries(\s+yes)?\s*;\s*$", re.MULTILINE)


def allows_two_primaries(dump: str) -> bool:
    """Whether `drbdadm -d -v dump RES` output sets allow-two-primaries (`allow-two-primaries [yes];` on a line)."""
    return _TWO_PRIMARIES.search(dump) is not None


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm/drbdsetup error transcripts (§2 "Errors"): a total extractor, never raises


@record
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


@record
class FailedCommand:
    """drbdadm's `Command '...' terminated with exit code N` line."""

    command: str
    exit_code: int


@record
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
