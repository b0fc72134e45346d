# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The boot guard (xenha-bootguard): at dom0 boot start guests with DRBD disks only when DRBD shows it is safe.

What admins script today as xen-drbd-auto. After a reboot a dom0 must not start a guest whose disks the peer may
be using. The rule, for every DRBD volume of the guest (xenha.drbd.guard finds them and reads their state):

- the peer is Primary: the guest runs there; REFUSE (never started by the guard);
- connected (cstate Connected, not resyncing), the peer Secondary, both copies UpToDate: SAFE;
- anything else (WFConnection, StandAlone, a resync, not configured yet, state unreadable): UNDETERMINED.

SAFE guests are created at once; REFUSED ones are logged and dropped; UNDETERMINED ones are deferred: a small daemon
(python-daemon, pid file, syslog) re-checks them every BOOTGUARD_INTERVAL seconds (default 300) ± BOOTGUARD_JITTER
(default 60), or at once on SIGHUP (`xenha-bootguard reload`), starts each when it becomes safe, and exits when none
is left. Guests without DRBD disks are started at once, as /etc/init.d/xendomains would.

The guests are the configs directly in BOOTGUARD_AUTO (default /etc/xen/auto; subdirectories such as heartbeat's
HA1/ and HA2/ are not read, so heartbeat-managed guests are never started by the guard). Settings come from
/etc/default/xenha-bootguard (XENHA_BOOTGUARD_DEFAULTS overrides the path), read without executing it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from xenha import __version__
from xenha.drbd.guard import GuardResult, Observed, Verdict, drbd_disks, observe, peer_label, verdict_from
from xenha.drbd.model import ConnState, Role
from xenha.errors import ConfigError, ParseError, XenhaError
from xenha.files import write_atomic
from xenha.hb1.config import (
    Guest,
    ShellVars,
    Toolstack,
    Xen,
    find_domain,
    open_toolstack,
    parse_seconds,
    read_guests,
    read_shell_vars,
)
from xenha.ocf import log
from xenha.paths import Paths
from xenha.run import Deadline, Runner, SubprocessRunner, poll_until
from xenha.state import StateDir

__all__ = [
    "BootSettings",
    "PassResult",
    "decide_boot",
    "main",
    "next_delay",
    "run_pass",
    "settings_from",
]

_log = log.get("xenha.tools.bootguard")

PROG = "xenha-bootguard"
_LIST_S = 30.0
_POLL_S = 0.25
_STOP_WAIT_S = 10.0
# LSB init-script exit codes.
_OK, _FAILED, _USAGE, _NOT_CONFIGURED, _NOT_RUNNING_STATUS, _NOT_RUNNING = 0, 1, 2, 6, 3, 7


# ---------------------------------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True, slots=True)
class BootSettings:
    """The guard's settings, from /etc/default/xenha-bootguard and XENHA_BOOTGUARD_* overrides."""

    auto_dirs: tuple[str, ...] = ("/etc/xen/auto",)
    interval: float = 300.0
    jitter: float = 60.0
    pidfile: str = "/run/xenha-bootguard.pid"
    toolstack: Toolstack = "auto"
    start_maxwait: float = 60.0


def _number(raw: str | None, key: str, default: float, problems: list[str]) -> float:
    value = parse_seconds(key, raw, default, problems, fraction=True)
    return default if value is None else value


def settings_from(variables: ShellVars, environ: Mapping[str, str]) -> BootSettings:
    """Validate the settings; environment variables XENHA_BOOTGUARD_INTERVAL/_JITTER/_PIDFILE win over the file."""
    problems: list[str] = []
    dirs = tuple((variables.get("BOOTGUARD_AUTO") or "/etc/xen/auto").split())
    for directory in dirs:
        if not directory.startswith("/"):
            problems.append(f"BOOTGUARD_AUTO: {directory!r} is not an absolute path")

    def pick(key: str) -> str | None:
        return environ.get(f"XENHA_{key}") or variables.get(key)

    toolstack = (variables.get("XENHA_TOOLSTACK") or "auto").strip().lower()
    if toolstack not in ("auto", "xl", "xm"):
        problems.append(f"XENHA_TOOLSTACK={toolstack!r} is not auto, xl or xm")
    settings = BootSettings(
        auto_dirs=dirs,
        interval=max(0.1, _number(pick("BOOTGUARD_INTERVAL"), "BOOTGUARD_INTERVAL", 300.0, problems)),
        jitter=_number(pick("BOOTGUARD_JITTER"), "BOOTGUARD_JITTER", 60.0, problems),
        pidfile=(pick("BOOTGUARD_PIDFILE") or "/run/xenha-bootguard.pid").strip(),
        toolstack="xl" if toolstack == "xl" else "xm" if toolstack == "xm" else "auto",
        start_maxwait=_number(variables.get("XENHA_START_MAXWAIT"), "XENHA_START_MAXWAIT", 60.0, problems),
    )
    if problems:
        raise ConfigError(f"{PROG}: " + "; ".join(problems))
    return settings


def next_delay(interval: float, jitter: float, rand: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to the next check: interval ± jitter, never below a tenth of the interval."""
    return max(interval / 10, interval + rand(-jitter, jitter))


# ---------------------------------------------------------------------------------------------------------------------
# The rule (pure)


def decide_boot(observed: Sequence[Observed]) -> GuardResult:
    """SAFE only when every volume is Connected (not syncing), the peer Secondary, and both copies UpToDate.

    REFUSE when the peer is Primary (the guest runs there); UNDETERMINED for everything that may still settle.
    Unlike decide_start (a cluster manager's takeover), an unreachable peer is not enough at boot: the peer may be
    running the guest while this node was down.
    """
    refusals: list[str] = []
    waits: list[str] = []
    for item in observed:
        label = item.disk.label
        if item.problem is not None:
            waits.append(f"{label}: {item.problem}")
            continue
        if not item.volumes:
            waits.append(f"{label}: not configured yet")
            continue
        for volume in item.volumes:
            if volume.is_peer_primary:
                refusals.append(f"{label}: Primary on {peer_label(volume.peer)}; the guest runs there")
            elif volume.cstate == ConnState.UNCONFIGURED:
                waits.append(f"{label}: not configured yet")
            elif volume.is_syncing:
                waits.append(f"{label}: resyncing ({volume.cstate})")
            elif volume.cstate != ConnState.CONNECTED:
                waits.append(f"{label}: {volume.cstate}, the peer's role is unknown")
            elif volume.peer_role != Role.SECONDARY:
                shown = "unknown" if volume.peer_role is None else volume.peer_role
                waits.append(f"{label}: role on {peer_label(volume.peer)} is {shown}")
            elif not (volume.is_uptodate and volume.is_peer_uptodate):
                peer_disk = "unknown" if volume.peer_disk is None else volume.peer_disk
                waits.append(f"{label}: disks {volume.disk}/{peer_disk}, not UpToDate on both")
    return verdict_from(refusals, waits, observed)


# ---------------------------------------------------------------------------------------------------------------------
# One pass


@dataclass(frozen=True, slots=True)
class GuardContext:
    """Paths, the runner and the output stream of one invocation."""

    paths: Paths
    run: Runner
    out: TextIO


@dataclass
class PassResult:
    """What one pass did: guests started, refused (with why), still waiting (with why), failed to start."""

    started: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def _guests(settings: BootSettings) -> list[Guest]:
    guests: list[Guest] = []
    for directory in settings.auto_dirs:
        if os.path.isdir(directory):
            guests.extend(read_guests(directory))
    return guests


def _create(xen: Xen, guest: Guest, settings: BootSettings, ctx: GuardContext) -> str | None:
    """Create the guest and wait until it runs; None on success, else why not."""
    from xenha.xen.cmd import create_argv
    from xenha.xen.domain import Health, assess
    from xenha.xen.messages import parse_xen_error

    deadline = Deadline(settings.start_maxwait)
    result = ctx.run(create_argv(xen.tool, guest.config_path, guest.name, override_name=False), deadline)
    if result.failed:
        return f"{xen.tool} create failed: {parse_xen_error(result.stderr).message or result.fail_reason}"

    def running() -> bool | None:
        health = assess(find_domain(xen.list(Deadline(_LIST_S)), guest.name))
        return True if health in (Health.RUNNING, Health.PAUSED) else None

    try:
        poll_until(running, deadline, interval=_POLL_S, what=f"domU {guest.name}")
    except XenhaError as exc:
        return exc.reason
    return None


def run_pass(
    settings: BootSettings, ctx: GuardContext, *, only: set[str] | None = None, dry_run: bool = False
) -> PassResult:
    """Check every guest (or those in `only`): start the safe ones, drop the refused, keep the undetermined."""
    outcome = PassResult()
    guests = [g for g in _guests(settings) if only is None or g.name in only]
    if not guests:
        return outcome
    try:
        xen, domains = open_toolstack(settings.toolstack, ctx.run, Deadline(_LIST_S))
    except XenhaError as exc:
        for guest in guests:
            outcome.pending[guest.name] = f"toolstack: {exc.reason}"
        return outcome
    for guest in guests:
        who = f"domU {guest.name}"
        current = find_domain(domains, guest.name)
        if current is not None and current.is_active:
            outcome.running.append(guest.name)
            continue
        if guest.domu is None:
            outcome.refused[guest.name] = guest.problem or "config unreadable"
            continue
        disks = drbd_disks(guest.domu.disks)
        verdict = decide_boot(
            observe(disks, run=ctx.run, deadline=Deadline(_LIST_S), proc_drbd=ctx.paths.proc_drbd)
        ) if disks else GuardResult(Verdict.SAFE)  # fmt: skip
        if verdict.verdict is Verdict.REFUSE:
            outcome.refused[guest.name] = verdict.reason
            _log.warning("%s: not starting: %s", who, verdict.reason)
        elif verdict.verdict is Verdict.UNDETERMINED:
            outcome.pending[guest.name] = verdict.reason
            _log.info("%s: waiting: %s", who, verdict.reason)
        elif dry_run:
            outcome.started.append(guest.name)
        else:
            problem = _create(xen, guest, settings, ctx)
            if problem is None:
                outcome.started.append(guest.name)
                _log.info("%s: started (%s)", who, "DRBD safe" if disks else "no DRBD disks")
            else:
                outcome.failed[guest.name] = problem
                _log.error("%s: %s", who, problem)
    return outcome


# ---------------------------------------------------------------------------------------------------------------------
# The daemon


def _state_dir(paths: Paths) -> StateDir:
    return StateDir(os.path.join(paths.run_dir, "bootguard"))


def _save_state(ctx: GuardContext, pending: Mapping[str, str], next_check: float | None) -> None:
    doc = {"pid": os.getpid(), "pending": dict(pending), "last_check": time.time(), "next_check": next_check}
    try:
        _state_dir(ctx.paths).write("state.json", json.dumps(doc, indent=1) + "\n")
    except (OSError, XenhaError) as exc:
        _log.warning("%s: state not saved: %s", PROG, getattr(exc, "reason", exc))


def _read_state(paths: Paths) -> dict[str, object]:
    text = _state_dir(paths).read("state.json")
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _wait_pending(settings: BootSettings, ctx: GuardContext, pending: dict[str, str]) -> None:
    """Re-check the pending guests until none is left; SIGHUP re-checks at once, SIGTERM ends the wait."""
    signals = {signal.SIGHUP, signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    while pending:
        delay = next_delay(settings.interval, settings.jitter)
        _save_state(ctx, pending, time.time() + delay)
        info = signal.sigtimedwait(signals, delay)
        if info is not None and info.si_signo != signal.SIGHUP:
            _log.info("%s: stopping on signal %d; still waiting for %s", PROG, info.si_signo, " ".join(pending))
            return
        if info is not None:
            _log.info("%s: SIGHUP: checking now", PROG)
        result = run_pass(settings, ctx, only=set(pending))
        pending = dict(result.pending)
    _save_state(ctx, {}, None)
    _log.info("%s: every guest is settled; exiting", PROG)


def _write_pidfile(path: str) -> None:
    write_atomic(path, f"{os.getpid()}\n", tmp=f"{path}.tmp.{os.getpid()}", mode=0o644)


def _daemon_pid(path: str) -> int | None:
    """The pid in the pid file when that process is alive, else None."""
    try:
        with open(path, encoding="ascii") as handle:
            pid = int(handle.read().strip() or "0")
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _serve(settings: BootSettings, ctx: GuardContext, pending: dict[str, str]) -> None:
    _write_pidfile(settings.pidfile)
    try:
        _wait_pending(settings, ctx, pending)
    finally:
        try:
            os.unlink(settings.pidfile)
        except FileNotFoundError:
            pass


def _daemonize(settings: BootSettings, ctx: GuardContext, pending: dict[str, str], environ: Mapping[str, str]) -> None:
    """Detach (python-daemon, imported only here) and wait for the pending guests in the background."""
    import daemon

    with daemon.DaemonContext(working_directory="/", umask=0o022, signal_map={}):
        _setup_logging("daemon", environ)
        _serve(settings, GuardContext(ctx.paths, ctx.run, open(os.devnull, "w")), pending)  # noqa: SIM115


# ---------------------------------------------------------------------------------------------------------------------
# Commands


def _start(settings: BootSettings, ctx: GuardContext, environ: Mapping[str, str], *, foreground: bool) -> int:
    pid = _daemon_pid(settings.pidfile)
    if pid is not None:
        ctx.out.write(f"{PROG}: already running (pid {pid})\n")
        return _OK
    result = run_pass(settings, ctx)
    for name in result.started:
        ctx.out.write(f"{PROG}: started {name}\n")
    for name, why in result.refused.items():
        ctx.out.write(f"{PROG}: not starting {name}: {why}\n")
    for name, why in result.failed.items():
        ctx.out.write(f"{PROG}: failed to start {name}: {why}\n")
    for name, why in result.pending.items():
        ctx.out.write(f"{PROG}: waiting for {name}: {why}\n")
    if not result.pending:
        _save_state(ctx, {}, None)
        return _FAILED if result.failed else _OK
    ctx.out.flush()
    if foreground:
        _serve(settings, ctx, dict(result.pending))
    else:
        _daemonize(settings, ctx, dict(result.pending), environ)
    return _OK


def _signal(settings: BootSettings, ctx: GuardContext, sig: signal.Signals, *, wait: bool) -> int:
    pid = _daemon_pid(settings.pidfile)
    if pid is None:
        ctx.out.write(f"{PROG}: not running\n")
        return _OK if sig is signal.SIGTERM else _NOT_RUNNING
    os.kill(pid, sig)
    if wait:
        try:
            poll_until(lambda: True if _daemon_pid(settings.pidfile) is None else None, Deadline(_STOP_WAIT_S),
                       interval=0.1, what=f"{PROG} pid {pid}")  # fmt: skip
        except XenhaError:
            ctx.out.write(f"{PROG}: pid {pid} still running\n")
            return _FAILED
    return _OK


def _status(settings: BootSettings, ctx: GuardContext) -> int:
    pid = _daemon_pid(settings.pidfile)
    if pid is None:
        ctx.out.write(f"{PROG}: not running\n")
        return _NOT_RUNNING_STATUS
    state = _read_state(ctx.paths)
    pending = state.get("pending")
    waiting = pending if isinstance(pending, dict) else {}
    ctx.out.write(f"{PROG}: running (pid {pid}), waiting for {len(waiting)} guest(s)\n")
    for name, why in sorted(waiting.items()):
        ctx.out.write(f"  {name}: {why}\n")
    next_check = state.get("next_check")
    if isinstance(next_check, int | float):
        ctx.out.write(f"  next check in {max(0.0, next_check - time.time()):.0f}s\n")
    return _OK


def _check(settings: BootSettings, ctx: GuardContext) -> int:
    result = run_pass(settings, ctx, dry_run=True)
    for name in result.running:
        ctx.out.write(f"{name}: running here\n")
    for name in result.started:
        ctx.out.write(f"{name}: safe to start\n")
    for name, why in result.refused.items():
        ctx.out.write(f"{name}: refused: {why}\n")
    for name, why in result.pending.items():
        ctx.out.write(f"{name}: undetermined: {why}\n")
    return _OK


def _setup_logging(action: str, environ: Mapping[str, str]) -> None:
    """Syslog tagged `xenha-bootguard[pid]`, as a program that is not an OCF agent (no instance in the tag)."""
    from xenha.ocf.log import setup_logging

    setup_logging(PROG, "", environ)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="start DRBD-backed guests at boot once DRBD is safe")
    parser.add_argument("action", choices=["start", "stop", "status", "reload", "check"])
    parser.add_argument("--foreground", action="store_true", help="start: wait in the foreground, do not detach")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, out: TextIO | None = None
) -> int:
    """`xenha-bootguard start|stop|status|reload|check`; LSB exit codes."""
    env = os.environ if environ is None else environ
    stdout = out or sys.stdout
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:
        return _USAGE if exc.code else _OK
    _setup_logging(args.action, env)
    path = env.get("XENHA_BOOTGUARD_DEFAULTS") or "/etc/default/xenha-bootguard"
    try:
        variables = read_shell_vars(path) if os.path.exists(path) else ShellVars()
        settings = settings_from(variables, env)
    except (OSError, ParseError, ConfigError) as exc:
        why = f"{path}: {exc.strerror}" if isinstance(exc, OSError) else exc.reason
        sys.stderr.write(f"{PROG}: {why}\n")
        return _NOT_CONFIGURED
    paths = Paths.from_environ(env)
    ctx = GuardContext(paths, SubprocessRunner(which=paths.which), stdout)
    if args.action == "start":
        return _start(settings, ctx, env, foreground=args.foreground)
    if args.action == "stop":
        return _signal(settings, ctx, signal.SIGTERM, wait=True)
    if args.action == "reload":
        return _signal(settings, ctx, signal.SIGHUP, wait=False)
    if args.action == "status":
        return _status(settings, ctx)
    return _check(settings, ctx)
