# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The OCF agent protocol (protocol), declarations (decl), logging (log) and meta-data rendering (metadata)."""

from __future__ import annotations

from xenha.ocf.decl import Action, Agent, Parameter
from xenha.ocf.protocol import EXIT_TEXT, REASON_MAX_BYTES, Env, ExitCode, clip_reason, emit_exit_reason, run

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.ocf.protocol import Handler

__all__ = [
    "EXIT_TEXT",
    "REASON_MAX_BYTES",
    "Action",
    "Agent",
    "Env",
    "ExitCode",
    "Handler",
    "Parameter",
    "clip_reason",
    "emit_exit_reason",
    "run",
]
