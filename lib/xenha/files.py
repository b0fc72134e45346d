# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bounded reads of the files a parameter, the environment or the kernel names: one reader for every agent.

`read_bytes` never waits on a FIFO (O_NONBLOCK), never opens a device or a directory (the kind is checked with
stat before the open, so that opening has no side effect such as arming a watchdog or rewinding a tape, and with
fstat after it, so that a swap in between is caught), reads at most `limit` bytes, and gives up at the op's
deadline. The deadline matters for files on a network or cluster file system: stat, open and read on a dead NFS
or OCFS2 mount sleep in the kernel until the server or the cluster answers, and no flag avoids that. When the
caller gives a finite deadline, the work is done in a helper thread and the caller waits for it no longer than
the deadline; a thread still stuck is left behind (NFS and OCFS2 sleep killably, so it ends with the process,
which launchers end with os._exit). Files in /proc, /sys and configfs never sleep like that: their readers pass
no deadline and pay for no thread.

`write_atomic` is the one way a file is replaced: an O_EXCL|O_NOFOLLOW temporary file, then a rename.

On the hot path: imports only os, errno (built in), _thread (built in, loaded by the interpreter at start-up) and
xenha.errors.
"""

from __future__ import annotations

import errno
import os

from xenha.errors import DeadlineExceeded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from xenha.run import Deadline

    T = TypeVar("T")

__all__ = ["FileRefused", "read_bytes", "read_text", "stat_path", "write_atomic"]

# st_mode file types (stat.S_IF*, spelt out so that this module does not import stat).
_S_IFMT = 0o170000
_KINDS = {
    0o010000: "a FIFO",
    0o020000: "a character device",
    0o040000: "a directory",
    0o060000: "a block device",
    0o100000: "a regular file",
    0o120000: "a symbolic link",
    0o140000: "a socket",
}
_S_IFREG = 0o100000
_S_IFCHR = 0o020000
_CHUNK = 65536


class FileRefused(OSError):
    """Raised when a path names something `read_bytes` will not read: not a regular file, or more than the limit.

    An OSError (errno EINVAL, EISDIR, ELOOP or EFBIG) whose `strerror` says why in words, so callers that report
    `exc.strerror` for a failed open report this the same way.
    """


def _kind(mode: int) -> str:
    return _KINDS.get(mode & _S_IFMT, "not a regular file")


def _refuse(path: str, mode: int) -> FileRefused:
    kind = mode & _S_IFMT
    code = errno.EISDIR if kind == 0o040000 else errno.ELOOP if kind == 0o120000 else errno.EINVAL
    return FileRefused(code, f"{_kind(mode)}, not a regular file", path)


def _read_now(path: str, limit: int, special: bool, nofollow: bool) -> bytes:
    """The bounded read itself, in the calling thread."""
    allowed = (_S_IFREG, _S_IFCHR) if special else (_S_IFREG,)
    before = os.lstat(path) if nofollow else os.stat(path)
    if before.st_mode & _S_IFMT not in allowed:
        raise _refuse(path, before.st_mode)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY | (os.O_NOFOLLOW if nofollow else 0)
    fd = os.open(path, flags)
    try:
        after = os.fstat(fd)
        if after.st_mode & _S_IFMT not in allowed:
            raise _refuse(path, after.st_mode)
        if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise FileRefused(errno.EINVAL, "replaced while being opened", path)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise FileRefused(errno.EFBIG, f"larger than {limit} bytes", path)
    return b"".join(chunks)


def read_bytes(
    path: str,
    *,
    limit: int,
    deadline: Deadline | None = None,
    special: bool = False,
    nofollow: bool = False,
) -> bytes:
    """At most `limit` bytes of the regular file `path`, read before `deadline`.

    `special` also allows character devices (procfs and configfs files are regular already); `nofollow` refuses a
    symbolic link as the last component (O_NOFOLLOW). Raises OSError as the system does (FileNotFoundError when
    absent), FileRefused for a FIFO, directory, device, socket or a file over `limit`, and DeadlineExceeded when
    the file system does not answer in time.
    """
    return _before(deadline, path, lambda: _read_now(path, limit, special, nofollow))


def stat_path(path: str, *, deadline: Deadline | None = None, nofollow: bool = False) -> os.stat_result:
    """os.stat (os.lstat with `nofollow`) of `path`, given up at `deadline` as read_bytes does (DeadlineExceeded)."""
    return _before(deadline, path, lambda: os.lstat(path) if nofollow else os.stat(path))


def _before(deadline: Deadline | None, path: str, work: Callable[[], T]) -> T:
    """`work()` in this thread without a finite deadline, else in a helper thread waited for until the deadline."""
    remaining = float("inf") if deadline is None else deadline.remaining()
    if remaining == float("inf"):
        return work()
    if remaining <= 0.0:
        raise DeadlineExceeded(f"{path}: no time left to read it")
    import _thread

    done = _thread.allocate_lock()
    done.acquire()
    box: list[tuple[T | None, BaseException | None]] = []

    def run() -> None:
        try:
            box.append((work(), None))
        except BaseException as exc:  # noqa: BLE001 -- handed to the waiting caller, which raises it
            box.append((None, exc))
        finally:
            done.release()

    _thread.start_new_thread(run, ())
    if not done.acquire(timeout=min(remaining, _thread.TIMEOUT_MAX)):
        raise DeadlineExceeded(f"{path}: no answer in {remaining:.1f} s (a hung NFS or cluster mount?)")
    value, failure = box[0]
    if failure is not None:
        raise failure
    return value  # type: ignore[return-value]  # set whenever failure is None


def read_text(
    path: str,
    *,
    limit: int,
    deadline: Deadline | None = None,
    special: bool = False,
    nofollow: bool = False,
    errors: str = "replace",
) -> str:
    """`read_bytes` decoded as UTF-8 (`errors` as for bytes.decode)."""
    return read_bytes(path, limit=limit, deadline=deadline, special=special, nofollow=nofollow).decode("utf-8", errors)


def write_atomic(path: str, text: str, *, tmp: str, mode: int, fsync: bool = False) -> None:
    """Replace `path` with `text` in one rename: written first to the temporary name `tmp`, created with
    O_EXCL|O_NOFOLLOW (whatever is planted there, a file, a hard link or a symlink, is never written through), given
    exactly `mode` whatever the umask, flushed to disk first with `fsync`. The temporary file is removed when a
    later step fails; OSError as the system raises it."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
