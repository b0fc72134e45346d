# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""packaging/xenha.spec parses (rpmspec -P) into the two packages of the Debian layout."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_rpmspec_parses_the_spec():
    rpmspec = shutil.which("rpmspec")
    if rpmspec is None:
        pytest.skip("rpmspec is not installed (Debian package rpm; make deps)")
    parsed = subprocess.run(
        [rpmspec, "-P", str(REPO / "packaging/xenha.spec")], capture_output=True, text=True, timeout=60, check=False
    )
    assert parsed.returncode == 0, parsed.stderr
    text = parsed.stdout
    assert "%files lab" in text and "\n%files\n" in text
    # every macro the scriptlets and file lists use is defined, here too (fallbacks where the macro packages lack)
    assert "%systemd_post" not in text and "%{python3_sitelib}" not in text and "%{_unitdir}" not in text
    assert "/usr/lib/ocf/resource.d/xenha/" in text and "/usr/sbin/fence_noop" in text
    assert "%config(noreplace) /etc/default/xenha-bootguard" in text
