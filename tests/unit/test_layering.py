# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The product never imports the simulator or test code, and a monitor's imports stay light."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCT = sorted((REPO / "lib" / "xenha").rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", PRODUCT, ids=[str(p.relative_to(REPO)) for p in PRODUCT])
def test_product_does_not_import_simulator_or_tests(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] in ("xenha_sim", "tests", "pytest", "hypothesis")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "module", ["xenha.agents.xendomain", "xenha.agents.drbddual", "xenha.agents.aoeexport", "xenha.agents.o2cb"]
)
def test_agent_modules_import_no_heavy_dependency(module):
    """lxml, daemon and filelock are for meta-data, start and locking paths only: a monitor must not load them."""
    lib = str(REPO / "lib")
    code = f"import sys; sys.path.insert(0, {lib!r}); import {module}; "
    code += "print(','.join(m for m in ('lxml', 'daemon', 'filelock') if m in sys.modules))"
    out = subprocess.run(
        ["/usr/bin/python3", "-I", "-c", code],
        env={},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""
