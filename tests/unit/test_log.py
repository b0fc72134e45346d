# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""ocf.log: syslog datagrams with the HA tag and facility, HA_debug, silence without handlers, and laziness."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from xenha.ocf import Env, log

LIB = Path(__file__).resolve().parents[2] / "lib"


def env(**environ: str) -> Env:
    return Env.from_environ(
        {"OCF_RESOURCE_INSTANCE": "web1", **environ}, ["XenDomainHA", "monitor"], resource_type="XenDomainHA"
    )


def test_syslog_datagram_has_priority_and_tag(tmp_path, monkeypatch):
    path = str(tmp_path / "log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    monkeypatch.setattr(log, "SYSLOG_SOCKET", path)
    log.configure("XenDomainHA", "web1", "monitor", {"HA_LOGFACILITY": "local5"}, stderr=io.StringIO())
    log.get("xenha.test").warning("domU web1: paused")
    data = server.recv(4096).decode()
    assert data.startswith(f"<{21 * 8 + 4}>XenDomainHA(web1)[")  # local5, warning
    assert data.endswith("]: WARNING: domU web1: paused")
    log.get("xenha.test").debug("not sent without HA_debug")
    server.settimeout(0.2)
    try:
        server.recv(4096)
    except TimeoutError:
        pass
    else:
        raise AssertionError("a debug line was sent although HA_debug is off")


def test_programs_that_are_not_agents_tag_name_and_pid(tmp_path, monkeypatch):
    path = str(tmp_path / "log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    monkeypatch.setattr(log, "SYSLOG_SOCKET", path)
    log.setup_logging("xenha-bootguard", "", {}, stderr=io.StringIO())
    log.get("xenha.test").info("started")
    assert server.recv(4096).decode().startswith(f"<{3 * 8 + 6}>xenha-bootguard[")  # daemon, info


def setup_logging(agent: str, env: Env, *, stderr: io.StringIO) -> None:
    log.setup_logging(agent, env.instance, env.environ, stderr=stderr)


def test_without_syslog_or_logfile_records_go_to_stderr_as_ocf_shellfuncs_does():
    err = io.StringIO()
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="none", HA_DATEFMT="%Y "), stderr=err)
    logging.getLogger("xenha.test").error("domU web1: crashed")
    logging.getLogger("xenha.test").debug("not without HA_debug")
    assert err.getvalue() == f"{time.strftime('%Y')} ERROR: domU web1: crashed\n"


def test_ha_logfile_and_ha_debuglog(tmp_path):
    logfile, debuglog = tmp_path / "pacemaker.log", tmp_path / "debug.log"
    err = io.StringIO()
    environ = {"HA_LOGFACILITY": "none", "HA_LOGFILE": str(logfile), "HA_DEBUGLOG": str(debuglog), "HA_debug": "1"}
    log.configure("XenDomainHA", "web1", "monitor", environ, stderr=err)
    log.get("xenha.test").info("domU web1: started")
    log.get("xenha.test").debug("ran xl list web1: rc=0")
    logged = logfile.read_text()
    assert "XenDomainHA(web1)[" in logged and logged.endswith(":    INFO: domU web1: started\n")
    assert "ran xl list" not in logged  # debug lines only to HA_DEBUGLOG
    debug_lines = debuglog.read_text().splitlines()
    assert [line.split("\t", 1)[0].startswith("XenDomainHA(web1)[") for line in debug_lines] == [True, True]
    assert debug_lines[1].endswith("DEBUG: ran xl list web1: rc=0")
    assert err.getvalue() == ""  # HA_LOGFILE set: nothing on stderr, which keeps the exit reason alone there


def test_crm_resource_trace_writes_a_trace_file_where_ocf_shellfuncs_does(tmp_path):
    environ = {
        "HA_LOGFACILITY": "none",
        "HA_LOGFILE": str(tmp_path / "log"),
        "OCF_RESKEY_trace_ra": "1",  # what `crm resource trace web1 monitor` sets
        "HA_VARLIB": str(tmp_path / "varlib"),
        "OCF_RESOURCE_TYPE": "XenDomainHA",
    }
    log.configure("XenDomainHA", "web1", "monitor", environ, stderr=io.StringIO())
    log.get("xenha.test").debug("ran xl list web1")
    (trace,) = (tmp_path / "varlib" / "trace_ra" / "XenDomainHA").iterdir()
    assert trace.name.startswith("web1.monitor.")
    assert "ran xl list web1" in trace.read_text()
    environ["OCF_RESKEY_trace_dir"] = str(tmp_path / "traces")
    log.configure("XenDomainHA", "web1", "stop", environ, stderr=io.StringIO())
    log.get("xenha.test").debug("stopping")
    (trace,) = (tmp_path / "traces" / "XenDomainHA").iterdir()
    assert trace.name.startswith("web1.stop.")


def test_debug_level_follows_ha_debug():
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="none", HA_debug="1"), stderr=io.StringIO())
    assert logging.getLogger("xenha").level == logging.DEBUG
    assert log.get("xenha.test").is_enabled_for(log.DEBUG)
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="none"), stderr=io.StringIO())
    assert logging.getLogger("xenha").level == logging.INFO
    assert not log.get("xenha.test").is_enabled_for(log.DEBUG)


def _modules_after(code: str, environ: str) -> set[str]:
    script = (
        f"import sys; sys.path.insert(0, {str(LIB)!r}); from xenha.ocf import log; "
        f"log.configure('A', 'a', 'monitor', {environ}); {code}; print(' '.join(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-IS", "-c", script], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_a_debug_record_imports_nothing_an_info_record_sets_up_logging():
    quiet = _modules_after("log.get('xenha.x').debug('healthy %s', 1)", "{'HA_LOGFACILITY': 'none'}")
    assert "logging" not in quiet and "socket" not in quiet
    loud = _modules_after("log.get('xenha.x').info('degraded')", "{'HA_LOGFACILITY': 'none'}")
    assert "logging" in loud
    traced = _modules_after("log.get('xenha.x').debug('x')", "{'HA_LOGFACILITY': 'none', 'HA_debug': '1'}")
    assert "logging" in traced


# --- log files open FIFO-safely ----------------------------------------------------------------------------------


def _in_time(fn, seconds: float = 10.0):
    """Run fn in a thread; fail (instead of hanging the suite) when it blocks longer than `seconds`."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{fn} blocked for {seconds}s"
    return result[0] if result else None


def test_open_append_appends_to_a_regular_file_and_creates_it_0640(tmp_path):
    path = tmp_path / "x.log"
    for text in ("one\n", "two\n"):
        with log.open_append(str(path)) as handle:
            handle.write(text)
    assert path.read_text() == "one\ntwo\n"
    assert path.stat().st_mode & 0o777 == 0o640 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refusal(path: Path) -> str:
    def attempt() -> str:
        try:
            log.open_append(str(path)).close()
        except OSError as exc:
            return exc.strerror or ""
        return "opened"

    return _in_time(attempt)


def test_open_append_refuses_a_fifo_without_waiting(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert _refusal(fifo) == "not a regular file (a FIFO without a reader)"
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # with a reader the open succeeds: refused after it
    try:
        assert _refusal(fifo) == "not a regular file"
    finally:
        os.close(reader)


def test_open_append_refuses_a_symlink_and_a_device(tmp_path):
    target = tmp_path / "target"
    target.write_text("")
    (tmp_path / "link").symlink_to(target)
    assert _refusal(tmp_path / "link") == "a symbolic link"
    assert target.read_text() == ""
    assert _refusal(Path("/dev/null")) == "not a regular file"


def test_a_fifo_as_ha_logfile_or_trace_file_never_hangs_the_agent(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    environ = {"HA_LOGFACILITY": "none", "HA_LOGFILE": str(fifo), "OCF_TRACE_RA": "1", "OCF_TRACE_FILE": str(fifo)}
    err = io.StringIO()
    log.configure("XenDomainHA", "web1", "monitor", environ, stderr=err)
    _in_time(lambda: log.get("xenha.test").info("domU web1: started"))


def test_trace_to_stderr_as_crm_resource_sets_it():
    # crm_resource -VV sets OCF_TRACE_RA=1 and OCF_TRACE_FILE=/dev/stderr (a symlink: not opened, the stream is used)
    err = io.StringIO()
    environ = {"HA_LOGFACILITY": "none", "HA_LOGFILE": "", "OCF_TRACE_RA": "1", "OCF_TRACE_FILE": "/dev/stderr"}
    log.configure("XenDomainHA", "web1", "monitor", environ, stderr=err)
    log.get("xenha.test").debug("ran xl list web1")
    assert "XenDomainHA[" in err.getvalue() and "DEBUG: ran xl list web1" in err.getvalue()
