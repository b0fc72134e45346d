#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`make package-check`: install the built xenha and xenha-lab .debs with apt, test the installed files, purge them,
and check that the purge left nothing behind. Run as root under `flock /tmp/xenha-lab.lock` (the Makefile does).

Steps, each timed: a listing of the file system (ROOTS less EXCLUDED); a development install from this checkout
(`make install`, its manifest in /usr/share/xenha) is removed first and put back at the end, so that only the
packages' files are under test; `apt-get install ./xenha_*.deb ./xenha-lab_*.deb`; the installed-metadata lab tests
with XENHA_TEST_INSTALLED=package (every test must pass, none skipped); `xenha-lab demo` from /usr/sbin in a lab
directory of its own; `apt-get purge` (and of any package apt pulled in for them); the listing again, which must be
the one from before. Exit 0 when every step passed, else 1 with the reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("/etc", "/usr", "/lib", "/opt", "/srv", "/var/lib", "/var/log", "/run/xenha", "/run/lock")
# Package-manager bookkeeping and logs that every apt run changes; nothing of ours lives there.
EXCLUDED = (
    "/var/lib/dpkg",
    "/var/lib/apt",
    "/var/log/apt",
    "/var/log/dpkg.log",
    "/var/log/alternatives.log",
    "/var/log/journal",
    "/var/lib/xenha-lab-test-",  # other lab tests' directories (they hold the same lock, but a crash may leave one)
    "/var/lib/xenha-lab-failed-",
)
# Where the programs keep run-time state (agents, boot guard, ledger, fence_noop's log, the lab): the check plants a
# file in each that does not exist yet, as a used system would have, and the purge must remove them.
STATE_DIRS = ("/run/xenha", "/var/lib/xenha", "/var/log/xenha", "/var/lib/xenha-lab", "/var/lib/xenha-sim")
MANIFESTS = (Path("/usr/share/xenha/install-manifest"), Path("/usr/share/xenha/lab-manifest"))
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


class CheckFailed(Exception):
    """A step failed; the message is the one line printed."""


def run(argv: Sequence[str], *, timeout: float, env: dict[str, str] | None = None, quiet: bool = True) -> str:
    """Run argv; its output (stdout and stderr) or CheckFailed with its tail."""
    done = subprocess.run(
        list(argv), capture_output=quiet, text=True, timeout=timeout, env=env, check=False, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        tail = "\n".join(((done.stdout or "") + (done.stderr or "")).splitlines()[-30:])
        raise CheckFailed(f"{' '.join(argv[:4])} ... exited {done.returncode}\n{tail}")
    return (done.stdout or "") + (done.stderr or "")


@contextmanager
def step(name: str, timings: list[tuple[str, float]]) -> Iterator[None]:
    start = time.monotonic()
    print(f"package-check: {name} ...", flush=True)
    try:
        yield
    finally:
        timings.append((name, time.monotonic() - start))


def listing(also_excluded: tuple[str, ...] = ()) -> set[str]:
    """Every path under ROOTS (not following symlinks), less EXCLUDED and `also_excluded`."""
    excluded = EXCLUDED + also_excluded
    paths: set[str] = set()
    for root in ROOTS:
        if not os.path.lexists(root) or root.startswith(excluded):
            continue
        paths.add(root)
        for directory, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not os.path.join(directory, d).startswith(excluded)]
            for name in dirs + files:
                path = os.path.join(directory, name)
                if not path.startswith(excluded):
                    paths.add(path)
    return paths


def installed_packages() -> set[str]:
    shown = run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n"], timeout=60)
    return {line.split()[0] for line in shown.splitlines() if len(line.split()) > 1 and line.split()[1] == "ii"}


def debs(dist: Path) -> list[Path]:
    found = [p for name in ("xenha", "xenha-lab") for p in sorted(dist.glob(f"{name}_*_all.deb"))]
    if len(found) != 2:
        raise CheckFailed(f"{dist}: expected xenha_*_all.deb and xenha-lab_*_all.deb (make deb), found {found}")
    return found


def lab_tests() -> None:
    """The installed-metadata lab tests against the package's files: all must pass, none may be skipped."""
    with tempfile.TemporaryDirectory(prefix="xenha-pkgcheck-") as tmp:
        report = Path(tmp) / "junit.xml"
        env = {**os.environ, "XENHA_TEST_INSTALLED": "package"}
        run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
             "tests/lab/test_installed_metadata.py"],
            timeout=600, env=env, quiet=False,
        )  # fmt: skip
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite[0]
        tests, skipped = int(suite.get("tests", "0")), int(suite.get("skipped", "0"))
        if tests == 0 or skipped:
            raise CheckFailed(f"installed-metadata tests: {tests} run, {skipped} skipped; every one must run")
        print(f"package-check: {tests} installed-metadata tests passed on the package's files")


def demo() -> None:
    """`xenha-lab demo` as installed (/usr/sbin), in a lab directory of its own that is removed afterwards."""
    lab_dir = Path(f"/var/lib/xenha-lab-pkgcheck-{os.getpid()}")
    try:
        run(["/usr/sbin/xenha-lab", "--dir", str(lab_dir), "demo"], timeout=900, quiet=False)
    finally:
        subprocess.run(["/usr/sbin/xenha-lab", "--dir", str(lab_dir), "down"], capture_output=True, timeout=120,
                       check=False)  # fmt: skip
        shutil.rmtree(lab_dir, ignore_errors=True)


def plant_state() -> None:
    """A file in each state directory that did not exist before the install (a used system's state)."""
    for directory in STATE_DIRS:
        path = Path(directory)
        if path.exists():
            print(f"package-check: {directory} exists (state from before): not planting in it")
            continue
        path.mkdir(parents=True)
        (path / "package-check-state").write_text("left by package_check.py; purge must remove it\n")


def dev_install(action: str, which: list[bool]) -> None:
    """Install or uninstall the development install(s) from this checkout (install.py, as `make install` does)."""
    for present, extra in zip(which, ([], ["--lab"]), strict=True):
        if present:
            run([sys.executable, str(REPO / "packaging/install.py"), action, *extra], timeout=120)


def check(dist: Path, *, with_demo: bool) -> list[tuple[str, float]]:
    timings: list[tuple[str, float]] = []
    packages = debs(dist)
    if os.geteuid() != 0:
        raise CheckFailed("needs root (apt-get install, purge)")
    dev = [m.exists() for m in MANIFESTS]
    if any(dev):
        print("package-check: a development install (make install) is in place; removed now, put back afterwards")
        dev_install("uninstall", dev)
    try:
        # State from before (a developer's lab, an agent run on this host) goes with the purge, by design.
        preexisting = tuple(d for d in STATE_DIRS if os.path.lexists(d))
        with step("listing before", timings):
            before = listing(preexisting)
            had = installed_packages()
        if {"xenha", "xenha-lab"} & had:
            raise CheckFailed("xenha or xenha-lab is installed already: purge it first")
        try:
            with step("apt-get install", timings):
                run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *map(str, packages)], timeout=600,
                    env=APT_ENV)  # fmt: skip
            with step("installed-metadata tests", timings):
                lab_tests()
            if with_demo:
                with step("xenha-lab demo", timings):
                    demo()
            plant_state()
        finally:
            with step("apt-get purge", timings):
                pulled = sorted(installed_packages() - had - {"xenha", "xenha-lab"})
                if pulled:
                    print(f"package-check: apt pulled in {' '.join(pulled)} (make deps should have): purging them too")
                run(["apt-get", "purge", "-y", "-q", "xenha-lab", "xenha", *pulled], timeout=600, env=APT_ENV)
        with step("listing after", timings):
            after = listing(preexisting)
            left, gone = sorted(after - before), sorted(before - after)
            if left or gone:
                raise CheckFailed(f"purge left {left[:20]} ({len(left)}) and removed {gone[:20]} ({len(gone)})")
            for name in ("xenha", "xenha-lab"):
                query = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", name], capture_output=True,
                                       text=True, timeout=60, check=False)  # fmt: skip
                if query.returncode == 0 and query.stdout.strip() not in ("un", "pn"):
                    raise CheckFailed(f"{name} is {query.stdout.strip()!r} after the purge (not purged)")
    finally:
        if any(dev):
            dev_install("install", dev)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dist", type=Path, help="the directory with the built .debs (dist/)")
    parser.add_argument("--no-demo", action="store_true", help="skip `xenha-lab demo`")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    start = time.monotonic()
    try:
        timings = check(args.dist.resolve(), with_demo=not args.no_demo)
    except (CheckFailed, subprocess.TimeoutExpired) as exc:
        print(f"package-check: FAILED: {exc}", file=sys.stderr)
        return 1
    for name, seconds in timings:
        print(f"package-check: {name}: {seconds:.1f}s")
    print(f"package-check: passed in {time.monotonic() - start:.1f}s: installed, tested, purged, nothing left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
