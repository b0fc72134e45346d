# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tests for xenha.xen: every Xen fixture, all flag strings, grammar round trips and mutations, hot and cold readers."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fixtures import FIXTURES, fixture_params, fixture_paths
from tests.oracles.xen import parse_xl_info_value, parse_xm_uptime
from tests.strategies.xen import (
    disk_specs,
    domu_configs,
    render_sxp,
    render_xl_row,
    sxp_exprs,
    uptime_outputs,
    vif_specs,
    xl_info_outputs,
    xl_list_long_json_outputs,
    xl_list_long_sxp_outputs,
    xl_list_outputs,
    xm_list_long_outputs,
    xm_list_outputs,
)
from xenha.errors import ParseError
from xenha.run import Deadline
from xenha.xen import listing as listing_module
from xenha.xen.config import (
    DiskKind,
    DiskSpec,
    DomainType,
    parse_disk_spec,
    parse_domu_config,
    parse_vif_spec,
    read_domu_config,
)
from xenha.xen.ctl import is_control_domain
from xenha.xen.listing import (
    Domain,
    DomainState,
    MigrationRole,
    ShutdownReason,
    Toolstack,
    classify_flags,
    parse_xl_list,
    parse_xm_list,
    says_no_such_domain,
)
from xenha.xen.long import XendStatus, parse_sxp, parse_xl_list_long, parse_xm_list_long, sxp_children, sxp_value
from xenha.xen.messages import (
    MigrateOutcome,
    MigrateStep,
    XenErrorKind,
    parse_migrate_transcript,
    parse_xen_error,
    parse_xl_info,
)

# Which parser reads which fixture; test_every_xen_fixture_has_a_parser keeps this complete.
XL_LIST = (
    "xl/commitmsg_claims_list_*.txt",
    "xl/commitmsg_list_*.txt",
    "xl/docs_manpage_*.txt",
    "xl/list_*.txt",
    "reconstructed/xl/list_*.txt",
)
XM_LIST = ("xm/list_xen*.txt", "xm/commitmsg_xm_li_*.txt")
XM_LIST_LONG = ("xm/list_long_*.sxp",)
INFO = ("xm/info_*.txt",)
INFO_VALUE = ("xl/commitmsg_info_*.txt",)
UPTIME = ("xm/uptime_*.txt",)
MIGRATE = ("xl/commitmsg_migrate_*.txt", "reconstructed/xl/migrate_*.txt")
ERRORS = (
    "xl/commitmsg_block_list_*.txt",
    "xl/commitmsg_error_*.txt",
    "xl/commitmsg_vcpu_list_then_libxl_fatal_error.txt",
    "xm/commitmsg_migrate_live_error_*.txt",
    "reconstructed/xl/error_*.txt",
    "reconstructed/xm/error_*.txt",
)
ALL_KINDS = (XL_LIST, XM_LIST, XM_LIST_LONG, INFO, INFO_VALUE, UPTIME, MIGRATE, ERRORS)


def read(relative: str) -> str:
    return (FIXTURES / relative).read_text()


def by_name(domains: tuple[Domain, ...]) -> dict[str | None, Domain]:
    return {domain.name: domain for domain in domains}


# ---------------------------------------------------------------------------------------------------------------------
# Fixtures


def test_every_xen_fixture_has_a_parser() -> None:
    every = set(fixture_paths("xl/*", "xm/*", "reconstructed/xl/*", "reconstructed/xm/*"))
    claimed = set(fixture_paths(*itertools.chain.from_iterable(ALL_KINDS)))
    assert every, "no Xen fixtures found"
    assert every - claimed == set()


@pytest.mark.parametrize("path", fixture_params(*XL_LIST))
def test_xl_list_fixtures_parse(path: Path) -> None:
    domains = parse_xl_list(path.read_text())
    assert domains and len({d.domid for d in domains}) == len(domains)
    assert all(d.name == "Domain-0" for d in domains if d.is_dom0)
    assert all(d.flags is not None and d.state is expected_state(d.flags) for d in domains)


@pytest.mark.parametrize("path", fixture_params(*XM_LIST))
def test_xm_list_fixtures_parse(path: Path) -> None:
    domains = parse_xm_list(path.read_text())
    assert domains[0].name == "Domain-0" and domains[0].state is DomainState.RUNNING


@pytest.mark.parametrize("path", fixture_params(*ERRORS))
def test_error_fixtures_are_recognised(path: Path) -> None:
    assert parse_xen_error(path.read_text()).kind is not XenErrorKind.UNKNOWN


@pytest.mark.parametrize("path", fixture_params(*MIGRATE))
def test_migrate_fixtures_classify(path: Path) -> None:
    transcript = parse_migrate_transcript(path.read_text())
    assert transcript.steps, "every migrate sample shows at least one protocol message"
    parse_xen_error(path.read_text())  # total on the same text


@pytest.mark.parametrize("path", fixture_params("xl/*", "xm/*", "reconstructed/xl/*", "reconstructed/xm/*"))
def test_error_classification_is_total_on_every_fixture(path: Path) -> None:
    assert isinstance(parse_xen_error(path.read_text()).kind, XenErrorKind)
    assert isinstance(parse_migrate_transcript(path.read_text()).outcome, MigrateOutcome)


def test_xl_list_crashed_and_dying_ganeti_sample() -> None:
    domains = parse_xl_list(read("xl/list_xen4.4_crashed_dying.txt"))
    assert [d.domid for d in domains] == [0, 1, 28441, 28448]
    assert domains[1].name == "server01.example.com" and domains[1].state is DomainState.BLOCKED
    nameless = domains[2]
    assert nameless.name is None and nameless.has_null_name and nameless.base_name is None
    assert nameless.flags == "--psc-" and nameless.state is DomainState.CRASHED
    assert nameless.shutdown_reason is ShutdownReason.CRASH and nameless.memory_mib == 789
    assert domains[3].state is DomainState.CRASHED and domains[3].cpu_time == 1.4
    assert domains[0].cpu_time == 154706.1


def test_xl_list_saved_domain_is_dying_and_suspended() -> None:
    dom0, saved = parse_xl_list(read("xl/commitmsg_list_saved_domain_pssd_xen4.1.txt"))
    assert dom0.memory_mib == 6821 and dom0.vcpus == 8
    assert saved.name is None and saved.domid == 2 and saved.flags == "--pssd"
    assert saved.state is DomainState.DYING and saved.shutdown_reason is ShutdownReason.SUSPEND
    assert not saved.is_live


def test_xl_list_null_names_while_building() -> None:
    domains = parse_xl_list(read("xl/commitmsg_list_null_paused_domains_xen4.5dev.txt"))
    assert [d.domid for d in domains if d.has_null_name] == [1, 2, 3]
    badger = by_name(domains)["badger"]
    assert (badger.domid, badger.memory_mib, badger.vcpus, badger.state) == (25, 0, 1, DomainState.PAUSED)
    assert domains[0].cpu_time == 46699.3


@pytest.mark.parametrize("relative", ["xl/commitmsg_claims_list_xen4.3.txt", "xl/docs_manpage_claims_example.txt"])
def test_xl_claims_column(relative: str) -> None:
    domains = by_name(parse_xl_list(read(relative)))
    assert domains["OL5"].claimed_mib == 847 and domains["OL5"].state is DomainState.PAUSED
    assert domains["Domain-0"].claimed_mib == 0 and domains["OL6"].vcpus == 4


def test_xl_claims_windows_domain() -> None:
    assert by_name(parse_xl_list(read("xl/commitmsg_claims_list_xen4.3.txt")))["Windows_XP"].claimed_mib == 1989


def test_xl_verbose_columns_with_real_tabs() -> None:
    text = read("reconstructed/xl/list_verbose.txt")
    assert "\t" in text.splitlines()[0], "this fixture carries xl's literal TABs"
    domains = by_name(parse_xl_list(text))
    crashed = domains["crashed-guest"]
    assert crashed.uuid == "0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a" and crashed.shutdown_code == 3
    assert crashed.state is DomainState.CRASHED and crashed.shutdown_reason is ShutdownReason.CRASH
    assert domains["web01"].shutdown_code is None and domains["web01"].security_label is None
    assert domains["Domain-0"].uuid == "00000000-0000-0000-0000-000000000000"


def test_xl_single_domain() -> None:
    (web,) = parse_xl_list(read("reconstructed/xl/list_single_domain.txt"))
    assert web.to_json() == {
        "name": "web01",
        "domid": 3,
        "memory_mib": 2048,
        "vcpus": 2,
        "flags": "-b----",
        "state": "blocked",
    }
    assert web.cpu_time == 845.2 and web.is_live and web.migration_role is None


def test_xl_manpage_example() -> None:
    domains = parse_xl_list(read("xl/docs_manpage_list_example.txt"))
    assert [(d.name, d.state) for d in domains] == [
        ("Domain-0", DomainState.RUNNING),
        ("win", DomainState.RUNNING),
        ("linux", DomainState.RUNNING),
    ]


def test_xm_list_four_instances() -> None:
    domains = parse_xm_list(read("xm/list_xen4.0.1_four_instances.txt"))
    assert [(d.name, d.domid, d.state) for d in domains] == [
        ("Domain-0", 0, DomainState.RUNNING),
        ("server01.example.com", 1, DomainState.BLOCKED),
        ("web3106215069.example.com", 3, DomainState.BLOCKED),
        ("testinstance.example.com", 2, DomainState.RUNNING),
    ]
    assert domains[2].memory_mib == 4096 and domains[3].vcpus == 2 and domains[3].cpu_time == 244443.0


def test_xm_list_dom0_only() -> None:
    (dom0,) = parse_xm_list(read("xm/list_xen4.0.1_dom0_only.txt"))
    assert (dom0.memory_mib, dom0.cpu_time, dom0.shutdown_reason) == (1023, 121152.6, None)


def test_xm_list_hand_edited_crashed_row() -> None:
    dom0, crashed, restarted = parse_xm_list(read("xm/commitmsg_xm_li_crashed_renamed_xen3.2.txt"))
    assert crashed.name == restarted.name == "Domain-e64b12a0-0493-44d7-afde-55c776513426"  # > 40 characters
    assert (crashed.domid, crashed.flags, crashed.state) == (21, "----c-", DomainState.CRASHED)
    assert (restarted.domid, restarted.state) == (22, DomainState.RUNNING)
    assert dom0.memory_mib == 1233


def test_xm_list_long_dom0_and_domu() -> None:
    dom0, domu = parse_xm_list_long(read("xm/list_long_xen4.0.1_dom0_and_domU.sxp"))
    assert (dom0.name, dom0.domid, dom0.memory_mib, dom0.maxmem_mib, dom0.vcpus) == ("Domain-0", 0, 1023, 16777215, 24)
    assert dom0.status is XendStatus.RUNNING and dom0.state is DomainState.RUNNING and dom0.disks == ()
    assert (domu.name, domu.domid, domu.memory_mib, domu.vcpus) == ("instance1.example.com", 119, 128, 1)
    assert domu.type is DomainType.PV and domu.flags == "-b----" and domu.state is DomainState.BLOCKED
    assert domu.uuid == "e430b4b8-dc91-9390-dfe0-b83c138ea0aa"
    (disk,) = domu.disks
    assert disk.target == "phy:/var/run/ganeti/instance-disks/instance1.example.com:0"
    assert (disk.kind, disk.vdev, disk.mode, disk.is_drbd) == (DiskKind.PHY, "sda", "w", False)
    (vif,) = domu.vifs
    assert (vif.mac, vif.bridge, vif.script) == ("aa:00:00:30:8d:9d", "xen-br0", "/etc/xen/scripts/vif-bridge")


def test_config_json_for_inspect() -> None:
    dom0, domu = parse_xm_list_long(read("xm/list_long_xen4.0.1_dom0_and_domU.sxp"))
    document = json.loads(json.dumps(domu.to_json()))
    assert {k: document[k] for k in ("name", "domid", "memory_mib", "vcpus", "flags", "state")} == {
        "name": "instance1.example.com",
        "domid": 119,
        "memory_mib": 128,
        "vcpus": 1,
        "flags": "-b----",
        "state": "blocked",
    }
    assert (document["status"], document["type"], document["disks"][0]["kind"]) == ("running", "pv", "phy")
    assert document["vifs"][0]["mac"] == "aa:00:00:30:8d:9d" and dom0.to_json()["disks"] == []
    spec = parse_disk_spec("phy:/dev/drbd/by-res/r0/1,xvda,w").to_json()
    assert (spec["drbd_resource"], spec["drbd_volume"], spec["drbd_minor"]) == ("r0", 1, None)


def test_sxp_tree_of_real_sample() -> None:
    dom0, domu = parse_sxp(read("xm/list_long_xen4.0.1_dom0_and_domU.sxp"))
    assert isinstance(dom0, tuple) and dom0[0] == "domain"
    assert sxp_value(dom0, "bootloader") == ""  # `(bootloader )`: xend prints '' as nothing
    assert sxp_value(domu, "name") == "instance1.example.com"
    (image,) = sxp_children(domu, "image")
    (linux,) = sxp_children(image, "linux")
    assert sxp_value(linux, "args") == "root=/dev/xvda1 ro"
    (notes,) = sxp_children(linux, "notes")
    assert sxp_value(notes, "FEATURES") == "!writable_page_tables|pae_pgdir_above_4gb"
    cpus = sxp_children(dom0, "cpus")[0][1]
    assert isinstance(cpus, tuple) and len(cpus) == 24 and cpus[0] == tuple(str(n) for n in range(24))


def test_xm_info() -> None:
    info = parse_xl_info(read("xm/info_xen4.0.1.txt"))
    assert (info["free_memory"], info["total_memory"]) == ("8004", "16378")
    assert (info["xen_major"], info["xen_minor"], info["xen_extra"]) == ("4", "0", ".1")
    assert info["virt_caps"] == "" and info["xen_caps"] == "xen-3.0-x86_64 xen-3.0-x86_32p"
    assert info["version"] == "#1 SMP Tue Jan  1 00:00:00 UTC 2013" and len(info) == 31


XL_INFO_NUMA = """\
host                   : node-a
nr_cpus                : 2
cpu_topology           :
cpu:    core    socket     node
  0:       0        0        0
  1:       1        0        0
device topology        :
device           node
0000:00:02.0      0
numa_info              :
node:    memsize    memfree    distances
   0:      4096       1024      10
xen_major              : 4
"""


def test_xl_info_numa_tables() -> None:
    info = parse_xl_info(XL_INFO_NUMA)
    assert info["cpu_topology"].splitlines() == [
        "cpu:    core    socket     node",
        "  0:       0        0        0",
        "  1:       1        0        0",
    ]
    assert info["device topology"] == "device           node\n0000:00:02.0      0"
    assert info["numa_info"].endswith("   0:      4096       1024      10")
    assert (info["nr_cpus"], info["xen_major"]) == ("2", "4") and len(info) == 6


@pytest.mark.parametrize("text", ["host : a\n  0:  1\n", "host : a\nhost : b\n", "nothing to see\n"])
def test_bad_xl_info_fails(text: str) -> None:
    with pytest.raises(ParseError):
        parse_xl_info(text)


def test_xl_info_single_value() -> None:
    assert parse_xl_info_value(read("xl/commitmsg_info_xen_version_select.txt")) == "4.8-unstable"


def test_xm_uptime() -> None:
    dom0, domu = parse_xm_uptime(read("xm/uptime_xen4.0.1.txt"))
    assert (dom0.name, dom0.domid, dom0.seconds) == ("Domain-0", 0, 98 * 86400 + 2 * 3600 + 27 * 60 + 44)
    assert (domu.name, domu.domid, domu.seconds) == ("instance1.example.com", 119, 15 * 86400 + 20 * 3600 + 57 * 60 + 7)


@pytest.mark.parametrize(
    ("relative", "kind", "domain", "rc"),
    [
        (
            "xl/commitmsg_block_list_invalid_domain_identifier_xen4.0.txt",
            XenErrorKind.DOMAIN_NOT_FOUND,
            "block-list",
            None,
        ),
        ("xl/commitmsg_error_domain_does_not_exist.txt", XenErrorKind.DOMAIN_NOT_FOUND, "42", None),
        ("reconstructed/xl/error_list_unknown_domid_stderr.txt", XenErrorKind.DOMAIN_NOT_FOUND, "42", None),
        ("reconstructed/xl/error_list_unknown_name_stderr.txt", XenErrorKind.DOMAIN_NOT_FOUND, "nosuchvm", -6),
        ("reconstructed/xm/error_domain_does_not_exist_stderr.txt", XenErrorKind.DOMAIN_NOT_FOUND, "nosuchvm", None),
        ("reconstructed/xm/error_xend_not_running_stderr.txt", XenErrorKind.XEND_NOT_RUNNING, None, None),
        ("xl/commitmsg_vcpu_list_then_libxl_fatal_error.txt", XenErrorKind.LIBXL_FATAL, None, None),
        ("xl/commitmsg_migrate_failure_legacy_stream_xen4.7dev.txt", XenErrorKind.LIBXL_ERROR, None, None),
    ],
)
def test_error_kinds(relative: str, kind: XenErrorKind, domain: str | None, rc: int | None) -> None:
    error = parse_xen_error(read(relative))
    assert (error.kind, error.domain, error.rc) == (kind, domain, rc)


def test_xm_migrate_errors_keep_the_message() -> None:
    error = parse_xen_error(read("xm/commitmsg_migrate_live_error_transport_endpoint_xen3.4.txt"))
    assert error.kind is XenErrorKind.MIGRATE_FAILED and error.message == "(107, 'Transport endpoint is not connected')"
    error = parse_xen_error(read("xm/commitmsg_migrate_live_error_dom0_min_mem_xen3.4.txt"))
    assert error.kind is XenErrorKind.MIGRATE_FAILED
    assert error.message.startswith("I need 262144 KiB") and error.message.endswith("(from bx339)")


def test_other_rc_of_invalid_identifier_is_not_not_found() -> None:
    error = parse_xen_error("web1 is an invalid domain identifier (rc=-3)\n")
    assert (error.kind, error.domain, error.rc) == (XenErrorKind.LIBXL_ERROR, "web1", -3)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Migration failed, resuming at sender.\n", XenErrorKind.MIGRATE_FAILED),
        ("migration target: Domain creation failed (code -3).\n", XenErrorKind.MIGRATE_FAILED),
        ("Error: something else\n", XenErrorKind.UNKNOWN),
        ("", XenErrorKind.UNKNOWN),
    ],
)
def test_error_kinds_from_source_strings(text: str, kind: XenErrorKind) -> None:
    assert parse_xen_error(text).kind is kind


# A kernel booted without Xen, as people pasted it (stderr, exit status 1). The xl texts are Xen 4.7+ (libxencall):
# a xen-devel report of `xl version` in a NixOS test and a 2018 blog post on `xl dmesg` (libxl.c:108 there, 102 in
# 4.11-4.17). The xm text is Xen 3.3's, whose xm opened libxc on import (Ubuntu forum posts of `xm list`/`xm info`,
# 2008-2010); it also ends in a Python traceback.
NO_XEN_REPORTS = {
    "xl 4.11+": (
        "xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n"
        "libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n"
        "cannot init xl context\n"
    ),
    "xl 4.7-4.10": (
        "xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n"
        "libxl: error: libxl.c:108:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n"
        "cannot init xl context\n"
    ),
    "xm 3.3": (
        "ERROR Internal error: Could not obtain handle on privileged command interface "
        "(2 = No such file or directory)\n"
        "Traceback (most recent call last):\n"
        '  File "/usr/sbin/xm", line 8, in <module>\n'
        "    from xen.xm import main\n"
        '  File "/usr/lib/python2.6/dist-packages/xen/xm/main.py", line 61, in <module>\n'
        "    xc = xen.lowlevel.xc.xc()\n"
        "xen.lowlevel.xc.Error: (1, 'Internal error', 'Could not obtain handle on privileged command interface "
        "(2 = No such file or directory)')\n"
    ),
}


@pytest.mark.parametrize("report", sorted(NO_XEN_REPORTS))
def test_no_hypervisor_as_reported(report: str) -> None:
    error = parse_xen_error(NO_XEN_REPORTS[report])
    assert error.kind is XenErrorKind.NO_HYPERVISOR
    assert error.message == NO_XEN_REPORTS[report].splitlines()[0].strip()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # not root: the device is there, the toolstack is unusable (libxl.c LOGEV with EACCES)
        ("libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: Permission denied\n", "libxl_error"),
        ("xencall: error: Could not obtain handle on privileged command interface: Permission denied\n", "unknown"),
        # libxl's line alone (an xl whose xencall line went elsewhere) still names the missing device
        (
            "libxl: error: libxl.c:92:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n",
            "no_hypervisor",
        ),
        # a migration's stderr carries the target's messages: the verdict is about the migration
        (NO_XEN_REPORTS["xl 4.11+"] + "Migration failed, resuming at sender.\n", "migrate_failed"),
    ],
)
def test_no_hypervisor_only_for_a_missing_device(text: str, kind: str) -> None:
    assert parse_xen_error(text).kind is XenErrorKind(kind)


@pytest.mark.parametrize(
    ("text", "dom0"),
    [("control_d\n", True), ("control_d", True), ("", False), ("\n", False), ("control_domain\n", False)],
)
def test_capabilities(text: str, dom0: bool) -> None:
    """Linux drivers/xen/xenfs/super.c capabilities_read: "control_d\\n" in dom0, "" in any other domain."""
    assert is_control_domain(text) is dom0


def test_migrate_success() -> None:
    transcript = parse_migrate_transcript(read("reconstructed/xl/migrate_success_transcript.txt"))
    assert transcript.succeeded and not transcript.domain_left_at_sender and transcript.errors == ()
    assert transcript.steps[-1] is MigrateStep.SENDER_TARGET_SUCCEEDED
    assert MigrateStep.TARGET_STARTED in transcript.steps  # matched with upstream's "successsfully"


def test_migrate_glued_progress_line() -> None:
    transcript = parse_migrate_transcript(read("xl/commitmsg_migrate_progress_bug_no_newline_xen4.1.txt"))
    assert transcript.steps == (MigrateStep.TARGET_TRANSFER_COMPLETE, MigrateStep.SENDER_ACKNOWLEDGED)
    assert transcript.outcome is MigrateOutcome.INCOMPLETE


def test_migrate_segfault_and_stream_errors() -> None:
    crashed = parse_migrate_transcript(read("xl/commitmsg_migrate_segfault_xen4.5.txt"))
    assert crashed.outcome is MigrateOutcome.CRASHED and crashed.steps == (MigrateStep.TARGET_READY,)
    broken = parse_migrate_transcript(read("xl/commitmsg_migrate_failure_legacy_stream_xen4.7dev.txt"))
    assert broken.outcome is MigrateOutcome.INCOMPLETE and len(broken.errors) == 3


@pytest.mark.parametrize(
    ("tail", "outcome", "left_at_sender"),
    [
        ("Migration failed, resuming at sender.", MigrateOutcome.RESUMED_AT_SENDER, True),
        ("Migration failed, failed to suspend at sender.", MigrateOutcome.SUSPEND_FAILED, True),
        ("Migration failed due to problems at target.", MigrateOutcome.FAILED_AT_TARGET, True),
        ("** Migration failed during final handshake **", MigrateOutcome.UNDEFINED, False),
    ],
)
def test_migrate_failure_verdicts(tail: str, outcome: MigrateOutcome, left_at_sender: bool) -> None:
    text = "migration target: Ready to receive domain.\nmigration sender: libxl_domain_suspend failed (rc=-3)\n" + tail
    transcript = parse_migrate_transcript(text)
    assert (transcript.outcome, transcript.domain_left_at_sender, transcript.code) == (outcome, left_at_sender, -3)


# ---------------------------------------------------------------------------------------------------------------------
# Flags: every combination, both toolstacks


def expected_state(flags: str) -> DomainState:
    """The documented precedence, written independently of classify_flags."""
    for position, letter, state in (
        (5, "d", DomainState.DYING),
        (4, "c", DomainState.CRASHED),
        (3, "s", DomainState.SHUTDOWN),
        (2, "p", DomainState.PAUSED),
        (0, "r", DomainState.RUNNING),
        (1, "b", DomainState.BLOCKED),
    ):
        if flags[position] == letter:
            return state
    return DomainState.RUNNING  # `------`: runnable, waiting for a CPU


ALL_64 = ["".join(p) for p in itertools.product(*[(letter, "-") for letter in "rbpscd"])]


@pytest.mark.parametrize("toolstack", Toolstack.ALL)
def test_all_64_flag_strings_classify_by_precedence(toolstack: Toolstack) -> None:
    assert len(set(ALL_64)) == 64
    for flags in ALL_64:
        assert classify_flags(flags, toolstack=toolstack) is expected_state(flags), flags


def test_all_xl_reason_letters_classify() -> None:
    combos = ["".join(p) for p in itertools.product("r-", "b-", "p-", "s-", "-rscwS?", "d-")]
    assert len(combos) == 224
    for flags in combos:
        assert classify_flags(flags, toolstack=Toolstack.XL) is expected_state(flags), flags


@pytest.mark.parametrize(
    ("flags", "state"),
    [
        ("------", DomainState.RUNNING),
        ("rb----", DomainState.RUNNING),
        ("---sc-", DomainState.CRASHED),
        ("--pss-", DomainState.SHUTDOWN),
        ("--pssd", DomainState.DYING),
        ("r-p---", DomainState.PAUSED),
        ("---sr-", DomainState.SHUTDOWN),
    ],
)
def test_named_xl_flags(flags: str, state: DomainState) -> None:
    assert classify_flags(flags, toolstack=Toolstack.XL) is state


@pytest.mark.parametrize(
    ("flags", "toolstack"),
    [("--pss-", Toolstack.XM), ("r-----x", Toolstack.XL), ("r----", Toolstack.XL), ("x-----", Toolstack.XM)],
)
def test_impossible_flags_raise_parse_error(flags: str, toolstack: Toolstack) -> None:
    with pytest.raises(ParseError):
        classify_flags(flags, toolstack=toolstack)


def test_shutdown_reason_letters() -> None:
    def reason(flags: str) -> ShutdownReason | None:
        return Domain("d", 1, 1, 1, flags, 0.0, Toolstack.XL).shutdown_reason

    assert [reason(f"---s{c}-") for c in "-rscwS?"] == list(ShutdownReason.ALL)
    assert reason("r-----") is None


# ---------------------------------------------------------------------------------------------------------------------
# Transient migration names


@pytest.mark.parametrize(
    ("name", "toolstack", "base", "role", "state"),
    [
        ("web1--incoming", Toolstack.XL, "web1", MigrationRole.INCOMING, DomainState.MIGRATING),
        ("web1--migratedaway", Toolstack.XL, "web1", MigrationRole.OUTGOING, DomainState.MIGRATING),
        ("migrating-web1", Toolstack.XM, "web1", MigrationRole.OUTGOING, DomainState.MIGRATING),
        ("migrating-web1", Toolstack.XL, "migrating-web1", None, DomainState.PAUSED),
        ("--incoming", Toolstack.XL, "--incoming", None, DomainState.PAUSED),
    ],
)
def test_transient_names(
    name: str, toolstack: Toolstack, base: str, role: MigrationRole | None, state: DomainState
) -> None:
    domain = Domain(name, 7, 512, 1, "--p---", 1.0, toolstack)
    assert (domain.base_name, domain.migration_role, domain.state) == (base, role, state)
    assert domain.to_json()["state"] == state


def test_migrating_name_keeps_crashed_and_dying() -> None:
    assert Domain("web1--migratedaway", 7, 512, 1, "---sc-", 1.0, Toolstack.XL).state is DomainState.CRASHED
    assert Domain("web1--incoming", 7, 512, 1, "--p--d", 1.0, Toolstack.XL).state is DomainState.DYING


def test_inspect_json_has_exactly_the_documented_keys_and_states() -> None:
    domain = parse_xl_list(read("xl/list_xen4.4_crashed_dying.txt"))[2]
    assert set(domain.to_json()) == {"name", "domid", "memory_mib", "vcpus", "flags", "state"}
    allowed = {"running", "blocked", "paused", "shutdown", "crashed", "dying", "migrating"}
    assert set(DomainState.ALL) == allowed


def test_unstarted_xend_domain() -> None:
    header = "%-40s %5s %5s %5s %10s %9s" % ("Name", "ID", "Mem", "VCPUs", "State", "Time(s)")  # noqa: UP031
    row = "%-40s %5s %5d %5d %10s %8.1f" % ("web1", "", 512, 2, "", 0.0)  # noqa: UP031
    (web,) = parse_xm_list(f"{header}\n{row}\n")
    assert (web.domid, web.flags, web.state, web.is_active, web.is_live) == (
        None,
        None,
        DomainState.SHUTDOWN,
        False,
        False,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Round trips (hypothesis)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


NAMELESS_DYING = Domain(None, 28441, 789, 1, "--psc-", 1.2, Toolstack.XL)  # xl/list_xen4.4_crashed_dying.txt


@FAST
@given(xl_list_outputs())
@example(((NAMELESS_DYING,), "Name ID Mem VCPUs\tState\tTime(s)\n" + render_xl_row(NAMELESS_DYING, ()) + "\n"))
def test_xl_list_round_trip(case: tuple[tuple[Domain, ...], str]) -> None:
    domains, text = case
    assert parse_xl_list(text) == domains


@FAST
@given(xl_list_outputs())
def test_xl_list_with_expanded_tabs(case: tuple[tuple[Domain, ...], str]) -> None:
    domains, text = case
    assert parse_xl_list(text.expandtabs()) == domains


@FAST
@given(xm_list_outputs())
def test_xm_list_round_trip(case: tuple[tuple[Domain, ...], str]) -> None:
    domains, text = case
    assert parse_xm_list(text) == domains


@FAST
@given(sxp_exprs())
@example(("domain", ("name", "web1"), ("bootloader",), ("cpus", ((),))))
@example(("args", "root=/dev/xvda1 ro", "it's", 'say "hi"', "tab\there", "#not-a-comment", "back\\slash", "bell\x07"))
def test_sxp_round_trip(expr: object) -> None:
    assert parse_sxp(render_sxp(expr)) == (expr,)  # type: ignore[arg-type]


@FAST
@given(xm_list_long_outputs())
def test_xm_list_long_round_trip(case: tuple[tuple[object, ...], str]) -> None:
    configs, text = case
    assert parse_xm_list_long(text) == configs


@FAST
@given(xl_list_long_json_outputs())
def test_xl_list_long_json_round_trip(case: tuple[tuple[object, ...], str]) -> None:
    configs, text = case
    assert parse_xl_list_long(text) == configs


@FAST
@given(xl_list_long_sxp_outputs())
def test_xl_list_long_sxp_round_trip(case: tuple[tuple[object, ...], str]) -> None:
    configs, text = case
    assert parse_xl_list_long(text) == configs


@FAST
@given(disk_specs())
@example((DiskSpec("drbd:r0", "r0", "xvda2", "w", DiskKind.DRBD, None, "block-drbd"), "drbd:r0,xvda2,w"))
def test_disk_spec_round_trip(case: tuple[DiskSpec, str]) -> None:
    spec, text = case
    assert parse_disk_spec(text) == spec


@FAST
@given(vif_specs())
def test_vif_spec_round_trip(case: tuple[object, str]) -> None:
    spec, text = case
    assert parse_vif_spec(text) == spec


@FAST
@given(domu_configs())
def test_domu_config_round_trip(case: tuple[object, str]) -> None:
    config, text = case
    assert parse_domu_config(text) == config


@FAST
@given(xl_info_outputs())
def test_xl_info_round_trip(case: tuple[dict[str, str], str]) -> None:
    info, text = case
    assert parse_xl_info(text) == info


@FAST
@given(uptime_outputs())
def test_uptime_round_trip(case: tuple[tuple[object, ...], str]) -> None:
    rows, text = case
    assert parse_xm_uptime(text) == rows


# ---------------------------------------------------------------------------------------------------------------------
# Mutations: ParseError and nothing else


@st.composite
def mutations(draw: st.DrawFn, text: str) -> str:
    """`text` with a few random edits: delete, insert, replace, duplicate or drop a line, truncate."""
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        op = draw(st.sampled_from(["delete", "insert", "replace", "dupline", "dropline", "truncate"]))
        pos = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from(list("x9 -\t\n()'\":=,.#[]{}")))
        lines = text.splitlines(keepends=True)
        line = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif op == "insert":
            text = text[:pos] + char + text[pos:]
        elif op == "replace":
            text = text[:pos] + char + text[pos + 1 :]
        elif op == "dupline":
            text = "".join(lines[: line + 1] + lines[line:])
        elif op == "dropline":
            text = "".join(lines[:line] + lines[line + 1 :])
        else:
            text = text[:pos]
    return text


MUTANTS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = {
    "xl list": (xl_list_outputs(), parse_xl_list),
    "xm list": (xm_list_outputs(), parse_xm_list),
    "xm list --long": (xm_list_long_outputs(), parse_xm_list_long),
    "xl list -l json": (xl_list_long_json_outputs(), parse_xl_list_long),
    "xl list -l sxp": (xl_list_long_sxp_outputs(), parse_xl_list_long),
    "domU config": (domu_configs(), parse_domu_config),
    "disk spec": (disk_specs(), parse_disk_spec),
    "xl info": (xl_info_outputs(), parse_xl_info),
    "xm uptime": (uptime_outputs(), parse_xm_uptime),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_mutated_text_raises_only_parse_error(name: str) -> None:
    strategy, parse = PARSERS[name]

    @MUTANTS
    @given(strategy, st.data())
    def check(case: tuple[object, str], data: st.DataObject) -> None:
        mutant = data.draw(mutations(case[1]))
        try:
            parse(mutant)  # type: ignore[operator]
        except ParseError:
            pass

    check()


@MUTANTS
@given(sxp_exprs(), st.data())
def test_mutated_sxp_raises_only_parse_error(expr: object, data: st.DataObject) -> None:
    mutant = data.draw(mutations(render_sxp(expr)))  # type: ignore[arg-type]
    try:
        parse_sxp(mutant)
    except ParseError:
        pass


@FAST
@given(st.text())
def test_error_classifiers_are_total(text: str) -> None:
    assert isinstance(parse_xen_error(text).kind, XenErrorKind)
    assert isinstance(parse_migrate_transcript(text).outcome, MigrateOutcome)


# errno values open(2) can give for the privcmd device, with glibc's strerror text.
_ERRNOS = {
    2: "No such file or directory",
    1: "Operation not permitted",
    6: "No such device or address",
    13: "Permission denied",
    19: "No such device",
}
_PRIVCMD = "Could not obtain handle on privileged command interface"


@st.composite
def privcmd_failures(draw: st.DrawFn) -> tuple[int, str, str]:
    """(errno, deciding line, stderr) of a toolstack that cannot open privcmd, as each era formats it.

    xl 4.7+: xtl_logger_stdio.c `CONTEXT: error: MESSAGE: STRERROR` (xencall), then libxl.c LOGEV and xl.c's
    `cannot init xl context`; xl 4.1-4.6: xc_private.h PERROR `MESSAGE (%d = %s)` tagged `xc: error: ...: Internal
    error`; xm 3.3: libxc's `ERROR Internal error: ...` and a traceback ending in xen.lowlevel.xc.Error. Lines of
    unrelated chatter (lower case, no punctuation: nothing the classifier looks for) may come before and after.
    """
    errno = draw(st.sampled_from(sorted(_ERRNOS)))
    text = _ERRNOS[errno]
    libxl = f"libxl: error: libxl.c:{draw(st.integers(1, 999))}:libxl_ctx_alloc: cannot open libxc handle: {text}"
    era = draw(st.sampled_from(["xencall", "xc", "xm33"]))
    if era == "xencall":
        lines = [f"xencall: error: {_PRIVCMD}: {text}", libxl, "cannot init xl context"]
    elif era == "xc":
        lines = [f"xc: error: {_PRIVCMD} ({errno} = {text}): Internal error", libxl, "cannot init xl context"]
    else:
        lines = [
            f"ERROR Internal error: {_PRIVCMD} ({errno} = {text})",
            "Traceback (most recent call last):",
            "    xc = xen.lowlevel.xc.xc()",
            f"xen.lowlevel.xc.Error: (1, 'Internal error', '{_PRIVCMD} ({errno} = {text})')",
        ]
    chatter = st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789 -_/", max_size=30), max_size=3)
    before, after = draw(chatter), draw(chatter)
    return errno, lines[0], "".join(f"{line}\n" for line in [*before, *lines, *after])


@FAST
@given(privcmd_failures())
def test_no_hypervisor_exactly_when_privcmd_does_not_exist(case: tuple[int, str, str]) -> None:
    errno, deciding, text = case
    error = parse_xen_error(text)
    if errno == 2:  # ENOENT: neither /dev/xen/privcmd nor /proc/xen/privcmd, so no Xen under this kernel
        assert (error.kind, error.message) == (XenErrorKind.NO_HYPERVISOR, deciding)
    else:
        assert error.kind is not XenErrorKind.NO_HYPERVISOR


@pytest.mark.parametrize(
    ("old", "new"),
    [("r-----", "r-x---"), ("r-----", "rr----"), (" 0 ", " zero "), ("121152.6", "121152"), ("121152.6", "1.2e5")],
)
def test_corrupted_xm_rows_fail(old: str, new: str) -> None:
    text = read("xm/list_xen4.0.1_dom0_only.txt").replace(old, new, 1)
    with pytest.raises(ParseError) as info:
        parse_xm_list(text)
    assert info.value.lineno == 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Name ID Mem VCPUs State\n",
        "Name ID Mem VCPUs State Time(s) Bogus\n",
        "Name ID Mem VCPUs State Time(s) Label\n",  # xm's --label column from xl
        "Name ID Mem VCPUs State Time(s)\nweb1 1 512 1 ---s?- 1.0 extra\n",
        "Name ID Mem VCPUs State Time(s)\nweb1 1 512 1 --pssd\n",
        "Name ID Mem VCPUs State Time(s)\nweb1 1 512 1 r-----c 1.0\n",
        "Name ID Mem VCPUs State Time(s)\nweb1 1 512 1 ----c- 1.0\n",  # a reason letter needs `s`
    ],
)
def test_bad_xl_list_text_fails(text: str) -> None:
    with pytest.raises(ParseError):
        parse_xl_list(text)


def test_verbose_reason_must_agree_with_flags() -> None:
    text = read("reconstructed/xl/list_verbose.txt").replace("---sc-", "---sr-")
    with pytest.raises(ParseError, match="Reason-Code"):
        parse_xl_list(text)


def test_glued_cpupool_after_the_time() -> None:
    header = "Name                                        ID   Mem VCPUs\tState\tTime(s)         Cpupool"
    row = "%-40s %5d %5d %5d     %s  %8.1f%16s" % ("web1", 1, 512, 1, "-b----", 5.9, "1234567890abcdefgh")  # noqa: UP031
    (web,) = parse_xl_list(f"{header}\n{row}\n")
    assert (web.cpu_time, web.cpupool) == (5.9, "1234567890abcdefgh")


@pytest.mark.parametrize(
    "text",
    ["(domain (name a)", "(domain (name a)))", "(name 'unterminated)", r"(name 'bad \q escape')"],
)
def test_bad_sxp_fails(text: str) -> None:
    with pytest.raises(ParseError):
        parse_sxp(text)


@pytest.mark.parametrize(
    "text",
    [
        '[{"domid": "1", "config": {}}]',
        '[{"config": {}}]',
        '[{"domid": 1, "config": {"c_info": {"type": "kvm"}}}]',
        '[{"domid": 1, "config": {"b_info": {"max_memkb": "1"}}}]',
        '[{"domid": 1, "config": {"disks": {}}}]',
        "[1]",
        '[{"domid": 1,',
        "(domain\n\t(domid x)\n)\n",
        "(domain\n\tdomid 1\n)\n",
    ],
)
def test_bad_xl_list_long_fails(text: str) -> None:
    with pytest.raises(ParseError):
        parse_xl_list_long(text)


# ---------------------------------------------------------------------------------------------------------------------
# domU configs and disk specs


WEB1 = """\
# web1: a PV guest on two DRBD resources
name = "web1"
memory = 512
vcpus = 2
builder = 'generic'
disk = [ 'phy:/dev/drbd1,xvda1,w',
         'drbd:res,xvda2,w',   # the block-drbd script
         "format=raw, vdev=xvdb, access=rw, target=/dev/drbd/by-res/data/0",
]
vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0' ]
on_crash = "restart";
"""


def test_domu_config_example() -> None:
    config = parse_domu_config(WEB1)
    assert (config.name, config.memory_mib, config.vcpus, config.type) == ("web1", 512, 2, DomainType.PV)
    phy, drbd, by_res = config.disks
    assert (phy.kind, phy.drbd_minor, phy.drbd_resource, phy.vdev, phy.mode) == (DiskKind.PHY, 1, None, "xvda1", "w")
    assert (drbd.kind, drbd.drbd_resource, drbd.drbd_minor, drbd.script) == (DiskKind.DRBD, "res", None, "block-drbd")
    assert (by_res.drbd_resource, by_res.drbd_volume, by_res.target, by_res.mode) == ("data", 0, by_res.path, "rw")
    assert all(disk.is_drbd and disk.is_writable for disk in config.disks)
    assert config.vifs[0].mac == "00:16:3e:00:00:01" and config.vifs[0].bridge == "xenbr0"
    assert config.get("on_crash") == "restart" and config.get("kernel") is None


@pytest.mark.parametrize(
    ("text", "dtype"),
    [('name="a"\nbuilder="hvm"\n', DomainType.HVM), ('name="a"\ntype="pvh"\nbuilder="hvm"\n', DomainType.PVH)],
)
def test_domu_type(text: str, dtype: DomainType) -> None:
    assert parse_domu_config(text).type is dtype


def test_xl_append_and_string_numbers() -> None:
    config = parse_domu_config(
        'name = "a"\nmemory = "1024"\ndisk = ["phy:/dev/drbd2,xvda,w"]\ndisk += ["drbd:r9,xvdb,r"]\n'
    )
    assert config.memory_mib == 1024 and [d.path for d in config.disks] == ["/dev/drbd2", "r9"]


@pytest.mark.parametrize(
    ("text", "lineno"),
    [
        ('name = "a"\nimport os\n', 2),
        ('name = "a"\nmemory = 512 * 2\n', 2),
        ('name = "a"\nvcpus = __import__("os").system("false")\n', 2),
        ('name = "a"\nmemory = [\n', 2),
        ('name = "a"\nmemory = "lots"\n', 2),
        ('name = "a"\ndisk = [\n "phy:/dev/drbd1,xvda,w",\n "phy:/dev/x,xvdb,w,extra,more",\n]\n', 4),
        ('name = "a"\ndisk = [ 1 ]\n', 2),
        ("memory = 1\n", 0),
        ('name = "a"\nvif = [ "bridge" ]\n', 2),
        ('name = "a"\ntype = "kvm"\n', 2),
    ],
)
def test_bad_configs_fail_naming_the_line(text: str, lineno: int) -> None:
    with pytest.raises(ParseError) as info:
        parse_domu_config(text)
    assert info.value.lineno == lineno


@pytest.mark.parametrize(
    ("text", "kind", "path", "vdev", "mode"),
    [
        ("phy:/dev/drbd/by-res/r0,xvda,w!", DiskKind.PHY, "/dev/drbd/by-res/r0", "xvda", "w!"),
        ("tap:aio:/srv/x.img,xvda,w", DiskKind.TAP, "/srv/x.img", "xvda", "w"),
        ("file:/srv/cd.iso,hdc:cdrom,r", DiskKind.FILE, "/srv/cd.iso", "hdc", "r"),
        ("/dev/vg/x,,xvda", DiskKind.UNKNOWN, "/dev/vg/x", "xvda", None),
        ("vdev=xvda, backendtype=phy, target=/dev/a,b", DiskKind.PHY, "/dev/a,b", "xvda", None),
        ("script=block-drbd,vdev=xvda,target=r1", DiskKind.DRBD, "r1", "xvda", None),
        ("iscsi:iqn.2001-04.com.example:disk,xvda,w", DiskKind.SCRIPT, "iqn.2001-04.com.example:disk", "xvda", "w"),
        ("mydrbd:r7,xvdc,w", DiskKind.SCRIPT, "r7", "xvdc", "w"),  # xend runs block-mydrbd for any prefix
    ],
)
def test_disk_spec_forms(text: str, kind: DiskKind, path: str, vdev: str, mode: str | None) -> None:
    spec = parse_disk_spec(text)
    assert (spec.kind, spec.path, spec.vdev, spec.mode) == (kind, path, vdev, mode)


def test_drbd_properties() -> None:
    assert parse_disk_spec("phy:/dev/drbd12,xvda,w").drbd_minor == 12
    assert parse_disk_spec("phy:/dev/drbd/by-res/r0/1,xvda,w").drbd_volume == 1
    plain = parse_disk_spec("phy:/dev/vg/x,xvda,r")
    assert not plain.is_drbd and not plain.is_writable and plain.drbd_minor is None


@pytest.mark.parametrize(
    "text", ["", "phy:/dev/x,xvda,rwx", "phy:/dev/x,xvda,w,extra", "bogus=1,/dev/x", "/dev/x,vfat"]
)
def test_bad_disk_specs_fail(text: str) -> None:
    with pytest.raises(ParseError):
        parse_disk_spec(text)


# ---------------------------------------------------------------------------------------------------------------------
# Scale: the monitor parses `xl list` every 10 s (timing is measured in bench/, never asserted in tests)


def test_xl_list_of_a_thousand_domains() -> None:
    header = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
    domains = tuple(
        Domain(f"guest {n} of {n + 1}", n, 1024, 2, "-b----" if n % 3 else "r-----", n * 1.5, Toolstack.XL)
        for n in range(1000)
    )
    text = "\n".join([header, *(render_xl_row(domain, ()) for domain in domains)]) + "\n"
    assert parse_xl_list(text) == domains


# ---------------------------------------------------------------------------------------------------------------------
# The hot readers: the split-based rows and the plain "no such domain" test agree with the regex reader and the
# error classifier they stand in for


def _regex_only(parse, text):  # type: ignore[no-untyped-def]
    """`parse(text)` with the plain row readers switched off, so that every row goes to the regex reader."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(listing_module, "_plain_xl_row", lambda line: None)
        patch.setattr(listing_module, "_plain_xm_row", lambda line: None)
        return parse(text)


def _same_reading(parse, text: str) -> None:  # type: ignore[no-untyped-def]
    """Both readers give the same domains, or the same ParseError."""
    try:
        fast = parse(text)
    except ParseError as exc:
        with pytest.raises(ParseError) as slow:
            _regex_only(parse, text)
        assert str(slow.value) == str(exc)
        return
    assert _regex_only(parse, text) == fast


PLAIN_ROWS = [
    "web1                                         7   512     1     -b----      12.3",
    "guest 1 of 2                                 7   512     1     r-----       0.0",
    "(null)                                       7   512     1     --psc-       1.2",
    "Domain-e64b12a0-0493-44d7-afde-55c776513426  21  512     1     ----c-       1.0",
    "web1\t7 512 1 -b---- 12.3",
    " web1 7 512 1 -b---- 12.3",
    "wéb1 7 512 1 -b---- 12.3",
    "web1 7 512 1 ---c- 12.3",
    "web1 7 512 1 rb---- 12.3 ",
    "web1 7 512 1 ----c- 12.3",
    "web1 7 512 1 -b---- 12.30",
    "web1 7 512 1 -b---- 12.",
    "web1 x 512 1 -b---- 12.3",
    "web1 512 1 12.3",
    "web1 7 512 1 -b---- 12.3 extra",
]


@pytest.mark.parametrize("row", PLAIN_ROWS)
@pytest.mark.parametrize("parse", [parse_xl_list, parse_xm_list], ids=["xl", "xm"])
def test_plain_rows_read_as_the_regex_reader_reads_them(parse, row: str) -> None:  # type: ignore[no-untyped-def]
    _same_reading(parse, f"Name ID Mem VCPUs\tState\tTime(s)\n{row}\n")


@MUTANTS
@given(st.one_of(xl_list_outputs(), xm_list_outputs()), st.data())
def test_plain_and_regex_readers_agree_on_mutated_listings(case: tuple[object, str], data: st.DataObject) -> None:
    text = data.draw(mutations(case[1]))
    for parse in (parse_xl_list, parse_xm_list):
        _same_reading(parse, text)


def test_plain_listing_needs_no_regex() -> None:
    text = read("reconstructed/xl/list_single_domain.txt")
    listing_module._PATTERNS.clear()
    assert parse_xl_list(text)[0].name == "web01"
    assert listing_module._PATTERNS == {}  # nothing compiled: `re` is not even imported for it


NOT_FOUND_FIXTURES = (
    "reconstructed/xl/error_list_unknown_name_stderr.txt",
    "reconstructed/xl/error_list_unknown_domid_stderr.txt",
    "reconstructed/xm/error_domain_does_not_exist_stderr.txt",
    "xl/commitmsg_error_domain_does_not_exist.txt",
)


@pytest.mark.parametrize("relative", NOT_FOUND_FIXTURES)
def test_no_such_domain_is_recognised_without_the_classifier(relative: str) -> None:
    assert says_no_such_domain(read(relative))


def _never_claims_more_than_the_classifier(text: str) -> None:
    if says_no_such_domain(text):
        assert parse_xen_error(text).kind is XenErrorKind.DOMAIN_NOT_FOUND, text


@pytest.mark.parametrize("path", fixture_params("xl/*", "xm/*", "reconstructed/xl/*", "reconstructed/xm/*"))
def test_no_such_domain_agrees_with_the_classifier_on_every_fixture(path: Path) -> None:
    _never_claims_more_than_the_classifier(path.read_text())


_NEAR_NOT_FOUND = [
    "web1 is an invalid domain identifier (rc=-6)",
    "web1 is an invalid domain identifier (rc=-3)",
    "web1 is an invalid domain identifier",
    " is an invalid domain identifier",
    "web1  is an invalid domain identifier (rc=-06)",
    "Error: Domain 'web1' does not exist.",
    "Error: Domain '' does not exist.",
    "Error: Domain 'web1' does not exist",
    "libxl: error: libxl.c:87:libxl_ctx_alloc: cannot open libxc handle: Permission denied",
]


@FAST
@given(st.lists(st.sampled_from(_NEAR_NOT_FOUND) | st.text(max_size=60), max_size=4), st.data())
def test_no_such_domain_never_claims_more_than_the_classifier(lines: list[str], data: st.DataObject) -> None:
    text = data.draw(mutations("\n".join(lines) + "\n")) if lines else ""
    _never_claims_more_than_the_classifier(text)


# ---------------------------------------------------------------------------------------------------------------------
# A bounded config reader


def test_config_reader_is_bounded_and_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.cfg"
    os.mkfifo(fifo)
    began = time.monotonic()
    with pytest.raises(OSError, match="a FIFO, not a regular file"):
        read_domu_config(str(fifo), deadline=Deadline(5.0))  # no writer: refused at once, never waited for
    assert time.monotonic() - began < 1.0
    with pytest.raises(OSError, match="a directory, not a regular file"):
        read_domu_config(str(tmp_path))
    big = tmp_path / "big.cfg"
    big.write_text("name = 'web1'\n" + "#" * 100 + "\n")
    with pytest.raises(ParseError, match="larger than 64 bytes"):
        read_domu_config(str(big), limit=64)
    assert read_domu_config(str(big)).name == "web1"
    crlf = tmp_path / "crlf.cfg"
    crlf.write_bytes(b"name = 'web1'\r\nmemory = 512\r\n")
    assert (read_domu_config(str(crlf)).name, read_domu_config(str(crlf)).memory_mib) == ("web1", 512)


def test_has_hypervisor_refuses_a_fifo_or_a_directory_at_once(tmp_path: Path) -> None:
    from xenha.xen.ctl import has_hypervisor

    fifo = tmp_path / "capabilities"
    os.mkfifo(fifo)
    assert has_hypervisor(str(fifo)) is None  # says nothing, never waits for a writer
    assert has_hypervisor(str(tmp_path)) is None
    (tmp_path / "xen").mkdir()
    (tmp_path / "xen" / "capabilities").write_text("control_d\n")
    assert has_hypervisor(str(tmp_path / "xen" / "capabilities")) is True
    assert has_hypervisor(str(tmp_path / "nothere" / "capabilities")) is False
