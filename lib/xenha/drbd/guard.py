# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The DRBD guard: find a domU's DRBD disks, read their state, and decide whether a start or migration is safe.

A guest whose disks live on DRBD must never run on two nodes at once. DRBD itself stops a second Primary, except
when `allow-two-primaries` is set, which live migration needs; then only the cluster manager and this guard stand
between a plain `xl create` on one node and a guest that still runs on the other. The guard answers one of three
verdicts: SAFE, REFUSE (with the reason) or UNDETERMINED (with the reason; the state could not be read).

It assumes the disks are promoted on demand: by the block-drbd hotplug script (`drbd:res` disks) or by a DRBD
resource promoted only where the guest runs. With permanent dual-primary (a promotable clone with promoted-max=2),
a Primary peer says nothing about where the guest runs, and the guard must be turned off.

Sources of state, chosen to fork as little as possible:
- DRBD 8.x: /proc/drbd (no fork). Minors are read from the disk spec (`phy:/dev/drbdN`), from the udev link
  /dev/drbd/by-res/RES[/VOL] (a readlink, no fork), and only when neither works from `drbdadm sh-dev RES`.
- DRBD 9 (/proc/drbd prints a 9.x version): one `drbdsetup status --json` for every resource.
"""

from __future__ import annotations

import os

from xenha.drbd.marks import split_brain_marks
from xenha.drbd.model import ConnState, DiskState, DrbdVolume, Role, device_minor
from xenha.errors import NotInstalled, ParseError, XenhaError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Final, Literal, Protocol

    from xenha.run import Deadline, Runner

    VerdictName = Literal["safe", "refuse", "undetermined"]
else:
    Protocol = object  # DrbdBacked is a typing.Protocol for mypy and a plain class at run time

__all__ = [
    "DrbdBacked",
    "DrbdDisk",
    "GuardRefused",
    "GuardResult",
    "Observed",
    "Verdict",
    "VerdictName",
    "check_migrate",
    "check_start",
    "decide_migrate",
    "decide_start",
    "drbd_disks",
    "observe",
    "peer_label",
    "verdict_from",
]

# The udev rules shipped with drbd-utils (drbd.rules) link /dev/drbd/by-res/RES (8.3) or /dev/drbd/by-res/RES/VOL
# (8.4, 9) to /dev/drbdN.
_BY_RES = "/dev/drbd/by-res"


class GuardRefused(XenhaError):
    """Raised by callers when the guard refuses, or cannot establish, that a start or migration is safe."""


class Verdict:
    """What the guard concluded."""

    SAFE: Final = "safe"
    REFUSE: Final = "refuse"
    UNDETERMINED: Final = "undetermined"


@record
class DrbdDisk:
    """One guest disk backed by DRBD: a resource (and volume) name, a minor, or both once resolved."""

    resource: str | None
    volume: int | None = None
    minor: int | None = None

    @property
    def label(self) -> str:
        """How messages name the disk: `drbd r0`, `drbd r0/1`, `drbd minor 3`."""
        if self.resource is None:
            return f"drbd minor {self.minor}"
        return f"drbd {self.resource}" + ("" if self.volume is None else f"/{self.volume}")


@record
class Observed:
    """What was found for one disk: the volumes seen from this node (one per peer), or why nothing was found."""

    disk: DrbdDisk
    volumes: tuple[DrbdVolume, ...] = ()
    problem: str | None = None


@record
class GuardResult:
    """The verdict, the reasons behind it (first is the one to report), and what was observed."""

    verdict: VerdictName
    reasons: tuple[str, ...] = ()
    observed: tuple[Observed, ...] = ()

    @property
    def is_safe(self) -> bool:
        return self.verdict == Verdict.SAFE

    @property
    def reason(self) -> str:
        """One line for an exit reason: the first reason, and how many more there are."""
        if not self.reasons:
            return "DRBD state is safe" if self.is_safe else "DRBD state undetermined"
        more = len(self.reasons) - 1
        return self.reasons[0] + (f" (and {more} more)" if more else "")


_SAFE = GuardResult(Verdict.SAFE)


def verdict_from(refusals: Sequence[str], waits: Sequence[str], observed: Sequence[Observed]) -> GuardResult:
    """REFUSE when anything refuses (its reasons first), else UNDETERMINED when anything is unsettled, else SAFE."""
    if refusals:
        return GuardResult(Verdict.REFUSE, (*refusals, *waits), tuple(observed))
    if waits:
        return GuardResult(Verdict.UNDETERMINED, tuple(waits), tuple(observed))
    return GuardResult(Verdict.SAFE, (), tuple(observed))


# ---------------------------------------------------------------------------------------------------------------------
# Which disks (pure)


class DrbdBacked(Protocol):
    """The part of xenha.xen.listing.DiskSpec the guard reads."""

    @property
    def drbd_resource(self) -> str | None: ...

    @property
    def drbd_volume(self) -> int | None: ...

    @property
    def drbd_minor(self) -> int | None: ...


def drbd_disks(specs: Iterable[DrbdBacked]) -> tuple[DrbdDisk, ...]:
    """The DRBD-backed disks among a domU's disk specs, without duplicates, in config order."""
    seen: list[DrbdDisk] = []
    for spec in specs:
        resource, minor = spec.drbd_resource, spec.drbd_minor
        if resource is None and minor is None:
            continue
        disk = DrbdDisk(resource=resource, volume=spec.drbd_volume, minor=minor)
        if disk not in seen:
            seen.append(disk)
    return tuple(seen)


# ---------------------------------------------------------------------------------------------------------------------
# Decisions (pure)


def peer_label(peer: str | None) -> str:
    """How reasons name a peer: by its connection name (DRBD 9), else "the peer"."""
    return "the peer" if peer is None else f"peer {peer}"


def _split_brain_refusal(item: Observed, marks: Mapping[str, tuple[int, ...]], where: str) -> str | None:
    """Why a disk under an unresolved split-brain (marked by DrbdDualPrimary) must not be used `where`, or None."""
    minors = {v.minor for v in item.volumes if v.minor is not None}
    if item.disk.minor is not None:
        minors.add(item.disk.minor)
    resources = {v.resource for v in item.volumes if v.resource is not None}
    if item.disk.resource is not None:
        resources.add(item.disk.resource)
    for resource, marked in marks.items():
        if resource in resources or minors.intersection(marked):
            return (
                f"{item.disk.label}: unresolved split-brain of {resource}; {where} could run the guest on the other "
                "side's data"
            )
    return None


def decide_start(
    observed: Sequence[Observed], *, incoming: bool, split_brain: Mapping[str, tuple[int, ...]] | None = None
) -> GuardResult:
    """Whether the guest may be created here: every disk UpToDate here and no peer holding it Primary alone.

    A peer that is Primary while this node is Secondary holds the data: the guest may be running there, so the
    start is refused (unless a migration into this node is under way). When both nodes are Primary (a
    dual-primary resource promoted on both by the cluster, the pattern for live migration), DRBD's state cannot
    say where the guest runs; exclusivity is then the cluster manager's job and the start is allowed.
    A peer that is not connected (role Unknown) does not block a start: that is how a guest comes back on the
    survivor after its node died; DRBD's own fencing outdates the data of a node that could still be Primary.
    A resource under an unresolved split-brain (`split_brain`, resource -> minors, see drbdmarks) refuses: the
    two sides hold different data, and the guest's newest writes may be on the other one.
    """
    refusals: list[str] = []
    unknown: list[str] = []
    for item in observed:
        label = item.disk.label
        if item.problem is not None:
            unknown.append(f"{label}: {item.problem}")
            continue
        crossing = _split_brain_refusal(item, split_brain or {}, "starting here")
        if crossing is not None:
            refusals.append(crossing)
            continue
        if not item.volumes:
            refusals.append(f"{label}: not configured on this node")
            continue
        local = item.volumes[0]
        if local.cstate == ConnState.UNCONFIGURED:
            refusals.append(f"{label}: not configured on this node (Unconfigured)")
            continue
        if not local.is_uptodate:
            refusals.append(f"{label}: local data is {local.disk}, not UpToDate")
            continue
        for volume in item.volumes:
            if volume.is_peer_primary and not incoming and not volume.is_primary:
                refusals.append(
                    f"{label}: Primary on {peer_label(volume.peer)} and no migration to this node is under way; "
                    "the guest may be running there"
                )
                break
    return verdict_from(refusals, unknown, observed)


def decide_migrate(
    observed: Sequence[Observed], *, target: str, split_brain: Mapping[str, tuple[int, ...]] | None = None
) -> GuardResult:
    """Whether `target` can take over the disks live: connected, and Primary there already or promotable.

    Promotable means the target's copy is UpToDate and the link is up (connected or resyncing from here), so that
    block-drbd (or the promotable clone) can make it Primary while this node still is: dual-primary, which the
    resource must allow. With several peers (DRBD 9) the connection named after the target is the one that counts.
    Never across an unresolved split-brain (`split_brain`): the target's copy is not this guest's data.
    """
    refusals: list[str] = []
    unknown: list[str] = []
    for item in observed:
        label = item.disk.label
        if item.problem is not None:
            unknown.append(f"{label}: {item.problem}")
            continue
        crossing = _split_brain_refusal(item, split_brain or {}, f"migrating to {target}")
        if crossing is not None:
            refusals.append(crossing)
            continue
        named = [v for v in item.volumes if v.peer == target]
        candidates = named or [v for v in item.volumes if v.peer is None]
        if not item.volumes or item.volumes[0].cstate == ConnState.UNCONFIGURED:
            refusals.append(f"{label}: not configured on this node")
            continue
        if not candidates:
            unknown.append(f"{label}: no connection to {target}")
            continue
        volume = candidates[0]
        if volume.is_peer_primary:
            continue
        if not volume.is_connected:
            refusals.append(f"{label}: not connected to {target} ({volume.cstate}); it cannot take the disk")
        elif volume.peer_disk != DiskState.UPTODATE:
            shown = "unknown" if volume.peer_disk is None else volume.peer_disk
            refusals.append(f"{label}: data on {target} is {shown}, not UpToDate")
        elif volume.peer_role not in (Role.SECONDARY, Role.PRIMARY):
            refusals.append(f"{label}: role on {target} is unknown")
    return verdict_from(refusals, unknown, observed)


# ---------------------------------------------------------------------------------------------------------------------
# Reading the state (I/O)


def _minor_from_link(disk: DrbdDisk, realpath: Callable[[str], str]) -> tuple[int, ...] | None:
    """The minor behind /dev/drbd/by-res/RES[/VOL] when udev made the link; None when it is absent."""
    if disk.resource is None:
        return None
    link = f"{_BY_RES}/{disk.resource}" + ("" if disk.volume is None else f"/{disk.volume}")
    minor = device_minor(realpath(link))
    return None if minor is None else (minor,)


def _sh_dev(disk: DrbdDisk, run: Runner, deadline: Deadline) -> tuple[tuple[int, ...] | None, str | None]:
    """The minors of a resource from `drbdadm sh-dev` (one fork): (minors, None) or (None, problem)."""
    from xenha.drbd.adm import parse_sh_dev

    assert disk.resource is not None
    try:
        result = run(["drbdadm", "sh-dev", disk.resource], deadline)
    except NotInstalled:
        return None, "drbdadm is not installed, cannot map the resource to its minor"
    if result.failed:
        return None, f"cannot map to a minor: {result.fail_reason}"
    try:
        minors = parse_sh_dev(result.stdout, disk.resource)
    except ParseError as exc:
        return None, exc.reason
    if disk.volume is not None:
        if disk.volume >= len(minors):
            return None, f"resource has no volume {disk.volume}"
        return (minors[disk.volume],), None
    return minors, None


def _observe_84(
    disks: Sequence[DrbdDisk], volumes: Sequence[DrbdVolume], run: Runner, deadline: Deadline,
    realpath: Callable[[str], str],
) -> tuple[Observed, ...]:  # fmt: skip
    by_minor = {v.minor: v for v in volumes}
    out: list[Observed] = []
    for disk in disks:
        minors: tuple[int, ...] | None = None if disk.minor is None else (disk.minor,)
        problem = None
        if minors is None:
            minors = _minor_from_link(disk, realpath)
        if minors is None:
            minors, problem = _sh_dev(disk, run, deadline)
        if minors is None:
            out.append(Observed(disk, (), problem))
            continue
        for minor in minors:
            resolved = DrbdDisk(disk.resource, disk.volume if len(minors) == 1 else minors.index(minor), minor)
            seen = by_minor.get(minor)
            out.append(Observed(resolved, () if seen is None else (seen,)))
    return tuple(out)


def _observe_9(disks: Sequence[DrbdDisk], run: Runner, deadline: Deadline) -> tuple[Observed, ...]:
    from xenha.drbd.status9 import parse_status_json, volumes

    try:
        result = run(["drbdsetup", "status", "--json"], deadline)
    except NotInstalled:
        return tuple(Observed(d, (), "drbdsetup is not installed") for d in disks)
    if result.failed:
        return tuple(Observed(d, (), f"drbdsetup status: {result.fail_reason}") for d in disks)
    try:
        seen = volumes(parse_status_json(result.stdout))
    except ParseError as exc:
        return tuple(Observed(d, (), exc.reason) for d in disks)
    out: list[Observed] = []
    for disk in disks:
        if disk.minor is not None:
            mine = tuple(v for v in seen if v.minor == disk.minor)
        else:
            mine = tuple(
                v for v in seen if v.resource == disk.resource and (disk.volume is None or v.volume == disk.volume)
            )
        groups: dict[tuple[str | None, int | None], list[DrbdVolume]] = {}
        for volume in mine:
            groups.setdefault((volume.resource, volume.volume), []).append(volume)
        if not groups:
            out.append(Observed(disk, ()))
        for (resource, number), group in groups.items():
            out.append(Observed(DrbdDisk(resource, number, group[0].minor), tuple(group)))
    return tuple(out)


def observe(
    disks: Sequence[DrbdDisk],
    *,
    run: Runner,
    deadline: Deadline,
    proc_drbd: str = "/proc/drbd",
    realpath: Callable[[str], str] = os.path.realpath,
) -> tuple[Observed, ...]:
    """Read the state of `disks`: /proc/drbd, then a link, `drbdadm sh-dev` or `drbdsetup status` as needed.

    Never raises for an unreadable state: each disk then carries the problem (DRBD not loaded, unknown resource,
    unparsable output), which the decisions turn into UNDETERMINED.
    """
    if not disks:
        return ()
    from xenha.drbd.proc import read_proc_drbd

    try:
        proc = read_proc_drbd(proc_drbd)
    except OSError as exc:
        why = "DRBD is not loaded" if isinstance(exc, FileNotFoundError) else f"cannot read it: {exc.strerror}"
        return tuple(Observed(d, (), f"{proc_drbd}: {why}") for d in disks)
    except ParseError as exc:
        return tuple(Observed(d, (), exc.reason) for d in disks)
    if proc.is_drbd9:
        return _observe_9(disks, run, deadline)
    return _observe_84(disks, proc.volumes(), run, deadline, realpath)


def check_start(
    disks: Sequence[DrbdDisk], *, incoming: bool, run: Runner, deadline: Deadline, proc_drbd: str = "/proc/drbd",
    realpath: Callable[[str], str] = os.path.realpath, run_dir: str = "/run/xenha",
) -> GuardResult:  # fmt: skip
    """observe + decide_start (with the split-brain marks under `run_dir`); SAFE at once for a guest without DRBD."""
    if not disks:
        return _SAFE
    found = observe(disks, run=run, deadline=deadline, proc_drbd=proc_drbd, realpath=realpath)
    return decide_start(found, incoming=incoming, split_brain=split_brain_marks(run_dir))


def check_migrate(
    disks: Sequence[DrbdDisk], *, target: str, run: Runner, deadline: Deadline, proc_drbd: str = "/proc/drbd",
    realpath: Callable[[str], str] = os.path.realpath, run_dir: str = "/run/xenha",
) -> GuardResult:  # fmt: skip
    """observe + decide_migrate (with the split-brain marks under `run_dir`); SAFE at once for a guest without DRBD."""
    if not disks:
        return _SAFE
    found = observe(disks, run=run, deadline=deadline, proc_drbd=proc_drbd, realpath=realpath)
    return decide_migrate(found, target=target, split_brain=split_brain_marks(run_dir))
