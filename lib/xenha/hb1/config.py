# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""heartbeat v1 support: read xendomains defaults files without running them, name groups, and word `status`.

Three things live here, all pure:

- A reader for /etc/default/xendomainsHA<N>: the shell-variable files admins already have for the copies of
  /etc/init.d/xendomains they run under heartbeat. It understands `VAR=value`, `VAR="value"`, `VAR='value'`,
  `export VAR=value`, several assignments on a line, `\\` escapes, line continuations and `#` comments, and raises
  ParseError for anything the shell would *do* rather than assign (`$VAR`, `$(...)`, backquotes, `;`, `|`, `&`,
  redirections, a command after an assignment, tilde expansion). Nothing in the file is ever executed.
- The group: `xendomainsHA1` → group "1", read from the name the script is called by (argv[0]).
- The status text. heartbeat 3.0.6 decides whether this node holds a resource from what `status` PRINTS, never from
  its exit code; ResourceManager's `we_own_resource` (Debian package heartbeat 1:3.0.6, /usr/share/heartbeat/
  ResourceManager) is

      case `$spath $arg status` in
        *[Nn][Oo][Tt]\\ *[Rr]unning*)   return 3;;
        *[Rr]unning*|*OK*)             return 0;;
        *)                             return 3;;
      esac

  so "no domains running" counts as held, and so does any text that mentions a guest called "OK-web" or "running1";
  a guest called "knot" followed later by "running" reads as NOT held. Holding decides two dangerous things: a held
  group is not started on takeover (acquireresourcegroup: `we_own_resource || doscript start`), and a stop that
  failed ten times while status says held makes heartbeat reboot dom0 (giveupresourcegroup → RecoverFromFailedStop).
  Our status therefore prints exactly one line from a fixed vocabulary (`xendomainsHA1: running (2 of 3 guests
  here)` / `xendomainsHA1: not running`), never a guest name or a tool message; details go to the log.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from xenha.errors import ArgsError, ConfigError, ParseError
from xenha.files import read_text
from xenha.run import Deadline, Runner
from xenha.xen.config import CONFIG_MAX_BYTES, DomUConfig, parse_domu_config
from xenha.xen.ctl import Tool, XenCtl, find_domain
from xenha.xen.ctl import open_toolstack as xenctl_open
from xenha.xen.listing import Domain

__all__ = [
    "LOCK_SUBDIR",
    "MAX_SECONDS",
    "SCRIPT_PREFIX",
    "Assignment",
    "GroupConfig",
    "Guest",
    "MigrateTarget",
    "Ownership",
    "ShellVars",
    "Tool",
    "Toolstack",
    "Xen",
    "find_domain",
    "guest_from_text",
    "group_config",
    "group_from_argv0",
    "heartbeat_owns",
    "open_toolstack",
    "ownership",
    "lock_path",
    "parse_migrate",
    "parse_seconds",
    "parse_shell_vars",
    "read_boot_id",
    "read_guests",
    "read_shell_vars",
    "render_shell_vars",
    "status_line",
]

SCRIPT_PREFIX = "xendomainsHA"

# ---------------------------------------------------------------------------------------------------------------------
# Shell variable files (a strict subset of POSIX sh: assignments only)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Characters that end an unquoted word or start something the shell would execute or expand (POSIX 2.2, 2.6).
_OPERATORS = frozenset(";&|<>()")
_EXPANSIONS = frozenset("$`")
_BLANKS = frozenset(" \t")
# Inside double quotes a backslash escapes only these (POSIX 2.2.3); elsewhere it stays a backslash.
_DQ_ESCAPES = frozenset('$`"\\')


@dataclass(frozen=True, slots=True)
class Assignment:
    """One `NAME=value` the file makes, with the value as the shell would hold it."""

    name: str
    value: str
    exported: bool = False


@dataclass(frozen=True, slots=True)
class ShellVars:
    """Every assignment of a file, in order; `get` answers what the shell would see at the end (last one wins)."""

    assignments: tuple[Assignment, ...] = ()

    def get(self, name: str) -> str | None:
        found = None
        for item in self.assignments:
            if item.name == name:
                found = item.value
        return found

    def as_dict(self) -> dict[str, str]:
        return {item.name: item.value for item in self.assignments}


class _Scanner:
    """Walks the text once, keeping the line number for error messages."""

    def __init__(self, text: str, tool: str) -> None:
        self.text = text
        self.tool = tool
        self.pos = 0
        self.lineno = 1
        self.lines = text.split("\n")

    def fail(self, why: str, lineno: int | None = None) -> ParseError:
        number = self.lineno if lineno is None else lineno
        line = self.lines[number - 1] if 0 < number <= len(self.lines) else ""
        return ParseError(self.tool, number, line, why)

    def peek(self, offset: int = 0) -> str:
        at = self.pos + offset
        return self.text[at] if at < len(self.text) else ""

    def take(self) -> str:
        char = self.text[self.pos]
        self.pos += 1
        if char == "\n":
            self.lineno += 1
        return char

    def skip_blanks(self) -> None:
        while True:
            if self.peek() in _BLANKS and self.peek():
                self.pos += 1
            elif self.peek() == "\\" and self.peek(1) == "\n":  # a continuation between words
                self.take()
                self.take()
            else:
                return

    def skip_comment(self) -> None:
        while self.peek() and self.peek() != "\n":
            self.pos += 1

    def name(self) -> str | None:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def value(self) -> str:
        """One word after `=`: quoted and unquoted parts glued together, as the shell builds it."""
        out: list[str] = []
        tilde_expands = True  # at the start of an assignment's value and after each unquoted `:` (POSIX 2.6.1)
        while True:
            char = self.peek()
            if not char or char == "\n" or char in _BLANKS:
                return "".join(out)
            if char == "'":
                out.append(self._single_quoted())
            elif char == '"':
                out.append(self._double_quoted())
            elif char == "\\":
                self.take()
                nxt = self.peek()
                if not nxt:
                    raise self.fail("backslash at the end of the file")
                self.take()
                if nxt != "\n":  # backslash-newline joins lines; any other escaped character is itself
                    out.append(nxt)
                    tilde_expands = False
                continue
            elif char in _EXPANSIONS:
                raise self.fail(f"{char!r} would expand or run something; only literal values are read")
            elif char in _OPERATORS:
                raise self.fail(f"{char!r} is a shell operator; only `NAME=value` lines are read")
            elif char == "~" and tilde_expands:
                raise self.fail("unquoted ~ would expand to a home directory; quote it")
            else:
                out.append(self.take())
                tilde_expands = char == ":"
                continue
            tilde_expands = False

    def _single_quoted(self) -> str:
        start = self.lineno
        self.take()
        end = self.text.find("'", self.pos)
        if end < 0:
            raise self.fail("unterminated single quote", start)
        body = self.text[self.pos : end]
        while self.pos <= end:
            self.take()
        return body

    def _double_quoted(self) -> str:
        start = self.lineno
        self.take()
        out: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.fail("unterminated double quote", start)
            if char == '"':
                self.take()
                return "".join(out)
            if char == "\\":
                self.take()
                nxt = self.peek()
                if not nxt:
                    raise self.fail("unterminated double quote", start)
                self.take()
                if nxt == "\n":
                    continue
                out.append(nxt if nxt in _DQ_ESCAPES else "\\" + nxt)
            elif char in _EXPANSIONS:
                raise self.fail(f"{char!r} inside double quotes would expand; use single quotes or \\{char}")
            else:
                out.append(self.take())


def parse_shell_vars(text: str, *, tool: str = "shell defaults") -> ShellVars:
    """Parse a shell file of assignments without executing it; ParseError for anything but literal assignments."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError(tool, line, text.split("\n")[line - 1], "NUL byte")
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        raise ParseError(tool, line, text.split("\n")[line - 1], "carriage return (DOS line ending): the shell "
                         "would keep it in the value")  # fmt: skip
    scan = _Scanner(text, tool)
    found: list[Assignment] = []
    while True:
        scan.skip_blanks()
        char = scan.peek()
        if not char:
            return ShellVars(tuple(found))
        if char == "\n":
            scan.take()
            continue
        if char == "#":
            scan.skip_comment()
            continue
        found.extend(_statement(scan))


def _statement(scan: _Scanner) -> list[Assignment]:
    """`[export] NAME=value [NAME=value ...] [# comment]` or `export NAME [NAME ...]`, up to the end of the line."""
    line = scan.lineno
    exported = False
    word = scan.name()
    if word == "export" and scan.peek() in _BLANKS and scan.peek():
        exported = True
        scan.skip_blanks()
        word = scan.name()
        if word is not None and scan.peek() != "=":  # `export A B`: marks names, assigns nothing
            while True:
                if scan.peek() not in ("", "\n") and scan.peek() not in _BLANKS:
                    # `export A#x` or `export A-b`: one word that is not a name; the shell fails on it
                    raise scan.fail("`export` of something that is not a variable name", line)
                scan.skip_blanks()
                if scan.peek() in ("", "\n", "#"):
                    return []
                word = scan.name()
                if word is None or scan.peek() == "=":
                    raise scan.fail("mix of `export NAME` and assignments", line)
    found: list[Assignment] = []
    while True:
        if word is None or scan.peek() != "=":
            raise scan.fail("not a `NAME=value` assignment (the file is read, never run)", line)
        scan.take()
        found.append(Assignment(word, scan.value(), exported))
        scan.skip_blanks()
        if scan.peek() in ("", "\n"):
            return found
        if scan.peek() == "#":
            scan.skip_comment()
            return found
        word = scan.name()
        if word is None or scan.peek() != "=":
            raise scan.fail("a command after an assignment would run with it; only assignments are read", line)


def _quote(value: str) -> str:
    if value and all(c.isalnum() or c in "_-./:,+=@%" for c in value) and not value.startswith("~"):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def render_shell_vars(variables: ShellVars) -> str:
    """The file text for `variables` (one assignment a line, single-quoted when needed); parses back to the same."""
    return "".join(f"{'export ' if a.exported else ''}{a.name}={_quote(a.value)}\n" for a in variables.assignments)


SHELL_VARS_MAX_BYTES = 1 << 20  # /etc/default/xendomains is 6 KiB


def read_shell_vars(path: str) -> ShellVars:
    """Read and parse a shell variable file; OSError when it cannot be read, ParseError (naming the file) otherwise."""
    text = read_text(path, limit=SHELL_VARS_MAX_BYTES, errors="surrogateescape")  # a FIFO or a device: refused
    return parse_shell_vars(text, tool=path)


# ---------------------------------------------------------------------------------------------------------------------
# Groups and their settings

_GROUP = re.compile(r"[A-Za-z0-9_-]{1,32}")


def group_from_argv0(argv0: str) -> str:
    """The group of `.../xendomainsHA<N>`: `N` (letters, digits, `_` or `-`); ArgsError for any other name."""
    base = argv0.rsplit("/", 1)[-1]
    group = base[len(SCRIPT_PREFIX) :] if base.startswith(SCRIPT_PREFIX) else ""
    if not _GROUP.fullmatch(group):
        raise ArgsError(
            f"{base}: call this script as {SCRIPT_PREFIX}<N> (e.g. {SCRIPT_PREFIX}1, a link or copy); "
            "the group comes from its name"
        )
    return group


@dataclass(frozen=True, slots=True)
class MigrateTarget:
    """XENDOMAINS_MIGRATE split: the host to migrate to and the extra words (`ha2X --live` → host ha2X)."""

    host: str
    options: tuple[str, ...] = ()


def parse_migrate(value: str) -> MigrateTarget | None:
    """XENDOMAINS_MIGRATE as xendomains used it (`$CMD migrate $id $XENDOMAINS_MIGRATE`); None when empty.

    The first word that is not an option is the host; every other word is kept as an option. ConfigError when
    there is no host or the quoting is broken.
    """
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise ConfigError(f"XENDOMAINS_MIGRATE={value!r}: {exc}") from None
    if not words:
        return None
    hosts: list[int] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in _MIGRATE_VALUE_OPTIONS:
            index += 2  # the option's value is not the host
            continue
        if not word.startswith("-"):
            hosts.append(index)
        index += 1
    if len(hosts) != 1 or index > len(words):
        raise ConfigError(f"XENDOMAINS_MIGRATE={value!r}: expected one host name and options, e.g. 'ha2X --live'")
    return MigrateTarget(words[hosts[0]], tuple(w for i, w in enumerate(words) if i != hosts[0]))


# Options of `xl migrate` (-s SSHCOMMAND, -C CONFIG) and `xm migrate` (-p/--port PORT, -n/--node NODE) whose value is
# the next word.
_MIGRATE_VALUE_OPTIONS = frozenset({"-s", "-C", "-p", "--port", "-n", "--node"})


Toolstack = Literal["auto", "xl", "xm"]
_TOOLSTACKS: dict[str, Toolstack] = {"auto": "auto", "xl": "xl", "xm": "xm"}
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off", ""})
DEFAULT_STOP_MAXWAIT = 300  # /etc/default/xendomains as Xen ships it
DEFAULT_START_MAXWAIT = 60
DEFAULT_DESTROY_MAXWAIT = 30


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """The settings of one group, typed; `notes` lists xendomains settings that are read but deliberately not used."""

    group: str
    auto_dir: str
    migrate: MigrateTarget | None
    save_dir: str | None
    restore: bool
    stop_maxwait: float
    start_maxwait: float
    destroy_maxwait: float
    lockfile: str
    toolstack: Toolstack
    peer: str | None
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The script's name, the object every message starts with: `xendomainsHA1`."""
        return f"{SCRIPT_PREFIX}{self.group}"


def _flag(variables: ShellVars, key: str, default: bool, problems: list[str]) -> bool:
    raw = variables.get(key)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f"{key}={raw!r} is not true or false")
    return default


# The longest wait any *_MAXWAIT or bootguard setting accepts: a day. xendomains takes any number, but a wait longer
# than that is a typo, and 5,000 digits or 1e400 must be a one-line problem, never a traceback or an endless wait.
MAX_SECONDS = 86400
_SHOWN = 40  # characters of a bad value quoted in a problem


def parse_seconds(
    key: str, raw: str | None, default: float, problems: list[str], *, maximum: float = MAX_SECONDS, fraction: bool
) -> float | None:
    """A number of seconds from 0 to `maximum`: ASCII digits (and one `.` when `fraction`), at most 12 characters.

    None when the value is empty; otherwise the value, or `default` with a one-line problem appended. Never raises:
    no int() or float() sees anything but a short run of ASCII digits (no 1e400, inf, nan, `²`, `-5`, 5,000 digits).
    """
    text = (raw or "").strip()
    if not text:
        return None
    whole, dot, part = text.partition(".") if fraction else (text, "", "")
    digits = whole + part
    if (
        not digits
        or len(text) > 12
        or not (digits.isascii() and digits.isdigit())
        or (dot and not part)
        or "." in part
        or float(text) > maximum
    ):
        shown = text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
        whole_only = "" if fraction else ", whole"
        problems.append(f"{key}={shown!r} is not a number of seconds (0 to {maximum:g}{whole_only})")
        return default
    return float(text)


def _seconds(variables: ShellVars, key: str, default: int, problems: list[str], notes: list[str]) -> float:
    value = parse_seconds(key, variables.get(key), float(default), problems, fraction=False)
    if value is None:
        return float(default)
    if value == 0:
        # xendomains waits forever with 0; heartbeat gives a stop no time limit, so one hung guest would hang the
        # takeover. Every xenha step is bounded.
        notes.append(f"{key}=0 (no limit) is not supported; using {default}s")
        return float(default)
    return value


# Where the groups' lock files live under the run directory (XENHA_RUN_DIR, default /run/xenha): mode 0700, owned
# by root, checked as every state directory is (xenha.state).
LOCK_SUBDIR = "hb1"


def lock_path(run_dir: str, name: str) -> str:
    """The lock file of group script `name` (`xendomainsHA1`) under `run_dir`: /run/xenha/hb1/xendomainsHA1."""
    return os.path.join(run_dir, LOCK_SUBDIR, name)


def group_config(group: str, variables: ShellVars, *, run_dir: str = "/run/xenha") -> GroupConfig:
    """Validate a group's defaults file; the only place that raises ConfigError for its values.

    LOCKFILE is not honoured: the lock is always lock_path(run_dir, name); a different value is noted and ignored.
    """
    problems: list[str] = []
    notes: list[str] = []
    name = f"{SCRIPT_PREFIX}{group}"
    auto_dir = (variables.get("XENDOMAINS_AUTO") or "").strip()
    if not auto_dir:
        problems.append(
            f"XENDOMAINS_AUTO is not set: the group needs a directory of its own (e.g. /etc/xen/auto/HA{group})"
        )
    elif not auto_dir.startswith("/"):
        problems.append(f"XENDOMAINS_AUTO={auto_dir!r} is not an absolute path")
    migrate = None
    try:
        migrate = parse_migrate(variables.get("XENDOMAINS_MIGRATE") or "")
    except ConfigError as exc:
        problems.append(exc.reason)
    save_dir = (variables.get("XENDOMAINS_SAVE") or "").strip() or None
    if save_dir is not None and not save_dir.startswith("/"):
        problems.append(f"XENDOMAINS_SAVE={save_dir!r} is not an absolute path")
    restore = _flag(variables, "XENDOMAINS_RESTORE", False, problems)
    if not _flag(variables, "XENDOMAINS_AUTO_ONLY", True, problems):
        notes.append("XENDOMAINS_AUTO_ONLY=false is ignored: stop only ever touches the guests of this group")
    if (variables.get("XENDOMAINS_SHUTDOWN_ALL") or "").strip():
        notes.append("XENDOMAINS_SHUTDOWN_ALL is ignored: it would shut down the other group's guests too")
    if (variables.get("XENDOMAINS_SYSRQ") or "").strip():
        notes.append("XENDOMAINS_SYSRQ is ignored")
    toolstack_text = (variables.get("XENHA_TOOLSTACK") or "auto").strip().lower()
    toolstack = _TOOLSTACKS.get(toolstack_text)
    if toolstack is None:
        problems.append(f"XENHA_TOOLSTACK={toolstack_text!r} is not auto, xl or xm")
        toolstack = "auto"
    lockfile = lock_path(run_dir, name)
    asked = (variables.get("LOCKFILE") or "").strip()
    if asked and asked != lockfile:
        # A lock in world-writable /var/lock let any local user make `status` claim the group (issue 13); the
        # setting only ever chose a location, so it is ignored (a refusal would fail heartbeat's takeover).
        notes.append(f"LOCKFILE={asked!r} is ignored: the group's lock is {lockfile} (a directory only root can write)")
    config = GroupConfig(
        group=group,
        auto_dir=auto_dir,
        migrate=migrate,
        save_dir=save_dir,
        restore=restore,
        stop_maxwait=_seconds(variables, "XENDOMAINS_STOP_MAXWAIT", DEFAULT_STOP_MAXWAIT, problems, notes),
        start_maxwait=_seconds(variables, "XENHA_START_MAXWAIT", DEFAULT_START_MAXWAIT, problems, notes),
        destroy_maxwait=_seconds(variables, "XENHA_DESTROY_MAXWAIT", DEFAULT_DESTROY_MAXWAIT, problems, notes),
        lockfile=lockfile,
        toolstack=toolstack,
        peer=(variables.get("XENHA_PEER") or "").strip() or None,
        notes=tuple(notes),
    )
    if problems:
        raise ConfigError(f"{name}: " + "; ".join(problems))
    return config


# ---------------------------------------------------------------------------------------------------------------------
# Ownership and the status text


class Ownership(Enum):
    """What `status` tells heartbeat."""

    OWNED = "running"
    NOT_OWNED = "not running"


def ownership(*, lock_present: bool, live_guests: int | None) -> Ownership:
    """Held here when the group was started here (lock file of this boot) or any of its guests is live here.

    `live_guests` is None when the toolstack could not be asked; then the lock file alone decides. That keeps the
    two dangerous cases right: a stop that failed keeps its lock file, so heartbeat sees the group as held and
    reboots rather than letting the peer start guests that may still run here; and on takeover no lock file exists,
    so heartbeat runs start, which does its own careful checks.
    """
    if lock_present or (live_guests or 0) > 0:
        return Ownership.OWNED
    return Ownership.NOT_OWNED


def status_line(name: str, owned: Ownership, *, live: int | None = None, total: int | None = None) -> str:
    """The one line `status` prints: fixed words and numbers only (never guest names), safe for heartbeat's rule."""
    if owned is Ownership.NOT_OWNED:
        return f"{name}: not running"
    if live is None or total is None:
        return f"{name}: running (guest list unavailable)"
    return f"{name}: running ({live} of {total} guests here)"


_NOT_RUNNING = re.compile(r"[Nn][Oo][Tt] .*[Rr]unning", re.DOTALL)
_RUNNING = re.compile(r"[Rr]unning|OK")


def heartbeat_owns(text: str) -> bool:
    """heartbeat's `we_own_resource` case patterns applied to `text` (the rule quoted in the module docstring).

    A mirror for quick checks; the tests compare it with the real shell function from the installed package.
    The shell's command substitution drops trailing newlines, which does not change the outcome of the patterns.
    """
    if _NOT_RUNNING.search(text):
        return False
    return _RUNNING.search(text) is not None


# ---------------------------------------------------------------------------------------------------------------------
# I/O shared by the haresources script, the boot guard and xenha-migrate: guests of a directory, the toolstack

# A line that is nothing but `name = "literal"` (a trailing comment allowed): `name = 'web' + suffix` must not name
# the guest "web", another guest that stop would then look for and act on.
_NAME_LINE = re.compile(r"""^[ \t]*name[ \t]*=[ \t]*(?:"([^"\n]+)"|'([^'\n]+)')[ \t]*(?:#.*)?$""", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Guest:
    """A guest of a config directory: its name, config path and parsed config (None when it cannot be parsed).

    An xm config may be Python code that the literal parser refuses; stop still needs the name, so `name` then comes
    from a plain `name = "..."` line, else from the file name, and `problem` says why the config was not usable.
    """

    name: str
    config_path: str
    domu: DomUConfig | None
    problem: str | None = None


def guest_from_text(path: str, text: str) -> Guest:
    """A Guest from a config file's text (pure)."""
    try:
        domu = parse_domu_config(text)
    except ParseError as exc:
        match = _NAME_LINE.search(text)
        name = (match.group(1) or match.group(2)) if match else os.path.basename(path)
        return Guest(name, path, None, f"config {path}: {exc.reason}")
    return Guest(domu.name, path, domu)


def read_guests(directory: str) -> tuple[Guest, ...]:
    """The guests whose configs are in `directory` (regular files or links to them, no dotfiles, sorted by file name).

    Subdirectories are skipped, so /etc/xen/auto can hold the groups' HA1/ and HA2/ directories. ConfigError when
    the directory cannot be read.
    """
    try:
        entries = sorted(os.listdir(directory))
    except OSError as exc:
        raise ConfigError(f"{directory}: {exc.strerror}") from None
    guests: list[Guest] = []
    for entry in entries:
        path = os.path.join(directory, entry)
        if entry.startswith(".") or entry.endswith(("~", ".dpkg-old", ".dpkg-dist")) or not os.path.isfile(path):
            continue
        try:
            text = read_text(path, limit=CONFIG_MAX_BYTES)
        except OSError as exc:
            guests.append(Guest(entry, path, None, f"config {path}: {exc.strerror}"))
            continue
        guests.append(guest_from_text(path, text))
    return tuple(guests)


# The toolstack client is xenctl's, shared with the OCF agent; these names keep hb1's callers short.
Xen = XenCtl


def open_toolstack(choice: Toolstack, run: Runner, deadline: Deadline) -> tuple[XenCtl, tuple[Domain, ...]]:
    """The toolstack to use and its first listing: `choice`, or with auto xl when it answers, else xm."""
    order: tuple[Tool, ...] = ("xl", "xm") if choice == "auto" else (choice,)
    return xenctl_open(order, run, deadline)


def read_boot_id(path: str = "/proc/sys/kernel/random/boot_id") -> str:
    """This boot's id ("" when the kernel does not say): a lock file from an earlier boot is stale."""
    try:
        return read_text(path, limit=64).strip()
    except OSError:
        return ""
