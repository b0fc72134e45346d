# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end on real Pacemaker + Corosync in network namespaces, with xenha's agents on the simulator.

The CTS way: arm a watch (no guest live on two nodes, checked ten times a second), act, wait for the cluster and
the world to agree, then audit.
"""

from __future__ import annotations

import re
import time
from xml.etree import ElementTree

import pytest

from tests.lab.support import Sampler, wait_for
from xenha_sim import xensim
from xenha_sim.demo import XENHA, Scenario, crm_config

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PREFIX = "xtst"


def failures(scenario: Scenario) -> list[str]:
    """Exit reasons of failed operations, as pacemaker reports them."""
    doc = ElementTree.fromstring(scenario.lab.crm_mon_xml())
    return [f"{op.get('id')}: {op.get('exitreason', '')}" for op in doc.iter("failure")]


@pytest.fixture
def scenario(lab):
    s = Scenario(lab, XENHA, prefix=PREFIX)
    yield s
    s.stop_watch()


def test_demo_scenario(scenario):
    """The demo, on the README's configuration (lib/xenha_sim/cluster.crm) with the lab's substitutions."""
    assert scenario.run(), scenario.timeline.report("demo")
    assert scenario.violations == []
    assert scenario.figures["migration_s"] < 30
    assert scenario.figures["failover_s"] < 60
    loaded = (scenario.lab.dir / "cluster.crm").read_text()
    assert loaded == crm_config(scenario.lab.dir, scenario.lab.config(), XENHA)
    cib = scenario.lab.exec("ha1", ["cibadmin", "-Q", "-o", "configuration"], timeout=30, capture=True).stdout
    ops = set(re.findall(r'<op name="(\w+)"[^>]*? timeout="(\d+s)"', cib))
    assert {("migrate_to", "300s"), ("stop", "90s"), ("notify", "90s"), ("start", "240s")} <= ops, ops
    assert 'name="priority-fencing-delay" value="10s"' in cib
    assert re.search(r'<primitive id="fence-noop" class="stonith" type="fence_noop"', cib), cib[:2000]


class Uptime(Sampler):
    """Samples the world every 0.5 s in the background: seconds each guest was live on no node."""

    period = 0.5

    def __init__(self, scenario: Scenario, guests=("web1", "web2")) -> None:
        super().__init__()
        self.scenario = scenario
        self.down = dict.fromkeys(guests, 0.0)

    def sample(self) -> None:
        live = self.scenario.world_guests()
        for guest in self.down:
            if not live.get(guest):
                self.down[guest] += self.period


def test_backing_disk_failure_live_migrates_the_guest_away(scenario):
    scenario.bring_up()
    with Uptime(scenario) as uptime:
        with scenario.lab.world.transaction() as state:
            from xenha_sim import drbdsim

            drbdsim.fail_disk(state, "ha1", "r0")  # under web1: ha1 is now a Diskless Primary reading from ha2
        # DrbdDualPrimary keeps ha1 Promoted with the lowest score: nothing is demoted under web1, which prefers
        # ha2's data and moves there live at the next monitor
        wait_for(lambda: scenario.guest_on("web1", "ha2"), 90, "web1 live-migrated to ha2")
        time.sleep(3)
    assert uptime.down["web1"] <= 2.0, uptime.down
    assert uptime.down["web2"] == 0.0, uptime.down
    assert ("ha1", "Promoted") in scenario.crm_resources()["drbd-r0"]  # never demoted under its guest
    assert scenario.violations == []


def test_node_killed_during_migration_leaves_one_guest(scenario):
    scenario.bring_up()
    with scenario.lab.world.transaction() as state:
        xensim.set_config(state, migrate_s_per_gib=20.0)  # 512 MiB: a 10 s migration
    scenario.lab.exec("ha1", ["crm", "resource", "move", "web1", "ha2"], timeout=30, capture=True)
    wait_for(lambda: "web1--incoming" in scenario.world_guests(), 30, "migration under way")
    scenario.lab.kill("ha2")
    wait_for(lambda: scenario.fenced("ha2"), 60, "ha2 fenced")
    wait_for(lambda: scenario.guest_on("web1", "ha1"), 90, "web1 running on ha1 only")
    time.sleep(3)
    assert scenario.world_guests().get("web1") == ["ha1"]
    assert scenario.violations == []


def test_split_brain_is_reported_and_no_guest_stops(scenario):
    scenario.bring_up()
    from xenha_sim import drbdsim

    with Uptime(scenario) as uptime:
        with scenario.lab.world.transaction() as state:
            drbdsim.cut_link(state, "ha1", "ha2")  # the replication link only; the cluster still talks
            drbdsim.write_io(state, "ha1", "r0")  # each guest writes on its own side
            drbdsim.write_io(state, "ha2", "r1")
        time.sleep(5)
        with scenario.lab.world.transaction() as state:
            drbdsim.heal_link(state, "ha1", "ha2")  # both were Primary and wrote apart: split-brain on reconnect
        reasons = wait_for(lambda: [f for f in failures(scenario) if "split-brain" in f], 90, "split-brain reported")
        assert any("drbdadm connect --discard-my-data" in r for r in reasons), reasons
        time.sleep(40)  # more than a monitor interval of every resource: nothing gets recovered
    assert uptime.down == {"web1": 0.0, "web2": 0.0}
    assert scenario.guest_on("web1", "ha1") and scenario.guest_on("web2", "ha2")
    crm = scenario.crm_resources()
    assert sorted(crm["drbd-r0"]) == [("ha1", "Promoted"), ("ha2", "Promoted")], crm
    assert scenario.violations == []


def test_demo_scenario_with_the_peers(lab):
    """ocf:linbit:drbd and ocf:heartbeat:Xen pass the same scenario on the simulator under real Pacemaker."""
    from xenha_sim.demo import PEERS

    peers = Scenario(lab, PEERS, prefix=PREFIX)
    try:
        assert peers.run(), peers.timeline.report("peers")
    finally:
        peers.stop_watch()
    assert peers.violations == []
