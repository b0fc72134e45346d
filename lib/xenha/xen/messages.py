# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What xm/xl say on failure (the error classifier), `xl info`, and `xl migrate` transcripts (cold).

On the failure path only: an absent domain's `xl list NAME` is recognised without this module
(xenha.xen.listing.says_no_such_domain), so a monitor of an absent guest does not import it, nor `re`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache

from xenha.errors import ParseError

__all__ = [
    "MigrateOutcome",
    "MigrateStep",
    "MigrateTranscript",
    "XenError",
    "XenErrorKind",
    "parse_migrate_transcript",
    "parse_xen_error",
    "parse_xl_info",
]


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern on first use and keep it."""
    return re.compile(pattern)


# ---------------------------------------------------------------------------------------------------------------------
# Errors, `xl info`, `xl migrate` transcripts


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
