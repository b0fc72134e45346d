# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a listed domain means for the programs that manage it: Health, assess, the stop plan (hot).

Shared by XenDomainHA (whose monitor imports this), the boot guard and the heartbeat v1 script, so it lives here and
not in an agent module. Imports only xenha.record and xenha.xen.listing.
"""

from __future__ import annotations

from xenha.record import record
from xenha.xen.listing import DomainState, MigrationRole, ShutdownReason, Toolstack

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Final, Literal

    from xenha.xen.listing import Domain, DomainStateName

    HealthName = Literal["absent", "running", "paused", "migrating", "crashed", "shut down", "dying"]

__all__ = ["Health", "StopStep", "assess", "failure_text", "stop_plan"]


class Health:
    """What one `xl list` row means for the resource (str constants; HealthName is their Literal type)."""

    ABSENT: Final = "absent"
    RUNNING: Final = "running"
    PAUSED: Final = "paused"
    MIGRATING: Final = "migrating"
    CRASHED: Final = "crashed"
    SHUT_DOWN: Final = "shut down"
    DYING: Final = "dying"
    ALL: Final = (ABSENT, RUNNING, PAUSED, MIGRATING, CRASHED, SHUT_DOWN, DYING)


# Total over DomainState: running and blocked are both a running guest (blocked = waiting for an event).
_HEALTH_OF_STATE: dict[DomainStateName, HealthName] = {
    DomainState.RUNNING: Health.RUNNING,
    DomainState.BLOCKED: Health.RUNNING,
    DomainState.PAUSED: Health.PAUSED,
    DomainState.MIGRATING: Health.MIGRATING,
    DomainState.CRASHED: Health.CRASHED,
    DomainState.SHUTDOWN: Health.SHUT_DOWN,
    DomainState.DYING: Health.DYING,
}


def assess(domain: Domain | None) -> HealthName:
    """Classify a listed domain (None: not listed). A domain xend knows but has not started (no id) is ABSENT."""
    if domain is None or not domain.is_active:
        return Health.ABSENT
    return _HEALTH_OF_STATE[domain.state]


def failure_text(domain: Domain, health: HealthName) -> str:
    """`crashed (flags ---sc-)`, `shut down (reboot) but still present (flags ---sr-)` ... for exit reasons."""
    if health == Health.SHUT_DOWN:
        reason = domain.shutdown_reason
        detail = "" if reason is None or reason == ShutdownReason.POWEROFF else f" ({reason})"
        return f"shut down{detail} but still present (flags {domain.flags})"
    return f"{health} (flags {domain.flags})"


@record
class StopStep:
    """One domain stop acts on: its listed name, and whether it gets a clean shutdown before destroy."""

    name: str
    clean: bool
    unpause: bool = False


_STOP_ORDER = {None: 0, MigrationRole.OUTGOING: 1, MigrationRole.INCOMING: 2}


def stop_plan(domains: Sequence[Domain], name: str) -> tuple[StopStep, ...]:
    """The domains that make up `name` here, in the order stop handles them.

    A running domain under its own name (or xend's `migrating-NAME`, which is still running while xend copies it)
    gets a clean shutdown first; a paused one is unpaused so it can act on the request. xl's `NAME--migratedaway`
    (suspended, its memory sent) and `NAME--incoming` (not yet started) are destroyed at once, as is anything shut
    down, crashed or dying.
    """
    steps: list[tuple[int, StopStep]] = []
    for domain in domains:
        if domain.name is None or domain.base_name != name or not domain.is_active:
            continue
        role = domain.migration_role
        health = assess(domain)
        paused = domain.flags is not None and domain.flags[2] == "p"
        clean_candidate = role is None or (role == MigrationRole.OUTGOING and domain.toolstack == Toolstack.XM)
        clean = clean_candidate and health in (Health.RUNNING, Health.PAUSED, Health.MIGRATING)
        steps.append((_STOP_ORDER[role], StopStep(domain.name, clean, unpause=clean and paused)))
    return tuple(step for _, step in sorted(steps, key=lambda pair: pair[0]))
