# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha.files: the one bounded reader (kinds refused, size bound, the op's deadline)."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import pytest

from xenha import files
from xenha.errors import DeadlineExceeded
from xenha.files import FileRefused, read_bytes, read_text
from xenha.run import Deadline


def test_a_regular_file_is_read_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_bytes(str(path), limit=100) == b"x" * 100
    with pytest.raises(FileRefused, match="larger than 99 bytes") as info:
        read_bytes(str(path), limit=99)
    assert info.value.errno == errno.EFBIG
    assert read_text(str(path), limit=100, deadline=Deadline(5.0)) == "x" * 100


def test_a_fifo_is_refused_at_once_without_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    began = time.monotonic()
    with pytest.raises(FileRefused, match="a FIFO, not a regular file"):
        read_bytes(str(fifo), limit=10, deadline=Deadline(5.0))
    assert time.monotonic() - began < 1.0


def test_a_directory_and_a_device_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="a directory") as info:
        read_bytes(str(tmp_path), limit=10)
    assert info.value.errno == errno.EISDIR
    with pytest.raises(FileRefused, match="a character device"):
        read_bytes("/dev/zero", limit=10)  # would never end without the bound
    assert read_bytes("/dev/null", limit=10, special=True) == b""
    with pytest.raises(FileRefused, match="larger than 10 bytes"):
        read_bytes("/dev/zero", limit=10, special=True)  # bounded even where allowed


def test_nofollow_refuses_a_symlink_and_follows_otherwise(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("secret")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_bytes(str(link), limit=10) == b"secret"
    with pytest.raises(FileRefused, match="a symbolic link") as info:
        read_bytes(str(link), limit=10, nofollow=True)
    assert info.value.errno == errno.ELOOP


def test_an_absent_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "absent"), limit=10, deadline=Deadline(5.0))


def test_a_file_system_that_never_answers_costs_no_more_than_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead NFS or OCFS2 mount: stat sleeps in the kernel. Simulated by a stat that waits for a release."""
    hung = str(tmp_path / "on-a-dead-mount.cfg")
    release = threading.Event()
    real_stat = os.stat

    def sleeping_stat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        if path == hung:
            release.wait(30)
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "stat", sleeping_stat)
    try:
        began = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="hung NFS or cluster mount"):
            read_bytes(hung, limit=10, deadline=Deadline(0.3))
        assert time.monotonic() - began < 1.0
        with pytest.raises(DeadlineExceeded, match="no time left"):
            read_bytes(hung, limit=10, deadline=Deadline(0.0))
    finally:
        release.set()


def test_the_thread_is_used_only_under_a_finite_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import _thread

    path = tmp_path / "f"
    path.write_text("x")

    def no_thread(*args: object) -> int:
        raise AssertionError("a thread for a read with no deadline")

    monkeypatch.setattr(_thread, "start_new_thread", no_thread)
    assert read_bytes(str(path), limit=1) == b"x"
    assert read_bytes(str(path), limit=1, deadline=Deadline(None)) == b"x"
    with pytest.raises(AssertionError, match="a thread"):
        read_bytes(str(path), limit=1, deadline=Deadline(5.0))


def test_stat_path_gives_up_at_the_deadline_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xenha.files import stat_path

    path = tmp_path / "f"
    path.write_text("x")
    assert stat_path(str(path), deadline=Deadline(5.0)).st_size == 1
    link = tmp_path / "link"
    link.symlink_to(path)
    import stat

    assert stat.S_ISLNK(stat_path(str(link), nofollow=True).st_mode)
    assert stat.S_ISREG(stat_path(str(link)).st_mode)
    release = threading.Event()
    real_stat = os.stat

    def sleeping_stat(p: str, *args: object, **kwargs: object) -> os.stat_result:
        if p == str(path):
            release.wait(30)
        return real_stat(p, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "stat", sleeping_stat)
    try:
        began = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            stat_path(str(path), deadline=Deadline(0.2))
        assert time.monotonic() - began < 1.0
    finally:
        release.set()


def test_write_atomic_gives_the_mode_whatever_the_umask_and_never_writes_through_a_planted_name(tmp_path):
    from xenha.files import write_atomic

    target, tmp = tmp_path / "conf", tmp_path / "conf.tmp"
    old = os.umask(0o077)
    try:
        write_atomic(str(target), "one\n", tmp=str(tmp), mode=0o644, fsync=True)
    finally:
        os.umask(old)
    assert (target.read_text(), target.stat().st_mode & 0o777, tmp.exists()) == ("one\n", 0o644, False)
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    tmp.symlink_to(victim)
    with pytest.raises(FileExistsError):
        write_atomic(str(target), "two\n", tmp=str(tmp), mode=0o600)
    assert (victim.read_text(), target.read_text()) == ("keep\n", "one\n")


def test_write_atomic_removes_its_temporary_file_when_the_rename_fails(tmp_path):
    from xenha.files import write_atomic

    tmp = tmp_path / "x.tmp"
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inside").write_text("")
    with pytest.raises(OSError):
        write_atomic(str(tmp_path / "dir"), "text", tmp=str(tmp), mode=0o600)  # a file cannot replace a directory
    assert not tmp.exists()
