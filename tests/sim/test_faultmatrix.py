# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fault matrix's pure parts: world sampling, the safety invariants, recovery, pacemaker's view, the report.

Worlds are built in-process with the simulator's own operations (drbdsim, xensim, faults), the way the lab's
tools change them; crm_mon XML is trimmed from pacemaker 2.1.5 output captured in a lab (Debian 12).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from xenha_sim import drbdsim, faults, xensim
from xenha_sim.domuconf import parse_domu_config
from xenha_sim.faultcheck import (
    CrmView,
    Expect,
    Instance,
    Replica,
    Sample,
    Tracker,
    recovery_gaps,
    sample_world,
)
from xenha_sim.faultmatrix import (
    FAULTS,
    GUEST_DISKS,
    Fault,
    FaultResult,
    cell,
    describe_sample,
    exit_status,
    faults_command,
    fence_events,
    render_list,
    render_report,
    select_faults,
)
from xenha_sim.lab import Lab
from xenha_sim.world import State, add_node

NOW = 1000.0
MINOR = {"r0": 0, "r1": 1}
ALLOW = {"r0": True, "r1": True}


# -- an in-process demo world ------------------------------------------------------------------------------------


def drbd_up(state: State, node: str, res: str, *, primary: bool = True) -> None:
    """`drbdadm up` (+ `primary`) as the agents run it: new-resource, new-minor, attach, connect."""
    peer = "ha2" if node == "ha1" else "ha1"
    drbdsim.new_resource(state, node, res, now=NOW)
    drbdsim.new_minor(state, node, res, MINOR[res], 0)
    drbdsim.attach(state, node, MINOR[res], f"/dev/vg0/{res}", "internal", idx="internal", disk_opts=[], now=NOW)
    drbdsim.connect(state, node, res, peer, [["allow-two-primaries", "yes"]], now=NOW)
    if primary:
        drbdsim.primary(state, node, res, now=NOW)


def start_guest(state: State, node: str, guest: str) -> None:
    res = GUEST_DISKS[guest]
    cfg = parse_domu_config(f"name = \"{guest}\"\nmemory = 512\ndisk = [ 'phy:/dev/drbd{MINOR[res]},xvda,w' ]\n")
    xensim.create_domain(state, node, cfg, NOW)


def demo_state() -> State:
    """r0 and r1 Primary on both nodes and connected, web1 on ha1, web2 on ha2: what bring_up leaves."""
    state: State = {"version": 1, "nodes": {}, "links": {}, "drbd": {}, "xen": {}, "log": []}
    add_node(state, "ha1")
    add_node(state, "ha2")
    for res in ("r0", "r1"):
        drbdsim.init_resource(state, res, ["ha1", "ha2"])
        for node in ("ha1", "ha2"):
            drbd_up(state, node, res)
    start_guest(state, "ha1", "web1")
    start_guest(state, "ha2", "web2")
    return state


def look(state: State, t: float) -> Sample:
    return sample_world(state, t, GUEST_DISKS)


def tracker(expect: Expect | None = None) -> Tracker:
    return Tracker(GUEST_DISKS, expect or Expect(), allow_two=ALLOW)


def kinds(t: Tracker) -> list[str]:
    return [v.kind for v in t.violations]


# -- sampling ----------------------------------------------------------------------------------------------------


def test_sample_of_the_demo_world() -> None:
    s = look(demo_state(), 0.0)
    assert s.alive == {"ha1", "ha2"}
    assert s.running("web1") == ["ha1"] and s.running("web2") == ["ha2"]
    rep = s.replica("r0", "ha1")
    assert rep is not None
    assert (rep.role, rep.disk, rep.peers, rep.two_primaries, rep.standalone) == (
        "Primary",
        "UpToDate",
        ("ha2",),
        True,
        False,
    )
    assert s.md_gen["r0"]["ha1"] == s.md_gen["r0"]["ha2"]
    assert describe_sample(s, GUEST_DISKS) == [
        "web1: ha1 (running)",
        "web2: ha2 (running)",
        "r0: ha1 Primary/UpToDate connected to ha2; ha2 Primary/UpToDate connected to ha1",
        "r1: ha1 Primary/UpToDate connected to ha2; ha2 Primary/UpToDate connected to ha1",
    ]


def test_a_dead_node_has_no_guests_or_replicas_but_keeps_its_meta_data() -> None:
    state = demo_state()
    faults.crash_node(state, "ha2")
    s = look(state, 1.0)
    assert s.alive == {"ha1"}
    assert s.running("web2") == []
    assert "ha2" not in s.drbd["r0"] and "ha2" in s.md_gen["r0"]
    assert "r0: ha1 Primary/UpToDate connecting; ha2 down" in describe_sample(s, GUEST_DISKS)


# -- the invariants ----------------------------------------------------------------------------------------------


def test_a_healthy_run_has_no_violations_and_counts_downtime_only_when_a_guest_runs_nowhere() -> None:
    state = demo_state()
    t = tracker()
    t.observe(look(state, 0.0))
    xensim.crash_guest(state, "ha1", "web1", now=NOW)
    t.observe(look(state, 0.5))
    t.observe(look(state, 1.0))
    dom = xensim.find_domain(state, "ha1", "web1", NOW)
    xensim.destroy_domain(state, "ha1", dom.domid, NOW)
    start_guest(state, "ha1", "web1")
    t.observe(look(state, 1.5))
    assert t.violations == []
    assert t.downtime == {"web1": 1.0, "web2": 0.0}


def test_downtime_ends_when_the_new_instance_started_not_at_the_next_sample() -> None:
    t = tracker()
    rep = Replica("Primary", "UpToDate", (1,), ("ha1", "ha2"), True)
    drbd = {"r0": {"ha1": rep, "ha2": rep}, "r1": {"ha1": rep, "ha2": rep}}
    alive = frozenset({"ha1", "ha2"})
    up = {"web2": (Instance("ha2", 2, "running", "normal", 100.0),)}
    t.observe(Sample(t=0.0, alive=alive, wall=500.0, guests={"web1": (), **up}, drbd=drbd))
    t.observe(Sample(t=1.0, alive=alive, wall=501.0, guests={"web1": (), **up}, drbd=drbd))
    back = (Instance("ha1", 5, "running", "normal", 501.1),)  # started 0.1 s after the previous sample
    t.observe(Sample(t=1.5, alive=alive, wall=501.5, guests={"web1": back, **up}, drbd=drbd))
    assert t.downtime["web1"] == pytest.approx(1.1)
    assert t.downtime["web2"] == 0.0


def test_a_live_migration_is_down_only_for_its_final_phase() -> None:
    state = demo_state()
    t = tracker()
    t.observe(sample_world(state, 0.0, GUEST_DISKS, wall=NOW))
    dom = xensim.find_domain(state, "ha1", "web1", NOW)
    mig = xensim.start_migration(state, "ha1", dom.domid, "ha2", NOW)  # 512 MiB at 1 s/GiB: 0.5 s, 0.05 s final
    xensim.advance(state, NOW + 1.0)
    s = sample_world(state, 1.0, GUEST_DISKS, wall=NOW + 1.0)
    assert s.running("web1") == ["ha2"] and s.guests["web1"][0].suspended_s == pytest.approx(0.05)
    t.observe(s)
    assert mig["result"] == "ok"
    assert t.downtime["web1"] == pytest.approx(0.05)


def test_a_restart_elsewhere_between_two_samples_still_counts_as_downtime() -> None:
    """A fence and a start within one sampling period: the old instance was last seen running at the previous
    sample, the new one started later; the gap between them is the (upper bound of the) downtime."""
    state = demo_state()
    t = tracker()
    t.observe(sample_world(state, 0.0, GUEST_DISKS, wall=NOW))
    faults.crash_node(state, "ha2")
    cfg = parse_domu_config("name = \"web2\"\nmemory = 512\ndisk = [ 'phy:/dev/drbd1,xvda,w' ]\n")
    xensim.create_domain(state, "ha1", cfg, NOW + 0.2)
    t.observe(sample_world(state, 0.25, GUEST_DISKS, wall=NOW + 0.25))
    assert t.downtime["web2"] == pytest.approx(0.2)


def test_a_guest_live_on_two_nodes_is_a_violation() -> None:
    t = tracker()
    both = (Instance("ha1", 3, "running", "normal"), Instance("ha2", 4, "paused", "normal"))
    rep = Replica("Primary", "UpToDate", (1,), ("ha1", "ha2"), True)
    drbd = {"r0": {"ha1": rep, "ha2": rep}, "r1": {"ha1": rep, "ha2": rep}}
    t.observe(Sample(t=0.0, alive=frozenset({"ha1", "ha2"}), guests={"web1": both, "web2": ()}, drbd=drbd))
    assert kinds(t) == ["two-nodes"]
    assert "web1 live on ha1 and ha2" in str(t.violations[0])


def test_a_migration_counts_once_at_its_source() -> None:
    t = tracker()
    moving = (Instance("ha1", 3, "running", "migrating"), Instance("ha2", 4, "paused", "incoming"))
    rep = Replica("Primary", "UpToDate", (1,), ("ha1", "ha2"), True)
    drbd = {"r0": {"ha1": rep, "ha2": rep}}
    t.observe(Sample(t=0.0, alive=frozenset({"ha1", "ha2"}), guests={"web1": moving, "web2": ()}, drbd=drbd))
    assert t.violations == []


def test_two_primaries_need_allow_two_primaries() -> None:
    rep_no = Replica("Primary", "UpToDate", (1,), ("ha2",), False)
    rep_yes = Replica("Primary", "UpToDate", (1,), ("ha1",), True)
    t = tracker()
    t.observe(Sample(t=0.0, alive=frozenset({"ha1", "ha2"}), drbd={"r0": {"ha1": rep_no, "ha2": rep_yes}}))
    assert kinds(t) == ["two-primaries"]
    # disconnected (StandAlone, no net config): drbd.conf's allow-two-primaries decides
    apart = Replica("Primary", "UpToDate", (1,), (), None, standalone=True)
    ok = Tracker(GUEST_DISKS, Expect(), allow_two={"r0": True})
    ok.observe(Sample(t=0.0, alive=frozenset({"ha1", "ha2"}), drbd={"r0": {"ha1": apart, "ha2": apart}}))
    assert ok.violations == []
    bad = Tracker(GUEST_DISKS, Expect(), allow_two={"r0": False})
    bad.observe(Sample(t=0.0, alive=frozenset({"ha1", "ha2"}), drbd={"r0": {"ha1": apart, "ha2": apart}}))
    assert kinds(bad) == ["two-primaries"]


def _ha2_killed_and_failed_over(state: State, t: Tracker) -> None:
    t.observe(look(state, 0.0))
    faults.crash_node(state, "ha2")
    t.observe(look(state, 1.0))
    start_guest(state, "ha1", "web2")
    t.observe(look(state, 2.0))


def test_stale_node_promoted_alone_is_unsafe_and_a_guest_started_there_too() -> None:
    """both-killed-stale-first done wrong: ha2 comes back alone and is promoted on data older than ha1's."""
    state = demo_state()
    t = tracker()
    _ha2_killed_and_failed_over(state, t)
    drbdsim.write_io(state, "ha1", "r0", now=NOW)
    t.note_write("r0", state["drbd"]["md"]["ha1"]["r0"]["0"]["gen"], 3.0)
    faults.crash_node(state, "ha1")
    faults.restart_node(state, "ha2")
    t.observe(look(state, 4.0))
    drbd_up(state, "ha2", "r0")  # UpToDate in its meta data, no peer to tell it otherwise: promoted
    t.observe(look(state, 10.0))
    assert kinds(t) == ["stale-data"]
    assert "r0 Primary on ha2" in t.violations[0].text
    start_guest(state, "ha2", "web1")
    t.observe(look(state, 10.5))
    assert kinds(t) == ["stale-data", "unsafe-start"]
    assert "web1 started on ha2 with r0 Primary/UpToDate (stale)" in t.violations[1].text


def test_a_node_that_rejoins_and_resyncs_is_safe() -> None:
    state = demo_state()
    t = tracker()
    _ha2_killed_and_failed_over(state, t)
    drbdsim.write_io(state, "ha1", "r0", now=NOW)
    faults.restart_node(state, "ha2")
    for res in ("r0", "r1"):
        drbd_up(state, "ha2", res)  # SyncTarget of ha1, promoted while Inconsistent: reads go to ha1
    t.observe(look(state, 10.0))
    assert look(state, 10.0).replica("r0", "ha2") == Replica("Primary", "Inconsistent", (1, 2), ("ha1",), True)
    drbdsim.settle(state, NOW + 5)  # the resync is done
    t.observe(look(state, 15.0))
    assert t.violations == []
    assert t.discarded == []
    assert look(state, 15.0).md_gen["r0"]["ha2"] == look(state, 15.0).md_gen["r0"]["ha1"]


def test_both_primaries_branching_at_the_same_moment_is_a_split_not_stale_data() -> None:
    """link-cut-dual-primary: both sides start a new generation at the cut; neither is older than the other."""
    state = demo_state()
    t = tracker()
    t.observe(look(state, 0.0))
    drbdsim.cut_link(state, "ha1", "ha2", now=NOW)
    t.observe(look(state, 0.5))
    drbdsim.heal_link(state, "ha1", "ha2", now=NOW)  # split brain, unresolved with two Primaries: StandAlone
    s = look(state, 1.0)
    t.injected(1.0)
    t.observe(s)
    assert t.violations == []
    assert s.replica("r0", "ha1") == Replica("Primary", "UpToDate", s.md_gen["r0"]["ha1"], (), None, True)
    assert "r0 on ha1 not connected to ha2" in t.gaps


def test_a_written_generation_nobody_holds_any_more_is_reported_discarded() -> None:
    state = demo_state()
    t = tracker()
    t.observe(look(state, 0.0))
    drbdsim.cut_link(state, "ha1", "ha2", now=NOW)
    t.observe(look(state, 0.5))  # web2 on ha2 wrote r1's new generation there
    lost = state["drbd"]["md"]["ha2"]["r1"]["0"]["gen"][-1]
    state["drbd"]["md"]["ha2"]["r1"]["0"]["gen"] = list(state["drbd"]["md"]["ha1"]["r1"]["0"]["gen"])
    t.observe(look(state, 1.0))
    assert t.discarded == [f"+1.0s r1 generation {lost} (written by a guest) discarded"]


def test_a_guest_started_without_an_uptodate_copy_is_unsafe() -> None:
    t = tracker()
    outdated = Replica("Primary", "Outdated", (1,), (), None, standalone=True)
    sample = Sample(
        t=0.0,
        alive=frozenset({"ha2"}),
        guests={"web1": (Instance("ha2", 7, "running", "normal"),), "web2": ()},
        drbd={"r0": {"ha2": outdated}},
    )
    t.observe(sample)
    assert kinds(t) == ["unsafe-start"]
    assert "no UpToDate copy reachable" in t.violations[0].text


def test_a_diskless_primary_reads_through_its_uptodate_peer() -> None:
    state = demo_state()
    t = tracker()
    t.observe(look(state, 0.0))
    drbdsim.fail_disk(state, "ha1", "r0", now=NOW)
    dom = xensim.find_domain(state, "ha1", "web1", NOW)
    xensim.destroy_domain(state, "ha1", dom.domid, NOW)
    start_guest(state, "ha1", "web1")  # started on the Diskless Primary: its data is ha2's, UpToDate
    s = look(state, 1.0)
    t.injected(1.0)
    t.observe(s)
    assert t.violations == []
    assert "web1 on ha1 without a local UpToDate r0" in t.gaps


def test_the_simulator_refusing_a_second_instance_aborts_the_run() -> None:
    t = tracker()
    t.observe(Sample(t=3.0, alive=frozenset(), error="xenha-sim: guest web1 is running on ha1 and ha2"))
    assert kinds(t) == ["simulator"] and t.aborted


# -- recovery ----------------------------------------------------------------------------------------------------

CRM_HEALTHY = """<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <summary>
    <current_dc present="true" version="2.1.5-a3f44794f94" name="ha1" id="1" with_quorum="true"/>
  </summary>
  <nodes>
    <node name="ha1" id="1" online="true" standby="false" maintenance="false" pending="false" unclean="false"
      shutdown="false" expected_up="true" is_dc="true" type="member"/>
    <node name="ha2" id="2" online="true" standby="false" maintenance="false" pending="false" unclean="false"
      shutdown="false" expected_up="true" is_dc="false" type="member"/>
  </nodes>
  <resources>
    <resource id="web1" resource_agent="ocf:xenha:XenDomainHA" role="Started" active="true" orphaned="false"
      blocked="false" managed="true" failed="false" nodes_running_on="1"><node name="ha1" id="1" cached="true"/>
    </resource>
    <resource id="web2" resource_agent="ocf:xenha:XenDomainHA" role="Started" active="true" orphaned="false"
      blocked="false" managed="true" failed="false" nodes_running_on="1"><node name="ha2" id="2" cached="true"/>
    </resource>
    <clone id="ms-drbd-r0" multi_state="true" unique="false" managed="true" disabled="false" failed="false">
      <resource id="drbd-r0" role="Promoted" active="true" blocked="false" managed="true" failed="false">
        <node name="ha2" id="2" cached="true"/></resource>
      <resource id="drbd-r0" role="Promoted" active="true" blocked="false" managed="true" failed="false">
        <node name="ha1" id="1" cached="true"/></resource>
    </clone>
    <clone id="ms-drbd-r1" multi_state="true" unique="false" managed="true" disabled="false" failed="false">
      <resource id="drbd-r1" role="Promoted" active="true" blocked="false" managed="true" failed="false">
        <node name="ha2" id="2" cached="true"/></resource>
      <resource id="drbd-r1" role="Promoted" active="true" blocked="false" managed="true" failed="false">
        <node name="ha1" id="1" cached="true"/></resource>
    </clone>
  </resources>
  <node_history><node name="ha1"><resource_history id="web1"/></node></node_history>
  <status code="0" message="OK"/>
</pacemaker-result>"""

FAILURES = """  <failures>
    <failure op_key="web1_monitor_10000" node="ha1" exitstatus="error" exitreason="domU web1: crashed (flags ---sc-)"
      exitcode="1" call="39" status="complete" last-rc-change="2026-12-04 21:15:29Z" queued="0" exec="327"
      interval="10000" task="monitor"/>
  </failures>
"""


def crm_failed() -> str:
    text = CRM_HEALTHY.replace(
        'failed="false" nodes_running_on="1"><node name="ha1"', 'failed="true" n="1"><node name="ha1"'
    )
    return text.replace("  <status ", FAILURES + "  <status ")


def crm_ha2_unclean() -> str:
    text = CRM_HEALTHY.replace(
        'online="true" standby="false" maintenance="false" pending="false" unclean="false"\n      shutdown="false" '
        'expected_up="true" is_dc="false"',
        'online="false" standby="false" maintenance="false" pending="false" unclean="true"\n      shutdown="false" '
        'expected_up="true" is_dc="false"',
    )
    assert text != CRM_HEALTHY
    return text


def test_crm_view_of_a_healthy_cluster() -> None:
    view = CrmView.parse(CRM_HEALTHY)
    assert (view.dc, view.quorum, view.online()) == ("ha1", True, {"ha1", "ha2"})
    assert view.placed("web1", "Started") == ["ha1"]
    assert view.placed("drbd-r0", "Promoted") == ["ha1", "ha2"]
    assert view.failures == ()
    assert view.degraded(["web1", "web2"], ["drbd-r0", "drbd-r1"]) == []


def test_crm_view_failed_actions_carry_their_exit_reason() -> None:
    view = CrmView.parse(crm_failed())
    assert [str(f) for f in view.failures] == [
        "web1_monitor_10000 on ha1: error (1): domU web1: crashed (flags ---sc-)"
    ]
    assert view.degraded(["web1", "web2"], ["drbd-r0", "drbd-r1"]) == ["web1 failed on ha1"]


def test_crm_view_of_an_unclean_node() -> None:
    view = CrmView.parse(crm_ha2_unclean())
    assert view.degraded(["web1", "web2"], ["drbd-r0", "drbd-r1"]) == ["node ha2 offline (unclean)"]


def test_recovered_needs_world_and_pacemaker_to_agree() -> None:
    state = demo_state()
    s = look(state, 5.0)
    assert recovery_gaps(s, CrmView.parse(CRM_HEALTHY), Expect(), GUEST_DISKS) == []
    assert recovery_gaps(s, None, Expect(), GUEST_DISKS) == ["no answer from crm_mon"]
    faults.crash_node(state, "ha2")
    s = look(state, 6.0)
    gaps = recovery_gaps(s, CrmView.parse(crm_ha2_unclean()), Expect(), GUEST_DISKS)
    assert gaps == ["web2 running on no node", "pacemaker: web2 started on ha2"]
    start_guest(state, "ha1", "web2")
    s = look(state, 7.0)
    # pacemaker still places web2 on the unclean ha2: not recovered until it agrees with the world
    assert recovery_gaps(s, CrmView.parse(crm_ha2_unclean()), Expect(), GUEST_DISKS) == [
        "pacemaker: web2 started on ha2"
    ]


def test_a_failed_or_blocked_resource_is_not_recovered() -> None:
    s = look(demo_state(), 0.0)
    assert recovery_gaps(s, CrmView.parse(crm_failed()), Expect(), GUEST_DISKS) == ["pacemaker: web1 failed on ha1"]
    instance = '<resource id="drbd-r0" role="Promoted" active="true" blocked="false"'
    blocked = CRM_HEALTHY.replace(instance, instance.replace('"false"', '"true"'), 1)
    assert recovery_gaps(s, CrmView.parse(blocked), Expect(), GUEST_DISKS) == ["pacemaker: drbd-r0 blocked on ha2"]


def test_expected_primaries_and_placement() -> None:
    s = look(demo_state(), 0.0)
    crm = CrmView.parse(CRM_HEALTHY)
    assert recovery_gaps(s, crm, Expect(placement={"web1": "ha2"}), GUEST_DISKS) == ["web1 on ha1, not ha2"]
    assert recovery_gaps(s, crm, Expect(primary={"r0": ("ha2",)}, connected=False), GUEST_DISKS) == []
    assert Expect(primary={"r0": ("ha2",)}).describe(["r0", "r1"]) == (
        "r1 Primary/UpToDate/connected on every surviving node; r0 Primary/UpToDate on ha2; every guest running once"
    )


def test_recovery_is_timed_from_the_last_action_and_needs_a_fresh_pacemaker_view() -> None:
    state = demo_state()
    t = tracker()
    t.observe_crm(CrmView.parse(CRM_HEALTHY), 0.0)
    t.observe(look(state, 0.5))
    t.injected(2.0)
    t.observe(look(state, 2.5))
    assert t.recovered_since is None and "no answer from crm_mon" in t.gaps  # pacemaker's view predates it
    t.observe_crm(CrmView.parse(CRM_HEALTHY), 3.0)
    t.observe(look(state, 3.5))
    assert t.recovered_after() == 0.0  # the world never left the expected state
    xensim.crash_guest(state, "ha1", "web1", now=NOW)
    t.observe(look(state, 4.0))
    assert t.recovered_since is None and t.gaps == ["web1 running on no node", "pacemaker: web1 started on ha1"]
    xensim.destroy_domain(state, "ha1", xensim.find_domain(state, "ha1", "web1", NOW).domid, NOW)
    start_guest(state, "ha1", "web1")
    t.observe(look(state, 5.0))
    assert t.recovered_after() == 3.0
    t.observe_crm(CrmView.parse(crm_failed()), 4.0)
    assert t.failures == {"web1_monitor_10000 on ha1: error (1): domU web1: crashed (flags ---sc-)": 4.0}
    assert t.degraded == {"web1 failed on ha1": 4.0}


def test_failures_from_before_the_fault_are_not_its_findings() -> None:
    t = tracker()
    t.baseline(CrmView.parse(crm_failed()))
    t.observe_crm(CrmView.parse(crm_failed()), 1.0)
    assert t.failures == {}


# -- the registry, selection and the report ----------------------------------------------------------------------

BRIEF_IDS = {
    "node-killed",
    "killed-mid-migration-source",
    "killed-mid-migration-target",
    "link-cut-dual-primary",
    "split-brain",
    "xl-hung",
    "drbd-tools-hung",
    "guest-crashed",
    "guest-ignores-shutdown-then-moved",
    "target-short-of-memory",
    "migration-fails-midway",
    "backing-disk-failed",
    "corosync-killed",
    "controld-killed-dc",
    "controld-killed-non-dc",
    "node-restarted-during-resync",
    "both-killed-stale-first",
    "full-partition",
}


def test_the_registry() -> None:
    ids = [f.id for f in FAULTS]
    assert len(ids) >= 16 and len(set(ids)) == len(ids)
    assert set(ids) >= BRIEF_IDS
    for fault in FAULTS:
        assert fault.summary and fault.limit_s > 0 and callable(fault.inject)
        assert fault.id == fault.id.lower() and " " not in fault.id


def test_select_faults() -> None:
    assert select_faults(None) == list(FAULTS)
    # registry order, whatever the order asked in; blanks around ids are ignored
    assert [f.id for f in select_faults("guest-crashed, xl-hung")] == ["xl-hung", "guest-crashed"]
    with pytest.raises(ValueError, match="unknown fault.*nope"):
        select_faults("guest-crashed,nope")


def _result(fault: str, agents: str, **kw: object) -> FaultResult:
    base: dict[str, object] = {
        "safe": True,
        "recovered": True,
        "recovery_s": 4.2,
        "downtime_s": {"web1": 3.0, "web2": 0.0},
    }
    base.update(kw)
    return FaultResult(fault=fault, agents=agents, **base)  # type: ignore[arg-type]


def test_report_side_by_side_and_details() -> None:
    faults_ = [f for f in FAULTS if f.id in ("guest-crashed", "xl-hung")]
    results = [
        _result("guest-crashed", "xenha", failures=["+1.1s web1_monitor_10000 on ha1: error (1): crashed"]),
        _result("guest-crashed", "peers"),
        _result(
            "xl-hung",
            "xenha",
            recovered=False,
            recovery_s=None,
            gaps=["web1 running on no node"],
            violations=["+3.0s two-nodes: web1 live on ha1 and ha2"],
            safe=False,
        ),
        _result("xl-hung", "peers", safe=None, error="bring-up failed: boom"),
    ]
    text = render_report(faults_, results, ["xenha", "peers"])
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["fault", "xenha"] and "peers (ocf:linbit:drbd" in lines[0]
    row = next(line for line in lines if line.startswith("guest-crashed "))
    assert row.count("safe   rec 4.2s") == 2 and "down 3.0/0.0s" in row
    row = next(line for line in lines if line.startswith("xl-hung "))
    assert "UNSAFE NOT recovered" in row and "ERROR (see below)" in row
    assert "xenha: 2 faults, 1 safe, 1 recovered in time" in lines
    assert "   recovered: no (web1 running on no node)" in lines
    assert "     +1.1s web1_monitor_10000 on ha1: error (1): crashed" in lines
    assert "   error: bring-up failed: boom" in lines


def test_cell_and_exit_status() -> None:
    ok = _result("guest-crashed", "xenha")
    slow = _result("xl-hung", "xenha", recovered=False, recovery_s=None)
    assert cell(ok) == "safe   rec 4.2s       down 3.0/0.0s"
    assert exit_status([ok, slow]) == 0  # a missed recovery is a finding, not a failure
    assert exit_status([ok, _result("x", "xenha", safe=False)]) == 1
    assert exit_status([ok, _result("x", "xenha", safe=None, error="bring-up failed: no")]) == 1
    assert exit_status([ok, _result("x", "xenha", error="inject: web1 migrating to ha2: not reached in 30s")]) == 1


def test_render_list_names_limits_and_expectations() -> None:
    text = render_list(select_faults("split-brain"))
    assert text.startswith("split-brain")
    assert " 90s  replication link cut" in text
    assert "expect: r0 Primary/UpToDate on ha1; r1 Primary/UpToDate on ha2; every guest running once" in text


def test_fence_events_from_fence_noops_log() -> None:
    log = (
        "2026-12-04T21:15:40+0000 fence_noop[123]: action=reboot target=ha2 result=success -- nothing was fenced\n"
        "2026-12-04T21:16:40+0000 fence_noop[124]: action=off target=ha1 result=success -- nothing was fenced\n"
    )
    assert fence_events(log) == [("reboot", "ha2"), ("off", "ha1")]


def test_faults_command_list_and_usage_errors_need_no_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    lab = Lab(str(tmp_path))
    assert faults_command(lab, list_only=True, out=out) == 0
    assert len(out.getvalue().splitlines()) == 2 * len(FAULTS)
    assert faults_command(lab, only="nope", out=out) == 2
    assert "unknown fault(s): nope" in capsys.readouterr().err


def test_faults_command_json_and_exit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xenha_sim import faultmatrix

    calls: list[tuple[str, str]] = []

    def fake_run(lab: Lab, key: str, fault: Fault, **_kw: object) -> FaultResult:
        calls.append((fault.id, key))
        return _result(fault.id, key, safe=fault.id != "xl-hung")

    monkeypatch.setattr(faultmatrix, "run_fault", fake_run)
    out = io.StringIO()
    target = tmp_path / "m.json"
    status = faults_command(
        Lab(str(tmp_path)), peers=True, only="guest-crashed,xl-hung", json_file=str(target), out=out
    )
    assert status == 1
    assert calls == [("xl-hung", "xenha"), ("xl-hung", "peers"), ("guest-crashed", "xenha"), ("guest-crashed", "peers")]
    doc = json.loads(target.read_text())
    assert doc["exit_status"] == 1 and set(doc["agents"]) == {"xenha", "peers"}
    assert [f["id"] for f in doc["faults"]] == [c[0] for c in calls[::2]]
    assert [(r["fault"], r["agents"], r["safe"]) for r in doc["results"]] == [
        ("xl-hung", "xenha", False),
        ("xl-hung", "peers", False),
        ("guest-crashed", "xenha", True),
        ("guest-crashed", "peers", True),
    ]
    assert "[peers] guest-crashed: safe" in out.getvalue()
