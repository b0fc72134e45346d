# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lab fixtures: xenha installed as `make install` does, and a fresh 2-node cluster per test, always torn down."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = (Path("/usr/share/xenha/install-manifest"), Path("/usr/share/xenha/lab-manifest"))


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, mounts)"
    for tool in ("corosync", "pacemakerd", "crm", "ip", "nsenter", "unshare"):
        if shutil.which(tool) is None:
            return f"lab tests need {tool} (make deps)"
    return None


# XENHA_TEST_INSTALLED=package: test the files the xenha and xenha-lab .debs installed (make package-check), not an
# install from this checkout; the packages must be installed, and nothing is installed or removed here.
PACKAGE_MODE = os.environ.get("XENHA_TEST_INSTALLED") == "package"


def _packages_missing() -> list[str]:
    query = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\n", "xenha", "xenha-lab"],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    shown = dict(line.split(None, 1) for line in query.stdout.splitlines() if " " in line)
    return [name for name in ("xenha", "xenha-lab") if shown.get(name, "").strip() != "ii"]


@pytest.fixture(scope="session")
def installed() -> Iterator[None]:
    """The product and the lab tools installed from this checkout, removed afterwards if we put them there."""
    why = _why_not()
    if why and PACKAGE_MODE:
        pytest.fail(f"XENHA_TEST_INSTALLED=package: {why}")
    if why:
        pytest.skip(why)
    if PACKAGE_MODE:
        missing = _packages_missing()
        if missing or any(m.exists() for m in MANIFESTS):
            pytest.fail(f"XENHA_TEST_INSTALLED=package: not installed: {missing}, or a make install is in the way")
        yield
        return
    had = [m.exists() for m in MANIFESTS]
    for extra in ([], ["--lab"]):
        subprocess.run(
            [sys.executable, str(REPO / "packaging/install.py"), "install", *extra], check=True, capture_output=True
        )
    yield
    for existed, extra in zip(had, ([], ["--lab"]), strict=True):
        if not existed:
            subprocess.run(
                [sys.executable, str(REPO / "packaging/install.py"), "uninstall", *extra],
                check=False,
                capture_output=True,
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """Remember each phase's report on the item, so that the lab fixture knows whether its test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"xenha_{report.when}", report)


@pytest.fixture
def lab(installed: None, request: pytest.FixtureRequest) -> Iterator[object]:
    """A lab directory of its own; the cluster in it is torn down after the test, pass or fail.

    The directory (world, fence log, every node's pacemaker and corosync logs) is removed when the test passes and
    kept for the post-mortem when it fails, as /var/lib/xenha-lab-failed-<test>-<pid>.
    """
    from xenha_sim.lab import Lab

    root = Path(f"/var/lib/xenha-lab-test-{os.getpid()}")
    root.mkdir(mode=0o755, exist_ok=True)
    the_lab = Lab(str(root))
    try:
        yield the_lab
    finally:
        the_lab.down()
        call = getattr(request.node, "xenha_call", None)
        if call is not None and call.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
            kept = root.with_name(f"xenha-lab-failed-{name}-{os.getpid()}")
            shutil.rmtree(kept, ignore_errors=True)
            root.rename(kept)
            print(f"lab kept for the post-mortem: {kept}")
        else:
            shutil.rmtree(root, ignore_errors=True)
