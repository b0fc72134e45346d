"""The installed agents as pacemaker and crmsh read them (crm_resource, crm ra info, stonith_admin, ocf-tester DTD)."""

from __future__ import annotations

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
    lint = subprocess.run(
        ["xmllint", "--noout", "--valid", "-"],
        input=shown.stdout,
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
