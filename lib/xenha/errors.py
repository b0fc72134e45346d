# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The exception hierarchy; each class carries the OCF exit code that ocf.run maps it to."""

from __future__ import annotations

__all__ = [
    "ArgsError",
    "ConfigError",
    "DeadlineExceeded",
    "NotInstalled",
    "ParseError",
    "PermissionDenied",
    "ProgrammerError",
    "ToolError",
    "XenhaError",
]

# Plain ints, not ocf.ExitCode, so that this module imports nothing; ocf.ExitCode mirrors them.
_ERR_GENERIC = 1
_ERR_ARGS = 2
_ERR_PERM = 4
_ERR_INSTALLED = 5
_ERR_CONFIGURED = 6


class XenhaError(Exception):
    """Base of every expected failure; `reason` is the one-line text for ocf-exit-reason."""

    exit_code: int = _ERR_GENERIC

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(XenhaError):
    """Raised when the resource's parameters or the files they name are wrong."""

    exit_code = _ERR_CONFIGURED


class NotInstalled(XenhaError):
    """Raised when a binary, kernel interface or file the agent needs is missing on this node."""

    exit_code = _ERR_INSTALLED


class ArgsError(XenhaError):
    """Raised when the agent is called with arguments it cannot use."""

    exit_code = _ERR_ARGS


class PermissionDenied(XenhaError):
    """Raised when the agent lacks the privileges an action needs."""

    exit_code = _ERR_PERM


class ToolError(XenhaError):
    """Raised when an external command fails; carries the command's argv, exit status and stderr."""

    def __init__(self, reason: str, *, argv: tuple[str, ...] = (), rc: int | None = None, stderr: str = "") -> None:
        super().__init__(reason)
        self.argv = argv
        self.rc = rc
        self.stderr = stderr


class DeadlineExceeded(XenhaError):
    """Raised when an operation's time budget runs out."""


class ParseError(XenhaError):
    """Raised when tool output does not match its grammar; names the tool, line number and line."""

    def __init__(self, tool: str, lineno: int, line: str, why: str = "unexpected syntax") -> None:
        shown = line if len(line) <= 120 else line[:117] + "..."
        super().__init__(f"{tool}: line {lineno}: {why}: {shown!r}")
        self.tool = tool
        self.lineno = lineno
        self.line = line
        self.why = why


class ProgrammerError(Exception):
    """Raised on a calling-convention bug inside xenha; never mapped to an OCF code on purpose."""
