# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What fence_noop's monitor and status load, run as pacemaker-fenced runs them (options on stdin), python3 -IS."""

from __future__ import annotations

import pytest

from tests.hotset import REPO, heavy, modules_of

LAUNCHER = REPO / "packaging" / "scripts" / "fence_noop"


@pytest.fixture
def environ(tmp_path):
    # pacemaker-fenced's environment carries no PYTHONPATH; HA_LOGFACILITY is left to its default (syslog).
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "XENHA_RUN_DIR": str(tmp_path / "run")}


def _quiet(loaded: set[str]) -> set[str]:
    """The forbidden modules, plus re and json: neither monitor nor status parses anything that needs them."""
    return heavy(loaded) | (loaded & {"re", "json", "getopt", "gettext"})


def test_monitor_loads_no_heavy_module(environ):
    code, loaded, stderr = modules_of(LAUNCHER, [], environ, stdin="action=monitor\nnodename=ha1\n")
    assert code == 0, stderr
    assert _quiet(loaded) == set()
    assert stderr == ""


@pytest.mark.parametrize(("state", "code", "line"), [(None, 0, "on"), ("off", 2, "off")])
def test_status_loads_no_heavy_module(environ, tmp_path, state, code, line):
    """A plug never fenced (no state file) and one recorded off (the state file is read)."""
    if state is not None:
        (tmp_path / "run" / "fence_noop").mkdir(parents=True)
        (tmp_path / "run" / "fence_noop" / "power-state").write_text(f"ha2\t{state}\n")
    stdin = "action=status\nport=ha2\nnodename=ha2\nhosts=ha1,ha2\n"
    got, loaded, stderr = modules_of(LAUNCHER, [], environ, stdin=stdin)
    assert got == code, stderr
    assert _quiet(loaded) == set()
    assert stderr == ""


def test_a_warning_loads_logging_only_then(environ):
    """The control: a record worth emitting (an unknown key) does load logging, so the test above can fail."""
    code, loaded, _stderr = modules_of(LAUNCHER, [], environ, stdin="action=monitor\nbogus=1\n")
    assert code == 0
    assert "logging" in loaded
