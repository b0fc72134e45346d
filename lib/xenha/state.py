# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Locks and small state files under a root-only directory in /run, safe against symlink tricks."""

from __future__ import annotations

import os

from xenha.errors import DeadlineExceeded, PermissionDenied

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

    from xenha.run import Deadline

__all__ = ["STATE_MAX_BYTES", "StateDir", "UnsafeStateDir", "decode_name", "directory_problem", "encode_name"]

# Characters kept as they are in a state file name; every other one (and "%") becomes %XX of its UTF-8 bytes, so
# any id Pacemaker accepts (non-ASCII letters, spaces, hundreds of characters) names a file safely.
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@+-")
# NAME_MAX is 255 bytes; ".tmp.<pid>" and ".lock" must still fit after the longest name we make.
_MAX_NAME = 200


def encode_name(name: str) -> str:
    """A file name for state `name`: safe characters kept, the rest %XX-encoded; too long, cut and checksummed.

    Never starts with "." (no hidden or relative names) and never contains "/".
    """
    out = "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass")) for c in name)
    if not out or out[0] == ".":
        out = "%" + f"{ord(out[0]):02X}" + out[1:] if out else "%00"
    if len(out) > _MAX_NAME:
        import zlib

        raw = name.encode("utf-8", "surrogatepass")
        out = f"{out[: _MAX_NAME - 18]}~{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"
    return out


def decode_name(file_name: str) -> str:
    """The state name behind `file_name` (encode_name's inverse for names that were not cut)."""
    if "%" not in file_name:
        return file_name
    data = bytearray()
    i = 0
    while i < len(file_name):
        if file_name[i] == "%" and i + 3 <= len(file_name):
            try:
                data.append(int(file_name[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        data.extend(file_name[i].encode("utf-8", "surrogatepass"))
        i += 1
    return data.decode("utf-8", "replace")


# A state file is a few bytes (a score, minors, a pid record); a copy of cluster.conf is the largest we keep.
STATE_MAX_BYTES = 1 << 20
_S_IFMT, _S_IFDIR, _S_ISVTX = 0o170000, 0o040000, 0o1000


class UnsafeStateDir(PermissionDenied):
    """Raised when a state directory (or a directory above it) could let another user plant or swap its files."""


def directory_problem(path: str) -> str | None:
    """Why `path` must not hold root's state, in one line, or None when it is safe (or absent under safe parents).

    Safe: `path` itself is a directory, not a symlink, owned by root or by us and writable by nobody else; every
    directory above it (symlinks resolved, /var/run -> /run) is owned by root or by us and writable by nobody else
    unless sticky (/tmp: others cannot rename or remove what we make there). Otherwise any local user could plant a
    state file that changes an agent's answer, or swap the directory under us.
    """
    path = os.path.abspath(path)
    parent, leaf = os.path.split(path)
    try:
        real_parent = os.path.realpath(parent)
    except OSError as exc:  # pragma: no cover -- realpath resolves what it can
        return f"state directory: {exc.strerror}: {path}"
    euid = os.geteuid()
    here = os.path.join(real_parent, leaf) if leaf else real_parent
    try:
        info = os.lstat(here)
    except (FileNotFoundError, NotADirectoryError):  # nothing there, nor can be: nothing to believe
        info = None
    except OSError as exc:
        return f"state directory: {exc.strerror}: {path}"
    if info is not None:
        if info.st_mode & _S_IFMT != _S_IFDIR:
            return f"state directory is not a directory (symlink?): {path}"
        if info.st_uid not in (0, euid):
            return f"state directory owned by uid {info.st_uid}, not root: {path}"
        if info.st_mode & 0o022:
            return f"state directory writable by group or others (mode {info.st_mode & 0o7777:04o}): {path}"
    above = real_parent
    while True:
        try:
            info = os.stat(above)
        except (FileNotFoundError, NotADirectoryError):
            info = None
        except OSError as exc:
            return f"state directory: {exc.strerror}: {above}"
        if info is not None and info.st_mode & _S_IFMT == _S_IFDIR:  # not a directory: the path cannot exist
            if info.st_uid not in (0, euid):
                return f"state directory under a directory owned by uid {info.st_uid}, not root: {above}"
            if info.st_mode & 0o022 and not info.st_mode & _S_ISVTX:
                return f"state directory under a directory writable by group or others, not sticky: {above}"
        next_up = os.path.dirname(above)
        if next_up == above:
            return None
        above = next_up


class StateDir:
    """A private directory (mode 0700, owned by root or us, writable by nobody else, not a symlink, under safe
    parents) holding state files and lock files.

    Reads from a directory that fails those checks find nothing (a planted file must never change an answer: the
    agent decides as if it had no memory) and log why once; writes, locks and `ensure` raise UnsafeStateDir;
    removals do nothing (stop still ends once the resource is gone). Checked once per StateDir, that is once per
    operation.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._problem: str | None = None
        self._checked = False
        self._warned = False

    def problem(self) -> str | None:
        """Why this directory is not to be trusted (see directory_problem), or None."""
        if not self._checked:
            self._problem = directory_problem(self.path)
            self._checked = True
        return self._problem

    def is_trusted(self) -> bool:
        """True when its files may be believed; logs the reason once when not."""
        problem = self.problem()
        if problem is None:
            return True
        if not self._warned:
            self._warned = True
            from xenha.ocf import log

            log.get("xenha.state").warning("%s; its files are ignored", problem)
        return False

    def ensure(self) -> str:
        """Create the directory if needed and verify it is ours and private; raise UnsafeStateDir otherwise."""
        problem = self.problem()
        if problem is not None:
            raise UnsafeStateDir(problem)
        try:
            os.makedirs(self.path, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise UnsafeStateDir(f"cannot create state directory: {exc.strerror}: {self.path}") from exc
        self._checked = False
        problem = self.problem()
        if problem is not None:
            raise UnsafeStateDir(problem)
        info = os.lstat(self.path)
        if info.st_mode & 0o077:
            os.chmod(self.path, 0o700)
        return self.path

    def _file(self, name: str) -> str:
        return os.path.join(self.path, encode_name(name))

    def _read_file(self, path: str) -> str | None:
        from xenha.files import read_text

        try:
            return read_text(path, limit=STATE_MAX_BYTES, nofollow=True)
        except OSError:
            return None

    def read(self, name: str) -> str | None:
        """The content of state file `name`, or None if absent, unreadable or in an untrusted directory.

        Never follows a symlink, never waits on a FIFO, reads at most STATE_MAX_BYTES (xenha.files).
        """
        if not self.is_trusted():
            return None
        return self._read_file(self._file(name))

    def entries(self, prefix: str) -> dict[str, str]:
        """State name -> content of every readable state file whose name starts with `prefix` ({} if untrusted)."""
        if not self.is_trusted():
            return {}
        try:
            file_names = os.listdir(self.path)
        except OSError:
            return {}
        found: dict[str, str] = {}
        for file_name in file_names:
            if ".tmp." in file_name or file_name.endswith(".lock"):  # write()'s temporary files, lock files
                continue
            name = decode_name(file_name)
            if not name.startswith(prefix):
                continue
            text = self._read_file(os.path.join(self.path, file_name))
            if text is not None:
                found[name] = text
        return found

    def write(self, name: str, content: str) -> None:
        """Replace state file `name` atomically (temporary file, then rename); UnsafeStateDir if untrusted."""
        from xenha.files import write_atomic  # only on a write: most monitors never write

        self.ensure()
        target = self._file(name)
        write_atomic(target, content, tmp=f"{target}.tmp.{os.getpid()}", mode=0o600)

    def remove(self, name: str) -> None:
        """Remove state file `name`; absent is fine, and in an untrusted directory nothing is touched."""
        if self.problem() is not None:
            return
        try:
            os.unlink(self._file(name))
        except (FileNotFoundError, NotADirectoryError):  # under a file or a FIFO: nothing can be there either
            pass

    def lock(self, name: str, deadline: Deadline) -> _Lock:
        """Hold the exclusive lock `name` (a filelock in the state directory) while the `with` block runs."""
        return _Lock(self, name, deadline)


class _Lock:
    """`with state.lock(name, deadline):` a filelock, waited for no longer than the deadline."""

    def __init__(self, state: StateDir, name: str, deadline: Deadline) -> None:
        self.state, self.name, self.deadline = state, name, deadline
        self.held: object = None

    def __enter__(self) -> None:
        import filelock

        self.state.ensure()
        remaining = self.deadline.remaining()
        lock = filelock.FileLock(
            self.state._file(f"{self.name}.lock"), timeout=-1 if remaining == float("inf") else remaining
        )
        try:
            lock.acquire()
        except filelock.Timeout as exc:
            raise DeadlineExceeded(f"lock {self.name}: held by another process past the deadline") from exc
        self.held = lock

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        lock, self.held = self.held, None
        if lock is not None:
            lock.release()  # type: ignore[attr-defined]
