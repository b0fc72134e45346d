# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracle: parse /sys/module/drbd/parameters/usermode_helper; tests only, no product code reads it."""

from __future__ import annotations

import os

from xenha.errors import ParseError

__all__ = ["parse_usermode_helper", "read_usermode_helper"]

_HELPER = "usermode_helper"


def parse_usermode_helper(text: str) -> str:
    """Parse /sys/module/drbd/parameters/usermode_helper ("%s\\n" of a charp parameter); raise ParseError otherwise.

    This is the program the kernel runs for handlers (fence-peer, split-brain ...): "/sbin/drbdadm" by
    default; Ganeti sets "/bin/true" (proc_drbd/sys_module_drbd_parameters_usermode_helper.txt), which
    silently disables every handler, fencing included. An empty string means no helper is set.
    """
    body = text[:-1] if text.endswith("\n") else text
    if "\n" in body or "\x00" in body:
        raise ParseError(_HELPER, 1, text[:120], "more than one line")
    if body != body.strip():
        raise ParseError(_HELPER, 1, body, "surrounding blanks")
    return body


def read_usermode_helper(path: str | os.PathLike[str]) -> str:
    """Read and parse the usermode_helper module parameter file; OSError propagates."""
    with open(path, "rb") as f:
        data = f.read()
    return parse_usermode_helper(data.decode("utf-8", "surrogateescape"))
