# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every source file says whose it is and under which licence (issue 15): the notice LICENSE and
debian/copyright speak for."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTICE = ("# Copyright (C) 2026 The xenha developers", "# SPDX-License-Identifier: GPL-2.0-or-later")


def _sources() -> list[Path]:
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True, check=True)
    found = []
    for name in tracked.stdout.split():
        path = REPO / name
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix in (".py", ".bash", ".sh") or path.name in ("Makefile", "rules"):
            found.append(path)
            continue
        with path.open("rb") as handle:
            first = handle.readline()
        if first.startswith(b"#!") and any(word in first for word in (b"python", b"bash", b"/sh")):
            found.append(path)
    return found


def test_there_are_sources_to_check():
    names = {p.relative_to(REPO).as_posix() for p in _sources()}
    assert {
        "ocf/XenDomainHA",
        "lib/xenha/ocf/protocol.py",
        ".ci/run",
        "packaging/debian/xenha.postrm",
        "Makefile",
    } <= names


def test_every_source_file_carries_the_copyright_and_licence_notice():
    missing = []
    for path in _sources():
        head = path.read_text(errors="replace").splitlines()[:4]
        if not all(line in head for line in NOTICE):
            missing.append(path.relative_to(REPO).as_posix())
    assert missing == [], f"{len(missing)} source files without the notice (see .wip/copyright.py): {missing[:10]}"
