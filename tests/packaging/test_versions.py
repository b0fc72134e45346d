# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""One version everywhere: the library, debian/changelog, the RPM spec, and every command's --version."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from xenha import __version__

REPO = Path(__file__).resolve().parents[2]


def test_debian_changelog_carries_the_library_version():
    first = (REPO / "packaging/debian/changelog").read_text().splitlines()[0]
    assert re.match(rf"^xenha \({re.escape(__version__)}\) \S+; urgency=\w+$", first), first


def test_rpm_spec_carries_the_library_version():
    spec = (REPO / "packaging/xenha.spec").read_text()
    assert re.search(rf"^Version:\s+{re.escape(__version__)}$", spec, re.MULTILINE)


@pytest.mark.parametrize("command", ["xenha-lab", "xenha-sim"])
def test_lab_commands_print_their_version(command):
    shown = subprocess.run(
        [str(REPO / "packaging/lab-cli" / command), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"{command} {__version__}\n"
