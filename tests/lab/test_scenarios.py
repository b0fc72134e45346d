"""End-to-end on real Pacemaker + Corosync in network namespaces, with xenha's agents on the simulator.

The CTS way: arm a watch (no guest live on two nodes, checked ten times a second), act, wait for the cluster and
the world to agree, then audit.
"""

from __future__ import annotations

import time
from xml.etree import ElementTree

import pytest

from xenha_sim import xensim
from xenha_sim.demo import XENHA, Scenario

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PREFIX = "xtst"


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout:.0f}s")
        time.sleep(0.3)


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
    assert scenario.run(), scenario.timeline.report("demo")
    assert scenario.violations == []
    assert scenario.figures["migration_s"] < 30
    assert scenario.figures["failover_s"] < 60


def test_migration_refused_when_target_data_is_not_uptodate(scenario):
    scenario.bring_up()
    with scenario.lab.world.transaction() as state:
        from xenha_sim import drbdsim

        drbdsim.fail_disk(state, "ha2", "r0")
    # ha2's r0 is Diskless now: its promotion score goes, so web1 must not move there.
    wait_for(lambda: ("ha2", "Promoted") not in scenario.crm_resources().get("drbd-r0", []), 60, "ha2 demoted")
    scenario.lab.exec("ha1", ["crm", "resource", "move", "web1", "ha2"], timeout=30, capture=True)
    time.sleep(15)
    assert scenario.world_guests().get("web1") == ["ha1"]
    assert scenario.guest_on("web1", "ha1")
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


def test_replication_link_cut_while_dual_primary(scenario):
    scenario.bring_up()
    from xenha_sim import drbdsim

    with scenario.lab.world.transaction() as state:
        drbdsim.cut_link(state, "ha1", "ha2")  # the replication link only; the cluster still talks
    time.sleep(5)
    with scenario.lab.world.transaction() as state:
        drbdsim.heal_link(state, "ha1", "ha2")  # both were Primary and wrote apart: split-brain on reconnect
    reasons = wait_for(lambda: [f for f in failures(scenario) if "split-brain" in f], 90, "split-brain reported")
    assert any("drbdadm connect --discard-my-data" in r for r in reasons), reasons
    time.sleep(5)
    for guest, nodes in scenario.world_guests().items():
        assert len(nodes) <= 1, (guest, nodes)
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
