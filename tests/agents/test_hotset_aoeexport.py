# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What AoEExport's monitor and probe load, run as pacemaker-execd runs them: the launcher in python3 -IS.

A stand-in vblade (a script called vblade, as the lab's is) holds the exported file open and, as root, an AoE packet
socket on lo (bound, never sending), so that the depth-10 monitor sees a healthy export without a network namespace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hotset import REPO, heavy, modules_of

LAUNCHER = REPO / "ocf" / "AoEExport"

_VBLADE = """\
import os, socket, sys, time
disk = open(sys.argv[-1], "rb")
if os.geteuid() == 0:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88A2))
    sock.bind((sys.argv[-2], 0x88A2))
print("ready", flush=True)
time.sleep(3600)
"""


def _quiet(loaded: set[str]) -> set[str]:
    """The forbidden modules, and what the monitor reads by hand instead: re, json, getopt (gettext), signal."""
    return heavy(loaded) | (loaded & {"re", "json", "getopt", "gettext", "signal", "struct", "select"})


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(4096))
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "XENHA_RUN_DIR": str(tmp_path / "run"),
        "OCF_RESOURCE_INSTANCE": "aoe1",
        "OCF_RESKEY_device": str(disk),
        "OCF_RESKEY_shelf": "1",
        "OCF_RESKEY_slot": "0",
        "OCF_RESKEY_nic": "lo",
        "OCF_RESKEY_CRM_meta_interval": "10000",
        "OCF_RESKEY_CRM_meta_timeout": "20000",
    }


@pytest.fixture
def running(environ: dict[str, str], tmp_path: Path) -> Iterator[int]:
    """A stand-in vblade serving e1.0 on lo, and the pid file start would have written for it."""
    script = tmp_path / "bin" / "vblade"
    script.parent.mkdir()
    script.write_text(_VBLADE)
    argv = [str(script), "--", "1", "0", "lo", environ["OCF_RESKEY_device"]]
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        state = tmp_path / "run" / "AoEExport"
        state.mkdir(parents=True, mode=0o700)
        (state / "vblade-aoe1.pid").write_text(f"{proc.pid}\n{json.dumps(argv)}\n")
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("interval", ["10000", "0"], ids=["monitor", "probe"])
def test_monitor_of_a_running_export_loads_no_heavy_module(environ, running, interval):
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], {**environ, "OCF_RESKEY_CRM_meta_interval": interval})
    assert code == 0, stderr
    assert _quiet(loaded) == set()
    assert stderr == ""


@pytest.mark.parametrize("interval", ["10000", "0"], ids=["monitor", "probe"])
def test_monitor_of_an_absent_export_loads_no_heavy_module(environ, interval):
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], {**environ, "OCF_RESKEY_CRM_meta_interval": interval})
    assert code == 7, stderr
    assert _quiet(loaded) == set()
    assert stderr == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="an AoE packet socket needs root")
def test_deep_monitor_reads_proc_and_loads_no_heavy_module(environ, running):
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], {**environ, "OCF_CHECK_LEVEL": "10"})
    assert code == 0, stderr
    assert _quiet(loaded) == set()


def test_a_failing_deep_monitor_loads_logging_only_then(environ, running, tmp_path):
    """The control: a failure worth reporting (the exported file is gone) loads logging, so the tests can fail."""
    os.unlink(environ["OCF_RESKEY_device"])
    code, loaded, stderr = modules_of(LAUNCHER, ["monitor"], {**environ, "OCF_CHECK_LEVEL": "10"})
    assert code == 1 and "is deleted in vblade pid" in stderr
    assert "logging" in loaded
