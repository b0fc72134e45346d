# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Split-brain marks: what DrbdDualPrimary remembers of a split-brain, read by the DRBD guard and `xenha inspect`.

DrbdDualPrimary writes `<run_dir>/DrbdDualPrimary/split-brain.RES` (its minors, space-separated) when it sees the
resource go StandAlone after being connected, and removes it once the resource is connected again: the
administrator resolved the split. /run goes at a reboot, and the mark with it.
"""

from __future__ import annotations

import os

from xenha.drbd.model import SPLIT_BRAIN_MARK
from xenha.state import StateDir

__all__ = ["SPLIT_BRAIN_MARK", "split_brain_marks"]

_AGENT_DIR = "DrbdDualPrimary"


def split_brain_marks(run_dir: str) -> dict[str, tuple[int, ...]]:
    """Resource name -> minors of every unresolved split-brain marked under `run_dir`; {} when there is none.

    Read through StateDir, so only a directory the agents' own checks trust is believed (owned by root or us,
    writable by nobody else, under safe parents), no mark that is a symlink or not a regular file is followed,
    and each is read bounded (xenha.files).
    """
    marks: dict[str, tuple[int, ...]] = {}
    for name, text in StateDir(os.path.join(run_dir, _AGENT_DIR)).entries(SPLIT_BRAIN_MARK).items():
        words = text.split()
        marks[name[len(SPLIT_BRAIN_MARK) :]] = tuple(
            int(w) for w in words if w.isascii() and w.isdigit() and len(w) < 7
        )
    return marks
