# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fault matrix's CI subset: four faults through `xenha-lab faults`' own code path (faultmatrix.run_fault).

Each fault runs on a fresh 2-node cluster with xenha's agents and must be safe. Recovery is asserted only where
the product already recovers; time limits are cut to what CI needs (the full matrix keeps the registry's).
"""

from __future__ import annotations

import dataclasses

import pytest

from xenha_sim.faultmatrix import FAULTS, FaultResult, render_report, run_fault

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PREFIX = "xflt"

# fault id: (limit_s, observe_s, recovery asserted, the most downtime any guest may have)
CI = {
    # the monitor sees the crash (10 s interval), pacemaker restarts web1 in place
    "guest-crashed": (60.0, 12.0, True, None),
    # both Primaries run apart for 45 s, then DRBD finds a split-brain and both stay StandAlone: DrbdDualPrimary
    # reports it degraded with its reason, and no guest stops (issue 11)
    "link-cut-dual-primary": (60.0, 40.0, True, 0.0),
    # web1 live-migrates off the Diskless Primary after the 29 s promoted monitor, before anything is demoted
    "backing-disk-failed": (60.0, 35.0, True, 2.0),
    # monitor times out (30 s), stop times out (60 s), ha1 is fenced, web1 restarts on ha2
    "xl-hung": (150.0, 100.0, True, None),
}


@pytest.mark.parametrize("fault_id", list(CI))
def test_fault(lab, fault_id: str) -> None:
    limit_s, observe_s, recovers, max_down = CI[fault_id]
    fault = dataclasses.replace(next(f for f in FAULTS if f.id == fault_id), limit_s=limit_s, observe_s=observe_s)
    result: FaultResult = run_fault(lab, "xenha", fault, prefix=PREFIX, echo=print)
    report = render_report([fault], [result], ["xenha"])
    assert not result.error, report
    assert result.safe, report
    if recovers:
        assert result.recovered, report
    if max_down is not None:
        assert max(result.downtime_s.values(), default=0.0) <= max_down, report
    if fault_id == "link-cut-dual-primary":
        # both sides StandAlone and still Primary under their guests; pacemaker shows the resources degraded (191).
        # It records a recurring monitor's exit reason only when the code changes, so the split-brain reason that
        # follows the link-lost 191 is in the log and `xenha inspect`, not in crm_mon (test_scenarios checks it
        # where the cut is shorter than a monitor interval)
        assert any("(191)" in line for line in result.failures + result.degraded), report
        assert all("StandAlone" in line for line in result.end_state if line.startswith(("r0:", "r1:"))), report
