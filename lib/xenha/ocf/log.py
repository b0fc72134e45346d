# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Logging the HA way, set up on the first record worth emitting: syslog `Agent(instance)[pid]`, HA_LOGFACILITY,
HA_debug, OCF_TRACE_RA.

Every agent operation is a fresh interpreter, and `logging` alone costs more to import than a whole healthy
monitor should. Modules therefore hold a `Logger` from `get(name)`: a few slots that compare the record's level
with the threshold `configure()` computed from the environment, and import `logging` and build the handlers
only when a record passes. A healthy monitor, whose records are all debug, never imports it.
Without `configure()` (tools, tests) records go straight to `logging.getLogger(name)` at any level.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Mapping
    from typing import TextIO

__all__ = ["DEBUG", "ERROR", "INFO", "WARNING", "Logger", "configure", "get", "open_append", "setup_logging"]

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40

# syslog(3) facility codes; logging.handlers is not imported for them: it drags in pickle and queue.
_FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7, "uucp": 8,
    "cron": 9, "authpriv": 10, "ftp": 11, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
    "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
_SEVERITY = {DEBUG: 7, INFO: 6, WARNING: 4, ERROR: 3, 50: 2}
SYSLOG_SOCKET = "/dev/log"


class _Setup:
    """What configure() was told; the handlers are built from it on the first record that passes."""

    __slots__ = ("agent", "environ", "instance", "action", "stderr", "threshold", "ready")

    def __init__(self) -> None:
        self.agent = ""
        self.environ: Mapping[str, str] = {}
        self.instance = ""
        self.action = ""
        self.stderr: TextIO | None = None
        self.threshold = 0  # unconfigured: everything goes to logging
        self.ready = True  # unconfigured: nothing to build


_SETUP = _Setup()


class Logger:
    """The part of logging.Logger that xenha uses; `logging` is imported on the first record that passes."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, msg: str, *args: object, exc_info: bool = False) -> None:
        if _SETUP.threshold <= DEBUG:
            _emit(self.name, DEBUG, msg, args, exc_info)

    def info(self, msg: str, *args: object, exc_info: bool = False) -> None:
        if _SETUP.threshold <= INFO:
            _emit(self.name, INFO, msg, args, exc_info)

    def warning(self, msg: str, *args: object, exc_info: bool = False) -> None:
        if _SETUP.threshold <= WARNING:
            _emit(self.name, WARNING, msg, args, exc_info)

    def error(self, msg: str, *args: object, exc_info: bool = False) -> None:
        _emit(self.name, ERROR, msg, args, exc_info)

    def exception(self, msg: str, *args: object) -> None:
        _emit(self.name, ERROR, msg, args, True)

    def log(self, level: int, msg: str, *args: object, exc_info: bool = False) -> None:
        if level >= _SETUP.threshold:
            _emit(self.name, level, msg, args, exc_info)

    def is_enabled_for(self, level: int) -> bool:
        return level >= _SETUP.threshold


def get(name: str) -> Logger:
    """The logger of module `name` (e.g. `xenha.drbd.proc`); costs nothing until a record passes the threshold."""
    return Logger(name)


def _emit(name: str, level: int, msg: str, args: tuple[object, ...], exc_info: bool) -> None:
    import logging

    if not _SETUP.ready:
        _SETUP.ready = True
        _build_handlers()
    logging.getLogger(name).log(level, msg, *args, exc_info=exc_info)


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return str(environ.get(name, "0")).strip().lower() not in ("0", "", "false", "no", "off")


def _tracing(environ: Mapping[str, str]) -> bool:
    """OCF_TRACE_RA, or `crm resource trace RSC OP`, which sets the op's meta attribute trace_ra (ocf-shellfuncs:
    `: ${OCF_TRACE_RA:=$OCF_RESKEY_trace_ra}`)."""
    return _flag(environ, "OCF_TRACE_RA") or ("OCF_TRACE_RA" not in environ and _flag(environ, "OCF_RESKEY_trace_ra"))


def configure(
    agent: str, instance: str, action: str, environ: Mapping[str, str], *, stderr: TextIO | None = None
) -> None:
    """Remember how this invocation logs; nothing is imported or opened until a record passes the threshold.

    The threshold is debug with HA_debug or OCF_TRACE_RA, else info (what ocf-shellfuncs' ha_log does).
    """
    _SETUP.agent, _SETUP.instance, _SETUP.action = agent, instance, action
    _SETUP.environ, _SETUP.stderr = environ, stderr
    _SETUP.threshold = DEBUG if _flag(environ, "HA_debug") or _tracing(environ) else INFO
    _SETUP.ready = False
    if "logging" in sys.modules:  # a second configure() in one process (tests): rebuild at the next record
        _reset_handlers()


def _reset_handlers() -> None:
    import logging

    root = logging.getLogger("xenha")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()


def setup_logging(agent_name: str, instance: str, environ: Mapping[str, str], *, stderr: TextIO | None = None) -> None:
    """For programs other than OCF agents (daemons, scripts): configure and build the handlers at once."""
    configure(agent_name, instance, "", environ, stderr=stderr)
    _SETUP.ready = True
    _build_handlers()


def _build_handlers() -> None:
    """The `xenha` logger's handlers: syslog (HA_LOGFACILITY), stderr (a terminal or XENHA_LOG_STDERR), trace."""
    import logging

    _reset_handlers()
    environ = _SETUP.environ
    root = logging.getLogger("xenha")
    debug = _flag(environ, "HA_debug")
    root.setLevel(_SETUP.threshold or DEBUG)
    root.propagate = False
    tag = f"{_SETUP.agent}({_SETUP.instance})[{os.getpid()}]" if _SETUP.instance else f"{_SETUP.agent}[{os.getpid()}]"

    # What ocf-shellfuncs' ha_log and ha_debug do, destination by destination: syslog unless HA_LOGFACILITY=none;
    # HA_LOGFILE gets "DATE TAG:    LEVEL: msg" (not debug); HA_DEBUGLOG gets "TAG:\tDATELEVEL: msg" (debug only
    # with HA_debug); with neither syslog nor HA_LOGFILE, stderr gets "DATELEVEL: msg". Pacemaker's executor sets
    # HA_LOGFACILITY, HA_LOGFILE and HA_DEBUGLOG from PCMK_logfacility and PCMK_logfile, heartbeat from ha.cf.
    datefmt = environ.get("HA_DATEFMT") or "%b %d %T "
    facility = environ.get("HA_LOGFACILITY", "daemon").strip().lower()
    if facility not in ("none", "") and os.path.exists(SYSLOG_SOCKET):
        handler = _syslog_handler(SYSLOG_SOCKET, _FACILITIES.get(facility, _FACILITIES["daemon"]), f"{tag}: ")
        if handler is not None:
            handler.setFormatter(_formatter("%(levelname)s: %(message)s"))
            handler.setLevel(DEBUG if debug else INFO)
            root.addHandler(handler)
    logfile = environ.get("HA_LOGFILE", "").strip()
    debuglog = environ.get("HA_DEBUGLOG", "").strip()
    if logfile:
        _add_file(root, logfile, INFO, f"%(asctime)s{tag}:    %(levelname)s: %(message)s", datefmt)
    if debuglog:
        # ha_log writes info and above there too unless it is HA_LOGFILE; ha_debug writes debug with HA_debug
        low = DEBUG if debug else INFO
        if debuglog == logfile:
            if debug:
                _add_file(root, debuglog, DEBUG, f"{tag}:\t%(asctime)s%(levelname)s: %(message)s", datefmt, only=DEBUG)
        else:
            _add_file(root, debuglog, low, f"{tag}:\t%(asctime)s%(levelname)s: %(message)s", datefmt)

    stream = _SETUP.stderr or sys.stderr
    if stream.isatty() or environ.get("XENHA_LOG_STDERR"):
        term = logging.StreamHandler(stream)
        term.setFormatter(_formatter(f"%(asctime)s {tag}: %(levelname)s: %(message)s", "%H:%M:%S"))
        root.addHandler(term)
    elif facility in ("none", "") and not logfile:
        term = logging.StreamHandler(stream)  # ocf-shellfuncs: `echo $(hadate)"$*" >&2`
        term.setFormatter(_formatter("%(asctime)s%(levelname)s: %(message)s", datefmt))
        term.setLevel(DEBUG if debug else INFO)
        root.addHandler(term)

    trace = _trace_handler()
    if trace is not None:
        root.addHandler(trace)
    if not root.handlers:
        # Without syslog, terminal or trace, say nothing: logging's last-resort handler would print warnings on
        # stderr, ahead of the one exit reason line that belongs there.
        root.addHandler(logging.NullHandler())


def _formatter(fmt: str, datefmt: str | None = None) -> logging.Formatter:
    """A logging.Formatter whose lines never hold an undecodable byte: a surrogate (what os.environ makes of a
    non-UTF-8 byte in a parameter) is written as `\\udc80`, so no handler raises on a strict UTF-8 stream."""
    import logging

    class SafeFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return super().format(record).encode("utf-8", "backslashreplace").decode()

    return SafeFormatter(fmt, datefmt)


def _add_file(root: logging.Logger, path: str, level: int, fmt: str, datefmt: str, *, only: int | None = None) -> None:
    """Append records at `level` and above (or exactly `only`) to `path`; a file we cannot open is skipped."""
    import logging

    try:
        handler = logging.StreamHandler(open_append(path))
    except OSError:
        return
    handler.setFormatter(_formatter(fmt, datefmt))
    handler.setLevel(level)
    if only is not None:
        handler.addFilter(lambda record: record.levelno == only)
    root.addHandler(handler)


_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def open_append(path: str, mode: int = 0o640) -> TextIO:
    """`path` opened for appending UTF-8 text, created `mode` if absent; raise OSError with a one-line strerror.

    Every log a root process appends to (HA_LOGFILE, HA_DEBUGLOG, trace files, fence_noop's log_file) opens this
    way: O_NOFOLLOW (a symlink planted in a log directory is not followed), O_NONBLOCK (a FIFO without a reader
    fails at once with ENXIO instead of hanging the operation until pacemaker kills it), and anything but a
    regular file refused after the open (a FIFO with a reader, a device, a socket: "not a regular file").
    """
    import errno
    import stat

    try:
        fd = os.open(path, _APPEND_FLAGS, mode)
    except OSError as exc:
        why = {errno.ENXIO: "not a regular file (a FIFO without a reader)", errno.ELOOP: "a symbolic link"}
        if exc.errno in why:
            raise OSError(exc.errno, why[exc.errno], path) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "a", encoding="utf-8", errors="replace")
    except BaseException:
        os.close(fd)
        raise


def _syslog_handler(address: str, facility: int, ident: str) -> logging.Handler | None:
    """RFC 3164 datagrams to /dev/log (`<PRI>TAG: message`); never raises when the socket is missing or full."""
    import logging
    import socket

    class SyslogHandler(logging.Handler):
        def __init__(self, sock: socket.socket) -> None:
            super().__init__()
            self.sock: socket.socket | None = sock

        def emit(self, record: logging.LogRecord) -> None:
            if self.sock is None:
                return
            priority = facility * 8 + _SEVERITY.get(record.levelno, 6)
            try:
                self.sock.send(f"<{priority}>{ident}{self.format(record)}".encode("utf-8", "replace"))
            except OSError:
                pass

        def close(self) -> None:
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            super().close()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        return None
    return SyslogHandler(sock)


def _trace_handler() -> logging.Handler | None:
    """OCF_TRACE_RA: debug lines to OCF_TRACE_FILE or $HA_VARLIB/trace_ra/<type>/<instance>.<action>.<date>."""
    import logging
    import socket
    import time

    environ = _SETUP.environ
    if not _tracing(environ):
        return None
    # ocf_start_trace: OCF_TRACE_FILE is a descriptor (3-9), an absolute path (/dev/stderr too: crm_resource sets
    # it), else the default file, which is skipped on a terminal (the trace goes to stderr then).
    path = environ.get("OCF_TRACE_FILE", "")
    stream: TextIO | None = None
    try:
        if path in ("/dev/stderr", "/dev/stdout"):
            stream = (_SETUP.stderr or sys.stderr) if path == "/dev/stderr" else sys.stdout
        elif len(path) == 1 and path in "3456789":
            stream = os.fdopen(os.dup(int(path)), "a", encoding="utf-8", errors="replace")
        elif path.startswith("/") and "/" in path[1:]:
            stream = open_append(path)
        elif (_SETUP.stderr or sys.stderr).isatty():
            stream = _SETUP.stderr or sys.stderr
        else:
            base = environ.get("OCF_RESKEY_trace_dir") or os.path.join(
                environ.get("HA_VARLIB", "/var/lib/heartbeat"), "trace_ra"
            )
            rtype = environ.get("OCF_RESOURCE_TYPE") or _SETUP.agent
            stamp = time.strftime("%Y-%m-%d.%H:%M:%S")
            path = os.path.join(base, rtype, f"{_SETUP.instance or _SETUP.agent}.{_SETUP.action}.{stamp}")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            stream = open_append(path)
    except OSError:
        return None
    handler = logging.StreamHandler(stream)
    host = socket.gethostname()
    fmt = f"%(asctime)s {host} {_SETUP.agent}[%(process)d] %(levelname)s: %(message)s"
    handler.setFormatter(_formatter(fmt))
    handler.setLevel(DEBUG)
    return handler
