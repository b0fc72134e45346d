# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""drbdmarks: the split-brain marks DrbdDualPrimary leaves for the guard and `xenha inspect`."""

from __future__ import annotations

import os

from xenha.drbd.marks import SPLIT_BRAIN_MARK, split_brain_marks
from xenha.state import StateDir


def test_marks_written_through_the_agents_state_dir_are_read_back(tmp_path):
    state = StateDir(str(tmp_path / "DrbdDualPrimary"))
    state.write(f"{SPLIT_BRAIN_MARK}r0", "0 1\n")
    state.write(f"{SPLIT_BRAIN_MARK}r1", "\n")  # DRBD 9 without minors known: marked by name
    state.write("score.drbd_r0", "10000")
    assert split_brain_marks(str(tmp_path)) == {"r0": (0, 1), "r1": ()}
    state.remove(f"{SPLIT_BRAIN_MARK}r0")
    assert split_brain_marks(str(tmp_path)) == {"r1": ()}


def test_no_directory_no_marks(tmp_path):
    assert split_brain_marks(str(tmp_path / "missing")) == {}


def test_a_symlinked_directory_or_a_symlinked_mark_is_not_believed(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    (real / f"{SPLIT_BRAIN_MARK}r0").write_text("0\n")
    os.symlink(real, tmp_path / "DrbdDualPrimary")
    assert split_brain_marks(str(tmp_path)) == {}
    other = tmp_path / "other"
    (other / "DrbdDualPrimary").mkdir(parents=True)
    os.symlink(real / f"{SPLIT_BRAIN_MARK}r0", other / "DrbdDualPrimary" / f"{SPLIT_BRAIN_MARK}r0")
    assert split_brain_marks(str(other)) == {}


def test_garbage_in_a_mark_still_marks_the_resource(tmp_path):
    (tmp_path / "DrbdDualPrimary").mkdir()
    (tmp_path / "DrbdDualPrimary" / f"{SPLIT_BRAIN_MARK}r0").write_bytes(b"\xff -1 99999999 3\n")
    assert split_brain_marks(str(tmp_path)) == {"r0": (3,)}


def test_a_mark_planted_where_another_user_may_write_is_not_believed(tmp_path):
    """Issue 13: a split-brain mark planted under a foreign-owned XENHA_RUN_DIR stopped guests from starting."""
    directory = tmp_path / "DrbdDualPrimary"
    directory.mkdir(mode=0o700)
    (directory / f"{SPLIT_BRAIN_MARK}r0").write_text("0\n")
    assert split_brain_marks(str(tmp_path)) == {"r0": (0,)}
    os.chown(directory, 65534, 65534)
    assert split_brain_marks(str(tmp_path)) == {}
    os.chown(directory, 0, 0)
    os.chmod(directory, 0o777)
    assert split_brain_marks(str(tmp_path)) == {}
    os.chmod(directory, 0o700)
    os.chown(tmp_path, 65534, 65534)  # the run directory above it
    assert split_brain_marks(str(tmp_path)) == {}


def test_a_fifo_as_a_mark_never_blocks(tmp_path):
    directory = tmp_path / "DrbdDualPrimary"
    directory.mkdir(mode=0o700)
    os.mkfifo(directory / f"{SPLIT_BRAIN_MARK}r0")
    (directory / f"{SPLIT_BRAIN_MARK}r1").write_text("1\n")
    assert split_brain_marks(str(tmp_path)) == {"r1": (1,)}
