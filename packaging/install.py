#!/usr/bin/python3
"""Install or uninstall xenha's files under DESTDIR, recording a manifest so uninstall removes exactly those.

Launchers (the OCF agents, fence_noop, the tools, the heartbeat v1 scripts, the lab's programs) run as
`#!/usr/bin/python3 -IS`: no site, no PYTHONPATH, no current directory on sys.path. In the checkout each finds
../lib from its own path; installed, its one line marked LIB_MARKER names the installed library directory instead
(the final path, without DESTDIR).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The line of every launcher that puts the library first on sys.path; install rewrites it.
LIB_MARKER = "# xenha-lib"


def _python_dir(prefix: str) -> str:
    # Debian's /usr/bin/python3 reads /usr/lib/python3/dist-packages and /usr/local/lib/python3.X/dist-packages.
    if prefix == "/usr":
        return "/usr/lib/python3/dist-packages"
    return f"{prefix}/lib/python3.{sys.version_info.minor}/dist-packages"


def launcher_text(src: Path, libdir: str) -> str:
    """The launcher `src` with its LIB_MARKER line naming `libdir`; SystemExit unless it has exactly one."""
    lines = src.read_text().splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if LIB_MARKER in line]
    if len(marked) != 1 or not lines[0].startswith("#!/usr/bin/python3 -IS\n"):
        raise SystemExit(f"{src}: not a launcher (#!/usr/bin/python3 -IS and one {LIB_MARKER!r} line)")
    lines[marked[0]] = f"sys.path[:0] = [{libdir!r}]  {LIB_MARKER}: written by packaging/install.py\n"
    return "".join(lines)


# (source, destination, mode, library directory to write into a launcher or None for a file copied as it is)
Entry = tuple[Path, str, int, str | None]


def plan(prefix: str, ocf_root: str, sbindir: str, hadir: str, *, lab: bool) -> list[Entry]:
    """What to install: every file, with the library directory its launcher line gets (None: not a launcher)."""
    pydir = _python_dir(prefix)
    files: list[Entry] = []
    packages = ["xenha_sim"] if lab else ["xenha"]
    for package in packages:
        for src in sorted((REPO / "lib" / package).rglob("*")):
            if src.is_file() and "__pycache__" not in src.parts:
                files.append((src, f"{pydir}/{src.relative_to(REPO / 'lib')}", 0o644, None))
    if lab:
        # The simulated tools never go on the host's PATH (they would shadow real drbdadm); lab nodes put this
        # directory first on theirs and bind-mount the tools over the real binaries inside their namespaces.
        for src in sorted((REPO / "packaging" / "lab-scripts").glob("*")):
            files.append((src, f"/usr/lib/xenha-sim/bin/{src.name}", 0o755, pydir))
        for src in sorted((REPO / "packaging" / "lab-cli").glob("*")):
            files.append((src, f"{sbindir}/{src.name}", 0o755, pydir))
        return files
    for src in sorted((REPO / "ocf").glob("*")):
        files.append((src, f"{ocf_root}/resource.d/xenha/{src.name}", 0o755, pydir))
    for src in sorted((REPO / "packaging" / "scripts").glob("*")):
        files.append((src, f"{sbindir}/{src.name}", 0o755, pydir))
    for src in sorted((REPO / "heartbeat-v1").glob("xendomainsHA[0-9]*")):
        files.append((src, f"{hadir}/resource.d/{src.name}", 0o755, pydir))
    return files


def install(destdir: str, manifest: str, files: list[Entry]) -> None:
    os.umask(0o022)  # agents run meta-data as nobody: every directory we create must be world-readable
    installed = []
    for src, dest, mode, libdir in files:
        target = Path(destdir + dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if libdir is None:
            shutil.copyfile(src, target)
        else:
            target.unlink(missing_ok=True)  # a symlink left there must not redirect the write
            target.write_text(launcher_text(src, libdir))
        target.chmod(mode)
        installed.append(dest)
    # Byte-compile now: agents start every few seconds, and as nobody (meta-data) they cannot write a cache.
    # uninstall removes each module's __pycache__ entries along with it.
    import compileall

    for dest in installed:
        if dest.endswith(".py"):
            compileall.compile_file(destdir + dest, quiet=2, ddir=os.path.dirname(dest))
    mpath = Path(destdir + manifest)
    mpath.parent.mkdir(parents=True, exist_ok=True)
    mpath.write_text("".join(f"{d}\n" for d in [*installed, manifest]))
    print(f"installed {len(installed)} files; manifest {manifest}")


def uninstall(destdir: str, manifest: str) -> None:
    mpath = Path(destdir + manifest)
    if not mpath.exists():
        print(f"nothing to uninstall: {manifest} not found")
        return
    dirs: set[Path] = set()
    entries = mpath.read_text().split()
    for dest in entries:
        path = Path(destdir + dest)
        if path.exists() or path.is_symlink():
            path.unlink()
        dirs.update(p for p in path.parents if len(p.parts) > 3)
        cache = path.parent / "__pycache__"
        if cache.is_dir():
            for pyc in cache.glob(f"{path.stem}.*.pyc"):
                pyc.unlink()
            dirs.add(cache)
    for directory in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        try:
            directory.rmdir()  # only empty directories: never what we did not put there
        except OSError:
            pass
    print(f"removed {len(entries)} files")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["install", "uninstall"])
    parser.add_argument("--destdir", default=os.environ.get("DESTDIR", ""))
    parser.add_argument("--prefix", default="/usr")
    parser.add_argument("--ocf-root", default="/usr/lib/ocf")
    parser.add_argument("--sbindir", default=None)
    parser.add_argument("--ha-dir", default="/etc/ha.d")
    parser.add_argument("--lab", action="store_true", help="the simulator and lab tools instead of the product")
    args = parser.parse_args()
    sbindir = args.sbindir or f"{args.prefix}/sbin"
    name = "lab-manifest" if args.lab else "install-manifest"
    manifest = f"{args.prefix}/share/xenha/{name}"
    destdir = args.destdir.rstrip("/")
    if args.action == "install":
        install(destdir, manifest, plan(args.prefix, args.ocf_root, sbindir, args.ha_dir, lab=args.lab))
    else:
        uninstall(destdir, manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
