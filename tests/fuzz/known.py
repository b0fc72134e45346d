# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Findings already requested from the owners of the code and not fixed yet.

Each entry excuses one kind of violation, for one agent (and some actions), and names its request in
.wip/requests-*.md; every other property is still checked on the same call. test_known.py pins each entry with a
strict xfail on its smallest example, so the day the fix lands the xfail passes, the run fails, and the entry goes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KNOWN", "Known", "excused"]


@dataclass(frozen=True)
class Known:
    agent: str
    actions: frozenset[str] | None  # None: every action
    violation: str  # the start of the violation line it excuses
    request: str
    contains: str = ""  # and a text it must hold
    stderr: str = ""  # and a text the call's stderr must hold


KNOWN: tuple[Known, ...] = (
    # Fixed since and removed (ae6ce75): exit reasons over 128 bytes (#C1), fence_noop's plug as an option (#F1),
    # its undecodable host names (#F2); the hb1 *_MAXWAIT digits (#D1) were fixed by parse_seconds, DrbdDualPrimary's
    # negative promotion score as its own argv element (#D2) by 8d8fb0e, clip_reason on undecodable bytes (#C2) and
    # fence_noop's undecodable separator (#F3) by 33a24ee,
    # StateDir.remove's NotADirectoryError under a run directory below a file (#D3) by fd9e172.
)


def excused(agent: str, action: str, found: list[str], stderr: str = "") -> tuple[list[str], list[str]]:
    """(violations left, requests that excused the others); `stderr` is the call's."""
    left, requests = [], []
    for line in found:
        match = next(
            (
                k
                for k in KNOWN
                if k.agent == agent
                and (k.actions is None or action in k.actions)
                and line.startswith(k.violation)
                and k.contains in line
                and k.stderr in stderr
            ),
            None,
        )
        if match is None:
            left.append(line)
        else:
            requests.append(match.request)
    return left, requests
