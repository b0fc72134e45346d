"""Commands under deadlines: a monotonic `Deadline`, a typed `Result`, `run()`, and `poll_until()`."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from xenha.errors import DeadlineExceeded, NotInstalled, ProgrammerError, ToolError

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "Deadline",
    "Result",
    "Runner",
    "SubprocessRunner",
    "poll_until",
    "run",
]

_log = logging.getLogger("xenha.run")

Clock = Callable[[], float]
T = TypeVar("T")

# Seconds between SIGTERM and SIGKILL for a child that outlives its deadline.
KILL_GRACE = 1.0


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


@dataclass(frozen=True, slots=True)
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
    Raises NotInstalled when the binary does not exist, DeadlineExceeded when no time is left to start it.
    """
    import subprocess  # here, not at the top: a DRBD 8.4 monitor runs no command and should not pay for it

    argv = tuple(argv)
    if not argv or any(not isinstance(a, str) for a in argv):
        raise ProgrammerError(f"argv must be a non-empty sequence of str: {argv!r}")
    deadline.check(argv[0])
    child_env = dict(os.environ if env is None else env)
    child_env["LC_ALL"] = "C"
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env,
            text=True,
            errors="surrogateescape",
            start_new_session=True,
            close_fds=True,
        )
    except FileNotFoundError as exc:
        raise NotInstalled(f"{argv[0]}: not installed") from exc
    except PermissionError as exc:
        raise NotInstalled(f"{argv[0]}: not executable") from exc
    timed_out = False
    remaining = deadline.remaining()
    try:
        out, err = proc.communicate(input=input, timeout=None if remaining == float("inf") else remaining)
    except subprocess.TimeoutExpired:
        timed_out = True
        out, err = _terminate(proc)
    elapsed = time.monotonic() - started
    rc = proc.returncode
    result = Result(
        argv=argv,
        rc=rc if rc is not None and rc >= 0 else None,
        stdout=out or "",
        stderr=err or "",
        elapsed=elapsed,
        timed_out=timed_out,
        signal=-rc if rc is not None and rc < 0 else None,
    )
    _log.debug("ran %s: rc=%s in %.3fs%s", list(argv), result.rc, elapsed, " (timed out)" if timed_out else "")
    if result.failed and result.stderr.strip():
        _log.warning("%s: %s", os.path.basename(argv[0]), " | ".join(result.stderr.strip().splitlines()[-3:]))
    return result


def _terminate(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM the child's process group, then SIGKILL after the grace period; collect what it printed."""
    import signal
    import subprocess

    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return proc.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return "", ""  # pragma: no cover -- communicate() without a timeout returns after SIGKILL


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
