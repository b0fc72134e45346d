# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""StateDir trusts only a directory no other user can write: planted files are never read back (issue 13)."""

from __future__ import annotations

import os

import pytest

from xenha.errors import PermissionDenied
from xenha.state import StateDir, UnsafeStateDir, directory_problem

NOBODY = 65534


def _foreign(path: os.PathLike[str] | str) -> None:
    os.chown(path, NOBODY, NOBODY)


@pytest.fixture
def planted(tmp_path):
    """A state directory another user owns, holding the files an attacker put there."""
    state = tmp_path / "run" / "DrbdDualPrimary"
    state.mkdir(parents=True, mode=0o700)
    (state / "score.drbd_r0").write_text("10000")
    (state / "split-brain.r0").write_text("0\n")
    _foreign(state)
    return state


def test_a_foreign_owned_directory_is_never_read(planted, caplog):
    sd = StateDir(str(planted))
    assert "owned by uid 65534" in (sd.problem() or "")
    assert sd.read("score.drbd_r0") is None
    assert sd.entries("split-brain.") == {}
    assert StateDir(str(planted)).is_trusted() is False


def test_writes_and_locks_in_a_foreign_owned_directory_are_refused_in_one_line(planted):
    from xenha.run import Deadline

    with pytest.raises(UnsafeStateDir, match=r"owned by uid 65534, not root") as info:
        StateDir(str(planted)).write("score.drbd_r0", "5")
    assert isinstance(info.value, PermissionDenied) and "\n" not in info.value.reason
    assert info.value.reason.startswith("state directory owned by uid 65534, not root: ")  # the cause survives clipping
    with pytest.raises(UnsafeStateDir), StateDir(str(planted)).lock("r0", Deadline(1)):
        pass
    assert (planted / "score.drbd_r0").read_text() == "10000"


def test_removal_in_an_untrusted_directory_touches_nothing(planted):
    StateDir(str(planted)).remove("score.drbd_r0")  # no error: stop goes on
    assert (planted / "score.drbd_r0").exists()


def test_a_directory_writable_by_group_or_others_is_refused(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "x").write_text("planted")
    for mode in (0o770, 0o707, 0o777):
        os.chmod(state, mode)
        sd = StateDir(str(state))
        assert "writable by group or others" in (sd.problem() or "")
        assert sd.read("x") is None
    os.chmod(state, 0o755)  # readable is fine; write makes it private again
    sd = StateDir(str(state))
    assert sd.read("x") == "planted"
    sd.write("y", "1")
    assert os.stat(state).st_mode & 0o777 == 0o700


def test_a_parent_another_user_owns_or_may_write_is_refused_before_anything_is_created(tmp_path):
    parent = tmp_path / "users-dir"
    parent.mkdir()
    _foreign(parent)
    sd = StateDir(str(parent / "xenha" / "DrbdDualPrimary"))
    with pytest.raises(UnsafeStateDir, match="owned by uid 65534"):
        sd.ensure()
    assert not (parent / "xenha").exists()
    os.chown(parent, 0, 0)
    os.chmod(parent, 0o777)
    assert "not sticky" in (directory_problem(str(parent / "xenha")) or "")
    os.chmod(parent, 0o1777)  # like /tmp: nobody else can rename or remove what we make there
    assert directory_problem(str(parent / "xenha")) is None
    StateDir(str(parent / "xenha")).write("a", "1")


def test_a_symlink_as_the_directory_is_refused_but_a_symlinked_parent_is_resolved(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert "not a directory" in (directory_problem(str(tmp_path / "link")) or "")
    sd = StateDir(str(tmp_path / "link" / "state"))  # /var/run/xenha -> /run/xenha
    sd.write("a", "1")
    assert sd.read("a") == "1"


def test_the_run_directory_default_is_checked_the_same_way():
    assert directory_problem("/run/xenha-test-absent/x") is None  # root's /run, absent leaf: fine


def test_a_path_that_cannot_exist_is_absent_not_untrusted(tmp_path):
    """XENHA_RUN_DIR=/dev/null/xenha (tests use it to remember nothing): reads find nothing, quietly."""
    sd = StateDir("/dev/null/xenha/XenDomainHA")
    assert sd.problem() is None and sd.read("x") is None
    with pytest.raises(UnsafeStateDir, match="cannot create state directory"):
        sd.write("x", "1")


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_removal_under_a_file_or_a_fifo_is_nothing_to_remove(tmp_path, kind):
    """XENHA_RUN_DIR under a file or a FIFO: unlink raised NotADirectoryError and failed stops (fuzz #D3)."""
    run = tmp_path / "run"
    if kind == "file":
        run.write_text("")
    else:
        os.mkfifo(run)
    sd = StateDir(str(run / "DrbdDualPrimary"))
    sd.remove("minors.r0")
    assert sd.read("minors.r0") is None and sd.entries("") == {}
