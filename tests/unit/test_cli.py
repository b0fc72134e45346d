# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha inspect`: every fixture of each kind through the CLI, JSON shape, and one-line errors."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.fixtures import FIXTURES, fixture_params
from xenha.tools.inspect import main

REPO = Path(__file__).resolve().parents[2]
DRBD_KEYS = {
    "resource",
    "minor",
    "volume",
    "role",
    "peer_role",
    "cstate",
    "disk",
    "peer_disk",
    "sync_percent",
    "split_brain",
}
XEN_KEYS = {"name", "domid", "memory_mib", "vcpus", "flags", "state"}
XEN_STATES = {"running", "blocked", "paused", "shutdown", "crashed", "dying", "migrating"}


def inspect(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["inspect", *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_proc_drbd_json_shape():
    code, out, err = inspect("drbd", "--proc", str(FIXTURES / "proc_drbd/84_ganeti_mixed_states.txt"), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(set(r) == DRBD_KEYS for r in rows)
    assert {r["role"] for r in rows} <= {"Primary", "Secondary", "Unknown"}
    assert any(r["cstate"] == "Connected" for r in rows)


def test_live_source_shows_the_split_brain_marks(tmp_path, monkeypatch):
    proc = tmp_path / "proc_drbd"
    proc.write_text((FIXTURES / "reconstructed/proc_drbd/84_connected_primary_secondary.txt").read_text())
    run = tmp_path / "run"
    (run / "DrbdDualPrimary").mkdir(parents=True)
    monkeypatch.setenv("XENHA_PROC_DRBD", str(proc))
    monkeypatch.setenv("XENHA_RUN_DIR", str(run))
    code, out, _ = inspect("drbd", "--json")
    assert code == 0 and {r["split_brain"] for r in json.loads(out)} == {False}
    (run / "DrbdDualPrimary" / "split-brain.r0").write_text("0\n")
    code, out, _ = inspect("drbd", "--json")
    assert code == 0 and {r["minor"]: r["split_brain"] for r in json.loads(out)}[0] is True
    code, out, _ = inspect("drbd")
    assert code == 0 and "SPLIT_BRAIN" in out.splitlines()[0] and "YES" in out


def test_a_capture_says_nothing_of_split_brain_marks():
    code, out, _ = inspect("drbd", "--proc", str(FIXTURES / "proc_drbd/84_ganeti_mixed_states.txt"), "--json")
    assert code == 0 and {r["split_brain"] for r in json.loads(out)} == {None}


def test_syncing_volume_reports_percent():
    code, out, _ = inspect(
        "drbd", "--proc", str(FIXTURES / "reconstructed/proc_drbd/84_syncsource_progress_K.txt"), "--json"
    )
    assert code == 0
    assert any(isinstance(r["sync_percent"], float) for r in json.loads(out))


@pytest.mark.parametrize(
    "path", fixture_params("reconstructed/drbd9/status_json_*.json", "drbd9/shaptools_drbdsetup_status_json_*.json")
)
def test_status_json_files(path):
    code, out, err = inspect("drbd", "--status-json", str(path), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(set(r) == DRBD_KEYS and r["resource"] for r in rows)


def test_events2_now():
    code, out, err = inspect(
        "drbd", "--events2", str(FIXTURES / "drbd9/utils922_test_events2_syncsource_done.txt"), "--json"
    )
    assert code == 0, err
    assert all(set(r) == DRBD_KEYS for r in json.loads(out))


@pytest.mark.parametrize(
    ("flag", "path"),
    [
        ("--xm-list", "xm/list_xen4.0.1_four_instances.txt"),
        ("--xl-list", "xl/list_xen4.4_crashed_dying.txt"),
        ("--xl-list", "reconstructed/xl/list_verbose.txt"),
        ("--xm-sxp", "xm/list_long_xen4.0.1_dom0_and_domU.sxp"),
    ],
)
def test_xen_json_shape(flag, path):
    code, out, err = inspect("xen", flag, str(FIXTURES / path), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(set(r) == XEN_KEYS and r["state"] in XEN_STATES for r in rows)


def test_crashed_guests_and_null_names():
    _, out, _ = inspect("xen", "--xl-list", str(FIXTURES / "xl/list_xen4.4_crashed_dying.txt"), "--json")
    rows = json.loads(out)
    assert [r["state"] for r in rows] == ["running", "blocked", "crashed", "crashed"]
    assert rows[2]["name"] is None  # xl printed "(null)" for a domain being torn down


def test_table_output_has_header_and_rows():
    code, out, _ = inspect("xen", "--xm-list", str(FIXTURES / "xm/list_xen4.0.1_four_instances.txt"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NAME", "DOMID"]
    rows = [line for line in (FIXTURES / "xm/list_xen4.0.1_four_instances.txt").read_text().splitlines()[1:] if line]
    assert len(lines) == 1 + len(rows)


@pytest.mark.parametrize(
    "argv",
    [
        ["drbd", "--proc", "/nonexistent/proc_drbd"],
        ["xen", "--xl-list", str(FIXTURES / "proc_drbd/84_ganeti_mixed_states.txt")],
        ["drbd", "--status-json", str(FIXTURES / "xm/list_xen4.0.1_four_instances.txt")],
    ],
)
def test_bad_input_is_one_line_exit_1(argv):
    code, out, err = inspect(*argv)
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [
            "/usr/bin/python3",
            str(REPO / "packaging/scripts/xenha"),
            "inspect",
            "xen",
            "--xm-list",
            str(FIXTURES / "xm/list_xen4.0.1_dom0_only.txt"),
            "--json",
        ],
        env={"PYTHONPATH": str(REPO / "lib")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["name"] == "Domain-0"


def _script(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/usr/bin/python3", str(REPO / "packaging/scripts/xenha"), *argv],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_version():
    from xenha import __version__

    proc = _script("--version")
    assert (proc.returncode, proc.stdout) == (0, f"xenha {__version__}\n"), proc.stderr


def test_convert_takes_exactly_the_documented_options():
    proc = _script("convert", "--help")
    assert proc.returncode == 0, proc.stderr
    options = set(re.findall(r"(--[a-z][a-z-]+)", proc.stdout))
    assert options == {"--help", "--ha-dir", "--defaults-dir", "--drbd-conf", "--format", "--check"}
    assert "{crm,pcs}" in proc.stdout


def test_convert_of_a_node_without_heartbeat_is_one_line(tmp_path):
    proc = _script("convert", "--ha-dir", str(tmp_path / "ha.d"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"xenha convert: {tmp_path}/ha.d/haresources: No such file or directory\n"


def test_inspect_does_not_load_convert():
    """`xenha inspect` is as it was: the converter (and the hb1 and domU config readers) load only for convert."""
    code = (
        f"import sys; sys.path.insert(0, {str(REPO / 'lib')!r}); from xenha.tools.inspect import main; "
        f"main(['inspect', 'xen', '--xm-list', {str(FIXTURES / 'xm/list_xen4.0.1_dom0_only.txt')!r}]); "
        "print(sorted(m for m in sys.modules if m.startswith(('xenha.tools.convert', 'xenha.hb1', 'xenha.drbd.conf'))))"
    )
    proc = subprocess.run(["/usr/bin/python3", "-I", "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "[]"
