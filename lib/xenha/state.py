"""Locks and small state files under a root-only directory in /run, safe against symlink tricks."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator

from xenha.errors import DeadlineExceeded, PermissionDenied, ProgrammerError
from xenha.run import Deadline

__all__ = ["StateDir"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,200}$")


class StateDir:
    """A private directory (mode 0700, owned by us, not a symlink) holding state files and lock files."""

    def __init__(self, path: str) -> None:
        self.path = path

    def ensure(self) -> str:
        """Create the directory if needed and verify it is ours and private; raise PermissionDenied otherwise."""
        try:
            os.makedirs(self.path, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise PermissionDenied(f"{self.path}: cannot create state directory: {exc.strerror}") from exc
        info = os.lstat(self.path)
        if not stat.S_ISDIR(info.st_mode):
            raise PermissionDenied(f"{self.path}: state directory is not a directory (symlink?)")
        if info.st_uid != os.geteuid():
            raise PermissionDenied(f"{self.path}: state directory is owned by uid {info.st_uid}, not {os.geteuid()}")
        if info.st_mode & 0o077:
            os.chmod(self.path, 0o700)
        return self.path

    def _file(self, name: str) -> str:
        if not _NAME.match(name):
            raise ProgrammerError(f"unsafe state file name {name!r}")
        return os.path.join(self.path, name)

    def read(self, name: str) -> str | None:
        """The content of state file `name`, or None if absent; never follows a symlink."""
        try:
            fd = os.open(self._file(name), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError:
            return None
        with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def write(self, name: str, content: str) -> None:
        """Replace state file `name` atomically (temporary file, then rename)."""
        self.ensure()
        target = self._file(name)
        tmp = f"{target}.tmp.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def remove(self, name: str) -> None:
        """Remove state file `name`; absent is fine."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._file(name))

    @contextlib.contextmanager
    def lock(self, name: str, deadline: Deadline) -> Iterator[None]:
        """Hold the exclusive lock `name` (a filelock in the state directory) until the block ends."""
        import filelock

        self.ensure()
        remaining = deadline.remaining()
        lock = filelock.FileLock(self._file(f"{name}.lock"), timeout=-1 if remaining == float("inf") else remaining)
        try:
            with lock:
                yield
        except filelock.Timeout as exc:
            raise DeadlineExceeded(f"lock {name}: held by another process past the deadline") from exc
