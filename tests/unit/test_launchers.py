# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The launchers: `#!/usr/bin/python3 -IS`, a few lines, and no code planted on PYTHONPATH or in the cwd runs.

Pacemaker's executor runs agents as root in its own environment and working directory. Without -I, a PYTHONPATH
there (or a module in the current directory, for `python3 -m`/`-c` callers) shadowed the standard library: a fake
logging.py ran and the agent still exited 0.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DIRS = ("ocf", "packaging/scripts", "heartbeat-v1", "packaging/lab-cli", "packaging/lab-scripts")
LAUNCHERS = sorted(p for d in DIRS for p in (REPO / d).iterdir() if not p.is_symlink())
IDS = [str(p.relative_to(REPO)) for p in LAUNCHERS]

# What each launcher is run with: something that imports its whole program (meta-data, --help, an error path).
ARGV: dict[str, tuple[list[str], str]] = {
    "ocf/AoEExport": (["meta-data"], ""),
    "ocf/DrbdDualPrimary": (["meta-data"], ""),
    "ocf/O2cbCluster": (["meta-data"], ""),
    "ocf/XenDomainHA": (["meta-data"], ""),
    "packaging/scripts/fence_noop": ([], "action=monitor\n"),
    "packaging/scripts/xenha": (["--help"], ""),
    "packaging/scripts/xenha-bootguard": (["--help"], ""),
    "packaging/scripts/xenha-migrate": (["--help"], ""),
    "heartbeat-v1/xendomainsHA": (["status"], ""),
    "packaging/lab-cli/xenha-lab": (["--help"], ""),
    "packaging/lab-cli/xenha-sim": (["--help"], ""),
    "packaging/lab-scripts/drbdadm": (["role", "r0"], ""),
    "packaging/lab-scripts/drbdsetup": (["status"], ""),
    "packaging/lab-scripts/o2cb": (["--help"], ""),
    "packaging/lab-scripts/xl": (["list"], ""),
    "packaging/lab-scripts/xm": (["list"], ""),
}
# Modules a launcher's program imports (or Python would look for at start-up), planted where -IS must not look.
PLANTED = (
    "os", "logging", "re", "json", "argparse", "getopt", "subprocess", "signal", "socket", "tempfile", "lxml",
    "xenha", "xenha_sim", "sitecustomize", "usercustomize",
)  # fmt: skip


def _plant(directory: Path, marks: Path) -> None:
    directory.mkdir()
    for name in PLANTED:
        code = f"open({str(marks)!r}, 'a').write({name!r} + ' from {directory.name}\\n')\n"
        if name in ("lxml", "xenha", "xenha_sim"):
            (directory / name).mkdir()
            (directory / name / "__init__.py").write_text(code)
        else:
            (directory / f"{name}.py").write_text(code)


@pytest.fixture
def planted(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """(environment with PYTHONPATH to planted modules, a cwd holding more of them, the file they write to)."""
    marks = tmp_path / "imported"
    _plant(tmp_path / "pythonpath", marks)
    _plant(tmp_path / "cwd", marks)
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHONPATH": str(tmp_path / "pythonpath"),
        "HA_LOGFACILITY": "none",
        "XENHA_RUN_DIR": str(tmp_path / "run"),
        "XENHA_SIM_WORLD": str(tmp_path / "no-world"),
        "XENHA_LOG_STDERR": "1",
    }
    return env, tmp_path / "cwd", marks


def test_the_planted_modules_are_found_without_isolation(planted):
    """The control: a plain interpreter in the same environment and directory does import them."""
    env, cwd, marks = planted
    subprocess.run(["/usr/bin/python3", "-c", "import logging"], env=env, cwd=cwd, capture_output=True, check=False)
    subprocess.run(["/usr/bin/python3", "-m", "json"], env=env, cwd=cwd, capture_output=True, check=False)
    found = marks.read_text()
    assert "sitecustomize from pythonpath" in found and "logging from cwd" in found and "json from cwd" in found


def test_every_launcher_is_listed():
    assert sorted(str(p.relative_to(REPO)) for p in LAUNCHERS) == sorted(ARGV)


@pytest.mark.parametrize("launcher", LAUNCHERS, ids=IDS)
def test_launcher_is_isolated_and_short(launcher):
    lines = launcher.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/python3 -IS"  # one word: the kernel passes "-I -S" as a single argument
    assert len([line for line in lines if not line.startswith("#")]) <= 7  # code; the shebang and notices aside
    assert sum("# xenha-lib" in line for line in lines) == 1  # the line packaging/install.py rewrites
    assert launcher.stat().st_mode & 0o111


@pytest.mark.parametrize("launcher", LAUNCHERS, ids=IDS)
def test_no_planted_module_is_imported(launcher, planted):
    env, cwd, marks = planted
    argv, stdin = ARGV[str(launcher.relative_to(REPO))]
    done = subprocess.run(
        [str(launcher), *argv], input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert not marks.exists(), f"{launcher.name} imported planted code: {marks.read_text()}"
    assert "Traceback" not in done.stderr, done.stderr
    if launcher.parent.name == "ocf":
        assert done.returncode == 0 and f'<resource-agent name="{launcher.name}"' in done.stdout, done.stderr


def test_a_launcher_reached_through_a_symlink_finds_the_checkout(tmp_path):
    """The simulator's tests and benches link the launchers into a bin directory: ../lib is found through the link."""
    for launcher, argv in (
        (REPO / "ocf" / "DrbdDualPrimary", ["meta-data"]),
        (REPO / "heartbeat-v1/xendomainsHA1", []),
    ):
        link = tmp_path / launcher.name
        link.symlink_to(launcher)
        done = subprocess.run(
            [str(link), *argv], env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert "Traceback" not in done.stderr and "ModuleNotFoundError" not in done.stderr, done.stderr


def test_the_library_line_points_at_the_checkout():
    """What the checkout's launchers put first on sys.path, read by running one of them up to its import."""
    code = (
        "import sys; launcher = sys.argv[1]; src = open(launcher).read().split('from xenha')[0]; "
        "exec(src, {'__file__': launcher}); print(sys.path[0]); print(sys.path[-1])"
    )
    done = subprocess.run(
        [sys.executable, "-IS", "-c", code, str(REPO / "packaging/scripts/fence_noop")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [str(REPO / "lib"), "/usr/lib/python3/dist-packages"]
