# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""fence_noop: the stdin and command-line protocol, every action, the request log, the simulator hook, meta-data."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.agents.scripted import ScriptedRunner
from xenha.errors import ArgsError, NotInstalled, ParseError, ToolError
from xenha.fence.noop import (
    FENCE_ACTIONS,
    NOTHING_FENCED,
    OPTIONS,
    POWER_STATES,
    FenceAction,
    FenceExit,
    Host,
    Request,
    kill_netns,
    lab_netns,
    main,
    netns_pids,
    parse_argv,
    parse_power_state,
    parse_stdin,
    render_metadata,
    render_power_state,
    request_from,
)
from xenha.record import replace
from xenha.run import Deadline

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "packaging" / "scripts" / "fence_noop"
RECORD = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} fence_noop\[\d+\]: action=(?P<action>\S+) target=(?P<target>\S+) "
    r"result=success -- NOTHING WAS FENCED: .* dual-primary DRBD .* a real fence device is required$"
)


# --- stdin and command-line parsing ------------------------------------------------------------------------------


def test_stdin_protocol_is_tolerant_like_fencing_py():
    raw = parse_stdin(
        "# written by pacemaker-fenced\n"
        "\n"
        "action=off\n"
        "nodename=ha2\n"  # always sent, skipped silently
        "port=ha2\n"  # pacemaker's host argument, an alias of plug
        "pcmk_host_list=ha1 ha2\n"  # unknown: ignored with a warning
        'log-file="/tmp/x.log"\n'  # '-' and '_' alike, quotes dropped
        "  verbose = yes\n"
        "quiet=maybe\n"
        "separator\n"
    )
    assert raw.values == {"action": "off", "plug": "ha2", "log_file": "/tmp/x.log", "verbose": "1", "separator": ""}
    assert raw.warnings == (
        "Parse error: Ignoring unknown option 'pcmk_host_list=ha1 ha2'",
        "Parse error: Ignoring option 'quiet' because it does not have value",
    )


def test_stdin_flags_and_overrides():
    raw = parse_stdin("verbose=1\nquiet=off\nplug=a\nplug=b\nstate_dir=/s\n")
    assert raw.values == {"verbose": "1", "quiet": "0", "plug": "b", "state_dir": "/s"}
    assert raw.warnings == ()


@given(st.text(max_size=200))
@settings(max_examples=100)
def test_stdin_parser_never_raises(text):
    raw = parse_stdin(text)
    assert set(raw.values) <= {o.name for o in OPTIONS}


def test_command_line_uses_fence_agents_option_names():
    raw = parse_argv(["-o", "reboot", "-n", "ha1", "--hosts=ha1,ha2", "-C", ";", "--log-file", "/l", "-q", "extra"])
    assert raw.values == {
        "action": "reboot",
        "plug": "ha1",
        "hosts": "ha1,ha2",
        "separator": ";",
        "log_file": "/l",
        "quiet": "1",
    }
    assert raw.warnings == ("Unused arguments on command line: ['extra']",)
    assert parse_argv(["--action=status", "--plug=x"]).values == {"action": "status", "plug": "x"}


@pytest.mark.parametrize("args", [["--port=ha1"], ["-x"], ["--action"], ["-o"]])
def test_unknown_or_incomplete_command_line_options_are_usage_errors(args):
    with pytest.raises(ArgsError, match="Parse error"):
        parse_argv(args)


def test_request_from_validates():
    req = request_from({"action": "META-DATA", "hosts": "ha1, ha2 ha1,,ha3"})
    assert req.action is FenceAction.METADATA
    assert req.hosts == ("ha1", "ha2", "ha3")
    assert request_from({}).action is FenceAction.REBOOT  # the fence-agents default
    assert request_from({"plug": "HA1", "hosts": "ha1"}).accepts("ha1")
    assert not request_from({"hosts": "ha1"}).accepts("ha2")
    assert request_from({}).accepts("anything")


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"action": "enable"}, "Unrecognised action 'enable'"),
        ({"plug": "two words"}, "not a node name"),
        ({"hosts": "ok,bad'name"}, "hosts entry"),
        ({"separator": ""}, "separator"),
        ({"log_file": "relative.log"}, "not an absolute path"),
        ({"sim_world": "world"}, "not an absolute path"),
        ({"plug": "-a"}, "not a node name"),  # would reach `xenha-sim crash` as an option (fuzz #F1)
        ({"plug": "--help"}, "not a node name"),
        ({"hosts": "ha1,-x"}, "hosts entry"),
        ({"hosts": "web\udc80"}, "hosts entry"),  # an undecodable byte, echoed by list (fuzz #F2)
        ({"plug": "ha\x07"}, "not a node name"),
        ({"separator": "web\udc80"}, "not printable"),  # printed between list's fields (fuzz #F3)
    ],
)
def test_request_from_rejects(values, why):
    with pytest.raises(ArgsError, match=why):
        request_from(values)


# --- the power state file ----------------------------------------------------------------------------------------


@given(st.dictionaries(st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True), st.sampled_from(POWER_STATES)))
@settings(max_examples=50)
def test_power_state_round_trip(states):
    assert parse_power_state(render_power_state(states)) == states


@pytest.mark.parametrize("text", ["ha1 on\n", "ha1\tmaybe\n", "\ton\n", "ha1\ton\textra\n"])
def test_power_state_rejects(text):
    with pytest.raises(ParseError):
        parse_power_state(text)


# --- every action, in process -------------------------------------------------------------------------------------


class Agent:
    """Runs main() in process against a temporary log file and state directory."""

    def __init__(self, tmp_path: Path) -> None:
        self.log = tmp_path / "log" / "fence_noop.log"
        self.state = tmp_path / "state"
        self.environ = {"PATH": "/usr/bin:/bin", "HA_LOGFACILITY": "none"}
        self.stderr = ""
        self.host = Host(proc=str(tmp_path / "no-proc"), kill=_never_kill)  # a real kill must never happen here

    def stdin(self, text: str, runner: ScriptedRunner | None = None) -> tuple[int, str]:
        text += f"log_file={self.log}\nstate_dir={self.state}\n"
        return self._main(["/usr/sbin/fence_noop"], text, runner)

    def cli(self, *args: str, runner: ScriptedRunner | None = None) -> tuple[int, str]:
        argv = ["/usr/sbin/fence_noop", *args, f"--log-file={self.log}", f"--state-dir={self.state}"]
        return self._main(argv, "", runner)

    def _main(self, argv: list[str], text: str, runner: ScriptedRunner | None) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(argv, self.environ, stdin=io.StringIO(text), stdout=out, stderr=err, runner=runner, host=self.host)
        self.stderr = err.getvalue()
        return code, out.getvalue()

    def records(self) -> list[tuple[str, str]]:
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text().splitlines():
            m = RECORD.match(line)
            assert m, line
            found.append((m["action"], m["target"]))
        return found


def _never_kill(pid: int, sig: int) -> None:
    raise AssertionError(f"kill({pid}, {sig}) in a unit test")


@pytest.fixture
def agent(tmp_path):
    return Agent(tmp_path)


def test_off_then_status_reports_off_until_on(agent):
    assert agent.stdin("action=status\nport=ha2\nnodename=ha2\n") == (0, "Status: ON\n")
    assert agent.stdin("action=off\nport=ha2\nnodename=ha2\n") == (0, "Success: Powered OFF\n")
    assert agent.stdin("action=status\nport=ha2\n") == (FenceExit.OFF, "Status: OFF\n")
    assert agent.cli("-o", "status", "-n", "HA2") == (2, "Status: OFF\n")  # node names compare without case
    assert agent.cli("-o", "status", "-n", "ha1") == (0, "Status: ON\n")
    assert agent.cli("-o", "on", "-n", "ha2") == (0, "Success: Powered ON\n")
    assert agent.cli("-o", "status", "-n", "ha2") == (0, "Status: ON\n")
    assert agent.records() == [("off", "ha2"), ("on", "ha2")]


def test_reboot_records_and_leaves_the_node_on(agent):
    agent.cli("-o", "off", "-n", "ha1")
    assert agent.stdin("action=reboot\nplug=ha1\n") == (0, "Success: Rebooted\n")
    assert agent.cli("-o", "status", "-n", "ha1") == (0, "Status: ON\n")
    assert agent.records() == [("off", "ha1"), ("reboot", "ha1")]


def test_off_of_a_node_already_off_is_recorded_again(agent):
    agent.cli("-o", "off", "-n", "ha1")
    assert agent.cli("-o", "off", "-n", "ha1") == (0, "Success: Powered OFF\n")
    assert agent.records() == [("off", "ha1"), ("off", "ha1")]


def test_every_log_line_says_nothing_was_fenced(agent):
    agent.stdin("action=reboot\nport=ha2\n")
    (line,) = agent.log.read_text().splitlines()
    assert NOTHING_FENCED in line
    assert NOTHING_FENCED in agent.stderr  # the same line goes to stderr (pacemaker-fenced logs it) and syslog


def test_default_action_is_reboot(agent):
    assert agent.stdin("port=ha1\n") == (0, "Success: Rebooted\n")


def test_monitor_list_and_list_status(agent):
    assert agent.cli("-o", "monitor") == (0, "")
    assert agent.stdin("action=list\nhosts=ha1,ha2\n") == (0, "ha1,ha1\nha2,ha2\n")
    agent.cli("-o", "off", "-n", "ha2")
    assert agent.cli("-o", "list-status", "--hosts", "ha1 ha2", "-C", ";") == (0, "ha1;ha1;ON\nha2;ha2;OFF\n")
    assert agent.cli("-o", "list") == (0, "")
    assert "hosts parameter is empty" in agent.stderr
    assert agent.records() == [("off", "ha2")]


def test_list_status_with_a_tab_separator(agent):
    assert agent.stdin("action=list-status\nhosts=ha1\nseparator=\t\n") == (1, "")  # stdin strips blanks: empty
    assert agent.cli("-o", "list-status", "--hosts=ha1", "-C", "\t") == (0, "ha1\tha1\tON\n")


def test_validate_all(agent):
    assert agent.stdin("action=validate-all\nhosts=ha1\nport=ha1\n") == (0, "")
    assert agent._main(["fence_noop", "-o", "validate-all", "--log-file=rel"], "", None) == (1, "")
    assert "not an absolute path" in agent.stderr
    assert agent.stdin("action=validate-all\nhosts=ha1,bad'name\n") == (1, "")
    assert agent.records() == []


def test_validate_all_accepts_pacemakers_placeholder_target_with_hosts_set(agent):
    # stonith_admin --validate (and pcs --agent-validation) pass a made-up target: stonith__validate's "node1"
    pacemaker = "action=validate-all\nnodename=node1\nport=node1\nhosts=ha1,ha2\n"
    assert agent.stdin(pacemaker) == (0, "")
    assert agent.stderr == ""
    assert agent.stdin("action=off\nport=node1\nhosts=ha1,ha2\n") == (1, "")  # fencing it is still refused


def test_hosts_limit_which_nodes_it_answers_for(agent):
    assert agent.stdin("action=off\nport=ha3\nhosts=ha1,ha2\n") == (1, "")
    assert "ha3 is not one of this device's hosts" in agent.stderr
    assert agent.stdin("action=status\nport=ha3\nhosts=ha1,ha2\n") == (1, "")  # status 1: this device cannot fence it
    assert agent.records() == []


@pytest.mark.parametrize("action", ["on", "off", "reboot", "status"])
def test_actions_on_a_node_need_a_plug(agent, action):
    assert agent.cli("-o", action) == (1, "")
    assert "You have to enter plug number" in agent.stderr


def test_bad_input_exits_1_with_usage_hint(agent):
    assert agent.cli("-o", "fry", "-n", "ha1") == (1, "")
    assert "Unrecognised action 'fry'" in agent.stderr and "-h" in agent.stderr


def test_unknown_stdin_keys_warn_on_stderr_unless_quiet(agent):
    agent.stdin("action=monitor\nfoo=1\n")
    assert "Ignoring unknown option 'foo=1'" in agent.stderr
    agent.stdin("action=monitor\nfoo=1\nquiet=1\n")
    assert agent.stderr == ""


def test_help_version_metadata_and_manpage(agent):
    code, text = agent.cli("-h")
    assert code == 0 and "--plug=[id]" in text and NOTHING_FENCED in text
    code, text = agent.cli("-V")
    assert code == 0 and re.fullmatch(r"\d+\.\d+\.\d+\n", text)
    for argv in (["-o", "metadata"], ["-o", "manpage"], ["--action=meta-data"]):
        assert agent.cli(*argv) == (0, render_metadata())
    assert agent.stdin("action=metadata\n") == (0, render_metadata())


def test_an_unwritable_log_file_does_not_fail_fencing(agent, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    agent.log = blocker / "sub" / "fence.log"  # a directory that cannot exist
    assert agent.cli("-o", "off", "-n", "ha1") == (0, "Success: Powered OFF\n")
    assert "cannot write" in agent.stderr


def _within(fn, seconds: float = 10.0):
    import threading

    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"blocked for {seconds}s"
    return result[0]


def test_a_fifo_as_log_file_is_refused_at_once_and_fencing_still_succeeds(agent, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    agent.log = fifo
    assert _within(lambda: agent.cli("-o", "off", "-n", "ha1")) == (0, "Success: Powered OFF\n")
    assert f"cannot write {fifo}: not a regular file (a FIFO without a reader)" in agent.stderr
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader there: opened, then refused, nothing written
    try:
        assert _within(lambda: agent.cli("-o", "reboot", "-n", "ha1")) == (0, "Success: Rebooted\n")
        assert f"cannot write {fifo}: not a regular file (the request" in agent.stderr  # not "without a reader"
        assert os.read(reader, 4096) == b""  # nothing was written into it
    finally:
        os.close(reader)
    assert len([line for line in agent.stderr.splitlines() if "cannot write" in line]) == 1


def test_a_symlink_as_log_file_is_not_followed(agent, tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("")
    agent.log.parent.mkdir()
    agent.log.symlink_to(target)
    assert agent.cli("-o", "off", "-n", "ha1") == (0, "Success: Powered OFF\n")
    assert "a symbolic link" in agent.stderr
    assert target.read_text() == ""


def test_version_like_fence_agents(agent):
    from xenha import __version__

    for argv in (["-V"], ["--version"], ["-o", "status", "--version"]):
        assert agent.cli(*argv) == (0, f"{__version__}\n")


def test_a_plug_like_an_option_never_reaches_the_simulator(agent):
    with ScriptedRunner() as runner:  # nothing expected: any command fails the test
        for key in ("plug", "port"):
            assert agent.stdin(f"action=off\n{key}=-a\nsim_world=/tmp/w\n", runner) == (1, "")
            assert "not a node name" in agent.stderr
    assert runner.commands == []
    assert agent.records() == []


def test_list_with_an_undecodable_host_name_exits_1_without_a_traceback(tmp_path):
    for action in ("list", "list-status"):
        env = {"PATH": "/usr/sbin:/usr/bin:/bin", "XENHA_RUN_DIR": str(tmp_path / "run"), "LC_ALL": "C.UTF-8"}
        done = subprocess.run(
            [str(LAUNCHER)], input=f"action={action}\nhosts=web\x80\n".encode("latin-1"), env=env,
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        assert (done.returncode, done.stdout) == (1, b""), done.stderr
        assert b"Traceback" not in done.stderr and b"hosts entry" in done.stderr


def test_a_corrupt_state_file_is_replaced(agent):
    agent.state.mkdir(mode=0o700)
    (agent.state / "power-state").write_text("garbage\n")
    assert agent.cli("-o", "status", "-n", "ha1") == (0, "Status: ON\n")
    assert "not a plug<TAB>on|off line" in agent.stderr
    agent.cli("-o", "off", "-n", "ha1")
    assert (agent.state / "power-state").read_text() == "ha1\toff\n"


# --- the simulator hook --------------------------------------------------------------------------------------------


def test_off_and_reboot_crash_the_node_in_the_simulated_world(agent):
    with ScriptedRunner() as runner:
        runner.expect(["xenha-sim", "crash", "ha2"]).expect(["xenha-sim", "crash", "ha1"])
        assert agent.stdin("action=off\nport=ha2\nsim_world=/var/lib/w\n", runner)[0] == 0
        assert agent.cli("-o", "reboot", "-n", "ha1", "--sim-world=/var/lib/w", runner=runner)[0] == 0
        assert agent.cli("-o", "on", "-n", "ha1", "--sim-world=/var/lib/w", runner=runner)[0] == 0  # no command
    assert all(r.remaining <= 20 for r in runner.ran)


def test_without_sim_world_no_command_runs(agent):
    with ScriptedRunner() as runner:
        assert agent.cli("-o", "off", "-n", "ha1", runner=runner)[0] == 0
    assert runner.commands == []


@pytest.mark.parametrize(
    ("expectation", "warning"),
    [
        ({"raises": NotInstalled("xenha-sim: not installed")}, "xenha-sim is not installed"),
        ({"rc": 3, "stderr": "no world\n"}, "xenha-sim crash ha1: xenha-sim exited 3: no world"),
    ],
)
def test_a_missing_or_failing_simulator_only_warns(agent, expectation, warning):
    with ScriptedRunner() as runner:
        runner.expect(["xenha-sim", "crash", "ha1"], **expectation)
        assert agent.cli("-o", "off", "-n", "ha1", "--sim-world=/w", runner=runner) == (0, "Success: Powered OFF\n")
    assert warning in agent.stderr
    assert agent.records() == [("off", "ha1")]


def test_the_real_runner_passes_the_world_to_xenha_sim(agent, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    seen = tmp_path / "seen"
    sim = bindir / "xenha-sim"
    sim.write_text(f'#!/bin/sh\necho "$XENHA_SIM_WORLD $*" > {seen}\n')
    sim.chmod(0o755)
    agent.environ["PATH"] = f"{bindir}:/usr/bin:/bin"
    assert agent.cli("-o", "off", "-n", "ha2", "--sim-world=/tmp/world")[0] == 0
    assert seen.read_text() == "/tmp/world crash ha2\n"


# --- a lab node powered off: every process of its network namespace, found through a fake /proc ------------------

HOST_NS, VICTIM_NS, OTHER_NS = "net:[4026531840]", "net:[4026532201]", "net:[4026532305]"


class FakeProc:
    """A /proc of `PID/ns/net` links; kill() makes a process a zombie (its link goes), optionally late or forking."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.signals: list[tuple[int, int]] = []
        self.forks: dict[int, int] = {}  # pid -> child it forks in the same namespace as it is killed
        self.stubborn: dict[int, int] = {}  # pid -> how many SIGKILLs it takes before it is gone
        (root / "self").mkdir(parents=True)
        (root / "net").mkdir()  # not a pid: skipped
        self.add(1, HOST_NS)

    def add(self, pid: int, netns: str | None) -> None:
        ns = self.root / str(pid) / "ns"
        ns.mkdir(parents=True)
        if netns is not None:  # None: a zombie or kernel thread without a readable link
            (ns / "net").symlink_to(netns)

    def netns(self, pid: int) -> str | None:
        link = self.root / str(pid) / "ns" / "net"
        return os.readlink(link) if link.is_symlink() else None

    def kill(self, pid: int, sig: int) -> None:
        self.signals.append((pid, sig))
        link = self.root / str(pid) / "ns" / "net"
        if not link.is_symlink():
            raise ProcessLookupError(pid)
        if self.stubborn.get(pid, 1) > 1:
            self.stubborn[pid] -= 1
            return
        child = self.forks.pop(pid, None)
        if child is not None:
            self.add(child, os.readlink(link))
        link.unlink()

    def host(self, pid: int = 4242) -> Host:
        return Host(proc=str(self.root), kill=self.kill, pid=pid)


@pytest.fixture
def proc(tmp_path):
    return FakeProc(tmp_path / "proc")


def test_netns_pids_lists_the_processes_of_one_namespace(proc):
    for pid, ns in ((200, VICTIM_NS), (31, VICTIM_NS), (32, OTHER_NS), (33, None), (4242, VICTIM_NS)):
        proc.add(pid, ns)
    assert netns_pids(VICTIM_NS, proc=str(proc.root)) == [31, 200, 4242]
    assert netns_pids("net:[1]", proc=str(proc.root)) == []


def test_kill_netns_kills_every_process_and_a_child_forked_meanwhile(proc):
    for pid, ns in ((30, VICTIM_NS), (31, VICTIM_NS), (40, OTHER_NS)):
        proc.add(pid, ns)
    proc.forks[31] = 77  # pacemaker-execd forks an agent between our scan and our kill
    assert kill_netns(VICTIM_NS, proc.host(), Deadline(5)) == 3
    assert proc.signals == [(30, 9), (31, 9), (77, 9)]
    assert netns_pids(VICTIM_NS, proc=str(proc.root)) == []
    assert proc.netns(40) == OTHER_NS and proc.netns(1) == HOST_NS


def test_kill_netns_spares_itself_when_a_node_fences_itself(proc):
    proc.add(30, VICTIM_NS)
    proc.add(4242, VICTIM_NS)
    assert kill_netns(VICTIM_NS, proc.host(pid=4242), Deadline(5)) == 1
    assert proc.signals == [(30, 9)]


def test_kill_netns_waits_for_the_killed_to_die(proc):
    proc.add(30, VICTIM_NS)
    proc.stubborn[30] = 3  # still has its namespace link after the first two SIGKILLs
    pauses: list[float] = []
    assert kill_netns(VICTIM_NS, proc.host(), Deadline(5), pause=pauses.append) == 1
    assert proc.signals == [(30, 9)] * 3
    assert pauses == [0.01, 0.01]  # after each round that found only the already killed


def test_kill_netns_fails_when_processes_outlive_the_deadline(proc):
    proc.add(30, VICTIM_NS)
    proc.stubborn[30] = 1000
    now = [0.0]
    deadline = Deadline(1, clock=lambda: now[0])

    def pause(seconds: float) -> None:
        now[0] += 0.4

    with pytest.raises(ToolError, match=r"1 processes of net:\[4026532201\] still alive after SIGKILL: \[30\]"):
        kill_netns(VICTIM_NS, proc.host(), deadline, pause=pause)


def test_kill_netns_refuses_the_host_namespace(proc):
    proc.add(30, HOST_NS)
    with pytest.raises(ToolError, match="host's network namespace"):
        kill_netns(HOST_NS, proc.host(), Deadline(5))
    assert proc.signals == []


def _world(path: Path, nodes: dict[str, object]) -> str:
    path.mkdir(parents=True, exist_ok=True)
    (path / "state.json").write_text(json.dumps({"version": 1, "nodes": nodes, "links": {}}))
    return str(path)


def test_lab_netns_reads_the_world(tmp_path):
    world = _world(tmp_path / "w", {"ha1": {"alive": True}, "ha2": {"alive": True, "lab_netns": VICTIM_NS}})
    assert lab_netns(world, "ha2") == VICTIM_NS
    assert lab_netns(world, "HA2") == VICTIM_NS  # pacemaker's node name may differ in case
    assert lab_netns(world, "ha1") is None  # a plain simulator node: no namespace
    assert lab_netns(world, "ha9") is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "not JSON"),
        ('{"nodes": []}', "no nodes object"),
        ('{"nodes": {"ha2": {"lab_netns": "mnt:[5]"}}}', "lab_netns is not net:"),
        ('{"nodes": {"ha2": {"lab_netns": 17}}}', "lab_netns is not net:"),
    ],
)
def test_lab_netns_rejects_what_is_not_a_world(tmp_path, text, why):
    (tmp_path / "state.json").write_text(text)
    with pytest.raises(ParseError, match=why):
        lab_netns(str(tmp_path), "ha2")


def test_lab_netns_without_a_world_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        lab_netns(str(tmp_path / "none"), "ha2")


@pytest.mark.parametrize("action", ["off", "reboot"])
def test_off_and_reboot_power_a_lab_node_off_before_the_world_crash(agent, proc, tmp_path, action):
    world = _world(tmp_path / "world", {"ha1": {"lab_netns": OTHER_NS}, "ha2": {"lab_netns": VICTIM_NS}})
    for pid, ns in ((30, VICTIM_NS), (31, VICTIM_NS), (40, OTHER_NS)):
        proc.add(pid, ns)
    agent.host = proc.host()

    def crashed_after_the_kill() -> None:  # the world's crash comes once nothing of the node can act any more
        assert netns_pids(VICTIM_NS, proc=str(proc.root)) == []
        assert agent.records() == []  # the record (result=success) follows the power-off

    with ScriptedRunner() as runner:
        runner.expect(["xenha-sim", "crash", "ha2"], effect=crashed_after_the_kill)
        code, _out = agent.stdin(f"action={action}\nport=ha2\nsim_world={world}\n", runner)
    assert code == 0
    assert sorted(proc.signals) == [(30, 9), (31, 9)]
    assert proc.netns(40) == OTHER_NS
    assert re.search(r"ha2: lab node powered off: 2 processes of net:\[4026532201\] killed in \d", agent.stderr)
    assert agent.records() == [(action, "ha2")]


def test_a_lab_node_that_will_not_die_fails_the_request(agent, proc, tmp_path):
    world = _world(tmp_path / "world", {"ha2": {"lab_netns": VICTIM_NS}})
    proc.add(30, VICTIM_NS)
    proc.stubborn[30] = 1000
    agent.host = replace(proc.host(), kill_timeout=0.0)
    with ScriptedRunner() as runner:  # neither crashed in the world nor recorded: pacemaker retries the fence
        assert agent.cli("-o", "off", "-n", "ha2", f"--sim-world={world}", runner=runner) == (FenceExit.FAILED, "")
    assert "still alive after SIGKILL" in agent.stderr
    assert agent.records() == []


def test_a_simulator_node_without_a_namespace_is_only_crashed(agent, proc, tmp_path):
    world = _world(tmp_path / "world", {"ha2": {"alive": True}})
    proc.add(30, VICTIM_NS)
    agent.host = proc.host()
    with ScriptedRunner() as runner:
        runner.expect(["xenha-sim", "crash", "ha2"])
        assert agent.cli("-o", "off", "-n", "ha2", f"--sim-world={world}", runner=runner)[0] == 0
    assert proc.signals == []


def test_without_sim_world_nothing_is_killed(agent, proc):
    proc.add(30, VICTIM_NS)
    agent.host = proc.host()
    with ScriptedRunner() as runner:
        assert agent.cli("-o", "off", "-n", "ha2", runner=runner)[0] == 0
        assert agent.cli("-o", "reboot", "-n", "ha2", runner=runner)[0] == 0
    assert proc.signals == []
    assert runner.commands == []


# --- the launcher, as pacemaker-fenced runs it --------------------------------------------------------------------


def _launch(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "XENHA_RUN_DIR": str(tmp_path / "run")}
    argv = [str(LAUNCHER), *args]
    return subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True, timeout=30, check=False)


def test_launcher_speaks_the_stdin_protocol(tmp_path):
    log = tmp_path / "f.log"
    done = _launch([], f"action=off\nport=ha2\nnodename=ha2\nlog_file={log}\n", tmp_path)
    assert (done.returncode, done.stdout) == (0, "Success: Powered OFF\n")
    status = _launch([], f"action=status\nport=ha2\nlog_file={log}\n", tmp_path)
    assert (status.returncode, status.stdout) == (2, "Status: OFF\n")
    assert (tmp_path / "run" / "fence_noop" / "power-state").read_text() == "ha2\toff\n"
    assert RECORD.match(log.read_text().splitlines()[0])


def test_launcher_speaks_the_command_line(tmp_path):
    done = _launch(["-o", "list", "--hosts=ha1,ha2"], "", tmp_path)
    assert (done.returncode, done.stdout) == (0, "ha1,ha1\nha2,ha2\n")
    assert _launch(["-o", "metadata"], "", tmp_path).stdout == render_metadata()


# --- meta-data -----------------------------------------------------------------------------------------------------


def test_metadata_has_the_fence_agents_structure():
    """The layout of fence-agents' lib/metadata.rng, checked element by element with lxml."""
    from lxml import etree

    root = etree.fromstring(render_metadata().encode())
    assert root.tag == "resource-agent" and root.get("name") == "fence_noop" and root.get("shortdesc")
    assert [child.tag for child in root] == ["longdesc", "vendor-url", "parameters", "actions"]
    longdesc = root.findtext("longdesc")
    assert "fences nothing" in longdesc and "dual-primary DRBD" in longdesc and "real fence device" in longdesc
    assert "SIGKILL" in longdesc and "reboot powers off too" in longdesc and "xenha-lab start NODE" in longdesc
    names = []
    for param in root.find("parameters"):
        assert param.tag == "parameter"
        assert set(param.attrib) <= {"name", "unique", "required", "deprecated", "obsoletes"}
        assert param.get("unique") in ("0", "1") and param.get("required") in ("0", "1")
        assert [c.tag for c in param] == ["getopt", "content", "shortdesc"]
        assert re.fullmatch(r"(-\w, )?--[a-z-]+(=\[\w+\])?", param.find("getopt").get("mixed"))
        assert param.find("content").get("type") in ("boolean", "string", "second", "integer")
        assert param.find("shortdesc").get("lang") == "en" and param.findtext("shortdesc")
        names.append(param.get("name"))
    assert names[:3] == ["action", "port", "plug"]
    assert {"hosts", "separator", "log_file", "state_dir", "sim_world", "verbose", "quiet"} <= set(names)
    port, plug = root.find("parameters/parameter[@name='port']"), root.find("parameters/parameter[@name='plug']")
    assert port.get("deprecated") == "1" and plug.get("obsoletes") == "port"
    assert root.find("parameters/parameter[@name='log_file']/content").get("default") == "/var/log/xenha/fence_noop.log"
    actions = root.find("actions")
    assert [a.get("name") for a in actions] == list(FENCE_ACTIONS)
    assert all(set(a.attrib) <= {"name", "on_target", "automatic"} for a in actions)
    assert actions.find("action[@name='on']").get("automatic") == "0"


def test_stonith_admin_reads_our_metadata():
    installed = Path("/usr/sbin/fence_noop")
    if not installed.is_file() or "xenha.fence.noop" not in installed.read_text(errors="replace"):
        pytest.skip("/usr/sbin/fence_noop is not xenha's (run `make install` as root; stonith_admin only looks there)")
    done = subprocess.run(
        ["stonith_admin", "--metadata", "-a", "fence_noop"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "NOTHING WAS FENCED" in done.stdout
    assert re.search(r'<parameter name="plug"[^>]*required="0"', done.stdout)  # pacemaker fudges plug/port optional
    assert '<action name="stop"' in done.stdout and '<action name="start"' in done.stdout  # added by pacemaker


def test_stonith_admin_validates_with_hosts_set():
    """`stonith_admin --validate -a fence_noop -o hosts=ha1,ha2` exits 0, as it does for fence_dummy."""
    installed = Path("/usr/sbin/fence_noop")
    if not installed.is_file() or "xenha.fence.noop" not in installed.read_text(errors="replace"):
        pytest.skip("/usr/sbin/fence_noop is not xenha's (run `make install` as root; stonith_admin only looks there)")
    argv = ["stonith_admin", "--validate", "-a", "fence_noop", "-o", "hosts=ha1,ha2", "-o", "log_file=/dev/null"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_request_defaults():
    assert Request(FenceAction.OFF).log_file == "/var/log/xenha/fence_noop.log"
    assert os.path.isabs(Request(FenceAction.OFF).log_file)
