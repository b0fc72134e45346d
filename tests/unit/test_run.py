# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""run.run and poll_until against real processes and a fake clock."""

from __future__ import annotations

import locale
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import xenha.run as runmod
from xenha.errors import DeadlineExceeded, NotInstalled, ToolError
from xenha.run import KILL_GRACE, Deadline, Result, SubprocessRunner, poll_until, run


def _alive(pid: int) -> bool:
    """True unless `pid` is gone or a zombie (our PID 1 may not reap orphans)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_run_captures_output_and_sets_lc_all():
    res = run([sys.executable, "-c", "import os,sys; print(os.environ['LC_ALL']); sys.stderr.write('e')"], Deadline(10))
    assert res.ok
    assert res.stdout == "C\n"
    assert res.stderr == "e"


def test_stdin_is_devnull_unless_input_given():
    res = run([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"], Deadline(10))
    assert res.stdout == "''\n"
    res = run([sys.executable, "-c", "import sys; print(sys.stdin.read())"], Deadline(10), input="hi")
    assert res.stdout == "hi\n"


def test_nonzero_exit_is_a_failed_result_not_an_exception():
    res = run([sys.executable, "-c", "import sys; sys.stderr.write('nope\\n'); sys.exit(3)"], Deadline(10))
    assert res.rc == 3
    assert res.fail_reason.endswith("exited 3: nope")
    with pytest.raises(ToolError, match="doing it: .* exited 3: nope"):
        res.raise_for_status("doing it")


def test_timeout_terminates_the_whole_group(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    code = (
        "import subprocess,sys,time;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(30)"
    )
    res = run([sys.executable, "-c", code], Deadline(1.0))
    assert res.timed_out
    assert res.elapsed < 5
    assert not res.ok
    grandchild = int(pidfile.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_sigterm_ignored_gets_sigkill():
    code = (
        "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(30)"
    )
    res = run([sys.executable, "-c", code], Deadline(0.5))
    assert res.timed_out
    assert res.signal == 9


def test_missing_binary_is_not_installed():
    with pytest.raises(NotInstalled, match="not installed"):
        run(["/nonexistent/xl", "list"], Deadline(5))


def test_expired_deadline_refuses_to_start():
    with pytest.raises(DeadlineExceeded):
        run(["true"], Deadline(0))


def test_deadline_from_timeout_keeps_a_margin():
    clock = FakeClock()
    d = Deadline.from_timeout_ms(30000, default_s=20, clock=clock)
    assert d.remaining() == pytest.approx(27.0)
    d = Deadline.from_timeout_ms(2000, default_s=20, clock=clock)
    assert d.remaining() == pytest.approx(1.5)
    d = Deadline.from_timeout_ms(None, default_s=20, clock=clock)
    assert d.remaining() == pytest.approx(18.0)


def test_fraction_and_sub():
    clock = FakeClock()
    d = Deadline(30, clock=clock)
    assert d.fraction(2 / 3).remaining() == pytest.approx(20)
    assert d.sub(5).remaining() == pytest.approx(5)
    assert d.sub(50).remaining() == pytest.approx(30)
    clock.now += 31
    assert d.expired


def test_poll_until_returns_first_value():
    clock = FakeClock()
    calls = iter([None, None, "ok"])
    assert poll_until(lambda: next(calls), Deadline(10, clock=clock), interval=1, sleep=clock.sleep) == "ok"
    assert clock.now == 102.0


def test_poll_until_times_out_on_fake_clock():
    clock = FakeClock()
    with pytest.raises(DeadlineExceeded, match="guest gone"):
        poll_until(lambda: None, Deadline(3, clock=clock), interval=1, what="guest gone", sleep=clock.sleep)
    assert clock.now == pytest.approx(103.0)


# --- the posix_spawn runner (issue 12) ------------------------------------------------------------------------------

LIB = Path(__file__).resolve().parents[2] / "lib"
SH = "/bin/sh"


def _open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def _gone(pid: int) -> bool:
    """Dead, whether reaped already or a zombie waiting for a PID 1 that may never reap it."""
    return not _alive(pid)


def test_signal_numbers_match_the_signal_module():
    assert (runmod._SIGKILL, runmod._SIGTERM, runmod._SIGPIPE, runmod._SIGXFSZ) == (
        signal.SIGKILL,
        signal.SIGTERM,
        signal.SIGPIPE,
        signal.SIGXFSZ,
    )


def test_import_loads_no_heavy_module_and_a_configured_command_none_either():
    """`import xenha.run`, then a monitor's command with logging configured (no HA_debug), in a bare interpreter."""
    heavy = ("subprocess", "signal", "selectors", "logging", "typing", "dataclasses", "enum", "threading", "locale")
    code = (
        f"import sys; sys.path.insert(0, {str(LIB)!r}); heavy = {heavy!r}\n"
        "import xenha.run\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "from xenha.ocf import log\n"
        "log.configure('Test', 't', 'monitor', {})\n"
        "before = set(sys.modules)\n"
        "r = xenha.run.run(['/bin/echo', 'hi'], xenha.run.Deadline(10))\n"
        "assert r.ok and r.stdout == 'hi\\n', r\n"
        "print(','.join(m for m in heavy if m in sys.modules and m not in before))\n"
    )
    out = subprocess.run(["/usr/bin/python3", "-IS", "-c", code], capture_output=True, text=True, check=True, env={})
    at_import, by_command = out.stdout.split("\n")[:2]
    assert at_import == ""
    assert by_command == ""


def test_timeout_kills_a_shells_grandchild_too():
    res = run([SH, "-c", "sleep 30 & echo $$ $!; wait"], Deadline(1.0))
    assert res.timed_out
    assert res.signal == signal.SIGTERM
    assert 0.9 < res.elapsed < 1.0 + KILL_GRACE
    shell, grandchild = map(int, res.stdout.split())
    time.sleep(0.1)
    assert _gone(shell)
    assert _gone(grandchild)


def test_sigkill_reaches_the_group_when_all_ignore_sigterm():
    res = run([SH, "-c", "trap '' TERM; sleep 30 & echo $$ $!; wait"], Deadline(0.5))
    assert res.timed_out
    assert res.signal == signal.SIGKILL
    assert res.elapsed >= 0.5 + 0.9 * KILL_GRACE
    shell, grandchild = map(int, res.stdout.split())
    time.sleep(0.1)
    assert _gone(shell)
    assert _gone(grandchild)


def test_child_leads_its_own_session_and_process_group():
    res = run(
        [sys.executable, "-c", "import os; print(os.getsid(0) == os.getpgrp() == os.getpid(), os.getpid())"],
        Deadline(10),
    )
    same, pid = res.stdout.split()
    assert same == "True"
    assert not os.path.exists(f"/proc/{pid}")  # reaped, not left a zombie


def test_no_descriptor_leaks_into_the_child(tmp_path):
    listing = (
        "import os\n"
        "for name in sorted(os.listdir('/proc/self/fd'), key=int):\n"
        "    try: print(name, os.readlink('/proc/self/fd/' + name))\n"
        "    except OSError: pass  # the descriptor listdir used\n"
    )
    secret = tmp_path / "secret"
    secret.write_text("x")
    inheritable = os.open(secret, os.O_RDONLY)
    os.set_inheritable(inheritable, True)
    pipe_r, pipe_w = os.pipe()
    os.set_inheritable(pipe_w, True)
    try:
        with open(secret) as handle:  # close-on-exec, as every fd Python opens (PEP 446)
            assert handle.fileno() > 2
            res = run([sys.executable, "-c", listing], Deadline(10))
        assert os.get_inheritable(inheritable)  # the parent's fd is left as it was
    finally:
        for fd in (inheritable, pipe_r, pipe_w):
            os.close(fd)
    fds = dict(line.split(" ", 1) for line in res.stdout.splitlines())
    assert sorted(fds) == ["0", "1", "2"], fds
    assert fds["0"] == "/dev/null"
    assert fds["1"].startswith("pipe:")
    assert fds["2"].startswith("pipe:")


def test_stdin_is_dev_null():
    res = run(["/bin/readlink", "/proc/self/fd/0"], Deadline(10))
    assert res.stdout == "/dev/null\n"


def test_empty_input_is_an_immediate_eof():
    res = run(["/bin/cat"], Deadline(10), input="")
    assert res.ok
    assert res.stdout == ""


def test_environment_is_the_one_given_with_lc_all_c():
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "de_DE.UTF-8", "XENHA_PROBE": "1"}
    res = run(["env"], Deadline(10), env=env)
    assert sorted(res.stdout.splitlines()) == ["LC_ALL=C", "PATH=/usr/bin:/bin", "XENHA_PROBE=1"]


def test_sigpipe_and_sigxfsz_are_default_in_the_child():
    """Python ignores both, and ignored signals survive exec; the child must get them back."""
    ignored_here = int(Path("/proc/self/status").read_text().split("SigIgn:")[1].split()[0], 16)
    assert ignored_here & (1 << (signal.SIGPIPE - 1))
    res = run(["/bin/grep", "^SigIgn:", "/proc/self/status"], Deadline(10))
    ignored = int(res.stdout.split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1))
    assert not ignored & (1 << (signal.SIGXFSZ - 1))
    assert run([SH, "-c", "yes | head -n1"], Deadline(10)).stderr == ""


@pytest.mark.parametrize("mode", [0o644, 0o000])
def test_a_file_without_execute_permission_is_not_installed(tmp_path, mode):
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(mode)
    with pytest.raises(NotInstalled, match="tool: not executable") as caught:
        run([str(tool)], Deadline(5))
    assert isinstance(caught.value.__cause__, PermissionError)


def test_a_directory_is_not_executable(tmp_path):
    with pytest.raises(NotInstalled, match="not executable"):
        run([str(tmp_path)], Deadline(5))


def test_missing_binary_is_not_installed_with_its_errno():
    with pytest.raises(NotInstalled, match="xl: not installed") as caught:
        run(["/nonexistent/xl", "list"], Deadline(5))
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_bare_names_are_searched_on_the_childs_path_like_execvpe(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "tool").write_text("#!/bin/sh\necho first\n")  # not executable: skipped, as execvpe does
    (second / "tool").write_text("#!/bin/sh\necho second\n")
    (second / "tool").chmod(0o755)
    env = {"PATH": f"{tmp_path / 'missing'}:{first}:{second}"}
    assert run(["tool"], Deadline(5), env=env).stdout == "second\n"
    with pytest.raises(NotInstalled, match="tool: not executable"):
        run(["tool"], Deadline(5), env={"PATH": str(first)})
    with pytest.raises(NotInstalled, match="tool: not installed"):
        run(["tool"], Deadline(5), env={"PATH": str(tmp_path / "missing")})
    with pytest.raises(NotInstalled, match="tool: not installed"):
        SubprocessRunner(which=lambda name: None)(["tool"], Deadline(5))


def test_large_output_on_both_streams_does_not_deadlock():
    size = 3 << 20
    code = (
        "import sys\n"
        f"sys.stderr.write('e' * {size}); sys.stderr.flush()\n"  # stderr first: a reader that waits on stdout stalls
        f"sys.stdout.write('o' * {size}); sys.stdout.flush()\n"
        f"sys.stderr.write('E' * {size})\n"
    )
    res = run([sys.executable, "-c", code], Deadline(30))
    assert res.ok
    assert res.stdout == "o" * size
    assert res.stderr == "e" * size + "E" * size


def test_large_input_and_output_at_once_do_not_deadlock():
    data = "".join(f"line {i}\n" for i in range(300_000))  # about 3.6 MB: fills both pipes many times over
    res = run(["/bin/cat"], Deadline(30), input=data)
    assert res.ok
    assert res.stdout == data


def test_input_the_child_does_not_read_is_dropped():
    res = run(["/bin/true"], Deadline(10), input="x" * (4 << 20))
    assert res.ok


def test_non_utf8_output_decodes_as_subprocess_text_mode_did():
    raw = b"caf\xc3\xa9 \xff\xfe\x80 end\r\nnext\rlast"
    code = f"import sys; sys.stdout.buffer.write({raw!r}); sys.stderr.buffer.write({raw!r})"
    argv = [sys.executable, "-c", code]
    res = run(argv, Deadline(10))
    before = subprocess.run(argv, capture_output=True, text=True, errors="surrogateescape", check=True)
    assert res.stdout == before.stdout
    assert res.stderr == before.stderr
    assert res.stdout.count("\n") == 2  # universal newlines, as text mode
    # Nothing is lost: surrogateescape gives the undecodable bytes back.
    encoding = locale.getpreferredencoding(False)
    assert res.stdout.encode(encoding, "surrogateescape") == raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if encoding.lower().replace("-", "") == "utf8":
        assert res.stdout.startswith("caf\u00e9 \udcff\udcfe\udc80 end\n")


def test_one_deadline_is_shared_by_successive_commands():
    deadline = Deadline(2.0)
    first = run(["/bin/sleep", "1"], deadline)
    assert first.ok
    second = run(["/bin/sleep", "10"], deadline)
    assert second.timed_out
    assert second.elapsed < 1.5  # what the first left, not a fresh 2 s
    with pytest.raises(DeadlineExceeded):
        run(["/bin/true"], deadline)


def test_a_child_that_closes_its_output_is_still_waited_for_until_the_deadline():
    res = run([SH, "-c", "echo early; echo warn >&2; exec >&- 2>&-; sleep 30"], Deadline(1.0))
    assert res.timed_out
    assert res.stdout == "early\n"
    assert res.stderr == "warn\n"
    assert 0.9 < res.elapsed < 1.0 + KILL_GRACE


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "no-pidfd"])
def test_a_child_that_closes_its_output_then_exits_is_reaped_with_its_status(monkeypatch, pidfd):
    if not pidfd:

        def enosys(pid: int) -> int:
            raise OSError(38, "Function not implemented")

        monkeypatch.setattr(os, "pidfd_open", enosys)
    res = run([SH, "-c", "echo early; exec >&- 2>&-; sleep 0.3; exit 4"], Deadline(10))
    assert not res.timed_out
    assert res.rc == 4
    assert res.stdout == "early\n"
    assert 0.3 <= res.elapsed < 2


def test_the_parent_keeps_no_descriptor_after_any_outcome(tmp_path):
    before = _open_fds()
    run(["/bin/echo", "ok"], Deadline(10))
    run(["/bin/cat"], Deadline(10), input="in")
    run([SH, "-c", "exit 3"], Deadline(10))
    run(["/bin/sleep", "10"], Deadline(0.2))
    with pytest.raises(NotInstalled):
        run([str(tmp_path / "missing")], Deadline(10))
    with pytest.raises(NotInstalled):
        run([str(tmp_path / "missing")], Deadline(10), input="in")
    assert _open_fds() == before


def test_runs_when_the_parents_own_stdio_is_closed(tmp_path):
    """Then our pipes take fds 0-2 themselves: the dup2 actions must still land each on its place."""
    report = tmp_path / "report"
    code = (
        f"import os, sys; sys.path.insert(0, {str(LIB)!r})\n"
        "from xenha.run import Deadline, run\n"
        "os.close(0); os.close(1); os.close(2)\n"
        "r = run(['/bin/sh', '-c', 'cat; echo err >&2'], Deadline(10), input='in')\n"
        "s = run(['/bin/sh', '-c', 'echo out; echo err >&2'], Deadline(10))\n"
        f"open({str(report)!r}, 'w').write(repr((r.rc, r.stdout, r.stderr, s.rc, s.stdout, s.stderr)))\n"
    )
    subprocess.run(["/usr/bin/python3", "-IS", "-c", code], check=True, env={})
    assert report.read_text() == repr((0, "in", "err\n", 0, "out\n", "err\n"))


def test_every_command_is_logged_at_debug_and_a_failure_with_its_stderr(monkeypatch):
    records: list[tuple[str, str]] = []

    class Recorder:
        def debug(self, msg: str, *args: object) -> None:
            records.append(("debug", msg % args))

    monkeypatch.setattr(runmod, "_logger", Recorder)
    run([SH, "-c", "echo one >&2; echo two >&2; exit 2"], Deadline(10))
    assert records[0][0] == "debug"
    assert records[0][1].startswith("ran ['/bin/sh', '-c', 'echo one >&2; echo two >&2; exit 2']: rc=2 in ")
    # at debug: many failures are answers (`xl list NAME` of an absent guest); the caller reports real ones
    assert records[1] == ("debug", "sh: one | two")


def test_result_is_a_frozen_value():
    res = Result(("xl", "list"), 0, "out", "", 0.5)
    assert res == Result(argv=("xl", "list"), rc=0, stdout="out", stderr="", elapsed=0.5, timed_out=False)
    assert hash(res) == hash(Result(("xl", "list"), 0, "out", "", 0.5))
    assert res != Result(("xl", "list"), 0, "out", "", 0.5, timed_out=True)
    assert repr(res).startswith("Result(argv=('xl', 'list'), rc=0, stdout='out'")
    with pytest.raises(AttributeError):
        res.rc = 1  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(res)) == res
    assert Result(("xl",), None, "", "", 3.0, signal=9).fail_reason == "xl killed by signal 9"
