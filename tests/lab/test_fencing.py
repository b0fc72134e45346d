# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fencing in the lab is a real power-off, and a full partition of two nodes ends with exactly one of them fenced.

The CTS way: arm the watch (no guest live on two nodes), act through pacemaker (stonith_admin, a cut network),
wait until pacemaker and the world agree, then audit the processes, the world and the fence log.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.lab.support import wait_for
from xenha_sim.demo import XENHA, Scenario
from xenha_sim.lab import LabConfig, LabError

PREFIX = "xfen"
NODES = ["ha1", "ha2"]


def world_alive(lab) -> dict[str, bool]:
    return {n: bool(rec.get("alive")) for n, rec in lab.world.snapshot()["nodes"].items()}


def fence_records(lab) -> list[tuple[str, str]]:
    """(action, target) of every request fence_noop recorded in this lab."""
    if not lab.fence_log.exists():
        return []
    return re.findall(r" action=(\w+) target=(\S+) result=success", lab.fence_log.read_text())


def power_off_lines(lab, node: str) -> list[float]:
    """Seconds each lab power-off took, as fence_noop logged it on stderr and `node`'s pacemaker-fenced kept it."""
    log = lab.node_dir(node) / "var/log/pacemaker/pacemaker.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return [
        float(s) for s in re.findall(r"lab node powered off: \d+ processes of net:\[\d+\] killed in ([\d.]+)s", text)
    ]


def stonith(lab, executor: str, action: str, target: str) -> float:
    """Fence `target` through pacemaker's fencer from `executor`; return the seconds stonith_admin took."""
    started = time.monotonic()
    flag = {"off": "--fence", "reboot": "--reboot"}[action]  # stonith_admin --fence asks the device for off
    done = lab.exec(executor, ["stonith_admin", flag, target, "--timeout", "60"], timeout=90, capture=True)
    took = time.monotonic() - started
    assert done.returncode == 0, f"stonith_admin {flag} {target}: {done.stdout}{done.stderr}"
    return took


def assert_powered_off(lab, cfg: LabConfig, node: str) -> None:
    assert lab.node_pids(cfg, node) == [], f"{node}: processes left after the fence"
    assert lab.supervisor_pid(node) is None
    assert world_alive(lab)[node] is False


@pytest.mark.lab
@pytest.mark.slow
def test_fencing_powers_a_lab_node_off_and_start_boots_it_again(lab):
    cfg = lab.up(2, config=LabConfig(nodes=NODES, prefix=PREFIX, token_ms=2000), timeout=120)
    crm = lab.dir / "fencing.crm"
    crm.write_text(
        f'primitive fence-noop stonith:fence_noop params hosts="ha1,ha2" sim_world="{lab.world.path}" '
        f'log_file="{lab.fence_log}" op monitor interval=60s\n'
        "property stonith-enabled=true stonith-timeout=60s\n"
    )
    done = lab.exec("ha1", ["crm", "configure", "load", "update", str(crm)], timeout=60, capture=True)
    assert done.returncode == 0, done.stderr
    wait_for(
        lambda: (
            "fence-noop" in lab.exec("ha1", ["stonith_admin", "--list-registered"], timeout=20, capture=True).stdout
        ),
        60,
        "fence-noop registered on ha1",
    )
    assert len(lab.node_pids(cfg, "ha2")) >= 5  # supervisor, corosync, pacemakerd and its daemons

    # off: every process of ha2 is gone by the time the fence is reported done, and the world has it crashed.
    took = stonith(lab, "ha1", "off", "ha2")
    assert_powered_off(lab, cfg, "ha2")
    assert fence_records(lab) == [("off", "ha2")]
    assert took < 20, took
    kills = wait_for(lambda: power_off_lines(lab, "ha1"), 10, "ha1's fencer logs fence_noop's power-off")
    assert kills[-1] < 2.0, kills
    print(f"fence off: stonith_admin {took:.1f}s, fence_noop's SIGKILL of ha2's processes {kills[-1]:.2f}s")
    wait_for(lambda: lab.online_nodes("ha1") == {"ha1"}, 30, "ha1 sees ha2 offline")

    lab.start("ha2")
    lab.wait_online(NODES, timeout=120)
    state = lab.world.snapshot()["nodes"]["ha2"]
    assert state["alive"] is True and state["boot"] == 2

    # reboot is a power-off too (the lab has no BIOS); the admin's `xenha-lab start` boots the node.
    stonith(lab, "ha1", "reboot", "ha2")
    assert_powered_off(lab, cfg, "ha2")
    assert fence_records(lab) == [("off", "ha2"), ("reboot", "ha2")]
    done = subprocess.run(
        ["xenha-lab", "--dir", str(lab.dir), "start", "ha2"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout) == (0, "ha2 started\n"), done.stderr
    lab.wait_online(NODES, timeout=120)
    assert lab.world.snapshot()["nodes"]["ha2"]["boot"] == 3


def both_guests_on(scenario: Scenario, node: str) -> bool:
    """Both guests on `node` only, in the world and in pacemaker's view (a crm_mon that fails now is a no)."""
    try:
        return bool(scenario.guest_on("web1", node) and scenario.guest_on("web2", node))
    except LabError:
        return False


def dc(lab) -> str:
    """The node pacemaker elected DC (the one that schedules first when the cluster splits)."""
    done = lab.exec("ha1", ["crmadmin", "--dc_lookup", "--quiet"], timeout=20, capture=True)
    return str(done.stdout or done.stderr).strip()


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.parametrize("case", ["guests-home", "guests-on-the-non-dc"])
def test_full_partition_fences_one_node_and_every_guest_runs_on_the_survivor(lab, case):
    """Exactly one node is fenced, the one running the guests of lower total priority, whichever node is DC.

    guests-home is the demo as configured: ha1 runs web1 (priority 2), ha2 web2 (priority 1), so ha1 survives and
    restarts web2. guests-on-the-non-dc moves the other guest to the node that is not DC: the DC schedules its
    fence first after a split, so without priority-fencing-delay it wins (or both die); with it, the node running
    both guests survives and they never stop.
    """
    scenario = Scenario(lab, XENHA, prefix=PREFIX)
    try:
        scenario.bring_up()
        cfg = lab.config()
        leader = dc(lab)
        assert leader in NODES, leader
        if case == "guests-home":
            survivor = "ha1"
        else:
            survivor = next(n for n in NODES if n != leader)
            moved = "web1" if survivor == "ha2" else "web2"
            done = lab.exec("ha1", ["crm", "resource", "move", moved, survivor], timeout=30, capture=True)
            assert done.returncode == 0, done.stderr
            wait_for(lambda: both_guests_on(scenario, survivor), 90, f"{moved} migrated to {survivor}")
            assert dc(lab) == leader
        loser = next(n for n in NODES if n != survivor)
        started = time.monotonic()
        lab.cut_link("ha1", "ha2")  # the cluster network and the DRBD link: each half is quorate (two_node)
        wait_for(lambda: not all(world_alive(lab).values()), 90, "a node fenced")
        fenced_s = time.monotonic() - started
        wait_for(lambda: both_guests_on(scenario, survivor), 120, f"web1 and web2 running on {survivor}")
        failover_s = time.monotonic() - started
        # Outlast the loser's delayed fence (priority-fencing-delay 10s) and a scheduler run: nothing changes.
        time.sleep(20)
        print(f"partition, DC {leader}: {loser} fenced in {fenced_s:.1f}s, guests on {survivor} in {failover_s:.1f}s")
        assert world_alive(lab) == {survivor: True, loser: False}
        assert scenario.fenced(loser) and not scenario.fenced(survivor)
        assert fence_records(lab) in ([("reboot", loser)], [("off", loser)])
        assert lab.node_pids(cfg, loser) == [] and lab.supervisor_pid(loser) is None
        assert lab.supervisor_pid(survivor) is not None
        assert scenario.world_guests() == {"web1": [survivor], "web2": [survivor]}
        assert both_guests_on(scenario, survivor)
    finally:
        scenario.stop_watch()
    assert scenario.violations == []


def _record(stamp: float, action: str, target: str) -> str:
    """One fence_noop log line, as fence_noop._record writes it."""
    when = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(stamp))
    return f"{when} fence_noop[4242]: action={action} target={target} result=success -- NOTHING WAS FENCED: ...\n"


def test_fenced_counts_only_this_scenarios_power_offs(tmp_path):
    """A leftover log (an earlier lab's) must not make fenced() true at once; `on` and other nodes never count."""

    class Logs:
        dir = tmp_path
        fence_log = tmp_path / "fence_noop.log"

    scenario = Scenario(Logs(), XENHA)  # type: ignore[arg-type]
    assert scenario.fenced("ha2") is None  # no log yet
    now = time.time()
    Logs.fence_log.write_text(
        _record(now - 3600, "reboot", "ha2") + _record(now, "on", "ha2") + _record(now, "off", "ha22") + "garbage\n"
    )
    assert scenario.fenced("ha2") is None
    with Logs.fence_log.open("a") as log:
        log.write(_record(now, "reboot", "ha2"))
    assert scenario.fenced("ha2")
    assert scenario.fenced("HA2")  # pacemaker's node names may differ in case
    assert scenario.fenced("ha1") is None
