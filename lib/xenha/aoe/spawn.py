# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Start a program as a detached daemon (vblade) and stop it again; used by start, stop and reload, never by monitor.

Signal numbers are plain ints, as in xenha.run: the `signal` module imports enum. Only the daemon's own child
imports `signal`, to give vblade default dispositions and an empty mask. tests/unit/test_aoe.py pins the numbers.
"""

from __future__ import annotations

import os
import select

from xenha.aoe.vblade import read_cmdline
from xenha.errors import DeadlineExceeded, NotInstalled, ToolError
from xenha.ocf import log
from xenha.run import poll_until

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import NoReturn

    from xenha.run import Deadline

__all__ = ["SIGKILL", "SIGTERM", "spawn_detached", "terminate"]

_log = log.get("xenha.aoe.spawn")

# Linux signal numbers on the architectures Xen dom0 runs on (x86, arm64).
SIGKILL = 9
SIGTERM = 15


def _daemon_child(argv: Sequence[str], env: Mapping[str, str], log_path: str, report: int) -> NoReturn:
    """In the first child: new session, fork again, and exec argv in the grandchild; report pid or failure."""
    try:
        os.setsid()
        grandchild = os.fork()
        if grandchild > 0:
            os.write(report, f"pid {grandchild}\n".encode())
            os._exit(0)
        import signal  # here only: the agent itself never loads it (it imports enum)

        os.chdir("/")
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        # Everything else goes, including what the executor or ocf-tester handed us; `report` is close-on-exec.
        os.closerange(3, report)
        os.closerange(report + 1, os.sysconf("SC_OPEN_MAX"))
        for sig in signal.valid_signals():
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):
                    pass
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.execve(argv[0], list(argv), dict(env))
    except BaseException as exc:  # noqa: BLE001 -- report anything to the parent, then leave without cleanup
        try:
            os.write(report, f"error {exc.__class__.__name__}: {exc}\n".encode(errors="replace"))
        finally:
            os._exit(127)
    os._exit(127)  # pragma: no cover -- execve does not return


def _reported_pid(line: str) -> int | None:
    word, _, pid = line.partition(" ")
    return int(pid) if word == "pid" and pid.isascii() and pid.isdigit() else None


def spawn_detached(argv: Sequence[str], *, env: Mapping[str, str], log_path: str, deadline: Deadline) -> int:
    """Start argv as a daemon (double fork, own session, cwd /, stdin /dev/null, output to log_path); its pid.

    vblade is not a child of the agent, so the executor waits for nothing and no descriptor of the agent (its
    stdout pipe in particular: ocf-tester reads the agent's output to EOF) stays open in vblade. A close-on-exec
    pipe carries the grandchild's pid, or the reason exec failed, back to us.
    """
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    child = os.fork()
    if child == 0:  # pragma: no cover -- runs in the child, which never returns here
        os.close(read_end)
        _daemon_child(argv, env, log_path, write_end)
    os.close(write_end)
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline.remaining()
            ready, _, _ = select.select([read_end], [], [], min(remaining, 60.0))
            if not ready:
                raise DeadlineExceeded(f"{argv[0]}: did not start in time")
            chunk = os.read(read_end, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(child, 0)
    report = b"".join(chunks).decode(errors="replace").splitlines()
    pid = next((found for line in report if (found := _reported_pid(line)) is not None), None)
    failure = next((line[len("error ") :] for line in report if line.startswith("error ")), None)
    if failure is not None:
        if failure.startswith(("FileNotFoundError", "PermissionError")):
            raise NotInstalled(f"{argv[0]}: cannot execute: {failure}")
        raise ToolError(f"{argv[0]}: could not be started: {failure}", argv=tuple(argv))
    if pid is None:
        raise ToolError(f"{argv[0]}: daemon start reported nothing", argv=tuple(argv))
    return pid


def terminate(pid: int, what: str, deadline: Deadline) -> None:
    """SIGTERM, then SIGKILL after two thirds of the time left; raise DeadlineExceeded if it outlives both.

    A process counts as gone once /proc shows no command line for it (exited, or a zombie nobody reaps).
    """
    for sig, name, share in ((SIGTERM, "SIGTERM", 2 / 3), (SIGKILL, "SIGKILL", 1.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        try:
            poll_until(
                lambda: True if read_cmdline(pid) is None else None,
                deadline.fraction(share),
                interval=0.05,
                what=f"{what}: exit after {name}",
            )
            return
        except DeadlineExceeded:
            _log.warning("%s: pid %d still running after %s", what, pid, name)
    raise DeadlineExceeded(f"{what}: pid {pid} survived SIGKILL (stuck in I/O?)")
