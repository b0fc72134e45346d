"""Logging the HA way: syslog tagged `Agent(instance)[pid]`, HA_LOGFACILITY, HA_debug, OCF_TRACE_RA."""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from xenha.ocf import Env

__all__ = ["setup_logging"]

_FACILITIES = logging.handlers.SysLogHandler.facility_names


class _SyslogHandler(logging.handlers.SysLogHandler):
    """A syslog handler that never raises when /dev/log is missing (as under ocf-tester in a container)."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 -- logging's API name
        pass


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
        handler = _SyslogHandler(address="/dev/log", facility=_FACILITIES.get(facility, _FACILITIES["daemon"]))
        handler.ident = f"{tag}: "
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.setLevel(logging.DEBUG if debug else logging.INFO)
        try:
            handler.createSocket()
        except OSError:
            pass
        root.addHandler(handler)

    stream = stderr or sys.stderr
    if stream.isatty() or environ.get("XENHA_LOG_STDERR"):
        term = logging.StreamHandler(stream)
        term.setFormatter(logging.Formatter(f"%(asctime)s {tag}: %(levelname)s: %(message)s", "%H:%M:%S"))
        root.addHandler(term)

    trace = _trace_file(agent_name, env)
    if trace is not None:
        root.addHandler(trace)


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
