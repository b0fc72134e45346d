# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha.drbd.status9 and events2 (and the text/show oracles): every DRBD 9 fixture parses, named fixtures give the
right facts, renders round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fixtures import FIXTURES, fixture_params, fixture_paths
from tests.oracles.drbd9_show_json import parse_show_json
from tests.oracles.drbd9_status_text import parse_status_text
from tests.strategies import drbd9 as s9
from xenha.drbd.events2 import Action, Event2, EventObject, Events2, Skipped, events2_state, parse_events2
from xenha.drbd.model import ConnState, DiskState, DrbdVolume, ReplState, Role
from xenha.drbd.status9 import (
    PeerDevice9,
    Resource9,
    ResyncSuspend,
    SuspendReason,
    WriteOrdering,
    parse_status_json,
    volumes,
)
from xenha.errors import ParseError
from xenha.record import replace

STATUS_TEXT = ("drbd9/*status*.txt", "reconstructed/drbd9/status_*.txt", "drbd9/docs_84utils_drbd*_status*.txt")
STATUS_JSON = ("drbd9/*status_json*.json", "reconstructed/drbd9/status_json*.json")
SHOW_JSON = ("drbd9/*show_json*.json",)
EVENTS2 = ("drbd9/*events2*.txt", "reconstructed/drbd9/events2*.txt")
# The wrap_printf bug sample is two lines cut from the middle of an output: no resource line (see test below).
FRAGMENTS = {"drbd9/commitmsg_status_wrap_printf_indent_bug.txt"}
# Captures without an initial state (streams and excerpts): they parse, but cannot be folded into a state.
NO_INITIAL_STATE = {
    "drbd9/commitmsg_events2_diff_connecting_to_connected.txt",
    "drbd9/docs_84utils_events2_change_connection.txt",
    "reconstructed/drbd9/events2_stream_connect_and_resync.txt",
}

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(rel: str) -> str:
    return (FIXTURES / rel).read_text()


def rel(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def only(resources: tuple[Resource9, ...]) -> Resource9:
    assert len(resources) == 1
    return resources[0]


# ---------------------------------------------------------------------------------------------------------------------
# Every fixture of each kind


def test_fixture_globs_are_disjoint_and_complete() -> None:
    """Each drbd9 fixture is claimed by exactly one parser (so a new file cannot slip through untested)."""
    kinds = [STATUS_TEXT, STATUS_JSON, SHOW_JSON, EVENTS2]
    claimed = [{rel(p) for p in fixture_paths(*globs)} for globs in kinds]
    everything = {rel(p) for p in fixture_paths("drbd9/*", "reconstructed/drbd9/*")}
    assert sum(len(c) for c in claimed) == len(set().union(*claimed))
    # drbdadm cstate one-liners belong to the drbd.py one-liner parser, not here.
    assert everything - set().union(*claimed) == {"drbd9/docs_9_drbdadm_cstate_multi_peer.txt"}


@pytest.mark.parametrize("path", fixture_params(*STATUS_TEXT))
def test_every_status_text_fixture_parses(path: Path) -> None:
    text = path.read_text()
    if rel(path) in FRAGMENTS:
        with pytest.raises(ParseError, match="outside a resource"):
            parse_status_text(text)
        return
    resources = parse_status_text(text)
    assert resources
    for r in resources:
        assert r.devices
        for c in r.connections:
            for pd in c.peer_devices:
                assert r.device(pd.volume) is not None
    assert len(volumes(resources)) >= len(resources)


@pytest.mark.parametrize("path", fixture_params(*STATUS_JSON))
def test_every_status_json_fixture_parses(path: Path) -> None:
    resources = parse_status_json(path.read_text())
    assert resources
    assert all(r.devices and r.connections for r in resources)


@pytest.mark.parametrize("path", fixture_params(*SHOW_JSON))
def test_every_show_json_fixture_parses(path: Path) -> None:
    assert parse_show_json(path.read_text())


@pytest.mark.parametrize("path", fixture_params(*EVENTS2))
def test_every_events2_fixture_parses_and_folds(path: Path) -> None:
    events = parse_events2(path.read_text())
    assert len(events) > 0
    if rel(path) in NO_INITIAL_STATE:
        with pytest.raises(ParseError):
            events2_state(events)
    else:
        for r in events2_state(events):
            assert isinstance(r, Resource9)


# ---------------------------------------------------------------------------------------------------------------------
# status text: facts of named fixtures


def test_text_two_resources_two_volumes_three_nodes() -> None:
    resources = parse_status_text(read("drbd9/shaptools_drbdadm_status_2res_2vol_3node.txt"))
    assert [r.name for r in resources] == ["test", "res"]
    for r in resources:
        assert r.is_primary and not r.any_peer_primary
        assert [d.volume for d in r.devices] == [0, 1]
        assert [c.name for c in r.connections] == ["node2", "node3"]
        assert all(c.peer_role is Role.SECONDARY and c.state is ConnState.CONNECTED for c in r.connections)
        assert all(pd.replication is ReplState.ESTABLISHED for c in r.connections for pd in c.peer_devices)
        assert r.is_fully_uptodate
    vols = volumes(resources)
    assert len(vols) == 8
    assert {(v.resource, v.volume, v.peer) for v in vols} == {
        (r, v, p) for r in ("test", "res") for v in (0, 1) for p in ("node2", "node3")
    }
    assert all(v.cstate is ConnState.CONNECTED and v.is_peer_uptodate and v.minor is None for v in vols)


def test_text_local_and_peer_inconsistent_volumes() -> None:
    local = only(parse_status_text(read("drbd9/shaptools_drbdadm_status_local_vol1_inconsistent.txt")))
    assert [d.disk for d in local.devices] == [DiskState.UPTODATE, DiskState.INCONSISTENT]
    assert not local.is_fully_uptodate
    peer = only(parse_status_text(read("drbd9/shaptools_drbdadm_status_peer_vol0_inconsistent.txt")))
    node2 = peer.connection("node2")
    assert node2 is not None
    assert [pd.peer_disk for pd in node2.peer_devices] == [DiskState.INCONSISTENT, DiskState.UPTODATE]
    assert not peer.is_fully_uptodate


def test_text_syncsource_done() -> None:
    r = only(parse_status_text(read("drbd9/shaptools_drbdadm_status_syncsource_done.txt")))
    pd = r.connections[0].peer_devices[0]
    assert (pd.replication, pd.peer_disk, pd.done) == (ReplState.SYNC_SOURCE, DiskState.INCONSISTENT, 96.47)
    assert r.is_syncing
    (v,) = volumes([r])
    assert (v.cstate, v.sync_percent, v.peer, v.is_syncing) == (ConnState.SYNC_SOURCE, 96.47, "opensuse-node2", True)


def test_text_stale_docs_disk_on_peer_lines_and_connecting_peer() -> None:
    r = only(parse_status_text(read("drbd9/docs_9_drbdadm_status_4node_one_connecting.txt")))
    assert [c.name for c in r.connections] == ["nina", "nino", "nono"]
    nina, _, nono = r.connections
    assert nina.peer_devices[0].peer_disk is DiskState.UPTODATE  # printed as stale "disk:"
    assert nono.state is ConnState.CONNECTING and nono.peer_role is Role.UNKNOWN and nono.peer_devices == ()
    vols = volumes([r])
    assert [(v.peer, v.cstate, v.peer_disk) for v in vols] == [
        ("nina", ConnState.CONNECTED, DiskState.UPTODATE),
        ("nino", ConnState.CONNECTED, DiskState.UPTODATE),
        ("nono", ConnState.CONNECTING, None),
    ]
    assert not r.is_fully_uptodate and not r.all_connected


def test_text_docs_verbose_statistics_rewrapped_by_hand() -> None:
    r = only(parse_status_text(read("drbd9/docs_9_drbdsetup_status_verbose_statistics_4node.txt")))
    assert (r.node_id, r.write_ordering, r.suspended) == (1, WriteOrdering.NONE, False)
    d = r.devices[0]
    assert (d.minor, d.size, d.written, d.bm_writes, d.lower_pending, d.blocked) == (0, 1048412, 1048412, 48, 0, "no")
    nina = r.connection("nina")
    assert nina is not None and nina.peer_node_id == 0 and nina.congested is False
    assert nina.paths[0].local == "ipv4:10.9.9.111:7001" and nina.paths[0].peer == "ipv4:10.9.9.103:7010"
    assert nina.peer_devices[0].received == 1048412
    nono = r.connection("nono")
    assert nono is not None and (nono.peer_node_id, nono.state) == (3, ConnState.CONNECTING)


def test_text_84utils_forms() -> None:
    plain = only(parse_status_text(read("drbd9/docs_84utils_drbdadm_status_secondary.txt")))
    assert (plain.name, plain.role, plain.connections[0].name) == ("home", Role.SECONDARY, "peer")
    assert plain.connections[0].peer_devices[0].replication is ReplState.ESTABLISHED
    verbose = only(parse_status_text(read("drbd9/docs_84utils_drbdsetup_status_verbose_statistics.txt")))
    assert verbose.write_ordering is WriteOrdering.FLUSH and verbose.devices[0].size == 5033792
    pd = verbose.connections[0].peer_devices[0]
    assert (pd.resync_suspended, pd.out_of_sync, pd.unacked) == ((), 0, 0)


def test_text_diskless_standalone() -> None:
    r = only(parse_status_text(read("drbd9/commitmsg_drbdadm_status_diskless_standalone.txt")))
    assert r.devices[0].is_diskless and r.devices[0].volume == 0
    c = r.connections[0]
    assert (c.name, c.state, c.peer_role, c.peer_devices) == ("upgrade-1", ConnState.STANDALONE, Role.UNKNOWN, ())
    (v,) = volumes([r])
    assert (v.cstate, v.peer_role, v.peer_disk, v.disk) == (ConnState.STANDALONE, None, None, DiskState.DISKLESS)


@pytest.mark.parametrize(
    ("name", "role", "peer_role", "disk", "peer_disk", "cstate"),
    [
        ("status_primary_secondary", Role.PRIMARY, Role.SECONDARY, "UpToDate", "UpToDate", ConnState.CONNECTED),
        ("status_secondary_secondary", Role.SECONDARY, Role.SECONDARY, "UpToDate", "UpToDate", ConnState.CONNECTED),
        ("status_dual_primary", Role.PRIMARY, Role.PRIMARY, "UpToDate", "UpToDate", ConnState.CONNECTED),
        ("status_syncsource", Role.PRIMARY, Role.SECONDARY, "UpToDate", "Inconsistent", ConnState.SYNC_SOURCE),
        ("status_synctarget", Role.SECONDARY, Role.PRIMARY, "Inconsistent", "UpToDate", ConnState.SYNC_TARGET),
        ("status_connecting_outdated", Role.SECONDARY, None, "Outdated", None, ConnState.CONNECTING),
        ("status_peer_diskless_client", Role.SECONDARY, Role.PRIMARY, "UpToDate", "Diskless", ConnState.CONNECTED),
    ],
)
def test_text_reconstructed_single_volume(  # noqa: PLR0917  # one parameter per table column
    name: str, role: str, peer_role: str | None, disk: str, peer_disk: str | None, cstate: str
) -> None:
    (v,) = volumes(parse_status_text(read(f"reconstructed/drbd9/{name}.txt")))
    assert (v.resource, v.volume, v.role, v.peer_role, v.cstate) == ("r0", 0, role, peer_role, cstate)
    assert v.disk == disk
    assert v.peer_disk == peer_disk
    assert v.both_primary is (name == "status_dual_primary")
    assert (v.sync_percent == 59.0) is name.startswith("status_sync")


def test_text_diskless_clients() -> None:
    client = only(parse_status_text(read("reconstructed/drbd9/status_diskless_client_primary.txt")))
    assert client.devices[0].client is True and client.devices[0].is_diskless
    assert len(volumes([client])) == 2
    peer = only(parse_status_text(read("reconstructed/drbd9/status_peer_diskless_client.txt")))
    assert peer.connections[0].peer_devices[0].peer_client is True


def test_text_two_volumes_with_sync_on_one() -> None:
    r = only(parse_status_text(read("reconstructed/drbd9/status_two_volumes.txt")))
    vols = volumes([r])
    assert [(v.volume, v.cstate, v.sync_percent) for v in vols] == [
        (0, ConnState.CONNECTED, None),
        (1, ConnState.SYNC_TARGET, 12.5),
    ]


def test_text_reconstructed_verbose_statistics() -> None:
    r = only(parse_status_text(read("reconstructed/drbd9/status_primary_secondary_verbose_statistics.txt")))
    assert (r.node_id, r.force_io_failures, r.write_ordering) == (0, False, WriteOrdering.FLUSH)
    d = r.devices[0]
    assert (d.minor, d.backing_dev, d.quorum, d.read, d.written, d.al_suspended) == (
        1000,
        "/dev/vg0/r0",
        True,
        2104,
        5248,
        False,
    )
    c = r.connections[0]
    assert (c.peer_node_id, c.ap_in_flight, c.rs_in_flight) == (1, 0, 0)
    assert c.peer_devices[0].sent == 5248
    assert volumes([r])[0].minor == 1000


def test_text_wrap_printf_bug_fragment_completes_to_a_connection_line() -> None:
    """The bug sample is a fragment (ParseError alone); after a device line its misindented connection line is read."""
    fragment = read("drbd9/commitmsg_status_wrap_printf_indent_bug.txt")
    head = (
        "r0 node-id:1 role:Secondary suspended:no force-io-failures:no\n"
        "    write-ordering:flush\n"
        "  volume:0 minor:0 disk:UpToDate backing_dev:/dev/sdb quorum:yes open:no\n"
        "      size:1048576 read:2104 written:3000 al-writes:12\n"
    )
    r = only(parse_status_text(head + fragment + "    volume:0 replication:Established peer-disk:UpToDate\n\n"))
    assert (r.devices[0].bm_writes, r.devices[0].blocked, r.devices[0].open) == (35790, "no", False)
    c = r.connections[0]
    assert (c.name, c.peer_node_id, c.state, c.peer_role, c.tls) == (
        "connection-name",
        0,
        ConnState.CONNECTED,
        Role.SECONDARY,
        False,
    )


def test_text_no_resources_and_empty_output() -> None:
    assert parse_status_text("# No currently configured DRBD found.\n") == ()
    assert parse_status_text("") == ()
    with pytest.raises(ParseError):
        parse_status_text("# No currently configured DRBD found.\nr0 role:Primary\n  disk:UpToDate\n")


def test_text_empty_peer_device_line() -> None:
    """peer_device_status prints only "\\n" for volume 0 when replication is Off and the peer disk DUnknown."""
    r = only(parse_status_text("r0 role:Secondary\n  disk:UpToDate\n  node-b role:Secondary\n\n\n"))
    pd = r.connections[0].peer_devices[0]
    assert (pd.volume, pd.replication, pd.peer_disk) == (0, ReplState.OFF, DiskState.DUNKNOWN)
    two = parse_status_text("r0 role:Secondary\n  disk:UpToDate\n  a role:Secondary\n\n  b role:Secondary\n\n\n")
    assert [len(c.peer_devices) for c in only(two).connections] == [1, 1]


def test_text_statistics_peer_lines_of_a_connection_that_is_not_connected() -> None:
    """With --statistics, peer devices of a Connecting connection are printed; replication: (Off) is not."""
    r = only(
        parse_status_text(
            "r0 role:Secondary\n  disk:UpToDate\n      read:0 written:0\n  b connection:Connecting\n"
            "    peer-disk:DUnknown\n        received:0 sent:0\n\n"
        )
    )
    pd = r.connections[0].peer_devices[0]
    assert (pd.replication, pd.peer_disk, pd.received, pd.out_of_sync) == (ReplState.OFF, DiskState.DUNKNOWN, 0, None)
    (v,) = volumes([r])
    assert (v.cstate, v.peer_role, v.peer_disk) == (ConnState.CONNECTING, Role.UNKNOWN, DiskState.DUNKNOWN)


def test_text_fence_only_at_the_end() -> None:
    with pytest.raises(ParseError, match="dashes"):
        parse_status_text("r0 role:Primary\n  disk:UpToDate\n----\nr1 role:Primary\n  disk:UpToDate\n")


@pytest.mark.parametrize(
    "text",
    [
        "r0 role:Primry\n  disk:UpToDate\n",  # unknown role
        "r0 role:Primary\n  disk:UpToDate\n  peer connection:WFConnection\n",  # 8.x state in DRBD 9 output
        "r0 role:Primary\n  disk:UpToDate\n  peer\n",  # neither connection: nor role:
        "r0 role:Primary\n  disk:UpToDate\n  peer role:Secondary\n    volume:1 peer-disk:UpToDate\n",  # no device 1
        "r0 role:Primary\n  disk:UpToDate\n  disk:UpToDate\n",  # volume 0 twice
        "r0 role:Primary\n  disk:UpToDate colour:red\n",  # unknown key
        "r0 role:Primary role:Secondary\n  disk:UpToDate\n",  # duplicate key
        "r0\n  disk:UpToDate\n",  # no role
        "role:Primary\n  disk:UpToDate\n",  # no name
        "r0 role:Primary\n\tdisk:UpToDate\n",  # TAB
        "r0 role:\x1b[1mPrimary\x1b[0m\n  disk:UpToDate\n",  # colours (tty only)
        "  disk:UpToDate\n",  # no resource
        "r0 role:Primary\n  disk:UpToDate\n   peer role:Secondary\n",  # continuation of a device, but a bare name
        "r0 role:Primary\n  disk:UpToDate\n  peer role:Secondary\n    peer-disk:UpToDate done:5\n",  # not %.2f
        "r0 role:Primary suspended:user,user\n  disk:UpToDate\n",
        "r0 role:Primary\n  disk:UpToDate\n\nr0 role:Primary\n  disk:UpToDate\n",  # same resource twice
    ],
)
def test_text_grammar_violations_raise_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_status_text(text)


def test_text_suspended_and_resync_suspended_values() -> None:
    r = only(
        parse_status_text(
            "r0 role:Primary suspended:no-data,quorum\n  disk:UpToDate\n  p role:Secondary\n"
            "    replication:PausedSyncS peer-disk:Inconsistent done:1.00 resync-suspended:user,dependency\n"
        )
    )
    assert r.suspended and r.suspended_reasons == (SuspendReason.NO_DATA, SuspendReason.QUORUM)
    pd = r.connections[0].peer_devices[0]
    assert pd.resync_suspended == (ResyncSuspend.USER, ResyncSuspend.DEPENDENCY)
    assert pd.sync_percent == 1.0


# ---------------------------------------------------------------------------------------------------------------------
# status --json


def test_json_syncsource_nan() -> None:
    r = only(parse_status_json(read("drbd9/shaptools_drbdsetup_status_json_syncsource_nan.json")))
    assert (r.name, r.role, r.node_id, r.force_io_failures) == ("shanghai", Role.PRIMARY, 1, None)
    pd = r.connections[0].peer_devices[0]
    assert pd.resync is not None and pd.resync.eta_seconds is None and pd.resync.total == 819200
    assert (pd.replication, pd.percent_in_sync, pd.percent_resync_done) == (ReplState.SYNC_SOURCE, 0.0, 0.0)
    (v,) = volumes([r])
    assert (v.cstate, v.sync_percent, v.minor, v.peer) == (ConnState.SYNC_SOURCE, 0.0, 2, "SLE12-sp4-node2")


def test_json_old_field_set_primary_connected() -> None:
    r = only(parse_status_json(read("drbd9/shaptools_drbdsetup_status_json_primary_connected.json")))
    assert (r.name, r.node_id, r.role, r.suspended, r.write_ordering) == (
        "beijing",
        1,
        Role.PRIMARY,
        False,
        WriteOrdering.FLUSH,
    )
    d = r.devices[0]
    assert (d.minor, d.disk, d.client, d.quorum, d.size) == (5, DiskState.UPTODATE, False, True, 307152)
    c = r.connections[0]
    assert (c.name, c.peer_node_id, c.state, c.peer_role) == ("salt-node3", 2, ConnState.CONNECTED, Role.SECONDARY)
    assert c.peer_devices[0].percent_in_sync == 100.0 and c.peer_devices[0].resync is None
    assert r.is_fully_uptodate


def test_json_secondary_and_reconstructed_922_layout() -> None:
    sec = only(parse_status_json(read("drbd9/shaptools_drbdsetup_status_json_secondary_connected.json")))
    assert sec.role is Role.SECONDARY and sec.connections[0].name == "dummytest-drbd02"
    r = only(parse_status_json(read("reconstructed/drbd9/status_json_primary_secondary.json")))
    assert (r.force_io_failures, r.suspended_reasons, r.devices[0].minor) == (False, (), 1000)
    sync = only(parse_status_json(read("reconstructed/drbd9/status_json_syncsource.json")))
    rs = sync.connections[0].peer_devices[0].resync
    assert rs is not None and (rs.eta_seconds, rs.want, rs.db_dt, rs.is_verify) == (7.0, 250.0, 61.65, False)
    assert volumes([sync])[0].sync_percent == 59.0
    two = parse_status_json(read("reconstructed/drbd9/status_json_two_resources.json"))
    assert [(r.name, r.node_id, r.role) for r in two] == [("r0", 0, Role.PRIMARY), ("r1", 1, Role.SECONDARY)]


def test_json_text_and_json_agree_on_the_common_view() -> None:
    text = volumes(parse_status_text(read("reconstructed/drbd9/status_primary_secondary_verbose_statistics.txt")))
    js = volumes(parse_status_json(read("reconstructed/drbd9/status_json_primary_secondary.json")))
    assert text == js


def test_json_empty_and_strings_named_nan() -> None:
    assert parse_status_json("[\n]\n\n") == ()
    doc = json.loads(read("reconstructed/drbd9/status_json_primary_secondary.json"))
    doc[0]["name"] = "nan"
    doc[0]["connections"][0]["name"] = "inf"
    r = only(parse_status_json(json.dumps(doc)))
    assert (r.name, r.connections[0].name) == ("nan", "inf")


def test_json_unknown_key_in_a_connection_is_ignored() -> None:
    """A drbd-utils upgrade that adds a connection field must not fail a monitor (issue 12 item 4)."""
    text = read("reconstructed/drbd9/status_json_primary_secondary.json")
    doc = json.loads(text)
    doc[0]["connections"][0]["transport"] = {"name": "tcp", "version": [1, 0], "rdma": None}
    assert parse_status_json(json.dumps(doc)) == parse_status_json(text)


def test_json_unknown_keys_are_ignored_at_every_level() -> None:
    text = read("reconstructed/drbd9/status_json_syncsource.json")
    doc = json.loads(text)
    r = doc[0]
    r["suspended-io-errors"] = False
    r["devices"][0]["discard-granularity"] = 512
    r["connections"][0]["tls"] = False
    r["connections"][0]["paths"] = [
        {
            "this_host": {"address": "10.0.0.1", "port": 7789, "family": "ipv4", "interface": "eth1"},
            "remote_host": {"address": "10.0.0.2", "port": 7789, "family": "ipv4"},
            "established": True,
            "rdma": {"queues": [1, 2]},
        }
    ]
    r["connections"][0]["peer_devices"][0]["rs-rate-limited"] = True
    r["connections"][0]["peer_devices"][0]["role"] = "Leader"  # known elsewhere, not on a peer device
    r["devices"][0]["name"] = "not a token"
    r["uuid"] = "4f1c"
    changed = parse_status_json(json.dumps(doc))
    assert volumes(changed) == volumes(parse_status_json(text))
    (path,) = changed[0].connections[0].paths
    assert (path.local, path.peer, path.established) == ("ipv4:10.0.0.1:7789", "ipv4:10.0.0.2:7789", True)


def test_json_printf_quirks_in_unknown_keys() -> None:
    """An unknown key may repeat and carry a bare nan, -nan or inf, as printf JSON would print them."""
    text = read("reconstructed/drbd9/status_json_primary_secondary.json")
    quirky = text.replace('"role":', '"rate": -nan,\n  "rate": inf,\n  "eta": nan,\n  "role":', 1)
    assert quirky != text
    assert parse_status_json(quirky) == parse_status_json(text)


def test_json_negative_nan_eta() -> None:
    """glibc prints a NaN with the sign bit set as -nan (x86 0.0/0.0); it reads as no estimate, as nan does."""
    text = read("drbd9/shaptools_drbdsetup_status_json_syncsource_nan.json")
    assert '"estimated-seconds-to-finish": nan' in text
    minus = text.replace('"estimated-seconds-to-finish": nan', '"estimated-seconds-to-finish": -nan')
    assert parse_status_json(minus) == parse_status_json(text)


def test_json_a_repeated_key_that_is_read_raises_with_its_path() -> None:
    text = read("reconstructed/drbd9/status_json_primary_secondary.json")
    twice = text.replace('"peer-role": "Secondary",', '"peer-role": "Secondary",\n"peer-role": "Primary",', 1)
    assert twice != text
    with pytest.raises(ParseError, match=r"connections\[0\]\.peer-role"):
        parse_status_json(twice)


def test_json_informational_words_a_later_utils_may_add_are_read_leniently() -> None:
    """write-ordering, resync-suspended and suspended-* feed no decision: a new word or reason must not fail."""
    base = parse_status_json(read("reconstructed/drbd9/status_json_syncsource.json"))[0]
    doc = json.loads(read("reconstructed/drbd9/status_json_syncsource.json"))
    r, pd = doc[0], doc[0]["connections"][0]["peer_devices"][0]
    r["write-ordering"] = "fua"
    r["suspended"] = True  # a reason this parser has no flag for
    r["suspended-io-errors"] = True
    pd["resync-suspended"] = "user,throttled"
    got = only(parse_status_json(json.dumps(doc)))
    assert (got.write_ordering, got.suspended, got.suspended_reasons) == (None, True, ())
    assert got.connections[0].peer_devices[0].resync_suspended == (ResyncSuspend.USER,)
    assert volumes([got]) == volumes([base])
    pd["resync-suspended"] = "throttled,max-parallel"
    got = only(parse_status_json(json.dumps(doc)))
    assert got.connections[0].peer_devices[0].resync_suspended == (ResyncSuspend.MAX_PARALLEL,)


def _mutated(fn: object) -> str:
    doc = json.loads(read("reconstructed/drbd9/status_json_syncsource.json"))
    fn(doc)  # type: ignore[operator]
    return json.dumps(doc)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d[0].pop("role"),
        lambda d: d[0]["devices"][0].pop("disk-state"),
        lambda d: d[0]["connections"][0].pop("peer_devices"),
        lambda d: d[0]["connections"][0]["peer_devices"][0].pop("volume"),
        lambda d: d[0]["connections"][0]["peer_devices"][0].pop("rs-total"),
        lambda d: d[0]["connections"][0]["peer_devices"][0].pop("percent-resync-done"),
        lambda d: d[0].__setitem__("role", "Primry"),
        lambda d: d[0].__setitem__("node-id", "0"),
        lambda d: d[0].__setitem__("node-id", True),
        lambda d: d[0].__setitem__("node-id", None),
        lambda d: d[0].__setitem__("suspended-quorum", True),
        lambda d: d[0].pop("suspended-user"),
        lambda d: d[0].__setitem__("devices", {}),
        lambda d: d[0]["devices"][0].__setitem__("minor", -3),
        lambda d: d[0]["devices"][0].__setitem__("disk-state", "uptodate"),
        lambda d: d[0]["devices"][0].__setitem__("volume", "0"),
        lambda d: d[0]["connections"][0].__setitem__("connection-state", "SyncSource"),
        lambda d: d[0]["connections"][0].__setitem__("connection-state", "WFConnection"),
        lambda d: d[0]["connections"][0].__setitem__("peer-role", "Primary "),
        lambda d: d[0]["connections"][0].__setitem__("name", "two words"),
        lambda d: d[0]["connections"][0].pop("peer-role"),
        lambda d: d[0]["connections"][0].__setitem__("paths", [{"this_host": {"family": "ipv4"}, "established": True}]),
        lambda d: d[0]["connections"][0].__setitem__("paths", [{"this_host": {}, "remote_host": {}, "established": 1}]),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("replication-state", "Syncing"),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("peer-disk-state", "Unknown"),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("percent-resync-done", "59.00"),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("resync-suspended", False),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("has-online-verify-details", True),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("has-sync-details", False),
        lambda d: d[0]["connections"][0]["peer_devices"][0].__setitem__("ov-left", 5),
        lambda d: d.append(d[0]),
        lambda d: d.__setitem__(0, []),
    ],
)
def test_json_missing_or_mistyped_keys_and_unknown_decided_values_raise_parse_error(mutate: object) -> None:
    with pytest.raises(ParseError):
        parse_status_json(_mutated(mutate))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{}",
        "[",
        "[\n{\n",
        '[{"name": "r0", "name": "r1"}]',
        "[nan]",
        "[1e999999999]",
        "[" * 100000,
        "[1" + "0" * 5000 + "]",
    ],
)
def test_json_unreadable_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_status_json(text)


# ---------------------------------------------------------------------------------------------------------------------
# show --json


def test_show_json_duplicate_disk_key() -> None:
    (r,) = parse_show_json(read("drbd9/shaptools_drbdsetup_show_json.json"))
    assert (r.name, r.node_id, r.minors) == ("beijing", 1, (5,))
    v = r.volumes[0]
    assert (v.volume, v.disk, v.meta_disk, v.options) == (0, "/dev/vdb1", "internal", (("on-io-error", "pass_on"),))
    (c,) = r.connections
    assert (c.peer_node_id, c.name, c.is_standalone) == (2, "salt-node3", False)
    assert c.paths == (("ipv4 192.168.10.102:7990", "ipv4 192.168.10.103:7990"),)
    assert not r.allow_two_primaries


def test_show_json_two_primaries_repeated_paths_trailing_comma() -> None:
    text = """[
    {
        "resource": "r0",
        "options": {
            "quorum": "off"
        },
        "_this_host": {
            "node-id": 0,
            "volumes": [
                {
                    "volume_nr": 0,
                    "device_minor": 1000,
                    "backing-disk": "/dev/vg0/r0",
                    "meta-disk": "internal"
                },
                {
                    "volume_nr": 1,
                    "device_minor": 1001,
                    "disk": "none"
                }
            ]
        },
        "connections": [
            {
                "_peer_node_id": 1,
                "path": {
                    "_this_host": "ipv4 10.0.0.1:7789",
                    "_remote_host": "ipv4 10.0.0.2:7789"
                },
                "path": {
                    "_this_host": "ipv4 10.1.0.1:7789",
                    "_remote_host": "ipv4 10.1.0.2:7789"
                },
                "_is_standalone": true,
                "net": {
                    "allow-two-primaries": "yes",
                    "_name": "node-b"
                }
            },
            {
                "_peer_node_id": 2,
                "path": {
                    "_this_host": "ipv4 10.0.0.1:7790",
                    "_remote_host": "ipv4 10.0.0.3:7790"
                },
            }
        ]
    }
]
"""
    (r,) = parse_show_json(text)
    assert r.allow_two_primaries and r.minors == (1000, 1001) and r.options == (("quorum", "off"),)
    assert [v.disk for v in r.volumes] == ["/dev/vg0/r0", "none"]
    a, b = r.connections
    assert (a.name, a.is_standalone, len(a.paths)) == ("node-b", True, 2)
    assert (b.name, b.allow_two_primaries, b.paths) == (None, False, (("ipv4 10.0.0.1:7790", "ipv4 10.0.0.3:7790"),))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{}",
        '[{"resource": "r0"}]',
        '[{"resource": "r0", "_this_host": {"volumes": [{"volume_nr": 0}]}}]',
        '[{"resource": "r0", "_this_host": {"volumes": []}, "bogus": 1}]',
        '[{"resource": 5, "_this_host": {"volumes": []}}]',
        '[{"resource": "r0", "_this_host": {"volumes": []}, "connections": [{"net": {}}]}]',
    ],
)
def test_show_json_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse_show_json(text)


# ---------------------------------------------------------------------------------------------------------------------
# events2: facts of named fixtures


def test_events2_all_create_change_922() -> None:
    ev = parse_events2(read("drbd9/utils922_test_events2_all_create_change.txt"))
    assert ev.initial_state_done and not ev.has_gaps
    assert ev.records[0] == Event2(Action.EXISTS, None)
    r = only(events2_state(ev))
    assert (r.name, r.role, r.may_promote, r.promotion_score, r.node_id) == (
        "some-resource",
        Role.PRIMARY,
        False,
        10102,
        None,
    )
    d = r.devices[0]
    assert (d.volume, d.minor, d.backing_dev, d.disk, d.client, d.quorum) == (
        0,
        1000,
        "/dev/sda",
        DiskState.UPTODATE,
        False,
        True,
    )
    c = r.connections[0]
    assert (c.name, c.peer_node_id, c.state, c.peer_role) == ("some-peer", 1, ConnState.CONNECTED, Role.SECONDARY)
    assert c.paths[0].established is True and c.paths[0].local == "ipv4:1.2.3.4:7789"
    pd = c.peer_devices[0]
    assert (pd.replication, pd.peer_disk, pd.peer_client, pd.done) == (
        ReplState.ESTABLISHED,
        DiskState.UPTODATE,
        False,
        None,
    )
    assert volumes([r]) == (
        DrbdVolume("some-resource", 1000, 0, Role.PRIMARY, Role.SECONDARY, ConnState.CONNECTED,
                   DiskState.UPTODATE, DiskState.UPTODATE, None, "some-peer"),
    )  # fmt: skip


def test_events2_plain_diff_and_922_fold_to_the_same_state() -> None:
    plain = events2_state(parse_events2(read("drbd9/utils_test_events2_all_create_change.txt")))
    diff = events2_state(parse_events2(read("drbd9/utils_test_events2_all_create_change_diff.txt")))
    old = events2_state(parse_events2(read("drbd9/utils922_test_events2_all_create_change.txt")))
    assert plain == diff
    assert only(plain).devices[0].open is False and only(old).devices[0].open is None
    full = events2_state(parse_events2(read("drbd9/utils_test_events2_all_create_change_full.txt")))
    stats = events2_state(parse_events2(read("drbd9/utils_test_events2_all_create_change_statistics.txt")))
    assert full == stats
    assert only(full).devices[0].size == 5 and only(full).connections[0].rs_in_flight == 20


def test_events2_diff_values() -> None:
    ev = parse_events2(read("drbd9/utils_test_events2_all_create_change_diff.txt"))
    create = ev.events[1]
    assert create.get("role") == "Secondary" and dict(create.old)["role"] == "UNKNOWN"
    last = ev.events[-1]
    assert dict(last.old) == {"role": "Secondary", "may_promote": "yes", "promotion_score": "10102"}
    assert last.get("role") == "Primary"
    commit = parse_events2(read("drbd9/commitmsg_events2_diff_connecting_to_connected.txt"))
    first = commit.events[0]
    assert (first.action, first.obj, first.get("connection"), dict(first.old)["connection"]) == (
        Action.CHANGE,
        EventObject.CONNECTION,
        "Connected",
        "Connecting",
    )


def test_events2_destroy_everything() -> None:
    assert events2_state(parse_events2(read("drbd9/utils_test_events2_all_create_destroy.txt"))) == ()
    assert events2_state(parse_events2(read("drbd9/utils_test_events2_device_create_destroy_2vol.txt"))) == ()
    assert events2_state(parse_events2(read("drbd9/utils_test_events2_resource_create_destroy.txt"))) == ()
    assert events2_state(parse_events2(read("drbd9/utils_test_events2_no_resources.txt"))) == ()


def test_events2_helpers_change_nothing() -> None:
    ev = parse_events2(read("drbd9/utils_test_events2_call_response_helper.txt"))
    call, response = ev.events[-2:]
    assert (call.action, call.obj, call.get("helper"), call.get("status")) == (
        Action.CALL,
        EventObject.HELPER,
        "before-resync-target",
        None,
    )
    assert response.action is Action.RESPONSE and response.get("status") == "1"
    r = only(events2_state(ev))
    assert r.connections[0].state is ConnState.STANDALONE


def test_events2_syncsource_and_statistics() -> None:
    for name in ("utils_test_events2_syncsource_done", "utils922_test_events2_syncsource_done"):
        r = only(events2_state(parse_events2(read(f"drbd9/{name}.txt"))))
        (v,) = volumes([r])
        assert (v.cstate, v.sync_percent, v.peer_disk) == (ConnState.SYNC_SOURCE, 37.5, DiskState.INCONSISTENT)
    r = only(events2_state(parse_events2(read("drbd9/utils922_test_events2_syncsource_statistics.txt"))))
    pd = r.connections[0].peer_devices[0]
    assert (pd.out_of_sync, pd.pending, pd.unacked, pd.done) == (2500, 30, 40, 37.5)
    assert r.write_ordering is WriteOrdering.NONE and r.connections[0].ap_in_flight == 10


def test_events2_done_is_cleared_when_sync_ends() -> None:
    head = read("drbd9/utils_test_events2_syncsource_done.txt")
    tail = (
        "change peer-device name:some-resource peer-node-id:1 conn-name:some-peer volume:0"
        " replication:Established peer-disk:UpToDate peer-client:no\n"
    )
    pd = only(events2_state(parse_events2(head + tail))).connections[0].peer_devices[0]
    assert (pd.replication, pd.done, pd.sync_percent) == (ReplState.ESTABLISHED, None, None)


def test_events2_quorum_and_promotion() -> None:
    for name in ("utils_test_events2_may_promote_quorum_lost", "utils922_test_events2_may_promote_quorum_lost"):
        r = only(events2_state(parse_events2(read(f"drbd9/{name}.txt"))))
        assert (r.devices[0].quorum, r.has_quorum, r.may_promote, r.promotion_score) == (False, False, False, 0)
    peer = only(events2_state(parse_events2(read("drbd9/utils_test_events2_may_promote_peer_role.txt"))))
    assert peer.any_peer_primary and not peer.is_primary and peer.may_promote is False
    data = only(events2_state(parse_events2(read("drbd9/utils_test_events2_may_promote_peer_data.txt"))))
    assert data.may_promote is True and data.devices[0].disk is DiskState.DISKLESS
    score = only(events2_state(parse_events2(read("drbd9/utils_test_events2_promotion_score_devices.txt"))))
    assert (score.promotion_score, [d.disk for d in score.devices]) == (10201, [DiskState.UPTODATE] * 2)
    inc = only(events2_state(parse_events2(read("drbd9/utils_test_events2_promotion_score_inconsistent.txt"))))
    assert (inc.promotion_score, inc.devices[0].disk) == (10001, DiskState.INCONSISTENT)


def test_events2_out_of_order_and_exists_only() -> None:
    r = only(events2_state(parse_events2(read("drbd9/utils_test_events2_out_of_order.txt"))))
    assert [d.minor for d in r.devices] == [1000, 1001] and r.connections[0].peer_devices == ()
    only_res = only(events2_state(parse_events2(read("drbd9/utils_test_events2_resource_exists_only.txt"))))
    assert (only_res.devices, only_res.connections, only_res.role) == ((), (), Role.SECONDARY)


def test_events2_docs_now_with_continuation_lines() -> None:
    for name in ("docs_84utils_events2_now", "docs_9_events2_now"):
        r = only(events2_state(parse_events2(read(f"drbd9/{name}.txt"))))
        assert [(d.volume, d.minor) for d in r.devices] == [(0, 7), (1, 8)]
        c = r.connections[0]
        assert (c.name, c.peer_node_id, c.state) == ("remote-host", 1, ConnState.CONNECTED)
        assert [pd.replication for pd in c.peer_devices] == [ReplState.ESTABLISHED] * 2
        assert r.is_fully_uptodate
    for name in ("docs_84utils_events2_statistics_now", "docs_9_events2_statistics_now"):
        r = only(events2_state(parse_events2(read(f"drbd9/{name}.txt"))))
        assert [d.size for d in r.devices] == [6291228, 104854364]
        assert [pd.sent for pd in r.connections[0].peer_devices] == [131844, 6634548]
        assert r.devices[1].blocked == "no" and r.write_ordering is WriteOrdering.DRAIN


def test_events2_drbdtop_timestamps() -> None:
    ev = parse_events2(read("drbd9/drbdtop_test_events2_timestamps_statistics_linstor_pvc.txt"))
    assert {e.timestamp for e in ev.events} == {"2019-05-07T13:50:23.973595-07:00"}
    r = only(events2_state(ev))
    assert r.name == "pvc-0a2826c9-7108-11e9-8f74-0026b954ca4c" and r.devices[0].minor == 1016
    assert r.connections[0].name == "kubelet-b" and r.connections[0].peer_node_id == 2
    sync = only(events2_state(parse_events2(read("drbd9/drbdtop_test_events2_timestamps_syncsource.txt"))))
    c = sync.connections[0]
    assert c.peer_node_id is None  # the pasted lines lack peer-node-id:
    assert (c.peer_devices[0].replication, c.peer_devices[0].out_of_sync) == (ReplState.SYNC_SOURCE, 205655500)


def test_events2_standalone_now() -> None:
    r = only(events2_state(parse_events2(read("reconstructed/drbd9/events2_now_standalone_secondary.txt"))))
    (v,) = volumes([r])
    assert (v.cstate, v.peer_role, v.peer_disk, v.peer) == (
        ConnState.STANDALONE,
        Role.UNKNOWN,
        DiskState.DUNKNOWN,
        "node-a",
    )
    assert r.connections[0].paths[0].established is False


def test_events2_stream_folds_after_an_initial_state() -> None:
    initial = (
        "exists resource name:r0 role:Primary suspended:no force-io-failures:no may_promote:no promotion_score:10101\n"
        "exists connection name:r0 peer-node-id:1 conn-name:node-b connection:StandAlone role:Unknown\n"
        "exists device name:r0 volume:0 minor:1000 backing_dev:/dev/vg0/r0 disk:UpToDate client:no quorum:yes\n"
        "exists peer-device name:r0 peer-node-id:1 conn-name:node-b volume:0 replication:Off peer-disk:DUnknown"
        " peer-client:no resync-suspended:no\n"
        "exists -\n"
    )
    stream = read("reconstructed/drbd9/events2_stream_connect_and_resync.txt")
    r = only(events2_state(parse_events2(initial + stream)))
    c = r.connections[0]
    assert (c.state, c.peer_role, c.peer_devices[0].replication, c.peer_devices[0].peer_disk) == (
        ConnState.CONNECTED,
        Role.SECONDARY,
        ReplState.ESTABLISHED,
        DiskState.UPTODATE,
    )
    assert c.paths[0].established is True  # paths get no exists lines: a change creates them
    assert r.is_fully_uptodate


def test_events2_paths_without_established_and_unknown_destroys() -> None:
    text = (
        "exists resource name:r0 role:Secondary\n"
        "exists connection name:r0 peer-node-id:1 conn-name:b connection:Connecting role:Unknown\n"
        "exists path name:r0 peer-node-id:1 conn-name:b local:ipv4:10.0.0.1:7789 peer:ipv4:10.0.0.2:7789\n"
        "destroy path name:r0 peer-node-id:1 conn-name:b local:ipv4:10.0.0.1:7790 peer:ipv4:10.0.0.2:7790\n"
        "destroy path name:r0 peer-node-id:2 conn-name:c local:ipv4:10.0.0.1:7790 peer:ipv4:10.0.0.3:7790\n"
    )
    (path,) = only(events2_state(parse_events2(text))).connections[0].paths
    assert (path.local, path.peer, path.established) == ("ipv4:10.0.0.1:7789", "ipv4:10.0.0.2:7789", None)


def test_events2_doc_elision_and_skips() -> None:
    ev = parse_events2(read("drbd9/docs_84utils_events2_change_connection.txt"))
    assert ev.records[0] == Skipped(None) and ev.has_gaps
    assert [e.get("connection") for e in ev.events] == ["StandAlone", "Unconnected", "Connecting"]
    skipped = parse_events2("exists -\n2017-03-27T08:28:17.072611-07:00 - skipped 3\n")
    assert skipped.records[1] == Skipped(3, "2017-03-27T08:28:17.072611-07:00")
    with pytest.raises(ParseError, match="lost"):
        events2_state(skipped)


def test_events2_rename_and_sync_state() -> None:
    text = (
        "exists resource name:a role:Secondary suspended:no\n"
        "exists connection name:a peer-node-id:1 conn-name:b connection:StandAlone role:Unknown sync-state:SplitBrain\n"
        "exists -\n"
        "rename resource name:a new_name:z\n"
    )
    r = only(events2_state(parse_events2(text)))
    assert r.name == "z" and r.connections[0].is_split_brain
    healed = text + "change connection name:z peer-node-id:1 conn-name:b connection:Connecting\n"
    assert only(events2_state(parse_events2(healed))).connections[0].sync_state is None


@pytest.mark.parametrize(
    "text",
    [
        "exist resource name:r0 role:Primary\n",  # unknown action
        "exists resources name:r0 role:Primary\n",  # unknown object
        "exists resource name:r0\n",  # create without role
        "exists resource name:r0 role:Primary colour:red\n",  # unknown key
        "exists resource name:r0 role:Primary role:Secondary\n",
        "exists resource name:r0 role:Primry\n",
        "exists resource name:r0 role:Primary promotion_score:ten\n",
        "change device name:r0 volume:x\n",
        "change device name:r0 volume:0 disk:Diskless->Nothing\n",
        "destroy device name:r0 volume:0 disk:Diskless\n",  # destroy carries identifiers only
        "rename device name:r0 new_name:r1\n",
        "rename resource name:r0\n",
        "call resource name:r0\n",
        "response helper name:r0 helper:fence-peer\n",  # no status
        "call helper name:r0 helper:fence-peer status:0\n",
        "exists - now\n",
        "change - \n",
        "- skipped many\n",
        "\texists resource name:r0 role:Primary\n",  # continuation before any event
        "exists\n",
        "change peer-device name:r0 conn-name:p volume:0 eta:soon\n",
        "exists resource name:r0 role:Primary new_name:r1\n",
        "exists connection name:r0 conn-name:p connection:WFConnection role:Unknown\n",
    ],
)
def test_events2_grammar_violations_raise_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_events2(text)


@pytest.mark.parametrize(
    "text",
    [
        "change resource name:r0 role:Primary\n",  # no initial state
        "exists resource name:r0 role:Primary\nexists resource name:r0 role:Primary\n",  # twice
        "exists resource name:r0 role:Primary\nexists peer-device name:r0 conn-name:p volume:0"
        " replication:Off peer-disk:DUnknown\n",  # peer device of an unknown connection
        "exists resource name:r0 role:Primary\nexists connection name:r0 conn-name:p connection:Connected"
        " role:Secondary\nexists peer-device name:r0 conn-name:p volume:0 replication:Off peer-disk:DUnknown\n",
        "exists resource name:r0 role:Primary\nchange device name:r0 volume:0 disk:UpToDate\n",
        "exists resource name:r0 role:Primary\nexists resource name:r1 role:Primary\nrename resource name:r0"
        " new_name:r1\n",
    ],
)
def test_events2_inconsistent_sequences_raise_on_fold(text: str) -> None:
    events = parse_events2(text)
    with pytest.raises(ParseError):
        events2_state(events)


# ---------------------------------------------------------------------------------------------------------------------
# Properties: parse(render(model)) == model, and corrupted text raises ParseError and nothing else

unique_names = st.lists(s9.names, unique=True, max_size=3)


@FAST
@given(unique_names.flatmap(lambda ns: st.tuples(*(s9.json_resources(n) for n in ns))))
def test_status_json_round_trip(resources: tuple[Resource9, ...]) -> None:
    assert parse_status_json(s9.render_status_json(resources)) == resources


@FAST
@given(unique_names.flatmap(lambda ns: st.tuples(*(s9.json_resources(n) for n in ns))), st.data())
def test_status_json_ignores_unknown_keys_at_every_level(resources: tuple[Resource9, ...], data: st.DataObject) -> None:
    """Keys a later drbd-utils adds, anywhere, with any JSON value, change nothing: same resources, same volumes."""
    text = data.draw(s9.with_unknown_keys(s9.render_status_json(resources)))
    parsed = parse_status_json(text)
    assert parsed == resources
    assert volumes(parsed) == volumes(resources)


@FAST
@given(
    st.lists(s9.names, unique=True, min_size=1, max_size=3).flatmap(
        lambda ns: st.tuples(*(s9.json_resources(n) for n in ns))
    ),
    st.data(),
)
def test_status_json_unknown_decided_value_raises_parse_error(
    resources: tuple[Resource9, ...], data: st.DataObject
) -> None:
    """An unknown value in a field `volumes` decides on raises ParseError (and nothing else), unknown keys or not."""
    text = data.draw(s9.with_unknown_decided_value(s9.render_status_json(resources)))
    if data.draw(st.booleans()):
        text = data.draw(s9.with_unknown_keys(text))
    with pytest.raises(ParseError):
        parse_status_json(text)


def test_status_json_renderer_matches_the_922_fixture_byte_for_byte() -> None:
    for name in ("status_json_primary_secondary", "status_json_syncsource", "status_json_two_resources"):
        text = read(f"reconstructed/drbd9/{name}.json")
        assert s9.render_status_json(parse_status_json(text)) == text


@FAST
@given(st.lists(s9.text_resources(), max_size=3, unique_by=lambda r: r.name), st.sampled_from([80, 40, 200]))
def test_status_text_verbose_round_trip(resources: list[Resource9], columns: int) -> None:
    text = s9.render_status_text_verbose(resources, columns)
    assert parse_status_text(text) == tuple(resources)


def test_status_text_renderer_matches_the_reconstructed_fixture() -> None:
    text = read("reconstructed/drbd9/status_primary_secondary_verbose_statistics.txt")
    assert s9.render_status_text_verbose(parse_status_text(text)) == text


@FAST
@given(
    unique_names.flatmap(lambda ns: st.tuples(*(s9.events2_resources(n) for n in ns))),
    st.one_of(st.none(), s9.timestamps),
)
def test_events2_now_folds_back_to_the_model(resources: tuple[Resource9, ...], ts: str | None) -> None:
    events = parse_events2(s9.render_events2_now(resources, ts))
    assert events.initial_state_done
    assert events2_state(events) == resources


@FAST
@given(st.lists(s9.event2_records(), max_size=8))
@example([Event2(Action.CHANGE, EventObject.DEVICE, (("name", "r"), ("volume", "0"), ("disk", "UpToDate")),
                 (("disk", "UNKNOWN"),))])  # fmt: skip
def test_events2_records_round_trip(records: list[Event2 | Skipped]) -> None:
    text = "".join(s9.render_event2(r) + "\n" for r in records)
    assert parse_events2(text) == Events2(tuple(records))


def _mutations() -> st.SearchStrategy[tuple[int, int, str]]:
    return st.tuples(
        st.integers(0, 10**6),
        st.sampled_from(range(6)),
        st.sampled_from(["", ":", " ", "\n", "  ", '"', ",", "x", "-", "9", "nan", "{", "]", "\t", "->"]),
    )


def _mutate(text: str, pos: int, op: int, junk: str) -> str:
    if not text:
        return junk
    i = pos % len(text)
    lines = text.split("\n")
    j = pos % len(lines)
    if op == 0:
        return text[:i] + text[i + 1 :]
    if op == 1:
        return text[:i] + junk + text[i:]
    if op == 2:
        return text[:i]
    if op == 3:
        return "\n".join(lines[:j] + lines[j + 1 :])
    if op == 4:
        return "\n".join(lines[:j] + [lines[j], lines[j]] + lines[j + 1 :])
    return text[:i] + junk + text[i + 1 :]


def _only_parse_errors(parse: object, text: str) -> None:
    try:
        parse(text)  # type: ignore[operator]
    except ParseError:
        pass


@FAST
@given(
    st.lists(s9.json_resources(), max_size=2, unique_by=lambda r: r.name),
    st.lists(_mutations(), min_size=1, max_size=3),
)
def test_corrupted_status_json_raises_only_parse_error(
    resources: list[Resource9], muts: list[tuple[int, int, str]]
) -> None:
    text = s9.render_status_json(resources)
    for m in muts:
        text = _mutate(text, *m)
    _only_parse_errors(parse_status_json, text)


@FAST
@given(
    st.lists(s9.text_resources(), max_size=2, unique_by=lambda r: r.name),
    st.lists(_mutations(), min_size=1, max_size=3),
)
def test_corrupted_status_text_raises_only_parse_error(
    resources: list[Resource9], muts: list[tuple[int, int, str]]
) -> None:
    text = s9.render_status_text_verbose(resources)
    for m in muts:
        text = _mutate(text, *m)
    _only_parse_errors(parse_status_text, text)


@FAST
@given(
    st.lists(s9.events2_resources(), max_size=2, unique_by=lambda r: r.name),
    st.lists(_mutations(), min_size=1, max_size=3),
)
def test_corrupted_events2_raises_only_parse_error(
    resources: list[Resource9], muts: list[tuple[int, int, str]]
) -> None:
    text = s9.render_events2_now(resources)
    for m in muts:
        text = _mutate(text, *m)
    try:
        events2_state(parse_events2(text))
    except ParseError:
        pass


@pytest.mark.parametrize("path", fixture_params(*STATUS_TEXT, *STATUS_JSON, *SHOW_JSON, *EVENTS2))
def test_every_fixture_truncated_anywhere_raises_only_parse_error(path: Path) -> None:
    text = path.read_text()
    parsers = {
        ".json": parse_show_json if "show" in path.name else parse_status_json,
        ".txt": (lambda t: events2_state(parse_events2(t))) if "events2" in path.name else parse_status_text,
    }
    parse = parsers[path.suffix]
    step = max(1, len(text) // 97)
    for cut in range(0, len(text), step):
        _only_parse_errors(parse, text[:cut])
        _only_parse_errors(parse, text[:cut] + "\x00" + text[cut + 1 :])


@pytest.mark.parametrize(
    ("parse", "glob", "replace"),
    [
        (parse_status_json, "reconstructed/drbd9/status_json_syncsource.json", ('"SyncSource"', '"Syncing"')),
        (parse_status_json, "reconstructed/drbd9/status_json_syncsource.json", ('"Connected"', '"Linked"')),
        (parse_status_json, "drbd9/shaptools_drbdsetup_status_json_primary_connected.json", ('"role"', '"rôle"')),
        (parse_status_text, "reconstructed/drbd9/status_two_volumes.txt", ("SyncTarget", "SyncTgt")),
        (parse_status_text, "reconstructed/drbd9/status_two_volumes.txt", ("peer-disk:", "peer-dsk:")),
        (parse_events2, "drbd9/utils_test_events2_all_create_change.txt", ("Established", "Estab")),
        (parse_events2, "drbd9/utils_test_events2_all_create_change.txt", ("create path", "create pth")),
    ],
)
def test_targeted_corruptions_raise_parse_error(parse: object, glob: str, replace: tuple[str, str]) -> None:
    text = read(glob)
    assert replace[0] in text
    with pytest.raises(ParseError):
        parse(text.replace(*replace))  # type: ignore[operator]


# ---------------------------------------------------------------------------------------------------------------------
# Model predicates and speed


def test_resource_predicates() -> None:
    r = only(parse_status_text(read("reconstructed/drbd9/status_dual_primary.txt")))
    assert r.is_primary and r.any_peer_primary and r.is_dual_primary and r.all_connected and r.has_quorum
    assert not r.is_syncing and r.is_fully_uptodate and r.connection("nobody") is None and r.device(3) is None
    alone = Resource9("r9", None, Role.SECONDARY)
    assert not alone.is_fully_uptodate and not alone.all_connected and volumes([alone]) == ()
    pd = PeerDevice9(0, ReplState.PAUSED_SYNC_T, DiskState.UPTODATE, percent_resync_done=42.0)
    assert pd.is_syncing and pd.sync_percent == 42.0 and not pd.is_established


def test_many_resources_parse_in_every_format() -> None:
    """32 resources with 3 peers each survive every format (timing belongs in bench/, not here)."""
    base = only(parse_status_text(read("reconstructed/drbd9/status_primary_secondary_verbose_statistics.txt")))
    many = [replace(base, name=f"r{i}") for i in range(32)]
    jbase = only(parse_status_json(read("reconstructed/drbd9/status_json_primary_secondary.json")))
    text, js, ev = (
        s9.render_status_text_verbose(many),
        s9.render_status_json([replace(jbase, name=f"r{i}") for i in range(32)]),
        s9.render_events2_now([replace(r, node_id=None, may_promote=False, promotion_score=0) for r in many]),
    )
    assert len(parse_status_text(text)) == 32
    assert len(parse_status_json(js)) == 32
    assert len(events2_state(parse_events2(ev))) == 32
