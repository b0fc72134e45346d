# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha-lab demo`: the common Xen+DRBD dual-primary pattern on a 2-node lab, step by step with a timeline.

Each step acts, then waits until both the simulated world and pacemaker's own view (crm_mon) agree that the
step is done, and fails the demo (exit 1) when they do not within the step's time limit. Throughout, a watcher
checks the world ten times a second: no guest may ever be live on two nodes.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from xenha_sim import xensim
from xenha_sim.lab import Lab, LabConfig, LabError

__all__ = ["Scenario", "run_demo"]

GUESTS = {"web1": ("r0", 0, "ha1"), "web2": ("r1", 1, "ha2")}  # guest: (DRBD resource, minor, home node)


class StepFailed(Exception):
    """A demo step did not reach its expected state in time."""


@dataclass
class Step:
    name: str
    started: float
    ended: float = 0.0
    ok: bool = False
    detail: str = ""


@dataclass
class Timeline:
    """What happened, when, and how long each phase took."""

    origin: float = field(default_factory=time.monotonic)
    steps: list[Step] = field(default_factory=list)

    def begin(self, name: str) -> Step:
        step = Step(name, time.monotonic())
        self.steps.append(step)
        print(f"[{step.started - self.origin:7.1f}s] {name} ...", flush=True)
        return step

    def end(self, step: Step, *, ok: bool, detail: str = "") -> None:
        step.ended, step.ok, step.detail = time.monotonic(), ok, detail
        verdict = "ok" if ok else "FAILED"
        took = step.ended - step.started
        print(
            f"[{step.ended - self.origin:7.1f}s]   {verdict} in {took:.1f}s{': ' + detail if detail else ''}",
            flush=True,
        )

    def report(self, title: str) -> str:
        lines = [f"timeline: {title}"]
        for step in self.steps:
            mark = "ok" if step.ok else "FAILED"
            lines.append(
                f"  {step.started - self.origin:7.1f}s  {step.ended - step.started:6.1f}s  {mark:6s}  {step.name}"
            )
        return "\n".join(lines)


def drbd_conf(lab_dir: Path, cfg: LabConfig) -> str:
    """Two dual-primary resources, one per guest disk, as an admin writes them."""
    blocks = []
    for guest, (res, minor, _home) in sorted(GUESTS.items()):
        hosts = "".join(f"  on {n} {{\n    address {cfg.address(n)}:{7788 + minor};\n  }}\n" for n in cfg.nodes)
        blocks.append(
            f"# disk of {guest}\nresource {res} {{\n  protocol C;\n  device /dev/drbd{minor};\n"
            f"  disk /dev/vg0/{guest};\n  meta-disk internal;\n"
            "  net {\n    allow-two-primaries;\n    fencing resource-and-stonith;\n"
            "    after-sb-0pri discard-zero-changes;\n"
            "    after-sb-1pri discard-secondary;\n    after-sb-2pri disconnect;\n  }\n"
            # the README's DRBD fencing (the simulator runs no handler: fencing is fence_noop's)
            '  handlers {\n    fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh";\n'
            '    unfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh";\n  }\n'
            "  startup {\n    become-primary-on both;\n  }\n"
            f"{hosts}}}\n"
        )
    return "\n".join(blocks)


def domu_conf(guest: str) -> str:
    res, minor, _home = GUESTS[guest]
    # web1 uses the device node, web2 Xen's block-drbd script: the two ways admins write DRBD disks.
    disk = f"phy:/dev/drbd{minor},xvda,w" if minor == 0 else f"drbd:{res},xvda,w"
    return f"name = \"{guest}\"\nmemory = 512\nvcpus = 1\ndisk = [ '{disk}' ]\nvif = [ 'bridge=xenbr0' ]\n"


@dataclass(frozen=True)
class Agents:
    """Which agents the scenario runs: xenha's, or the peers' (ocf:linbit:drbd, ocf:heartbeat:Xen)."""

    drbd: str
    xen: str
    label: str

    def drbd_params(self, res: str, conf: str) -> str:
        return f"drbd_resource={res} drbdconf={conf}"  # both agents name them alike

    def xen_params(self, guest: str, conf: str) -> str:
        if self.xen.startswith("ocf:xenha"):
            return f'config={conf} migration_address="ha1=ha1X ha2=ha2X"'
        return f"xmfile={conf} name={guest}"


XENHA = Agents("ocf:xenha:DrbdDualPrimary", "ocf:xenha:XenDomainHA", "xenha")
PEERS = Agents("ocf:linbit:drbd", "ocf:heartbeat:Xen", "peers (ocf:linbit:drbd + ocf:heartbeat:Xen)")


# The README's cluster configuration, byte for byte (tests/unit/test_readme_config.py holds them equal).
CLUSTER_CRM = Path(__file__).with_name("cluster.crm")


def crm_statements(text: str) -> list[tuple[list[str], str]]:
    """crmsh text as (comment lines before it, statement with its continuation lines joined) pairs."""
    found: list[tuple[list[str], str]] = []
    comments: list[str] = []
    pending: list[str] = []
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            comments.append(line)
            continue
        pending.append(line.strip().removesuffix("\\").strip())
        if not line.rstrip().endswith("\\"):
            found.append((comments, " ".join(pending)))
            comments, pending = [], []
    return found


def crm_config(lab_dir: Path, cfg: LabConfig, agents: Agents, text: str | None = None) -> str:
    """The README's configuration (`CLUSTER_CRM`) with the lab's substitutions, in crmsh syntax.

    The substitutions, and nothing else:
    1. Fencing: every statement whose id starts with `fence-` (the README's fence_ipmilan devices and their
       locations), with the comment lines just before it, gives way to one fence_noop device for all nodes, whose
       sim_world powers a lab node off for real and whose log_file the demo reads.
    2. Paths: `config=/etc/xen/` becomes the lab directory's `xen/`, and each `drbd_resource=R` gains
       `drbdconf=` the lab's drbd.conf (the README relies on the default /etc/drbd.conf).
    3. With the peers' agents (PEERS), ocf:linbit:drbd and ocf:heartbeat:Xen replace xenha's, and XenDomainHA's
       `config=FILE migration_address="..."` becomes `xmfile=FILE name=GUEST` (Xen has no migration_address: it
       migrates to the node name, which the simulator also answers to).
    Node names (ha1, ha2), guests, priorities, operation timeouts and properties are the README's.

    Why priority-fencing-delay (issue 11): two_node makes each half of a partitioned 2-node cluster quorate, so each
    fences the other. With fence_noop's real power-off in the lab, whichever schedules its fence first wins: usually
    the DC, whatever it runs, and in a close race both nodes die (seen without a delay). A node that has lost the
    majority delays its fence of the peer whose running resources have the highest total `priority` (pacemaker
    2.1.5 node_priority_fencing_delay), so the node running the more important guests fences first and survives.
    The guests get distinct priorities (web1 2, web2 1; the DRBD clones 0 add nothing), so the totals only tie when
    no guest runs anywhere (then there is no delay). pcmk_delay_max picks the survivor at random, still lets both
    die when the two random delays fall within one fence's run time, and slows every failover. 10 s is several
    times what the winner needs in the lab (about 5 s from the cut to the loser's death); the price is that when
    the node with the top priority really dies, its fence waits those 10 s.
    """
    from xenha_sim.lab import FENCE_LOG

    hosts = ",".join(cfg.nodes)
    fence = (
        f'primitive fence-noop stonith:fence_noop params hosts="{hosts}" sim_world="{lab_dir / "world"}" '
        f'log_file="{lab_dir / FENCE_LOG}" op monitor interval=60s'
    )
    out: list[str] = []
    for comments, statement in crm_statements(CLUSTER_CRM.read_text() if text is None else text):
        words = statement.split()
        if len(words) > 1 and words[1].startswith("fence-"):
            if fence:
                out.append(fence)
                fence = ""
            continue
        out += comments
        out.append(_lab_statement(statement, words, lab_dir, agents))
    return "\n".join(out) + "\n"


def _lab_statement(statement: str, words: list[str], lab_dir: Path, agents: Agents) -> str:
    """One statement with the lab's paths (and the peers' agents): substitutions 2 and 3 of crm_config."""
    conf = str(lab_dir / "drbd.conf")
    text = statement.replace("config=/etc/xen/", f"config={lab_dir / 'xen'}/")
    for res in sorted({res for res, _minor, _home in GUESTS.values()}):
        text = text.replace(f"drbd_resource={res} ", f"{agents.drbd_params(res, conf)} ")
    if agents is not XENHA:
        text = text.replace(XENHA.drbd, agents.drbd).replace(XENHA.xen, agents.xen)
        if words[0] == "primitive" and words[1] in GUESTS:
            xen_conf = str(lab_dir / "xen" / f"{words[1]}.cfg")
            old = f'config={xen_conf} migration_address="ha1=ha1X ha2=ha2X"'
            text = text.replace(old, agents.xen_params(words[1], xen_conf))
    return text


class Scenario:
    """The demo's steps over one lab; `run()` returns the timeline and whether every step passed."""

    def __init__(
        self,
        lab: Lab,
        agents: Agents,
        *,
        token_ms: int = 2000,
        prefix: str = "xlab",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.lab = lab
        self.extra_env = dict(extra_env or {})  # added to every node's environment (PCMK_logfile, HA_VARLIB, ...)
        self.prefix = prefix
        self.agents = agents
        self.token_ms = token_ms
        self.timeline = Timeline()
        self.violations: list[str] = []
        self._stop_watch = threading.Event()
        self.figures: dict[str, float] = {}

    # -- views ------------------------------------------------------------------------------------------------
    def world_guests(self) -> dict[str, list[str]]:
        """guest -> nodes where it is live under its own name (running, blocked or paused)."""
        state = self.lab.world.snapshot()
        now = time.time()
        found: dict[str, list[str]] = {}
        for node, rec in state["nodes"].items():
            if not rec.get("alive"):
                continue
            for dom in xensim.list_domains(state, node, now):
                if dom.domid != 0:
                    found.setdefault(dom.name, []).append(node)
        return found

    def world_drbd_roles(self, res: str) -> dict[str, str]:
        from xenha_sim import drbdsim

        state = self.lab.world.snapshot()
        return {n: drbdsim.role_of(state, n, res) for n, rec in state["nodes"].items() if rec.get("alive")}

    def crm_resources(self) -> dict[str, list[tuple[str, str]]]:
        """resource id -> [(node, role)] as pacemaker sees it."""
        doc = ElementTree.fromstring(self.lab.crm_mon_xml())
        found: dict[str, list[tuple[str, str]]] = {}
        for rsc in doc.iter("resource"):
            for node in rsc.iter("node"):
                found.setdefault(rsc.get("id", ""), []).append((node.get("name", ""), rsc.get("role", "")))
        return found

    # -- machinery --------------------------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop_watch.wait(0.1):
            try:
                for guest, nodes in self.world_guests().items():
                    if guest in GUESTS and len(nodes) > 1:
                        self.violations.append(f"{time.monotonic() - self.timeline.origin:.1f}s: {guest} on {nodes}")
            except xensim.SplitBrain as exc:
                self.violations.append(str(exc))
            except Exception:  # noqa: BLE001 -- a world read racing a writer is retried at the next tick
                continue

    def step(self, name: str, action: Callable[[], object], check: Callable[[], str | None], timeout: float) -> float:
        """Act, then wait until `check` returns a detail string (done) within `timeout`; return the seconds."""
        step = self.timeline.begin(name)
        done = action()
        if isinstance(done, subprocess.CompletedProcess) and done.returncode != 0:
            why = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            self.timeline.end(step, ok=False, detail=f"{' '.join(map(str, done.args[-5:]))}: {why[0]}")
            raise StepFailed(name)
        deadline = time.monotonic() + timeout
        last_error = ""
        while True:
            try:
                detail = check()
            except (LabError, ElementTree.ParseError) as exc:
                detail, last_error = None, str(exc)
            if detail is not None:
                self.timeline.end(step, ok=True, detail=detail)
                return step.ended - step.started
            if time.monotonic() > deadline:
                self.timeline.end(step, ok=False, detail=f"not reached in {timeout:.0f}s {last_error}".strip())
                raise StepFailed(name)
            time.sleep(0.3)

    # -- the scenario -----------------------------------------------------------------------------------------
    def setup(self) -> None:
        cfg = LabConfig(nodes=["ha1", "ha2"], token_ms=self.token_ms, prefix=self.prefix)
        cfg.extra_env.update(self.extra_env)
        if self.agents is PEERS:
            # ocf:linbit:drbd tests `-f /proc/drbd` and `-b /dev/drbdN` itself; the shim answers from the world.
            cfg.extra_env["BASH_ENV"] = str(Path(__file__).with_name("ocf_drbd_shim.bash"))
        step = self.timeline.begin("cluster up: 2 nodes, corosync + pacemaker in network namespaces")
        cfg = self.lab.up(2, config=cfg)
        self.timeline.end(step, ok=True, detail="ha1 ha2 online")
        lab_dir = self.lab.dir
        (lab_dir / "xen").mkdir(exist_ok=True)
        (lab_dir / "drbd.conf").write_text(drbd_conf(lab_dir, cfg))
        for guest in GUESTS:
            (lab_dir / "xen" / f"{guest}.cfg").write_text(domu_conf(guest))
        from xenha_sim import drbdsim
        from xenha_sim.drbdconf import load_conf

        conf = load_conf(str(lab_dir / "drbd.conf"))
        with self.lab.world.transaction() as state:
            for res in conf.resources:
                drbdsim.init_resource(state, res.name, [h.names[0] for h in res.hosts])
        (lab_dir / "cluster.crm").write_text(crm_config(lab_dir, cfg, self.agents))

    def drbd_promoted_everywhere(self) -> str | None:
        crm = self.crm_resources()
        for _guest, (res, _minor, _home) in GUESTS.items():
            roles = crm.get(f"drbd-{res}", [])
            if sorted(r for _, r in roles) != ["Promoted", "Promoted"]:
                return None
            if set(self.world_drbd_roles(res).values()) != {"Primary"}:
                return None
        return "r0 and r1 Primary on ha1 and ha2 (pacemaker and world agree)"

    def guest_on(self, guest: str, node: str) -> str | None:
        world = self.world_guests().get(guest, [])
        crm = [n for n, _ in self.crm_resources().get(guest, [])]
        if world == [node] and crm == [node]:
            return f"{guest} running on {node}"
        return None

    def start_watch(self) -> None:
        """Start checking, ten times a second, that no guest is live on two nodes (see `violations`)."""
        threading.Thread(target=self._watch, daemon=True).start()

    def stop_watch(self) -> None:
        self._stop_watch.set()

    def bring_up(self) -> None:
        """Cluster up, configured, DRBD promoted on both nodes, guests on their home nodes; the watch runs."""
        self.setup()
        self.start_watch()
        self.step(
            "configure: fence_noop, DRBD clones (promoted-max=2), guests with allow-migrate",
            lambda: self.lab.exec(
                "ha1",
                ["crm", "configure", "load", "update", str(self.lab.dir / "cluster.crm")],
                timeout=60,
                capture=True,
            ),
            self.drbd_promoted_everywhere,
            timeout=90,
        )
        self.step(
            "guests start on their home nodes",
            lambda: None,
            lambda: (self.guest_on("web1", "ha1") and self.guest_on("web2", "ha2")) and "web1 on ha1, web2 on ha2",
            timeout=60,
        )

    def run(self) -> bool:
        try:
            self.bring_up()
            self.figures["migration_s"] = self.step(
                "live migration: crm resource move web1 ha2",
                lambda: self.lab.exec("ha1", ["crm", "resource", "move", "web1", "ha2"], timeout=30, capture=True),
                lambda: self.guest_on("web1", "ha2"),
                timeout=90,
            )
            self.step(
                "clear the move: web1 goes home (live again)",
                lambda: self.lab.exec("ha1", ["crm", "resource", "clear", "web1"], timeout=30, capture=True),
                lambda: self.guest_on("web1", "ha1"),
                timeout=90,
            )
            self.figures["failover_s"] = self.step(
                "kill ha2: fenced, web2 restarted on ha1",
                lambda: self.lab.kill("ha2"),
                lambda: self.fenced("ha2") and self.guest_on("web2", "ha1"),
                timeout=120,
            )
            self.step(
                "ha2 back: rejoins, DRBD resyncs and is promoted, web2 goes home",
                lambda: self.lab.start("ha2"),
                lambda: (
                    self.drbd_promoted_everywhere()
                    and self.guest_on("web2", "ha2")
                    and self.guest_on("web1", "ha1")
                    and "balanced again: web1 on ha1, web2 on ha2"
                ),
                timeout=180,
            )
            ok = True
        except (StepFailed, LabError) as exc:
            print(f"demo failed: {exc}")
            ok = False
        finally:
            self.stop_watch()
        if self.violations:
            ok = False
            print("GUEST RAN TWICE:", "; ".join(self.violations))
        return ok

    def fenced(self, node: str) -> str | None:
        """Whether fence_noop powered `node` off (off or reboot) since this scenario began, as its log says.

        Only entries stamped after the scenario began count: the log may hold an earlier lab's fences (Lab.up
        rotates it, but a scenario can outlive one lab). The stamps have whole seconds, so the start is truncated.
        """
        import re
        from datetime import datetime

        began = int(time.time() - (time.monotonic() - self.timeline.origin))
        entry = re.compile(r"^(\S+) fence_noop\[\d+\]: action=(?:off|reboot) target=(\S+) result=success\b")
        try:
            text = self.lab.fence_log.read_text(errors="replace")
        except FileNotFoundError:
            return None
        for line in text.splitlines():
            m = entry.match(line)
            if not m or m[2].casefold() != node.casefold():
                continue
            try:
                stamp = datetime.strptime(m[1], "%Y-%m-%dT%H:%M:%S%z").timestamp()
            except ValueError:
                continue
            if stamp >= began:
                return f"{node} fenced through fence_noop at {m[1]}"
        return None


def run_demo(lab: Lab, *, peers: bool = False, keep: bool = False) -> int:
    """Run the scenario with xenha's agents (and with the peers' when asked); print the timelines."""
    results: list[tuple[Scenario, bool]] = []
    for agents in [XENHA, *([PEERS] if peers else [])]:
        print(f"== demo with {agents.label}")
        scenario = Scenario(lab, agents)
        ok = scenario.run()
        results.append((scenario, ok))
        print(scenario.timeline.report(agents.label))
        if not keep or peers:
            lab.down()
    for scenario, ok in results:
        figures = ", ".join(f"{k} {v:.1f}s" for k, v in scenario.figures.items())
        print(f"{scenario.agents.label}: {'PASSED' if ok else 'FAILED'}  {figures}")
    return 0 if all(ok for _, ok in results) else 1
