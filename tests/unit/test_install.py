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
    launchers += [dest / "opt/xenha/sbin" / s for s in SCRIPTS]
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
