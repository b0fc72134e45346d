# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha-lab faults`: the fault matrix. Each fault runs on a fresh 2-node cluster with the demo's configuration.

For every fault (and every agent set: xenha's, and with --peers ocf:linbit:drbd + ocf:heartbeat:Xen) the runner
brings the demo's cluster up (DRBD r0/r1 promoted on ha1 and ha2, web1 on ha1, web2 on ha2), starts two samplers
(the world every 0.25 s, crm_mon every second, both judged by faultcheck.Tracker), injects the fault through the
lab's public methods and world transactions, then waits up to the fault's time limit for the expected end state
and holds it a few seconds more. The lab is always taken down afterwards.

A fault is data: an id, one line saying what it does, an `inject(run)` function of a few lines over `FaultRun`,
the expected end state (faultcheck.Expect) and a time limit counted from the fault's last action. Adding one is
adding an entry to FAULTS.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree

from xenha_sim import drbdsim, xensim
from xenha_sim.demo import GUESTS, PEERS, XENHA, Agents, Scenario
from xenha_sim.faultcheck import CrmView, Expect, Sample, Tracker, sample_world
from xenha_sim.lab import Lab, LabError
from xenha_sim.world import State

__all__ = [
    "AGENT_SETS",
    "EXIT_HELP",
    "FAULTS",
    "Fault",
    "FaultResult",
    "FaultRun",
    "InjectFailed",
    "describe_sample",
    "exit_status",
    "fence_events",
    "faults_command",
    "render_list",
    "render_report",
    "run_fault",
    "select_faults",
]

GUEST_DISKS = {guest: res for guest, (res, _minor, _home) in GUESTS.items()}  # web1: r0, web2: r1
AGENT_SETS: dict[str, Agents] = {"xenha": XENHA, "peers": PEERS}
AGENT_LABELS = {"xenha": "xenha", "peers": "peers (ocf:linbit:drbd + ocf:heartbeat:Xen)"}
SAMPLE_S = 0.25  # the world sampler's period: the invariants every 0.5 s at least, downtime to a quarter second
HOLD_S = 5.0  # how long the recovered state must hold before a fault's run ends
EXIT_HELP = """\
exit status: 0 when every fault was safe; 1 when a safety invariant was violated or a fault could not be run
as designed; 2 on a usage error. A fault that stayed safe but did not recover within its time limit (or
recovered slowly, or with downtime) is a finding shown in the report, not a failure of the command."""


class InjectFailed(Exception):
    """A fault could not be injected as designed (a step it waits for never happened)."""


# -- what a fault may do ---------------------------------------------------------------------------------------


class FaultRun:
    """The actions available to a fault's `inject`: the lab's public methods, world transactions and waits.

    Every action is written to `timeline` with its time since the fault began.
    """

    def __init__(
        self, lab: Lab, scenario: Scenario, tracker: Tracker, t0: float, *, fence_log: Path, fence_offset: int
    ) -> None:
        self.lab = lab
        self.scenario = scenario
        self.tracker = tracker
        self.t0 = t0
        self.fence_log = fence_log
        self.fence_offset = fence_offset
        self.timeline: list[str] = []

    def t(self) -> float:
        return time.monotonic() - self.t0

    def note(self, text: str) -> None:
        self.timeline.append(f"{self.t():+6.1f}s {text}")

    # -- nodes and networks --------------------------------------------------------------------------------------
    def kill(self, node: str) -> None:
        self.note(f"kill {node} (every process SIGKILLed, its guests vanish)")
        self.lab.kill(node)

    def start(self, node: str) -> None:
        """Boot `node`; a node fenced but still running (fencing that only marks the world) is killed first."""
        if self.lab.supervisor_pid(node) is not None:
            self.lab.kill(node)
        self.note(f"start {node}")
        self.lab.start(node)

    def cut_link(self, a: str, b: str) -> None:
        self.note(f"cut every link {a}-{b} (cluster network and replication)")
        self.lab.cut_link(a, b)

    def heal(self) -> None:
        self.note("heal every link")
        self.lab.heal()

    def kill_daemon(self, node: str, program: str) -> None:
        """SIGKILL the processes of `node` whose program (argv[0]'s base name) is `program`."""
        pids = []
        for pid in self.lab.node_pids(self.lab.config(), node):
            try:
                argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
            except OSError:
                continue
            if os.path.basename(argv0) == program:
                pids.append(pid)
        if not pids:
            raise InjectFailed(f"{node}: no {program} process")
        self.note(f"kill -9 {program} on {node} (pid {', '.join(map(str, pids))})")
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # -- the world -----------------------------------------------------------------------------------------------
    def world(self, text: str, change: Callable[[State], object]) -> None:
        """Change the simulated world in one transaction (a fault of the simulator: xensim, drbdsim)."""
        self.note(text)
        with self.lab.world.transaction() as state:
            change(state)

    def write(self, node: str, res: str, *, kib: int | None = None) -> None:
        """A write to `res` on `node` (drbdsim.write_io); the generation written is one the data must keep."""
        self.note(f"write {f'{kib // 1024} MiB' if kib else 'to'} {res} on {node}")
        with self.lab.world.transaction() as state:
            drbdsim.write_io(state, node, res, kib=kib)
            history = state["drbd"]["md"][node][res]["0"]["gen"]
        self.tracker.note_write(res, history, self.t())

    # -- pacemaker -----------------------------------------------------------------------------------------------
    def crm(self, *argv: str, node: str | None = None) -> None:
        """Run `crm ARGV` on a node that is up (ha1 first); InjectFailed when it fails."""
        where = node or next(n for n in ("ha1", "ha2") if self.lab.supervisor_pid(n) is not None)
        self.note(f"crm {' '.join(argv)}")
        proc = self.lab.exec(where, ["crm", *argv], timeout=60, capture=True)
        if proc.returncode != 0:
            raise InjectFailed(f"crm {' '.join(argv)}: {(proc.stderr or proc.stdout).strip()[-200:]}")

    def dc(self) -> str:
        """The designated controller, from crm_mon's XML."""
        view = CrmView.parse(self.lab.crm_mon_xml())
        if view.dc is None:
            raise InjectFailed("no DC")
        return view.dc

    def fence_count(self, node: str) -> int:
        """How many fencing requests fence_noop recorded against `node` since this fault began."""
        return sum(1 for _action, target in self.fenced() if target == node)

    def fenced(self) -> list[tuple[str, str]]:
        try:
            with self.fence_log.open("rb") as handle:
                handle.seek(self.fence_offset)
                text = handle.read().decode(errors="replace")
        except FileNotFoundError:
            return []
        return fence_events(text)

    # -- waiting -------------------------------------------------------------------------------------------------
    def wait(self, what: str, check: Callable[[], object], timeout: float) -> None:
        """Poll `check` until it is true; InjectFailed after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if check():
                    self.note(f"{what}: reached")
                    return
            except (LabError, ElementTree.ParseError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() > deadline:
                raise InjectFailed(f"{what}: not reached in {timeout:.0f}s")
            time.sleep(0.3)

    def sleep(self, seconds: float, why: str) -> None:
        self.note(f"wait {seconds:.0f}s: {why}")
        time.sleep(seconds)

    def migrating(self, guest: str) -> bool:
        return f"{guest}--incoming" in self.scenario.world_guests()

    def resyncing(self, node: str) -> bool:
        sample = self.sample()
        return any(key.split("|")[2] == node for key in sample.syncs)

    def guest_on(self, guest: str, node: str) -> bool:
        return bool(self.scenario.guest_on(guest, node))

    def sample(self) -> Sample:
        return sample_world(self.lab.world.snapshot(), self.t(), GUEST_DISKS)


# -- the registry ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """A named fault: what it does, how it is injected, the expected end state, the time limit to reach it.

    `limit_s` counts from the fault's last action. The run watches for at least `observe_s` after it even when
    the world never leaves the expected state (a hung tool shows only when pacemaker acts on it), and ends once
    the expected state has held for HOLD_S since its last change.
    """

    id: str
    summary: str
    inject: Callable[[FaultRun], None]
    expect: Expect = field(default_factory=Expect)
    limit_s: float = 120.0
    observe_s: float = 30.0


def _mid_migration(victim: str) -> Callable[[FaultRun], None]:
    def inject(r: FaultRun) -> None:
        r.world("migrations take 10 s (512 MiB at 20 s/GiB)", lambda s: xensim.set_config(s, migrate_s_per_gib=20.0))
        r.crm("resource", "move", "web1", "ha2")
        r.wait("web1 migrating to ha2", lambda: r.migrating("web1"), 30)
        r.kill(victim)

    return inject


def _replication_cut(r: FaultRun) -> None:
    r.world("replication link ha1-ha2 cut (the cluster network stays up)", lambda s: drbdsim.cut_link(s, "ha1", "ha2"))


def _replication_heal(r: FaultRun) -> None:
    r.world("replication link ha1-ha2 healed", lambda s: drbdsim.heal_link(s, "ha1", "ha2"))


def _link_cut_dual_primary(r: FaultRun) -> None:
    _replication_cut(r)
    r.sleep(45, "both Primaries keep running apart")
    _replication_heal(r)


def _split_brain(r: FaultRun) -> None:
    _replication_cut(r)
    for node in ("ha1", "ha2"):
        for res in ("r0", "r1"):
            r.write(node, res)
    r.sleep(10, "both sides wrote to r0 and r1")
    _replication_heal(r)


def _hang_drbd_tools(s: State) -> None:
    for tool in ("drbdadm", "drbdsetup"):
        drbdsim.set_hang(s, "ha1", tool, 600)


def _ignores_shutdown(r: FaultRun) -> None:
    r.world("web1 ignores shutdown requests", lambda s: xensim.set_guest_behaviour(s, "web1", ignore_shutdown=True))
    r.crm("resource", "meta", "web1", "set", "allow-migrate", "false")
    r.crm("resource", "move", "web1", "ha2")


def _short_of_memory(r: FaultRun) -> None:
    r.world("ha2: 15000 MiB taken by something else", lambda s: xensim.reserve_memory(s, "ha2", 15000))
    r.crm("resource", "move", "web1", "ha2")


def _migration_fails(r: FaultRun) -> None:
    def change(s: State) -> None:
        xensim.set_config(s, migrate_s_per_gib=10.0)
        xensim.set_migrate_fail_at(s, 0.5)

    r.world("migrations take 5 s and fail half-way", change)
    r.crm("resource", "move", "web1", "ha2")


def _controld_killed(on_dc: bool) -> Callable[[FaultRun], None]:
    def inject(r: FaultRun) -> None:
        dc = r.dc()
        node = dc if on_dc else next(n for n in ("ha1", "ha2") if n != dc)
        r.kill_daemon(node, "pacemaker-controld")

    return inject


def _fail_over(r: FaultRun, node: str) -> None:
    """Kill `node` and wait until it is fenced and both guests run on the other node."""
    other = "ha1" if node == "ha2" else "ha2"
    before = r.fence_count(node)
    r.kill(node)
    r.wait(
        f"{node} fenced, both guests on {other}",
        lambda: r.fence_count(node) > before and r.guest_on("web1", other) and r.guest_on("web2", other),
        120,
    )


def _restarted_during_resync(r: FaultRun) -> None:
    _fail_over(r, "ha2")
    r.world("resync rate 10 MiB/s", lambda s: drbdsim.settings(s).update(resync_kib_s=10240))
    for res in ("r0", "r1"):
        r.write("ha1", res, kib=400 * 1024)
    r.start("ha2")
    r.wait("ha2 resyncing from ha1", lambda: r.resyncing("ha2"), 90)
    r.sleep(5, "resync under way")
    before = r.fence_count("ha2")
    r.kill("ha2")
    r.wait("ha2 fenced", lambda: r.fence_count("ha2") > before, 90)
    r.start("ha2")


def _both_killed_stale_first(r: FaultRun) -> None:
    _fail_over(r, "ha2")
    for res in ("r0", "r1"):
        r.write("ha1", res)
    r.kill("ha1")
    r.start("ha2")
    r.sleep(45, "ha2 alone on stale data: it must not start guests")
    r.start("ha1")


def _full_partition(r: FaultRun) -> None:
    r.cut_link("ha1", "ha2")
    r.sleep(30, "the two nodes cannot see each other")
    r.heal()


FAULTS: tuple[Fault, ...] = (
    Fault("node-killed", "ha2 crashes (all its processes SIGKILLed)", lambda r: r.kill("ha2"), limit_s=90),
    Fault(
        "killed-mid-migration-source",
        "web1 live-migrating ha1->ha2 (10 s), the source ha1 crashes",
        _mid_migration("ha1"),
    ),
    Fault(
        "killed-mid-migration-target",
        "web1 live-migrating ha1->ha2 (10 s), the target ha2 crashes",
        _mid_migration("ha2"),
    ),
    Fault(
        "link-cut-dual-primary",
        "replication link cut for 45 s while both nodes are Primary, then healed",
        _link_cut_dual_primary,
        # Each Primary that loses its peer starts a new data generation (DRBD 8.4 after_state_ch, "lost contact to
        # peer's copy of the data"), so the reconnect finds a split-brain and after-sb-2pri disconnect leaves both
        # StandAlone: the guests must keep running on both sides, and the split-brain must be reported.
        Expect(connected=False),
    ),
    Fault(
        "split-brain",
        "replication link cut, r0 and r1 written on both nodes, healed after 10 s",
        _split_brain,
        Expect(primary={"r0": ("ha1",), "r1": ("ha2",)}, connected=False),
        limit_s=90,
    ),
    Fault(
        "xl-hung",
        "xl on ha1 (web1's node) hangs for 600 s",
        lambda r: r.world("xl on ha1 hangs (600 s)", lambda s: xensim.set_tool_hang(s, "ha1", "xl", 600)),
        limit_s=240,
        observe_s=150,
    ),
    Fault(
        "drbd-tools-hung",
        "drbdadm and drbdsetup on ha1 hang for 600 s",
        lambda r: r.world("drbdadm and drbdsetup on ha1 hang (600 s)", _hang_drbd_tools),
        limit_s=300,
        observe_s=100,
    ),
    Fault(
        "guest-crashed",
        "web1's kernel crashes on ha1 (on_crash=preserve)",
        lambda r: r.world("web1 crashes on ha1", lambda s: xensim.crash_guest(s, "ha1", "web1")),
        limit_s=90,
    ),
    Fault(
        "guest-ignores-shutdown-then-moved",
        "web1 ignores shutdown; allow-migrate=false; crm resource move web1 ha2",
        _ignores_shutdown,
        Expect(placement={"web1": "ha2"}),
        limit_s=150,
    ),
    Fault(
        "target-short-of-memory",
        "ha2 has no memory free for web1; crm resource move web1 ha2",
        _short_of_memory,
        limit_s=150,
    ),
    Fault(
        "migration-fails-midway",
        "every migration fails half-way; crm resource move web1 ha2",
        _migration_fails,
        limit_s=150,
    ),
    Fault(
        "backing-disk-failed",
        "r0's backing disk fails on ha1 where web1 runs (on-io-error detach: Diskless)",
        lambda r: r.world("r0's backing disk fails on ha1", lambda s: drbdsim.fail_disk(s, "ha1", "r0")),
        Expect(primary={"r0": ("ha2",)}),
    ),
    Fault(
        "corosync-killed",
        "corosync on ha2 is SIGKILLed",
        lambda r: r.kill_daemon("ha2", "corosync"),
        limit_s=150,
    ),
    Fault(
        "controld-killed-dc",
        "pacemaker-controld on the DC is SIGKILLed",
        _controld_killed(on_dc=True),
        limit_s=150,
    ),
    Fault(
        "controld-killed-non-dc",
        "pacemaker-controld on the node that is not DC is SIGKILLed",
        _controld_killed(on_dc=False),
        limit_s=150,
    ),
    Fault(
        "node-restarted-during-resync",
        "ha2 killed, 400 MiB written on ha1, ha2 back and resyncing (10 MiB/s), killed again, started",
        _restarted_during_resync,
        limit_s=180,
    ),
    Fault(
        "both-killed-stale-first",
        "ha2 killed, ha1 writes, ha1 killed, ha2 started alone for 45 s, then ha1",
        _both_killed_stale_first,
        limit_s=180,
    ),
    Fault(
        "full-partition",
        "both networks between ha1 and ha2 cut for 30 s, then healed",
        _full_partition,
        limit_s=150,
    ),
)


def select_faults(only: str | None, registry: Sequence[Fault] = FAULTS) -> list[Fault]:
    """The faults named in a comma-separated list (registry order), or all; ValueError names unknown ids."""
    if not only:
        return list(registry)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    known = {f.id for f in registry}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(unknown)} (known: {', '.join(f.id for f in registry)})")
    return [f for f in registry if f.id in wanted]


# -- results -----------------------------------------------------------------------------------------------------


@dataclass
class FaultResult:
    """One fault with one agent set: safety, recovery, downtime and what pacemaker reported."""

    fault: str
    agents: str
    safe: bool | None = None
    recovered: bool = False
    recovery_s: float | None = None
    downtime_s: dict[str, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)
    fenced: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    end_state: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    bringup_s: float = 0.0
    duration_s: float = 0.0
    error: str = ""


_FENCE_LINE = re.compile(r"action=(\S+) target=(\S+)")


def fence_events(text: str) -> list[tuple[str, str]]:
    """(action, target) of every request in fence_noop's log text."""
    return [(m.group(1), m.group(2)) for m in _FENCE_LINE.finditer(text)]


def describe_sample(sample: Sample, guests: Mapping[str, str]) -> list[str]:
    """The world at the end, one short line per guest and per DRBD resource."""
    lines = []
    for guest in sorted(guests):
        insts = sample.guests.get(guest, ())
        shown = ", ".join(f"{i.node} ({i.run}{'' if i.role == 'normal' else ' ' + i.role})" for i in insts)
        lines.append(f"{guest}: {shown or 'nowhere'}")
    for res in sorted(set(guests.values())):
        parts = []
        for node, rep in sorted(sample.drbd.get(res, {}).items()):
            link = " StandAlone" if rep.standalone else " connecting"
            if rep.peers:
                link = f" connected to {', '.join(rep.peers)}"
            parts.append(f"{node} {rep.role}/{rep.disk}{link}")
        down = sorted(set(sample.md_gen.get(res, {})) - set(sample.drbd.get(res, {})))
        parts.extend(f"{node} down" for node in down)
        lines.append(f"{res}: {'; '.join(parts)}")
    return lines


# -- running -----------------------------------------------------------------------------------------------------


class _Samplers:
    """Two threads: the world every SAMPLE_S, crm_mon every second (on a node that is up in the world)."""

    def __init__(self, lab: Lab, tracker: Tracker, t0: float) -> None:
        self.lab = lab
        self.tracker = tracker
        self.t0 = t0
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(target=self._world_loop, daemon=True),
            threading.Thread(target=self._crm_loop, daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def _world_loop(self) -> None:
        while not self.tracker.aborted:
            t, wall = self.now(), time.time()
            try:
                sample = sample_world(self.lab.world.snapshot(now=wall), t, GUEST_DISKS, wall=wall)
            except xensim.SplitBrain as exc:
                sample = Sample(t=t, alive=frozenset(), error=str(exc))
            except Exception:  # noqa: BLE001 -- a read racing the lab's teardown; the next tick retries
                sample = None
            if sample is not None:
                self.tracker.observe(sample)
            if self.stop_event.wait(max(0.05, SAMPLE_S - (self.now() - t))):
                return

    def _crm_loop(self) -> None:
        while True:
            t = self.now()
            view = self.crm_view()
            if view is not None:
                self.tracker.observe_crm(view, t)
            if self.stop_event.wait(max(0.05, 1.0 - (self.now() - t))):
                return

    def crm_view(self) -> CrmView | None:
        last = self.tracker.last
        alive = sorted(last.alive) if last is not None else []
        candidates: list[str | None] = [n for n in alive if self.lab.supervisor_pid(n) is not None]
        for node in candidates or [None]:
            try:
                return CrmView.parse(self.lab.crm_mon_xml(node))
            except (LabError, ElementTree.ParseError, subprocess.TimeoutExpired):
                continue
        return None


def _allow_two(lab: Lab) -> dict[str, bool]:
    from xenha_sim.drbdconf import load_conf

    conf = load_conf(str(lab.dir / "drbd.conf"))
    return {r.name: r.net_option("allow-two-primaries", "no") not in ("no", "false") for r in conf.resources}


def run_fault(
    lab: Lab,
    agents_key: str,
    fault: Fault,
    *,
    prefix: str = "xlab",
    echo: Callable[[str], None] | None = None,
    hold_s: float = HOLD_S,
) -> FaultResult:
    """Run one fault on a fresh cluster with one agent set; the lab is torn down before returning."""
    say = echo or (lambda _text: None)
    agents = AGENT_SETS[agents_key]
    result = FaultResult(fault=fault.id, agents=agents_key)
    scenario = Scenario(lab, agents, prefix=prefix)
    started = time.monotonic()
    samplers: _Samplers | None = None
    try:
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                scenario.bring_up()
        except Exception as exc:  # noqa: BLE001 -- StepFailed, LabError or worse: reported, the matrix goes on
            result.error = f"bring-up failed: {exc}; {' | '.join(buf.getvalue().strip().splitlines()[-3:])}"
            return result
        result.bringup_s = round(time.monotonic() - started, 1)
        say(f"cluster up in {result.bringup_s:.1f}s")
        tracker = Tracker(GUEST_DISKS, fault.expect, allow_two=_allow_two(lab))
        fence_log = lab.dir / "fence_noop.log"
        offset = fence_log.stat().st_size if fence_log.exists() else 0
        t0 = time.monotonic()
        with contextlib.suppress(LabError, ElementTree.ParseError, subprocess.TimeoutExpired):
            tracker.baseline(CrmView.parse(lab.crm_mon_xml()))
        samplers = _Samplers(lab, tracker, t0)
        samplers.start()
        run = FaultRun(lab, scenario, tracker, t0, fence_log=fence_log, fence_offset=offset)
        try:
            fault.inject(run)
        except (InjectFailed, LabError) as exc:
            result.error = f"inject: {exc}"
        tracker.injected(run.t())
        say(f"injected in {run.t():.1f}s: {fault.summary}")
        _await_recovery(tracker, run, fault, hold_s)
        samplers.stop()
        _fill(result, tracker, run, scenario, fault.limit_s)
    finally:
        if samplers is not None:
            samplers.stop()
        scenario.stop_watch()
        with contextlib.suppress(LabError, OSError, subprocess.SubprocessError):
            lab.down()
        result.duration_s = round(time.monotonic() - started, 1)
    return result


def _await_recovery(tracker: Tracker, run: FaultRun, fault: Fault, hold_s: float) -> None:
    injected = run.t()
    deadline = injected + max(fault.limit_s, fault.observe_s)
    while not tracker.aborted:
        now = run.t()
        since = tracker.recovered_since
        if since is not None and now - since >= hold_s and now - injected >= fault.observe_s:
            return
        if now > deadline and (since is None or since > deadline):
            return
        time.sleep(0.25)


def _fill(result: FaultResult, tracker: Tracker, run: FaultRun, scenario: Scenario, limit_s: float) -> None:
    after = tracker.recovered_after()
    result.recovered = after is not None and after <= limit_s and not tracker.aborted
    result.recovery_s = round(after, 1) if after is not None and result.recovered else None
    result.downtime_s = {g: round(v, 1) for g, v in tracker.downtime.items()}
    result.violations = [str(v) for v in tracker.violations]
    result.violations += [f"watch: {v}" for v in scenario.violations]
    result.safe = not result.violations
    result.failures = [f"{t:+.1f}s {text}" for text, t in tracker.failures.items()]
    result.degraded = [f"{t:+.1f}s {text}" for text, t in tracker.degraded.items()]
    result.fenced = [f"{action} {target}" for action, target in run.fenced()]
    result.discarded = list(tracker.discarded)
    result.gaps = [] if result.recovered else list(tracker.gaps)
    result.end_state = describe_sample(tracker.last, GUEST_DISKS) if tracker.last is not None else []
    result.timeline = list(run.timeline)


# -- the report --------------------------------------------------------------------------------------------------


def cell(result: FaultResult | None) -> str:
    """One result in one table cell: safety, recovery time, downtime per guest."""
    if result is None:
        return "-"
    if result.error and result.safe is None:
        return "ERROR (see below)"
    safe = "safe" if result.safe else "UNSAFE"
    rec = f"rec {result.recovery_s:.1f}s" if result.recovered and result.recovery_s is not None else "NOT recovered"
    down = "/".join(f"{v:.1f}" for _g, v in sorted(result.downtime_s.items()))
    err = " ERR" if result.error else ""
    return f"{safe:6s} {rec:14s} down {down}s{err}"


def render_report(faults: Sequence[Fault], results: Sequence[FaultResult], agent_keys: Sequence[str]) -> str:
    """The side-by-side table, then each fault's details (violations, pacemaker's reports, end state)."""
    by = {(r.fault, r.agents): r for r in results}
    width = max([len(f.id) for f in faults] + [5])
    cols = 42
    guests = "/".join(sorted(GUEST_DISKS))
    lines = [
        f"{'fault':{width}s}  " + "  ".join(f"{AGENT_LABELS.get(k, k)[:cols]:{cols}s}" for k in agent_keys),
        f"{'':{width}s}  " + "  ".join(f"{'safe   recovery       downtime ' + guests:{cols}s}" for _ in agent_keys),
    ]
    for fault in faults:
        lines.append(f"{fault.id:{width}s}  " + "  ".join(f"{cell(by.get((fault.id, k))):{cols}s}" for k in agent_keys))
    for key in agent_keys:
        mine = [r for r in results if r.agents == key]
        safe = sum(1 for r in mine if r.safe)
        rec = sum(1 for r in mine if r.recovered)
        lines.append(f"{AGENT_LABELS.get(key, key)}: {len(mine)} faults, {safe} safe, {rec} recovered in time")
    for fault in faults:
        for key in agent_keys:
            r = by.get((fault.id, key))
            if r is not None:
                lines.append("")
                lines.extend(_details(fault, r))
    return "\n".join(lines) + "\n"


def _details(fault: Fault, r: FaultResult) -> list[str]:
    out = [f"== {fault.id} [{AGENT_LABELS.get(r.agents, r.agents)}]: {fault.summary}"]
    resources = sorted(set(GUEST_DISKS.values()))
    out.append(f"   expected within {fault.limit_s:.0f}s: {fault.expect.describe(resources)}")
    if r.error:
        out.append(f"   error: {r.error}")
    verdict = "yes" if r.safe else "no" if r.safe is not None else "unknown"
    out.append(f"   safe: {verdict}")
    out.extend(f"     {v}" for v in r.violations)
    if r.recovered:
        when = f"{r.recovery_s:.1f}s after the last action"
        if r.recovery_s == 0:
            when = "in the expected state at the fault's last action and after it"
        out.append(f"   recovered: yes, {when}")
    else:
        out.append("   recovered: no" + (f" ({'; '.join(r.gaps)})" if r.gaps else ""))
    out.append("   downtime: " + ", ".join(f"{g} {v:.1f}s" for g, v in sorted(r.downtime_s.items())))
    sections: Iterable[tuple[str, list[str]]] = (
        ("fault", r.timeline),
        ("fenced", r.fenced),
        ("pacemaker failed actions", r.failures),
        ("pacemaker degraded", r.degraded),
        ("discarded", r.discarded),
        ("end", r.end_state),
    )
    for title, items in sections:
        if items:
            out.append(f"   {title}:")
            out.extend(f"     {item}" for item in items)
    return out


def render_list(faults: Sequence[Fault]) -> str:
    """The registry: id, time limit, what the fault does and the expected end state."""
    resources = sorted(set(GUEST_DISKS.values()))
    lines = []
    for f in faults:
        lines.append(f"{f.id:36s} {f.limit_s:4.0f}s  {f.summary} (watched for {f.observe_s:.0f}s at least)")
        lines.append(f"{'':36s}        expect: {f.expect.describe(resources)}")
    return "\n".join(lines) + "\n"


def exit_status(results: Sequence[FaultResult]) -> int:
    """0 when every fault ran and was safe; 1 otherwise (a missed recovery alone is not a failure)."""
    return 0 if all(r.safe and not r.error for r in results) else 1


def faults_command(
    lab: Lab,
    *,
    peers: bool = False,
    only: str | None = None,
    json_file: str | None = None,
    list_only: bool = False,
    prefix: str = "xlab",
    out: TextIO | None = None,
) -> int:
    """`xenha-lab faults`: run the selected faults (for xenha, and the peers with --peers) and print the report."""
    stream = out or sys.stdout
    try:
        faults = select_faults(only)
    except ValueError as exc:
        print(f"xenha-lab faults: {exc}", file=sys.stderr)
        return 2
    if list_only:
        stream.write(render_list(faults))
        return 0
    keys = ["xenha", "peers"] if peers else ["xenha"]
    results: list[FaultResult] = []
    begun = time.time()
    for fault in faults:
        for key in keys:

            def echo(text: str, fid: str = fault.id, k: str = key) -> None:
                print(f"[{k}] {fid}: {text}", file=stream, flush=True)

            echo("starting")
            result = run_fault(lab, key, fault, prefix=prefix, echo=echo)
            results.append(result)
            echo(cell(result) + (f" -- {result.error}" if result.error else ""))
    stream.write("\n" + render_report(faults, results, keys))
    status = exit_status(results)
    if json_file:
        doc = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(begun)),
            "duration_s": round(time.time() - begun, 1),
            "agents": {k: AGENT_LABELS[k] for k in keys},
            "faults": [
                {
                    "id": f.id,
                    "summary": f.summary,
                    "expect": f.expect.describe(sorted(set(GUEST_DISKS.values()))),
                    "limit_s": f.limit_s,
                }
                for f in faults
            ],
            "results": [asdict(r) for r in results],
            "exit_status": status,
        }
        Path(json_file).write_text(json.dumps(doc, indent=1) + "\n")
    return status
