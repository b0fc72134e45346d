# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Pacemaker's tools (crm_resource, crmsh, pcs) reading this checkout's agents, whatever /usr holds.

Pacemaker 2.1 looks for OCF agents in the directory it was built with (/usr/lib/ocf/resource.d) and reads no
OCF_RA_PATH, so a test of crmsh or pcs against ocf:xenha resources would otherwise depend on whether, and from
which tree, xenha was installed. `with_checkout_agents` runs a command in a private mount namespace in which
/usr/lib/ocf/resource.d/xenha is this checkout's ocf/ directory; nothing outside the command sees the mount.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

__all__ = ["AGENTS_DIR", "can_use_checkout_agents", "with_checkout_agents"]

REPO = Path(__file__).resolve().parents[1]
AGENTS_DIR = "/usr/lib/ocf/resource.d/xenha"

# $0: the checkout's ocf/, $1: where Pacemaker looks. An installed xenha is covered by the bind mount; without
# one, a tmpfs over resource.d gives the mount point (the other providers are then out of sight, which these
# tests do not need).
_SCRIPT = (
    "mount --make-rprivate / && "
    'if [ ! -d "$1" ]; then mount -t tmpfs -o mode=0755 xenha-test-ocf "${1%/*}" && mkdir "$1"; fi && '
    'mount --bind "$0" "$1" && shift && exec "$@"'
)


def can_use_checkout_agents() -> str | None:
    """Why with_checkout_agents cannot work here, or None."""
    if os.geteuid() != 0:
        return "needs root (a private mount namespace for this checkout's agents)"
    if shutil.which("unshare") is None:
        return "needs unshare (util-linux)"
    return None


def with_checkout_agents(argv: Sequence[str]) -> list[str]:
    """`argv` run where Pacemaker finds this checkout's agents as ocf:xenha:*."""
    return ["unshare", "--mount", "sh", "-c", _SCRIPT, str(REPO / "ocf"), AGENTS_DIR, *argv]
