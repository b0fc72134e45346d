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


KNOWN: tuple[Known, ...] = (
    # fence_noop passes the plug to `xenha-sim crash PLUG` without `--`: plug=-a reaches it as an option.
    Known("fence_noop", frozenset({"off", "reboot"}), "plug=", "requests-conventions.md #F1"),
    Known("fence_noop", frozenset({"off", "reboot"}), "port=", "requests-conventions.md #F1"),
    # fence_noop writes host names with a lone surrogate (undecodable bytes) to a strict UTF-8 stdout.
    Known(
        "fence_noop", frozenset({"list", "list-status"}), "uncaught UnicodeEncodeError", "requests-conventions.md #F2"
    ),
    # ocf.run prints an exit reason as long as the agent made it; O2cbCluster's quote a whole bad value.
    Known("O2cbCluster", None, "exit reason of ", "requests-conventions.md #C1"),
)


def excused(agent: str, action: str, found: list[str]) -> tuple[list[str], list[str]]:
    """(violations left, requests that excused the others)."""
    left, requests = [], []
    for line in found:
        match = next(
            (
                k
                for k in KNOWN
                if k.agent == agent and (k.actions is None or action in k.actions) and line.startswith(k.violation)
            ),
            None,
        )
        if match is None:
            left.append(line)
        else:
            requests.append(match.request)
    return left, requests
