"""run.run and poll_until against real processes and a fake clock."""

from __future__ import annotations

import sys
import time

import pytest

from xenha.errors import DeadlineExceeded, NotInstalled, ToolError
from xenha.run import Deadline, poll_until, run


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
