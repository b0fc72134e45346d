"""Logging the HA way: syslog tagged `Agent(instance)[pid]`, HA_LOGFACILITY, HA_debug, OCF_TRACE_RA."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from xenha.ocf import Env

__all__ = ["setup_logging"]

# syslog(3) facility codes; logging.handlers is not imported for them: it drags in pickle and queue, and every
# monitor pays for each import.
_FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7, "uucp": 8,
    "cron": 9, "authpriv": 10, "ftp": 11, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
    "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
_SEVERITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class _SyslogHandler(logging.Handler):
    """RFC 3164 datagrams to /dev/log (`<PRI>TAG: message`); never raises when the socket is missing or full."""

    def __init__(self, address: str, facility: int, ident: str) -> None:
        super().__init__()
        self.address = address
        self.facility = facility
        self.ident = ident
        self.sock: socket.socket | None = None

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.connect(self.address)
        except OSError:
            sock.close()
            raise
        self.sock = sock

    def emit(self, record: logging.LogRecord) -> None:
        if self.sock is None:
            return
        priority = self.facility * 8 + _SEVERITY.get(record.levelno, 6)
        try:
            self.sock.send(f"<{priority}>{self.ident}{self.format(record)}".encode("utf-8", "replace"))
        except OSError:
            pass

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        super().close()


def setup_logging(agent_name: str, env: Env, *, stderr: TextIO | None = None) -> None:
    """Configure the `xenha` logger for one invocation; safe to call more than once."""
    environ = env.environ
    root = logging.getLogger("xenha")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    debug = environ.get("HA_debug", "0") not in ("0", "", "false", "no", "off")
    root.setLevel(logging.DEBUG if debug or _tracing(environ) else logging.INFO)
    root.propagate = False
    tag = f"{agent_name}({env.instance})[{os.getpid()}]"

    facility = environ.get("HA_LOGFACILITY", "daemon").strip().lower() or "daemon"
    if facility not in ("none", "") and os.path.exists("/dev/log"):
        handler = _SyslogHandler("/dev/log", _FACILITIES.get(facility, _FACILITIES["daemon"]), f"{tag}: ")
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.setLevel(logging.DEBUG if debug else logging.INFO)
        try:
            handler.connect()
        except OSError:
            pass
        else:
            root.addHandler(handler)

    stream = stderr or sys.stderr
    if stream.isatty() or environ.get("XENHA_LOG_STDERR"):
        term = logging.StreamHandler(stream)
        term.setFormatter(logging.Formatter(f"%(asctime)s {tag}: %(levelname)s: %(message)s", "%H:%M:%S"))
        root.addHandler(term)

    trace = _trace_file(agent_name, env)
    if trace is not None:
        root.addHandler(trace)
    if not root.handlers:
        # Without syslog, terminal or trace, say nothing: logging's last-resort handler would print warnings on
        # stderr, ahead of the one exit reason line that belongs there.
        root.addHandler(logging.NullHandler())


def _tracing(environ: Mapping[str, str]) -> bool:
    return str(environ.get("OCF_TRACE_RA", "0")) not in ("0", "", "false", "no")


def _trace_file(agent_name: str, env: Env) -> logging.Handler | None:
    """OCF_TRACE_RA: debug lines to OCF_TRACE_FILE or $HA_VARLIB/trace_ra/<type>/<instance>.<action>.<date>."""
    environ = env.environ
    if not _tracing(environ):
        return None
    path = environ.get("OCF_TRACE_FILE")
    if not path or path in ("1", "yes"):
        directory = os.path.join(environ.get("HA_VARLIB", "/var/lib/heartbeat"), "trace_ra", agent_name)
        stamp = time.strftime("%Y-%m-%d.%H:%M:%S")
        path = os.path.join(directory, f"{env.instance}.{env.action}.{stamp}")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handler = logging.FileHandler(path)
    except OSError:
        return None
    host = socket.gethostname()
    handler.setFormatter(logging.Formatter(f"%(asctime)s {host} {agent_name}[%(process)d] %(levelname)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    return handler
