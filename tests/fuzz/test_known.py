"""Each finding tests/fuzz/known.py excuses, on its smallest example, as a strict xfail naming its request: when the
fix lands this passes, strict xfail fails the run, and the entry in known.py (and this test) goes."""

from __future__ import annotations

import pytest

from tests.fuzz.agents import FENCE, SPECS, patched
from tests.fuzz.harness import HARD_CAP, OCF_CODES, FakeRunner, Sandbox, World, call, violations
from tests.fuzz.known import KNOWN
from tests.fuzz.test_fuzz_agents import base_environ

pytestmark = pytest.mark.fuzz


@pytest.fixture
def box():
    sandbox = Sandbox.create()
    yield sandbox
    sandbox.remove()


def _fence(box: Sandbox, action: str, **values: str) -> list[str]:
    runner = FakeRunner(World(box))
    values = {**FENCE.baseline(box), **values}
    with patched(box, []):
        outcome = call(FENCE.call(box, runner, action, values, base_environ(box)), limit=HARD_CAP, runner=runner)
    return violations(outcome, codes=FENCE.codes, timeout_s=HARD_CAP, fuzzed=values)


def _request(agent: str, start: str) -> str:
    return next(k.request for k in KNOWN if k.agent == agent and k.violation.startswith(start))


@pytest.mark.xfail(strict=True, reason=_request("O2cbCluster", "exit reason"))
def test_o2cb_reason_quoting_a_long_cluster_name_fits(box: Sandbox) -> None:
    spec = next(s for s in SPECS if s.name == "O2cbCluster")
    runner = FakeRunner(World(box))
    environ = base_environ(box) | {f"OCF_RESKEY_{k}": v for k, v in spec.baseline(box).items()}
    environ |= {"OCF_RESKEY_cluster": "名" * 30, "OCF_RESOURCE_INSTANCE": "o2cb"}
    outcome = call(lambda: spec.main(["O2cbCluster", "validate-all"], environ, runner=runner), limit=5, runner=runner)
    assert not violations(outcome, codes=OCF_CODES, timeout_s=30)


@pytest.mark.xfail(strict=True, reason=_request("fence_noop", "plug="))
def test_fence_noop_plug_never_reaches_xenha_sim_as_an_option(box: Sandbox) -> None:
    assert not _fence(box, "off", plug="-a", hosts="", sim_world=box.path("world"))


@pytest.mark.xfail(strict=True, reason=_request("fence_noop", "uncaught UnicodeEncodeError"))
def test_fence_noop_lists_undecodable_host_names_without_a_traceback(box: Sandbox) -> None:
    assert not _fence(box, "list", hosts="web\udc80")
