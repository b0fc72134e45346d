# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Discovery of ../shared/fixtures for parametrisation; the files stay in shared/ and are never copied."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["FIXTURES", "fixture_params", "fixture_paths"]

_REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("XENHA_FIXTURES", _REPO.parent / "shared" / "fixtures"))


def fixture_paths(*globs: str) -> list[Path]:
    """Every fixture file matching any of `globs` (relative to the fixtures root), sorted, no duplicates."""
    found: set[Path] = set()
    for pattern in globs:
        found.update(p for p in FIXTURES.glob(pattern) if p.is_file())
    return sorted(found)


def fixture_params(*globs: str) -> list[object]:
    """`fixture_paths` as pytest params with readable ids; fails loudly when nothing matches."""
    import pytest

    paths = fixture_paths(*globs)
    if not paths:
        raise RuntimeError(f"no fixtures match {globs} under {FIXTURES}")
    return [pytest.param(p, id=str(p.relative_to(FIXTURES))) for p in paths]
