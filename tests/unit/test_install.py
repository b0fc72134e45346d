"""packaging/install.py: what `make install` puts where, that it runs from there, and that uninstall removes it all."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AGENTS = ("XenDomainHA", "DrbdDualPrimary", "AoEExport", "O2cbCluster")


def install(destdir: Path, *extra: str) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "packaging/install.py"), *extra, "--destdir", str(destdir)],
        check=True,
        capture_output=True,
    )


def test_install_layout_and_uninstall(tmp_path):
    dest = tmp_path / "root"
    install(dest, "install")
    for agent in AGENTS:
        path = dest / "usr/lib/ocf/resource.d/xenha" / agent
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
        assert path.read_text().startswith("#!/usr/bin/python3\n")
    for script in ("fence_noop", "xenha", "xenha-bootguard", "xenha-migrate"):
        assert os.access(dest / "usr/sbin" / script, os.X_OK)
    for group in ("xendomainsHA1", "xendomainsHA2"):
        assert (dest / "etc/ha.d/resource.d" / group).is_file()
    lib = dest / "usr/lib/python3/dist-packages/xenha"
    assert (lib / "ocf" / "__init__.py").is_file() and (lib / "ocf" / "__pycache__").is_dir()
    assert not (dest / "usr/lib/python3/dist-packages/xenha_sim").exists()  # the simulator is not the product

    for agent in AGENTS:
        meta = subprocess.run(
            ["/usr/bin/python3", str(dest / "usr/lib/ocf/resource.d/xenha" / agent), "meta-data"],
            env={"PYTHONPATH": str(dest / "usr/lib/python3/dist-packages")},
            capture_output=True,
            text=True,
            check=False,
        )
        assert meta.returncode == 0, meta.stderr
        assert f'<resource-agent name="{agent}"' in meta.stdout

    install(dest, "uninstall")
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_lab_install_keeps_simulated_tools_off_the_path(tmp_path):
    dest = tmp_path / "root"
    install(dest, "install", "--lab")
    for tool in ("xl", "xm", "drbdadm", "drbdsetup", "o2cb"):
        assert os.access(dest / "usr/lib/xenha-sim/bin" / tool, os.X_OK)
        assert not (dest / "usr/sbin" / tool).exists()
    assert os.access(dest / "usr/sbin/xenha-lab", os.X_OK)
    install(dest, "uninstall", "--lab")
    assert [p for p in dest.rglob("*") if p.is_file()] == []
