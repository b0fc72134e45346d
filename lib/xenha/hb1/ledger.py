# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The migration ledger and `xenha-migrate`: which guest this node moved where, in one small JSON file, locked.

Admins of heartbeat v1 clusters keep this by hand (xen-migrate scripts writing "web1 went to ha2" somewhere) so
that after maintenance they can bring every guest home. xenha writes it whenever it moves a guest: a group's stop
with XENDOMAINS_MIGRATE, and `xenha-migrate move`. Each node keeps its own ledger of the moves it made; an entry
is closed (`returned_at`) when the guest is seen running here again or `xenha-migrate reverse` brought it back.

File: /var/lib/xenha/migrations.json (XENHA_LEDGER overrides), `{"version": 1, "moves": [MOVE, ...]}`, one MOVE
per guest (its latest), replaced atomically (temporary file + rename) while holding `<file>.lock`.

`xenha-migrate move GUEST|--all --to HOST` live-migrates guests from here and writes the ledger; `status` shows it;
`reverse GUEST|--all` brings the guests this node moved away back home. A migration is always started by the node
that holds the guest (xm and xl both work that way), so reverse runs the migration on the holder through
XENHA_MIGRATE_REMOTE (default `ssh -o BatchMode=yes -o ConnectTimeout=10`, the same root ssh that xl migrate
itself needs between dom0s), as `<remote> ADDRESS xl migrate GUEST HOME` where HOME is this node's migration address
(XENHA_MIGRATE_HOME, default the node name).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TextIO

from xenha.errors import ParseError, XenhaError
from xenha.run import Deadline, Runner, poll_until
from xenha.state import StateDir

__all__ = [
    "DEFAULT_LEDGER",
    "Ledger",
    "LedgerFile",
    "Move",
    "ledger_path",
    "main",
    "mark_returned",
    "parse_ledger",
    "record_move",
    "render_ledger",
]

DEFAULT_LEDGER = "/var/lib/xenha/migrations.json"
_VERSION = 1
_TOOL = "migration ledger"
_LOCK_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class Move:
    """One guest's latest move made by this node: from `source` to `target` (reached at `address`)."""

    guest: str
    source: str
    target: str
    address: str
    home_address: str
    toolstack: str
    at: float
    by: str
    returned_at: float | None = None

    @property
    def is_away(self) -> bool:
        """True while the guest has not been seen back on its source."""
        return self.returned_at is None


@dataclass(frozen=True, slots=True)
class Ledger:
    """Every guest's latest move, oldest first."""

    moves: tuple[Move, ...] = ()

    def latest(self, guest: str) -> Move | None:
        return next((m for m in self.moves if m.guest == guest), None)

    @property
    def away(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.is_away)


_FIELDS: dict[str, tuple[type, ...]] = {
    "guest": (str,),
    "source": (str,),
    "target": (str,),
    "address": (str,),
    "home_address": (str,),
    "toolstack": (str,),
    "at": (int, float),
    "by": (str,),
    "returned_at": (int, float, type(None)),
}


def _move(item: object, index: int) -> Move:
    where = f"moves[{index}]"
    if not isinstance(item, dict):
        raise ParseError(_TOOL, 0, where, "a move must be an object")
    missing = sorted(set(_FIELDS) - set(item) - {"returned_at"})
    unknown = sorted(set(item) - set(_FIELDS))
    if missing or unknown:
        raise ParseError(_TOOL, 0, where, f"missing {missing}, unknown {unknown}")
    for key, value in item.items():
        kinds = _FIELDS[key]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise ParseError(_TOOL, 0, f"{where}.{key}", f"wrong type {type(value).__name__}")
    returned = item.get("returned_at")
    return Move(
        guest=item["guest"],
        source=item["source"],
        target=item["target"],
        address=item["address"],
        home_address=item["home_address"],
        toolstack=item["toolstack"],
        at=float(item["at"]),
        by=item["by"],
        returned_at=None if returned is None else float(returned),
    )


def parse_ledger(text: str) -> Ledger:
    """Parse the ledger file; empty text is an empty ledger; ParseError for anything else that is not a ledger."""
    if not text.strip():
        return Ledger()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
        raise ParseError(_TOOL, exc.lineno, line, exc.msg) from None
    except RecursionError:
        raise ParseError(_TOOL, 0, text[:80], "nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("version") != _VERSION or not isinstance(doc.get("moves"), list):
        raise ParseError(_TOOL, 1, text.splitlines()[0] if text.splitlines() else "", "not a version 1 ledger")
    moves = tuple(_move(item, i) for i, item in enumerate(doc["moves"]))
    if len({m.guest for m in moves}) != len(moves):
        raise ParseError(_TOOL, 0, "moves", "a guest appears twice")
    return Ledger(moves)


def render_ledger(ledger: Ledger) -> str:
    """The file text; parse_ledger(render_ledger(x)) == x."""
    return json.dumps({"version": _VERSION, "moves": [asdict(m) for m in ledger.moves]}, indent=1) + "\n"


def record_move(ledger: Ledger, move: Move) -> Ledger:
    """The ledger with `move` as its guest's latest (the older entry of that guest is dropped)."""
    return Ledger((*(m for m in ledger.moves if m.guest != move.guest), move))


def mark_returned(ledger: Ledger, guest: str, at: float) -> Ledger:
    """The ledger with the guest's open move closed at `at`; unchanged when the guest is not away."""
    return Ledger(tuple(replace(m, returned_at=at) if m.guest == guest and m.is_away else m for m in ledger.moves))


def ledger_path(environ: Mapping[str, str]) -> str:
    """XENHA_LEDGER, else /var/lib/xenha/migrations.json."""
    return environ.get("XENHA_LEDGER") or DEFAULT_LEDGER


class LedgerFile:
    """The ledger on disk: `read()` without a lock (a rename never shows a half-written file), `change()` with it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._dir = StateDir(os.path.dirname(path) or ".")
        self._name = os.path.basename(path)

    def read(self) -> Ledger:
        """The current ledger (empty when the file does not exist); ParseError when it is damaged."""
        return parse_ledger(self._dir.read(self._name) or "")

    def change(self, edit: Callable[[Ledger], Ledger], *, deadline: Deadline | None = None) -> Ledger:
        """Apply `edit` under the lock and save the result atomically; returns it."""
        with self._dir.lock(self._name, deadline or Deadline(_LOCK_WAIT_S)):
            before = self.read()
            after = edit(before)
            if after != before:
                self._dir.write(self._name, render_ledger(after))
            return after

    def record(self, move: Move) -> Ledger:
        return self.change(lambda ledger: record_move(ledger, move))

    def returned(self, guest: str, *, at: float | None = None) -> Ledger:
        when = time.time() if at is None else at
        return self.change(lambda ledger: mark_returned(ledger, guest, when))


# ---------------------------------------------------------------------------------------------------------------------
# xenha-migrate

PROG = "xenha-migrate"
_DEFAULT_REMOTE = "ssh -o BatchMode=yes -o ConnectTimeout=10"
_LIST_S = 30.0
_MIGRATE_S = 600.0
_ARRIVE_S = 30.0


@dataclass(frozen=True, slots=True)
class _Cli:
    ledger: LedgerFile
    run: Runner
    node: str
    home: str
    remote: tuple[str, ...]
    toolstack: str
    out: TextIO
    err: TextIO


def _running_here(cli: _Cli) -> tuple[str, set[str]]:
    """(toolstack, names of the live guests here)."""
    from xenha.hb1.config import open_toolstack

    choice = cli.toolstack if cli.toolstack in ("xl", "xm") else "auto"
    xen, domains = open_toolstack(choice, cli.run, Deadline(_LIST_S))  # type: ignore[arg-type]
    return xen.tool, {d.name for d in domains if d.name and d.is_live and not d.is_dom0}


def _migrate_argv(tool: str, guest: str, address: str) -> list[str]:
    from xenha.xen.cmd import migrate_argv

    return migrate_argv("xl" if tool == "xl" else "xm", guest, address, (), None)


def _cmd_status(cli: _Cli) -> int:
    moves = cli.ledger.read().moves
    if not moves:
        cli.out.write("no migrations recorded\n")
        return 0
    rows = [("GUEST", "FROM", "TO", "ADDRESS", "WHEN", "STATE")]
    for m in moves:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.at))
        state = "away" if m.is_away else "returned " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m.returned_at))
        rows.append((m.guest, m.source, m.target, m.address, when, state))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cli.out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    return 0


def _cmd_move(cli: _Cli, guests: Sequence[str], everything: bool, to: str, peer: str | None) -> int:
    tool, here = _running_here(cli)
    chosen = sorted(here) if everything else list(guests)
    failed = 0
    for guest in chosen:
        if guest not in here:
            cli.err.write(f"{PROG}: domU {guest}: not running here\n")
            failed += 1
            continue
        result = cli.run(_migrate_argv(tool, guest, to), Deadline(_MIGRATE_S))
        if result.failed:
            cli.err.write(f"{PROG}: domU {guest}: migration to {to} failed: {result.fail_reason}\n")
            failed += 1
            continue
        cli.ledger.record(Move(guest=guest, source=cli.node, target=peer or to, address=to, home_address=cli.home,
                               toolstack=tool, at=time.time(), by=PROG))  # fmt: skip
        cli.out.write(f"domU {guest}: moved to {to}\n")
    return 1 if failed else 0


def _arrived(cli: _Cli, guest: str) -> Callable[[], bool | None]:
    def check() -> bool | None:
        return True if guest in _running_here(cli)[1] else None

    return check


def _cmd_reverse(cli: _Cli, guests: Sequence[str], everything: bool) -> int:
    away = [m for m in cli.ledger.read().away if m.source == cli.node]
    chosen = away if everything else [m for m in away if m.guest in guests]
    unknown = set(guests) - {m.guest for m in chosen}
    for guest in sorted(unknown):
        cli.err.write(f"{PROG}: domU {guest}: the ledger has no open move of it from {cli.node}\n")
    failed = len(unknown)
    for move in chosen:
        _, here = _running_here(cli)
        if move.guest not in here:
            argv = [*cli.remote, move.address, *_migrate_argv(move.toolstack, move.guest, move.home_address)]
            result = cli.run(argv, Deadline(_MIGRATE_S))
            if result.failed:
                cli.err.write(f"{PROG}: domU {move.guest}: migration back from {move.address} failed: "
                              f"{result.fail_reason}\n")  # fmt: skip
                failed += 1
                continue
            try:
                poll_until(_arrived(cli, move.guest), Deadline(_ARRIVE_S), interval=0.5, what=f"domU {move.guest}")
            except XenhaError:
                cli.err.write(f"{PROG}: domU {move.guest}: migrated back but not running here\n")
                failed += 1
                continue
        cli.ledger.returned(move.guest)
        cli.out.write(f"domU {move.guest}: home from {move.target}\n")
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    from xenha import __version__

    parser = argparse.ArgumentParser(prog=PROG, description="live-migrate guests and keep a ledger to bring them home")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="show the ledger")
    move = sub.add_parser("move", help="live-migrate guests running here to another dom0 and record it")
    move.add_argument("guests", nargs="*")
    move.add_argument("--all", action="store_true", help="every guest running here")
    move.add_argument("--to", required=True, help="migration address of the target (e.g. ha2X)")
    move.add_argument("--peer", help="the target's node name, when it differs from the address")
    reverse = sub.add_parser("reverse", help="bring guests this node moved away back home")
    reverse.add_argument("guests", nargs="*")
    reverse.add_argument("--all", action="store_true", help="every guest the ledger shows away")
    return parser


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`xenha-migrate status|move|reverse`; 0 when everything asked for was done, 1 otherwise, 2 on bad usage."""
    from xenha.paths import Paths
    from xenha.run import SubprocessRunner

    env = os.environ if environ is None else environ
    stdout, stderr = out or sys.stdout, err or sys.stderr
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:
        return 2 if exc.code else 0
    if args.command in ("move", "reverse") and not args.guests and not args.all:
        stderr.write(f"{PROG} {args.command}: name guests or give --all\n")
        return 2
    paths = Paths.from_environ(env)
    node = env.get("XENHA_NODE") or os.uname().nodename
    try:
        remote = tuple(shlex.split(env.get("XENHA_MIGRATE_REMOTE") or _DEFAULT_REMOTE))
    except ValueError as exc:
        stderr.write(f"{PROG}: XENHA_MIGRATE_REMOTE: {exc}\n")
        return 2
    cli = _Cli(ledger=LedgerFile(ledger_path(env)), run=SubprocessRunner(which=paths.which), node=node,
               home=env.get("XENHA_MIGRATE_HOME") or node, remote=remote, toolstack=env.get("XENHA_TOOLSTACK", "auto"),
               out=stdout, err=stderr)  # fmt: skip
    try:
        if args.command == "status":
            return _cmd_status(cli)
        if args.command == "move":
            return _cmd_move(cli, args.guests, args.all, args.to, args.peer)
        return _cmd_reverse(cli, args.guests, args.all)
    except (OSError, XenhaError) as exc:
        stderr.write(f"{PROG}: {getattr(exc, 'reason', None) or exc}\n")
        return 1
