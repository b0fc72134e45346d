# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""packaging/install.py: what `make install` puts where, that it runs from there, and that uninstall removes it all."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AGENTS = ("XenDomainHA", "DrbdDualPrimary", "AoEExport", "O2cbCluster")
SCRIPTS = ("fence_noop", "xenha", "xenha-bootguard", "xenha-migrate")
PYDIR = f"lib/python3.{sys.version_info.minor}/dist-packages"  # a prefix other than /usr (install.py _python_dir)


def install(destdir: Path | str, *extra: str) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "packaging/install.py"), *extra, "--destdir", str(destdir)],
        check=True,
        capture_output=True,
    )


def lib_line(launcher: Path) -> str:
    (line,) = [line for line in launcher.read_text().splitlines() if "# xenha-lib" in line]
    return line


def test_install_layout_and_uninstall(tmp_path):
    dest = tmp_path / "root"
    install(dest, "install")
    for agent in AGENTS:
        path = dest / "usr/lib/ocf/resource.d/xenha" / agent
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
        assert path.read_text().startswith("#!/usr/bin/python3 -IS\n")
        # the final path, without DESTDIR: the default prefix's library directory is Debian's dist-packages
        assert lib_line(path).startswith("sys.path[:0] = ['/usr/lib/python3/dist-packages']  # xenha-lib")
    for script in SCRIPTS:
        assert os.access(dest / "usr/sbin" / script, os.X_OK)
        assert lib_line(dest / "usr/sbin" / script).startswith("sys.path[:0] = ['/usr/lib/python3/dist-packages']")
    for group in ("xendomainsHA1", "xendomainsHA2"):
        assert (dest / "etc/ha.d/resource.d" / group).is_file()
        assert not (dest / "etc/ha.d/resource.d" / group).is_symlink()
    lib = dest / "usr/lib/python3/dist-packages/xenha"
    assert (lib / "ocf" / "__init__.py").is_file() and (lib / "ocf" / "__pycache__").is_dir()
    assert not (dest / "usr/lib/python3/dist-packages/xenha_sim").exists()  # the simulator is not the product

    install(dest, "uninstall")
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_destdir_and_prefix_write_the_final_library_path(tmp_path):
    dest = tmp_path / "stage"
    install(dest, "install", "--prefix", "/opt/xenha", "--ocf-root", "/opt/xenha/ocf", "--ha-dir", "/opt/xenha/ha.d")
    launchers = [dest / "opt/xenha/ocf/resource.d/xenha" / a for a in AGENTS]
    launchers += [dest / "opt/xenha/sbin" / s for s in SCRIPTS if s != "fence_noop"]
    # pacemaker-fenced looks for fence agents in its own sbin directory only, whatever our prefix
    assert not (dest / "opt/xenha/sbin/fence_noop").exists()
    launchers.append(dest / "usr/sbin/fence_noop")
    launchers += [dest / "opt/xenha/ha.d/resource.d" / g for g in ("xendomainsHA1", "xendomainsHA2")]
    for launcher in launchers:
        assert (
            lib_line(launcher) == f"sys.path[:0] = ['/opt/xenha/{PYDIR}']  # xenha-lib: written by packaging/install.py"
        )
        compile(launcher.read_text(), str(launcher), "exec")
    assert (dest / "opt/xenha" / PYDIR / "xenha" / "__init__.py").is_file()


@pytest.fixture
def open_root() -> Iterator[Path]:
    """A directory every user can traverse (pytest's tmp_path is root's alone), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="xenha-install-", dir="/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root)


def _nobody() -> list[str]:
    runuser = shutil.which("runuser")
    if os.geteuid() != 0 or runuser is None:
        pytest.skip("running as nobody needs root and runuser")
    return [runuser, "-u", "nobody", "--"]


# Run a launcher as its interpreter would, then say which xenha it imported (at exit: an exit hook, which the
# launcher's ocf.protocol.finish honours, runs however main() ends).
_WHICH = """
import atexit, sys
launcher = sys.argv[1]
sys.argv = sys.argv[1:]
atexit.register(lambda: sys.stderr.write("xenha from " + sys.modules["xenha"].__file__ + "\\n"))
exec(compile(open(launcher).read(), launcher, "exec"), {"__name__": "__main__", "__file__": launcher})
"""


def test_installed_launchers_run_from_the_installed_library_as_nobody(open_root):
    """Installed where every path resolves (no DESTDIR), the agents run meta-data as nobody from that library.

    Neither PYTHONPATH, the current directory, the checkout nor a xenha installed system-wide has a say: the
    launcher's library line is all that leads to the installed copy.
    """
    nobody = _nobody()
    prefix = open_root / "usr"
    args = ["--prefix", str(prefix), "--ocf-root", str(prefix / "lib/ocf"), "--ha-dir", str(open_root / "etc/ha.d")]
    args += ["--fence-dir", str(prefix / "sbin")]  # not the host's /usr/sbin
    install("", "install", *args)
    library = prefix / PYDIR
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "lib")}  # ignored: -IS
    for agent in AGENTS:
        launcher = prefix / "lib/ocf/resource.d/xenha" / agent
        meta = subprocess.run(
            [*nobody, str(launcher), "meta-data"], env=env, cwd="/", capture_output=True, text=True, check=False
        )
        assert meta.returncode == 0, meta.stderr
        assert f'<resource-agent name="{agent}"' in meta.stdout
        which = subprocess.run(
            [*nobody, "/usr/bin/python3", "-IS", "-c", _WHICH, str(launcher), "meta-data"],
            env=env,
            cwd="/",
            capture_output=True,
            text=True,
            check=False,
        )
        assert f"xenha from {library}/xenha/__init__.py" in which.stderr, which.stderr
    fence = subprocess.run(
        [*nobody, str(prefix / "sbin/fence_noop"), "-o", "metadata"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert fence.returncode == 0 and "fences nothing" in fence.stdout, fence.stderr
    install("", "uninstall", *args)
    assert [p for p in open_root.rglob("*") if p.is_file()] == []


def test_lab_install_keeps_simulated_tools_off_the_path(tmp_path):
    dest = tmp_path / "root"
    install(dest, "install", "--lab")
    for tool in ("xl", "xm", "drbdadm", "drbdsetup", "o2cb"):
        assert os.access(dest / "usr/lib/xenha-sim/bin" / tool, os.X_OK)
        assert not (dest / "usr/sbin" / tool).exists()
        assert lib_line(dest / "usr/lib/xenha-sim/bin" / tool).startswith("sys.path[:0] = ['/usr/lib/python3/dist")
    assert os.access(dest / "usr/sbin/xenha-lab", os.X_OK)
    install(dest, "uninstall", "--lab")
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_a_file_without_the_library_line_is_not_installed_as_a_launcher(tmp_path):
    sys.path.insert(0, str(REPO / "packaging"))
    try:
        import install as installer  # packaging/install.py
    finally:
        sys.path.remove(str(REPO / "packaging"))
    plain = tmp_path / "plain"
    plain.write_text("#!/usr/bin/python3\nimport sys\n")
    with pytest.raises(SystemExit, match="not a launcher"):
        installer.launcher_text(plain, "/usr/lib/python3/dist-packages")
    text = installer.launcher_text(REPO / "ocf" / "XenDomainHA", "/x/lib")
    assert "sys.path[:0] = ['/x/lib']  # xenha-lib" in text and "realpath" not in text


def test_prefix_usr_local_puts_fence_noop_where_pacemaker_looks(tmp_path):
    """`make install PREFIX=/usr/local`: library under /usr/local, fence_noop still in /usr/sbin, uninstalled too."""
    dest = tmp_path / "root"
    install(dest, "install", "--prefix", "/usr/local")
    fence = dest / "usr/sbin/fence_noop"
    assert os.access(fence, os.X_OK)
    assert lib_line(fence).startswith(f"sys.path[:0] = ['/usr/local/{PYDIR}']")
    assert os.access(dest / "usr/local/sbin/xenha-bootguard", os.X_OK)
    assert not (dest / "usr/local/sbin/fence_noop").exists()
    assert "/usr/sbin/fence_noop\n" in (dest / "usr/local/share/xenha/install-manifest").read_text()
    install(dest, "uninstall", "--prefix", "/usr/local")
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def _man_pages(directory: Path) -> Path:
    """Pages as packaging/man/build.py writes them (names only matter to install.py)."""
    directory.mkdir()
    for name in ("ocf_xenha_XenDomainHA.7", "fence_noop.8", "xenha-bootguard.8", "xenha-lab.8", "xenha-sim.8"):
        (directory / name).write_text(f'.TH "{name}"\n')
    return directory


def test_dist_install_for_packages(tmp_path):
    """--dist (debian/rules, the spec): no manifest, no .pyc; templates, unit, examples, man pages split by package."""
    man = _man_pages(tmp_path / "man")
    product, lab = tmp_path / "product", tmp_path / "lab"
    install(product, "install", "--dist", "--man-dir", str(man))
    install(lab, "install", "--dist", "--lab", "--man-dir", str(man))
    files = {str(p.relative_to(product)) for p in product.rglob("*") if p.is_file()}
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or "manifest" in f]
    for name in ("xendomainsHA1", "xendomainsHA2", "xenha-bootguard"):
        path = product / "etc/default" / name
        assert (
            stat.S_IMODE(path.stat().st_mode) == 0o644
            and path.read_text() == (REPO / "packaging/default" / name).read_text()
        )
    assert (product / "lib/systemd/system/xenha-bootguard.service").is_file()
    example = (product / "usr/share/doc/xenha/examples/crm-dual-primary.crm").read_text()
    assert example == (REPO / "lib/xenha_sim/cluster.crm").read_text()  # the README's configuration
    assert "stonith:fence_ipmilan" in example and "op migrate_to timeout=300s" in example
    assert {f for f in files if f.startswith("usr/share/man/")} == {
        "usr/share/man/man7/ocf_xenha_XenDomainHA.7",
        "usr/share/man/man8/fence_noop.8",
        "usr/share/man/man8/xenha-bootguard.8",
    }
    lab_files = {str(p.relative_to(lab)) for p in lab.rglob("*") if p.is_file()}
    assert {f for f in lab_files if f.startswith("usr/share/man/")} == {
        "usr/share/man/man8/xenha-lab.8",
        "usr/share/man/man8/xenha-sim.8",
    }
    assert not files & lab_files  # two packages must never ship the same path
    assert "usr/sbin/xenha-lab" in lab_files and "usr/lib/python3/dist-packages/xenha_sim/lab.py" in lab_files
    # a development install leaves the distribution's files out
    dev = tmp_path / "dev"
    install(dev, "install")
    assert not (dev / "etc/default").exists() and not (dev / "lib/systemd").exists()


def test_dist_install_refuses_an_empty_man_directory(tmp_path):
    (tmp_path / "man").mkdir()
    failed = subprocess.run(
        [sys.executable, str(REPO / "packaging/install.py"), "install", "--dist", "--destdir", str(tmp_path / "d"),
         "--man-dir", str(tmp_path / "man")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert failed.returncode != 0 and "no man pages" in failed.stderr


def test_rpm_layout_rewrites_the_library_and_site_lines(tmp_path):
    """The spec's layout: library in python3_sitelib, launchers find lxml in sitelib and sitearch, not Debian's."""
    dest = tmp_path / "root"
    site = "/usr/lib/python3.11/site-packages"
    install(dest, "install", "--dist", "--pydir", site, "--site-dirs", f"{site}:/usr/lib64/python3.11/site-packages")
    assert (dest / site.lstrip("/") / "xenha/__init__.py").is_file()
    text = (dest / "usr/lib/ocf/resource.d/xenha/XenDomainHA").read_text()
    assert f"sys.path[:0] = [{site!r}]  # xenha-lib" in text
    assert f"sys.path += [{site!r}, '/usr/lib64/python3.11/site-packages']  # lxml" in text
    assert "dist-packages" not in text
    compile(text, "XenDomainHA", "exec")
