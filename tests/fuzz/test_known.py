# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Findings of the fuzz, each on its smallest example. An open one is a strict xfail naming its request in
tests/fuzz/known.py (when the fix lands the xfail passes, strict xfail fails the run, and the entry goes); a fixed one
stays here as a plain regression test."""

from __future__ import annotations

import pytest

from tests.fuzz.agents import SPECS, patched
from tests.fuzz.harness import FakeRunner, Sandbox, World, call, violations
from tests.fuzz.test_fuzz_agents import base_environ

pytestmark = pytest.mark.fuzz


@pytest.fixture
def box():
    sandbox = Sandbox.create()
    yield sandbox
    sandbox.remove()


def test_stop_succeeds_with_a_run_dir_under_a_file(box: Sandbox) -> None:
    spec = next(s for s in SPECS if s.name == "AoEExport")
    runner = FakeRunner(World(box))
    environ = base_environ(box) | {f"OCF_RESKEY_{k}": v for k, v in spec.baseline(box).items()}
    environ |= {"OCF_RESOURCE_INSTANCE": "aoe1", "XENHA_RUN_DIR": "/dev/null/run"}
    with patched(box, []):
        outcome = call(lambda: spec.main(["AoEExport", "stop"], environ, runner=runner), limit=5, runner=runner)
    assert not violations(outcome, codes=spec.codes, timeout_s=30, expect=frozenset({0}))
