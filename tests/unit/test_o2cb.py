# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha.o2cb and its oracles: every fixture parses (facts checked), render/parse round trips, mutations, configfs."""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fixtures import FIXTURES, fixture_params
from tests.oracles import o2cb as oracle
from tests.oracles.o2cb import ClusterStatus, OnlineStatus
from tests.strategies import o2cb as strat
from xenha.errors import ParseError
from xenha.o2cb import conf as o2conf
from xenha.o2cb import configfs as o2configfs
from xenha.o2cb import membership as o2membership
from xenha.o2cb.conf import ClusterConf, ClusterStanza, HeartbeatStanza, NodeStanza
from xenha.o2cb.configfs import ActiveRegion, HeartbeatMode, Timeouts
from xenha.o2cb.membership import Member, MemberState
from xenha_sim import o2cblisting as simlisting
from xenha_sim.o2cbsim import SimConfigfs

OCFS2 = ("ocfs2/*", "reconstructed/ocfs2/*")
SAMPLE = "ocfs2/cluster_conf_sample_global_heartbeat_3nodes.conf"
WEB_REGIONS = (
    "77D95EF51C0149D2823674FCC162CF8B",
    "DCDA2845177F4D59A0F2DCD8DE507CC3",
    "BBA1DBD0F73F449384CE75197D9B7098",
)
QUICK = settings(max_examples=60)


def text_of(name: str) -> str:
    return (FIXTURES / name).read_text()


def parser_for(path: Path) -> Callable[[str], object]:
    """The parser for a fixture file, chosen by its name; every O2CB fixture must have one."""
    name = path.name
    rules: list[tuple[Callable[[str], bool], Callable[[str], object]]] = [
        (lambda n: n.startswith("cluster_conf_"), o2conf.parse_cluster_conf),
        (lambda n: n.startswith("o2cb_list_cluster_oneline"), oracle.parse_list_cluster_oneline),
        (lambda n: n.startswith("o2cb_list_clusters"), oracle.parse_list_clusters),
        (lambda n: n.startswith("o2cb_list_cluster_"), oracle.parse_list_cluster),
        (lambda n: "init_status" in n, oracle.parse_init_status),
        (lambda n: "init_online_status" in n, oracle.parse_online_status),
        (lambda n: n.startswith("docs_o2cb_init_"), oracle.parse_init_transcript),
        (lambda n: n.startswith("configfs_"), oracle.parse_configfs_listing),
    ]
    for matches, parser in rules:
        if matches(name):
            return parser
    raise AssertionError(f"no O2CB parser claims fixture {name}")


@pytest.mark.parametrize("path", fixture_params(*OCFS2))
def test_every_ocfs2_fixture_is_accepted(path: Path) -> None:
    parser_for(path)(path.read_text())


# ---------------------------------------------------------------------------------------------------------------------
# Facts of specific fixtures

WEB = ClusterConf(
    clusters=(ClusterStanza("webcluster", 3, HeartbeatMode.GLOBAL),),
    nodes=(
        NodeStanza("node7", 7, "192.168.0.107", 7777, "webcluster"),
        NodeStanza("node6", 6, "192.168.0.106", 7777, "webcluster"),
        NodeStanza("node10", 10, "192.168.0.110", 7777, "webcluster"),
    ),
    heartbeats=tuple(HeartbeatStanza(r, "webcluster") for r in WEB_REGIONS),
)


def test_sample_cluster_conf() -> None:
    conf = o2conf.parse_cluster_conf(text_of(SAMPLE))
    assert conf == WEB
    assert conf.cluster("webcluster") == ClusterStanza("webcluster", 3, HeartbeatMode.GLOBAL)
    assert [n.number for n in conf.nodes_of("webcluster")] == [7, 6, 10]
    assert conf.node("webcluster", "node10") == NodeStanza("node10", 10, "192.168.0.110", 7777, "webcluster")
    assert conf.regions_of("webcluster") == WEB_REGIONS
    assert conf.cluster("other") is None and conf.nodes_of("other") == ()


@pytest.mark.parametrize(
    "name, parse",
    [
        ("reconstructed/ocfs2/o2cb_list_cluster_webcluster.txt", oracle.parse_list_cluster),
        ("reconstructed/ocfs2/o2cb_list_cluster_oneline.txt", oracle.parse_list_cluster_oneline),
    ],
)
def test_list_cluster_shows_the_sample(name: str, parse: Callable[[str], ClusterConf]) -> None:
    # The listings were made from the sample file: same stanzas, o2cb's own key order and layout.
    assert parse(text_of(name)) == WEB


@pytest.mark.parametrize("oneline", [False, True])
def test_render_list_cluster_is_byte_exact(oneline: bool) -> None:
    name = "o2cb_list_cluster_oneline.txt" if oneline else "o2cb_list_cluster_webcluster.txt"
    assert simlisting.render_list_cluster(WEB, "webcluster", oneline=oneline) == text_of(f"reconstructed/ocfs2/{name}")


def test_list_clusters() -> None:
    assert oracle.parse_list_clusters(text_of("reconstructed/ocfs2/o2cb_list_clusters.txt")) == ("webcluster",)


def test_render_cluster_conf_writes_the_sample_layout() -> None:
    rendered = o2conf.render_cluster_conf(WEB)
    # Same lines as the sample, in its order; o2cb's writer also ends the last stanza with a blank line.
    assert rendered == text_of(SAMPLE).rstrip("\n") + "\n\n"
    assert o2conf.parse_cluster_conf(rendered) == WEB


def test_status_global_three_regions() -> None:
    status = oracle.parse_init_status(text_of("ocfs2/docs_o2cb_init_status_global_hb_online.txt"))
    assert (status.cluster, status.online, status.heartbeat_mode) == ("webcluster", True, HeartbeatMode.GLOBAL)
    assert status.timeouts == Timeouts(62, 60000, 2000, 2000)
    assert [(r.uuid, r.device) for r in status.regions] == list(
        zip(WEB_REGIONS, ("/dev/sdg1", "/dev/sdk1", "/dev/sdh1"), strict=True)
    )
    assert status.live_nodes == (6, 7, 10)
    assert status.userdlm_domains == ("ovm",)
    assert status.driver_loaded("configfs") and status.filesystem_mounted("ocfs2_dlmfs")
    assert status.stack_plugin == ("o2cb", True) and status.debugfs_mounted is None and not status.legacy


def test_status_one_region_has_no_userdlm_line() -> None:
    status = oracle.parse_init_status(text_of("ocfs2/docs_o2cb_init_status_global_hb_one_region.txt"))
    assert status.regions == (ActiveRegion("77D95EF51C0149D2823674FCC162CF8B", "sdg1"),)
    assert status.live_nodes == (92, 96) and status.userdlm_domains == ()


def test_status_ocfs2_1_2_legacy_layout() -> None:
    status = oracle.parse_init_status(text_of("ocfs2/docs_o2cb_init_status_ocfs2_1.2_local_hb_not_active.txt"))
    assert status.legacy and status.cluster == "mycluster" and status.online
    assert status.driver_loaded("ocfs2_nodemanager") and status.driver_loaded("ocfs2_dlm")
    assert status.heartbeat_mode is None and status.heartbeat_active is False
    assert status.stack_glue_loaded is None and status.timeouts == Timeouts(31, 30000, 2000, 2000)


@pytest.mark.parametrize(
    "name, online, loaded, active",
    [
        ("o2cb_init_status_local_heartbeat_online.txt", True, True, True),
        ("o2cb_init_status_offline.txt", False, True, None),
        ("o2cb_init_status_not_loaded.txt", False, False, None),
    ],
)
def test_status_reconstructed(name: str, online: bool, loaded: bool, active: bool | None) -> None:
    text = text_of(f"reconstructed/ocfs2/{name}")
    status = oracle.parse_init_status(text)
    assert (status.cluster, status.online, status.heartbeat_active) == ("ocfs2", online, active)
    assert status.driver_loaded("configfs") is loaded and status.stack_glue_loaded is loaded
    assert status.filesystem_mounted("configfs") is (True if loaded else None)
    assert status.debugfs_mounted is loaded
    assert oracle.render_init_status(status) == text


def test_online_transcripts() -> None:
    local = oracle.parse_init_transcript(text_of("ocfs2/docs_o2cb_init_online_local_hb.txt"))
    glob = oracle.parse_init_transcript(text_of("ocfs2/docs_o2cb_init_online_global_hb.txt"))
    assert local.ok and glob.ok
    assert [s.action for s in local.steps] == [
        'Setting cluster stack "o2cb"',
        'Registering O2CB cluster "webcluster"',
        "Setting O2CB cluster timeouts",
    ]
    assert glob.step("Starting global heartbeat") is not None and local.step("Starting global heartbeat") is None


def test_offline_and_unload_transcripts() -> None:
    offline = oracle.parse_init_transcript(text_of("ocfs2/docs_o2cb_init_offline_global_hb.txt"))
    assert [s.action for s in offline.steps][-1] == 'Unregistering O2CB cluster "webcluster"'
    unload = oracle.parse_init_transcript(text_of("ocfs2/docs_o2cb_init_unload.txt"))
    assert unload.step('Unloading module "ocfs2_stack_o2cb"') == oracle.InitStep(
        'Unloading module "ocfs2_stack_o2cb"', True
    )


def test_configure_transcript_shows_the_1_2_minimums_and_defaults() -> None:
    done = oracle.parse_init_transcript(text_of("ocfs2/docs_o2cb_init_configure_ocfs2_1.2.txt"))
    specified = [(p.minimum, p.current, p.answer) for p in done.prompts if p.minimum is not None]
    assert specified == [(7, "7", "31"), (5000, "10000", "30000"), (1000, "5000", "2000"), (2000, "2000", "2000")]
    assert done.prompts[1].question == 'Cluster to start on boot (Enter "none" to clear)'
    assert done.prompts[1].answer == "mycluster"
    assert [s.action for s in done.steps] == ["Writing O2CB configuration", "Starting O2CB cluster mycluster"]


def test_transcript_keeps_the_output_after_a_failure() -> None:
    text = (
        'Registering O2CB cluster "web": Failed\no2cb: Unknown cluster \'web\'\nUnregistering O2CB cluster "web": OK\n'
    )
    done = oracle.parse_init_transcript(text)
    assert not done.ok
    assert done.steps[0].detail == ("o2cb: Unknown cluster 'web'",) and done.steps[1].ok
    with pytest.raises(ParseError):
        oracle.parse_init_transcript("o2cb: Unknown cluster 'web'\n")


@pytest.mark.parametrize("word", ["online", "offline"])
def test_online_status(word: str) -> None:
    assert oracle.parse_online_status(
        text_of(f"reconstructed/ocfs2/o2cb_init_online_status_{word}.txt")
    ) is OnlineStatus(word)


def test_configfs_listing() -> None:
    text = text_of("reconstructed/ocfs2/configfs_cluster_tree_listing.txt")
    listing = oracle.parse_configfs_listing(text)
    assert listing.root == "/sys/kernel/config"
    assert listing.clusters == (oracle.ListedCluster("webcluster", ("node7", "node6"), WEB_REGIONS[:1]),)
    assert oracle.render_configfs_listing(listing) == text


# ---------------------------------------------------------------------------------------------------------------------
# Errors: each names the line


@pytest.mark.parametrize(
    "text, lineno, why",
    [
        ("cluster:\n\tname = a\n\tnode_count = 0\n\tcolour = red\n", 4, "unknown key"),
        ("clusters:\n\tname = a\n", 1, "unknown stanza"),
        ("cluster:\n\tname = a\n\n\tnode_count = 1\n", 4, "outside a stanza"),
        ("cluster:\n\tname = a\n\tnode_count = 1 \n", 3, "trailing white space"),
        ("cluster:\n\tname = a\n\tname = b\n\tnode_count = 1\n", 3, "duplicate"),
        ("cluster:\n\tname = a\n", 1, "lacks node_count"),
        ("cluster:\n\tname = a_b\n\tnode_count = 1\n", 2, "cluster name"),
        ("cluster:\n\tname = a\n\tnode_count = 1\n\theartbeat_mode = disk\n", 4, "heartbeat_mode"),
        ("node:\n\tnumber = 255\n\tname = n\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\tcluster = a\n", 2, "0..254"),
        ("node:\n\tnumber = 1\n\tname = n\n\tip_address = 10.0.0.01\n\tip_port = 7777\n\tcluster = a\n", 4, "IPv4"),
        ("node:\n\tnumber = 1\n\tname = n\n\tip_address = 10.0.0.1\n\tip_port = 65535\n\tcluster = a\n", 5, "1..65534"),
        ("heartbeat:\n\tregion = 77d95ef51c0149d2823674fcc162cf8b\n\tcluster = a\n", 2, "upper-case"),
        ("cluster:\n\tname = a\\\n", 2, "continuation"),
        (" # comment\n", 1, "key = value"),
        ("cluster:\nname = a\n", 2, "stanza name"),
    ],
)
def test_cluster_conf_errors(text: str, lineno: int, why: str) -> None:
    with pytest.raises(ParseError) as caught:
        o2conf.parse_cluster_conf(text)
    assert caught.value.lineno == lineno and why in caught.value.why, caught.value.reason


def test_cluster_conf_comments_and_stanzas_without_blank_lines() -> None:
    text = (
        "# generated\ncluster:\n\tname = a\n\tnode_count = 0\nheartbeat:  \n    cluster = a\n    region = " + "A" * 32
    )
    conf = o2conf.parse_cluster_conf(text)
    assert conf.clusters == (ClusterStanza("a", 0),) and conf.regions_of("a") == ("A" * 32,)
    # No heartbeat_mode key (files from before ocfs2-tools 1.8): o2cb runs local heartbeat.
    assert conf.clusters[0].heartbeat_mode is None and conf.clusters[0].effective_mode is HeartbeatMode.LOCAL


def test_list_cluster_order_and_count_are_checked() -> None:
    listing = text_of("reconstructed/ocfs2/o2cb_list_cluster_webcluster.txt")
    cluster_first = listing[listing.index("cluster:") :] + listing[: listing.index("cluster:")]
    with pytest.raises(ParseError, match="after a cluster stanza"):
        oracle.parse_list_cluster(cluster_first)
    with pytest.raises(ParseError, match="exactly one cluster"):
        oracle.parse_list_cluster(listing[: listing.index("cluster:")])
    with pytest.raises(ParseError, match="no cluster line"):
        oracle.parse_list_cluster_oneline("node: 1 a 10.0.0.1:7777 web\n")


def test_read_cluster_conf_names_the_file(tmp_path: Path) -> None:
    assert o2conf.read_cluster_conf(str(tmp_path / "absent.conf")) is None
    bad = tmp_path / "cluster.conf"
    bad.write_text("cluster:\n\tname = a b\n\tnode_count = 1\n")
    with pytest.raises(ParseError) as caught:
        o2conf.read_cluster_conf(str(bad))
    assert caught.value.tool == str(bad) and caught.value.lineno == 2


def test_status_order_is_checked() -> None:
    with pytest.raises(ParseError, match="out of the order"):
        oracle.parse_init_status('Checking O2CB cluster "a": Offline\nDriver for "configfs": Loaded\n')
    with pytest.raises(ParseError, match="without an Online cluster"):
        oracle.parse_init_status('Checking O2CB cluster "a": Offline\n  Heartbeat mode: Local\n')
    with pytest.raises(ParseError, match="without an active heartbeat"):
        oracle.parse_init_status(
            'Checking O2CB cluster "a": Online\nChecking O2CB heartbeat: Not active\n  ' + "A" * 32 + " /dev/sdb\n"
        )


def test_cluster_status_forms() -> None:
    assert oracle.parse_cluster_status("Cluster 'web' is online\n") == ClusterStatus("web", True)
    assert oracle.parse_cluster_status("offline\n") == ClusterStatus(None, False)
    for bad in ("", "Cluster web is online\n", "online\nonline\n"):
        with pytest.raises(ParseError):
            oracle.parse_cluster_status(bad)


# ---------------------------------------------------------------------------------------------------------------------
# Pacemaker membership and name resolution


def test_crm_node_list() -> None:
    text = "1 ha1 member\n2 ha2 lost\n3  member\n4 ha4 \n"
    assert o2membership.parse_crm_node_list(text) == (
        Member(1, "ha1", MemberState.MEMBER),
        Member(2, "ha2", MemberState.LOST),
        Member(3, "", MemberState.MEMBER),
        Member(4, "ha4", MemberState.UNKNOWN),
    )
    for bad in ("1 ha1 member extra\n", "x ha1 member\n", "1 ha1 active\n", "4294967296 ha1 member\n", "1 ha1\n"):
        with pytest.raises(ParseError):
            o2membership.parse_crm_node_list(bad)


def test_getent_ahosts_as_glibc_prints_it() -> None:
    text = "192.168.0.1     STREAM ha1\n192.168.0.1     DGRAM  \n192.168.0.1     RAW    \n10.0.0.1        STREAM \n"
    assert o2membership.parse_getent_ahosts(text) == ("192.168.0.1", "10.0.0.1")
    with pytest.raises(ParseError):
        o2membership.parse_getent_ahosts("fe80::1         STREAM ha1\n")


def test_timeouts_problems() -> None:
    assert o2configfs.DEFAULT_TIMEOUTS.problems() == ()
    assert o2configfs.MINIMUM_TIMEOUTS.problems() == ()
    problems = Timeouts(6, 5000, 5000, 1999).problems()
    assert len(problems) == 3
    assert "dead_threshold 6 is below the minimum 7" in problems
    assert any("must be smaller than idle_timeout_ms" in p for p in problems)


# ---------------------------------------------------------------------------------------------------------------------
# configfs: read what the simulator writes (the same layout as the reconstructed listing)


def test_read_configfs_cluster_from_a_simulated_tree(tmp_path: Path) -> None:
    fs = SimConfigfs(str(tmp_path / "config"))
    assert o2configfs.list_configfs_clusters(fs.root) is None
    fs.load()
    assert o2configfs.list_configfs_clusters(fs.root) == ()
    assert o2configfs.read_configfs_cluster(fs.root, "web") is None
    fs.create_cluster("web")
    fs.add_node("web", "ha1", num=1, address="10.0.0.1", port=7777, local=True)
    fs.add_node("web", "ha2", num=2, address="10.0.0.2", port=7777, local=False)
    fs.set_heartbeat_mode("web", HeartbeatMode.GLOBAL)
    fs.start_region("web", WEB_REGIONS[0], "/dev/etherd/e0.1")
    cluster = o2configfs.read_configfs_cluster(fs.root, "web")
    assert cluster is not None and cluster.is_registered and cluster.is_online
    assert cluster.local_node == o2configfs.RegisteredNode("ha1", 1, "10.0.0.1", 7777, True)
    assert cluster.timeouts == o2configfs.DEFAULT_TIMEOUTS and cluster.fence_method == "reset"
    (region,) = cluster.regions
    assert region.dev == "etherd!e0.1" and region.device == "/dev/etherd/e0.1" and region.pid is not None
    listing = oracle.parse_configfs_listing(fs.listing())
    assert listing.root == fs.root
    assert listing.clusters == (oracle.ListedCluster("web", ("ha1", "ha2"), WEB_REGIONS[:1]),)
    (tmp_path / "config/cluster/web/heartbeat/mode").write_text("disk\n")
    with pytest.raises(ParseError):
        o2configfs.read_configfs_cluster(fs.root, "web")


def test_read_configfs_cluster_local_only_reads_what_the_monitor_decides_on(tmp_path: Path) -> None:
    fs = SimConfigfs(str(tmp_path / "config"))
    fs.load()
    fs.create_cluster("web")
    fs.add_node("web", "ha1", num=1, address="10.0.0.1", port=7777, local=False)
    fs.add_node("web", "ha2", num=2, address="10.0.0.2", port=7777, local=True)
    fs.set_heartbeat_mode("web", HeartbeatMode.GLOBAL)
    fs.start_region("web", WEB_REGIONS[0], "/dev/etherd/e0.1")
    full = o2configfs.read_configfs_cluster(fs.root, "web")
    light = o2configfs.read_configfs_cluster(fs.root, "web", local_only=True)
    assert full is not None and light is not None
    assert light.nodes == (o2configfs.RegisteredNode("ha2", 2, None, None, True),)
    assert light.local_node is not None and full.local_node is not None
    assert (light.local_node.name, light.local_node.num) == (full.local_node.name, full.local_node.num)
    assert light.regions == (ActiveRegion(WEB_REGIONS[0]),) and light.heartbeat_mode is HeartbeatMode.GLOBAL
    assert light.is_online and light.timeouts is None
    fs.add_node("web", "ha3", num=3, address="10.0.0.3", port=7777, local=False)
    (tmp_path / "config/cluster/web/node/ha2/local").write_text("0\n")
    light = o2configfs.read_configfs_cluster(fs.root, "web", local_only=True)
    assert light is not None and light.nodes == () and not light.is_registered
    assert o2configfs.read_configfs_cluster(fs.root, "other", local_only=True) is None


def test_configfs_listing_rejects_unknown_paths() -> None:
    top = "/c/cluster"
    for bad in (f"{top}\n{top}/web\n{top}/web/colour\n", f"{top}\n{top}/web/node\n", "/c/clusters\n"):
        with pytest.raises(ParseError):
            oracle.parse_configfs_listing(bad)


# ---------------------------------------------------------------------------------------------------------------------
# Properties: parse(render(m)) == m, and mutated text raises ParseError and nothing else


@QUICK
@given(strat.cluster_confs())
@example(WEB)
def test_cluster_conf_round_trip(conf: ClusterConf) -> None:
    assert o2conf.parse_cluster_conf(o2conf.render_cluster_conf(conf)) == conf


@QUICK
@given(strat.listed_clusters(), st.booleans())
@example(WEB, False)
@example(WEB, True)
def test_list_cluster_round_trip(conf: ClusterConf, oneline: bool) -> None:
    name = conf.clusters[0].name
    text = simlisting.render_list_cluster(conf, name, oneline=oneline)
    parse = oracle.parse_list_cluster_oneline if oneline else oracle.parse_list_cluster
    assert parse(text) == conf


@QUICK
@given(st.lists(strat.cluster_names, max_size=4), strat.cluster_statuses())
def test_list_clusters_and_status_round_trip(names: list[str], status: ClusterStatus) -> None:
    assert oracle.parse_list_clusters(simlisting.render_list_clusters(names)) == tuple(names)
    assert oracle.parse_cluster_status(oracle.render_cluster_status(status)) == status


@QUICK
@given(strat.init_statuses())
def test_init_status_round_trip(status: oracle.InitStatus) -> None:
    assert oracle.parse_init_status(oracle.render_init_status(status)) == status


@QUICK
@given(strat.configfs_listings())
def test_configfs_listing_round_trip(listing: oracle.ConfigfsListing) -> None:
    assert oracle.parse_configfs_listing(oracle.render_configfs_listing(listing)) == listing


@QUICK
@given(st.lists(strat.members(), max_size=5), strat.getent_outputs())
def test_membership_and_getent_round_trip(members: list[Member], getent: tuple[tuple[str, ...], str]) -> None:
    assert o2membership.parse_crm_node_list(oracle.render_crm_node_list(members)) == tuple(members)
    addresses, text = getent
    assert o2membership.parse_getent_ahosts(text) == addresses


_RENDERED: list[tuple[Callable[[str], object], st.SearchStrategy[str]]] = [
    (o2conf.parse_cluster_conf, strat.cluster_confs().map(o2conf.render_cluster_conf)),
    (
        oracle.parse_list_cluster,
        strat.listed_clusters().map(lambda c: simlisting.render_list_cluster(c, c.clusters[0].name)),
    ),
    (
        oracle.parse_list_cluster_oneline,
        strat.listed_clusters().map(lambda c: simlisting.render_list_cluster(c, c.clusters[0].name, oneline=True)),
    ),
    (oracle.parse_init_status, strat.init_statuses().map(oracle.render_init_status)),
    (oracle.parse_configfs_listing, strat.configfs_listings().map(oracle.render_configfs_listing)),
    (o2membership.parse_crm_node_list, st.lists(strat.members(), max_size=4).map(oracle.render_crm_node_list)),
    (oracle.parse_cluster_status, strat.cluster_statuses().map(oracle.render_cluster_status)),
    (o2membership.parse_getent_ahosts, strat.getent_outputs().map(lambda g: g[1])),
]


@settings(max_examples=300)
@given(st.data())
def test_mutated_text_raises_only_parse_error(data: st.DataObject) -> None:
    parse, texts = data.draw(st.sampled_from(_RENDERED))
    mutated = data.draw(strat.mutations(data.draw(texts)))
    try:
        parse(mutated)
    except ParseError:
        pass


@pytest.mark.parametrize("path", fixture_params(*OCFS2))
@QUICK
@given(data=st.data())
def test_mutated_fixtures_raise_only_parse_error(path: Path, data: st.DataObject) -> None:
    parse = parser_for(path)
    try:
        parse(data.draw(strat.mutations(path.read_text())))
    except ParseError:
        pass


def test_product_modules_never_import_the_simulator() -> None:
    root = Path(__file__).resolve().parents[2] / "lib" / "xenha"
    for module in (*sorted((root / "o2cb").glob("*.py")), root / "agents" / "o2cb.py"):
        tree = ast.parse(module.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(name.startswith("xenha_sim") for name in imported), module


# ---------------------------------------------------------------------------------------------------------------------
# The simulated o2cb prints what the fixtures show (xenha_sim is held to the same grammar)


def run_sim_o2cb(tmp_path: Path, *args: str, node: str = "node7") -> tuple[int, str, str]:
    from xenha_sim import o2cbtools

    out, err = io.StringIO(), io.StringIO()
    environ = {
        "XENHA_CONFIGFS": str(tmp_path / "config"),
        "XENHA_SIM_NODE": node,
        "XENHA_SIM_WORLD": str(tmp_path / "no-world"),
    }
    code = o2cbtools.main(["o2cb", *args], environ, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "args, fixture",
    [
        (("list-cluster", "webcluster"), "o2cb_list_cluster_webcluster.txt"),
        (("list-cluster", "--oneline", "webcluster"), "o2cb_list_cluster_oneline.txt"),
        (("list-cluster", "webcluster", "--oneline"), "o2cb_list_cluster_oneline.txt"),  # getopt permutes
        (("list-clusters",), "o2cb_list_clusters.txt"),
    ],
)
def test_simulated_listings_match_the_fixtures(tmp_path: Path, args: tuple[str, ...], fixture: str) -> None:
    code, out, err = run_sim_o2cb(tmp_path, f"--config-file={FIXTURES / SAMPLE}", *args)
    assert (code, err) == (0, "")
    assert out == text_of(f"reconstructed/ocfs2/{fixture}")


def test_simulated_register_and_status(tmp_path: Path) -> None:
    conf = f"--config-file={FIXTURES / SAMPLE}"
    assert run_sim_o2cb(tmp_path, conf, "register-cluster", "webcluster")[2] == (
        "o2cb: Unable to access cluster service while initializing the cluster\n"
    )
    assert run_sim_o2cb(tmp_path, conf, "cluster-status") == (
        1,
        "offline\n",
        "o2cb: Unable to access cluster service while initializing the cluster\n",
    )
    SimConfigfs(str(tmp_path / "config")).load()
    assert run_sim_o2cb(tmp_path, conf, "register-cluster", "nosuch") == (1, "", "o2cb: Unknown cluster 'nosuch'\n")
    assert run_sim_o2cb(tmp_path, conf, "register-cluster", "webcluster", node="NODE7.example.com") == (0, "", "")
    listing = oracle.parse_configfs_listing(SimConfigfs(str(tmp_path / "config")).listing())
    assert listing.clusters[0].name == "webcluster" and sorted(listing.clusters[0].nodes) == [
        "node10",
        "node6",
        "node7",
    ]
    cluster = o2configfs.read_configfs_cluster(str(tmp_path / "config"), "webcluster")
    assert cluster is not None and cluster.local_node is not None and cluster.local_node.name == "node7"
    # Global mode from the file, but no region runs: o2cb's definition says offline (op_status.c).
    code, out, _ = run_sim_o2cb(tmp_path, conf, "cluster-status", "webcluster")
    assert (code, oracle.parse_cluster_status(out)) == (1, ClusterStatus("webcluster", False))
    code, out, _ = run_sim_o2cb(tmp_path, conf, "cluster-status", "other")
    assert (code, out) == (1, "Cluster 'other' is offline\n")
    assert run_sim_o2cb(tmp_path, conf, "unregister-cluster", "webcluster") == (0, "", "")
    assert o2configfs.list_configfs_clusters(str(tmp_path / "config")) == ()


def test_simulated_config_edits_round_trip(tmp_path: Path) -> None:
    conf = f"--config-file={tmp_path / 'etc' / 'cluster.conf'}"
    assert run_sim_o2cb(tmp_path, conf, "add-cluster", "web")[0] == 0
    assert run_sim_o2cb(tmp_path, conf, "add-cluster", "web-1")[2] == (
        "o2cb: Invalid name for a cluster ; only alpha-numeric characters allowed\n"
    )
    assert run_sim_o2cb(tmp_path, conf, "add-node", "web", "ha1", "--ip", "10.0.0.1")[0] == 0
    assert run_sim_o2cb(tmp_path, conf, "add-node", "--ip=10.0.0.2", "--port", "0x1e62", "web", "ha2")[0] == 0
    assert run_sim_o2cb(tmp_path, conf, "add-node", "web", "ha3", "--ip", "10.0.0.3", "--number", "1")[2] == (
        "o2cb: Choose another node number as '1' is in use\n"
    )
    assert run_sim_o2cb(tmp_path, conf, "add-heartbeat", "web", WEB_REGIONS[0])[0] == 0
    assert run_sim_o2cb(tmp_path, conf, "heartbeat-mode", "web", "global")[0] == 0
    code, out, _ = run_sim_o2cb(tmp_path, conf, "list-cluster", "--oneline", "web")
    assert code == 0 and out == (
        f"heartbeat: {WEB_REGIONS[0]} web\nnode: 0 ha1 10.0.0.1:7777 web\nnode: 1 ha2 10.0.0.2:7778 web\n"
        "cluster: 2 global web\n"
    )
    written = o2conf.read_cluster_conf(str(tmp_path / "etc" / "cluster.conf"))
    assert written == oracle.parse_list_cluster_oneline(out)
    assert run_sim_o2cb(tmp_path, conf, "remove-node", "web", "ha1")[0] == 0
    assert run_sim_o2cb(tmp_path, conf, "list-nodes", "--oneline", "web")[1] == "node: 1 ha2 10.0.0.2:7778 web\n"
    assert run_sim_o2cb(tmp_path, conf, "register-cluster")[2] == "o2cb: usage: register-cluster <clustername>\n"


def test_simulated_reboot_clears_configfs_and_mounts(tmp_path: Path) -> None:
    from xenha_sim.o2cbsim import add_volume, attach_node, mount_volume, mounts_of
    from xenha_sim.world import World, add_node

    world = World(str(tmp_path / "world"))
    world.create()
    fs = SimConfigfs(str(tmp_path / "config"))
    fs.load()
    fs.create_cluster("web")
    fs.add_node("web", "ha1", num=1, address="10.0.0.1", port=7777, local=True)
    with world.transaction() as state:
        add_node(state, "ha1")
        attach_node(state, "ha1", fs.root)
        add_volume(state, "/dev/sdb", WEB_REGIONS[0])
        mount_volume(state, "ha1", fs, "/dev/sdb", "/srv")
    assert fs.regions("web") == [WEB_REGIONS[0]]  # local mode: the mount started the volume's heartbeat
    assert world.snapshot()["o2cb"]["nodes"]["ha1"]["mounts"]  # an unchanged boot count keeps everything
    with world.transaction() as state:
        state["nodes"]["ha1"]["boot"] += 1
    state = world.snapshot()
    assert fs.clusters() == [] and fs.loaded and mounts_of(state, "ha1") == []
    assert state["log"][-1][2] == "o2cb: rebooted; configfs cleared"


def test_a_configfs_attribute_that_is_a_fifo_or_a_directory_reads_as_absent_at_once(tmp_path):
    """The configfs root is a parameter: a FIFO where an attribute should be hung the monitor before (#13)."""
    import os
    import time

    from xenha.o2cb import configfs

    fifo = tmp_path / "dead_threshold"
    os.mkfifo(fifo)
    began = time.monotonic()
    assert configfs._read(str(fifo)) is None
    assert configfs._read(str(tmp_path)) is None
    assert time.monotonic() - began < 1.0
    attr = tmp_path / "idle_timeout_ms"
    attr.write_text("30000\n")
    assert configfs._read(str(attr)) == "30000\n"


def test_cluster_conf_is_never_written_through_a_planted_temporary_name(tmp_path):
    """A hard link planted at `cluster.conf.xenha.<pid>` was truncated and written through (O_TRUNC, no O_EXCL)."""
    import os

    from xenha.o2cb.conf import ClusterConf, ClusterStanza, read_cluster_conf, write_cluster_conf

    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    conf = tmp_path / "ocfs2" / "cluster.conf"
    conf.parent.mkdir()
    os.link(victim, f"{conf}.xenha.{os.getpid()}")
    wanted = ClusterConf(clusters=(ClusterStanza("web", 0, None),))
    write_cluster_conf(str(conf), wanted)
    assert victim.read_text() == "precious\n"
    assert read_cluster_conf(str(conf)) == wanted
