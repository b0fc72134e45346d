# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 13's defects in XenDomainHA and AoEExport, one test each, against the scripted runner.

Fixed in session 2 (ocf.params: bounded integers and names that cannot pass for options; ocf.protocol: op timeouts
clamped; state: any id names a state file) and pinned here, where the agents' own test files did not yet: each test
fails on the code the issue was filed against. DrbdDualPrimary's and O2cbCluster's pins are in their own files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.agents.test_xendomain import Scripted, absent, listing, node, one  # noqa: F401 -- `node` is a fixture
from xenha.agents.aoeexport import params_from as aoe_params
from xenha.aoe.vblade import PidRecord, render_pid_record
from xenha.errors import ConfigError
from xenha.ocf import Env, ExitCode

HUGE = "9" * 5000  # more than int()'s 4,300 digits: a ValueError outside ConfigError before session 2


def _nothing_running() -> Scripted:
    """Stop's one listing (every domain: it looks for the guest's transient names too) with only Domain-0."""
    return Scripted().then("xl", "list", stdout=listing("xl"))


# -- XenDomainHA: option injection --------------------------------------------------------------------------------


def test_name_dash_a_is_refused_and_stop_never_runs_xl_shutdown_dash_a(node):  # noqa: F811
    """`name=-a` passed validate-all, and stop ran `xl shutdown -a`: every other guest on the node shut down."""
    out = node("validate-all", Scripted(), name="-a")
    assert out.code == ExitCode.ERR_CONFIGURED and "-a" in out.reason
    stop = node("stop", Scripted(), name="-a")  # nothing may run: the scripted runner fails on any command
    assert stop.code == ExitCode.SUCCESS


@pytest.mark.parametrize("name", ["-1", "-" + "9" * 300])
def test_names_that_look_like_options_make_a_probe_not_running_never_a_failure(node, name):  # noqa: F811
    """Names `-1` or `-999...` made the probe fail (1)."""
    out = node("monitor", Scripted(), interval=0, name=name)
    assert out.code == ExitCode.NOT_RUNNING and not out.reasons


# -- XenDomainHA: numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"shutdown_timeout": HUGE}, {"migration_port": HUGE}, {"shutdown_timeout": "1e400"},
     {"shutdown_timeout": "\u00b2"}],
    ids=["shutdown_timeout-5000-digits", "migration_port-5000-digits", "shutdown_timeout-1e400", "superscript-two"],
)  # fmt: skip
def test_stop_with_numbers_python_cannot_hold_still_finds_the_guest_gone(node, params):  # noqa: F811
    """Stop failed (1) with ValueError/OverflowError and left the guest running; validate-all passed 1e400."""
    assert node("stop", _nothing_running(), **params).code == ExitCode.SUCCESS
    out = node("validate-all", Scripted(), **params)
    assert out.code == ExitCode.ERR_CONFIGURED and len(out.reason.encode()) <= 128


@pytest.mark.parametrize("timeout", ["1" + "0" * 309, HUGE], ids=["10^309", "5000-digits"])
def test_stop_with_an_op_timeout_of_10_to_the_309_still_answers(node, timeout):  # noqa: F811
    out = node("stop", _nothing_running(), meta={"timeout": timeout})
    assert out.code == ExitCode.SUCCESS


# -- XenDomainHA: names of state files ----------------------------------------------------------------------------


@pytest.mark.parametrize("instance", ["w\u00e9b1", "w" * 250], ids=["non-ascii-letter", "250-characters"])
def test_utilization_with_any_clone_id_pacemaker_accepts_keeps_the_monitor_running(node, instance):  # noqa: F811
    """With autoset_utilization_* on, every recurring monitor failed ("unsafe state file name")."""
    util = {"autoset_utilization_cpu": "true", "autoset_utilization_hv_memory": "true"}
    script = (
        Scripted()
        .then("xl", "list", "web1", stdout=one("xl"))
        .then("crm_resource", "-r", instance, "-z", "-p", "cpu", "-v", "2")
        .then("crm_resource", "-r", instance, "-z", "-p", "hv_memory", "-v", "2048")
    )
    out = node("monitor", script, env={"OCF_RESOURCE_INSTANCE": instance}, name="web1", **util)
    assert out.code == ExitCode.SUCCESS, out.stderr
    again = node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl")),
                 env={"OCF_RESOURCE_INSTANCE": instance}, name="web1", **util)  # fmt: skip
    assert again.code == ExitCode.SUCCESS  # remembered: no crm_resource the second time


# -- AoEExport: numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["shelf", "slot", "buffers"])
def test_aoe_stop_with_5000_digit_numbers_stops_the_recorded_vblade(tmp_path: Path, param: str) -> None:
    """shelf, slot and buffers of 5,000 digits made stop fail (1): vblade stayed up."""
    state = tmp_path / "AoEExport"
    state.mkdir(mode=0o700)
    argv = ["/usr/sbin/vblade", "--", "7", "3", "eth9", "/srv/disk"]
    (state / "vblade-aoe9.pid").write_text(render_pid_record(PidRecord(4242, tuple(argv))))
    environ = {
        "XENHA_RUN_DIR": str(tmp_path),
        "OCF_RESOURCE_INSTANCE": "aoe9",
        "OCF_RESKEY_device": "/srv/disk",
        "OCF_RESKEY_shelf": "7",
        "OCF_RESKEY_slot": "3",
        "OCF_RESKEY_nic": "eth9",
        f"OCF_RESKEY_{param}": HUGE,
    }
    p = aoe_params(Env.from_environ(environ, ["AoEExport", "stop"], resource_type="AoEExport"))
    assert (p.shelf, p.slot, p.nic, p.device) == (7, 3, "eth9", "/srv/disk")  # the recorded vblade, to stop it
    with pytest.raises(ConfigError) as info:
        aoe_params(Env.from_environ(environ, ["AoEExport", "start"], resource_type="AoEExport"))
    assert len(info.value.reason.encode()) <= 128 and os.linesep not in info.value.reason


# -- XenDomainHA: reads with no deadline --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_config_that_is_a_fifo_or_a_directory_answers_at_once(node, kind):  # noqa: F811
    """A FIFO config hung probe, monitor, stop, validate-all and start past the op timeout."""
    node.config.unlink()
    if kind == "fifo":
        os.mkfifo(node.config)
    else:
        node.config.mkdir()
    probe = node("monitor", absent(Scripted(), "xl"), interval=0)  # the instance name is the guest's
    assert probe.code == ExitCode.NOT_RUNNING and probe.elapsed < 2.0
    check = node("validate-all", Scripted())
    assert check.code in (ExitCode.ERR_CONFIGURED, ExitCode.ERR_INSTALLED) and check.elapsed < 2.0
    assert "not a regular file" in check.reason
    stop = node("stop", _nothing_running())
    assert stop.code == ExitCode.SUCCESS and stop.elapsed < 2.0


@pytest.mark.parametrize("timeout", ["1" + "0" * 309, HUGE], ids=["10^309", "5000-digits"])
def test_aoe_stop_with_an_op_timeout_of_10_to_the_309_still_answers(tmp_path: Path, timeout: str) -> None:
    from tests.agents.scripted import ScriptedRunner
    from xenha.agents import aoeexport

    environ = {
        "HA_LOGFACILITY": "none",
        "XENHA_RUN_DIR": str(tmp_path),
        "OCF_RESOURCE_INSTANCE": "aoe9",
        "OCF_RESKEY_device": "/srv/disk",
        "OCF_RESKEY_shelf": "7",
        "OCF_RESKEY_slot": "3",
        "OCF_RESKEY_nic": "xenha-no-such-nic",
        "OCF_RESKEY_CRM_meta_timeout": timeout,
    }
    with ScriptedRunner() as runner:
        assert aoeexport.main(["AoEExport", "stop"], environ, runner=runner) == ExitCode.SUCCESS
