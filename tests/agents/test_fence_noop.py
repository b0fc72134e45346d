"""fence_noop: the stdin and command-line protocol, every action, the request log, the simulator hook, meta-data."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.agents.scripted import ScriptedRunner
from xenha.agents.fence_noop import (
    NOTHING_FENCED,
    OPTIONS,
    FenceAction,
    FenceExit,
    PowerState,
    Request,
    main,
    parse_argv,
    parse_power_state,
    parse_stdin,
    render_metadata,
    render_power_state,
    request_from,
)
from xenha.errors import ArgsError, NotInstalled, ParseError

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
    ],
)
def test_request_from_rejects(values, why):
    with pytest.raises(ArgsError, match=why):
        request_from(values)


# --- the power state file ----------------------------------------------------------------------------------------


@given(st.dictionaries(st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True), st.sampled_from(PowerState)))
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

    def stdin(self, text: str, runner: ScriptedRunner | None = None) -> tuple[int, str]:
        text += f"log_file={self.log}\nstate_dir={self.state}\n"
        return self._main(["/usr/sbin/fence_noop"], text, runner)

    def cli(self, *args: str, runner: ScriptedRunner | None = None) -> tuple[int, str]:
        argv = ["/usr/sbin/fence_noop", *args, f"--log-file={self.log}", f"--state-dir={self.state}"]
        return self._main(argv, "", runner)

    def _main(self, argv: list[str], text: str, runner: ScriptedRunner | None) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(argv, self.environ, stdin=io.StringIO(text), stdout=out, stderr=err, runner=runner)
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


def test_validate_all(agent):
    assert agent.stdin("action=validate-all\nhosts=ha1\nport=ha1\n") == (0, "")
    assert agent.stdin("action=validate-all\nhosts=ha1\nport=ha3\n") == (1, "")
    assert agent._main(["fence_noop", "-o", "validate-all", "--log-file=rel"], "", None) == (1, "")
    assert "not an absolute path" in agent.stderr


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


# --- the launcher, as pacemaker-fenced runs it --------------------------------------------------------------------


def _launch(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "PYTHONPATH": str(REPO / "lib"), "XENHA_RUN_DIR": str(tmp_path / "run")}
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
    assert [a.get("name") for a in actions] == [a.value for a in FenceAction]
    assert all(set(a.attrib) <= {"name", "on_target", "automatic"} for a in actions)
    assert actions.find("action[@name='on']").get("automatic") == "0"


def test_stonith_admin_reads_our_metadata():
    installed = Path("/usr/sbin/fence_noop")
    if not installed.is_file() or "xenha.agents.fence_noop" not in installed.read_text(errors="replace"):
        pytest.skip("/usr/sbin/fence_noop is not xenha's (run `make install` as root; stonith_admin only looks there)")
    done = subprocess.run(
        ["stonith_admin", "--metadata", "-a", "fence_noop"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "NOTHING WAS FENCED" in done.stdout
    assert re.search(r'<parameter name="plug"[^>]*required="0"', done.stdout)  # pacemaker fudges plug/port optional
    assert '<action name="stop"' in done.stdout and '<action name="start"' in done.stdout  # added by pacemaker


def test_request_defaults():
    assert Request(FenceAction.OFF).log_file == "/var/log/xenha/fence_noop.log"
    assert os.path.isabs(Request(FenceAction.OFF).log_file)
