# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared test fixtures: the captured tool output in ../shared/fixtures, and hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.fixtures import FIXTURES

# Timing varies on shared CI machines, so no per-example deadline; CI derandomises for reproducible runs.
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The root of the shared fixtures (override with XENHA_FIXTURES)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"fixtures not found at {FIXTURES}; set XENHA_FIXTURES")
    return FIXTURES
