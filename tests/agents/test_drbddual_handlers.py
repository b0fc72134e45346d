# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DrbdDualPrimary's handlers against a scripted runner: every command in order, the exit code and the exit reason.

Each test writes the /proc/drbd text the agent reads (XENHA_PROC_DRBD), queues the exact drbdadm, drbdsetup and
crm_attribute calls with their output, and runs the action through `drbddual.main(argv, environ, runner=...)` as the
launcher does, in a private XENHA_RUN_DIR. A command's `effect` rewrites /proc/drbd the way the real command
changes the kernel's state; `meanwhile` does it between two polls of a wait. Nothing else is simulated: an
unexpected command, a command never run or a state change never reached fails the test.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.agents.scripted import ScriptedRunner
from tests.fixtures import FIXTURES
from xenha import paths, run
from xenha.agents import drbddual
from xenha.run import Deadline, Result

RES = "r0"
CRM = ("crm_attribute", "--promotion", "--lifetime", "reboot")
STATE = "DrbdDualPrimary"  # the state directory under XENHA_RUN_DIR
SPLIT_BRAIN = "drbd r0: split-brain; resolve: drbdadm connect --discard-my-data"

# Clone meta attributes as pacemaker passes them to every action of a promotable clone.
SINGLE = {"clone_max": "2", "clone_node_max": "1", "promoted_max": "1", "notify": "true"}
DUAL = {**SINGLE, "promoted_max": "2"}


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# /proc/drbd of DRBD 8.4 with minor 0; the connected states come from the shared fixtures.
SECONDARY = _fixture("reconstructed/proc_drbd/84_connected_secondary_secondary.txt")
PRIMARY = _fixture("reconstructed/proc_drbd/84_connected_primary_secondary.txt")
PEER_PRIMARY = _fixture("reconstructed/proc_drbd/84_connected_secondary_primary.txt")
SYNCSOURCE_PRIMARY = _fixture("reconstructed/proc_drbd/84_syncsource_progress_K.txt")
HEADER = "".join(SECONDARY.splitlines(keepends=True)[:2])
STOPPED = HEADER + " 0: cs:Unconfigured\n"
# DRBD 9's /proc/drbd has no devices; the state comes from `drbdsetup status --json`.
DRBD9 = "version: 9.2.8 (api:2/proto:86-122)\nGIT-hash: 4a1ffc3a7ab8fa3e1b0e6b4a8c7f5fa33d4da2f0\n"
DRBD9 += "Transports (api:21): tcp (9.2.8)\n"


def proc84(cs: str, ro: str, ds: str) -> str:
    """One minor in drbd-8.4.11 drbd_proc.c's format; StandAlone prints a blank protocol (no net_conf)."""
    proto = " " if cs == "StandAlone" else "C"
    return (
        f"{HEADER} 0: cs:{cs} ro:{ro} ds:{ds} {proto} r-----\n"
        "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
    )


ATTACHING = proc84("WFConnection", "Secondary/Unknown", "Attaching/DUnknown")
WAITING = proc84("WFConnection", "Secondary/Unknown", "UpToDate/DUnknown")
WAITING_PRIMARY = proc84("WFConnection", "Primary/Unknown", "UpToDate/DUnknown")
STANDALONE = proc84("StandAlone", "Secondary/Unknown", "UpToDate/DUnknown")
STANDALONE_PRIMARY = proc84("StandAlone", "Primary/Unknown", "UpToDate/DUnknown")
BOTH_PRIMARY = proc84("Connected", "Primary/Primary", "UpToDate/UpToDate")

# `drbdadm -d -v dump r0` of drbd-utils 9.22 for an 8.4 kernel (DRBD_DRIVER_VERSION_OVERRIDE=8.4.11), the
# hosts renamed ha1/ha2; the agent only looks for the allow-two-primaries line.
DUMP = """\
# resource r0 on ha1: not ignored, not stacked
# defined at /etc/drbd.conf:3
resource r0 {
    on ha1 {
        device           /dev/drbd0 minor 0;
        disk             /dev/vg/r0;
        meta-disk        internal;
        address          ipv4 10.0.0.1:7788;
    }
    on ha2 {
        device           /dev/drbd0 minor 0;
        disk             /dev/vg/r0;
        meta-disk        internal;
        address          ipv4 10.0.0.2:7788;
    }
    net {
        protocol           C;
%s        after-sb-0pri    discard-zero-changes;
    }
}

"""
DUMP_TWO_PRIMARIES = DUMP % "        allow-two-primaries yes;\n"
DUMP_ONE_PRIMARY = DUMP % ""

# drbdadm 9.22 reading a drbd.conf with a typo (`dsik`), as it prints it for every command.
BAD_CONF = (
    "/etc/drbd.conf:3: Parse error: 'protocol | on | disk | net | syncer | startup | handlers | ignore-on | "
    "stacked-on-top-of' expected,\n\tbut got 'dsik' (TK 282)\n"
)
IN_USE = "0: State change failed: (-12) Device is held open by someone\n"
IN_USE += "Command 'drbdsetup-84 secondary 0' terminated with exit code 11\n"


class Script(ScriptedRunner):
    """The shared ScriptedRunner, remembering its first mismatch: the agent turns every exception into an exit code."""

    def __init__(self) -> None:
        super().__init__()
        self.mismatch: str | None = None

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result:
        try:
            return super().__call__(argv, deadline, input=input)
        except AssertionError as exc:
            self.mismatch = self.mismatch or str(exc)
            raise


@dataclass
class Outcome:
    code: int
    stderr: str
    elapsed: float

    @property
    def reason(self) -> str | None:
        """The one exit reason (at most 128 bytes, pacemaker's limit, last on stderr), or None when there is none."""
        lines = [line for line in self.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
        assert len(lines) <= 1, self.stderr
        if not lines:
            return None
        assert self.stderr.splitlines()[-1] == lines[0], f"the exit reason is not the last line: {self.stderr}"
        reason = lines[0].removeprefix("ocf-exit-reason:")
        assert len(reason.encode()) <= 128, reason
        return reason

    @property
    def result(self) -> tuple[int, str | None]:
        return self.code, self.reason


class Node:
    """One node's /proc/drbd, run directory and scripted commands; calling it runs one action."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.proc_file = tmp_path / "proc_drbd"
        self.run_dir = tmp_path / "run"
        self.state_dir = self.run_dir / STATE
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.conf = tmp_path / "drbd.conf"
        self.conf.write_text("resource r0 { }\n")  # never read: drbdadm is scripted
        self.script = Script()
        self.pending: list[str] = []
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        # Only PATH finds tools (validate-all looks for drbdadm), whatever this machine has installed in /usr/sbin.
        monkeypatch.setattr(paths, "SBIN_DIRS", ())
        # The waits of start poll /proc/drbd: each pause lets the kernel move on (see meanwhile), without sleeping.
        monkeypatch.setattr(drbddual, "poll_until", functools.partial(run.poll_until, sleep=self._sleep))

    # -- the state the agent finds --

    def proc(self, text: str) -> None:
        self.proc_file.write_text(text)

    def becomes(self, text: str) -> Callable[[], None]:
        """An effect: the command changes /proc/drbd to `text`."""
        return functools.partial(self.proc, text)

    def meanwhile(self, *texts: str) -> None:
        """/proc/drbd changes to each of `texts` in turn, one per pause of a wait (the kernel moving on by itself)."""
        self.pending.extend(texts)

    def _sleep(self, seconds: float) -> None:
        if self.pending:
            self.proc(self.pending.pop(0))
        else:
            time.sleep(seconds)

    def remember(self, name: str, value: str) -> None:
        """A state file as an earlier action left it (minors.r0, connected.r0, score.drbd_r0, split-brain.r0)."""
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.state_dir / name).write_text(value)

    def state(self, name: str) -> str | None:
        path = self.state_dir / name
        return path.read_text() if path.exists() else None

    def running(self, text: str, *, score: str | None = "10000") -> None:
        """A resource started earlier: /proc/drbd shows `text`, the minors and the connection are remembered, and
        `score` was the last promotion score written ("" for removed, None for never written)."""
        self.proc(text)
        self.remember(f"minors.{RES}", "0")
        self.remember(f"connected.{RES}", "1")
        if score is not None:
            self.remember("score.drbd_r0", score)

    # -- the commands it runs --

    def then(
        self, *argv: str, rc: int = 0, stdout: str = "", stderr: str = "", effect: Callable[[], None] | None = None
    ) -> None:
        self.script.expect(list(argv), rc=rc, stdout=stdout, stderr=stderr, effect=effect)

    def score(self, value: int | None, *, rc: int = 0, stderr: str = "") -> None:
        """The crm_attribute call that writes (or, for None, removes) the promotion score."""
        args = ("--delete",) if value is None else ("--update", str(value))
        self.then(*CRM, *args, rc=rc, stderr=stderr)

    def tool(self, name: str) -> None:
        """An executable `name` on PATH (only looked for, never run: the runner is scripted)."""
        (self.bin / name).write_text("#!/bin/sh\nexit 99\n")
        (self.bin / name).chmod(0o755)

    # -- running one action --

    def __call__(
        self,
        action: str,
        *,
        interval: int | None = None,
        meta: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        **params: str,
    ) -> Outcome:
        if interval is None:
            interval = 31000 if action == "monitor" else 0
        environ = {
            "HA_LOGFACILITY": "none",
            "XENHA_LOG_STDERR": "1",
            "PATH": str(self.bin),
            "OCF_ROOT": "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE": "drbd_r0:0",
            "OCF_RESOURCE_TYPE": "DrbdDualPrimary",
            "XENHA_RUN_DIR": str(self.run_dir),
            "XENHA_PROC_DRBD": str(self.proc_file),
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "OCF_RESKEY_CRM_meta_interval": str(interval),
            "OCF_RESKEY_CRM_meta_on_node": "ha1",
            **{f"OCF_RESKEY_CRM_meta_{k}": v for k, v in (SINGLE if meta is None else meta).items()},
            **{f"OCF_RESKEY_{k}": v for k, v in {"drbd_resource": RES, **params}.items()},
            **(env or {}),
        }
        self._capsys.readouterr()
        started = time.monotonic()
        code = drbddual.main(["/usr/lib/ocf/resource.d/xenha/DrbdDualPrimary", action], environ, runner=self.script)
        elapsed = time.monotonic() - started
        stderr = self._capsys.readouterr().err
        assert self.script.mismatch is None, self.script.mismatch
        self.script.assert_done()
        assert not self.pending, f"/proc/drbd states never reached: {self.pending}"
        return Outcome(code, stderr, elapsed)


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Node:
    return Node(tmp_path, monkeypatch, capsys)


# -- start ------------------------------------------------------------------------------------------------------------


def test_start_brings_up_waits_for_attach_and_peer_then_writes_score(node):
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, effect=node.becomes(ATTACHING))
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.meanwhile(WAITING, SECONDARY)  # the disk attaches, then the peer connects
    node.score(10000)
    assert node("start").result == (0, None)
    assert node.state("minors.r0") == "0"
    assert node.state("score.drbd_r0") == "10000"


def test_start_without_peer_starts_degraded_after_wfc_timeout(node):
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, effect=node.becomes(WAITING))
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.score(1000)  # UpToDate, the peer's state unknown
    out = node("start", wfc_timeout="1")
    assert out.result == (0, None)
    assert 1.0 <= out.elapsed < 5.0


def test_start_with_wfc_timeout_past_the_start_timeout_keeps_time_to_write_the_score(node):
    """Issue 13: wfc_timeout >= the start timeout with the peer down waited out the whole budget, then failed
    with "crm_attribute: out of time". The wait is capped; start succeeds degraded with time left for the score."""
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, effect=node.becomes(WAITING))
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.score(1000)
    out = node("start", wfc_timeout="86400", meta={**SINGLE, "timeout": "6000"})
    assert out.result == (0, None)
    assert out.elapsed < 6.0
    score_call = node.script.ran[-1]
    assert score_call.argv[0] == "crm_attribute" and score_call.remaining >= 1.0, score_call


@pytest.mark.parametrize(
    ("remaining", "budget"), [(float("inf"), float("inf")), (216.0, 172.8), (20.0, 15.0), (4.0, 2.0), (0.0, 0.0)]
)
def test_the_wait_for_the_peer_leaves_a_fifth_at_least_5_s_at_most_half(remaining, budget):
    assert drbddual.wfc_budget(remaining) == pytest.approx(budget)


def test_start_with_wfc_timeout_0_does_not_wait_for_the_peer(node):
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, effect=node.becomes(WAITING))
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.score(1000)
    out = node("start", wfc_timeout="0")
    assert out.result == (0, None)
    assert out.elapsed < 1.0


def test_start_of_a_running_resource_only_writes_the_score(node):
    node.running(SECONDARY, score=None)
    node.score(10000)
    assert node("start").result == (0, None)


def test_start_reports_drbds_own_failure_line(node):
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, rc=10, stderr=_fixture("drbdadm/commitmsg_drbdadm_up_attach_failure_119.txt"))
    assert node("start").result == (1, "drbd r0: up: 3: Failure: (119) No valid meta-data signature found.")


def test_start_that_ends_standalone_marks_split_brain_and_writes_no_score(node):
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, effect=node.becomes(WAITING))
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.meanwhile(STANDALONE)  # the peer connected, found a split-brain, and DRBD dropped the connection
    node.score(None)
    assert node("start").result == (0, None)
    assert node.state("split-brain.r0") == "0\n"


def test_start_refuses_more_than_two_clones_on_drbd_84(node):
    node.proc(STOPPED)
    out = node("start", meta={**SINGLE, "clone_max": "3"})
    assert out.result == (6, "drbd r0: clone-max=3: DRBD 8.4 has at most two nodes")


# -- stop -------------------------------------------------------------------------------------------------------------


def test_stop_demotes_a_primary_then_takes_it_down(node):
    node.running(PRIMARY)
    node.then("drbdadm", "secondary", RES, effect=node.becomes(SECONDARY))
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop").result == (0, None)
    assert node.state("minors.r0") is None
    assert node.state("connected.r0") is None
    assert node.state("score.drbd_r0") == ""


def test_stop_falls_back_to_drbdsetup_down_when_drbdadm_down_fails(node):
    node.running(SECONDARY)
    node.then("drbdadm", "down", RES, rc=10, stderr=BAD_CONF)
    node.then("drbdsetup", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop").result == (0, None)


def test_stop_with_an_unreadable_drbd_conf_takes_it_down_with_drbdsetup(node):
    node.proc(SECONDARY)  # minors not known yet: drbdadm sh-dev must read the configuration
    node.then("drbdadm", "sh-dev", RES, rc=10, stderr=BAD_CONF)
    node.then("drbdsetup", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop").result == (0, None)


def test_stop_with_an_unreadable_drbd_conf_of_a_resource_the_kernel_does_not_know_succeeds(node):
    node.proc(SECONDARY)
    node.then("drbdadm", "sh-dev", RES, rc=10, stderr=BAD_CONF)
    node.then("drbdsetup", "down", RES, rc=10, stderr="r0: Failure: (158) Unknown resource\n")
    node.score(None)
    assert node("stop").result == (0, None)


@pytest.mark.parametrize("proc", [STOPPED, None], ids=["unconfigured", "module-not-loaded"])
def test_stop_when_already_stopped_removes_the_score(node, proc):
    if proc is not None:
        node.proc(proc)
    node.remember("score.drbd_r0", "10000")
    node.score(None)
    assert node("stop").result == (0, None)


def test_stop_outdates_our_data_when_the_peer_is_primary(node):
    node.running(PEER_PRIMARY)
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.then("drbdadm", "outdate", RES)
    node.score(None)
    assert node("stop").result == (0, None)


def test_stop_with_bad_optional_parameters_still_stops(node):
    node.running(SECONDARY)
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop", promotion_scores="lots", wfc_timeout="soon").result == (0, None)


def test_stop_fails_when_neither_drbdadm_nor_drbdsetup_can_take_it_down(node):
    node.running(SECONDARY)
    node.then("drbdadm", "down", RES, rc=11, stderr=IN_USE)
    node.then("drbdsetup", "down", RES, rc=11, stderr=IN_USE)
    assert node("stop").result == (1, "drbd r0: down: 0: State change failed: (-12) Device is held open by someone")


def test_stop_keeps_the_split_brain_mark(node):
    node.running(STANDALONE)
    node.remember("split-brain.r0", "0\n")
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop").result == (0, None)
    assert node.state("split-brain.r0") == "0\n"


# -- monitor ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proc", "score", "code"),
    [
        (PRIMARY, "10000", 8),
        (SECONDARY, "10000", 0),
        (WAITING, "1000", 190),  # peer lost
        (SYNCSOURCE_PRIMARY, "10000", 191),  # resyncing the peer
        (BOTH_PRIMARY, "10000", 8),
    ],
    ids=["primary", "secondary", "secondary-without-peer", "primary-resyncing", "dual-primary"],
)
def test_monitor_reads_proc_drbd_and_runs_nothing(node, proc, score, code):
    node.running(proc, score=score)
    assert node("monitor").result == (code, None)


def test_probe_of_a_stopped_resource_is_7_and_leaves_the_score_alone(node):
    node.proc(STOPPED)
    node.remember("score.drbd_r0", "10000")
    assert node("monitor", interval=0).result == (7, None)


def test_recurring_monitor_of_a_stopped_resource_is_7_and_removes_the_score(node):
    node.proc(STOPPED)
    node.remember("score.drbd_r0", "10000")
    node.score(None)
    assert node("monitor").result == (7, None)


def test_monitor_learns_the_minors_once_then_only_reads_proc_drbd(node):
    node.proc(SECONDARY)
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.score(10000)
    assert node("monitor").result == (0, None)
    assert node("monitor").result == (0, None)


def test_monitor_writes_the_score_only_when_it_changes(node):
    node.running(SECONDARY, score=None)
    node.score(10000)
    assert node("monitor").result == (0, None)
    assert node("monitor").result == (0, None)
    node.proc(WAITING)
    node.score(1000)
    assert node("monitor").result == (190, None)


def test_probe_rewrites_an_unchanged_score(node):
    node.running(SECONDARY)
    node.score(10000)
    assert node("monitor", interval=0).result == (0, None)


def test_failed_score_write_is_retried_by_the_next_monitor(node):
    node.running(SECONDARY, score=None)
    node.score(10000, rc=102, stderr="crm_attribute: Could not connect to the CIB: Transport endpoint is not connected")
    assert node("monitor").result == (0, None)
    node.score(10000)
    assert node("monitor").result == (0, None)


def test_split_brain_on_a_secondary_is_190_with_reason_mark_and_no_score(node):
    node.running(STANDALONE)  # connected.r0 says it was connected: StandAlone now means split-brain
    node.score(None)
    assert node("monitor").result == (190, SPLIT_BRAIN)
    assert node.state("split-brain.r0") == "0\n"


def test_split_brain_on_a_primary_is_191_with_reason_and_keeps_its_score(node):
    node.running(STANDALONE_PRIMARY)
    assert node("monitor").result == (191, SPLIT_BRAIN)
    assert node.state("split-brain.r0") == "0\n"


def test_split_brain_mark_holds_across_a_restart_until_connected_again(node):
    node.proc(WAITING)  # restarted: waits for a peer that stays StandAlone
    node.remember("minors.r0", "0")
    node.remember("split-brain.r0", "0\n")
    node.remember("score.drbd_r0", "")
    assert node("monitor").result == (190, SPLIT_BRAIN)
    node.proc(SECONDARY)  # the administrator resolved it
    node.score(10000)
    assert node("monitor").result == (0, None)
    assert node.state("split-brain.r0") is None


def test_diskless_primary_serving_the_peers_data_is_191_with_the_lowest_score(node):
    node.running(proc84("Connected", "Primary/Secondary", "Diskless/UpToDate"))
    node.score(1)
    assert node("monitor").result == (191, None)


def test_diskless_primary_without_its_peer_is_failed_promoted_9(node):
    node.running(proc84("WFConnection", "Primary/Unknown", "Diskless/DUnknown"), score="1")
    node.score(None)
    out = node("monitor")
    assert out.result == (9, "drbd r0: Primary with no access to UpToDate data (WFConnection, Diskless/DUnknown)")


# -- monitor on DRBD 9 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "resource", "code"),
    [
        ("reconstructed/drbd9/status_json_primary_secondary.json", "r0", 8),
        ("reconstructed/drbd9/status_json_syncsource.json", "r0", 191),
        ("drbd9/shaptools_drbdsetup_status_json_secondary_connected.json", "shanghai", 0),
    ],
    ids=["primary", "syncsource", "secondary"],
)
def test_drbd9_monitor_runs_one_drbdsetup_status_json(node, fixture, resource, code):
    node.proc(DRBD9)
    node.remember(f"connected.{resource}", "1")
    node.remember("score.drbd_r0", "10000")
    node.then("drbdsetup", "status", "--json", resource, stdout=_fixture(fixture))
    assert node("monitor", drbd_resource=resource).result == (code, None)


def test_drbd9_monitor_of_a_resource_that_is_down_is_7(node):
    node.proc(DRBD9)
    node.remember("score.drbd_r0", "")
    node.then("drbdsetup", "status", "--json", RES, rc=10, stderr="r0: No such resource\n")
    assert node("monitor").result == (7, None)


# -- promote ----------------------------------------------------------------------------------------------------------


def test_promote_makes_a_secondary_primary(node):
    node.running(SECONDARY)
    node.then("drbdadm", "primary", RES, effect=node.becomes(PRIMARY))
    node.then("crm_attribute", "--promotion", "--lifetime", "reboot", "--update", "10000")  # an action always writes
    assert node("promote").result == (0, None)


def test_promote_passes_a_drbdconf_other_than_etc_drbd_conf_with_c(node):
    node.running(SECONDARY)
    node.then("drbdadm", "-c", str(node.conf), "primary", RES, effect=node.becomes(PRIMARY))
    node.then("crm_attribute", "--promotion", "--lifetime", "reboot", "--update", "10000")  # an action always writes
    assert node("promote", drbdconf=str(node.conf)).result == (0, None)


def test_promote_with_promoted_max_2_and_allow_two_primaries_becomes_second_primary(node):
    node.running(PEER_PRIMARY)
    node.then("drbdadm", "-d", "-v", "dump", RES, stdout=DUMP_TWO_PRIMARIES)
    node.then("drbdadm", "primary", RES, effect=node.becomes(BOTH_PRIMARY))
    node.then("crm_attribute", "--promotion", "--lifetime", "reboot", "--update", "10000")  # an action always writes
    assert node("promote", meta=DUAL).result == (0, None)


def test_promote_with_promoted_max_2_without_allow_two_primaries_is_not_configured(node):
    node.running(SECONDARY)
    node.then("drbdadm", "-d", "-v", "dump", RES, stdout=DUMP_ONE_PRIMARY)
    out = node("promote", meta=DUAL)
    assert out.result == (6, "drbd r0: promoted-max=2 but allow-two-primaries is not set in drbd.conf")


def test_second_primary_is_refused_while_resyncing(node):
    node.running(proc84("SyncSource", "Secondary/Primary", "UpToDate/Inconsistent"))
    node.then("drbdadm", "-d", "-v", "dump", RES, stdout=DUMP_TWO_PRIMARIES)
    out = node("promote", meta=DUAL)
    why = "second Primary needs Connected UpToDate/UpToDate, have SyncSource UpToDate/Inconsistent"
    assert out.result == (1, f"drbd r0: not promoting: {why}")


def test_promote_after_split_brain_is_refused_and_removes_the_score(node):
    node.running(STANDALONE)
    node.score(None)
    assert node("promote").result == (1, "drbd r0: not promoting after split-brain; resolve it first")
    assert node.state("split-brain.r0") == "0\n"


@pytest.mark.parametrize("disk", ["Outdated", "Consistent", "Inconsistent"])
def test_promote_refuses_data_that_is_not_uptodate(node, disk):
    node.running(proc84("WFConnection", "Secondary/Unknown", f"{disk}/DUnknown"), score="1")
    assert node("promote").result == (1, f"drbd r0: not promoting: local disk is {disk}, not UpToDate")


def test_promote_with_promoted_max_1_while_the_peer_is_primary_is_refused(node):
    node.running(PEER_PRIMARY)
    assert node("promote").result == (1, "drbd r0: not promoting: the peer is Primary and promoted-max=1")


def test_promote_of_a_stopped_resource_fails(node):
    node.proc(STOPPED)
    assert node("promote").result == (1, "drbd r0: cannot promote, resource is not started")


def test_promote_of_a_primary_runs_nothing(node):
    node.running(PRIMARY)
    assert node("promote").result == (0, None)


def test_promote_refused_by_drbd_reports_drbds_reason(node):
    node.running(SECONDARY)
    stderr = "0: State change failed: (-2) Need access to UpToDate data\n"
    stderr += "Command 'drbdsetup-84 primary 0' terminated with exit code 17\n"
    node.then("drbdadm", "primary", RES, rc=17, stderr=stderr)
    assert node("promote").result == (1, "drbd r0: promote: 0: State change failed: (-2) Need access to UpToDate data")


# -- demote -----------------------------------------------------------------------------------------------------------


def test_demote_makes_a_primary_secondary_and_recomputes_the_score(node):
    node.running(WAITING_PRIMARY)  # a Primary keeps the top score without its peer, a Secondary does not
    node.then("drbdadm", "secondary", RES, effect=node.becomes(WAITING))
    node.score(1000)
    assert node("demote").result == (0, None)


def test_demote_writes_the_score_even_when_run_remembers_the_same_value(node):
    # Pacemaker drops a node's transient attributes when its controller restarts; /run still remembers 10000. A
    # demote that skipped the "unchanged" score left that node unpromotable for good (fault matrix, controld-killed).
    node.running(PRIMARY)
    node.remember("score.drbd_r0", "10000")
    node.then("drbdadm", "secondary", RES, effect=node.becomes(SECONDARY))
    node.score(10000)
    assert node("demote").result == (0, None)


@pytest.mark.parametrize("proc", [SECONDARY, STOPPED], ids=["secondary", "stopped"])
def test_demote_of_a_resource_that_is_not_primary_runs_nothing(node, proc):
    node.running(proc)
    assert node("demote").result == (0, None)


def test_demote_of_a_device_in_use_fails_with_drbds_reason(node):
    node.running(PRIMARY)
    node.then("drbdadm", "secondary", RES, rc=11, stderr=IN_USE)
    assert node("demote").result == (1, "drbd r0: demote: 0: State change failed: (-12) Device is held open by someone")


# -- notify, reload, validate-all -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{}, {"drbd_resource": ""}, {"drbd_resource": "-rf"}, {"promotion_scores": "high"}],
    ids=["good", "no-resource", "bad-resource", "bad-scores"],
)
def test_notify_always_succeeds_and_runs_nothing(node, params):
    node.proc(SECONDARY)
    meta = {**SINGLE, "notify_type": "pre", "notify_operation": "promote", "notify_promote_uname": "ha1"}
    assert node("notify", meta=meta, **params).result == (0, None)


def test_reload_rewrites_the_score_with_new_promotion_scores(node):
    node.running(SECONDARY)
    node.score(20000)
    assert node("reload", promotion_scores="20000 2000 10 2").result == (0, None)


def test_reload_of_a_stopped_resource_runs_nothing(node):
    node.proc(STOPPED)
    assert node("reload", promotion_scores="20000 2000 10 2").result == (0, None)


def test_validate_all_reads_the_effective_configuration(node):
    node.proc(SECONDARY)
    node.tool("drbdadm")
    node.then("drbdadm", "-c", str(node.conf), "-d", "-v", "dump", RES, stdout=DUMP_TWO_PRIMARIES)
    assert node("validate-all", meta=DUAL, drbdconf=str(node.conf)).result == (0, None)


def test_validate_all_with_promoted_max_2_needs_allow_two_primaries(node):
    node.proc(SECONDARY)
    node.tool("drbdadm")
    node.then("drbdadm", "-c", str(node.conf), "-d", "-v", "dump", RES, stdout=DUMP_ONE_PRIMARY)
    out = node("validate-all", meta=DUAL, drbdconf=str(node.conf))
    assert out.result == (6, "drbd r0: promoted-max=2 but allow-two-primaries is not set in drbd.conf")


def test_validate_all_of_a_resource_drbdadm_does_not_know_is_not_configured(node):
    node.proc(SECONDARY)
    node.tool("drbdadm")
    stderr = "'r0' not defined in your config (for this host).\n"
    node.then("drbdadm", "-c", str(node.conf), "-d", "-v", "dump", RES, rc=10, stderr=stderr)
    out = node("validate-all", drbdconf=str(node.conf))
    assert out.result == (6, "drbd r0: drbdadm dump failed: 'r0' not defined in your config (for this host).")


def test_validate_all_without_drbd_conf_is_not_configured(node):
    node.tool("drbdadm")
    missing = node.bin / "drbd.conf"
    assert node("validate-all", drbdconf=str(missing)).result == (6, f"drbdconf {missing}: no such file")


def test_validate_all_without_drbdadm_is_not_installed(node):
    assert node("validate-all", drbdconf=str(node.conf)).result == (5, "drbdadm: not installed")


# -- a state directory another user could write (issue 13) -------------------------------------------------------


def _plant_foreign(node: Node) -> None:
    """What a local user leaves in a XENHA_RUN_DIR they own: a split-brain mark, wrong minors, a stale score."""
    node.remember(f"split-brain.{RES}", "0\n")
    node.remember(f"minors.{RES}", "7")
    node.remember("score.drbd_r0", "10000")
    os.chown(node.state_dir, 65534, 65534)


def test_probe_with_planted_files_in_a_foreign_owned_state_dir_answers_from_drbd_alone(node):
    node.proc(SECONDARY)
    _plant_foreign(node)
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")  # the planted minors are not believed
    node.score(10000)
    out = node("monitor", interval=0)
    assert out.result == (0, None)  # not 190 "split-brain" as the planted mark would have it
    assert "state directory owned by uid 65534, not root: " in out.stderr
    assert out.stderr.count("its files are ignored") == 1
    assert node.state(f"minors.{RES}") == "7"  # nothing written there either


def test_recurring_monitor_in_a_group_writable_state_dir_keeps_its_exact_answer(node):
    node.running(PRIMARY)
    node.remember(f"split-brain.{RES}", "0\n")
    os.chmod(node.state_dir, 0o777)
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.score(10000)  # nothing remembered: written again
    assert node("monitor").result == (8, None)


def test_start_refuses_a_foreign_owned_state_dir_in_one_line(node):
    node.proc(STOPPED)
    _plant_foreign(node)
    code, reason = node("start").result
    assert code == 4
    assert reason is not None and "owned by uid 65534, not root" in reason


def test_stop_of_a_stopped_resource_with_a_foreign_owned_state_dir_is_0(node):
    node.proc(STOPPED)
    _plant_foreign(node)
    node.score(None)
    assert node("stop").result == (0, None)
    assert node.state("score.drbd_r0") == "10000"  # untouched


# -- bad input (issue 13): numbers, clone ids, op timeouts -----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"wfc_timeout": "9" * 5000}, {"wfc_timeout": "\u00b2"}, {"promotion_scores": " ".join(["9" * 5000] * 4)},
     {"wfc_timeout": "1e400"}],
    ids=["wfc_timeout-5000-digits", "wfc_timeout-superscript-two", "promotion_scores-5000-digits", "wfc_timeout-1e400"],
)  # fmt: skip
def test_stop_with_numbers_int_cannot_take_still_takes_drbd_down(node, params):
    """Once a ValueError outside the ConfigError path: stop failed (1) and left DRBD up."""
    node.running(SECONDARY)
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop", **params).result == (0, None)
    code, reason = node("validate-all", **params).result  # one line of at most 128 bytes (Outcome.reason checks)
    assert code == 6 and reason is not None


@pytest.mark.parametrize(
    "instance", ["drbd_r\u00e9sum\u00e9:0", "d" * 250 + ":1"], ids=["non-ascii-letter", "250-characters"]
)
def test_clone_ids_pacemaker_accepts_start_monitor_and_stop(node, instance):
    """Once "unsafe state file name": start, monitor and stop failed (a failed stop gets the node fenced)."""
    node.proc(STOPPED)
    node.then("drbdadm", "up", RES, effect=node.becomes(SECONDARY))
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")
    node.score(10000)
    assert node("start", env={"OCF_RESOURCE_INSTANCE": instance}).result == (0, None)
    assert node("monitor", env={"OCF_RESOURCE_INSTANCE": instance}).result == (0, None)
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop", env={"OCF_RESOURCE_INSTANCE": instance}).result == (0, None)


@pytest.mark.parametrize("timeout", ["1" + "0" * 309, "9" * 5000, "1e400"])
def test_stop_with_an_op_timeout_python_cannot_hold_still_stops(node, timeout):
    """OCF_RESKEY_CRM_meta_timeout >= 10^309 broke stop in all four agents (clamped in ocf since session 2)."""
    node.running(SECONDARY)
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop", env={"OCF_RESKEY_CRM_meta_timeout": timeout}).result == (0, None)


def test_a_negative_promotion_score_is_joined_to_its_option(node):
    """`--update -1` left a value where an option can stand (fuzz #D2): it is `--update=-1`, one argv element."""
    node.running(SECONDARY, score=None)
    node.then(*CRM, "--update=-1")
    assert node("monitor", promotion_scores="-1 -2 -3 -4").result == (0, None)
    node.proc(WAITING)
    node.then(*CRM, "--update=-2")
    assert node("monitor", promotion_scores="-1 -2 -3 -4").result == (190, None)


def test_stop_with_the_run_dir_under_a_file_still_takes_drbd_down(node):
    """XENHA_RUN_DIR under a file: StateDir.remove raised NotADirectoryError and stop failed (fuzz #D3)."""
    node.proc(SECONDARY)
    node.run_dir.write_text("")  # a file where the run directory should be
    node.then("drbdadm", "sh-dev", RES, stdout="/dev/drbd0\n")  # no remembered minors there
    node.then("drbdadm", "down", RES, effect=node.becomes(STOPPED))
    node.score(None)
    assert node("stop").result == (0, None)
