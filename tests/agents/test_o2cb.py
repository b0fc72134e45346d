# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""O2cbCluster on a simulated configfs: handlers with a scripted runner, then the launcher with a fake crm_node."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings

from tests.agents.scripted import ANY, Match, ScriptedRunner, ordinal
from tests.strategies.o2cb import timeouts as timeout_values
from tests.unit.test_meta import validate
from xenha import ocf
from xenha.agents import o2cb as agent
from xenha.o2cb.conf import (
    ClusterConf,
    ClusterStanza,
    HeartbeatStanza,
    NodeStanza,
    parse_cluster_conf,
    render_cluster_conf,
)
from xenha.o2cb.configfs import (
    DEFAULT_TIMEOUTS,
    ActiveRegion,
    HeartbeatMode,
    RegisteredCluster,
    RegisteredNode,
    Timeouts,
    read_configfs_cluster,
)
from xenha.o2cb.membership import Member, MemberState
from xenha.ocf import Env, ExitCode
from xenha.run import Result
from xenha_sim import o2cbtools
from xenha_sim.o2cbsim import SimConfigfs, add_volume, attach_node, mount_volume, umount_volume
from xenha_sim.world import World, add_node

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "ocf" / "O2cbCluster"
REGION = "77D95EF51C0149D2823674FCC162CF8B"
DISK = "/dev/etherd/e0.1"
MEMBERS = "1 ha1 member\n2 ha2 member\n"
CONF_ARG = Match(r"--config-file=.*/cluster\.conf")
STOP_CONF_ARG = Match(r"--config-file=.*/web\.stop\.conf")


@dataclass
class Bed:
    """Node ha1 of a simulated world: its configfs tree, a cluster.conf path, and a bin directory."""

    root: Path
    world: World
    fs: SimConfigfs
    conf: Path
    bindir: Path

    def sim_env(self) -> dict[str, str]:
        return {"XENHA_CONFIGFS": self.fs.root, "XENHA_SIM_NODE": "ha1", "XENHA_SIM_WORLD": self.world.path}

    def sim(self, argv: Sequence[str]) -> Result:
        """Run the simulated o2cb in-process as node ha1 (a ScriptedRunner `respond`)."""
        out, err = io.StringIO(), io.StringIO()
        rc = o2cbtools.main(list(argv), self.sim_env(), stdout=out, stderr=err)
        return Result(argv=tuple(argv), rc=rc, stdout=out.getvalue(), stderr=err.getvalue(), elapsed=0.0)

    def write_conf(
        self,
        nodes: Sequence[str] = ("ha1", "ha2"),
        *,
        mode: HeartbeatMode = HeartbeatMode.LOCAL,
        regions: Sequence[str] = (),
    ) -> None:
        conf = ClusterConf(
            clusters=(ClusterStanza("web", len(nodes), mode),),
            nodes=tuple(NodeStanza(n, i, f"10.0.0.{i}", 7777, "web") for i, n in enumerate(nodes, start=1)),
            heartbeats=tuple(HeartbeatStanza(r, "web") for r in regions),
        )
        self.conf.parent.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render_cluster_conf(conf))

    def environ(self, **params: str) -> dict[str, str]:
        env = {
            "HA_LOGFACILITY": "none",
            "OCF_RESOURCE_INSTANCE": "o2cb:0",
            "OCF_RESKEY_CRM_meta_on_node": "ha1",
            "OCF_RESKEY_CRM_meta_timeout": "30000",
            "OCF_RESKEY_cluster": "web",
            "OCF_RESKEY_conf": str(self.conf),
            "OCF_RESKEY_configfs": self.fs.root,
            "XENHA_RUN_DIR": str(self.root / "run"),
            "PATH": f"{self.bindir}:/usr/bin:/bin",
        }
        env.update({k if k.startswith("OCF_") else f"OCF_RESKEY_{k}": v for k, v in params.items()})
        return env

    def run(self, action: str, runner: ScriptedRunner | None = None, /, **params: str) -> tuple[int, str]:
        """Run one action through ocf.run; returns (exit code, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        table = agent.handlers(runner if runner is not None else ScriptedRunner())
        code = ocf.run(agent.AGENT, table, self.environ(**params), ["O2cbCluster", action], stdout=out, stderr=err)
        return code, err.getvalue()

    def cluster(self) -> RegisteredCluster | None:
        return read_configfs_cluster(self.fs.root, "web")

    def mount(self, mountpoint: str = "/srv/web") -> None:
        with self.world.transaction() as state:
            mount_volume(state, "ha1", self.fs, DISK, mountpoint)

    def umount(self, mountpoint: str = "/srv/web") -> None:
        with self.world.transaction() as state:
            umount_volume(state, "ha1", self.fs, mountpoint)

    def registered(self, runner: ScriptedRunner) -> None:
        """Start the cluster (local mode) through the agent, as the scripted commands would."""
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        runner.expect(["o2cb", CONF_ARG, "register-cluster", "web"], respond=self.sim)
        assert self.run("start", runner)[0] == ExitCode.SUCCESS


@pytest.fixture
def bed(tmp_path: Path) -> Bed:
    world = World(str(tmp_path / "world"))
    world.create()
    fs = SimConfigfs(str(tmp_path / "ha1" / "configfs"))
    fs.load()
    with world.transaction() as state:
        add_node(state, "ha1", address="10.0.0.1")
        add_node(state, "ha2", address="10.0.0.2")
        attach_node(state, "ha1", fs.root)
        add_volume(state, DISK, REGION, "web")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "o2cb").symlink_to(REPO / "packaging" / "lab-scripts" / "o2cb")
    return Bed(root=tmp_path, world=world, fs=fs, conf=tmp_path / "etc" / "cluster.conf", bindir=bindir)


def reason(stderr: str) -> str:
    """The one exit reason, which must be the last line of stderr."""
    lines = stderr.splitlines()
    assert lines and lines[-1].startswith("ocf-exit-reason:"), stderr
    assert sum(line.startswith("ocf-exit-reason:") for line in lines) == 1
    return lines[-1].removeprefix("ocf-exit-reason:")


def probe(bed: Bed, **params: str) -> tuple[int, str]:
    return bed.run("monitor", ScriptedRunner(), OCF_RESKEY_CRM_meta_interval="0", **params)


# ---------------------------------------------------------------------------------------------------------------------
# Scripted runner: the tool itself


def test_scripted_runner_reports_mismatches_and_leftovers() -> None:
    from xenha.run import Deadline

    runner = ScriptedRunner().expect(["a", ANY]).expect(["b", Match("x+")])
    runner(["a", "anything"], Deadline(None))
    with pytest.raises(AssertionError, match=r"As 2nd command expected \['b', Match\('x\+'\)\] but was \['b', 'y'\]"):
        runner(["b", "y"], Deadline(None))
    with pytest.raises(AssertionError, match="nothing more was expected"):
        runner(["c"], Deadline(None))
    leftover = ScriptedRunner().expect(["never"])
    with pytest.raises(AssertionError, match="never ran"):
        leftover.assert_done()
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------------
# meta-data and parameters


def test_meta_data_is_valid_and_documents_every_parameter(bed: Bed) -> None:
    code, _ = bed.run("meta-data")
    assert code == 0
    out = io.StringIO()
    ocf.run(agent.AGENT, agent.handlers(), {}, ["O2cbCluster", "meta-data"], stdout=out)
    xml = out.getvalue()
    validate(xml)
    for name in ("cluster", "conf", "configfs", "heartbeat_mode", "dead_threshold", "generate_conf", "addresses"):
        assert f'name="{name}"' in xml
    assert "Filesystem" in xml and "crm_node -l" in xml


def test_meta_data_through_the_launcher_in_an_empty_environment() -> None:
    done = subprocess.run(
        [str(LAUNCHER), "meta-data"], env={"PYTHONPATH": str(REPO / "lib")}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and '<resource-agent name="O2cbCluster"' in done.stdout


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"cluster": "web-1"}, "not an O2CB cluster name"),
        ({"heartbeat_mode": "disk"}, "must be local or global"),
        ({"idle_timeout_ms": "1000"}, "below the minimum 5000"),
        ({"keepalive_delay_ms": "30000"}, "must be smaller than idle_timeout_ms"),
        ({"dead_threshold": "many"}, "not a whole number"),
        ({"generate_conf": "perhaps"}, "not a boolean"),
        ({"addresses": "ha1:10.0.0.1"}, "not name=IPv4-address"),
        ({"conf": "cluster.conf"}, "not an absolute path"),
    ],
)
def test_bad_parameters_are_not_configured(bed: Bed, params: dict[str, str], fragment: str) -> None:
    code, err = bed.run("validate-all", **params)
    assert code == ExitCode.ERR_CONFIGURED
    assert fragment in reason(err)


def test_params_defaults_and_configfs_override() -> None:
    env = Env.from_environ(
        {"XENHA_CONFIGFS": "/lab/cfs", "OCF_RESKEY_CRM_meta_on_node": "ha2"},
        ["x", "start"],
        resource_type="O2cbCluster",
    )
    p = agent.params_from(env)
    assert (p.cluster, p.conf, p.configfs, p.node) == ("ocfs2", "/etc/ocfs2/cluster.conf", "/lab/cfs", "ha2")
    assert p.heartbeat_mode is HeartbeatMode.LOCAL and p.timeouts == DEFAULT_TIMEOUTS and not p.generate_conf


# ---------------------------------------------------------------------------------------------------------------------
# Probes and monitor


def test_probe_before_start_is_not_running_without_commands_or_reason(bed: Bed) -> None:
    code, err = probe(bed)
    assert code == ExitCode.NOT_RUNNING and "ocf-exit-reason" not in err


@pytest.mark.parametrize(
    "params",
    [
        {"configfs": "/nonexistent/config"},  # no configfs at all
        {"conf": "/nonexistent/cluster.conf"},  # no configuration: never read by the monitor
        {"idle_timeout_ms": "10"},  # invalid parameters: ocf.run turns ConfigError into "not running" on probes
    ],
)
def test_probe_never_errors_on_missing_config(bed: Bed, params: dict[str, str]) -> None:
    code, err = probe(bed, **params)
    assert code == ExitCode.NOT_RUNNING and "ocf-exit-reason" not in err


def test_monitor_half_registered_cluster_is_a_failure(bed: Bed) -> None:
    bed.fs.create_cluster("web")
    bed.fs.add_node("web", "ha2", num=2, address="10.0.0.2", port=7777, local=False)
    code, err = bed.run("monitor")
    assert code == ExitCode.ERR_GENERIC and "without a local node" in reason(err)
    assert probe(bed)[0] == ExitCode.ERR_GENERIC  # partly active: the probe must not say "cleanly stopped"


def test_monitor_another_cluster_means_ours_is_not_running(bed: Bed) -> None:
    bed.fs.create_cluster("other")
    bed.fs.add_node("other", "ha1", num=1, address="10.0.0.1", port=7777, local=True)
    assert bed.run("monitor")[0] == ExitCode.NOT_RUNNING


@pytest.mark.parametrize(
    "cluster, wanted, verdict, fragment",
    [
        (None, HeartbeatMode.LOCAL, ExitCode.NOT_RUNNING, "not registered"),
        ("local", HeartbeatMode.LOCAL, ExitCode.SUCCESS, "online as node ha1 (number 1)"),
        ("local", HeartbeatMode.GLOBAL, ExitCode.ERR_GENERIC, "runs local heartbeat"),
        ("global", HeartbeatMode.GLOBAL, ExitCode.ERR_GENERIC, "no active region"),
        ("global+region", HeartbeatMode.GLOBAL, ExitCode.SUCCESS, "online"),
    ],
)
def test_assess(cluster: str | None, wanted: HeartbeatMode, verdict: ExitCode, fragment: str) -> None:
    nodes = (RegisteredNode("ha1", 1, "10.0.0.1", 7777, True),)
    regions = (ActiveRegion(REGION, "sdb"),) if cluster == "global+region" else ()
    mode = HeartbeatMode.LOCAL if cluster == "local" else HeartbeatMode.GLOBAL
    registered = None if cluster is None else RegisteredCluster("web", nodes, regions, mode, 31, 30000, 2000, 2000)
    p = agent.params_from(
        Env.from_environ(
            {"OCF_RESKEY_cluster": "web", "OCF_RESKEY_heartbeat_mode": wanted.value},
            ["x", "monitor"],
            resource_type="O2cbCluster",
        )
    )
    code, text = agent.assess(registered, p)
    assert code == verdict and fragment in text


# ---------------------------------------------------------------------------------------------------------------------
# start


def test_start_registers_sets_timeouts_and_monitor_agrees(bed: Bed) -> None:
    bed.write_conf()
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout="1 ha1 member\n2 ha2 lost\n")  # a lost node is still a node
        runner.expect(["o2cb", CONF_ARG, "register-cluster", "web"], respond=bed.sim)
        code, err = bed.run("start", runner, idle_timeout_ms="60000", keepalive_delay_ms="5000", dead_threshold="61")
    assert code == ExitCode.SUCCESS, err
    cluster = bed.cluster()
    assert cluster is not None and cluster.local_node is not None and cluster.local_node.name == "ha1"
    assert cluster.timeouts == Timeouts(61, 60000, 5000, 2000)
    assert [n.name for n in cluster.nodes] == ["ha1", "ha2"]
    assert bed.run("monitor")[0] == ExitCode.SUCCESS


def test_start_when_online_does_nothing(bed: Bed) -> None:
    bed.write_conf()
    bed.registered(ScriptedRunner())
    with ScriptedRunner() as runner:  # no command at all
        assert bed.run("start", runner)[0] == ExitCode.SUCCESS


def test_start_refuses_a_conf_that_disagrees_with_a_changed_membership(bed: Bed) -> None:
    bed.write_conf(("ha1", "ha2", "old1"))
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout="1 ha1 member\n2 ha2 member\n3 ha3 member\n")
        code, err = bed.run("start", runner)
    assert code == ExitCode.ERR_CONFIGURED
    text = reason(err)
    assert text.startswith("cluster.conf: lacks Pacemaker node ha3; lists old1 unknown to Pacemaker (")
    assert bed.cluster() is None  # o2cb never ran


@pytest.mark.parametrize(
    "conf_text, fragment",
    [
        (None, "not found"),
        ("cluster:\n\tname = web\n\tnode_count = two\n", "node_count is not a decimal number"),
        ("cluster:\n\tname = other\n\tnode_count = 0\n", "no cluster stanza named web"),
    ],
)
def test_start_refuses_a_missing_or_broken_conf(bed: Bed, conf_text: str | None, fragment: str) -> None:
    if conf_text is not None:
        bed.conf.parent.mkdir(parents=True, exist_ok=True)
        bed.conf.write_text(conf_text)
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        code, err = bed.run("start", runner)
    assert code == ExitCode.ERR_CONFIGURED and fragment in reason(err)


def test_start_generates_the_conf_from_the_membership(bed: Bed) -> None:
    bed.write_conf(("ha1",), regions=(REGION,))  # stale: one node; its heartbeat stanza must survive
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout="2 ha2 member\n1 ha1 member\n")
        runner.expect(["getent", "ahostsv4", "ha2"], stdout="192.168.7.2     STREAM ha2\n192.168.7.2     DGRAM  \n")
        runner.expect(["o2cb", CONF_ARG, "register-cluster", "web"], respond=bed.sim)
        code, err = bed.run("start", runner, generate_conf="true", addresses="ha1=192.168.7.1", ip_port="7778")
    assert code == ExitCode.SUCCESS, err
    conf = parse_cluster_conf(bed.conf.read_text())
    assert conf.cluster("web") == ClusterStanza("web", 2, HeartbeatMode.LOCAL)
    assert conf.nodes_of("web") == (
        NodeStanza("ha1", 1, "192.168.7.1", 7778, "web"),
        NodeStanza("ha2", 2, "192.168.7.2", 7778, "web"),
    )
    assert conf.regions_of("web") == (REGION,)
    assert oct(os.stat(bed.conf).st_mode & 0o777) == "0o644"


@pytest.mark.parametrize(
    "members, getent, fragment",
    [
        ("1 ha1 member\n2 ha2 member\n", ("127.0.1.1       STREAM ha2\n", 0), "resolves to loopback 127.0.1.1"),
        ("1 ha1 member\n2 ha2 member\n", ("", 2), "does not resolve"),
        ("1 ha1 member\n300 ha2 member\n", None, "Pacemaker node id 300 cannot be an O2CB node number"),
    ],
)
def test_generate_refuses_what_o2cb_cannot_use(
    bed: Bed, members: str, getent: tuple[str, int] | None, fragment: str
) -> None:
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=members)
        if getent is not None:
            runner.expect(["getent", "ahostsv4", "ha2"], stdout=getent[0], rc=getent[1])
        code, err = bed.run(
            "start",
            runner,
            generate_conf="true",
            addresses="ha1=10.0.0.1 ha2=10.0.0.2" if getent is None else "ha1=10.0.0.1",
        )
    assert code == ExitCode.ERR_CONFIGURED and fragment in reason(err)
    assert not bed.conf.exists()


def test_start_fails_when_no_node_matches_the_host_name(bed: Bed) -> None:
    bed.write_conf()

    def sim_on_other_host(argv: tuple[str, ...]) -> Result:
        env = {**bed.sim_env(), "XENHA_SIM_NODE": "node1.example"}
        out, err = io.StringIO(), io.StringIO()
        rc = o2cbtools.main(list(argv), env, stdout=out, stderr=err)
        return Result(argv=argv, rc=rc, stdout=out.getvalue(), stderr=err.getvalue(), elapsed=0.0)

    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        runner.expect(["o2cb", CONF_ARG, "register-cluster", "web"], respond=sim_on_other_host)
        code, err = bed.run("start", runner)
    assert code == ExitCode.ERR_GENERIC and "no node of" in reason(err) and "host names" in reason(err)


def test_start_refuses_when_configfs_holds_another_cluster(bed: Bed) -> None:
    bed.write_conf()
    bed.fs.create_cluster("other")
    code, err = bed.run("start", ScriptedRunner())
    assert code == ExitCode.ERR_GENERIC and "already holds O2CB cluster other" in reason(err)


@pytest.mark.parametrize(
    "configfs, fragment", [("absent", "configfs is not mounted"), ("empty", "modules are not loaded")]
)
def test_start_without_configfs_or_modules_is_not_installed(bed: Bed, configfs: str, fragment: str) -> None:
    bed.write_conf()
    path = bed.root / configfs
    if configfs == "empty":
        path.mkdir()
    code, err = bed.run("start", ScriptedRunner(), configfs=str(path))
    assert code == ExitCode.ERR_INSTALLED and fragment in reason(err)


def test_start_reports_o2cb_failure(bed: Bed) -> None:
    bed.write_conf()
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        runner.expect(
            ["o2cb", CONF_ARG, "register-cluster", "web"],
            rc=1,
            stderr="o2cb: Internal logic failure while registering cluster 'web'\n",
        )
        code, err = bed.run("start", runner)
    assert code == ExitCode.ERR_GENERIC
    expected = "o2cb register-cluster: o2cb exited 1: o2cb: Internal logic failure while registering cluster 'web'"
    assert reason(err) == f"cluster web: {expected}"


def test_start_fails_when_crm_node_cannot_reach_the_controller(bed: Bed) -> None:
    bed.write_conf()
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], rc=102, stderr="error: Could not connect to controller: Connection refused\n")
        code, err = bed.run("start", runner)
    assert code == ExitCode.ERR_GENERIC and "crm_node -l" in reason(err)


def test_start_global_heartbeat(bed: Bed) -> None:
    bed.write_conf(mode=HeartbeatMode.GLOBAL, regions=(REGION,))
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        runner.expect(["o2cb", CONF_ARG, "register-cluster", "web"], respond=bed.sim)
        runner.expect(["o2cb", CONF_ARG, "start-heartbeat", "web"], respond=bed.sim)
        code, err = bed.run("start", runner, heartbeat_mode="global")
    assert code == ExitCode.SUCCESS, err
    cluster = bed.cluster()
    assert cluster is not None and [r.device for r in cluster.regions] == [DISK]
    assert bed.run("monitor", heartbeat_mode="global")[0] == ExitCode.SUCCESS
    assert bed.run("monitor", heartbeat_mode="local")[0] == ExitCode.ERR_GENERIC


def test_start_refuses_global_mode_without_regions_or_with_the_wrong_mode(bed: Bed) -> None:
    bed.write_conf(mode=HeartbeatMode.GLOBAL)
    for params, fragment in (
        ({"heartbeat_mode": "global"}, "needs a heartbeat region"),
        ({}, "heartbeat_mode is global"),
    ):
        with ScriptedRunner() as runner:
            runner.expect(["crm_node", "-l"], stdout=MEMBERS)
            code, err = bed.run("start", runner, **params)
        assert code == ExitCode.ERR_CONFIGURED and fragment in reason(err)


# ---------------------------------------------------------------------------------------------------------------------
# stop


def test_stop_blocked_by_a_mounted_volume_then_succeeds_and_is_idempotent(bed: Bed) -> None:
    bed.write_conf()
    bed.registered(ScriptedRunner())
    bed.mount()
    with ScriptedRunner() as runner:  # local mode: no o2cb command before the check
        code, err = bed.run("stop", runner)
    assert code == ExitCode.ERR_GENERIC
    text = reason(err)
    assert text == f"cluster web: heartbeat region {REGION} on {DISK} still active: stop the Filesystem using it"
    assert bed.cluster() is not None
    bed.umount()
    with ScriptedRunner() as runner:
        runner.expect(["o2cb", STOP_CONF_ARG, "unregister-cluster", "web"], respond=bed.sim)
        assert bed.run("stop", runner)[0] == ExitCode.SUCCESS
    assert bed.cluster() is None and bed.fs.loaded
    with ScriptedRunner() as runner:
        assert bed.run("stop", runner)[0] == ExitCode.SUCCESS
    assert bed.run("monitor")[0] == ExitCode.NOT_RUNNING


def test_stop_global_heartbeat_pinned_by_a_mount(bed: Bed) -> None:
    bed.write_conf(mode=HeartbeatMode.GLOBAL, regions=(REGION,))
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        runner.expect(["o2cb", CONF_ARG, "register-cluster", "web"], respond=bed.sim)
        runner.expect(["o2cb", CONF_ARG, "start-heartbeat", "web"], respond=bed.sim)
        assert bed.run("start", runner, heartbeat_mode="global")[0] == ExitCode.SUCCESS
    bed.mount()
    with ScriptedRunner() as runner:
        runner.expect(["o2cb", STOP_CONF_ARG, "stop-heartbeat", "web"], respond=bed.sim)
        code, err = bed.run("stop", runner, heartbeat_mode="global")
    assert code == ExitCode.ERR_GENERIC
    assert reason(err).startswith(f"cluster web: heartbeat region {REGION} on {DISK} still active: stop the Filesystem")
    assert "o2cb stop-heartbeat failed" in err and "Heartbeat region in use" in err
    bed.umount()
    with ScriptedRunner() as runner:
        runner.expect(["o2cb", STOP_CONF_ARG, "stop-heartbeat", "web"], respond=bed.sim)
        runner.expect(["o2cb", STOP_CONF_ARG, "unregister-cluster", "web"], respond=bed.sim)
        assert bed.run("stop", runner, heartbeat_mode="global")[0] == ExitCode.SUCCESS
    assert bed.cluster() is None


def test_stop_never_reads_the_broken_conf(bed: Bed) -> None:
    bed.write_conf()
    bed.registered(ScriptedRunner())
    bed.conf.write_text("garbage\n")
    with ScriptedRunner() as runner:
        runner.expect(["o2cb", STOP_CONF_ARG, "unregister-cluster", "web"], respond=bed.sim)
        code, err = bed.run("stop", runner)
    assert code == ExitCode.SUCCESS, err
    assert bed.cluster() is None
    assert not list((bed.root / "run").rglob("web.stop.conf"))  # the one-stanza file is removed afterwards


def test_stop_reports_unregister_failure(bed: Bed) -> None:
    bed.write_conf()
    bed.registered(ScriptedRunner())
    with ScriptedRunner() as runner:
        runner.expect(
            ["o2cb", STOP_CONF_ARG, "unregister-cluster", "web"], rc=1, stderr="o2cb: Cluster 'web' not active\n"
        )
        code, err = bed.run("stop", runner)
    assert code == ExitCode.ERR_GENERIC and "unregister-cluster" in reason(err)


# ---------------------------------------------------------------------------------------------------------------------
# validate-all


def test_validate_all(bed: Bed) -> None:
    bed.write_conf()
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        assert bed.run("validate-all", runner)[0] == ExitCode.SUCCESS
    with ScriptedRunner() as runner:  # outside a running cluster the membership is unknown: the file alone
        runner.expect(["crm_node", "-l"], rc=102, stderr="error: Could not connect to controller\n")
        assert bed.run("validate-all", runner)[0] == ExitCode.SUCCESS
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout="1 ha1 member\n")
        code, err = bed.run("validate-all", runner)
    assert code == ExitCode.ERR_CONFIGURED and "lists ha2 unknown to Pacemaker" in reason(err)


def test_validate_all_generate_mode_outside_a_cluster_only_parses_the_file(bed: Bed) -> None:
    bed.write_conf(("old1",))  # stale, and it would be regenerated at start
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], rc=102, stderr="error: Could not connect to controller\n")
        assert bed.run("validate-all", runner, generate_conf="true")[0] == ExitCode.SUCCESS
    bed.conf.write_text("node:\n")
    with ScriptedRunner() as runner:  # never overwrite a file that cannot be read
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        code, err = bed.run("start", runner, generate_conf="true", addresses="ha1=10.0.0.1 ha2=10.0.0.2")
    assert code == ExitCode.ERR_CONFIGURED and "node stanza lacks" in reason(err)
    assert bed.conf.read_text() == "node:\n"


def test_validate_all_without_the_o2cb_tool_is_not_installed(bed: Bed) -> None:
    (bed.bindir / "o2cb").unlink()
    code, err = bed.run("validate-all", ScriptedRunner(), OCF_RESKEY_CRM_meta_timeout="30000")
    assert code == ExitCode.ERR_INSTALLED and "ocfs2-tools" in reason(err)


# ---------------------------------------------------------------------------------------------------------------------
# Pure decisions


def _params(**params: str) -> agent.Params:
    environ = {"OCF_RESKEY_cluster": "web", "OCF_RESKEY_CRM_meta_on_node": "ha1"}
    environ |= {f"OCF_RESKEY_{k}": v for k, v in params.items()}
    return agent.params_from(Env.from_environ(environ, ["x", "start"], resource_type="O2cbCluster"))


def test_conf_problems() -> None:
    p = _params()
    conf = ClusterConf(
        clusters=(ClusterStanza("web", 3),),
        nodes=(
            NodeStanza("ha2", 2, "10.0.0.2", 7777, "web"),
            NodeStanza("ha3", 2, "10.0.0.2", 7777, "web"),
        ),
    )
    assert agent.conf_problems(conf, p) == (
        "node number 2 used twice",
        "address 10.0.0.2:7777 used twice",
        "this node ha1 is not in it",
    )
    good = ClusterConf(clusters=(ClusterStanza("web", 1),), nodes=(NodeStanza("ha1", 1, "10.0.0.1", 7777, "web"),))
    assert agent.conf_problems(good, p) == ()


def test_membership_problems() -> None:
    conf = ClusterConf(
        nodes=(NodeStanza("ha1", 1, "10.0.0.1", 7777, "web"), NodeStanza("a", 2, "10.0.0.2", 7777, "web"))
    )
    members = [
        Member(1, "ha1", MemberState.MEMBER),
        Member(3, "ha3", MemberState.LOST),
        Member(4, "ha4", MemberState.MEMBER),
    ]
    assert agent.membership_problems(conf, "web", members) == (
        "lacks Pacemaker nodes ha3, ha4",
        "lists a unknown to Pacemaker",
    )
    assert (
        agent.membership_problems(conf, "web", [Member(1, "ha1", MemberState.MEMBER), Member(2, "a", MemberState.LOST)])
        == ()
    )


def _kernel_apply(current: Timeouts, writes: tuple[tuple[str, int], ...]) -> Timeouts:
    """Apply writes as the kernel would, failing on a write it refuses (keepalive must stay below idle)."""
    values = {
        name: getattr(current, name)
        for name in ("dead_threshold", "idle_timeout_ms", "keepalive_delay_ms", "reconnect_delay_ms")
    }
    for name, value in writes:
        values[name] = value
        assert values["keepalive_delay_ms"] < values["idle_timeout_ms"], f"kernel refuses {name}={value}: {values}"
    return Timeouts(**values)


@pytest.mark.parametrize(
    "current, target, order",
    [
        (DEFAULT_TIMEOUTS, Timeouts(31, 60000, 40000, 2000), ["idle_timeout_ms", "keepalive_delay_ms"]),
        (Timeouts(31, 30000, 20000, 2000), Timeouts(31, 10000, 5000, 2000), ["keepalive_delay_ms", "idle_timeout_ms"]),
        (DEFAULT_TIMEOUTS, DEFAULT_TIMEOUTS, []),
        (None, DEFAULT_TIMEOUTS, ["dead_threshold", "idle_timeout_ms", "keepalive_delay_ms", "reconnect_delay_ms"]),
    ],
)
def test_timeout_writes_order(current: Timeouts | None, target: Timeouts, order: list[str]) -> None:
    writes = agent.timeout_writes(current, target)
    assert [name for name, _ in writes] == order
    assert _kernel_apply(current or DEFAULT_TIMEOUTS, writes) == target


@settings(max_examples=100)
@given(timeout_values(), timeout_values())
def test_timeout_writes_always_pass_the_kernel_checks(current: Timeouts, target: Timeouts) -> None:
    assert _kernel_apply(current, agent.timeout_writes(current, target)) == target


# ---------------------------------------------------------------------------------------------------------------------
# The launcher, with the simulated o2cb and a fake crm_node on PATH


@pytest.fixture
def launcher_env(bed: Bed) -> Iterator[dict[str, str]]:
    crm_node = bed.bindir / "crm_node"
    crm_node.write_text('#!/bin/sh\n[ "$1" = -l ] || exit 64\ncat "$FAKE_MEMBERS"\n')
    crm_node.chmod(0o755)
    members = bed.root / "members"
    members.write_text(MEMBERS)
    yield {
        **bed.environ(),
        **bed.sim_env(),
        "PYTHONPATH": str(REPO / "lib"),
        "FAKE_MEMBERS": str(members),
        "OCF_ROOT": "/usr/lib/ocf",
    }


def launch(env: dict[str, str], *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    program = [str(LAUNCHER), *argv] if argv[0] in agent.AGENT.action_names else list(argv)
    return subprocess.run(program, env={**env, **extra}, capture_output=True, text=True, timeout=60, check=False)


def test_launcher_full_cycle(bed: Bed, launcher_env: dict[str, str]) -> None:
    bed.write_conf()
    env = launcher_env
    assert launch(env, "monitor", OCF_RESKEY_CRM_meta_interval="0").returncode == ExitCode.NOT_RUNNING
    assert launch(env, "validate-all").returncode == 0
    started = launch(env, "start", OCF_RESKEY_keepalive_delay_ms="3000")
    assert started.returncode == 0, started.stderr
    assert bed.fs.read("web/keepalive_delay_ms") == "3000"
    assert launch(env, "monitor", OCF_RESKEY_CRM_meta_interval="20000").returncode == 0
    status = launch(env, "o2cb", f"--config-file={bed.conf}", "cluster-status", "web")
    assert (status.returncode, status.stdout) == (0, "Cluster 'web' is online\n")
    mounted = launch(env, "o2cb", "sim-mount", DISK, "/srv/web")
    assert mounted.returncode == 0, mounted.stderr
    blocked = launch(env, "stop")
    assert blocked.returncode == ExitCode.ERR_GENERIC
    assert f"{REGION} on {DISK} still active" in reason(blocked.stderr)
    assert launch(env, "o2cb", "sim-umount", "/srv/web").returncode == 0
    for _ in range(2):
        stopped = launch(env, "stop")
        assert stopped.returncode == 0, stopped.stderr
    assert launch(env, "monitor").returncode == ExitCode.NOT_RUNNING


def test_launcher_refuses_a_membership_change(bed: Bed, launcher_env: dict[str, str]) -> None:
    bed.write_conf()
    Path(launcher_env["FAKE_MEMBERS"]).write_text(MEMBERS + "3 ha3 member\n")
    done = launch(launcher_env, "start")
    assert done.returncode == ExitCode.ERR_CONFIGURED
    assert reason(done.stderr).startswith("cluster.conf: lacks Pacemaker node ha3 (")
    assert bed.cluster() is None


def test_launcher_generates_with_fake_getent(bed: Bed, launcher_env: dict[str, str]) -> None:
    getent = bed.bindir / "getent"
    script = [
        "#!/bin/sh",
        'case "$2" in',
        '  ha1) echo "10.1.0.1        STREAM ha1";;',
        '  ha2) echo "10.1.0.2        STREAM ha2";;',
        "  *) exit 2;;",
        "esac",
    ]
    getent.write_text("\n".join(script) + "\n")
    getent.chmod(0o755)
    done = launch(launcher_env, "start", OCF_RESKEY_generate_conf="true")
    assert done.returncode == 0, done.stderr
    conf = parse_cluster_conf(bed.conf.read_text())
    assert [(n.name, n.number, n.ip_address) for n in conf.nodes_of("web")] == [
        ("ha1", 1, "10.1.0.1"),
        ("ha2", 2, "10.1.0.2"),
    ]
    registered = bed.cluster()
    assert (
        registered is not None
        and registered.local_node is not None
        and registered.local_node.ipv4_address == "10.1.0.1"
    )


# ---------------------------------------------------------------------------------------------------------------------
# Bad input (issue 13): cluster.conf that is not a readable file, timeouts past their bounds


def _unreadable_conf(bed: Bed, kind: str) -> None:
    bed.conf.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(bed.conf)  # read() of a FIFO with no writer blocked validate-all and start past the op timeout
    elif kind == "directory":
        bed.conf.mkdir()
    else:
        bed.conf.write_text("#" * (2 << 20))


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [("fifo", "a FIFO, not a regular file"), ("directory", "a directory, not a regular file"),
     ("huge", "larger than 1048576 bytes")],
)  # fmt: skip
@pytest.mark.parametrize("action", ["validate-all", "start"])
def test_a_conf_that_is_a_fifo_a_directory_or_huge_is_not_configured_at_once(
    bed: Bed, kind: str, fragment: str, action: str
) -> None:
    import time

    _unreadable_conf(bed, kind)
    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout=MEMBERS)
        began = time.monotonic()
        code, err = bed.run(action, runner)
    assert time.monotonic() - began < 5.0
    assert code == ExitCode.ERR_CONFIGURED
    text = reason(err)
    assert text.startswith(f"{bed.conf}: cannot read: ") and fragment in text and len(text.encode()) <= 128


@pytest.mark.parametrize("kind", ["fifo", "directory", "huge"])
def test_stop_with_the_stack_down_is_0_whatever_the_conf_is(bed: Bed, kind: str) -> None:
    _unreadable_conf(bed, kind)
    with ScriptedRunner() as runner:
        assert bed.run("stop", runner)[0] == ExitCode.SUCCESS


def test_stop_with_an_untrusted_state_directory_still_unregisters(bed: Bed) -> None:
    bed.write_conf()
    bed.registered(ScriptedRunner())
    state = bed.root / "run" / "O2cbCluster"
    state.mkdir(parents=True, exist_ok=True)
    os.chown(state, 65534, 65534)
    with ScriptedRunner() as runner:
        runner.expect(["o2cb", STOP_CONF_ARG, "unregister-cluster", "web"], respond=bed.sim)
        code, err = bed.run("stop", runner)
    assert code == ExitCode.SUCCESS, err
    assert bed.cluster() is None
    assert not (state / "web.stop.conf").exists()


@pytest.mark.parametrize(
    ("name", "high"),
    [("dead_threshold", 1000), ("idle_timeout_ms", 3_600_000), ("keepalive_delay_ms", 3_600_000),
     ("reconnect_delay_ms", 3_600_000)],
)  # fmt: skip
def test_timeouts_have_an_upper_bound_stated_in_the_meta_data(bed: Bed, name: str, high: int) -> None:
    for value in (str(high + 1), "4294967295", "9" * 5000):
        code, err = bed.run("validate-all", **{name: value})
        assert code == ExitCode.ERR_CONFIGURED, (name, value)
        assert f"0 to {high}" in reason(err), reason(err)
    (param,) = [p for p in agent.AGENT.parameters if p.name == name]
    assert f"to {high}" in param.longdesc


@pytest.mark.parametrize("timeout", ["1" + "0" * 309, "9" * 5000])
def test_stop_with_an_op_timeout_python_cannot_hold_still_unregisters(bed: Bed, timeout: str) -> None:
    """OCF_RESKEY_CRM_meta_timeout >= 10^309 broke stop in all four agents (clamped in ocf since session 2)."""
    bed.write_conf()
    bed.registered(ScriptedRunner())
    with ScriptedRunner() as runner:
        runner.expect(["o2cb", STOP_CONF_ARG, "unregister-cluster", "web"], respond=bed.sim)
        code, err = bed.run("stop", runner, OCF_RESKEY_CRM_meta_timeout=timeout)
    assert code == ExitCode.SUCCESS, err
    assert bed.cluster() is None
