# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Logs and traces where a Pacemaker admin looks for them, on a real cluster (issue 14).

- With PCMK_logfile set, pacemaker-execd passes it to agents as HA_LOGFILE: the agents' own lines land in that
  file, beside Pacemaker's, tagged `Agent(instance)[pid]` as ocf-shellfuncs' ha_log writes them.
- `crm resource trace RSC monitor` (the op attribute trace_ra=1) makes the next monitors write a trace file
  where ocf-shellfuncs puts one: $HA_VARLIB/trace_ra/<agent>/<rsc>.<op>.<date>; `untrace` stops it.
One cluster for the whole file, with a log file of our choosing and HA_VARLIB inside the lab directory.
And the README's ocf-tester example, run as written on the installed simulator (no cluster).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.lab.support import wait_for
from xenha_sim.demo import XENHA, Scenario

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PREFIX = "xcnv"
LOGFILE = "/var/log/pacemaker/cluster.log"  # not pacemaker's default: only PCMK_logfile puts anything there


@pytest.fixture
def scenario(lab):
    varlib = lab.dir / "varlib"
    s = Scenario(lab, XENHA, prefix=PREFIX, extra_env={"PCMK_logfile": LOGFILE, "HA_VARLIB": str(varlib)})
    yield s
    s.stop_watch()


def _crm(scenario: Scenario, *args: str) -> None:
    done = scenario.lab.exec("ha1", ["crm", *args], timeout=60, capture=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_agents_log_to_pcmk_logfile_and_crm_resource_trace_writes_trace_files(scenario):
    scenario.bring_up()
    ha1_log = scenario.lab.node_dir("ha1") / LOGFILE.lstrip("/")
    text = ha1_log.read_text(errors="replace")
    assert "pacemaker-controld" in text  # Pacemaker's own lines: this is its log file
    # the agents' lines, ha_log's format: "DATE Agent(instance)[pid]:    LEVEL: message"
    agent_line = re.compile(r"^\w{3} \d\d \d\d:\d\d:\d\d (XenDomainHA\(web1\)|DrbdDualPrimary\(drbd-r0\))\[\d+\]:    ")
    tags = {m[1] for m in map(agent_line.match, text.splitlines()) if m}
    assert tags == {"XenDomainHA(web1)", "DrbdDualPrimary(drbd-r0)"}, text[-3000:]

    traces = scenario.lab.dir / "varlib" / "trace_ra" / "XenDomainHA"
    _crm(scenario, "resource", "trace", "web1", "monitor")
    found = wait_for(lambda: sorted(traces.glob("web1.monitor.*")), 45, "a trace file of web1's monitor")
    name = found[0].name
    assert re.fullmatch(r"web1\.monitor\.\d{4}-\d\d-\d\d\.\d\d:\d\d:\d\d", name), name
    trace = found[0].read_text(errors="replace")
    assert "DEBUG:" in trace and "monitor" in trace, trace[:2000]
    assert not (scenario.lab.dir / "varlib" / "trace_ra" / "DrbdDualPrimary").exists()  # only what was asked

    _crm(scenario, "resource", "untrace", "web1", "monitor")
    time.sleep(12)  # the monitor runs every 10 s: one more with the old op, at most
    settled = len(list(traces.glob("web1.monitor.*")))
    time.sleep(11)  # another monitor interval
    assert len(list(traces.glob("web1.monitor.*"))) == settled
    assert scenario.guest_on("web1", "ha1") and scenario.violations == []


def readme_ocf_tester_block() -> str:
    """The README's ```sh block under "### ocf-tester on one node"."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text.split("### ocf-tester on one node", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)
    assert len(blocks) == 1, blocks
    return blocks[0]


@pytest.mark.skipif(shutil.which("ocf-tester") is None, reason="ocf-tester (resource-agents) is not installed")
def test_the_readmes_ocf_tester_example_passes_as_written(installed):
    block = readme_ocf_tester_block()
    assert block.count("ocf-tester ") == 2
    work = Path("/tmp/ocft")  # the README's own directory
    try:
        done = subprocess.run(
            ["bash", "-e", "-c", block],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C", "HA_LOGFACILITY": "none"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/usr/lib/ocf/resource.d/xenha/DrbdDualPrimary passed all tests" in done.stdout
    assert "/usr/lib/ocf/resource.d/xenha/XenDomainHA passed all tests" in done.stdout
