# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The fuzz suite's machinery: a sandbox, a small plausible world behind a permissive fake runner, one in-process
call of an agent's main() under a watchdog, and the properties every call must keep.

No subprocess per case: every agent's `main(argv, environ, runner=...)` runs in this process. The fake runner accepts
any argv, records it with the seconds its deadline had left, refuses to start once that deadline has passed (as
xenha.run.run does), and answers as a tiny world would: Xen domains appear on `xl create` and go on `xl shutdown`,
a DRBD resource comes up Connected UpToDate/UpToDate on `drbdadm up` (its /proc/drbd file follows), everything
else succeeds with no output. Nothing here touches the machine outside the sandbox: AoEExport's vblade spawning,
signalling and AoE broadcasts, fence_noop's kills and default log file, and O2cbCluster's cluster.conf writes outside
the sandbox are replaced by recorders.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import shutil
import signal
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from xenha.run import Deadline, Result

REASON_PREFIX = "ocf-exit-reason:"
REASON_MAX_BYTES = 127  # xenha.ocf.protocol.REASON_MAX_BYTES: pacemaker keeps 128 bytes, terminator included
# Seconds a call may run past its op timeout (in-process CPU on a shared 2-CPU machine) before it counts as late.
SLACK = 0.5
# No call in this world has a reason to run long: whatever its op timeout, one taking more than this is stopped and
# reported (a hang on a FIFO, a wait on something the world never does).
HARD_CAP = float(os.environ.get("XENHA_FUZZ_CAP", "12"))
# Memory a single call may add (a read of /dev/zero must end in MemoryError, not take the shared machine down).
MEMORY_HEADROOM = 1 << 30

OCF_CODES = frozenset({0, 1, 2, 3, 4, 5, 6, 7})
DRBD_CODES = OCF_CODES | {8, 9, 190, 191}


# ---------------------------------------------------------------------------------------------------------------------
# Counts for `make fuzz`


@dataclass
class Tally:
    """Examples run and exit codes seen, per agent and action."""

    runs: Counter[tuple[str, str]] = field(default_factory=Counter)
    codes: dict[tuple[str, str], Counter[object]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, agent: str, action: str, code: object) -> None:
        self.runs[(agent, action)] += 1
        self.codes[(agent, action)][code] += 1

    def lines(self) -> list[str]:
        out = [f"{'agent':<16} {'action':<14} {'examples':>8}  codes seen"]
        for key in sorted(self.runs):
            codes = ", ".join(f"{c}x{n}" for c, n in sorted(self.codes[key].items(), key=lambda kv: str(kv[0])))
            out.append(f"{key[0]:<16} {key[1]:<14} {self.runs[key]:>8}  {codes}")
        out.append(f"total examples: {sum(self.runs.values())}")
        return out


TALLY = Tally()


# ---------------------------------------------------------------------------------------------------------------------
# The sandbox: odd files to point parameters at, and the per-example state


@dataclass
class Sandbox:
    """A private temporary tree: FIFO, directory, symlinks, a missing path, fixtures for each agent."""

    root: str

    @classmethod
    def create(cls) -> Sandbox:
        root = tempfile.mkdtemp(prefix="xenha-fuzz-")
        box = cls(root)
        os.mkdir(box.path("dir"))
        os.mkfifo(box.path("fifo"))
        os.symlink(box.path("fifo"), box.path("link-to-fifo"))
        os.symlink(box.path("dir"), box.path("link-to-dir"))
        os.symlink(box.path("nowhere"), box.path("dangling"))
        os.mkdir(box.path("with space"))
        box.write("with space/web1.cfg", "name = 'web1'\nmemory = 256\n")
        box.write("web1.cfg", "name = 'web1'\nmemory = 512\nvcpus = 2\ndisk = ['phy:/dev/vg0/web1,xvda,w']\n")
        box.write("drbd.conf", "resource r0 { net { allow-two-primaries yes; } }\n")
        box.write("disk.img", "\0" * 4096)
        box.write("empty", "")
        box.write("xen_capabilities", "control_d\n")
        box.write("cluster.conf", _CLUSTER_CONF)
        os.makedirs(box.path("configfs/cluster"))
        box.o2cb_world()
        os.mkdir(box.path("auto"))
        os.mkdir(box.path("auto-one"))
        os.symlink(box.path("web1.cfg"), box.path("auto-one", "web1.cfg"))
        os.mkdir(box.path("defaults"))
        os.mkdir(box.path("world"))
        return box

    def o2cb_world(self) -> None:
        """The O2CB simulator's world (nodes ha1 and ha2; ha1's configfs is the sandbox's), for `o2cb` commands."""
        from xenha_sim.o2cbsim import attach_node
        from xenha_sim.world import World as SimWorld
        from xenha_sim.world import add_node

        world = SimWorld(self.path("o2cb-world"))
        world.create()
        with world.transaction() as state:
            add_node(state, "ha1", address="10.0.0.1")
            add_node(state, "ha2", address="10.0.0.2")
            attach_node(state, "ha1", self.path("configfs"))

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def write(self, name: str, text: str) -> str:
        path = self.path(name)
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
        return path

    def odd_paths(self) -> tuple[str, ...]:
        """Paths a parameter may be pointed at: each one something a careful agent must not trip over."""
        return (
            self.path("fifo"),
            self.path("dir"),
            self.path("link-to-fifo"),
            self.path("link-to-dir"),
            self.path("dangling"),
            self.path("nowhere"),
            self.path("with space"),
            self.path("with space/web1.cfg"),
            self.path("empty"),
            "/dev/zero",
            "/dev/null",
            self.path("dir") + "/",
            self.path("x" * 300),
            "relative/path",
            self.path("a\nb"),
        )

    def reset(self) -> None:
        """Forget what the last example left: state directories, lock files, logs."""
        for name in ("run", "var"):
            shutil.rmtree(self.path(name), ignore_errors=True)
            os.mkdir(self.path(name), 0o700)
        for entry in os.listdir(self.path("configfs/cluster")):
            shutil.rmtree(self.path("configfs/cluster", entry), ignore_errors=True)

    def is_inside(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self.root or real.startswith(self.root + os.sep)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------------
# The world behind the fake runner

_PROC_DRBD_HEAD = "version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 2A8D3F5D7F2B1E35A1C3C7E \n"
_PROC_DRBD_ROW = {
    "down": " 0: cs:Unconfigured\n",
    "secondary": (
        " 0: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----\n"
        "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
    ),
    "primary": (
        " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
        "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
    ),
}
_CLUSTER_CONF = (
    "".join(
        f"node:\n\tip_port = 7777\n\tip_address = 10.0.0.{n}\n\tnumber = {n}\n\tname = ha{n}\n\tcluster = web\n\n"
        for n in (1, 2)
    )
    + "cluster:\n\tnode_count = 2\n\theartbeat_mode = local\n\tname = web\n"
)
_XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
_XL_DOM0 = "Domain-0                                     0  1024     2     r-----      42.0\n"


@dataclass
class World:
    """What the fake tools answer from: running domains, the DRBD resource's role, the cluster's nodes."""

    sandbox: Sandbox
    domains: dict[str, int] = field(default_factory=dict)
    drbd: str = "down"
    drbd_resource: str = "r0"
    drbd_major: int = 8

    def set_drbd(self, role: str) -> None:
        """The resource's role: "down", "secondary", "primary"; "9-ROLE" switches the world to DRBD 9."""
        if role.startswith("9-"):
            self.drbd_major, role = 9, role[2:]
        self.drbd = role
        if self.drbd_major == 9:  # /proc/drbd names the version only; the state comes from drbdsetup status --json
            self.sandbox.write("proc_drbd", "version: 9.2.8 (api:2/proto:86-122)\n")
        else:
            self.sandbox.write("proc_drbd", _PROC_DRBD_HEAD + _PROC_DRBD_ROW[role])

    def drbd9_status(self, argv: tuple[str, ...]) -> Result:
        if self.drbd == "down":
            return Result(argv=argv, rc=10, stdout="", stderr=f"{self.drbd_resource}: No such resource\n", elapsed=0.0)
        from tests.fixtures import FIXTURES

        name, fixture = {
            "secondary": ("shanghai", "shaptools_drbdsetup_status_json_secondary_connected.json"),
            "primary": ("beijing", "shaptools_drbdsetup_status_json_primary_connected.json"),
        }[self.drbd]
        text = (FIXTURES / "drbd9" / fixture).read_text().replace(f'"{name}"', f'"{self.drbd_resource}"', 1)
        return _ok(argv, text)

    def xl_rows(self, names: Sequence[str]) -> str:
        rows = [f"{n:<40} {i:>5}   512     2     -b----       1.5\n" for n, i in self.domains.items() if n in names]
        return "".join(rows)

    def answer(self, argv: tuple[str, ...]) -> Result:
        tool = os.path.basename(argv[0])
        words = list(argv[1:])
        if tool in ("xl", "xm"):
            return self._xen(argv, tool, words)
        if tool in ("drbdadm", "drbdsetup"):
            return self._drbd(argv, words)
        if tool == "o2cb":
            return self._o2cb(argv)
        if tool == "crm_node" and words[:1] == ["-l"]:
            return _ok(argv, "1 ha1 member\n2 ha2 member\n")
        if tool == "getent":
            return _ok(argv, "10.9.9.9      STREAM ha1\n")
        if tool == "crm_attribute" and "-G" in words:
            return _ok(argv, "10.1.1.2\n")
        return _ok(argv, "")

    def _xen(self, argv: tuple[str, ...], tool: str, words: list[str]) -> Result:
        action = words[0] if words else ""
        args = [w for w in words[1:] if w != "--"]
        if action == "list":
            names = [a for a in args if not a.startswith("-")]
            if not names:
                return _ok(argv, _XL_HEADER + _XL_DOM0 + self.xl_rows(list(self.domains)))
            missing = [n for n in names if n not in self.domains]
            if missing:
                return _not_found(argv, tool, missing[0])
            return _ok(argv, _XL_HEADER + self.xl_rows(names))
        if action == "create":
            override = next((a[5:].strip('"') for a in args if a.startswith("name=")), None)  # xl: name="NAME"
            self.domains[override or "web1"] = len(self.domains) + 1
            return _ok(argv, "")
        if action in ("shutdown", "destroy", "trigger", "migrate", "save"):
            target = next((a for a in args if a in self.domains), None)
            if target is None:
                names = [a for a in args if not a.startswith("-")]
                return _not_found(argv, tool, names[0] if names else "")
            del self.domains[target]
            return _ok(argv, "")
        if action == "info":
            return _ok(argv, "host                   : ha1\nfree_memory            : 4096\n")
        return _ok(argv, "")

    def _o2cb(self, argv: tuple[str, ...]) -> Result:
        """The lab's o2cb, in-process, as node ha1 of the sandbox's O2CB world."""
        from xenha_sim import o2cbtools

        env = {
            "XENHA_CONFIGFS": self.sandbox.path("configfs"),
            "XENHA_SIM_NODE": "ha1",
            "XENHA_SIM_WORLD": self.sandbox.path("o2cb-world"),
        }
        out, err = io.StringIO(), io.StringIO()
        rc = o2cbtools.main(list(argv), env, stdout=out, stderr=err)
        return Result(argv=argv, rc=rc, stdout=out.getvalue(), stderr=err.getvalue(), elapsed=0.0)

    def _drbd(self, argv: tuple[str, ...], words: list[str]) -> Result:
        if "status" in words and self.drbd_major == 9:
            return self.drbd9_status(argv)
        if "sh-dev" in words:
            return _ok(argv, "/dev/drbd0\n")
        if "dump" in words:
            return _ok(argv, f"resource {self.drbd_resource} {{\n  net {{\n    allow-two-primaries yes;\n  }}\n}}\n")
        if "up" in words:
            self.set_drbd("secondary")
        elif "primary" in words:
            if self.drbd == "down":
                return Result(argv=argv, rc=11, stdout="", stderr="0: State change failed: (-2)\n", elapsed=0.0)
            self.set_drbd("primary")
        elif "secondary" in words and self.drbd != "down":
            self.set_drbd("secondary")
        elif "down" in words:
            self.set_drbd("down")
        return _ok(argv, "")


def _ok(argv: tuple[str, ...], stdout: str) -> Result:
    return Result(argv=argv, rc=0, stdout=stdout, stderr="", elapsed=0.0)


def _not_found(argv: tuple[str, ...], tool: str, name: str) -> Result:
    if tool == "xm":
        return Result(argv=argv, rc=1, stdout="", stderr=f"Error: Domain '{name}' does not exist.\n", elapsed=0.0)
    return Result(argv=argv, rc=1, stdout="", stderr=f"{name} is an invalid domain identifier (rc=-6)\n", elapsed=0.0)


@dataclass
class Ran:
    argv: tuple[str, ...]
    remaining: float


@dataclass
class FakeRunner:
    """A Runner that accepts any argv, records it, honours its deadline and answers from the world."""

    world: World
    ran: list[Ran] = field(default_factory=list)

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result:
        argv = tuple(argv)
        assert argv and all(isinstance(a, str) for a in argv), f"argv must be non-empty strings: {argv!r}"
        self.ran.append(Ran(argv, deadline.remaining()))
        deadline.check(argv[0])  # as xenha.run.run: no time left, no command
        return self.world.answer(argv)


# ---------------------------------------------------------------------------------------------------------------------
# One call


class Hang(BaseException):
    """Raised by the watchdog in a call that outlived its time."""


class Exited(BaseException):
    """Raised instead of os._exit inside a call."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Outcome:
    """What one call did."""

    code: int | None
    stdout: str
    stderr: str
    stderr_bytes: bytes
    elapsed: float
    crash: str | None  # an exception that left main(), a hang, an os._exit or sys.exit
    ran: list[Ran]
    spawned: list[tuple[str, ...]]

    @property
    def reasons(self) -> list[bytes]:
        return [line for line in self.stderr_bytes.split(b"\n") if line.startswith(REASON_PREFIX.encode())]

    @property
    def argvs(self) -> list[tuple[str, ...]]:
        return [r.argv for r in self.ran] + self.spawned


def _vm_size() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def guarded(seconds: float) -> Iterator[None]:
    """SIGALRM after `seconds` (a blocking open of a FIFO is interrupted too), os._exit trapped, memory bounded."""

    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds:.1f}s")

    def no_exit(code: int) -> None:
        raise Exited(code)

    old_handler = signal.signal(signal.SIGALRM, alarm)
    old_limit = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _vm_size() + MEMORY_HEADROOM
    if old_limit[1] == resource.RLIM_INFINITY or wanted < old_limit[1]:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, old_limit[1]))
    real_exit = os._exit
    os._exit = no_exit  # type: ignore[assignment]
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        os._exit = real_exit
        resource.setrlimit(resource.RLIMIT_AS, old_limit)
        signal.signal(signal.SIGALRM, old_handler)


def call(
    fn: Callable[[], int],
    *,
    limit: float,
    runner: FakeRunner,
    spawned: list[tuple[str, ...]] | None = None,
    stdout_errors: str = "strict",
) -> Outcome:
    """Run `fn` (a main() call) with stdout and stderr captured as a real agent's would be encoded: stdout strict
    UTF-8 (a lone surrogate printed there ends a real agent with a traceback), stderr with backslashreplace."""
    out_raw, err_raw = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_raw, encoding="utf-8", errors=stdout_errors, write_through=True)
    err = io.TextIOWrapper(err_raw, encoding="utf-8", errors="backslashreplace", write_through=True)
    crash: str | None = None
    code: int | None = None
    started = time.monotonic()
    try:
        with guarded(limit), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = fn()
    except Hang as exc:
        crash = f"hang: {exc}"
    except Exited as exc:
        crash = f"os._exit({exc.code}) inside main()"
    except SystemExit as exc:
        crash = f"sys.exit({exc.code!r}) inside main()"
    except BaseException as exc:  # noqa: BLE001 -- anything leaving main() is the finding
        crash = f"uncaught {type(exc).__name__}: {exc}"[:400]
    elapsed = time.monotonic() - started
    with contextlib.suppress(Exception):
        out.flush()
        err.flush()
    if code is not None and not isinstance(code, int):
        crash = f"main() returned {code!r}, not an int"
    return Outcome(
        code=code,
        stdout=out_raw.getvalue().decode("utf-8", "replace"),
        stderr=err_raw.getvalue().decode("utf-8", "replace"),
        stderr_bytes=err_raw.getvalue(),
        elapsed=elapsed,
        crash=crash,
        ran=list(runner.ran),
        spawned=list(spawned or ()),
    )


# ---------------------------------------------------------------------------------------------------------------------
# Properties

_CRASH_MARKS = ("Traceback (most recent call last)", ": internal error: ", "unexpected failure")


def value_words(value: str) -> set[str]:
    """What an argv element built from `value` could be: the value, its words, and the parts of key=value words."""
    found = {value, value.strip()}
    for word in value.replace(",", " ").split():
        found.add(word)
        found.update(part for part in word.split("=") if part)
    return {w for w in found if w.startswith("-") and len(w) > 1}


def option_injections(argvs: Sequence[tuple[str, ...]], fuzzed: Mapping[str, str]) -> list[str]:
    """argv elements equal to (a word of) a fuzzed value that starts with '-', not after a `--` end of options."""
    found = []
    suspects = {w: name for name, value in fuzzed.items() for w in value_words(value)}
    for argv in argvs:
        for index, element in enumerate(argv[1:], 1):
            if element == "--" and index < len(argv) - 1:
                break  # the rest are operands
            if element in suspects:
                found.append(f"{suspects[element]}={element!r} reached {list(argv)[:8]} as an option")
    return found


def violations(
    outcome: Outcome,
    *,
    codes: frozenset[int],
    timeout_s: float,
    expect: frozenset[int] | None = None,
    fuzzed: Mapping[str, str] | None = None,
    reasons: bool = True,
) -> list[str]:
    """Every property the call broke, one line each; empty when it kept them all."""
    found: list[str] = []
    if outcome.crash is not None:
        found.append(outcome.crash)
    for mark in _CRASH_MARKS:
        if mark in outcome.stderr:
            line = next(x for x in outcome.stderr.splitlines() if mark in x or "Traceback" in x)
            found.append(f"crash reported on stderr: {line[:200]!r}")
    if outcome.code is not None and outcome.code not in codes:
        found.append(f"exit code {outcome.code} not in {sorted(codes)}")
    if expect is not None and outcome.code is not None and outcome.code not in expect:
        found.append(f"exit code {outcome.code}, expected one of {sorted(expect)}")
    if reasons:
        lines = outcome.reasons
        if len(lines) > 1:
            found.append(f"{len(lines)} exit-reason lines: {lines[:3]!r}")
        for line in lines:
            if len(line) - len(REASON_PREFIX) > REASON_MAX_BYTES:
                found.append(f"exit reason of {len(line) - len(REASON_PREFIX)} bytes: {line[:80]!r}...")
    if outcome.elapsed > timeout_s + SLACK:
        found.append(f"took {outcome.elapsed:.2f}s, op timeout {timeout_s:.2f}s")
    for ran in outcome.ran:
        if ran.remaining <= 0.0 and outcome.code == 0:
            found.append(f"{list(ran.argv)[:4]} started with no time left, yet the call succeeded")
            break
    found += option_injections(outcome.argvs, fuzzed or {})
    return found
