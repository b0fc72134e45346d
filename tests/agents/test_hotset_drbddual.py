# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What DrbdDualPrimary's monitor and probe load and run, as pacemaker-execd runs them: the launcher in python3 -IS.

/proc/drbd is a fixture file (XENHA_PROC_DRBD) and the state directory holds what an earlier action left (minors,
connection mark, last promotion score). drbdadm, drbdsetup and crm_attribute are stand-ins on PATH that append
their argv to a log, so each case also asserts which processes the operation started: none for a DRBD 8.4 monitor
whose score is unchanged, exactly one `drbdsetup status --json` for DRBD 9. Timing is bench/drbddual.py's job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import FIXTURES
from tests.hotset import REPO, heavy, modules_of

LAUNCHER = REPO / "ocf" / "DrbdDualPrimary"
PROC_84 = FIXTURES / "reconstructed" / "proc_drbd"
STATUS_JSON = FIXTURES / "reconstructed" / "drbd9" / "status_json_primary_secondary.json"
DRBD9 = (
    "version: 9.2.8 (api:2/proto:86-122)\n"
    "GIT-hash: 4a1ffc3a7ab8fa3e1b0e6b4a8c7f5fa33d4da2f0 build by root@ha1, 2024-03-01 10:00:00\n"
    "Transports (api:21): tcp (9.2.8)\n"
)
# A stand-in that records its argv; drbdsetup answers `status --json` from a fixture, or "No such resource".
_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
if [ "$(basename "$0")" = drbdsetup ] && [ "$1" = status ]; then
    if [ -f "{json}" ]; then exec cat "{json}"; fi
    echo "$3: No such resource" >&2
    exit 10
fi
if [ "$(basename "$0")" = drbdadm ] && [ "$1" = sh-dev ]; then echo /dev/drbd0; fi
exit 0
"""


# What a log record at info or above loads: logging (which imports re, and re enum) and syslog's socket.
LOGGING = frozenset({"logging", "socket", "enum"})


class Node:
    """One node's /proc/drbd, state directory and stand-in tools; `monitor()` runs the launcher."""

    def __init__(self, tmp_path: Path) -> None:
        self.proc = tmp_path / "proc_drbd"
        self.state = tmp_path / "run" / "DrbdDualPrimary"
        self.state.mkdir(parents=True, mode=0o700)
        self.log = tmp_path / "calls.log"
        self.log.write_text("")
        self.json = tmp_path / "status.json"
        bindir = tmp_path / "bin"
        bindir.mkdir()
        for name in ("drbdadm", "drbdsetup", "crm_attribute"):
            (bindir / name).write_text(_TOOL.format(log=self.log, json=self.json))
            (bindir / name).chmod(0o755)
        self.environ = {
            "PATH": f"{bindir}:/usr/bin:/bin",
            "XENHA_PROC_DRBD": str(self.proc),
            "XENHA_RUN_DIR": str(tmp_path / "run"),
            "HA_LOGFACILITY": "none",
            "OCF_RESOURCE_INSTANCE": "drbd_r0:0",
            "OCF_RESKEY_drbd_resource": "r0",
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "OCF_RESKEY_CRM_meta_clone_max": "2",
            "OCF_RESKEY_CRM_meta_clone_node_max": "1",
            "OCF_RESKEY_CRM_meta_notify": "true",
        }

    def running_84(self, fixture: str, score: str) -> None:
        """A DRBD 8.4 resource started earlier: its minor, its connection and its last score are remembered."""
        self.proc.write_text((PROC_84 / fixture).read_text())
        self.remember("minors.r0", "0")
        self.remember("connected.r0", "1")
        self.remember("score.drbd_r0", score)

    def remember(self, name: str, value: str) -> None:
        (self.state / name).write_text(value)

    def monitor(self, *, probe: bool = False) -> tuple[int, set[str], str]:
        environ = {**self.environ, "OCF_RESKEY_CRM_meta_interval": "0" if probe else "29000"}
        return modules_of(LAUNCHER, ["monitor"], environ)

    @property
    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(tmp_path)


@pytest.mark.parametrize(
    ("fixture", "code"),
    [("84_connected_primary_secondary.txt", 8), ("84_connected_secondary_secondary.txt", 0)],
    ids=["primary", "secondary"],
)
def test_drbd84_monitor_with_the_score_unchanged_runs_nothing_and_loads_no_heavy_module(node, fixture, code):
    node.running_84(fixture, "10000")
    rc, loaded, stderr = node.monitor()
    assert (rc, stderr) == (code, "")
    assert heavy(loaded) == set()
    assert loaded.isdisjoint({"re", "json", "_json", "xenha.drbd.adm", "xenha.drbd.cmd", "xenha.drbd.marks"})
    assert node.calls == []


def test_drbd84_probe_of_a_running_resource_rewrites_the_score_and_loads_no_heavy_module(node):
    node.running_84("84_connected_primary_secondary.txt", "10000")
    rc, loaded, stderr = node.monitor(probe=True)
    assert (rc, stderr) == (8, "")
    assert heavy(loaded) == set()
    assert loaded.isdisjoint({"re", "json", "_json"})
    assert node.calls == ["crm_attribute --promotion --lifetime reboot --update 10000"]


@pytest.mark.parametrize("probe", [False, True], ids=["monitor", "probe"])
def test_drbd84_stopped_resource_is_7_and_loads_no_heavy_module(node, probe):
    header = (PROC_84 / "84_connected_secondary_secondary.txt").read_text().splitlines(keepends=True)[:2]
    node.proc.write_text("".join(header) + " 0: cs:Unconfigured\n")
    node.remember("score.drbd_r0", "")
    rc, loaded, stderr = node.monitor(probe=probe)
    assert (rc, stderr) == (7, "")
    assert heavy(loaded) == set()
    assert loaded.isdisjoint({"re", "json", "_json"})
    assert node.calls == []


@pytest.mark.parametrize("probe", [False, True], ids=["monitor", "probe"])
def test_without_the_drbd_module_the_resource_is_7_and_nothing_heavy_loads(node, probe):
    node.remember("score.drbd_r0", "")
    rc, loaded, stderr = node.monitor(probe=probe)  # no /proc/drbd at all
    assert (rc, stderr) == (7, "")
    assert heavy(loaded) == set()
    assert loaded.isdisjoint({"re", "json", "_json"})
    assert node.calls == []


def test_drbd84_monitor_of_a_resync_reads_the_progress_lines_with_re_and_says_why_it_is_degraded(node):
    node.running_84("84_syncsource_progress_K.txt", "10000")
    rc, loaded, stderr = node.monitor()
    assert rc == 191
    assert "drbd r0: degraded: SyncSource, disks UpToDate/Inconsistent" in stderr
    # the progress lines are the rare ones read with regexes (re imports enum); degraded is logged at info
    assert heavy(loaded, allow=LOGGING) == set()
    assert {"re", "xenha.drbd.progress"} <= loaded
    assert node.calls == []


def test_drbd9_monitor_runs_one_drbdsetup_status_json_and_loads_no_heavy_module(node):
    node.proc.write_text(DRBD9)
    node.json.write_text(STATUS_JSON.read_text())
    node.remember("connected.r0", "1")
    node.remember("score.drbd_r0", "10000")
    rc, loaded, stderr = node.monitor()
    assert (rc, stderr) == (8, "")
    assert heavy(loaded) == set()
    assert loaded.isdisjoint({"re", "json"})  # json's C scanner is read directly: json.decoder imports re and enum
    assert node.calls == ["drbdsetup status --json r0"]


@pytest.mark.parametrize("probe", [False, True], ids=["monitor", "probe"])
def test_drbd9_resource_that_is_down_is_7_after_one_drbdsetup(node, probe):
    node.proc.write_text(DRBD9)
    node.remember("score.drbd_r0", "")
    rc, loaded, stderr = node.monitor(probe=probe)
    # drbdsetup's "No such resource" is an answer: xenha.run logs it at debug, and nothing loads logging
    assert rc == 7
    assert "ocf-exit-reason" not in stderr
    assert heavy(loaded) == set()
    assert loaded.isdisjoint({"json", "_json"})
    assert node.calls == ["drbdsetup status --json r0"]


def test_drbd84_monitor_reads_through_the_bounded_reader_without_threading(node):
    """/proc/drbd and the state files go through xenha.files, which needs no thread for kernel files (#13)."""
    node.running_84("84_connected_primary_secondary.txt", "10000")
    rc, loaded, stderr = node.monitor()
    assert (rc, stderr) == (8, "")
    assert "xenha.files" in loaded
    assert "threading" not in loaded


def test_drbd84_monitor_in_a_foreign_owned_state_dir_answers_from_drbd_and_says_why_once(node):
    import os

    node.running_84("84_connected_primary_secondary.txt", "10000")
    node.remember("split-brain.r0", "0\n")  # planted: would make it 191 "split-brain"
    os.chown(node.state, 65534, 65534)
    environ = {**node.environ, "OCF_RESKEY_CRM_meta_interval": "29000", "XENHA_LOG_STDERR": "1"}
    rc, loaded, stderr = modules_of(LAUNCHER, ["monitor"], environ)
    assert rc == 8, stderr
    assert stderr.count("its files are ignored") == 1 and "owned by uid 65534, not root" in stderr
    assert stderr.count("WARNING") == 1, stderr  # one line says why; the writes it skips add none
    assert heavy(loaded, allow=LOGGING) == set()
    assert node.calls == ["drbdadm sh-dev r0", "crm_attribute --promotion --lifetime reboot --update 10000"]
