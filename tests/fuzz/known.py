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


KNOWN: tuple[Known, ...] = (
    # Fixed since and removed (ae6ce75): exit reasons over 128 bytes (#C1), fence_noop's plug as an option (#F1),
    # its undecodable host names (#F2); the hb1 *_MAXWAIT digits (#D1) were fixed by parse_seconds, DrbdDualPrimary's
    # negative promotion score as its own argv element (#D2) by 8d8fb0e.
    # fence_noop's list/list-status print the separator too: one with an undecodable byte dies on a strict stdout.
    Known(
        "fence_noop", frozenset({"list", "list-status"}), "uncaught UnicodeEncodeError", "requests-conventions.md #F3"
    ),
    # ocf.protocol.clip_reason encodes strictly: a reason holding an undecodable byte ('\udc80', from a meta
    # attribute such as on_node) raises UnicodeEncodeError out of ocf.run (emit_exit_reason clips since ae6ce75).
    *(
        Known(agent, None, prefix, "requests-conventions.md #C2", contains="surrogates not allowed")
        for agent in ("XenDomainHA", "DrbdDualPrimary", "AoEExport", "O2cbCluster")
        for prefix in ("uncaught UnicodeEncodeError", "crash reported on stderr")
    ),
)


def excused(agent: str, action: str, found: list[str]) -> tuple[list[str], list[str]]:
    """(violations left, requests that excused the others)."""
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
            ),
            None,
        )
        if match is None:
            left.append(line)
        else:
            requests.append(match.request)
    return left, requests
