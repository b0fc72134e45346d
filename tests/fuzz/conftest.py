# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fuzz suite's hypothesis profiles and its closing counts.

XENHA_FUZZ selects the profile: unset or `ci` is the bounded, derandomized one that runs with every pytest run
(a few examples per agent and action, stable across runs); `long` is `make fuzz` (>= 20,000 examples, random, the
counts per agent and action printed at the end). XENHA_FUZZ_EXAMPLES overrides the examples per test.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.harness import TALLY

_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]

settings.register_profile(
    "xenha-fuzz-ci",
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "xenha-fuzz-long",
    max_examples=300,
    derandomize=False,
    database=None,
    deadline=None,
    suppress_health_check=_HEALTH,
    print_blob=True,
)

MODE = os.environ.get("XENHA_FUZZ", "ci").strip().lower() or "ci"
if MODE not in ("ci", "long"):
    raise pytest.UsageError(f"XENHA_FUZZ={MODE!r}: ci or long")
FUZZ = settings(
    settings.get_profile(f"xenha-fuzz-{MODE}"),
    **({"max_examples": int(os.environ["XENHA_FUZZ_EXAMPLES"])} if os.environ.get("XENHA_FUZZ_EXAMPLES") else {}),
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: the in-process fuzz suite (tests/fuzz); XENHA_FUZZ=long for make fuzz")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.runs and (MODE == "long" or os.environ.get("XENHA_FUZZ_COUNTS")):
        terminalreporter.section(f"xenha fuzz counts ({MODE} profile)")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
