"""Each finding tests/fuzz/known.py excuses, on its smallest example, as a strict xfail naming its request: when the
fix lands this passes, strict xfail fails the run, and the entry in known.py (and this test) goes."""

from __future__ import annotations

import pytest

from tests.fuzz.agents import FENCE, SPECS, patched
from tests.fuzz.harness import HARD_CAP, FakeRunner, Sandbox, World, call, violations
from tests.fuzz.known import KNOWN
from tests.fuzz.test_fuzz_agents import base_environ

pytestmark = pytest.mark.fuzz


@pytest.fixture
def box():
    sandbox = Sandbox.create()
    yield sandbox
    sandbox.remove()


def _request(agent: str, start: str) -> str:
    return next(k.request for k in KNOWN if k.agent == agent and k.violation.startswith(start))


@pytest.mark.xfail(strict=True, reason=_request("O2cbCluster", "uncaught UnicodeEncodeError"))
def test_an_exit_reason_with_an_undecodable_byte_is_printed_not_raised(box: Sandbox) -> None:
    spec = next(s for s in SPECS if s.name == "O2cbCluster")
    runner = FakeRunner(World(box))
    environ = base_environ(box) | {f"OCF_RESKEY_{k}": v for k, v in spec.baseline(box).items()}
    environ |= {"OCF_RESOURCE_INSTANCE": "o2cb", "OCF_RESKEY_CRM_meta_on_node": "\udc80"}
    outcome = call(lambda: spec.main(["O2cbCluster", "start"], environ, runner=runner), limit=5, runner=runner)
    assert not violations(outcome, codes=spec.codes, timeout_s=30)


@pytest.mark.xfail(strict=True, reason=_request("fence_noop", "uncaught UnicodeEncodeError"))
def test_fence_noop_lists_with_an_undecodable_separator_without_a_traceback(box: Sandbox) -> None:
    runner = FakeRunner(World(box))
    values = {**FENCE.baseline(box), "separator": "web\udc80"}
    with patched(box, []):
        outcome = call(FENCE.call(box, runner, "list", values, base_environ(box)), limit=HARD_CAP, runner=runner)
    assert not violations(outcome, codes=FENCE.codes, timeout_s=HARD_CAP)
