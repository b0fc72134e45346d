# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DrbdDualPrimary: pure decisions, parameters, metadata, and monitor/promote against /proc/drbd files."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from xenha import ocf
from xenha.agents import drbddual
from xenha.agents.drbddual import Health, Observation, dual_primary_refusal, monitor_code, promotion_score
from xenha.drbd.model import DrbdVolume
from xenha.errors import ConfigError
from xenha.ocf import Env, ExitCode

REPO = Path(__file__).resolve().parents[2]
SCORES = (10000, 1000, 5, 1)


def vol(role="Secondary", peer="Secondary", cs="Connected", disk="UpToDate", pdisk="UpToDate") -> DrbdVolume:
    return DrbdVolume(
        resource="r0",
        minor=0,
        volume=0,
        role=role,
        peer_role=peer,
        cstate=cs,
        disk=disk,
        peer_disk=pdisk,
    )


def obs(*vols: DrbdVolume) -> Observation:
    return Observation(volumes=vols, major=8)


def env(action="monitor", **params: str) -> Env:
    environ = {f"OCF_RESKEY_{k}": v for k, v in params.items()}
    return Env.from_environ(environ, ["DrbdDualPrimary", action], resource_type="DrbdDualPrimary")


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (vol(), 10000),
        (vol(role="Primary", cs="WFConnection", peer="Unknown", pdisk="DUnknown"), 10000),
        (vol(cs="WFConnection", peer="Unknown", pdisk="DUnknown"), 1000),
        (vol(disk="Consistent", cs="WFConnection", peer="Unknown", pdisk="DUnknown"), 5),
        (vol(disk="Outdated", cs="WFConnection", peer="Unknown", pdisk="DUnknown"), 1),
        (vol(disk="Inconsistent", cs="SyncTarget"), None),
        (vol(disk="Diskless"), None),
        # a Primary whose disk failed keeps the lowest score: never demoted under its guest, guests prefer the peer
        (vol(role="Primary", disk="Diskless"), 1),
        (vol(role="Primary", disk="Diskless", cs="WFConnection", peer="Unknown", pdisk="DUnknown"), None),
        (vol(role="Primary", disk="Diskless", pdisk="Outdated"), None),
    ],
)
def test_promotion_score_follows_disk_state(volume, expected):
    assert promotion_score(obs(volume), SCORES) == expected


def test_a_diskless_primary_gets_the_lowest_score_in_any_order():
    assert promotion_score(obs(vol(role="Primary", disk="Diskless")), (1, 2, 3, 4)) == 1


def test_score_of_multi_volume_resource_is_the_weakest():
    assert promotion_score(obs(vol(), vol(disk="Consistent")), SCORES) == 5
    assert promotion_score(obs(vol(), vol(disk="Inconsistent")), SCORES) is None


def test_no_score_when_stopped():
    assert promotion_score(obs(), SCORES) is None


@pytest.mark.parametrize(
    ("volume", "code"),
    [
        (vol(), ExitCode.SUCCESS),
        (vol(role="Primary"), ExitCode.RUNNING_PROMOTED),
        (vol(role="Primary", peer="Primary"), ExitCode.RUNNING_PROMOTED),
        (vol(cs="WFConnection", peer="Unknown", pdisk="DUnknown"), ExitCode.DEGRADED),
        (vol(role="Primary", cs="SyncSource", pdisk="Inconsistent"), ExitCode.DEGRADED_PROMOTED),
        (
            vol(role="Primary", cs="WFConnection", disk="Diskless", peer="Unknown", pdisk="DUnknown"),
            ExitCode.FAILED_PROMOTED,
        ),
    ],
)
def test_monitor_codes(volume, code):
    assert monitor_code(obs(volume), was_connected=False)[0] == code


def test_stopped_is_not_running():
    assert monitor_code(obs(), was_connected=True) == (ExitCode.NOT_RUNNING, None)


def test_standalone_after_connected_is_split_brain():
    sb = vol(cs="StandAlone", peer="Unknown", pdisk="DUnknown")
    # degraded, not failed: a failure would make pacemaker stop the guests and DRBD for nothing
    assert monitor_code(obs(sb), was_connected=True) == (ExitCode.DEGRADED, "split-brain")
    primary = vol(role="Primary", cs="StandAlone", peer="Unknown", pdisk="DUnknown")
    assert monitor_code(obs(primary), was_connected=True) == (ExitCode.DEGRADED_PROMOTED, "split-brain")
    # StandAlone that was never connected (a fresh start without a peer) is only degraded.
    assert monitor_code(obs(sb), was_connected=False)[0] == ExitCode.DEGRADED


def test_dual_primary_needs_connected_uptodate_pair():
    p = drbddual.params_from(env(drbd_resource="r0"))
    assert dual_primary_refusal(obs(vol(peer="Primary")), p) is None
    syncing = vol(peer="Primary", cs="SyncSource", pdisk="Inconsistent")
    assert "Connected UpToDate/UpToDate" in (dual_primary_refusal(obs(syncing), p) or "")
    relaxed = drbddual.params_from(env(drbd_resource="r0", require_uptodate_peer_for_dual="false"))
    assert dual_primary_refusal(obs(syncing), relaxed) is None


def test_never_promote_outdated_or_inconsistent():
    p = drbddual.params_from(env(drbd_resource="r0", require_uptodate_peer_for_dual="false"))
    for disk in ("Outdated", "Inconsistent", "Consistent", "Diskless"):
        assert "not UpToDate" in (dual_primary_refusal(obs(vol(disk=disk)), p) or "")


def test_health():
    assert obs().health is Health.STOPPED
    assert obs(vol(role="Primary")).health is Health.PRIMARY


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "drbd_resource is required"),
        ({"drbd_resource": "r0; rm -rf /"}, "not a valid DRBD resource name"),
        ({"drbd_resource": "r0", "promotion_scores": "1 2 3"}, "four integers"),
        ({"drbd_resource": "r0", "wfc_timeout": "soon"}, "whole number"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ConfigError, match=message):
        drbddual.params_from(env("start", **params))


def test_stop_tolerates_bad_optional_parameters():
    p = drbddual.params_from(env("stop", drbd_resource="r0", promotion_scores="x"))
    assert p.resource == "r0"
    assert p.scores == SCORES


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"clone_max": "3", "promoted_max": "1", "notify": "true"}, "clone-max=3"),
        ({"clone_max": "2", "promoted_max": "3", "notify": "true"}, "promoted-max=3"),
        ({"clone_max": "2", "master_max": "3", "notify": "true"}, "promoted-max=3"),
        ({"clone_max": "2", "clone_node_max": "2", "notify": "true"}, "clone-node-max=2"),
        ({"clone_max": "2", "notify": "false"}, "notify=true"),
    ],
)
def test_clone_meta_checks(meta, message):
    environ = {f"OCF_RESKEY_CRM_meta_{k}": v for k, v in meta.items()}
    e = Env.from_environ(environ, ["a", "start"], resource_type="DrbdDualPrimary")
    with pytest.raises(ConfigError, match=message):
        drbddual.check_clone_meta(e, 8, "r0")


def test_notify_reads_current_and_deprecated_names():
    environ = {
        "OCF_RESKEY_CRM_meta_notify_type": "post",
        "OCF_RESKEY_CRM_meta_notify_operation": "promote",
        "OCF_RESKEY_CRM_meta_notify_promoted_uname": "ha1 ",
        "OCF_RESKEY_CRM_meta_notify_master_uname": "ha2",
        "OCF_RESKEY_CRM_meta_notify_slave_uname": "ha3",
    }
    e = Env.from_environ(environ, ["a", "notify"], resource_type="DrbdDualPrimary")
    assert drbddual.notify_summary(e) == "post-promote (promoted=ha1,ha2 unpromoted=ha3)"


def test_metadata_is_valid_for_dtd_and_ocf_1_1():
    from tests.unit.test_meta import validate

    out = io.StringIO()
    assert ocf.run(drbddual.AGENT, {}, {}, ["DrbdDualPrimary", "meta-data"], stdout=out) == 0
    validate(out.getvalue())


def test_launcher_meta_data_runs_in_an_empty_environment():
    proc = subprocess.run(
        ["/usr/bin/python3", str(REPO / "ocf" / "DrbdDualPrimary"), "meta-data"],
        env={"PYTHONPATH": str(REPO / "lib")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'name="DrbdDualPrimary"' in proc.stdout


def test_split_brain_reason_fits_pacemakers_exit_reason_limit():
    p = drbddual.params_from(env(drbd_resource="a-rather-long-resource-name-r0"))
    reason = drbddual._split_brain_reason(p)
    assert len(reason.encode()) <= 128  # pacemaker keeps 128 bytes (PCMK__EXIT_REASON_MAX_LEN)
    assert "split-brain" in reason
    assert "drbdadm connect --discard-my-data a-rather-long-resource-name-r0" in drbddual._split_brain_help(p)
