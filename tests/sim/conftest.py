# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""A simulated world in a temporary directory, with the simulated tools first on PATH.

The tools are symlinks to the checkout's launchers (packaging/lab-scripts), which find ../lib through the link
(python3 -IS ignores PYTHONPATH); the agents under test are the checkout's ocf/ launchers, found the same way.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from xenha_sim.world import World, add_node

REPO = Path(__file__).resolve().parents[2]
LAB_SCRIPTS = REPO / "packaging" / "lab-scripts"


@dataclass
class Sim:
    """A world plus per-node environments; `run(node, argv)` runs a simulated tool as that node."""

    world: World
    bindir: Path
    root: Path

    def env(self, node: str, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
            "XENHA_SIM_WORLD": self.world.path,
            "XENHA_SIM_NODE": node,
            "XENHA_PROC_DRBD": str(self.proc_drbd(node)),
            "LC_ALL": "C",
        }
        env.update(extra)
        return env

    def proc_drbd(self, node: str) -> Path:
        return self.root / "nodes" / node / "proc_drbd"

    def run(
        self, node: str, argv: Sequence[str], *, timeout: float = 30, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), env=self.env(node, **extra), capture_output=True, text=True, timeout=timeout, check=False
        )

    def add_node(self, name: str, **kwargs: object) -> None:
        self.proc_drbd(name).parent.mkdir(parents=True, exist_ok=True)
        with self.world.transaction() as state:
            add_node(state, name, **kwargs)  # type: ignore[arg-type]
            state["nodes"][name]["proc_drbd"] = str(self.proc_drbd(name))


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    """An empty world with nodes ha1 and ha2; tools from packaging/lab-scripts on PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for script in LAB_SCRIPTS.glob("*"):
        os.symlink(script, bindir / script.name)
    world = World(str(tmp_path / "world"))
    world.create()
    s = Sim(world=world, bindir=bindir, root=tmp_path)
    s.add_node("ha1")
    s.add_node("ha2")
    return s
