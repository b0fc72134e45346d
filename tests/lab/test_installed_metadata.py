# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The installed agents as pacemaker and crmsh read them (crm_resource, crm ra info, stonith_admin, ocf-tester DTD)."""

from __future__ import annotations

import os
import subprocess

import pytest

pytestmark = pytest.mark.lab

AGENTS = ("XenDomainHA", "DrbdDualPrimary", "AoEExport", "O2cbCluster")


@pytest.mark.parametrize("agent", AGENTS)
def test_pacemaker_and_crmsh_read_the_metadata(installed, agent):
    shown = subprocess.run(
        ["crm_resource", "--show-metadata", f"ocf:xenha:{agent}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert shown.returncode == 0, shown.stderr
    assert f'<resource-agent name="{agent}"' in shown.stdout
    info = subprocess.run(
        ["crm", "ra", "info", f"ocf:xenha:{agent}"], capture_output=True, text=True, check=False, timeout=60
    )
    assert info.returncode == 0, info.stderr
    assert f"(ocf:xenha:{agent})" in info.stdout
    # pacemaker says OCF_RA_VERSION_MINOR=1 and gets OCF 1.1: reloadable parameters and reload-agent
    assert "<version>1.1</version>" in shown.stdout
    if agent in ("XenDomainHA", "DrbdDualPrimary"):  # the agents with parameters a reload applies in place
        assert 'reloadable="1"' in shown.stdout and '<action name="reload-agent"' in shown.stdout
    # ocf-tester runs the agent with no OCF_RA_VERSION_* and validates with `xmllint --valid` (ra-api-1.dtd)
    direct = subprocess.run(
        [f"/usr/lib/ocf/resource.d/xenha/{agent}", "meta-data"],
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert 'reloadable="1"' not in direct.stdout and "reload-agent" not in direct.stdout
    lint = subprocess.run(
        ["xmllint", "--noout", "--valid", "-"],
        input=direct.stdout,
        capture_output=True,
        text=True,
        cwd="/usr/share/resource-agents",
        check=False,
    )
    assert lint.returncode == 0, lint.stderr


def test_pacemaker_fencer_reads_fence_noop(installed):
    shown = subprocess.run(
        ["stonith_admin", "--metadata", "-a", "fence_noop"], capture_output=True, text=True, check=False, timeout=30
    )
    assert shown.returncode == 0, shown.stderr
    assert "fences nothing" in shown.stdout


@pytest.mark.parametrize("agent", AGENTS)
def test_installed_agents_run_isolated_from_the_installed_library(installed, agent):
    """Installed agents name the installed library and run meta-data as nobody from /, ignoring PYTHONPATH."""
    path = f"/usr/lib/ocf/resource.d/xenha/{agent}"
    with open(path) as handle:
        lines = handle.read().splitlines()
    assert lines[0] == "#!/usr/bin/python3 -IS"
    assert "sys.path[:0] = ['/usr/lib/python3/dist-packages']  # xenha-lib: written by packaging/install.py" in lines
    meta = subprocess.run(
        ["runuser", "-u", "nobody", "--", path, "meta-data"],
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": "/nonexistent"},
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert meta.returncode == 0, meta.stderr
    assert f'<resource-agent name="{agent}"' in meta.stdout


def test_the_files_under_test_are_the_package_s_or_the_checkout_s(installed):
    """XENHA_TEST_INSTALLED=package tests dpkg's files (agents, fence_noop, lab, man pages), else make install's."""
    from tests.lab.conftest import MANIFESTS, PACKAGE_MODE

    paths = {
        "/usr/lib/ocf/resource.d/xenha/XenDomainHA": "xenha",
        "/usr/sbin/fence_noop": "xenha",
        "/usr/lib/python3/dist-packages/xenha/ocf/protocol.py": "xenha",
        "/usr/sbin/xenha-lab": "xenha-lab",
        "/usr/lib/xenha-sim/bin/xl": "xenha-lab",
    }
    if not PACKAGE_MODE:
        listed = MANIFESTS[0].read_text().split() + MANIFESTS[1].read_text().split()
        assert set(paths) <= set(listed)
        return
    for path, package in paths.items():
        owner = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True, check=False, timeout=30)
        assert owner.stdout == f"{package}: {path}\n", owner.stderr
    # every file the package puts under /etc is a conffile (an admin's edits survive upgrades)
    files = subprocess.run(["dpkg-query", "-L", "xenha"], capture_output=True, text=True, check=True, timeout=30)
    in_etc = {p for p in files.stdout.split() if p.startswith("/etc/") and os.path.isfile(p)}
    shown = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "xenha"], capture_output=True, text=True, check=True)
    conffiles = {line.split()[0] for line in shown.stdout.splitlines() if line.strip()}
    assert "/etc/default/xenha-bootguard" in in_etc and in_etc == conffiles
    page = subprocess.run(["man", "-w", "ocf_xenha_XenDomainHA"], capture_output=True, text=True, check=False)
    assert page.stdout.strip() == "/usr/share/man/man7/ocf_xenha_XenDomainHA.7.gz", page.stderr
    enabled = "/etc/systemd/system/multi-user.target.wants/xenha-bootguard.service"
    assert subprocess.run(["readlink", enabled], capture_output=True, text=True, check=False).stdout.strip() == (
        "/lib/systemd/system/xenha-bootguard.service"
    )
