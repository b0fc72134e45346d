# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""StateDir: private directory, atomic state files, symlink safety, locks."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xenha.errors import DeadlineExceeded, PermissionDenied
from xenha.run import Deadline
from xenha.state import StateDir


def test_write_read_remove(tmp_path):
    sd = StateDir(str(tmp_path / "xenha"))
    assert sd.read("score") is None
    sd.write("score", "1000")
    assert sd.read("score") == "1000"
    assert stat.S_IMODE(os.stat(sd.path).st_mode) == 0o700
    sd.remove("score")
    sd.remove("score")
    assert sd.read("score") is None


def test_symlinked_directory_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    with pytest.raises(PermissionDenied, match="not a directory"):
        StateDir(str(tmp_path / "link")).ensure()


def test_symlinked_state_file_is_not_followed(tmp_path):
    sd = StateDir(str(tmp_path / "xenha"))
    sd.ensure()
    secret = tmp_path / "secret"
    secret.write_text("root only")
    os.symlink(secret, tmp_path / "xenha" / "score")
    assert sd.read("score") is None
    sd.write("score", "5")
    assert secret.read_text() == "root only"
    assert sd.read("score") == "5"


def test_unsafe_names_are_encoded_never_followed_out_of_the_directory(tmp_path):
    # Once a ProgrammerError: a clone id with a non-ASCII letter made DrbdDualPrimary's stop fail (issue 13)
    (tmp_path / "secret").write_text("outside")
    state = StateDir(str(tmp_path / "state"))
    assert state.read("../secret") is None
    state.write("../secret", "inside")
    assert (tmp_path / "secret").read_text() == "outside"
    assert state.read("../secret") == "inside"


def test_lock_is_exclusive(tmp_path):
    sd = StateDir(str(tmp_path / "xenha"))
    with sd.lock("r0", Deadline(5)):
        pid = os.fork()
        if pid == 0:
            try:
                with StateDir(sd.path).lock("r0", Deadline(0.3)):
                    os._exit(1)
            except DeadlineExceeded:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


@given(st.text(min_size=1, max_size=300))
def test_any_name_gives_a_safe_file_name_that_decodes_back(name):
    from xenha.state import decode_name, encode_name

    file_name = encode_name(name)
    assert "/" not in file_name and not file_name.startswith(".") and len(file_name) <= 200
    assert file_name.isascii() and "\x00" not in file_name
    if len(file_name) < 182:  # not cut: the name comes back
        assert decode_name(file_name) == name.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def test_pacemaker_ids_with_non_ascii_or_long_names_are_stored(tmp_path):
    state = StateDir(str(tmp_path / "s"))
    for name in ("score.drbd-r\u00e9sum\u00e9", "score." + "x" * 250, "score.a b", "../escape", ".hidden"):
        state.write(name, "1")
        assert state.read(name) == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]  # nothing escaped the directory
