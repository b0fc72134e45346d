"""Shared test fixtures: the captured tool output in ../shared/fixtures, and the lab marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import FIXTURES


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The root of the shared fixtures (override with XENHA_FIXTURES)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"fixtures not found at {FIXTURES}; set XENHA_FIXTURES")
    return FIXTURES
