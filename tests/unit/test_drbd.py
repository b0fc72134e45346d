# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tests for xenha.drbd.proc and xenha.drbd.adm: every fixture of each kind, facts of named fixtures, round trips and
mutations."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.fixtures import FIXTURES, fixture_params, fixture_paths
from tests.oracles.drbd_adm import (
    DstatePair,
    RolePair,
    ShKnown,
    ShowOption,
    ShowSection,
    parse_cstate,
    parse_drbdadm_version,
    parse_drbdsetup_show,
    parse_dstate,
    parse_role,
    parse_sh_status,
)
from tests.oracles.drbd_usermode_helper import parse_usermode_helper, read_usermode_helper
from tests.strategies.drbd8 import (
    DIALECTS,
    Dialect,
    cstate_outputs,
    dialects,
    dstate_outputs,
    proc_drbd,
    role_outputs,
)
from xenha.drbd.adm import parse_drbdadm_error
from xenha.drbd.model import CONN_STATES, DISK_STATES, ROLES, ConnState, DiskState, Role, role_named
from xenha.drbd.proc import (
    BuildKind,
    ProcCounters,
    ProcDevice,
    ProcDrbd,
    Transport,
    WriteOrdering,
    parse_proc_drbd,
    read_proc_drbd,
)
from xenha.drbd.progress import LruStats, SyncProgress, VerifyProgress
from xenha.errors import ParseError

PROC_GLOBS = ("proc_drbd/*.txt", "reconstructed/proc_drbd/*.txt")
DRBDADM_GLOBS = ("drbdadm/*.txt", "reconstructed/drbdadm/*.txt")
SHOW_GLOBS = ("drbdsetup/show_*.txt",)

# Files under proc_drbd/ that are not /proc/drbd. sys_module_drbd_parameters_usermode_helper.txt is the
# content of /sys/module/drbd/parameters/usermode_helper (SOURCES.md: Ganeti's sys_drbd_usermode_helper.txt);
# it has its own parser, parse_usermode_helper, and parse_proc_drbd must refuse it.
NOT_PROC_DRBD = {"sys_module_drbd_parameters_usermode_helper.txt": parse_usermode_helper}

SYNC_STATES = {ConnState.SYNC_SOURCE, ConnState.SYNC_TARGET, ConnState.VERIFY_S, ConnState.VERIFY_T}
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


def _proc(name: str) -> ProcDrbd:
    matches = [p for p in fixture_paths(*PROC_GLOBS) if p.name == name]
    assert len(matches) == 1, name
    return parse_proc_drbd(_text(matches[0]))


def _dev(proc: ProcDrbd, minor: int) -> ProcDevice:
    dev = proc.device(minor)
    assert dev is not None, f"minor {minor} missing"
    return dev


# ---------------------------------------------------------------------------------------------------------------------
# /proc/drbd: every fixture


@pytest.mark.parametrize("path", fixture_params(*PROC_GLOBS))
def test_proc_drbd_fixture(path: Path) -> None:
    text = _text(path)
    if path.name in NOT_PROC_DRBD:
        NOT_PROC_DRBD[path.name](text)  # parses as what it is ...
        with pytest.raises(ParseError):  # ... and is not /proc/drbd
            parse_proc_drbd(text)
        return
    proc = parse_proc_drbd(text)
    assert proc.devices, "every /proc/drbd fixture shows at least one minor"
    minors = [d.minor for d in proc.devices]
    assert minors == sorted(set(minors))
    assert len(proc.volumes()) == len(proc.devices)
    for dev in proc.devices:
        if not dev.is_configured:
            assert (dev.role, dev.flags, dev.counters, dev.progress) == (None, None, None, None)
            continue
        assert dev.role is not None and dev.role is not Role.UNKNOWN  # the local role is never Unknown
        assert dev.flags is not None and 4 <= len(dev.flags) <= 6
        assert dev.role_key in ("st", "ro")
        if proc.version is not None:
            assert (dev.role_key == "st") == ((proc.major, proc.minor) < (8, 3))
        # The kernel prints progress exactly for Sync*/Verify* (8.4.11:drbd_proc.c:315-319).
        assert (dev.progress is not None) == (dev.cstate in SYNC_STATES)


def test_not_proc_drbd_list_is_current() -> None:
    names = {p.name for p in fixture_paths(*PROC_GLOBS)}
    assert set(NOT_PROC_DRBD) <= names


def test_usermode_helper_fixture() -> None:
    path = FIXTURES / "proc_drbd" / "sys_module_drbd_parameters_usermode_helper.txt"
    assert read_usermode_helper(path) == "/bin/true"  # Ganeti's setting: every DRBD handler disabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/sbin/drbdadm\n", "/sbin/drbdadm"), ("/bin/true", "/bin/true"), ("\n", "")],
)
def test_usermode_helper(text: str, expected: str) -> None:
    assert parse_usermode_helper(text) == expected


@pytest.mark.parametrize("text", ["/bin/true\n/bin/false\n", " /bin/true\n", "/bin/\x00true\n"])
def test_usermode_helper_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_usermode_helper(text)


# ---------------------------------------------------------------------------------------------------------------------
# /proc/drbd: facts of named fixtures

# Ganeti's mixed-state samples put the same minors in the same states for 8.0, 8.3 and 8.4.
MIXED = {
    0: (ConnState.CONNECTED, Role.PRIMARY, Role.SECONDARY, DiskState.UPTODATE, DiskState.UPTODATE),
    1: (ConnState.CONNECTED, Role.SECONDARY, Role.PRIMARY, DiskState.UPTODATE, DiskState.UPTODATE),
    2: (ConnState.UNCONFIGURED, None, None, None, None),
    4: (ConnState.WF_CONNECTION, Role.PRIMARY, Role.UNKNOWN, DiskState.UPTODATE, DiskState.DUNKNOWN),
    6: (ConnState.CONNECTED, Role.SECONDARY, Role.PRIMARY, DiskState.DISKLESS, DiskState.UPTODATE),
    8: (ConnState.STANDALONE, Role.SECONDARY, Role.UNKNOWN, DiskState.UPTODATE, DiskState.DUNKNOWN),
}


@pytest.mark.parametrize(
    ("name", "minors"),
    [
        ("80_ganeti_mixed_states.txt", (0, 1, 2, 4, 5, 6, 7, 8)),
        ("83_ganeti_mixed_states.txt", (0, 1, 2, 4, 5, 6, 7, 8)),
        ("84_ganeti_mixed_states.txt", (0, 1, 2, 4, 6, 8)),
        ("84_ganeti_first_minor_missing.txt", (1, 2, 4, 6, 8)),
    ],
)
def test_mixed_states(name: str, minors: tuple[int, ...]) -> None:
    proc = _proc(name)
    assert tuple(d.minor for d in proc.devices) == minors
    for dev in proc.devices:
        if dev.minor in MIXED:
            assert (dev.cstate, dev.role, dev.peer_role, dev.disk, dev.peer_disk) == MIXED[dev.minor]
    assert _dev(proc, 8).protocol is None  # StandAlone: no net_conf, a blank instead of A/B/C
    assert _dev(proc, 6).protocol == "C"


def test_84_mixed_states_common_view() -> None:
    vols = {v.minor: v for v in _proc("84_ganeti_mixed_states.txt").volumes()}
    assert vols[0].is_primary and vols[0].is_connected and vols[0].is_peer_uptodate
    assert not vols[0].both_primary
    assert vols[1].is_peer_primary and not vols[1].is_primary
    assert not vols[2].is_configured
    assert (vols[2].role, vols[2].disk, vols[2].peer_disk) == (Role.SECONDARY, DiskState.DISKLESS, DiskState.DUNKNOWN)
    assert not vols[4].is_connected and vols[4].peer_role is Role.UNKNOWN
    assert vols[6].disk is DiskState.DISKLESS and vols[6].is_connected
    assert (vols[8].cstate, vols[8].resource, vols[8].volume) == (ConnState.STANDALONE, None, None)
    assert vols[0].to_json()["cstate"] == "Connected"


@pytest.mark.parametrize(
    ("name", "minors"),
    [
        ("80_ganeti_gap_emptyline.txt", (0, 1, 2, 5, 6)),
        ("84_ganeti_first_minor_missing.txt", (1, 2, 4, 6, 8)),
        ("84_mixed_unconfigured_gaps.txt", (1, 2, 5)),
        ("84_node_exporter_primary_primary_srcversion.txt", (1,)),
        ("84_ganeti_syncsource.txt", (0, 3, 5)),
    ],
)
def test_holes_keep_printed_minor_numbers(name: str, minors: tuple[int, ...]) -> None:
    assert tuple(d.minor for d in _proc(name).devices) == minors


def test_nul_fifth_flag_8_3_1() -> None:
    proc = _proc("83_ganeti_mixed_states.txt")
    nul = {d.minor for d in proc.devices if d.flags_nul}
    assert nul == {1, 6, 7, 8}
    for minor in (0, 1, 4, 8):
        dev = _dev(proc, minor)
        assert dev.flags == "r----" and dev.congestion is None and not dev.is_io_suspended
    assert _dev(proc, 1).counters == ProcCounters(0, 140980, 140980, 0, 0, 8, 0, 0, 0, 0, 1, WriteOrdering.FLUSH, 0)


def test_84_syncsource_percent() -> None:
    proc = _proc("84_ganeti_syncsource.txt")
    dev = _dev(proc, 5)
    assert (dev.cstate, dev.role, dev.peer_role) == (ConnState.SYNC_SOURCE, Role.SECONDARY, Role.SECONDARY)
    assert dev.flags == "r---n-" and dev.congestion == "n"
    p = dev.progress
    assert isinstance(p, SyncProgress)
    assert (p.percent, p.left, p.total, p.unit, p.finish, p.speed, p.speed_mean) == (
        68.5, 335744, 1048576, "K", 5, 64800, 64800,
    )  # fmt: skip
    assert p.want is None and not p.stalled and not p.verify
    assert dev.volume().sync_percent == 68.5 and dev.volume().is_syncing
    standalone = _dev(proc, 0).counters
    assert standalone is not None and standalone.wo is WriteOrdering.DRAIN
    assert not _dev(proc, 3).is_configured


def test_83_syncsource_no_newline_before_finish() -> None:
    dev = _dev(_proc("83_ganeti_syncsource_kernel2.6.39.txt"), 3)
    p = dev.progress
    assert isinstance(p, SyncProgress)
    assert (p.permille, p.left, p.total, p.unit, p.finish, p.speed) == (24, 14996, 15360, "M", 248, 61736)
    assert p.left_kib == 14996 * 1024
    assert dev.protocol == "A"


def test_83_synctarget_space_indented_progress() -> None:
    dev = _dev(_proc("83_ganeti_synctarget.txt"), 3)
    assert dev.cstate is ConnState.SYNC_TARGET and dev.sync_percent == 34.9
    assert isinstance(dev.progress, SyncProgress) and dev.progress.unit == "M"


def test_83_synctarget_want_srcversion() -> None:
    proc = _proc("83_ganeti_synctarget_want_srcversion.txt")
    assert (proc.build_kind, proc.build, proc.version) == (BuildKind.SRCVERSION, "2D876214BAAD53B31ADC1D6", "8.3.11")
    dev = _dev(proc, 0)
    assert isinstance(dev.progress, SyncProgress)
    assert (dev.progress.want, dev.progress.percent, dev.progress.unit) == (61440, 44.4, "K")
    assert dev.counters is not None and dev.counters.oos == 588416  # despite the trailing blank


def test_84_stalled_and_megabytes() -> None:
    stalled = _dev(_proc("84_syncsource_stalled.txt"), 0).progress
    assert isinstance(stalled, SyncProgress)
    assert stalled.stalled and stalled.finish == 12 * 3600 + 48 * 60 and stalled.speed == 0
    target = _dev(_proc("84_synctarget_progress_M.txt"), 0).progress
    assert isinstance(target, SyncProgress)
    assert (target.left, target.total, target.unit, target.want) == (3788, 10240, "M", 102400)
    assert target.total_kib == 10240 * 1024


def test_84_pausedsyncs_flags() -> None:
    proc = _proc("84_pausedsyncs_after_dependency.txt")
    paused = _dev(proc, 1)
    assert paused.cstate is ConnState.PAUSED_SYNC_S and paused.is_resync_paused and paused.progress is None
    assert not _dev(proc, 0).is_resync_paused and _dev(proc, 0).sync_percent == 40.0


def test_80_lru_and_svn_build() -> None:
    proc = _proc("806_connected_and_wfconnection_lru_stats.txt")
    assert (proc.build_kind, proc.proto_min, proc.proto_max, proc.api) == (BuildKind.SVN, 86, None, 86)
    assert proc.build == "3048 build by root@host, 2007-09-03 10:39:27"
    act_log = LruStats("act_log", 0, 257, 793749, 1067, 0, 0, 1067, "dirty")
    assert [s.name for s in _dev(proc, 0).lru] == ["resync", "act_log"]
    assert _dev(proc, 0).lru[1] == act_log
    assert _dev(proc, 0).role_key == "st"


def test_header_variants() -> None:
    no_version = _proc("80_ganeti_no_version_line.txt")
    assert (no_version.version, no_version.major, no_version.is_drbd9) == (None, None, False)
    assert no_version.git_hash == "5c9f89594553e32adb87d9638dce591782f947e3"
    redacted = _proc("docs_84_ug_849_redacted_githash.txt")  # GIT-hash "[...]" printed twice, no counters
    assert (redacted.version, redacted.major, redacted.minor, redacted.git_hash) == ("8.4.9-1", 8, 4, None)
    assert _dev(redacted, 0).counters is None
    exporter = _proc("84_node_exporter_primary_primary_srcversion.txt")
    assert exporter.build == "1A9F77B1CA5FF92235C2213"
    assert exporter.volumes()[0].both_primary
    assert _dev(exporter, 1).counters == ProcCounters(
        17324442, 10961011, 28263521, 118696670, 1100, 221, 12345, 12346, 12347, 12348, 1, WriteOrdering.DRAIN, 12349
    )
    docs = _proc("docs_84_ug_840_three_minors.txt")  # hand-edited: 4 flags on an 8.4 listing
    assert [d.flags for d in docs.devices] == ["r-----", "r---", "r---"]
    assert _proc("docs_83_ug_8312_leading_blank.txt").proto_max == 96


# ---------------------------------------------------------------------------------------------------------------------
# /proc/drbd: DRBD 9 headers (GRAMMAR §3.1; no fixture file has one, these follow drbd_proc.c's printf)


def test_drbd9_header_only() -> None:
    proc = parse_proc_drbd(
        "version: 9.0.6-1 (api:2/proto:86-112)\n"
        "GIT-hash: 08cda190c4f544a0c4e15ba792bbf47c69707b42 build by root@host, 2017-01-19 09:15:40\n"
        "Transports (api:15): tcp (1.0.0)\n"
    )
    assert (proc.is_drbd9, proc.major, proc.minor, proc.devices) == (True, 9, 0, ())
    assert (proc.transports_api, proc.transports) == (15, (Transport("tcp", "1.0.0"),))
    two = parse_proc_drbd(
        "version: 9.2.8 (api:2/proto:86-122)\nbuilt-in\nTransports (api:21): tcp (9.2.8) rdma (NONE)\n"
    )
    assert two.build_kind is BuildKind.BUILT_IN and two.build is None
    assert [t.name for t in two.transports] == ["tcp", "rdma"]


def test_drbd9_compat_84_devices() -> None:
    proc = parse_proc_drbd(
        "version: 9.1.11 (api:2/proto:86-121) (compat 8.4)\n"
        "srcversion: 473968AD625BA317874A57E \n"
        "\n"
        " 1: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n"
        "    ns:0 nr:8 dw:8 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:4096\n"
        "\t[==>.................] sync'ed: 15.1% (4096/4820)K\n"
        "\tfinish: 0:00:01 speed: 1,024 (2,048 -- 1,536) want: 4,096 K/sec\n"
        "\t 15% sector pos: 1456/9640 stop sector: 9000\n"
    )
    assert proc.is_drbd9 and proc.compat == "8.4" and proc.transports == ()
    p = _dev(proc, 1).progress
    assert isinstance(p, SyncProgress) and p.sector is not None
    assert (p.speed, p.speed_recent, p.speed_mean, p.want, p.sector.stop) == (1024, 2048, 1536, 4096, 9000)


# ---------------------------------------------------------------------------------------------------------------------
# /proc/drbd: grammar corners not covered by a fixture (GRAMMAR §1.5, §1.6)


def test_old_forms_and_proc_details() -> None:
    proc = parse_proc_drbd(
        "version: 8.3.8 (api:88/proto:86-94)\n"
        "GIT-hash: d78846e52224fd00562f7c225bcc25b2d422321d build by cssint@erzc20, 2010-06-17 14:47:26\n"
        " 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r----\n"
        "    ns:11545876 nr:0 dw:11545900 dr:954551211 al:1955 bm:58360 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:523171100\n"
        "\t[>....................] sync'ed:  0.1% (510908/510908)M delay_probe: 135599\n"
        "\tstalled\n"
        " 1: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r----\n"
        "    ns:0 nr:1 dw:1 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:10\n"
        "\t[===>................] sync'ed: 20.0% (8/10)K queue_delay: 0.5 ms\n"
        "\tfinish: 0:00:01 speed: 1234,567 (4) want: 1,000 K/sec\n"
        " 2: cs:VerifyS ro:Primary/Secondary ds:UpToDate/UpToDate C r----\n"
        "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:0\n"
        "\t 45% 450/1000\n"
        "\tresync: used:0/61 hits:0 misses:0 starving:0 dirty:0 changed:0\n"
        "\tact_log: used:0/257 hits:0 misses:0 starving:0 dirty:0 changed:0\n"
        "\tnn: lc_number refcnt rs_left\n"
        " \t 0: FREE\n"
        "\t 1:   12    0       45 --------- ------\n"
    )
    stalled, target = _dev(proc, 0).progress, _dev(proc, 1).progress
    assert isinstance(stalled, SyncProgress) and isinstance(target, SyncProgress)
    assert (stalled.stalled, stalled.finish, stalled.speed, stalled.delay_probe) == (True, None, None, 135599)
    assert (target.queue_delay, target.speed, target.speed_mean, target.want) == (0.5, 1234567, 4, 1000)
    assert _dev(proc, 2).progress == VerifyProgress(45, 450, 1000)
    assert _dev(proc, 2).sync_percent == 45.0 and len(_dev(proc, 2).lru) == 2
    old = parse_proc_drbd(" 0: cs:VerifyT st:Secondary/Primary ds:UpToDate/UpToDate C r---\n\t  3% oos:7  30/1000\n")
    assert _dev(old, 0).progress == VerifyProgress(3, 30, 1000, 7)
    verified = parse_proc_drbd(
        " 0: cs:VerifyS ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
        "\t[>....................] verified:  1.5% (1000/1024)K\n"
        "\tfinish: 0:00:10 speed: 10 (10) want: 4,096 K/sec\n"
        "\tblocked on activity log: 3\n"
        " 1: cs:Unconfigured\n"
        "\tblocked on activity log: 0\n"
    )
    p = _dev(verified, 0).progress
    assert isinstance(p, SyncProgress) and p.verify and _dev(verified, 0).al_blocked == 3
    assert _dev(verified, 1).al_blocked == 0


_SYNC_LINE = " 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("hello\n", "unknown line"),
        (" 0: cs:Bogus ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n", "unknown connection state"),
        (" 0: cs:Connected ro:Primry/Secondary ds:UpToDate/UpToDate C r-----\n", "unknown role"),
        (" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/Fresh C r-----\n", "unknown disk state"),
        (" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate D r-----\n", "malformed state line"),
        (" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C x-----\n", "malformed state line"),
        (" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r\x00----\n", "malformed state line"),
        (" 0: cs:Unconfigured ro:Secondary/Unknown\n", "malformed state line"),
        (" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n    ns:1 nr:2\n", "counter"),
        ("    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0\n", "without a device"),
        (" 1: cs:Unconfigured\n 0: cs:Unconfigured\n", "not increasing"),
        (" 1: cs:Unconfigured\n 1: cs:Unconfigured\n", "not increasing"),
        (" 1: cs:Unconfigured\nversion: 8.4.2 (api:1/proto:86-101)\n", "after the devices"),
        ("GIT-hash: a build\nversion: 8.4.2 (api:1/proto:86-101)\n", "not first"),
        ("GIT-hash: a build\nGIT-hash: b build\n", "different build line"),
        ("version: eight (api:1/proto:86-101)\n", "malformed version"),
        (_SYNC_LINE + "\t[>.] sync'ed:  0.0% (1/1)K\n", "without finish"),
        (_SYNC_LINE + "\tfinish: 0:00:01 speed: 1 (1) K/sec\n", "without progress bar"),
        (_SYNC_LINE + "\t[>.] sync'ed:  0.0% (1/1)K\n\tfinish: 0:60:01 speed: 1 (1) K/sec\n", "out of range"),
        (_SYNC_LINE + "\t[>.] sync'ed: 100.1% (1/1)K\n\tfinish: 0:00:01 speed: 1 (1) K/sec\n", "above 100"),
        (" 0: cs:Unconfigured\n\t[>.] sync'ed:  0.0% (1/1)K\n", "out of place"),
        (" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n\t 0: FREE\n", "without header"),
    ],
)  # fmt: skip
def test_proc_drbd_rejects(text: str, why: str) -> None:
    with pytest.raises(ParseError, match=re.escape(why)):
        parse_proc_drbd(text)


def test_read_proc_drbd_bytes(tmp_path: Path) -> None:
    path = tmp_path / "drbd"
    path.write_bytes(
        b"version: 8.3.1 (api:88/proto:86-89)\n"
        b"GIT-hash: fd40f4a8f9104941537d1afc8521e584a6d3003c build by ph\xefl@fat-tyre, 2009-03-27 12:19:49\n"
        b" 1: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate C r---\x00\n"
        b"    ns:0 nr:140980 dw:140980 dr:0 al:0 bm:8 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
    )
    proc = read_proc_drbd(path)
    assert proc.devices[0].flags_nul and proc.build is not None and "\udcef" in proc.build
    assert proc.git_hash == "fd40f4a8f9104941537d1afc8521e584a6d3003c"


# ---------------------------------------------------------------------------------------------------------------------
# /proc/drbd: hypothesis round trips (the kernel's printf formats per release) and mutations

_NUL_LINE = " 1: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate C r---\x00\n"
_NUL_MODEL = ProcDrbd(
    devices=(
        ProcDevice(
            1, ConnState.CONNECTED, "ro", Role.SECONDARY, Role.PRIMARY, DiskState.UPTODATE, DiskState.UPTODATE, "C",
            "r----", True,
        ),
    )
)  # fmt: skip
_GLUED_TEXT = (
    "built-in\n\n"
    " 3: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent A r-----\n"
    "\t[>....................] sync'ed:  2.4% (14996/15360)Mfinish: 0:04:08 speed: 61,736 (61,736) K/sec\n"
)
_GLUED_MODEL = ProcDrbd(
    build_kind=BuildKind.BUILT_IN,
    devices=(
        ProcDevice(
            3, ConnState.SYNC_SOURCE, "ro", Role.PRIMARY, Role.SECONDARY, DiskState.UPTODATE, DiskState.INCONSISTENT,
            "A", "r-----",
            progress=SyncProgress(
                verify=False, permille=24, left=14996, total=15360, unit="M", finish=248, speed=61736,
                speed_mean=61736,
            ),
        ),
    ),
)  # fmt: skip
_STALLED_TEXT = (
    " 0: cs:SyncTarget st:Secondary/Primary ds:Inconsistent/UpToDate C r---\n"
    "\t[==>.................] sync'ed: 12.0% (900/1000)K\n"
    "\tstalled\n"
)
_STALLED_MODEL = ProcDrbd(
    devices=(
        ProcDevice(
            0, ConnState.SYNC_TARGET, "st", Role.SECONDARY, Role.PRIMARY, DiskState.INCONSISTENT, DiskState.UPTODATE,
            "C", "r---",
            progress=SyncProgress(verify=False, permille=120, left=900, total=1000, unit="K", stalled=True),
        ),
    )
)  # fmt: skip


def _dialect(name: str) -> Dialect:
    return next(d for d in DIALECTS if d.name == name)


@FAST
@given(proc_drbd(_dialect("8.4")))
@example((_GLUED_MODEL, _GLUED_TEXT))
def test_round_trip_84(case: tuple[ProcDrbd, str]) -> None:
    model, text = case
    assert parse_proc_drbd(text) == model


@FAST
@given(dialects("8.3.1", "8.3.8", "8.3.16").flatmap(proc_drbd))
@example((_NUL_MODEL, _NUL_LINE))
def test_round_trip_83(case: tuple[ProcDrbd, str]) -> None:
    model, text = case
    assert parse_proc_drbd(text) == model


@FAST
@given(dialects("8.0", "8.2.6").flatmap(proc_drbd))
@example((_STALLED_MODEL, _STALLED_TEXT))
def test_round_trip_80(case: tuple[ProcDrbd, str]) -> None:
    model, text = case
    assert parse_proc_drbd(text) == model


def test_round_trip_examples_are_what_fixtures_show() -> None:
    """The pinned examples are the fixture lines they claim to be (NUL flag, glued `)Mfinish`)."""
    assert _NUL_LINE in _text(FIXTURES / "proc_drbd" / "83_ganeti_mixed_states.txt")
    glued = _GLUED_TEXT.split("\n")[-2].lstrip("\t")
    assert glued in _text(FIXTURES / "proc_drbd" / "83_ganeti_syncsource_kernel2.6.39.txt")


_MUTATION_CHARS = "abzAZ019 :/\t\n\x00[]().,%-=>'"


@st.composite
def _mutated(draw: st.DrawFn, text: str) -> str:
    chars = list(text)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not chars:
            chars = ["x"]
        i = draw(st.integers(min_value=0, max_value=len(chars) - 1))
        op = draw(st.sampled_from(["replace", "delete", "insert", "swap"]))
        if op == "replace":
            chars[i] = draw(st.sampled_from(_MUTATION_CHARS))
        elif op == "delete":
            del chars[i : i + draw(st.integers(min_value=1, max_value=12))]
        elif op == "insert":
            chars.insert(i, draw(st.sampled_from(_MUTATION_CHARS)))
        else:
            j = draw(st.integers(min_value=0, max_value=len(chars) - 1))
            chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_proc_drbd_raises_only_parse_error(data: st.DataObject) -> None:
    _, text = data.draw(proc_drbd())
    mutated = data.draw(_mutated(text))
    try:
        parse_proc_drbd(mutated)
    except ParseError:
        pass


@pytest.mark.parametrize("path", fixture_params(*PROC_GLOBS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_mutated_fixture_raises_only_parse_error(path: Path, data: st.DataObject) -> None:
    mutated = data.draw(_mutated(_text(path)))
    try:
        parse_proc_drbd(mutated)
    except ParseError:
        pass


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)


@FAST
@given(proc_drbd(syncing=True), st.sampled_from(["cs", "role", "peer", "ds"]), _TOKEN)
def test_unknown_state_token_raises(case: tuple[ProcDrbd, str], where: str, token: str) -> None:
    _, text = case
    names = set(CONN_STATES) | set(ROLES) | set(DISK_STATES)
    assume(token not in names)
    pattern = {
        "cs": r"(cs:)\w+( (?:st|ro):)",
        "role": r"( (?:st|ro):)\w+(/)",
        "peer": r"( (?:st|ro):\w+/)\w+( ds:)",
        "ds": r"( ds:)\w+(/)",
    }[where]
    corrupted = re.sub(pattern, lambda m: m.group(1) + token + m.group(2), text, count=1)
    with pytest.raises(ParseError):
        parse_proc_drbd(corrupted)


@FAST
@given(proc_drbd(syncing=True))
def test_dropped_finish_line_raises(case: tuple[ProcDrbd, str]) -> None:
    model, text = case
    assume(isinstance(model.devices[0].progress, SyncProgress) and model.devices[0].progress.finish is not None)
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if "finish: " in line)
    if "]" in lines[index]:  # the glued `)Mfinish:` form: cut the finish part instead
        lines[index] = lines[index][: lines[index].index("finish: ")]
    else:
        del lines[index]
    with pytest.raises(ParseError):
        parse_proc_drbd("\n".join(lines))


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm one-liners, sh-status, --version and error transcripts


def _drbdadm_kind(name: str) -> str:
    """Which parser reads a drbdadm fixture; a new kind of file must be added here (the test fails until then)."""
    if "sh_status" in name:
        return "sh-status"
    if name.startswith("docs_drbdadm_version"):
        return "version"
    if name.startswith("commitmsg_drbdadm_"):
        # Error transcript (up attach failure) or create-md conversation: parse_drbdadm_error reads both;
        # create-md itself is an administrator's action and has no parser of its own.
        return "transcript"
    for kind in ("role", "cstate", "dstate"):
        if f"_{kind}_" in name:
            return kind
    raise AssertionError(f"unclassified drbdadm fixture {name}")


def _expected_words(name: str, kind: str) -> list[str]:
    """The states a one-liner fixture's name promises: 84_dstate_uptodate_dunknown.txt -> [uptodate, dunknown]."""
    return name.removesuffix(".txt").split(f"_{kind}_", 1)[1].split("_")


@pytest.mark.parametrize("path", fixture_params(*DRBDADM_GLOBS))
def test_drbdadm_fixture(path: Path) -> None:
    text = _text(path)
    kind = _drbdadm_kind(path.name)
    if kind == "role":
        words = _expected_words(path.name, kind)
        expected = (
            RolePair(None) if words == ["unconfigured"] else RolePair(*(role_named(w.capitalize()) for w in words))
        )
        assert parse_role(text) == (expected,)
    elif kind == "cstate":
        (word,) = _expected_words(path.name, kind)
        (state,) = parse_cstate(text)
        assert state.lower() == word
    elif kind == "dstate":
        words = _expected_words(path.name, kind)
        (pair,) = parse_dstate(text)
        if words == ["unconfigured"]:
            assert pair == DstatePair(None)
        else:
            assert pair.disk is not None and pair.peer_disk is not None
            assert [pair.disk.lower(), pair.peer_disk.lower()] == words
    elif kind == "sh-status":
        status = parse_sh_status(text)
        assert len(status.minors) == 1 and status.minors[0].conf_res_name == "r0"
    elif kind == "version":
        assert parse_drbdadm_version(text).version is not None
    else:
        assert parse_drbdadm_error(text).messages or parse_drbdadm_error(text).failures


def test_drbd9_cstate_multi_peer() -> None:
    text = _text(FIXTURES / "drbd9" / "docs_9_drbdadm_cstate_multi_peer.txt")
    assert parse_cstate(text) == (ConnState.CONNECTED, ConnState.CONNECTED, ConnState.STANDALONE)


def test_one_liner_forms() -> None:
    assert parse_role("Primary\n") == (RolePair(Role.PRIMARY),)  # DRBD 9: local role only
    assert parse_role("Primary/Secondary\nSecondary/Unknown\n")[1].peer_role is Role.UNKNOWN
    assert parse_role("Secondary/Primary")[0].is_peer_primary  # no trailing newline
    assert parse_dstate("UpToDate/UpToDate/Outdated\n") == (
        DstatePair(DiskState.UPTODATE, (DiskState.UPTODATE, DiskState.OUTDATED)),
    )
    assert not parse_dstate("Unconfigured\n")[0].is_configured
    assert parse_cstate("Unconfigured\nConnecting\n") == (ConnState.UNCONFIGURED, ConnState.CONNECTING)


@pytest.mark.parametrize("parse", [parse_role, parse_cstate, parse_dstate])
@pytest.mark.parametrize(
    "text", ["", "\n", "primary/secondary\n", "Primary/\n", "Primary/Secondary\n\n", " Connected\n"]
)
def test_one_liners_reject(parse: Callable[[str], object], text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


@FAST
@given(role_outputs())
def test_role_round_trip(case: tuple[tuple[RolePair, ...], str]) -> None:
    assert parse_role(case[1]) == case[0]


@FAST
@given(cstate_outputs())
def test_cstate_round_trip(case: tuple[tuple[str, ...], str]) -> None:
    assert parse_cstate(case[1]) == case[0]


@FAST
@given(dstate_outputs())
def test_dstate_round_trip(case: tuple[tuple[DstatePair, ...], str]) -> None:
    assert parse_dstate(case[1]) == case[0]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_one_liners_raise_only_parse_error(text: str) -> None:
    for parse in (parse_role, parse_cstate, parse_dstate, parse_sh_status, parse_drbdadm_version, parse_drbdsetup_show):
        try:
            parse(text)
        except ParseError:
            pass
    parse_drbdadm_error(text)  # total: never raises


def test_sh_status_fixtures() -> None:
    base = FIXTURES / "reconstructed" / "drbdadm"
    primary = parse_sh_status(_text(base / "84_sh_status_connected_primary.txt"))
    assert (primary.drbd_version, primary.drbd_api, primary.config_file) == ("8.9.10", 1, "/etc/drbd.conf")
    m = primary.minors[0]
    assert (m.minor, m.res_name, m.volume, m.known, m.cstate) == (0, "r0", 0, ShKnown.CONFIGURED, ConnState.CONNECTED)
    assert (m.role, m.peer_role, m.disk, m.peer_disk) == (
        Role.PRIMARY,
        Role.SECONDARY,
        DiskState.UPTODATE,
        DiskState.UPTODATE,
    )
    assert (m.conf_file, m.conf_line, m.conf_volume, m.stacked_on) == ("/etc/drbd.d/r0.res", 1, 0, None)
    assert not (m.suspended or m.aftr_isp or m.peer_isp or m.user_isp) and m.resynced_percent is None
    target = parse_sh_status(_text(base / "84_sh_status_synctarget.txt")).volumes()[0]
    assert (target.resource, target.volume, target.sync_percent, target.is_syncing) == ("r0", 0, 62.9, True)
    unconf = parse_sh_status(_text(base / "84_sh_status_unconfigured.txt")).minors[0]
    assert (unconf.known, unconf.cstate, unconf.role, unconf.disk) == (
        ShKnown.UNCONFIGURED,
        ConnState.UNCONFIGURED,
        None,
        None,
    )
    assert not unconf.to_volume().is_configured


def test_sh_status_forms() -> None:
    status = parse_sh_status(
        "_drbd_version=8.3.16\n_drbd_api=88\n_config_file=/etc/drbd.conf\n\n"
        "_stacked_on=\n_stacked_on_device=\n_stacked_on_minor=\n"
        "_minor=3\n_res_name=my\\ res\n_known=NA # not available or not yet created\n\n"
        "_cstate=Unconfigured\n_role=\n_peer=\n_disk=\n_pdsk=\n"
        "_flags_susp=\n_flags_aftr_isp=\n_flags_peer_isp=\n_flags_user_isp=\n_resynced_percent=\n\n"
        "_sh_status_process\n\n\n"
        "_minor=4\n_res_name=r1\n_known=Configured\n\n"
        "_cstate=PausedSyncT\n_role=Secondary\n_peer=Primary\n_disk=Inconsistent\n_pdsk=UpToDate\n\n"
        "_flags_susp=\n_flags_aftr_isp=1\n_flags_peer_isp=\n_flags_user_isp=1\n\n_resynced_percent=3.5\n\n"
        "_sh_status_process\n\n\n"
    )
    first, second = status.minors
    assert (first.minor, first.res_name, first.known, first.volume) == (3, "my res", ShKnown.NOT_AVAILABLE, None)
    assert (second.aftr_isp, second.user_isp, second.peer_isp, second.resynced_percent) == (True, True, False, 3.5)
    assert second.res_name == "r1" and second.to_volume().volume is None


@pytest.mark.parametrize(
    "text",
    [
        "_minor=0\n_known=Configured\n_cstate=Connected\n_role=Primary\n_peer=Secondary\n_disk=UpToDate\n_pdsk=UpToDate\n",
        "_minor=0\n_known=Configured\n_cstate=Connected\n_sh_status_process\n",
        "_minor=0\n_known=Unconfigured\n_cstate=Unconfigured\n_role=Primary\n_disk=UpToDate\n_sh_status_process\n",
        "_minor=0\n_known=Maybe\n_cstate=Connected\n_sh_status_process\n",
        "_minor=0\n_known=Unconfigured\n_cstate=Unconfigured\n_flags_susp=2\n_sh_status_process\n",
        "_minor=0\n_known=Unconfigured\n_cstate=Unconfigured\n_resynced_percent=50\n_sh_status_process\n",
        "_minor=x\n_known=Unconfigured\n_cstate=Unconfigured\n_sh_status_process\n",
        "_known=Unconfigured\n_cstate=Unconfigured\n_sh_status_process\n",
        "_mystery=1\n",
        "_res_name=a b\n",
        "_res_name=ab\\\n",
        "_conf_file_line=/etc/drbd.conf\n_minor=0\n_known=Unconfigured\n_cstate=Unconfigured\n_sh_status_process\n",
        "_minor=0\n_known=Unconfigured\n_cstate=Unconfigured\n_sh_status_process\n_drbd_api=1\n",
        "not an assignment\n",
    ],
)
def test_sh_status_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_sh_status(text)


def test_drbdadm_version_fixture() -> None:
    v = parse_drbdadm_version(_text(FIXTURES / "drbdadm" / "docs_drbdadm_version_9.22.txt"))
    assert v.buildtag == "GIT-hash: [...] build by @buildsystem, 2022-09-19 12:15:10"
    assert (v.api_version, v.kernel_version, v.version) == (2, "9.1.11", "9.22.0")
    assert (v.kernel_version_tuple, v.version_tuple, v.extra) == ((9, 1, 11), (9, 22, 0), ())


@pytest.mark.parametrize(
    "text",
    [
        "DRBDADM_VERSION_CODE=0x09160\nDRBDADM_VERSION_CODE=0x091600\n",
        "DRBDADM_VERSION_CODE=9.22\n",
        "hello\n",
        "x=1\n",
        "",
    ],
)
def test_drbdadm_version_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_drbdadm_version(text)


def test_drbdadm_error_transcripts() -> None:
    failed = parse_drbdadm_error(_text(FIXTURES / "drbdadm" / "commitmsg_drbdadm_up_attach_failure_119.txt"))
    (failure,) = failed.failures
    assert (failure.object, failure.code, failure.text) == ("3", 119, "No valid meta-data signature found.")
    assert failed.exit_code == 10
    assert failed.commands[0].command == "drbdsetup attach 3 /dev/vdb5 /dev/vdb5 internal --on-io-error=pass_on"
    assert failed.reason == "3: Failure: (119) No valid meta-data signature found."
    # The create-md conversation is a success transcript: nothing failed, no exit code reported.
    created = parse_drbdadm_error(_text(FIXTURES / "drbdadm" / "commitmsg_drbdadm_create_md_convert_v08_to_v09.txt"))
    assert (created.failures, created.commands, created.exit_code) == ((), (), None)
    assert created.messages[-1] == "New drbd meta data block successfully created."
    state = parse_drbdadm_error(
        "0: State change failed: (-2) Need access to UpToDate data\n"
        "Command 'drbdsetup 0 primary' terminated with exit code 17\n"
    )
    assert state.failures[0].is_state_change and state.failures[0].code == -2 and state.exit_code == 17
    assert str(state.failures[0]) == "0: State change failed: (-2) Need access to UpToDate data"
    assert parse_drbdadm_error("").reason == ""


# ---------------------------------------------------------------------------------------------------------------------
# drbdsetup show


def _show_text(name: str) -> str:
    return _text(FIXTURES / "drbdsetup" / name)


def _option(section: ShowSection | None, name: str) -> ShowOption:
    assert section is not None
    opt = section.option(name)
    assert opt is not None, name
    return opt


@pytest.mark.parametrize("path", fixture_params(*SHOW_GLOBS))
def test_drbdsetup_show_fixture(path: Path) -> None:
    show = parse_drbdsetup_show(_text(path))
    assert show.root.sections
    assert len(show.volumes) == 1  # Ganeti's fixtures each describe one minor
    vol = show.volumes[0]
    assert vol.device_path is not None or vol.device_minor is not None
    assert not show.allow_two_primaries
    if show.local_address is not None:
        assert show.peer_address is not None and show.local_address.port == show.peer_address.port


def test_drbdsetup_show_80() -> None:
    show = parse_drbdsetup_show(_show_text("show_ganeti_bdev-drbd-8.0.txt"))
    assert (show.protocol, show.resource_name) == ("A", None)
    vol = show.volumes[0]
    assert (vol.number, vol.device_path, vol.device_minor) == (None, "/dev/drbd63", None)
    assert (vol.disk, vol.meta_disk, vol.meta_index) == ("/dev/xenvg/test.data", "/dev/xenvg/test.meta", 0)
    assert show.local_address is not None and (show.local_address.host, show.local_address.port) == ("192.0.2.1", 11000)
    net = show.net
    assert net is not None
    timeout = net.option("timeout")
    assert timeout is not None and timeout.values == ("60",) and timeout.is_default
    sndbuf = net.option("sndbuf-size")
    assert sndbuf is not None and sndbuf.values == ("8388608",) and not sndbuf.is_default


def test_drbdsetup_show_83_and_84() -> None:
    s83 = parse_drbdsetup_show(_show_text("show_ganeti_bdev-drbd-8.3.txt"))
    assert s83.protocol == "C" and s83.volumes[0].device_minor == 0
    assert _option(s83.net, "after-sb-1pri").value == "consensus"
    assert s83.local_address is not None and s83.local_address.family == "ipv4"
    s84 = parse_drbdsetup_show(_show_text("show_ganeti_bdev-drbd-8.4.txt"))
    assert (s84.resource_name, s84.protocol) == ("resource0", None)
    vol = s84.volumes[0]
    assert (vol.number, vol.device_minor, vol.disk, vol.meta_index) == (0, 0, "/dev/xenvg/test.data", 0)
    assert _option(s84.net, "shared-secret").value == "shared_secret_123"
    this = s84.resource.section("_this_host")
    assert this is not None and this.section("volume", "0") is not None
    disk = this.sections[0].section("disk")
    assert _option(disk, "resync-rate").value == "61440k"
    nodisk = parse_drbdsetup_show(_show_text("show_ganeti_bdev-drbd-8.4-no-disk-params.txt"))
    assert nodisk.volumes[0].meta_index is None


def test_drbdsetup_show_partial_and_ipv6() -> None:
    disk_only = parse_drbdsetup_show(_show_text("show_ganeti_bdev-drbd-disk.txt"))
    assert (disk_only.net, disk_only.local_address, disk_only.protocol) == (None, None, None)
    assert disk_only.volumes[0].device_path == "/dev/drbd58"
    v6 = parse_drbdsetup_show(_show_text("show_ganeti_bdev-drbd-net-ip6.txt"))
    assert v6.local_address is not None and v6.peer_address is not None
    assert (v6.local_address.family, v6.local_address.host, v6.local_address.port) == ("ipv6", "2001:db8:65::1", 11048)
    assert v6.peer_address.host == "2001:db8:66::1"
    assert v6.volumes[0].disk is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("net {\n\tallow-two-primaries;\n}\n", True),  # 8.3 flag form
        ("resource r0 {\n    net {\n        allow-two-primaries yes;\n    }\n}\n", True),  # 8.4
        ("resource r0 {\n    net {\n        allow-two-primaries no;\n    }\n}\n", False),
        ("net {\n\tprotocol C; # comment { ; }\n}\n", False),
    ],
)
def test_drbdsetup_show_allow_two_primaries(text: str, expected: bool) -> None:
    assert parse_drbdsetup_show(text).allow_two_primaries is expected


@pytest.mark.parametrize(
    "text",
    [
        "net {\n",
        "}\n",
        "net {\n\ttimeout 60\n}\n",
        "protocol C\n",
        'net {\n\tshared-secret "abc;\n}\n',
        '"net" {\n}\n',
        "{\n}\n",
        ";\n",
        "_this_host {\n\taddress 192.0.2.1;\n}\n",
        "_this_host {\n\taddress ipv4 192.0.2.1:x;\n}\n",
        "_this_host {\n\tdevice minor;\n}\n",
        "_this_host {\n\tmeta-disk /dev/x [ a ];\n}\n",
        "_this_host {\n\tvolume x {\n\t}\n}\n",
        "net {\x0b}\n",
    ],
)
def test_drbdsetup_show_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_drbdsetup_show(text)


def test_read_proc_drbd_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "drbd"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="a FIFO, not a regular file"):
        read_proc_drbd(fifo)
    with pytest.raises(OSError, match="a directory, not a regular file"):
        read_proc_drbd(tmp_path)
    big = tmp_path / "big"
    big.write_bytes(b"version: 8.4.11 (api:1/proto:86-101)\n" + b" " * (5 << 20))
    with pytest.raises(ParseError, match="more than"):
        read_proc_drbd(big)
