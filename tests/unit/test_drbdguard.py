# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""drbdguard: which disks are DRBD, how their state is read (and with how few forks), and the start/migrate verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fixtures import FIXTURES, fixture_params
from xenha.drbd.adm import parse_sh_dev
from xenha.drbd.guard import (
    DrbdDisk,
    Observed,
    Verdict,
    check_migrate,
    check_start,
    decide_migrate,
    decide_start,
    drbd_disks,
    observe,
)
from xenha.drbd.model import DrbdVolume, Role
from xenha.errors import NotInstalled, ParseError
from xenha.run import Deadline, Result
from xenha.xen.config import parse_domu_config

PROC_84 = "reconstructed/proc_drbd/84_connected_{}.txt"
PROC_9 = (
    "version: 9.2.8 (api:2/proto:86-122)\n"
    "GIT-hash: 0123456789abcdef0123456789abcdef01234567 build by root@ha1, 2024-03-01 10:00:00\n"
    "Transports (api:21): tcp (9.2.8)\n"
)


class FakeRunner:
    """Answers argv by exact match from a table; records every call (the fork count is what these tests check)."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str, str]] | None = None, missing: Sequence[str] = ()):
        self.answers = answers or {}
        self.missing = set(missing)
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result:
        key = tuple(argv)
        self.calls.append(key)
        if key[0] in self.missing:
            raise NotInstalled(f"{key[0]}: not installed")
        rc, out, err = self.answers[key]
        return Result(argv=key, rc=rc, stdout=out, stderr=err, elapsed=0.0)


def vol(
    role="Secondary", peer="Secondary", cs="Connected", disk="UpToDate", pdisk="UpToDate", *, name=None
) -> DrbdVolume:
    return DrbdVolume(
        resource="r0",
        minor=0,
        volume=0,
        role=role,
        peer_role=peer,
        cstate=cs,
        disk=disk,
        peer_disk=pdisk,
        peer=name,
    )


R0 = DrbdDisk("r0")


def seen(*volumes: DrbdVolume, disk: DrbdDisk = R0) -> list[Observed]:
    return [Observed(disk, volumes)]


def no_links(path: str) -> str:
    return path  # what os.path.realpath returns for a link udev did not create


# -- which disks ---------------------------------------------------------------------------------------------------


def test_drbd_disks_from_a_config_in_order_without_duplicates():
    config = parse_domu_config(
        'name = "web1"\n'
        "disk = ['drbd:r0,xvda,w', 'phy:/dev/drbd1,xvdb,w', 'phy:/dev/drbd/by-res/r2/1,xvdc,w',\n"
        "        'file:/srv/web1-swap.img,xvdd,w', 'phy:/dev/drbd1,xvde,r', 'phy:/dev/vg0/web1,xvdf,w']\n"
    )
    disks = drbd_disks(config.disks)
    assert disks == (DrbdDisk("r0"), DrbdDisk(None, minor=1), DrbdDisk("r2", volume=1))
    assert [d.label for d in disks] == ["drbd r0", "drbd minor 1", "drbd r2/1"]


def test_a_guest_without_drbd_is_safe_without_any_io(tmp_path):
    runner = FakeRunner()
    config = parse_domu_config("name = 'db'\ndisk = ['phy:/dev/vg0/db,xvda,w']\n")
    result = check_start(drbd_disks(config.disks), incoming=False, run=runner, deadline=Deadline(5),
                         proc_drbd=str(tmp_path / "absent"))  # fmt: skip
    assert result.verdict is Verdict.SAFE
    assert runner.calls == []


# -- decisions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "verdict", "words"),
    [
        (vol(), Verdict.SAFE, None),
        (vol(role="Primary"), Verdict.SAFE, None),
        (vol(cs="WFConnection", peer="Unknown", pdisk="DUnknown"), Verdict.SAFE, None),  # the survivor may start it
        (vol(cs="SyncSource", pdisk="Inconsistent"), Verdict.SAFE, None),
        (vol(peer="Primary"), Verdict.REFUSE, "Primary on the peer"),
        # Dual-primary (promoted on both by the cluster): DRBD cannot tell where the guest runs; the cluster can.
        (vol(role="Primary", peer="Primary"), Verdict.SAFE, None),
        (vol(disk="Inconsistent", cs="SyncTarget"), Verdict.REFUSE, "Inconsistent, not UpToDate"),
        (vol(disk="Outdated", cs="WFConnection", peer="Unknown", pdisk="DUnknown"), Verdict.REFUSE, "Outdated"),
        (vol(disk="Diskless", pdisk="UpToDate"), Verdict.REFUSE, "Diskless"),
        (vol(cs="Unconfigured", disk="Diskless"), Verdict.REFUSE, "not configured"),
    ],
)
def test_decide_start(volume, verdict, words):
    result = decide_start(seen(volume), incoming=False)
    assert result.verdict is verdict
    if words is not None:
        assert words in result.reason
        assert result.reason.startswith("drbd r0: ")


def test_a_primary_peer_is_expected_while_migrating_in():
    assert decide_start(seen(vol(peer="Primary")), incoming=True).is_safe
    # ... but stale data still is not
    assert decide_start(seen(vol(peer="Primary", disk="Outdated")), incoming=True).verdict is Verdict.REFUSE


def test_start_refusal_beats_an_unknown_disk_and_every_reason_is_kept():
    observed = [Observed(DrbdDisk("r1"), (), "cannot map to a minor"), *seen(vol(peer="Primary"))]
    result = decide_start(observed, incoming=False)
    assert result.verdict is Verdict.REFUSE
    assert result.reason.startswith("drbd r0: Primary on the peer")
    assert result.reason.endswith("(and 1 more)")
    assert decide_start(observed[:1], incoming=False).verdict is Verdict.UNDETERMINED


def test_a_minor_missing_from_proc_drbd_is_refused():
    assert decide_start([Observed(DrbdDisk(None, minor=7))], incoming=False).reason == (
        "drbd minor 7: not configured on this node"
    )


def test_drbd9_any_primary_peer_refuses_a_start():
    volumes = (vol(name="ha2"), vol(name="ha3", peer="Primary"))
    result = decide_start(seen(*volumes), incoming=False)
    assert result.verdict is Verdict.REFUSE
    assert "Primary on peer ha3" in result.reason


@pytest.mark.parametrize(
    ("volume", "verdict", "words"),
    [
        (vol(role="Primary"), Verdict.SAFE, None),  # promotable on the target
        (vol(role="Primary", peer="Primary"), Verdict.SAFE, None),  # dual-primary already
        (vol(role="Primary", cs="SyncTarget", disk="Inconsistent"), Verdict.SAFE, None),  # the target is the source
        (vol(role="Primary", cs="WFConnection", peer="Unknown", pdisk="DUnknown"), Verdict.REFUSE, "not connected"),
        (vol(role="Primary", cs="StandAlone", peer="Unknown", pdisk="DUnknown"), Verdict.REFUSE, "(StandAlone)"),
        (vol(role="Primary", cs="SyncSource", pdisk="Inconsistent"), Verdict.REFUSE, "data on ha2 is Inconsistent"),
        (vol(role="Primary", pdisk="Outdated"), Verdict.REFUSE, "Outdated, not UpToDate"),
        (vol(cs="Unconfigured", disk="Diskless"), Verdict.REFUSE, "not configured"),
    ],
)
def test_decide_migrate(volume, verdict, words):
    result = decide_migrate(seen(volume), target="ha2")
    assert result.verdict is verdict
    if words is not None:
        assert words in result.reason


def test_drbd9_migration_looks_at_the_connection_to_the_target():
    volumes = (vol(role="Primary", name="ha2"), vol(role="Primary", name="ha3", cs="Connecting", pdisk="DUnknown"))
    assert decide_migrate(seen(*volumes), target="ha2").is_safe
    assert decide_migrate(seen(*volumes), target="ha3").verdict is Verdict.REFUSE
    result = decide_migrate(seen(*volumes), target="ha4")
    assert result.verdict is Verdict.UNDETERMINED
    assert result.reason == "drbd r0: no connection to ha4"


# -- reading the state ---------------------------------------------------------------------------------------------


@pytest.fixture
def proc(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "proc_drbd"
        path.write_text(text)
        return str(path)

    return write


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_phy_minor_reads_proc_drbd_only(proc):
    path = proc(fixture_text(PROC_84.format("secondary_primary")))
    runner = FakeRunner()
    result = check_start((DrbdDisk(None, minor=0),), incoming=False, run=runner, deadline=Deadline(5), proc_drbd=path)
    assert runner.calls == []
    assert result.verdict is Verdict.REFUSE
    assert result.reason.startswith("drbd minor 0: Primary on the peer")


def test_by_res_link_is_read_without_a_fork(proc):
    path = proc(fixture_text("reconstructed/proc_drbd/84_mixed_unconfigured_gaps.txt"))
    runner = FakeRunner()
    links = {"/dev/drbd/by-res/r2/0": "/dev/drbd2"}
    found = observe((DrbdDisk("r2", volume=0),), run=runner, deadline=Deadline(5), proc_drbd=path,
                    realpath=lambda p: links.get(p, p))  # fmt: skip
    assert runner.calls == []
    assert found[0].disk == DrbdDisk("r2", volume=0, minor=2)
    assert found[0].volumes[0].role is Role.PRIMARY
    assert decide_start(found, incoming=False).is_safe


def test_sh_dev_only_when_the_link_is_missing(proc):
    path = proc(fixture_text("reconstructed/proc_drbd/84_mixed_unconfigured_gaps.txt"))
    runner = FakeRunner({("drbdadm", "sh-dev", "r1"): (0, "/dev/drbd1\n", "")})
    found = observe((DrbdDisk("r1"),), run=runner, deadline=Deadline(5), proc_drbd=path, realpath=no_links)
    assert runner.calls == [("drbdadm", "sh-dev", "r1")]
    result = decide_start(found, incoming=False)
    assert result.verdict is Verdict.REFUSE
    assert result.reason == "drbd r1: not configured on this node (Unconfigured)"


def test_multi_volume_resource_checks_every_volume(proc):
    path = proc(fixture_text("reconstructed/proc_drbd/84_mixed_unconfigured_gaps.txt"))
    runner = FakeRunner({("drbdadm", "sh-dev", "r0"): (0, "/dev/drbd2\n/dev/drbd5\n", "")})
    found = observe((DrbdDisk("r0"),), run=runner, deadline=Deadline(5), proc_drbd=path, realpath=no_links)
    assert [o.disk.label for o in found] == ["drbd r0/0", "drbd r0/1"]
    assert [o.disk.minor for o in found] == [2, 5]
    result = decide_start(found, incoming=False)
    assert result.reason == "drbd r0/1: not configured on this node (Unconfigured)"


@pytest.mark.parametrize(
    ("answer", "missing", "words"),
    [
        ((10, "", "'r9' not defined in your config (for this host).\n"), (), "not defined in your config"),
        ((0, "garbage\n", ""), (), "expected /dev/drbdN"),
        (None, ("drbdadm",), "drbdadm is not installed"),
    ],
)
def test_unmappable_resource_is_undetermined(proc, answer, missing, words):
    path = proc(fixture_text(PROC_84.format("secondary_secondary")))
    runner = FakeRunner({} if answer is None else {("drbdadm", "sh-dev", "r9"): answer}, missing=missing)
    result = check_start((DrbdDisk("r9"),), incoming=False, run=runner, deadline=Deadline(5), proc_drbd=path,
                         realpath=no_links)  # fmt: skip
    assert result.verdict is Verdict.UNDETERMINED
    assert words in result.reason


def test_drbd_not_loaded_is_undetermined(tmp_path):
    missing = str(tmp_path / "no_proc_drbd")
    result = check_start((R0,), incoming=False, run=FakeRunner(), deadline=Deadline(5), proc_drbd=missing)
    assert result.verdict is Verdict.UNDETERMINED
    assert result.reason == f"drbd r0: {missing}: DRBD is not loaded"


def test_drbd9_uses_one_drbdsetup_status(proc):
    path = proc(PROC_9)
    status = fixture_text("reconstructed/drbd9/status_json_primary_secondary.json")
    runner = FakeRunner({("drbdsetup", "status", "--json"): (0, status, "")})
    disks = (DrbdDisk("r0"), DrbdDisk(None, minor=1000), DrbdDisk("nosuch"))
    found = observe(disks, run=runner, deadline=Deadline(5), proc_drbd=path)
    assert runner.calls == [("drbdsetup", "status", "--json")]
    assert [(o.disk.label, len(o.volumes)) for o in found] == [("drbd r0/0", 1), ("drbd r0/0", 1), ("drbd nosuch", 0)]
    assert found[0].volumes[0].peer == "node-b"
    assert decide_migrate(found[:2], target="node-b").is_safe
    assert check_migrate(disks[:1], target="node-b", run=runner, deadline=Deadline(5), proc_drbd=path).is_safe


def test_drbd9_status_failure_is_undetermined(proc):
    path = proc(PROC_9)
    runner = FakeRunner({("drbdsetup", "status", "--json"): (0, "{not json", "")})
    assert check_start((R0,), incoming=False, run=runner, deadline=Deadline(5), proc_drbd=path).verdict is (
        Verdict.UNDETERMINED
    )


@pytest.mark.parametrize("path", fixture_params("proc_drbd/*", "reconstructed/proc_drbd/*"))
def test_observe_is_total_over_every_proc_drbd_fixture(path: Path):
    runner = FakeRunner({("drbdadm", "sh-dev", "r0"): (0, "/dev/drbd0\n", "")})
    disks = (DrbdDisk(None, minor=0), DrbdDisk(None, minor=1), DrbdDisk("r0"))
    found = observe(disks, run=runner, deadline=Deadline(5), proc_drbd=str(path), realpath=no_links)
    assert len(found) == 3
    for verdict in (decide_start(found, incoming=False), decide_migrate(found, target="peer")):
        assert verdict.verdict in (Verdict.SAFE, Verdict.REFUSE, Verdict.UNDETERMINED)
        assert verdict.is_safe or verdict.reasons


# -- drbdadm sh-dev ------------------------------------------------------------------------------------------------


def test_parse_sh_dev():
    assert parse_sh_dev("/dev/drbd0\n", "r0") == (0,)
    assert parse_sh_dev("/dev/drbd3\n/dev/drbd14\n", "r0") == (3, 14)
    for bad in ("", "\n", "/dev/sda\n", "/dev/drbd\n", "drbd0\n"):
        with pytest.raises(ParseError):
            parse_sh_dev(bad, "r0")


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=1 << 20), min_size=1, max_size=4))
def test_sh_dev_round_trip(minors):
    assert parse_sh_dev("".join(f"/dev/drbd{m}\n" for m in minors), "r0") == tuple(minors)


@settings(max_examples=50)
@given(st.text(max_size=30))
def test_sh_dev_raises_only_parse_error(text):
    try:
        parse_sh_dev(text, "r0")
    except ParseError:
        pass


# -- split-brain marks (DrbdDualPrimary's) ----------------------------------------------------------------------------

SPLIT = vol(role="Primary", peer="Unknown", cs="StandAlone", pdisk="DUnknown")


@pytest.mark.parametrize(
    ("disk", "marks"),
    [
        (R0, {"r0": (0,)}),  # by resource name (drbd:r0, /dev/drbd/by-res/r0)
        (DrbdDisk(None, minor=0), {"r0": (0,)}),  # by minor (phy:/dev/drbd0)
        (DrbdDisk(None, minor=0), {"other-name": (0,)}),
    ],
)
def test_a_split_brain_mark_refuses_start_and_migration(disk, marks):
    # each side of a split-brain is Primary and UpToDate in its own view: only the mark tells them apart
    assert decide_start(seen(SPLIT, disk=disk), incoming=False).verdict is Verdict.SAFE
    start = decide_start(seen(SPLIT, disk=disk), incoming=False, split_brain=marks)
    assert start.verdict is Verdict.REFUSE
    assert "unresolved split-brain" in start.reason and "starting here" in start.reason
    migrate = decide_migrate(seen(SPLIT, disk=disk), target="ha2", split_brain=marks)
    assert migrate.verdict is Verdict.REFUSE and "migrating to ha2" in migrate.reason


def test_a_mark_of_another_resource_is_not_ours():
    assert decide_start(seen(vol(), disk=R0), incoming=False, split_brain={"r1": (1,)}).verdict is Verdict.SAFE


def test_check_start_reads_the_marks_under_run_dir(proc, tmp_path):
    path = proc(fixture_text(PROC_84.format("primary_secondary")))
    run_dir = tmp_path / "run"
    (run_dir / "DrbdDualPrimary").mkdir(parents=True)
    args = {"incoming": False, "run": FakeRunner(), "deadline": Deadline(5), "proc_drbd": path}
    disk = (DrbdDisk(None, minor=0),)
    assert check_start(disk, run_dir=str(run_dir), **args).verdict is Verdict.SAFE
    (run_dir / "DrbdDualPrimary" / "split-brain.r0").write_text("0\n")
    assert check_start(disk, run_dir=str(run_dir), **args).verdict is Verdict.REFUSE
