"""log.setup_logging: syslog datagrams with the HA tag and facility, HA_debug, silence without handlers."""

from __future__ import annotations

import io
import logging
import socket

from xenha.log import setup_logging
from xenha.ocf import Env


def env(**environ: str) -> Env:
    return Env.from_environ(
        {"OCF_RESOURCE_INSTANCE": "web1", **environ}, ["XenDomainHA", "monitor"], resource_type="XenDomainHA"
    )


def test_syslog_datagram_has_priority_and_tag(tmp_path, monkeypatch):
    path = str(tmp_path / "log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    from xenha import log

    monkeypatch.setattr(log.os.path, "exists", lambda p: p == "/dev/log")
    monkeypatch.setattr(log._SyslogHandler, "connect", lambda self: _connect(self, path))
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="local5"), stderr=io.StringIO())
    logging.getLogger("xenha.test").warning("domU web1: paused")
    data = server.recv(4096).decode()
    assert data.startswith(f"<{21 * 8 + 4}>XenDomainHA(web1)[")  # local5, warning
    assert data.endswith("]: WARNING: domU web1: paused")
    logging.getLogger("xenha.test").debug("not sent without HA_debug")
    server.settimeout(0.2)
    try:
        server.recv(4096)
    except TimeoutError:
        pass
    else:
        raise AssertionError("a debug line was sent although HA_debug is off")


def _connect(handler, path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.connect(path)
    handler.sock = sock


def test_no_handler_means_silence(capsys):
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="none"), stderr=io.StringIO())
    logging.getLogger("xenha.test").error("nobody hears this")
    assert capsys.readouterr().err == ""


def test_debug_level_follows_ha_debug():
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="none", HA_debug="1"), stderr=io.StringIO())
    assert logging.getLogger("xenha").level == logging.DEBUG
    setup_logging("XenDomainHA", env(HA_LOGFACILITY="none"), stderr=io.StringIO())
    assert logging.getLogger("xenha").level == logging.INFO
