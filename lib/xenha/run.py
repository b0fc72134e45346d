# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Commands under deadlines: a monotonic `Deadline`, a typed `Result`, `run()` (os.posix_spawn), and `poll_until()`.

This module is on every monitor's import path, so at import time it loads only os, sys, time, xenha.errors and
xenha.record. `select` (built in) is imported by the first command and xenha.ocf.log by its first log record;
subprocess, selectors, signal, typing and dataclasses never are, and `logging` only when a record passes ocf.log's
threshold (a test runs `import xenha.run` and a configured monitor's command in a child `python3 -IS` to check).

How `run()` treats the child:

- **Spawning.** `os.posix_spawn` (glibc: clone(CLONE_VM|CLONE_VFORK), so no page tables are copied) with `setsid`,
  which makes the child a session and process-group leader whose group id is its pid. glibc reports the errno of a
  failed exec in the parent (verified on Debian 12, glibc 2.36): ENOENT and EACCES become `NotInstalled`.
- **Search path.** A bare name is tried in each directory of the child environment's PATH, as subprocess does (and
  unlike `posix_spawnp`, which searches the parent's PATH): ENOENT and ENOTDIR move on, the first other error is
  the one reported. Agents normally pass an absolute path (`SubprocessRunner` resolves with the `which` it is given).
- **Descriptors.** fd 0 is /dev/null opened by a file action (or a pipe when `input` is given), fds 1 and 2 are pipes
  placed by dup2 actions. posix_spawn has no close_fds, so "close everything else" is done in two parts: every fd
  Python creates (our pipes, pidfd, files, sockets) is close-on-exec already (PEP 446), and the few that are not (an
  fd inherited from our own parent, or one made inheritable on purpose) are found by listing /proc/self/fd and
  checking FD_CLOEXEC, and get a close action each. Listing costs one getdents and an fcntl per open fd; closing a
  fixed range would cost one syscall per possible fd (RLIMIT_NOFILE can be 2**20). Our pipes are made in the order
  stdin, stdout, stderr, so each dup2 source is above every target set before it; a source equal to its target
  (possible when our own 0-2 were closed) has FD_CLOEXEC cleared by glibc's dup2 action (POSIX 2017, glibc 2.29+).
- **Signals.** Python ignores SIGPIPE and SIGXFSZ, and ignored dispositions survive exec: both are reset to default
  in the child (`setsigdef`), as subprocess's restore_signals does. Handlers reset on exec by themselves.
- **Waiting.** One `select.poll` loop reads stdout and stderr, writes `input` through a non-blocking pipe, and waits
  for exit on a pidfd (Linux 5.3+; without it, a backoff of WNOHANG waitpid calls once the pipes are closed). The
  command is done when it has exited and both pipes reached EOF (a grandchild holding them open keeps it running).
- **Timeouts.** At the deadline the process group gets SIGTERM, the loop keeps draining for KILL_GRACE, then the
  group gets SIGKILL and the child is reaped (bounded by KILL_GRACE again: a process in uninterruptible sleep is left
  to init rather than hanging the operation).
- **Output** is decoded as subprocess's text mode did: the locale's encoding (UTF-8 in UTF-8 mode) with
  surrogateescape, then universal newlines. `input` is encoded the same way.
- **Logging.** Every command at debug (argv, rc, elapsed), and the last lines of stderr at debug when it fails.
  Many failures are answers, not faults (`xl list NAME` of an absent guest exits 1, `drbdsetup status` of a resource
  that is down exits 10); the caller knows which, and reports a real one in its exit reason, which ocf.run logs at
  error. A monitor that finds nothing wrong therefore never sets up logging.
"""

from __future__ import annotations

import os
import sys
import time

from xenha.errors import DeadlineExceeded, NotInstalled, ProgrammerError, ToolError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Protocol, TypeVar

    from xenha.ocf.log import Logger

    Clock = Callable[[], float]
    T = TypeVar("T")
else:
    Protocol = object  # Runner is a typing.Protocol for mypy and a plain class at run time (typing costs ~2 ms)

__all__ = [
    "Deadline",
    "Result",
    "Runner",
    "SubprocessRunner",
    "poll_until",
    "run",
]

# Seconds between SIGTERM and SIGKILL for a child that outlives its deadline.
KILL_GRACE = 1.0

# Linux signal numbers on the architectures Xen dom0 runs on (x86, arm64); the `signal` module would import enum.
# tests/unit/test_run.py pins them against `signal`.
_SIGKILL = 9
_SIGPIPE = 13
_SIGTERM = 15
_SIGXFSZ = 25

_READ_SIZE = 65536  # a Linux pipe's default capacity
_MAX_POLL_MS = 3_600_000  # poll() takes a C int; a far deadline is waited for in hours


class Deadline:
    """A point on the monotonic clock by which an operation must be done; None means unbounded."""

    __slots__ = ("_clock", "_end")

    def __init__(self, seconds: float | None, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._end = None if seconds is None else clock() + max(0.0, seconds)

    @classmethod
    def from_timeout_ms(
        cls, timeout_ms: int | None, *, default_s: float, margin: float = 0.1, clock: Clock = time.monotonic
    ) -> Deadline:
        """The op's budget less a safety margin (a fraction, at least 0.5 s) so we answer before the executor kills us.

        `timeout_ms` is OCF_RESKEY_CRM_meta_timeout; without it (an admin's direct call) `default_s` applies.
        """
        total = default_s if timeout_ms is None else timeout_ms / 1000.0
        keep = min(max(0.5, total * margin), total / 2)
        return cls(total - keep, clock=clock)

    def remaining(self) -> float:
        """Seconds left, never negative; infinity when unbounded."""
        if self._end is None:
            return float("inf")
        return max(0.0, self._end - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def sub(self, seconds: float) -> Deadline:
        """A deadline `seconds` from now, or this one if it comes sooner."""
        return Deadline(min(seconds, self.remaining()), clock=self._clock)

    def fraction(self, part: float) -> Deadline:
        """A deadline after `part` (0..1) of the time that remains."""
        if not 0.0 < part <= 1.0:
            raise ProgrammerError(f"fraction {part} not in (0, 1]")
        remaining = self.remaining()
        return self if remaining == float("inf") else Deadline(remaining * part, clock=self._clock)

    def check(self, what: str) -> None:
        """Raise DeadlineExceeded naming `what` if no time is left."""
        if self.expired:
            raise DeadlineExceeded(f"{what}: out of time")


@record
class Result:
    """How a command ended. `rc` is None when it was killed by a signal (see `signal`)."""

    argv: tuple[str, ...]
    rc: int | None
    stdout: str
    stderr: str
    elapsed: float
    timed_out: bool = False
    signal: int | None = None

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    @property
    def failed(self) -> bool:
        return not self.ok

    @property
    def fail_reason(self) -> str:
        """A short phrase for logs and exit reasons: why the command did not succeed."""
        name = os.path.basename(self.argv[0]) if self.argv else "command"
        if self.timed_out:
            return f"{name} timed out after {self.elapsed:.1f}s"
        if self.signal is not None:
            return f"{name} killed by signal {self.signal}"
        detail = _last_line(self.stderr) or _last_line(self.stdout)
        return f"{name} exited {self.rc}" + (f": {detail}" if detail else "")

    def raise_for_status(self, what: str) -> Result:
        """Return self when ok, else raise ToolError starting with `what`."""
        if self.ok:
            return self
        raise ToolError(f"{what}: {self.fail_reason}", argv=self.argv, rc=self.rc, stderr=self.stderr)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Runner(Protocol):
    """What agents call to run a command; tests pass a scripted fake with the same signature."""

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result: ...


def run(
    argv: Sequence[str],
    deadline: Deadline,
    *,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Result:
    """Run argv (never a shell) with LC_ALL=C and stdin from /dev/null or `input`, within `deadline`.

    A child still running at the deadline gets SIGTERM, then SIGKILL after KILL_GRACE (its whole process group).
    Raises NotInstalled when the binary does not exist or may not be executed (ENOENT, EACCES), DeadlineExceeded when
    no time is left to start it.
    """
    argv = tuple(argv)
    if not argv or any(not isinstance(a, str) for a in argv):
        raise ProgrammerError(f"argv must be a non-empty sequence of str: {argv!r}")
    deadline.check(argv[0])
    child_env = dict(os.environ if env is None else env)
    child_env["LC_ALL"] = "C"
    data = None if input is None else input.encode(_encoding(), "surrogateescape")
    started = time.monotonic()
    child = _Child(argv, child_env, data)
    try:
        timed_out = not child.pump(deadline)
        if timed_out:
            child.kill(_SIGTERM)
            if not child.pump(Deadline(KILL_GRACE)):
                child.kill(_SIGKILL)
                child.pump(Deadline(KILL_GRACE))
    except BaseException:  # KeyboardInterrupt, MemoryError: leave no command running behind us
        child.kill(_SIGKILL)
        raise
    finally:
        child.close()
    elapsed = time.monotonic() - started
    rc = child.returncode
    result = Result(
        argv=argv,
        rc=rc if rc is not None and rc >= 0 else None,
        stdout=_decode(child.out),
        stderr=_decode(child.err),
        elapsed=elapsed,
        timed_out=timed_out,
        signal=-rc if rc is not None and rc < 0 else None,
    )
    log = _logger()
    log.debug("ran %s: rc=%s in %.3fs%s", list(argv), result.rc, elapsed, " (timed out)" if timed_out else "")
    if result.failed and result.stderr.strip():
        log.debug("%s: %s", os.path.basename(argv[0]), " | ".join(result.stderr.strip().splitlines()[-3:]))
    return result


class _Child:
    """A spawned command: its pipes, its pidfd, what it printed, and the poll loop that moves the bytes."""

    __slots__ = ("err", "out", "pid", "pidfd", "poller", "readers", "status", "stdin", "unsent")

    def __init__(self, argv: tuple[str, ...], env: dict[str, str], data: bytes | None) -> None:
        import select  # here, not at the top: a DRBD 8.4 monitor runs no command and should not pay for it

        self.pid, self.stdin, out_r, err_r = _spawn(argv, env, with_input=data is not None)
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.readers = {out_r: self.out, err_r: self.err}
        self.status: int | None = None  # the raw waitpid status once reaped
        self.unsent = memoryview(data or b"")
        self.pidfd: int | None = None
        self.poller = select.poll()
        try:
            for fd in self.readers:
                self.poller.register(fd, select.POLLIN)
            if self.stdin is not None:
                if self.unsent:
                    os.set_blocking(self.stdin, False)
                    self.poller.register(self.stdin, select.POLLOUT)
                else:
                    self._close_stdin()
            try:
                self.pidfd = os.pidfd_open(self.pid)
            except OSError:  # ENOSYS before Linux 5.3: see pump()
                pass
            else:
                self.poller.register(self.pidfd, select.POLLIN)
        except BaseException:
            self.kill(_SIGKILL)
            self.close()
            raise

    @property
    def returncode(self) -> int | None:
        """The exit code, -signal when killed, None when never reaped (stuck past SIGKILL)."""
        return None if self.status is None else os.waitstatus_to_exitcode(self.status)

    def pump(self, deadline: Deadline) -> bool:
        """Move bytes until the child has exited and closed stdout and stderr, or `deadline`; True when done."""
        backoff = 0.001
        while self.status is None or self.readers:
            left = deadline.remaining()
            if left <= 0.0:
                return False
            timeout = -1 if left == float("inf") else min(int(left * 1000) + 1, _MAX_POLL_MS)
            if self.pidfd is None and not self.readers:
                # No pidfd: nothing to poll for the exit itself, so check with WNOHANG at growing intervals.
                self._reap(os.WNOHANG)
                if self.status is not None:
                    break
                nap = int(backoff * 1000) + 1
                timeout = nap if timeout < 0 else min(timeout, nap)
                backoff = min(backoff * 2, 0.05)
            for fd, _events in self.poller.poll(timeout):
                if fd == self.pidfd:
                    self._reap(0)  # readable pidfd: the child has exited, waitpid returns at once
                elif fd == self.stdin:
                    self._write()
                elif fd in self.readers:
                    self._read(fd)
        return True

    def _read(self, fd: int) -> None:
        data = os.read(fd, _READ_SIZE)
        if data:
            self.readers[fd].append(data)
        else:
            self.poller.unregister(fd)
            del self.readers[fd]
            os.close(fd)

    def _write(self) -> None:
        assert self.stdin is not None
        try:
            sent = os.write(self.stdin, self.unsent)
        except BlockingIOError:
            return
        except BrokenPipeError:  # the child closed its stdin or exited: what it did not read is dropped
            sent = len(self.unsent)
        self.unsent = self.unsent[sent:]
        if not self.unsent:
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.stdin is not None:
            fd, self.stdin = self.stdin, None
            try:
                self.poller.unregister(fd)
            except KeyError:
                pass
            os.close(fd)

    def _reap(self, flags: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:  # SIGCHLD ignored by our process: the kernel reaped it; subprocess says rc 0
            pid, status = self.pid, 0
        if pid == 0:
            return
        self.status = status
        if self.pidfd is not None:
            self.poller.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None

    def kill(self, sig: int) -> None:
        """Send `sig` to the child's process group (itself and whatever it started that did not leave the group)."""
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        """Close every fd still open; reap the child if it has exited meanwhile."""
        if self.status is None:
            self._reap(os.WNOHANG)
        self._close_stdin()
        for fd in self.readers:
            os.close(fd)
        self.readers = {}
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def _spawn(argv: tuple[str, ...], env: dict[str, str], *, with_input: bool) -> tuple[int, int | None, int, int]:
    """posix_spawn in a new session with our pipes on 0-2 and nothing else inherited.

    Returns the pid, the stdin pipe's write end (None with /dev/null), and the read ends of stdout and stderr.
    """
    actions: list[tuple[object, ...]] = []
    mine: list[int] = []  # every fd made here, closed on failure
    in_r: int | None = None
    in_w: int | None = None
    try:
        if with_input:
            in_r, in_w = os.pipe()
            mine += (in_r, in_w)
            actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
        else:
            actions.append((os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        out_r, out_w = os.pipe()
        mine += (out_r, out_w)
        err_r, err_w = os.pipe()
        mine += (err_r, err_w)
        actions += [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inheritable_fds()]
        pid = _spawn_on_path(argv, env, actions)
    except BaseException:
        for fd in mine:
            os.close(fd)
        raise
    for child_end in (in_r, out_w, err_w):  # the child has its copies now
        if child_end is not None:
            os.close(child_end)
    return pid, in_w, out_r, err_r


def _spawn_on_path(argv: tuple[str, ...], env: dict[str, str], actions: Sequence[tuple[object, ...]]) -> int:
    """posix_spawn argv[0], searched on env's PATH when it has no slash; NotInstalled on ENOENT or EACCES."""
    name = argv[0]
    candidates = [name] if "/" in name else [os.path.join(d, name) for d in os.get_exec_path(env)]
    first: OSError | None = None  # the first error other than "not in this directory", as execvpe reports
    last: OSError = FileNotFoundError(2, "No such file or directory", name)
    for path in candidates:
        try:
            return os.posix_spawn(path, argv, env, file_actions=actions, setsid=True, setsigdef=(_SIGPIPE, _SIGXFSZ))
        except OSError as exc:
            last = exc
            if first is None and not isinstance(exc, FileNotFoundError | NotADirectoryError):
                first = exc
    error = first or last
    if isinstance(error, FileNotFoundError):
        raise NotInstalled(f"{name}: not installed") from error
    if isinstance(error, PermissionError):
        raise NotInstalled(f"{name}: not executable") from error
    raise error


def _inheritable_fds() -> list[int]:
    """Open fds above 2 without FD_CLOEXEC: the ones a spawned child would inherit. [] when /proc is not mounted."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    found = []
    for name in names:
        fd = int(name)
        if fd > 2:
            try:
                if os.get_inheritable(fd):
                    found.append(fd)
            except OSError:  # the descriptor listdir used for the directory, closed by now
                pass
    return found


def _encoding() -> str:
    """The encoding subprocess's text mode used: UTF-8 in UTF-8 mode, else the locale's (what open() defaults to)."""
    import io  # loaded by the interpreter at start-up: free

    return "utf-8" if sys.flags.utf8_mode else io.TextIOWrapper(io.BytesIO(), encoding="locale").encoding


def _decode(chunks: list[bytes]) -> str:
    """Bytes from a pipe as subprocess's text mode returned them: surrogateescape, universal newlines."""
    if not chunks:
        return ""
    text = b"".join(chunks).decode(_encoding(), "surrogateescape")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _logger() -> Logger:
    """This module's logger, from xenha.ocf.log (which imports `logging` only for a record that passes its threshold).

    Imported here rather than at the top so that `import xenha.run` does not load the xenha.ocf package, and so that
    xenha.ocf may import this module without a cycle.
    """
    from xenha.ocf import log

    return log.get("xenha.run")


class SubprocessRunner:
    """The production Runner: `run()` with a fixed environment and binaries resolved on a search path."""

    def __init__(self, *, env: Mapping[str, str] | None = None, which: Callable[[str], str | None] | None = None):
        self._env = env
        self._which = which

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result:
        argv = list(argv)
        if self._which is not None and "/" not in argv[0]:
            found = self._which(argv[0])
            if found is None:
                raise NotInstalled(f"{argv[0]}: not installed")
            argv[0] = found
        return run(argv, deadline, input=input, env=self._env)


def poll_until(
    check: Callable[[], T | None],
    deadline: Deadline,
    *,
    interval: float = 0.5,
    what: str = "condition",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `check` until it returns something other than None, sleeping `interval` between calls.

    Raises DeadlineExceeded naming `what` when the deadline passes first. `check` runs at least once.
    """
    while True:
        value = check()
        if value is not None:
            return value
        remaining = deadline.remaining()
        if remaining <= 0.0:
            raise DeadlineExceeded(f"{what}: not reached in time")
        sleep(min(interval, remaining))
