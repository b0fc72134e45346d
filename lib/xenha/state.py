"""Locks and small state files under a root-only directory in /run, safe against symlink tricks."""

from __future__ import annotations

import os
import stat

from xenha.errors import DeadlineExceeded, PermissionDenied

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

    from xenha.run import Deadline

__all__ = ["StateDir", "decode_name", "encode_name"]

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
        return os.path.join(self.path, encode_name(name))

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
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def remove(self, name: str) -> None:
        """Remove state file `name`; absent is fine."""
        try:
            os.unlink(self._file(name))
        except FileNotFoundError:
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
