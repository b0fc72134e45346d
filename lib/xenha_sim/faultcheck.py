# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fault matrix's judge: samples of the simulated world and of pacemaker, safety invariants, recovery.

Everything here is pure (no lab, no processes): `sample_world` turns a world state into a `Sample`, `CrmView.parse`
reads `crm_mon --output-as=xml`, and a `Tracker` fed with both over time keeps what the matrix reports:

  safety (a `Violation` each, first occurrence only)
    two-nodes      a guest live (running, paused or suspended, not a migration's incoming copy) on two nodes
    two-primaries  a DRBD resource Primary on two nodes without allow-two-primaries (the kernel's net options
                   while connected, drbd.conf's while not)
    stale-data     a node Primary, or UpToDate after a resync, on data older than what a guest wrote: its current
                   data generation is an ancestor of a written one, or it branched off such an ancestor after the
                   newer generation was written (DRBD's UUIDs: the world's md `gen` lists)
    unsafe-start   a guest started (or arrived by migration) on a node with no reachable UpToDate, current copy of
                   its disk
    simulator      the simulator itself refused a second live instance (xensim.SplitBrain)
  downtime per guest: the sampled seconds during which it was running on no node
  recovery: every guest running exactly once (world and pacemaker agree) and every DRBD resource Primary,
            UpToDate and connected where the fault's `Expect` wants it (by default on every surviving node)
  what pacemaker said: failed actions with their exit reasons, and degraded states (offline/unclean nodes,
            failed/blocked resources, stopped guests, clones not promoted everywhere)

Generations a guest "wrote" are the current generation of every Primary a running guest sits on (or, for a
Diskless Primary, of the connected peer holding its data), plus whatever the fault writes itself (`note_write`).
A generation that no node holds any more is reported as `discarded` (a split brain's losing side), not as unsafe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

__all__ = [
    "CrmFailure",
    "CrmView",
    "Expect",
    "Instance",
    "Replica",
    "Sample",
    "Tracker",
    "Violation",
    "recovery_gaps",
    "sample_world",
]

VOLUME = "0"  # the demo's resources have one volume each
GEN_HISTORY = 8  # generations drbdsim keeps per volume (its _GEN_HISTORY)
_LIVE_RUN = ("running", "paused", "suspended")
_COUNTED_ROLES = ("normal", "migrating")
_GOOD_DISK = ("UpToDate", "Consistent", "Outdated")
NO_CRM = "no answer from crm_mon"


# -- the world ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instance:
    """One domain of a guest on one node: its domid, `run` and `role` as xensim keeps them."""

    node: str
    domid: int
    run: str
    role: str
    started: float = 0.0  # world (wall-clock) time it was created or arrived
    suspended_s: float | None = None  # arrived by live migration: seconds it was suspended in the final phase

    @property
    def is_live(self) -> bool:
        """Counted by the single-instance rule: running, paused or suspended, and not a migration's copy."""
        return self.run in _LIVE_RUN and self.role in _COUNTED_ROLES

    @property
    def is_running(self) -> bool:
        """Serving: running and not the source of a migration in its last phase."""
        return self.run == "running" and self.role in _COUNTED_ROLES


@dataclass(frozen=True, slots=True)
class Replica:
    """One DRBD resource on one live node: role, disk, data generations (current last), established peers."""

    role: str
    disk: str
    gen: tuple[int, ...]
    peers: tuple[str, ...] = ()
    two_primaries: bool | None = None  # the kernel's allow-two-primaries towards its peers; None: no net config
    standalone: bool = False  # no net config towards any peer (never connected, or dropped after split brain)

    @property
    def current(self) -> int:
        return self.gen[-1] if self.gen else 0


@dataclass(frozen=True, slots=True)
class Sample:
    """The world at one moment: live nodes, guests' domains, DRBD replicas, on-disk generations, resyncs."""

    t: float
    alive: frozenset[str]
    wall: float = 0.0  # the world's clock (time.time()) when taken, to place instances' `started` on `t`
    guests: Mapping[str, tuple[Instance, ...]] = field(default_factory=dict)
    drbd: Mapping[str, Mapping[str, Replica]] = field(default_factory=dict)
    md_gen: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=dict)
    syncs: tuple[str, ...] = ()
    error: str = ""

    def running(self, guest: str) -> list[str]:
        return sorted(i.node for i in self.guests.get(guest, ()) if i.is_running)

    def live(self, guest: str) -> list[str]:
        return sorted({i.node for i in self.guests.get(guest, ()) if i.is_live})

    def replica(self, res: str, node: str) -> Replica | None:
        return self.drbd.get(res, {}).get(node)


def sample_world(
    state: dict[str, Any], t: float, guests: Mapping[str, str], *, wall: float = 0.0, error: str = ""
) -> Sample:
    """Read a world state (xenha_sim.world layout) into a Sample; `guests` maps each guest to its DRBD resource."""
    from xenha_sim import drbdsim

    nodes: Mapping[str, Mapping[str, Any]] = state.get("nodes", {})
    alive = frozenset(n for n, rec in nodes.items() if rec.get("alive"))
    found: dict[str, list[Instance]] = {g: [] for g in guests}
    xen: Mapping[str, Any] = state.get("xen", {})
    arrivals = {
        (m["dst"], int(m["dst_domid"])): float(m["end"]) - float(m["attach_at"])
        for m in xen.get("migrations", {}).values()
        if m.get("result") == "ok"
    }
    hosts: Mapping[str, Any] = xen.get("hosts", {})
    for node, host in hosts.items():
        if node not in alive:
            continue
        for rec in host.get("domains", {}).values():
            base = rec.get("base")
            if base in found:
                domid = int(rec["domid"])
                started = float(rec.get("started") or 0.0)
                inst = Instance(node, domid, str(rec["run"]), str(rec["role"]), started, arrivals.get((node, domid)))
                found[base].append(inst)
    drbd: Mapping[str, Any] = state.get("drbd", {})
    md: Mapping[str, Mapping[str, Any]] = drbd.get("md", {})
    replicas: dict[str, dict[str, Replica]] = {}
    md_gen: dict[str, dict[str, tuple[int, ...]]] = {}
    for res in sorted(set(guests.values())):
        md_gen[res] = {n: tuple(int(g) for g in md[n][res][VOLUME]["gen"]) for n in md if VOLUME in md[n].get(res, {})}
        replicas[res] = {}
        for node in sorted(alive):
            kres = drbdsim.kernel_res(state, node, res)
            if kres is None:
                continue
            peers = kres.get("peers", {})
            allows = [_allows_two(p.get("net")) for p in peers.values() if p.get("net") is not None]
            replicas[res][node] = Replica(
                role=str(kres["role"]),
                disk=drbdsim.disk_state(state, node, res, VOLUME),
                gen=md_gen[res].get(node, ()),
                peers=tuple(sorted(p for p, rec in peers.items() if rec.get("established"))),
                two_primaries=all(allows) if allows else None,
                standalone=not allows,
            )
    syncs = tuple(sorted(drbd.get("syncs", {})))
    return Sample(
        t=t,
        alive=alive,
        wall=wall,
        guests={g: tuple(v) for g, v in found.items()},
        drbd=replicas,
        md_gen=md_gen,
        syncs=syncs,
        error=error,
    )


def _allows_two(net: Sequence[Sequence[str]] | None) -> bool:
    for key, value in net or ():
        if key == "allow-two-primaries":
            return value not in ("no", "false", "0")
    return False


# -- pacemaker ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrmFailure:
    """One failed action as crm_mon lists it: `web1_monitor_10000 on ha1: error (1): <exit reason>`."""

    op: str
    node: str
    status: str
    code: str
    reason: str

    def __str__(self) -> str:
        text = f"{self.op} on {self.node}: {self.status}"
        if self.code:
            text += f" ({self.code})"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass(frozen=True, slots=True)
class CrmInstance:
    """A resource (or clone instance) where pacemaker places it; `node` is empty for a stopped instance."""

    rsc: str
    role: str
    node: str
    failed: bool = False
    blocked: bool = False
    managed: bool = True


@dataclass(frozen=True, slots=True)
class CrmView:
    """What `crm_mon -1 --output-as=xml` says: DC, quorum, node states, resource placement, failed actions."""

    dc: str | None
    quorum: bool
    nodes: Mapping[str, frozenset[str]]
    instances: tuple[CrmInstance, ...]
    failures: tuple[CrmFailure, ...]

    @classmethod
    def parse(cls, text: str) -> CrmView:
        """Parse crm_mon's XML; raise ElementTree.ParseError when it is not XML."""
        doc = ElementTree.fromstring(text)
        dc_el = doc.find("summary/current_dc")
        dc = dc_el.get("name") if dc_el is not None and dc_el.get("present") == "true" else None
        quorum = dc_el is not None and dc_el.get("with_quorum") == "true"
        nodes: dict[str, frozenset[str]] = {}
        for el in doc.findall("nodes/node"):
            flags = {k for k in ("online", "standby", "maintenance", "pending", "unclean", "shutdown") if _true(el, k)}
            nodes[el.get("name", "")] = frozenset(flags)
        instances: list[CrmInstance] = []
        for el in doc.iter("resource"):
            placed = [n.get("name", "") for n in el.findall("node")] or [""]
            for node in placed:
                instances.append(
                    CrmInstance(
                        rsc=el.get("id", ""),
                        role=el.get("role", ""),
                        node=node,
                        failed=_true(el, "failed"),
                        blocked=_true(el, "blocked"),
                        managed=el.get("managed", "true") == "true",
                    )
                )
        failures = tuple(
            CrmFailure(
                op=el.get("op_key", el.get("id", "")),
                node=el.get("node", ""),
                status=el.get("exitstatus", ""),
                code=el.get("exitcode", ""),
                reason=el.get("exitreason", ""),
            )
            for el in doc.iter("failure")
        )
        return cls(dc=dc, quorum=quorum, nodes=nodes, instances=tuple(instances), failures=failures)

    def online(self) -> set[str]:
        return {n for n, flags in self.nodes.items() if "online" in flags}

    def placed(self, rsc: str, role: str) -> list[str]:
        return sorted(i.node for i in self.instances if i.rsc == rsc and i.role == role and i.node)

    def degraded(self, guests: Iterable[str], clones: Iterable[str]) -> list[str]:
        """Short statements of everything not as it should be (an empty list for a healthy cluster)."""
        out: list[str] = []
        if self.dc is None:
            out.append("no DC")
        elif not self.quorum:
            out.append("no quorum")
        for node, flags in sorted(self.nodes.items()):
            bad = sorted(flags - {"online"})
            if "online" not in flags:
                out.append(f"node {node} offline" + (f" ({', '.join(bad)})" if bad else ""))
            elif bad:
                out.append(f"node {node} {', '.join(bad)}")
        for inst in self.instances:
            where = f" on {inst.node}" if inst.node else ""
            if inst.failed:
                out.append(f"{inst.rsc} failed{where}")
            if inst.blocked:
                out.append(f"{inst.rsc} blocked{where}")
            if not inst.managed:
                out.append(f"{inst.rsc} unmanaged{where}")
        for guest in guests:
            started = self.placed(guest, "Started")
            if not started:
                out.append(f"{guest} not started")
            elif len(started) > 1:
                out.append(f"{guest} started on {' and '.join(started)}")
        online = self.online()
        for rsc in clones:
            promoted = set(self.placed(rsc, "Promoted"))
            for node in sorted(online - promoted):
                out.append(f"{rsc} not promoted on {node}")
        return out


def _true(el: ElementTree.Element, key: str) -> bool:
    return el.get(key) == "true"


# -- expectations and recovery -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expect:
    """A fault's expected end state: where each DRBD resource is Primary+UpToDate (default: every surviving node),
    whether those Primaries must be connected, and where guests must run (default: anywhere, exactly once)."""

    primary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    connected: bool = True
    placement: Mapping[str, str] = field(default_factory=dict)

    def primaries(self, res: str, alive: Iterable[str]) -> list[str]:
        return sorted(self.primary[res]) if res in self.primary else sorted(alive)

    def describe(self, resources: Sequence[str]) -> str:
        parts = []
        default = [r for r in resources if r not in self.primary]
        link = "/connected" if self.connected else ""
        if default:
            parts.append(f"{', '.join(default)} Primary/UpToDate{link} on every surviving node")
        for res, nodes in sorted(self.primary.items()):
            parts.append(f"{res} Primary/UpToDate{link if len(nodes) > 1 else ''} on {', '.join(nodes)}")
        if self.placement:
            parts.append(", ".join(f"{g} on {n}" for g, n in sorted(self.placement.items())))
        parts.append("every guest running once")
        return "; ".join(parts)


def recovery_gaps(sample: Sample, crm: CrmView | None, expect: Expect, guests: Mapping[str, str]) -> list[str]:
    """What still differs from the expected end state (an empty list: recovered), in the world and in pacemaker.

    Besides `expect`, a recovered guest runs on a node with a local UpToDate copy of its disk (not over the
    network from a Diskless Primary), and pacemaker shows none of the guests and DRBD clones failed or blocked.
    """
    gaps: list[str] = []
    if sample.error:
        return [sample.error]
    if not sample.alive:
        return ["no node is up"]
    for guest in sorted(guests):
        running = sample.running(guest)
        if len(running) != 1:
            gaps.append(f"{guest} running on {' and '.join(running) or 'no node'}")
        elif guest in expect.placement and running != [expect.placement[guest]]:
            gaps.append(f"{guest} on {running[0]}, not {expect.placement[guest]}")
        for node in running:
            rep = sample.replica(guests[guest], node)
            if rep is None or rep.disk != "UpToDate":
                gaps.append(f"{guest} on {node} without a local UpToDate {guests[guest]}")
        if crm is not None and crm.placed(guest, "Started") != running:
            gaps.append(f"pacemaker: {guest} started on {' and '.join(crm.placed(guest, 'Started')) or 'no node'}")
    for res in sorted(set(guests.values())):
        want = expect.primaries(res, sample.alive)
        for node in want:
            rep = sample.replica(res, node)
            if rep is None:
                gaps.append(f"{res} not up on {node}")
                continue
            if rep.role != "Primary" or rep.disk != "UpToDate":
                gaps.append(f"{res} {rep.role}/{rep.disk} on {node}")
            unconnected = [p for p in want if p != node and p not in rep.peers]
            if expect.connected and unconnected:
                gaps.append(f"{res} on {node} not connected to {', '.join(unconnected)}")
        if crm is not None:
            missing = [n for n in want if n not in crm.placed(f"drbd-{res}", "Promoted")]
            if missing:
                gaps.append(f"pacemaker: drbd-{res} not promoted on {', '.join(missing)}")
    if crm is None:
        gaps.append(NO_CRM)
    else:
        ours = set(guests) | {f"drbd-{res}" for res in guests.values()}
        for inst in crm.instances:
            if inst.rsc in ours and (inst.failed or inst.blocked):
                where = f" on {inst.node}" if inst.node else ""
                gaps.append(f"pacemaker: {inst.rsc} {'blocked' if inst.blocked else 'failed'}{where}")
    return gaps


# -- the tracker -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """A safety invariant broken at `t` seconds after the fault began."""

    t: float
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.t:+.1f}s {self.kind}: {self.text}"


@dataclass(slots=True)
class _Commit:
    t: float
    history: tuple[int, ...]


class Tracker:
    """Folds samples of the world and of pacemaker into violations, downtime, recovery and pacemaker's reports.

    Thread-safe: a world sampler and a crm_mon sampler feed it while the fault runs in another thread.
    """

    def __init__(
        self,
        guests: Mapping[str, str],
        expect: Expect,
        *,
        allow_two: Mapping[str, bool] | None = None,
        slack_s: float = 1.0,
    ) -> None:
        self.guests = dict(guests)
        self.resources = sorted(set(guests.values()))
        self.expect = expect
        self.allow_two = dict(allow_two or {})
        self.slack_s = slack_s
        self.violations: list[Violation] = []
        self.downtime: dict[str, float] = {g: 0.0 for g in guests}
        self.committed: dict[str, dict[int, _Commit]] = {r: {} for r in self.resources}
        self.discarded: list[str] = []
        self.failures: dict[str, float] = {}
        self.degraded: dict[str, float] = {}
        self.baseline_failures: set[str] = set()
        self.gaps: list[str] = ["not evaluated yet"]
        self.injected_at: float | None = None
        self.recovered_since: float | None = None
        self.left_expected = False
        self.aborted = False
        self.last: Sample | None = None
        self.crm: CrmView | None = None
        self.crm_t: float | None = None
        self._first_seen: dict[tuple[str, int], float] = {}
        self._keys: set[tuple[str, str]] = set()
        self._instances: set[tuple[str, str, int]] = set()
        self._lost: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    # -- inputs --------------------------------------------------------------------------------------------------
    def baseline(self, crm: CrmView) -> None:
        """Failed actions already listed before the fault are not the fault's."""
        with self._lock:
            self.baseline_failures = {str(f) for f in crm.failures}

    def injected(self, t: float) -> None:
        """The fault's last action happened at `t`: from now on recovery is looked for."""
        with self._lock:
            self.injected_at = t

    def note_write(self, res: str, history: Sequence[int], t: float) -> None:
        """Someone wrote to `res` and its data generation is now history[-1]."""
        with self._lock:
            self._commit(res, tuple(history), t)

    def observe_crm(self, view: CrmView, t: float) -> None:
        with self._lock:
            self.crm, self.crm_t = view, t
            for failure in view.failures:
                text = str(failure)
                if text not in self.baseline_failures:
                    self.failures.setdefault(text, t)
            for text in view.degraded(sorted(self.guests), [f"drbd-{r}" for r in self.resources]):
                self.degraded.setdefault(text, t)

    def observe(self, sample: Sample, *, crm_max_age: float = 3.0) -> None:
        """Check one world sample against every invariant, count downtime, and look for recovery."""
        with self._lock:
            self._observe(sample, crm_max_age)

    # -- evaluation ------------------------------------------------------------------------------------------------
    def _violate(self, t: float, kind: str, key: str, text: str) -> None:
        if (kind, key) in self._keys:
            return
        self._keys.add((kind, key))
        self.violations.append(Violation(t, kind, text))

    def _commit(self, res: str, history: tuple[int, ...], t: float) -> None:
        if history and history[-1] not in self.committed.setdefault(res, {}):
            self.committed[res][history[-1]] = _Commit(t, history)

    def _observe(self, s: Sample, crm_max_age: float) -> None:
        prev = self.last
        self.last = s
        if s.error:
            self._violate(s.t, "simulator", s.error, s.error)
            self.aborted = True
            self.gaps = [s.error]
            self.recovered_since = None
            return
        dt = s.t - prev.t if prev is not None else 0.0
        for guest in self.guests:
            self.downtime[guest] += self._down_between(guest, prev, s, dt)
            live = s.live(guest)
            if len(live) > 1:
                self._violate(s.t, "two-nodes", guest, f"{guest} live on {' and '.join(live)}")
        for res in self.resources:
            for rep in s.drbd.get(res, {}).values():
                self._first_seen.setdefault((res, rep.current), s.t)
        self._check_two_primaries(s)
        self._record_commits(s)
        self._check_generations(s, prev)
        self._check_starts(s)
        self._check_lost(s)
        fresh = self.crm_t is not None and s.t - self.crm_t <= crm_max_age
        if fresh and self.injected_at is not None and self.crm_t is not None and self.crm_t < self.injected_at:
            fresh = False  # pacemaker's view from before the fault's last action says nothing about recovery
        crm = self.crm if fresh else None
        self.gaps = recovery_gaps(s, crm, self.expect, self.guests)
        if self.injected_at is None or s.t < self.injected_at:
            return
        if any(gap != NO_CRM for gap in self.gaps):
            self.left_expected = True
        if self.gaps:
            self.recovered_since = None
        elif self.recovered_since is None:
            self.recovered_since = s.t

    def _down_between(self, guest: str, prev: Sample | None, s: Sample, dt: float) -> float:
        """Seconds since the previous sample during which `guest` ran nowhere (sampled; corrected by the start
        times of new instances and by a live migration's exact final phase)."""
        if not s.running(guest):
            return dt
        if prev is None or not s.wall:
            return 0.0
        now = [i for i in s.guests[guest] if i.is_running]
        before = {(i.node, i.domid) for i in prev.guests.get(guest, ()) if i.is_running}
        if any((i.node, i.domid) in before for i in now):
            return 0.0  # the same instance ran throughout
        newest = max(now, key=lambda i: i.started)
        if before and newest.suspended_s is not None:
            return min(dt, newest.suspended_s)  # migrated: down only while suspended in the final phase
        # back since the new instance started; if an old one was still running at the previous sample, it ended
        # at some point after it, so this is an upper bound within one sampling period
        return min(dt, max(0.0, newest.started - (s.wall - s.t) - prev.t))

    def _check_two_primaries(self, s: Sample) -> None:
        for res in self.resources:
            primaries = sorted(n for n, r in s.drbd.get(res, {}).items() if r.role == "Primary")
            if len(primaries) < 2:
                continue
            for node in primaries:
                rep = s.drbd[res][node]
                allowed = rep.two_primaries if rep.two_primaries is not None else self.allow_two.get(res, False)
                if not allowed:
                    self._violate(
                        s.t,
                        "two-primaries",
                        res,
                        f"{res} Primary on {' and '.join(primaries)} without allow-two-primaries on {node}",
                    )
                    break

    def _data_gens(self, s: Sample, res: str, node: str) -> list[tuple[int, ...]]:
        """The generations a guest on `node` reads and writes: the local disk's, or the connected UpToDate peers'."""
        rep = s.replica(res, node)
        if rep is None:
            return []
        if rep.disk == "UpToDate":
            return [rep.gen]
        found = []
        for peer in rep.peers:
            other = s.replica(res, peer)
            if other is not None and other.disk == "UpToDate":
                found.append(other.gen)
        return found

    def _record_commits(self, s: Sample) -> None:
        for guest, res in self.guests.items():
            for node in s.running(guest):
                rep = s.replica(res, node)
                if rep is None or rep.role != "Primary":
                    continue
                for history in self._data_gens(s, res, node):
                    self._commit(res, history, s.t)

    def _stale(self, res: str, gen: tuple[int, ...]) -> tuple[int, str] | None:
        """A written generation this data lacks although it is not a parallel branch: (generation, how)."""
        if not gen:
            return None
        cur = gen[-1]
        own_since = self._first_seen.get((res, cur))
        for written, commit in sorted(self.committed.get(res, {}).items()):
            if written in gen:
                continue
            if cur in commit.history[:-1]:
                return written, "an ancestor"
            common = [g for g in gen if g in commit.history]
            branched_after = own_since is not None and own_since > commit.t + self.slack_s
            if common and branched_after:
                return written, f"a branch from {common[-1]} started after it"
        return None

    def _check_generations(self, s: Sample, prev: Sample | None) -> None:
        for res in self.resources:
            for node, rep in s.drbd.get(res, {}).items():
                if rep.disk not in _GOOD_DISK:
                    continue
                was = prev.replica(res, node) if prev is not None else None
                resynced = was is not None and was.disk in ("Inconsistent", "Diskless") and rep.disk == "UpToDate"
                if rep.role != "Primary" and not resynced:
                    continue
                stale = self._stale(res, rep.gen)
                if stale is None:
                    continue
                written, how = stale
                state = "Primary" if rep.role == "Primary" else "UpToDate after a resync"
                self._violate(
                    s.t,
                    "stale-data",
                    f"{res}|{node}|{rep.current}",
                    f"{res} {state} on {node} with generation {rep.current}, {how} of generation {written} "
                    "that a guest wrote",
                )

    def _check_starts(self, s: Sample) -> None:
        now: set[tuple[str, str, int]] = set()
        for guest, res in self.guests.items():
            for inst in s.guests.get(guest, ()):
                if not inst.is_running:
                    continue
                key = (guest, inst.node, inst.domid)
                now.add(key)
                if key in self._instances:
                    continue
                data = self._data_gens(s, res, inst.node)
                good = [h for h in data if self._stale(res, h) is None]
                if not good:
                    rep = s.replica(res, inst.node)
                    what = f"{rep.role}/{rep.disk}" if rep else "not up"
                    why = "stale" if data else "no UpToDate copy reachable"
                    self._violate(
                        s.t,
                        "unsafe-start",
                        f"{guest}|{inst.node}|{inst.domid}",
                        f"{guest} started on {inst.node} with {res} {what} ({why})",
                    )
        self._instances = now

    def _check_lost(self, s: Sample) -> None:
        for res in self.resources:
            held = s.md_gen.get(res, {})
            if any(len(hist) >= GEN_HISTORY for hist in held.values()):
                continue  # a full history may have dropped the generation off its far end: cannot tell
            for written in self.committed.get(res, {}):
                if (res, written) in self._lost:
                    continue
                if not any(written in hist for hist in held.values()):
                    self._lost.add((res, written))
                    self.discarded.append(f"{s.t:+.1f}s {res} generation {written} (written by a guest) discarded")

    # -- results -----------------------------------------------------------------------------------------------------
    def recovered_after(self) -> float | None:
        """Seconds from the fault's last action to the recovered state it stayed in (0.0 when the world never left
        it after that action), or None."""
        with self._lock:
            if self.recovered_since is None or self.injected_at is None:
                return None
            return self.recovered_since - self.injected_at if self.left_expected else 0.0
