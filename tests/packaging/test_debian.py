# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""packaging/debian: the two packages' relations, one file list (install.py's), the purge, the license files."""

from __future__ import annotations

import re
from pathlib import Path

from tests.packaging.package_check import STATE_DIRS

REPO = Path(__file__).resolve().parents[2]
DEBIAN = REPO / "packaging" / "debian"


def control() -> dict[str, dict[str, str]]:
    """Each paragraph of debian/control by package name ("source" for the first), continuation lines joined."""
    paragraphs: dict[str, dict[str, str]] = {}
    for block in DEBIAN.joinpath("control").read_text().split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line[:1] in (" ", "\t"):
                fields[key] += "\n" + line.strip()
            elif line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        paragraphs["source" if "Source" in fields else fields["Package"]] = fields
    return paragraphs


def relations(value: str) -> set[str]:
    return {re.sub(r"\s+", " ", part.strip()) for part in value.replace("\n", " ").split(",") if part.strip()}


def test_package_relations():
    pkgs = control()
    assert {"python3 (>= 3.11)", "python3-lxml", "python3-daemon", "python3-filelock"} <= relations(
        pkgs["xenha"]["Depends"]
    )
    assert relations(pkgs["xenha"]["Recommends"]) == {"pacemaker-cli-utils", "drbd-utils"}
    assert relations(pkgs["xenha"]["Suggests"]) == {"xen-utils", "vblade", "ocfs2-tools", "heartbeat"}
    assert {"xenha (= ${binary:Version})", "pacemaker", "corosync", "crmsh"} <= relations(pkgs["xenha-lab"]["Depends"])
    assert {"debhelper-compat (= 13)", "dh-python", "python3-lxml"} <= relations(pkgs["source"]["Build-Depends"])
    assert pkgs["xenha"]["Architecture"] == pkgs["xenha-lab"]["Architecture"] == "all"
    assert (DEBIAN / "source/format").read_text() == "3.0 (native)\n"


def test_rules_take_the_file_list_from_install_py():
    rules = (DEBIAN / "rules").read_text()
    assert "packaging/install.py install --dist --destdir debian/xenha " in rules
    assert "packaging/install.py install --dist --lab --destdir debian/xenha-lab " in rules
    assert "packaging/man/build.py --outdir" in rules
    # no second list of files to keep in step with install.py
    assert not [p.name for p in DEBIAN.iterdir() if p.suffix in (".install", ".dirs", ".manpages", ".examples")]


def test_purge_removes_every_state_directory_the_check_plants():
    scripts = (DEBIAN / "xenha.postrm").read_text() + (DEBIAN / "xenha-lab.postrm").read_text()
    purge = [line for line in scripts.splitlines() if line.strip().startswith("rm -")]
    for directory in STATE_DIRS:
        assert any(f" {directory} " in f"{line} " for line in purge), directory


def test_license_and_copyright():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith(
        "                    GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991"
    )
    assert "END OF TERMS AND CONDITIONS" in text and len(text) > 17000  # the full text, not a notice
    copyright_ = (DEBIAN / "copyright").read_text()
    assert copyright_.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
    assert "Files: *\nCopyright: 2026 The xenha developers\nLicense: GPL-2.0-or-later\n" in copyright_
    assert "/usr/share/common-licenses/GPL-2" in copyright_
    assert "license = GPL-2.0-or-later" in (REPO / "setup.cfg").read_text()
