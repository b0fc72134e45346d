# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xendomainsHA<N>: the heartbeat v1 haresources script for one group of Xen guests (start, stop, status).

One script replaces the per-group copies of /etc/init.d/xendomains that heartbeat v1 clusters run from haresources
(`ha1.domain.local xendomainsHA1`, `ha2.domain.local xendomainsHA2`). It is installed under every group's name in
/etc/ha.d/resource.d/; the group comes from that name, and its settings from /etc/default/xendomainsHA<N>
(XENHA_HB1_DEFAULTS_DIR overrides /etc/default), read without executing it (xenha.hb1.config). The group's guests are
the configs in its XENDOMAINS_AUTO directory; guests of other groups are never touched.

- start: restores saved guests of the group (XENDOMAINS_RESTORE=true), then creates each guest that runs nowhere.
  "Nowhere" is known only through DRBD: a guest whose DRBD disk is Primary on the peer runs there and is skipped
  (logged, not an error). For a guest without DRBD disks xenha cannot know whether the peer runs it (it does not
  log in to the peer), so such a guest is started unless it runs here: keep non-DRBD guests out of groups, or make
  sure the peer's heartbeat stopped them. Each guest also passes the DRBD guard (xenha.drbd.guard): UpToDate here.
- stop: for each guest of the group running here: live migration to XENDOMAINS_MIGRATE's host (when set and the
  DRBD guard agrees), else save to XENDOMAINS_SAVE (when set), else a clean shutdown, destroyed when it is still
  there after XENDOMAINS_STOP_MAXWAIT seconds. Every command has a deadline. A migration is written to the ledger.
- status: one line from a fixed vocabulary, read by heartbeat's own rule (see xenha.hb1.config): held while the group's
  lock file (/run/xenha/hb1/xendomainsHA<N>, root only; LOCKFILE is ignored) is from this boot or any of its guests
  lives here.

Exit codes are LSB's: 0 done, 1 failed, 2 bad arguments, 6 not configured; status 0 held, 3 not held.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from xenha.drbd.guard import GuardResult, Verdict, check_migrate, check_start, drbd_disks
from xenha.errors import ArgsError, ConfigError, DeadlineExceeded, NotInstalled, ParseError, ToolError, XenhaError
from xenha.hb1.config import (
    LOCK_SUBDIR,
    SCRIPT_PREFIX,
    GroupConfig,
    Guest,
    Ownership,
    Xen,
    find_domain,
    group_config,
    group_from_argv0,
    open_toolstack,
    ownership,
    read_boot_id,
    read_guests,
    read_shell_vars,
    status_line,
)
from xenha.ocf import log
from xenha.paths import Paths
from xenha.run import Deadline, Runner, SubprocessRunner, poll_until
from xenha.state import StateDir
from xenha.xen.listing import Domain, MigrationRole
from xenha.xen.messages import parse_xen_error

if TYPE_CHECKING:
    from xenha.xen.domain import StopStep

__all__ = [
    "ACTIONS",
    "Hb1Context",
    "defaults_path",
    "is_lock_current",
    "lock_dir",
    "live_guests",
    "main",
    "migrate_options",
    "runs_on_peer",
    "start",
    "status",
    "stop",
]

_log = log.get("xenha.hb1.config")

ACTIONS = ("start", "stop", "status")
# LSB init-script exit codes (heartbeat treats any non-zero start/stop as a failure).
_OK, _FAILED, _USAGE, _NOT_CONFIGURED = 0, 1, 2, 6
_STATUS_HELD, _STATUS_NOT_HELD = 0, 3
_LIST_S = 30.0  # one `xl list`
_REQUEST_S = 30.0  # one `xl shutdown`/`xl destroy`/`xl unpause` request
_LEFT_WAIT_S = 10.0  # for a migrated guest to leave the list
_SERIALISE_S = 60.0  # for a concurrent start/stop of the same group to finish
_POLL_S = 0.25
_XL_LIVE = frozenset({"--live", "-l"})  # xl migrate is always live; xm's --live is added by migrate_argv


@dataclass(frozen=True, slots=True)
class Hb1Context:
    """Everything the actions touch besides the group's settings: paths, runner, node name, environment, output."""

    paths: Paths
    run: Runner
    node: str
    environ: Mapping[str, str]
    out: TextIO

    @classmethod
    def production(cls, environ: Mapping[str, str], out: TextIO) -> Hb1Context:
        paths = Paths.from_environ(environ)
        return cls(
            paths=paths,
            run=SubprocessRunner(which=paths.which),
            node=environ.get("XENHA_NODE") or os.uname().nodename,
            environ=environ,
            out=out,
        )


def defaults_path(environ: Mapping[str, str], group: str) -> str:
    """/etc/default/xendomainsHA<N>, or the same name under XENHA_HB1_DEFAULTS_DIR."""
    return os.path.join(environ.get("XENHA_HB1_DEFAULTS_DIR") or "/etc/default", f"{SCRIPT_PREFIX}{group}")


# ---------------------------------------------------------------------------------------------------------------------
# Pure decisions


def runs_on_peer(result: GuardResult) -> bool:
    """True when the guard saw a DRBD disk of the guest Primary on a peer: the guest runs there."""
    return result.verdict is Verdict.REFUSE and any(v.is_peer_primary for o in result.observed for v in o.volumes)


def live_guests(domains: Sequence[Domain], guests: Sequence[Guest]) -> tuple[str, ...]:
    """The group's guests that exist here in any form (including a live migration's transient names)."""
    from xenha.xen.domain import stop_plan

    return tuple(g.name for g in guests if stop_plan(domains, g.name))


def migrate_options(tool: str, options: Sequence[str]) -> tuple[str, ...]:
    """XENDOMAINS_MIGRATE's extra words for `tool`: `--live`/`-l` dropped (xl is always live, xm gets it anyway)."""
    return tuple(o for o in options if o not in _XL_LIVE) if tool in ("xl", "xm") else tuple(options)


# ---------------------------------------------------------------------------------------------------------------------
# The lock file (xendomains' "the group is started here" marker)


def lock_dir(ctx: Hb1Context) -> StateDir:
    """The groups' lock directory, /run/xenha/hb1 (XENHA_RUN_DIR/hb1): root only, checked by xenha.state.

    It holds each group's lock file (its name, xendomainsHA1) and the lock that serialises start and stop
    (xendomainsHA1.lock). In an untrusted directory (another user owns it or may write it) no lock file is
    believed, none is written (start fails with a one-line reason) and none is removed.
    """
    return StateDir(os.path.join(ctx.paths.run_dir, LOCK_SUBDIR))


def is_lock_current(locks: StateDir, name: str, boot_id: str) -> bool:
    """True when the group's lock file exists in a trusted lock directory and was written during this boot (or
    holds no boot id, as an old xendomains copy's `touch` left it)."""
    written = locks.read(name)
    if written is None:
        return False
    written = written.strip()
    if written and boot_id and written != boot_id:
        _log.info("lock file %s/%s is from an earlier boot; ignoring it", locks.path, name)
        return False
    return True


def _write_lock(locks: StateDir, name: str, boot_id: str) -> None:
    """Write the lock file: a temporary file made with O_EXCL|O_NOFOLLOW in the root-only directory, then renamed."""
    locks.write(name, boot_id + "\n")


def _remove_lock(locks: StateDir, name: str) -> None:
    locks.remove(name)


@contextlib.contextmanager
def _serialised(cfg: GroupConfig, ctx: Hb1Context, *, stopping: bool = False) -> Iterator[None]:
    """Only one start or stop of a group at a time (heartbeat never overlaps them; an admin might).

    An untrusted lock directory fails a start (UnsafeStateDir, one line); a stop goes on unserialised, because a
    failed stop makes heartbeat reboot the node and the guests must go whatever /run looks like.
    """
    locks = lock_dir(ctx)
    if stopping:
        try:
            locks.ensure()
        except XenhaError as exc:  # untrusted, or cannot exist (XENHA_RUN_DIR under a file)
            _log.warning("%s: %s; stopping without the lock", cfg.name, exc.reason)
            yield
            return
    with locks.lock(cfg.name, Deadline(_SERIALISE_S)):
        yield


# ---------------------------------------------------------------------------------------------------------------------
# Waiting on domains


def _wait_until(xen: Xen, name: str, want_gone: bool, deadline: Deadline) -> Domain | None:
    """Poll the listing until `name` is gone (want_gone) or runs; the domain seen last, None when gone."""
    from xenha.xen.domain import Health, assess

    seen: list[Domain | None] = [None]

    def check() -> bool | None:
        domain = find_domain(xen.list(Deadline(_LIST_S)), name)
        seen[0] = domain
        if want_gone:
            return True if domain is None else None
        return True if assess(domain) in (Health.RUNNING, Health.PAUSED) else None

    with contextlib.suppress(DeadlineExceeded):
        poll_until(check, deadline, interval=_POLL_S, what=f"domU {name}")
    return seen[0]


def _left(xen: Xen, name: str, *, waiting: bool) -> bool:
    """Whether `name` left the list: polled for a while after a command that said it succeeded, else looked at once."""
    if waiting:
        return _wait_until(xen, name, True, Deadline(_LEFT_WAIT_S)) is None
    return find_domain(xen.list(Deadline(_LIST_S)), name) is None


# ---------------------------------------------------------------------------------------------------------------------
# start


def _guard_start(guest: Guest, ctx: Hb1Context) -> GuardResult:
    assert guest.domu is not None
    disks = drbd_disks(guest.domu.disks)
    return check_start(disks, incoming=False, run=ctx.run, deadline=Deadline(_LIST_S), proc_drbd=ctx.paths.proc_drbd)


def _restore(cfg: GroupConfig, ctx: Hb1Context, xen: Xen, guests: Sequence[Guest], failures: list[str]) -> int:
    """Restore the group's saved guests (files named after them in XENDOMAINS_SAVE); return how many came back."""
    if not (cfg.restore and cfg.save_dir and os.path.isdir(cfg.save_dir)):
        return 0
    restored = 0
    for guest in guests:
        image = os.path.join(cfg.save_dir, guest.name)
        if not os.path.isfile(image):
            continue
        who = f"domU {guest.name}"
        if guest.domu is not None:
            guard = _guard_start(guest, ctx)
            if runs_on_peer(guard):
                _log.warning("%s: runs on the peer (%s); its save image %s is stale, not restoring", who, guard.reason,
                             image)  # fmt: skip
                continue
            if not guard.is_safe:
                failures.append(f"{who}: not restoring: {guard.reason}")
                continue
        result = xen.call("restore", image, deadline=Deadline(cfg.start_maxwait))
        if result.failed:
            detail = parse_xen_error(result.stderr).message or result.fail_reason
            failures.append(f"{who}: {xen.tool} restore {image} failed: {detail}; the image is kept")
            continue
        os.unlink(image)
        _log.info("%s: restored from %s", who, image)
        restored += 1
    return restored


def _start_one(cfg: GroupConfig, ctx: Hb1Context, xen: Xen, guest: Guest, domains: tuple[Domain, ...]) -> str:
    """Start one guest; returns what happened (`started`, `running`, `peer`, `migrating`) or raises XenhaError."""
    from xenha.xen.cmd import create_argv
    from xenha.xen.domain import Health, assess

    who = f"domU {guest.name}"
    current = find_domain(domains, guest.name)
    health = assess(current)
    if health in (Health.RUNNING, Health.PAUSED):
        _log.info("%s: already running here", who)
        _ledger_returned(ctx, guest.name)
        return "running"
    incoming = [d for d in domains if d.base_name == guest.name and d.migration_role is MigrationRole.INCOMING]
    if incoming or health is Health.MIGRATING:
        _log.info("%s: a live migration into this node is under way; not starting it", who)
        return "migrating"
    if guest.domu is None:
        raise ConfigError(f"{who}: {guest.problem}")
    guard = _guard_start(guest, ctx)
    if runs_on_peer(guard):
        _log.info("%s: runs on the peer (%s); not starting it here", who, guard.reason)
        return "peer"
    if not guard.is_safe:
        verb = "refusing to start" if guard.verdict is Verdict.REFUSE else "cannot verify DRBD, not starting"
        raise XenhaError(f"{who}: {verb}: {guard.reason}")
    if current is not None and health is not Health.ABSENT:
        _log.warning("%s: leftover domain is %s; destroying it before the start", who, health)
        xen.call("destroy", guest.name, deadline=Deadline(_REQUEST_S))
        _wait_until(xen, guest.name, True, Deadline(cfg.destroy_maxwait))
    deadline = Deadline(cfg.start_maxwait)
    result = ctx.run(create_argv(xen.tool, guest.config_path, guest.name, override_name=False), deadline)
    if result.failed:
        detail = parse_xen_error(result.stderr).message or result.fail_reason
        raise ToolError(f"{who}: {xen.tool} create failed: {detail}", argv=result.argv, rc=result.rc)
    seen = _wait_until(xen, guest.name, False, deadline)
    if assess(seen) not in (Health.RUNNING, Health.PAUSED):
        raise XenhaError(f"{who}: not running {cfg.start_maxwait:.0f}s after {xen.tool} create ({assess(seen)})")
    _log.info("%s: started", who)
    return "started"


def start(cfg: GroupConfig, ctx: Hb1Context) -> int:
    """Start the group here: restore saved guests, create the others that run nowhere; 1 when any guest failed."""
    for note in cfg.notes:
        _log.warning("%s: %s", cfg.name, note)
    with _serialised(cfg, ctx):
        guests = read_guests(cfg.auto_dir)
        _write_lock(lock_dir(ctx), cfg.name, read_boot_id())
        try:
            xen, domains = open_toolstack(cfg.toolstack, ctx.run, Deadline(_LIST_S))
        except XenhaError as exc:
            _report(ctx, cfg, "start", f"cannot use the toolstack: {exc.reason}")
            return _FAILED
        failures: list[str] = []
        if _restore(cfg, ctx, xen, guests, failures):
            domains = xen.list(Deadline(_LIST_S))
        outcome: dict[str, list[str]] = {}
        for guest in guests:
            try:
                what = _start_one(cfg, ctx, xen, guest, domains)
            except XenhaError as exc:
                failures.append(exc.reason)
                what = "failed"
            outcome.setdefault(what, []).append(guest.name)
    for failure in failures:
        _log.error("%s: %s", cfg.name, failure)
    summary = ", ".join(f"{k} {len(v)}" for k, v in outcome.items()) or "no guests"
    ctx.out.write(f"{cfg.name}: start: {summary}\n")
    _log.info("%s: start: %s", cfg.name, summary)
    return _FAILED if failures else _OK


# ---------------------------------------------------------------------------------------------------------------------
# stop


def _migrate(cfg: GroupConfig, ctx: Hb1Context, xen: Xen, guest: Guest) -> bool:
    """Live-migrate the guest to XENDOMAINS_MIGRATE's host; True when it left this node."""
    from xenha.xen.cmd import migrate_argv

    assert cfg.migrate is not None
    who = f"domU {guest.name}"
    target = cfg.peer or cfg.migrate.host
    if guest.domu is None:
        _log.warning("%s: not migrating: cannot find its DRBD disks (%s)", who, guest.problem)
        return False
    disks = drbd_disks(guest.domu.disks)
    guard = check_migrate(disks, target=target, run=ctx.run, deadline=Deadline(_LIST_S),
                          proc_drbd=ctx.paths.proc_drbd)  # fmt: skip
    if not guard.is_safe:
        _log.warning("%s: not migrating to %s: %s", who, target, guard.reason)
        return False
    argv = migrate_argv(xen.tool, guest.name, cfg.migrate.host, migrate_options(xen.tool, cfg.migrate.options), None)
    _log.info("%s: migrating to %s", who, cfg.migrate.host)
    result = ctx.run(argv, Deadline(cfg.stop_maxwait))
    left = _left(xen, guest.name, waiting=result.ok)
    if result.ok and left:
        _ledger_record(ctx, xen, guest.name, target=target, address=cfg.migrate.host, by=f"{cfg.name} stop")
        _log.info("%s: migrated to %s", who, cfg.migrate.host)
        return True
    if left:
        _log.warning("%s: left this node although %s migrate reported: %s; check %s", who, xen.tool,
                     result.fail_reason, cfg.migrate.host)  # fmt: skip
        return True
    _log.warning("%s: migration to %s failed: %s", who, cfg.migrate.host, result.fail_reason)
    return False


def _save(cfg: GroupConfig, xen: Xen, guest: Guest) -> bool:
    """Save the guest to XENDOMAINS_SAVE/NAME (the toolstack destroys it after saving); True when it is gone."""
    assert cfg.save_dir is not None
    who = f"domU {guest.name}"
    image = os.path.join(cfg.save_dir, guest.name)
    try:
        os.makedirs(cfg.save_dir, exist_ok=True)
    except OSError as exc:
        _log.warning("%s: cannot save to %s: %s", who, cfg.save_dir, exc.strerror)
        return False
    _log.info("%s: saving to %s", who, image)
    result = xen.call("save", guest.name, image, deadline=Deadline(cfg.stop_maxwait))
    gone = _left(xen, guest.name, waiting=result.ok)
    if result.ok and gone:
        return True
    _log.warning("%s: save failed: %s", who, result.fail_reason)
    if not gone:  # a half-written image would be restored over the running guest's data at the next start
        with contextlib.suppress(FileNotFoundError):
            os.unlink(image)
    return gone


def _shut_down_all(cfg: GroupConfig, xen: Xen, steps: Sequence[StopStep]) -> list[str]:
    """Clean shutdown of every `clean` step at once, destroy of the rest and of whatever outlives
    XENDOMAINS_STOP_MAXWAIT; returns the names still present at the end."""
    waiting: list[str] = []
    destroy: list[str] = [s.name for s in steps if not s.clean]
    for step in (s for s in steps if s.clean):
        if step.unpause:
            xen.call("unpause", step.name, deadline=Deadline(_REQUEST_S))
        result = xen.call("shutdown", step.name, deadline=Deadline(_REQUEST_S))
        if result.ok:
            waiting.append(step.name)
        else:
            _log.warning("domU %s: shutdown refused (%s); destroying it", step.name, result.fail_reason)
            destroy.append(step.name)
    if waiting:
        _log.info("%s: shutting down %s, waiting up to %.0fs", cfg.name, " ".join(waiting), cfg.stop_maxwait)
        left = _wait_all_gone(xen, waiting, Deadline(cfg.stop_maxwait))
        for name in waiting:
            if name in left:
                _log.warning("domU %s: still there after %.0fs; destroying it", name, cfg.stop_maxwait)
            else:
                _log.info("domU %s: shut down cleanly", name)
        destroy.extend(left)
    if not destroy:
        return []
    for name in destroy:
        xen.call("destroy", name, deadline=Deadline(_REQUEST_S))
    left = _wait_all_gone(xen, destroy, Deadline(cfg.destroy_maxwait))
    for name in destroy:
        if name in left:
            _log.error("domU %s: still present after destroy", name)
        else:
            _log.warning("domU %s: destroyed", name)
    return left


def _wait_all_gone(xen: Xen, names: Sequence[str], deadline: Deadline) -> list[str]:
    """Poll until none of `names` is listed or the deadline passes; the names still listed."""
    left = list(names)

    def check() -> bool | None:
        listed = {d.name for d in xen.list(Deadline(_LIST_S))}
        left[:] = [n for n in left if n in listed]
        return True if not left else None

    with contextlib.suppress(DeadlineExceeded):
        poll_until(check, deadline, interval=_POLL_S, what="shutdown")
    return left


def _move_away(cfg: GroupConfig, ctx: Hb1Context, xen: Xen, guest: Guest, step: StopStep) -> str | None:
    """Migrate or save the running guest as configured; how it left (`migrated`, `saved`) or None to shut it down."""
    if step.unpause:
        xen.call("unpause", step.name, deadline=Deadline(_REQUEST_S))
    if cfg.migrate is not None and _migrate(cfg, ctx, xen, guest):
        return "migrated"
    if cfg.save_dir is not None and _save(cfg, xen, guest):
        return "saved"
    return None


def stop(cfg: GroupConfig, ctx: Hb1Context) -> int:
    """Stop the group here (migrate, save or shut down each guest); 0 only when none of its guests is left here."""
    from xenha.xen.domain import stop_plan

    for note in cfg.notes:
        _log.warning("%s: %s", cfg.name, note)
    with _serialised(cfg, ctx, stopping=True):
        guests = read_guests(cfg.auto_dir)
        try:
            xen, domains = open_toolstack(cfg.toolstack, ctx.run, Deadline(_LIST_S))
        except NotInstalled:
            _log.info("%s: no Xen toolstack on this node; nothing can run here", cfg.name)
            _remove_lock(lock_dir(ctx), cfg.name)
            return _OK
        except XenhaError as exc:
            _report(ctx, cfg, "stop", f"cannot list the domains: {exc.reason}")
            return _FAILED
        failures: list[str] = []
        outcome: dict[str, list[str]] = {}
        to_shut: list[StopStep] = []
        for guest in guests:
            for step in stop_plan(domains, guest.name):
                how = None
                if step.name == guest.name and step.clean:
                    try:
                        how = _move_away(cfg, ctx, xen, guest, step)
                    except XenhaError as exc:
                        _log.warning("domU %s: %s", guest.name, exc.reason)
                if how is None:
                    to_shut.append(step)
                    how = "shut down" if step.clean else "destroyed"
                outcome.setdefault(how, []).append(step.name)
        try:
            if to_shut:
                _shut_down_all(cfg, xen, to_shut)
            left = live_guests(xen.list(Deadline(_LIST_S)), guests)
        except XenhaError as exc:
            failures.append(f"cannot verify the stop: {exc.reason}")
            left = ()
        if left:
            failures.append(f"still here: {' '.join(left)}")
        if not failures:
            _remove_lock(lock_dir(ctx), cfg.name)
    for failure in failures:
        _log.error("%s: %s", cfg.name, failure)
    summary = ", ".join(f"{k} {len(v)}" for k, v in outcome.items()) or "nothing running"
    ctx.out.write(f"{cfg.name}: stop: {summary}\n")
    _log.info("%s: stop: %s", cfg.name, summary)
    return _FAILED if failures else _OK


# ---------------------------------------------------------------------------------------------------------------------
# status


def status(name: str, cfg: GroupConfig | None, ctx: Hb1Context) -> int:
    """Print the one status line heartbeat reads; 0 when the group is held here, 3 when not.

    `cfg` is None when the defaults file cannot be used: then only the lock file decides.
    """
    lock_present = is_lock_current(lock_dir(ctx), name, read_boot_id())
    live: int | None = None
    total: int | None = None
    if cfg is not None:
        try:
            guests = read_guests(cfg.auto_dir)
            total = len(guests)
            live = (
                len(live_guests(open_toolstack(cfg.toolstack, ctx.run, Deadline(_LIST_S))[1], guests)) if guests else 0
            )
        except NotInstalled:
            live = 0
        except XenhaError as exc:
            _log.warning("%s: status: %s; the lock file decides", cfg.name, exc.reason)
            live = None
        except Exception:  # noqa: BLE001 -- status must print its line whatever happens; the lock file then decides
            _log.exception("%s: status: unexpected failure; the lock file decides", cfg.name)
            live = None
    held = ownership(lock_present=lock_present, live_guests=live)
    ctx.out.write(status_line(name, held, live=live, total=total if live is not None else None) + "\n")
    return _STATUS_HELD if held is Ownership.OWNED else _STATUS_NOT_HELD


# ---------------------------------------------------------------------------------------------------------------------
# The ledger (best effort: a ledger problem never fails an action)


def _ledger_record(ctx: Hb1Context, xen: Xen, guest: str, *, target: str, address: str, by: str) -> None:
    from xenha.hb1.ledger import LedgerFile, Move, ledger_path

    move = Move(guest=guest, source=ctx.node, target=target, address=address,
                home_address=ctx.environ.get("XENHA_MIGRATE_HOME", "") or ctx.node, toolstack=xen.tool,
                at=time.time(), by=by)  # fmt: skip
    try:
        LedgerFile(ledger_path(ctx.environ)).record(move)
    except (OSError, XenhaError) as exc:
        _log.warning("domU %s: migration not written to the ledger: %s", guest, getattr(exc, "reason", exc))


def _ledger_returned(ctx: Hb1Context, guest: str) -> None:
    from xenha.hb1.ledger import LedgerFile, ledger_path

    path = ledger_path(ctx.environ)
    if not os.path.exists(path):
        return
    try:
        ledger = LedgerFile(path)
        move = ledger.read().latest(guest)
        if move is not None and move.is_away and move.source == ctx.node:
            ledger.returned(guest)
            _log.info("domU %s: back home from %s (ledger closed)", guest, move.target)
    except (OSError, XenhaError) as exc:
        _log.warning("domU %s: ledger not updated: %s", guest, getattr(exc, "reason", exc))


# ---------------------------------------------------------------------------------------------------------------------
# Entry point


def _report(ctx: Hb1Context, cfg: GroupConfig, action: str, why: str) -> None:
    _log.error("%s: %s: %s", cfg.name, action, why)
    ctx.out.write(f"{cfg.name}: {action} failed\n")


def _setup_logging(name: str, action: str, environ: Mapping[str, str]) -> None:
    """Syslog tagged `xendomainsHA1[pid]`, as a program that is not an OCF agent (no instance in the tag)."""
    from xenha.ocf.log import setup_logging

    setup_logging(name, "", environ)


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, out: TextIO | None = None
) -> int:
    """The launcher's entry point: `xendomainsHA<N> start|stop|status`, the group from argv[0]."""
    args = list(sys.argv if argv is None else argv)
    env = os.environ if environ is None else environ
    stdout = out or sys.stdout
    if args[1:] == ["--version"]:
        from xenha import __version__

        stdout.write(f"{os.path.basename(args[0]) or SCRIPT_PREFIX} {__version__}\n")
        return _OK
    try:
        group = group_from_argv0(args[0] if args else "")
    except ArgsError as exc:
        sys.stderr.write(exc.reason + "\n")
        return _USAGE
    name = f"{SCRIPT_PREFIX}{group}"
    if len(args) != 2 or args[1] not in ACTIONS:
        sys.stderr.write(f"usage: {name} {{{'|'.join(ACTIONS)}}}\n")
        return _USAGE
    action = args[1]
    _setup_logging(name, action, env)
    ctx = Hb1Context.production(env, stdout)
    path = defaults_path(env, group)
    try:
        variables = read_shell_vars(path)
        cfg = group_config(group, variables, run_dir=ctx.paths.run_dir)
    except (OSError, ParseError, ConfigError) as exc:
        why = f"{path}: {exc.strerror}" if isinstance(exc, OSError) else exc.reason
        if action == "status":
            _log.warning("%s: status: %s; the lock file decides", name, why)
            return status(name, None, ctx)
        _log.error("%s: %s", name, why)
        sys.stderr.write(f"{name}: {why}\n")
        return _NOT_CONFIGURED
    if action == "status":
        return status(name, cfg, ctx)
    try:
        return start(cfg, ctx) if action == "start" else stop(cfg, ctx)
    except XenhaError as exc:
        _report(ctx, cfg, action, exc.reason)
        return _NOT_CONFIGURED if isinstance(exc, ConfigError) else _FAILED
    except OSError as exc:
        _report(ctx, cfg, action, f"{exc.filename or 'file'}: {exc.strerror}")
        return _FAILED
