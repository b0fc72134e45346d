"""StateDir: private directory, atomic state files, symlink safety, locks."""

from __future__ import annotations

import os
import stat

import pytest

from xenha.errors import DeadlineExceeded, PermissionDenied, ProgrammerError
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


def test_unsafe_names_are_a_programming_error(tmp_path):
    with pytest.raises(ProgrammerError):
        StateDir(str(tmp_path)).read("../etc/passwd")


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
