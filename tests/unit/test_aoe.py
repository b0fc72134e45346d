# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha.aoe: aoe-stat/status.sh and vblade parsers over every fixture, vblade argv, /proc/net/packet, frames."""

from __future__ import annotations

import _socket
import getopt
import json
import re
import signal
import socket
import struct
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fixtures import FIXTURES, fixture_params, fixture_paths
from tests.oracles.aoe import AoeStat, AoeStatRow, DeviceState, parse_aoe_stat, parse_vblade_startup
from tests.strategies.aoe import aoe_stat_outputs, frames, render_row, vblade_args, vblade_startups
from xenha.aoe import netif, spawn
from xenha.aoe.proc import parse_proc_net_packet
from xenha.aoe.startup import OpenMode, VbladeStartup, scan_vblade_log
from xenha.aoe.vblade import (
    AoeAddress,
    PidRecord,
    VbladeArgs,
    _gnu_getopt,
    normalize_mac,
    parse_json_strings,
    parse_pid_record,
    parse_vblade_cmdline,
    render_pid_record,
    vblade_argv,
)
from xenha.aoe.wire import (
    ETH_P_AOE,
    MIN_FRAME,
    AtaBody,
    AtaCommand,
    Command,
    ConfigBody,
    ata_read,
    config_query,
    encode_frame,
    parse_frame,
)
from xenha.errors import ParseError

STAT_GLOBS = ("aoe/*aoe_stat*.txt", "aoe/*status_sh*.txt", "reconstructed/aoe/aoe_stat_*.txt")
VBLADE_GLOBS = ("aoe/*vblade*.txt", "reconstructed/aoe/vblade_*.txt")


def read(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_every_aoe_fixture_has_a_parser():
    every = set(fixture_paths("aoe/*", "reconstructed/aoe/*"))
    assert every == set(fixture_paths(*STAT_GLOBS)) | set(fixture_paths(*VBLADE_GLOBS))
    assert not set(fixture_paths(*STAT_GLOBS)) & set(fixture_paths(*VBLADE_GLOBS))


# --- aoe-stat and status.sh -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", fixture_params(*STAT_GLOBS))
def test_aoe_stat_parses_every_fixture(path: Path):
    stat = parse_aoe_stat(path.read_text())
    assert stat.rows
    assert all(row.state is not None for row in stat.rows)


def test_manpage_five_devices():
    stat = parse_aoe_stat(read("aoe/manpage_aoe_stat_five_devices_up.txt"))
    assert [str(r.address) for r in stat.rows] == ["e0.0", "e0.1", "e0.2", "e1.0", "e7.0"]
    assert [r.size_mb for r in stat.rows] == [10995116, 10995116, 10995116, 1152874, 370566]
    assert stat.rows[4].size_gb == pytest.approx(370.566)
    assert all(r.is_up and r.netifs == ("eth3",) and r.payload is None for r in stat.rows)
    assert stat.warnings == ()


def test_manpage_wrong_minor_warning_is_kept_between_rows():
    stat = parse_aoe_stat(read("aoe/manpage_aoe_stat_warning_wrong_minor.txt"))
    assert stat.warnings == ("device node /dev/etherd/e45.1 has wrong minor device number",)
    assert len(stat.rows) == 5
    e45 = stat.find(AoeAddress(45, 1))
    assert e45 is not None and e45.size_mb == 1152874 and e45.netifs == ("eth0",)
    small = stat.find(AoeAddress(0, 3))
    assert small is not None and small.size_mb == 104  # printed "0.104GB": %04d pads to 0104
    assert stat.find(AoeAddress(45, 2)) is None


def test_status_sh_twenty_devices_have_no_size():
    stat = parse_aoe_stat(read("aoe/kernel_doc_status_sh_20_devices.txt"))
    assert len(stat.rows) == 20
    assert {r.address for r in stat.rows} == {AoeAddress(s, n) for s in (10, 4) for n in range(10)}
    assert all(r.size_mb is None and r.is_up for r in stat.rows)
    assert {r.netifs for r in stat.rows if r.address.shelf == 4} == {("eth1",)}
    assert {r.netifs for r in stat.rows if r.address.shelf == 10} == {("eth3",)}


def test_readme_one_device():
    (row,) = parse_aoe_stat(read("aoe/readme_aoe_stat_one_device.txt")).rows
    assert row == AoeStatRow(AoeAddress(9, 0), None, ("eth1",), None, DeviceState.UP)


def test_closewait_is_down():
    stat = parse_aoe_stat(read("reconstructed/aoe/aoe_stat_down_closewait.txt"))
    e10, e11 = stat.rows
    assert e10.state is DeviceState.DOWN_CLOSEWAIT and not e10.is_up
    assert e10.size_mb == 10737 and e11.size_mb == 1073 and e11.is_up


def test_payload_column():
    stat = parse_aoe_stat(read("reconstructed/aoe/aoe_stat_with_payload.txt"))
    assert [(str(r.address), r.payload, r.state) for r in stat.rows] == [
        ("e1.0", 8704, DeviceState.UP),
        ("e1.1", 8704, DeviceState.UP),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("      e1.0         10.737GB   eth1 up,kickme      ", DeviceState.UP_KICKME),
        ("      e1.0         10.737GB   eth1 down,kickme    ", DeviceState.DOWN_KICKME),
        ("      e1.0         10.737GB   eth1 down          ", DeviceState.DOWN),
        ("      e1.0             (NA)   (NA) (NA)          ", None),
    ],
)
def test_other_driver_states_and_missing_attributes(line, expected):
    (row,) = parse_aoe_stat(line + "\n").rows
    assert row.state is expected


def test_netif_none_and_several_interfaces():
    stat = parse_aoe_stat("      e1.0         10.737GB   none down\n      e1.1   1.073GB eth0,eth1 up\n")
    assert stat.rows[0].netifs == () and stat.rows[1].netifs == ("eth0", "eth1")


def test_payload_layout_with_a_device_whose_payload_is_missing():
    # aoe-stat gives the five-column format only four values: the state lands in the payload column.
    row = AoeStatRow(AoeAddress(2, 3), 5, ("eth0",), None, DeviceState.UP)
    line = render_row(row, "payload")
    assert (
        line == "      e2.3         0.005GB       eth0 up" + " " * 18
    )  # bash: printf "%10s %15s %10s %-5s %-14s\n" ...
    assert parse_aoe_stat(line).rows == (row,)


@pytest.mark.parametrize(
    "text",
    [
        "      e1.0         10.737GB   eth1 sideways\n",
        "      e1.0         10.737GB   eth1 up extra more\n",
        "      x1.0         10.737GB   eth1 up\n",
        "      e1.0         10.73GB    eth1 up\n",
        "      e1.0         10.737TB   eth1 up\n",
        "   e1.0 10.737GB eth1 99x up\n",
        "      e1.0\n",
        "     e65536.0         10.737GB   eth1 up\n",
        "      e1.256         10.737GB   eth1 up\n",
        "aoe-stat Error: sysfs is not mounted\n",
        "      e1.0         10.737GB   eth1 ²    up\n",
    ],
)
def test_malformed_aoe_stat_raises_parse_error(text):
    with pytest.raises(ParseError) as info:
        parse_aoe_stat(text)
    assert info.value.tool == "aoe-stat" and info.value.lineno == 1


@given(aoe_stat_outputs())
@example(  # reconstructed/aoe/aoe_stat_down_closewait.txt: a 14-character state fills %-14s exactly
    (
        AoeStat((AoeStatRow(AoeAddress(1, 0), 10737, ("eth1",), None, DeviceState.DOWN_CLOSEWAIT),)),
        "      e1.0         10.737GB   eth1 down,closewait\n",
    )
)
@settings(max_examples=150)
def test_aoe_stat_round_trip(case: tuple[AoeStat, str]):
    model, text = case
    assert parse_aoe_stat(text) == model


@given(aoe_stat_outputs(), st.data())
@settings(max_examples=150)
def test_mutated_aoe_stat_raises_only_parse_error(case: tuple[AoeStat, str], data: st.DataObject):
    _, text = case
    at = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=5))
    mutated = text[:at] + junk + text[at + data.draw(st.integers(0, 3)) :]
    try:
        parse_aoe_stat(mutated)
    except ParseError:
        pass


# --- vblade start-up and log ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", fixture_params(*VBLADE_GLOBS))
def test_vblade_startup_parses_every_fixture(path: Path):
    startup = parse_vblade_startup(path.read_text())
    assert startup.pid > 0 and startup.sectors > 0
    assert scan_vblade_log(path.read_text()) == scan_vblade_log(path.read_text())
    assert scan_vblade_log(path.read_text()).startup == startup


def test_vblade_startup_facts():
    rdwr = parse_vblade_startup(read("reconstructed/aoe/vblade_startup_rdwr.txt"))
    assert rdwr == VbladeStartup(2345, AoeAddress(1, 0), 20971520, OpenMode.RDWR)
    assert rdwr.size_bytes == 10 * 2**30 and not rdwr.is_read_only
    rdonly = parse_vblade_startup(read("reconstructed/aoe/vblade_startup_rdonly.txt"))
    assert rdonly == VbladeStartup(2346, AoeAddress(1, 1), 2097152, OpenMode.RDONLY)
    assert rdonly.is_read_only
    old = parse_vblade_startup(read("aoe/readme_vblade_startup_old.txt"))
    assert old == VbladeStartup(16967, AoeAddress(9, 0), 8388610, None)
    assert old.size_bytes == 4294968320  # the debug line above it printed the same size in bytes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "pid 1: e1.0, 10 sectors O_RDWR\npid 2: e1.0, 10 sectors O_RDWR\n",
        "pid 1: e1.0, 10 sectors O_RDWRX\n",
        "pid x: e1.0, 10 sectors O_RDWR\n",
        "open: No such file or directory\n",
        "pid 1: e1.0, 10 sectors O_RDWR\nioctl returned 0\n",
    ],
)
def test_malformed_vblade_startup_raises_parse_error(text):
    with pytest.raises(ParseError):
        parse_vblade_startup(text)


def test_scan_vblade_log_keeps_diagnostics():
    log = scan_vblade_log("ignoring mask zz, parseether failure\npid 7: e1.2, 8 sectors O_RDWR\nread network: boom\n")
    assert log.startup == VbladeStartup(7, AoeAddress(1, 2), 8, OpenMode.RDWR)
    assert log.messages == ("ignoring mask zz, parseether failure", "read network: boom")
    assert log.last_message == "read network: boom"
    assert scan_vblade_log("open: Wrong medium type\n") == scan_vblade_log("\nopen: Wrong medium type")
    assert scan_vblade_log("open: Wrong medium type\n").startup is None


@given(vblade_startups())
@settings(max_examples=100)
def test_vblade_startup_round_trip(case: tuple[VbladeStartup, str]):
    model, text = case
    assert parse_vblade_startup(text) == model
    assert scan_vblade_log(text).startup == model


# --- vblade argv -----------------------------------------------------------------------------------------------------


def test_vblade_argv_uses_every_option():
    args = VbladeArgs(
        1, 2, "eth1", "/dev/drbd0", read_only=True, direct_io=True, sync_io=True, buffers=8, macs=("00:16:3e:00:00:01",)
    )
    assert vblade_argv(args, "/usr/sbin/vblade") == [
        "/usr/sbin/vblade",
        *("-b", "8", "-d", "-s", "-r", "-m", "00:16:3e:00:00:01"),
        *("--", "1", "2", "eth1", "/dev/drbd0"),
    ]
    assert vblade_argv(VbladeArgs(0, 0, "e", "/f")) == ["vblade", "--", "0", "0", "e", "/f"]


def test_parse_vblade_cmdline_accepts_getopt_forms():
    # glibc getopt permutes, clusters flags and takes attached values; -m accumulates.
    args = parse_vblade_cmdline(
        ["vblade", "7", "-dr", "-b4", "3", "eth0", "-m", "AABBCCDDEEFF", "/dev/x", "-m001122334455"]
    )
    assert args == VbladeArgs(
        7,
        3,
        "eth0",
        "/dev/x",
        read_only=True,
        direct_io=True,
        buffers=4,
        macs=("aa:bb:cc:dd:ee:ff", "00:11:22:33:44:55"),
    )
    assert args.address == AoeAddress(7, 3)


@pytest.mark.parametrize(
    "argv",
    [
        ["vblade"],
        ["vblade", "1", "2", "eth0"],
        ["vblade", "-x", "1", "2", "eth0", "/f"],
        ["vblade", "-b", "many", "1", "2", "eth0", "/f"],
        ["vblade", "a", "2", "eth0", "/f"],
        ["vblade", "-m", "00:11", "1", "2", "eth0", "/f"],
        ["vblade", "1", "2", "eth0", "/f", "extra"],
        ["vblade", "-b"],
    ],
)
def test_bad_vblade_cmdline_raises_parse_error(argv):
    with pytest.raises(ParseError):
        parse_vblade_cmdline(argv)


@given(vblade_args())
@example(VbladeArgs(1, 0, "-eth", "-file"))
@settings(max_examples=150)
def test_vblade_argv_round_trip(args: VbladeArgs):
    assert parse_vblade_cmdline(vblade_argv(args)) == args


@pytest.mark.parametrize(
    ("text", "mac"),
    [
        ("00:16:3E:0a:0B:0c", "00:16:3e:0a:0b:0c"),
        ("00163e0a0b0c", "00:16:3e:0a:0b:0c"),
        ("0016:3e0a:0b0c", "00:16:3e:0a:0b:0c"),
    ],
)
def test_normalize_mac(text, mac):
    assert normalize_mac(text) == mac


@pytest.mark.parametrize("text", ["", "00:16:3e", "00:16:3e:0a:0b:0c:0d", "g0:16:3e:0a:0b:0c", "00-16-3e-0a-0b-0c"])
def test_normalize_mac_rejects(text):
    assert normalize_mac(text) is None


# --- /proc/net/packet ------------------------------------------------------------------------------------------------

PROC_NET_PACKET = (
    "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
    "0000000000000000 3      3    88a2   2     1 0      0      41234 \n"
    "0000000000000000 3      3    0003   0     0 2304   100    41301 \n"
)


def test_proc_net_packet():
    sockets = parse_proc_net_packet(PROC_NET_PACKET)
    assert [(s.inode, s.protocol, s.ifindex, s.is_running, s.rmem, s.uid) for s in sockets] == [
        (41234, ETH_P_AOE, 2, True, 0, 0),
        (41301, 3, 0, False, 2304, 100),
    ]
    assert parse_proc_net_packet(PROC_NET_PACKET.splitlines()[0]) == ()


@pytest.mark.parametrize(
    "line",
    ["0000 3 3 88a2 2 1 0 0", "0000 3 3 zz88 2 1 0 0 5", "0000 3 3 88a2 2 2 0 0 5", "0000 3 3 88a2 x 1 0 0 5"],
)
def test_proc_net_packet_rejects(line):
    with pytest.raises(ParseError):
        parse_proc_net_packet(PROC_NET_PACKET + line + "\n")


def test_proc_net_packet_of_this_namespace_parses():
    with open("/proc/net/packet") as handle:
        parse_proc_net_packet(handle.read())


# --- AoE frames ------------------------------------------------------------------------------------------------------

ME = bytes.fromhex("020000000001")
TARGET = bytes.fromhex("020000000002")


def test_config_query_bytes_match_the_protocol_layout():
    data = encode_frame(config_query(ME, AoeAddress(0x1234, 0x56), tag=0xDEADBEEF))
    assert data == (
        b"\xff" * 6
        + ME
        + b"\x88\xa2"  # broadcast, ethertype
        + b"\x10\x00"
        + b"\x12\x34"
        + b"\x56"
        + b"\x01"
        + b"\xde\xad\xbe\xef"  # ver 1, no flags, major, minor, cmd, tag
        + b"\x00\x00"
        + b"\x00\x00"
        + b"\x00"
        + b"\x00"
        + b"\x00\x00"  # bufcnt, firmware, scnt, ver/ccmd read, len
    )
    assert len(data) == 32  # vblade Ncfghdr


def test_ata_read_bytes_match_the_protocol_layout():
    frame = ata_read(ME, TARGET, AoeAddress(1, 2), tag=7, lba=0x0102030405, count=2)
    data = encode_frame(frame)
    assert len(data) == 36  # vblade Natahdr
    assert data[14:24] == b"\x10\x00\x00\x01\x02\x00\x00\x00\x00\x07"
    assert data[24:] == b"\x40\x00\x02\x24" + bytes([5, 4, 3, 2, 1, 0]) + b"\x00\x00"  # E flag, READ EXT, LBA LSB first
    assert frame.body == AtaBody(0x40, 0, 2, AtaCommand.READ_SECTORS_EXT, 0x0102030405)
    assert isinstance(frame.body, AtaBody) and frame.body.is_extended and not frame.body.is_write


def test_parse_a_vblade_config_answer_with_padding():
    # What vblade 25 answers on a 1500-byte MTU: response flag, scnt 2, firmware 0x4019, empty config string.
    answer = (
        ME
        + TARGET
        + struct.pack("!H", ETH_P_AOE)
        + struct.pack("!BBHBBI", 0x18, 0, 3, 4, 1, 99)
        + struct.pack("!HHBBH", 16, 0x4019, 2, 0x10, 0)
    ).ljust(MIN_FRAME, b"\0")
    frame = parse_frame(answer)
    assert frame.header.is_response and not frame.header.has_error
    assert frame.header.address == AoeAddress(3, 4) and frame.header.command == Command.CONFIG
    assert frame.header.tag == 99 and frame.header.version == 1
    assert frame.body == ConfigBody(16, 0x4019, 2, 1, 0, b"")


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x00" * 23, "shorter than an AoE header"),
        (b"\x00" * 12 + b"\x08\x00" + b"\x00" * 20, "not AoE"),
        (b"\x00" * 12 + b"\x88\xa2" + b"\x13" + b"\x00" * 9, "reserved flag"),
        (b"\x00" * 12 + b"\x88\xa2" + b"\x10\x00\x00\x00\x00\x01\x00\x00\x00\x00" + b"\x00" * 7, "Query Config"),
        (
            b"\x00" * 12 + b"\x88\xa2" + b"\x10\x00\x00\x00\x00\x01\x00\x00\x00\x00" + b"\x00" * 6 + b"\x00\x05",
            "runs past",
        ),
        (b"\x00" * 12 + b"\x88\xa2" + b"\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00" + b"\x00" * 11, "ATA frame"),
    ],
)
def test_malformed_frames_raise_parse_error(data, why):
    with pytest.raises(ParseError, match=why):
        parse_frame(data)


@given(frames())
@settings(max_examples=200)
def test_frame_round_trip(frame):
    assert parse_frame(encode_frame(frame)) == frame


@given(frames(), st.data())
@settings(max_examples=200)
def test_truncated_or_garbage_frames_raise_only_parse_error(frame, data):
    raw = encode_frame(frame)
    cut = raw[: data.draw(st.integers(0, len(raw)))]
    junk = data.draw(st.binary(max_size=80))
    for candidate in (cut, junk, cut + junk):
        try:
            parse_frame(candidate)
        except ParseError:
            pass


# --- the monitor's hand-written readers, held to the stdlib's answers -------------------------------------------------

_ANY_TEXT = st.text(st.characters(), max_size=12)  # surrogates and control characters included


@st.composite
def _mutated(draw: st.DrawFn, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(max_size=3)) + text[at + draw(st.integers(0, 2)) :]


def _json_answer(text: str) -> list[str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


@given(st.lists(_ANY_TEXT, max_size=5), st.booleans())
@settings(max_examples=300)
def test_parse_json_strings_reads_what_json_dumps_writes(items: list[str], ascii_only: bool):
    assert parse_json_strings(json.dumps(items, ensure_ascii=ascii_only)) == items


_JSON_PIECES = [*'[]",\\/ \t\n\rubfntx0aAdD8c\x01\u00e9', "\\u", "\\ud83d", "\\ude00"]
_JSONISH = st.lists(st.sampled_from(_JSON_PIECES)).map("".join)


@given(st.one_of(_JSONISH, st.lists(_ANY_TEXT, max_size=3).map(json.dumps).flatmap(_mutated)))
@example('["a", "b"]')
@example(' [ "\\ud83d\\ude00" , "\\udc80" ] ')
@example('["\\ud800\\u0041"]')
@example('["\\ud800\\uZZZZ"]')
@example('["a\\u00"]')
@example('["\\u+0a1"]')
@example("[]")
@example('["a",]')
@example('["\x01"]')
@example('\ufeff["a"]')
@settings(max_examples=500)
def test_parse_json_strings_agrees_with_json_loads(text: str):
    assert parse_json_strings(text) == _json_answer(text)


@st.composite
def _getopt_args(draw: st.DrawFn) -> list[str]:
    words = st.sampled_from(["-", "--", "-d", "-rs", "-b", "-b4", "-m", "-x", "--long", "--b=1", "1", "eth0", "-dm"])
    return draw(st.lists(words | st.text("-bdsrmolx19", max_size=4), max_size=7))


@given(_getopt_args())
@example(["-dr", "-b4", "3", "eth0", "-m", "AA", "/dev/x"])
@settings(max_examples=500)
def test_vblade_getopt_agrees_with_gnu_getopt(args: list[str]):
    try:
        expected: object = getopt.gnu_getopt(args, "b:dsrm:o:l:")
    except getopt.GetoptError as exc:
        expected = exc.msg
    try:
        found: object = _gnu_getopt(args)
    except ValueError as exc:
        found = str(exc)
    assert found == expected


_MAC_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::?[0-9A-Fa-f]{2}){5}")


@given(st.text("0123456789abcdefABCDEFg:-", max_size=20) | st.binary(min_size=6, max_size=6).map(bytes.hex))
@example("00:16:3e0a0b:0c")
@example("00:16:3e:0a:0b:0c:")
@settings(max_examples=500)
def test_normalize_mac_agrees_with_the_grammar(text: str):
    expected = None
    if _MAC_PAIRS.fullmatch(text):
        digits = text.replace(":", "").lower()
        expected = ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    assert normalize_mac(text) == expected


@given(st.integers(1, 2**22), st.lists(_ANY_TEXT.filter(bool), min_size=1, max_size=5))
@settings(max_examples=100)
def test_pid_record_keeps_any_argv(pid: int, argv: list[str]):
    record = PidRecord(pid, tuple(argv))
    assert parse_pid_record(render_pid_record(record)) == record


def test_signal_numbers_are_the_signal_modules():
    assert (spawn.SIGTERM, spawn.SIGKILL) == (signal.SIGTERM, signal.SIGKILL)


def test_netif_is_the_socket_modules():
    assert _socket.if_nametoindex is socket.if_nametoindex
    assert netif.ifindex("lo") == socket.if_nametoindex("lo")
    assert netif.ifindex("nosuch0") is None
    assert netif.hwaddr("lo") == "00:00:00:00:00:00" and netif.is_up("lo")
    assert netif.hwaddr("nosuch0") is None and not netif.is_up("nosuch0")
