#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Install or uninstall xenha's files under DESTDIR, recording a manifest so uninstall removes exactly those.

Launchers (the OCF agents, fence_noop, the tools, the heartbeat v1 scripts, the lab's programs) run as
`#!/usr/bin/python3 -IS`: no site, no PYTHONPATH, no current directory on sys.path. In the checkout each finds
../lib from its own path; installed, its one line marked LIB_MARKER names the installed library directory instead
(the final path, without DESTDIR).

fence_noop goes to FENCE_DIR (default /usr/sbin, whatever the prefix): pacemaker-fenced looks for fence agents in
its own sbin directory only. `--dist` is for distribution packages (debian/rules, the RPM spec): no manifest, no
byte-compiling (dh_python3 or the RPM macros do it), plus what a development install leaves out: the
/etc/default templates, the systemd unit, the examples and, with `--man-dir`, the generated man pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The line of every launcher that puts the library first on sys.path; install rewrites it.
LIB_MARKER = "# xenha-lib"
# The line of every launcher that finds lxml, daemon and filelock where Debian keeps them; --site-dirs rewrites it
# for distributions that keep them elsewhere (an RPM's python3_sitelib and python3_sitearch).
SITE_LINE = 'sys.path.append("/usr/lib/python3/dist-packages")'


def _python_dir(prefix: str, pydir: str | None = None) -> str:
    if pydir:
        return pydir
    # Debian's /usr/bin/python3 reads /usr/lib/python3/dist-packages and /usr/local/lib/python3.X/dist-packages.
    if prefix == "/usr":
        return "/usr/lib/python3/dist-packages"
    return f"{prefix}/lib/python3.{sys.version_info.minor}/dist-packages"


def launcher_text(src: Path, libdir: str, site_dirs: tuple[str, ...] = ()) -> str:
    """The launcher `src` with its LIB_MARKER line naming `libdir`; SystemExit unless it has exactly one.

    With `site_dirs`, its SITE_LINE appends those directories instead of Debian's dist-packages.
    """
    lines = src.read_text().splitlines(keepends=True)
    marked = [i for i, line in enumerate(lines) if LIB_MARKER in line]
    if len(marked) != 1 or not lines[0].startswith("#!/usr/bin/python3 -IS\n"):
        raise SystemExit(f"{src}: not a launcher (#!/usr/bin/python3 -IS and one {LIB_MARKER!r} line)")
    lines[marked[0]] = f"sys.path[:0] = [{libdir!r}]  {LIB_MARKER}: written by packaging/install.py\n"
    if site_dirs:
        site = [i for i, line in enumerate(lines) if line.startswith(SITE_LINE)]
        if len(site) != 1:
            raise SystemExit(f"{src}: no {SITE_LINE!r} line to rewrite for --site-dirs")
        lines[site[0]] = f"sys.path += {list(site_dirs)!r}  # lxml, daemon, filelock: written by packaging/install.py\n"
    return "".join(lines)


# (source, destination, mode, library directory to write into a launcher or None for a file copied as it is)
Entry = tuple[Path, str, int, str | None]


# Man pages of the lab package; every other generated page belongs to the product.
LAB_PAGES = ("xenha-lab.", "xenha-sim.")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each kind of file goes (final paths, without DESTDIR)."""

    prefix: str = "/usr"
    ocf_root: str = "/usr/lib/ocf"
    sbindir: str = "/usr/sbin"
    fence_dir: str = "/usr/sbin"
    hadir: str = "/etc/ha.d"
    unitdir: str = "/lib/systemd/system"
    sysconfdir: str = "/etc"
    pydir: str | None = None  # the library's directory; None: Debian's for the prefix
    site_dirs: tuple[str, ...] = ()  # where the launchers find lxml, daemon, filelock; (): Debian's


def plan(layout: Layout, *, lab: bool, dist: bool = False, man_dir: Path | None = None) -> list[Entry]:
    """What to install: every file, with the library directory its launcher line gets (None: not a launcher)."""
    prefix, sbindir = layout.prefix, layout.sbindir
    pydir = _python_dir(prefix, layout.pydir)
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
        return files + _man_pages(prefix, man_dir, lab=True)
    for src in sorted((REPO / "ocf").glob("*")):
        files.append((src, f"{layout.ocf_root}/resource.d/xenha/{src.name}", 0o755, pydir))
    for src in sorted((REPO / "packaging" / "scripts").glob("*")):
        where = layout.fence_dir if src.name.startswith("fence_") else sbindir
        files.append((src, f"{where}/{src.name}", 0o755, pydir))
    for src in sorted((REPO / "heartbeat-v1").glob("xendomainsHA[0-9]*")):
        files.append((src, f"{layout.hadir}/resource.d/{src.name}", 0o755, pydir))
    if dist:
        for src in sorted((REPO / "packaging" / "default").glob("*")):
            files.append((src, f"{layout.sysconfdir}/default/{src.name}", 0o644, None))
        for src in sorted((REPO / "packaging" / "systemd").glob("*.service")):
            files.append((src, f"{layout.unitdir}/{src.name}", 0o644, None))
        for src in sorted((REPO / "packaging" / "debian" / "examples").glob("*")):
            files.append((src, f"{prefix}/share/doc/xenha/examples/{src.name}", 0o644, None))
        # The README's cluster configuration, byte for byte (tests/unit/test_readme_config.py), which the lab's
        # demo also runs: one text, tested by crm_verify and on a cluster.
        example = REPO / "lib" / "xenha_sim" / "cluster.crm"
        files.append((example, f"{prefix}/share/doc/xenha/examples/crm-dual-primary.crm", 0o644, None))
    return files + _man_pages(prefix, man_dir, lab=False)


def _man_pages(prefix: str, man_dir: Path | None, *, lab: bool) -> list[Entry]:
    """The generated pages of `man_dir` (NAME.SECTION) for the product or the lab; SystemExit when there are none."""
    if man_dir is None:
        return []
    pages = sorted(p for p in man_dir.glob("*.[1-9]") if p.is_file())
    if not pages:
        raise SystemExit(f"{man_dir}: no man pages (packaging/man/build.py --outdir {man_dir} writes them)")
    return [
        (page, f"{prefix}/share/man/man{page.suffix[1:]}/{page.name}", 0o644, None)
        for page in pages
        if page.name.startswith(LAB_PAGES) == lab
    ]


def install(destdir: str, manifest: str | None, files: list[Entry], site_dirs: tuple[str, ...] = ()) -> None:
    """Write `files` under `destdir`; with a manifest (development installs) byte-compile and record them."""
    os.umask(0o022)  # agents run meta-data as nobody: every directory we create must be world-readable
    installed = []
    for src, dest, mode, libdir in files:
        target = Path(destdir + dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if libdir is None:
            shutil.copyfile(src, target)
        else:
            target.unlink(missing_ok=True)  # a symlink left there must not redirect the write
            target.write_text(launcher_text(src, libdir, site_dirs))
        target.chmod(mode)
        installed.append(dest)
    if manifest is None:
        print(f"installed {len(installed)} files")
        return
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
    parser.add_argument("--fence-dir", default="/usr/sbin", help="fence_noop (where pacemaker-fenced looks)")
    parser.add_argument("--ha-dir", default="/etc/ha.d")
    parser.add_argument("--unitdir", default="/lib/systemd/system", help="systemd units (with --dist)")
    parser.add_argument("--sysconfdir", default="/etc", help="its default/ gets the templates (with --dist)")
    parser.add_argument("--lab", action="store_true", help="the simulator and lab tools instead of the product")
    parser.add_argument("--dist", action="store_true", help="for a distribution package: no manifest, no .pyc")
    parser.add_argument("--man-dir", type=Path, help="install the man pages generated in this directory")
    parser.add_argument("--pydir", help="the library's directory (default: Debian's for the prefix)")
    parser.add_argument("--site-dirs", default="", help="colon-separated: where launchers find lxml (default Debian's)")
    args = parser.parse_args()
    layout = Layout(
        prefix=args.prefix,
        ocf_root=args.ocf_root,
        sbindir=args.sbindir or f"{args.prefix}/sbin",
        fence_dir=args.fence_dir,
        hadir=args.ha_dir,
        unitdir=args.unitdir,
        sysconfdir=args.sysconfdir,
        pydir=args.pydir,
        site_dirs=tuple(d for d in args.site_dirs.split(":") if d),
    )
    name = "lab-manifest" if args.lab else "install-manifest"
    manifest = f"{args.prefix}/share/xenha/{name}"
    destdir = args.destdir.rstrip("/")
    if args.action == "install":
        files = plan(layout, lab=args.lab, dist=args.dist, man_dir=args.man_dir)
        install(destdir, None if args.dist else manifest, files, layout.site_dirs)
    elif args.dist:
        raise SystemExit("uninstall: a --dist install has no manifest; the package manager removes it")
    else:
        uninstall(destdir, manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
