# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""pyproject.toml + setup.cfg: `pip wheel --no-build-isolation .` builds the library offline (Debian setuptools)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from xenha import __version__

REPO = Path(__file__).resolve().parents[2]


def test_pip_wheel_builds_the_library_without_the_simulator(tmp_path):
    source = tmp_path / "src"  # a copy: an in-tree build would leave build/ and *.egg-info in the checkout
    shutil.copytree(REPO / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "setup.cfg", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-w", str(tmp_path),
         str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = tmp_path / f"xenha-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "xenha/agents/xendomain.py" in names and "xenha/ocf/protocol.py" in names
    assert not [n for n in names if n.startswith("xenha_sim/")]
    assert f"xenha-{__version__}.dist-info/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"xenha-{__version__}.dist-info/METADATA").decode()
    assert "License: GPL-2.0-or-later" in metadata and "Requires-Dist: lxml" in metadata
