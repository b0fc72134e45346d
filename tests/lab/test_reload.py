# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""A reloadable parameter changed on a running cluster is reloaded in place (OCF 1.1 reload-agent), not restarted.

On the demo cluster (the README's configuration: DRBD Promoted on both nodes, web1 on ha1, web2 on ha2), change
one reloadable parameter of XenDomainHA and one of DrbdDualPrimary with crm_resource, as an admin does. Pacemaker
must run reload-agent on each instance: the guest keeps its domain id, DRBD is never demoted or stopped on either
node (sampled five times a second in the world), and no stop, demote, or start of those resources is logged.
One cluster for the whole file.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.lab.support import Sampler, wait_for
from xenha_sim import xensim
from xenha_sim.demo import XENHA, Scenario

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PREFIX = "xrld"


class Roles(Sampler):
    """Samples r0's DRBD roles and web1's domain id in the world, five times a second, in the background."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.seen_roles: set[tuple[str, str]] = set()
        self.seen_domids: set[int] = set()

    def sample(self) -> None:
        self.seen_roles.update(self.scenario.world_drbd_roles("r0").items())
        self.seen_domids.add(domid(self.scenario, "web1", "ha1"))


def domid(scenario: Scenario, guest: str, node: str) -> int:
    state = scenario.lab.world.snapshot()
    (dom,) = [d for d in xensim.list_domains(state, node, time.time()) if d.name == guest]
    return dom.domid


class PacemakerLog:
    """Both nodes' pacemaker.log (each node's /var/log is its own), from where each ended at the mark."""

    def __init__(self, scenario: Scenario) -> None:
        self.paths = [scenario.lab.node_dir(n) / "var/log/pacemaker/pacemaker.log" for n in ("ha1", "ha2")]
        self.offsets = [0, 0]

    def mark(self) -> None:
        self.offsets = [p.stat().st_size if p.exists() else 0 for p in self.paths]

    def since_mark(self) -> str:
        texts = []
        for path, offset in zip(self.paths, self.offsets, strict=True):
            if path.exists():
                with path.open("rb") as handle:
                    handle.seek(offset)
                    texts.append(handle.read().decode(errors="replace"))
        return "\n".join(texts)


@pytest.fixture
def scenario(lab):
    s = Scenario(lab, XENHA, prefix=PREFIX)
    yield s
    s.stop_watch()


def _set(scenario: Scenario, rsc: str, param: str, value: str) -> None:
    done = scenario.lab.exec("ha1", ["crm_resource", "-r", rsc, "-p", param, "-v", value], timeout=30, capture=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_reloadable_parameters_reload_without_restart(scenario):
    scenario.bring_up()
    before = domid(scenario, "web1", "ha1")
    log = PacemakerLog(scenario)
    log.mark()
    with Roles(scenario) as sampled:
        _set(scenario, "web1", "shutdown_timeout", "40")  # Reloadable (XenDomainHA meta-data)
        _set(scenario, "drbd-r0", "promotion_scores", "10000 1000 6 2")  # Reloadable (DrbdDualPrimary)
        done = re.compile(r"Result of reload-agent operation for (web1|drbd-r0) on (ha[12]): ok")
        wanted = {("web1", "ha1"), ("drbd-r0", "ha1"), ("drbd-r0", "ha2")}
        wait_for(
            lambda: {(m[1], m[2]) for m in done.finditer(log.since_mark())} >= wanted,
            60,
            "reload-agent of web1 (ha1) and drbd-r0 (both nodes) done, in pacemaker.log",
        )
        time.sleep(5)  # a restart would follow the reload's transition at once
    text = log.since_mark()
    # every operation the controllers ran on these two resources since the change: the reloads, then the
    # recurring monitors registered again with the new parameters; no stop, start, demote or promote
    executed = re.compile(r"Requesting local execution of (\S+) operation for (web1|drbd-r0) on (ha[12])")
    ops = {(m[1], m[2], m[3]) for m in executed.finditer(text)}
    assert {op for op in ops if op[0] != "monitor"} == {("reload-agent", *w) for w in wanted}, text[-4000:]
    assert re.search(r"Actions: Reload\s+web1\s", text) and re.search(r"Actions: Reload\s+drbd-r0:", text)
    assert not re.search(r"Actions: (Restart|Stop|Demote|Start)\s+(web1|drbd-r0)", text)
    assert sampled.seen_domids == {before}
    assert sampled.seen_roles == {("ha1", "Primary"), ("ha2", "Primary")}
    assert domid(scenario, "web1", "ha1") == before
    crm = scenario.crm_resources()
    assert sorted(crm["drbd-r0"]) == [("ha1", "Promoted"), ("ha2", "Promoted")], crm
    assert scenario.violations == []
