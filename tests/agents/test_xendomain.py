# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""XenDomainHA against a scripted runner: every action with xl and xm, the exact commands, codes and exit reasons."""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.agents.scripted import Ran, ScriptedRunner
from tests.fixtures import FIXTURES
from tests.sim.conftest import LAB_SCRIPTS
from xenha import ocf
from xenha.agents import xendomain
from xenha.agents.xendomain import AGENT, TABLE, migration_address, params_from
from xenha.errors import ConfigError, NotInstalled
from xenha.ocf import Env, ExitCode
from xenha.ocf.context import bind_handlers
from xenha.run import Deadline, Result
from xenha.xen.cmd import create_argv, migrate_argv
from xenha.xen.domain import Health, StopStep, assess, stop_plan
from xenha.xen.listing import parse_xl_list, parse_xm_list
from xenha_sim import xensim
from xenha_sim.world import World, add_node

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("xl", "xm")
XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
XM_HEADER = "Name                                        ID   Mem VCPUs      State   Time(s)\n"
NOT_FOUND = {
    "xl": "{name} is an invalid domain identifier (rc=-6)\n",
    "xm": "Error: Domain '{name}' does not exist.\n",
}


# -- a scripted runner in the pcs style -----------------------------------------------------------------------------


class Scripted(ScriptedRunner):
    """The shared ScriptedRunner, plus what polling loops need, written argv-first: `then("xl", "list", "web1")`.

    `then(..., repeat=True)` answers the same command any number of times (at least once) until a different one
    comes; `always(...)` answers once every expectation is used up. A mismatch is remembered for `done()`, because
    the agent turns every exception, AssertionError included, into an exit code.
    """

    def __init__(self) -> None:
        super().__init__()
        self.repeating: set[int] = set()
        self.used: set[int] = set()
        self.forever: dict[tuple[str, ...], Result] = {}
        self.mismatch: str | None = None

    def then(
        self, *argv: str, rc: int = 0, stdout: str = "", stderr: str = "", missing: bool = False, repeat: bool = False
    ) -> Scripted:
        raises = NotInstalled(f"{argv[0]}: not installed") if missing else None
        self.expect(list(argv), rc=rc, stdout=stdout, stderr=stderr, raises=raises)
        if repeat:
            self.repeating.add(id(self.expected[-1]))
        return self

    def sh_dev(self) -> Scripted:
        """`drbdadm sh-dev r0`, which the guard runs when no /dev/drbd/by-res link exists (as in these tests)."""
        return self.then("drbdadm", "sh-dev", "r0", stdout="/dev/drbd0\n")

    def always(self, *argv: str, rc: int = 0, stdout: str = "", stderr: str = "") -> Scripted:
        self.forever[argv] = Result(argv=argv, rc=rc, stdout=stdout, stderr=stderr, elapsed=0.0)
        return self

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result:
        got = tuple(argv)
        while self.expected and id(self.expected[0]) in self.repeating:
            head = self.expected[0]
            if head.matches(got):
                self.used.add(id(head))
                self.expected.insert(0, head)  # the base class consumes the copy, the original stays
                break
            if id(head) not in self.used:
                break
            self.expected.pop(0)
        if not self.expected and got in self.forever:
            self.ran.append(Ran(argv=got, input=input, remaining=deadline.remaining()))
            return self.forever[got]
        try:
            return super().__call__(argv, deadline, input=input)
        except AssertionError as exc:
            self.mismatch = self.mismatch or str(exc)
            raise

    def done(self) -> None:
        assert self.mismatch is None, self.mismatch
        if self.expected and id(self.expected[-1]) in self.used:
            self.expected.pop()
        self.assert_done()


def row(tool: str, name: str, flags: str = "-b----", domid: int = 3, *, mem: int = 2048, vcpus: int = 2) -> str:
    sep = "  " if tool == "xl" else " "
    return f"{name:<40} {domid:5d} {mem:5d} {vcpus:5d}     {flags}{sep}{845.2:8.1f}\n"


def listing(tool: str, *rows: str, dom0: bool = True) -> str:
    head = XL_HEADER if tool == "xl" else XM_HEADER
    zero = row(tool, "Domain-0", "r-----", 0, mem=4096, vcpus=4) if dom0 else ""
    return head + zero + "".join(rows)


def one(tool: str, name: str = "web1", flags: str = "-b----", **kw: int) -> str:
    return listing(tool, row(tool, name, flags, **kw), dom0=False)


def absent(script: Scripted, tool: str, name: str = "web1") -> Scripted:
    return script.then(tool, "list", name, rc=1, stderr=NOT_FOUND[tool].format(name=name))


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def reasons(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("ocf-exit-reason:")]

    @property
    def reason(self) -> str:
        assert len(self.reasons) == 1, self.stderr
        return self.reasons[0].removeprefix("ocf-exit-reason:")


@pytest.fixture
def node(tmp_path):
    """Runs one action with a scripted runner; a config file web1.cfg with one DRBD disk and a private run dir."""

    config = tmp_path / "web1.cfg"
    config.write_text("name = 'web1'\nmemory = 2048\nvcpus = 2\ndisk = ['drbd:r0,xvda,w']\n")
    proc = tmp_path / "proc_drbd"
    proc.write_text((FIXTURES / "reconstructed/proc_drbd/84_connected_secondary_secondary.txt").read_text())
    runner_dir = tmp_path / "run"
    # xenfs of a dom0 (Linux drivers/xen/xenfs/super.c); a node without Xen has no /proc/xen at all (no_xen())
    capabilities = tmp_path / "proc_xen" / "capabilities"
    capabilities.parent.mkdir()
    capabilities.write_text("control_d\n")

    class Node:
        def __init__(self) -> None:
            self.config = config
            self.proc = proc
            self.run_dir = runner_dir
            self.capabilities = capabilities

        def no_xen(self) -> None:
            """A kernel booted without Xen: not even the /proc/xen mount point (xenbus_init makes it under Xen)."""
            shutil.rmtree(capabilities.parent)

        def __call__(self, action: str, script: Scripted, *, tool: str | None = "xl", interval: int = 10000,
                     meta: dict[str, str] | None = None, env: dict[str, str] | None = None,
                     **params: str) -> Outcome:  # fmt: skip
            environ = {
                "HA_LOGFACILITY": "none",
                "XENHA_LOG_STDERR": "1",
                "OCF_RESOURCE_INSTANCE": "web1",
                "OCF_RESOURCE_TYPE": "XenDomainHA",
                "XENHA_RUN_DIR": str(runner_dir),
                "XENHA_PROC_DRBD": str(proc),
                "XENHA_PROC_XEN_CAPABILITIES": str(capabilities),
                "PATH": "/nonexistent",
                "OCF_RESKEY_CRM_meta_timeout": "20000",
                "OCF_RESKEY_CRM_meta_interval": str(interval),
                "OCF_RESKEY_CRM_meta_on_node": "ha1",
                "OCF_RESKEY_config": str(config),
                **({"OCF_RESKEY_toolstack": tool} if tool else {}),
                **{f"OCF_RESKEY_{k}": v for k, v in params.items()},
                **{f"OCF_RESKEY_CRM_meta_{k}": v for k, v in (meta or {}).items()},
                **(env or {}),
            }
            out, err = io.StringIO(), io.StringIO()
            handlers = bind_handlers(AGENT, params_from, TABLE, runner=script)
            started = time.monotonic()
            code = ocf.run(AGENT, handlers, environ, ["XenDomainHA", action], stdout=out, stderr=err)
            elapsed = time.monotonic() - started
            script.done()
            return Outcome(code, out.getvalue(), err.getvalue(), elapsed)

        def proc_drbd(self, name: str) -> None:
            proc.write_text((FIXTURES / f"reconstructed/proc_drbd/{name}.txt").read_text())

    return Node()


def env_of(action: str = "monitor", **params: str) -> Env:
    # A run dir that cannot exist: nothing is remembered between these calls, nor written to the real /run/xenha.
    environ = {
        "OCF_RESOURCE_INSTANCE": "web1",
        "XENHA_RUN_DIR": "/dev/null/xenha",
        **{f"OCF_RESKEY_{k}": v for k, v in params.items()},
    }
    return Env.from_environ(environ, ["XenDomainHA", action], resource_type="XenDomainHA")


# -- meta-data and parameters ----------------------------------------------------------------------------------------


def test_metadata_validates_against_ra_api_dtd_and_declares_every_parameter():
    out = io.StringIO()
    assert ocf.run(AGENT, xendomain.HANDLERS, {}, ["XenDomainHA", "meta-data"], stdout=out) == 0
    text = out.getvalue()
    lint = subprocess.run(
        ["xmllint", "--noout", "--valid", "-"], input=text, text=True, capture_output=True,
        cwd="/usr/share/resource-agents", check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stderr
    for param in AGENT.parameters:
        assert f'name="{param.name}"' in text
        assert param.longdesc.rstrip().endswith(("Reloadable.", "Not reloadable."))
        assert param.reloadable == (param.name not in ("config", "name"))
    assert {a.name for a in AGENT.actions} >= {"start", "stop", "monitor", "migrate_to", "migrate_from", "reload"}


def test_params_name_comes_from_parameter_then_config_then_instance(tmp_path):
    config = tmp_path / "c.cfg"
    config.write_text("name = 'fromcfg'\n")
    assert params_from(env_of(config=str(config), name="web1")).name == "web1"
    p = params_from(env_of(config=str(config)))
    assert (p.name, p.name_source) == ("fromcfg", "config")
    p = params_from(env_of(config=str(tmp_path / "missing.cfg")))
    assert (p.name, p.name_source) == ("web1", "instance")
    assert "does not exist" in (p.config_problem or "")


def test_params_monitor_with_a_name_does_not_read_the_config(tmp_path):
    p = params_from(env_of(config=str(tmp_path / "missing.cfg"), name="web1"))
    assert p.domu is None
    assert p.config_problem is None


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"name": "42"}, "all digits"),
        ({"name": "web 1"}, "1-64 characters"),
        ({"name": "web1--incoming"}, "transient"),
        ({"name": "Domain-0"}, "dom0"),
        ({"toolstack": "xe"}, "toolstack='xe'"),
        ({"shutdown_timeout": "soon"}, "shutdown_timeout='soon'"),
        ({"drbd_guard": "perhaps"}, "drbd_guard='perhaps' is not a boolean"),
        ({"migration_address": "ha1"}, "not NODE=ADDRESS"),
        ({"migrate_options": "-s 'unclosed"}, "migrate_options"),
        ({"migration_port": "70000"}, "not a TCP port"),
        ({"migration_port": "2222", "migrate_options": "-s ssh"}, "both set the ssh command"),
        ({"config": "relative.cfg"}, "not an absolute path"),
    ],
)
def test_params_refused(tmp_path, params, words):
    config = tmp_path / "c.cfg"
    config.write_text("name = 'web1'\n")
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        params_from(env_of("start", **{"config": str(config), **params}))


def test_stop_is_lenient_with_optional_parameters(tmp_path):
    p = params_from(env_of("stop", config=str(tmp_path / "gone.cfg"), shutdown_timeout="soon", toolstack="xe"))
    assert (p.name, p.shutdown_timeout, p.toolstack) == ("web1", None, "auto")


def test_params_parse_migration_settings(tmp_path):
    p = params_from(
        env_of(
            name="web1", config="/etc/xen/web1.cfg", migration_address="ha1=ha1X ha2=10.1.1.2",
            migrate_options='-s "socat - TCP:x:1" --debug', migration_port="", drbd_guard="no",
            monitor_scripts="/a /b", autoset_utilization_cpu="yes",
        )
    )  # fmt: skip
    assert p.migration_address == (("ha1", "ha1X"), ("ha2", "10.1.1.2"))
    assert p.migrate_options == ("-s", "socat - TCP:x:1", "--debug")
    assert (p.drbd_guard, p.monitor_scripts, p.autoset_cpu, p.autoset_hv_memory) == (False, ("/a", "/b"), True, False)


# -- pure decisions --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "health"),
    [
        ("r-----", Health.RUNNING),
        ("-b----", Health.RUNNING),
        ("------", Health.RUNNING),
        ("--p---", Health.PAUSED),
        ("---sc-", Health.CRASHED),
        ("---s--", Health.SHUT_DOWN),
        ("---sr-", Health.SHUT_DOWN),
        ("--pss-", Health.SHUT_DOWN),
        ("-b---d", Health.DYING),
    ],
)
def test_assess_xl(flags, health):
    assert assess(parse_xl_list(one("xl", flags=flags))[0]) is health


def test_assess_xm_and_absent():
    assert assess(parse_xm_list(one("xm", flags="----c-"))[0]) is Health.CRASHED
    assert assess(parse_xm_list(one("xm", flags="r-----"))[0]) is Health.RUNNING
    assert assess(None) is Health.ABSENT


def test_stop_plan_covers_transient_names():
    xl = parse_xl_list(
        listing(
            "xl", row("xl", "web1--incoming", "--p---", 9), row("xl", "web1--migratedaway", "---ss-", 3),
            row("xl", "web10", "-b----", 4), row("xl", "(null)", "--psc-", 5),
        )
    )  # fmt: skip
    assert stop_plan(xl, "web1") == (StopStep("web1--migratedaway", False), StopStep("web1--incoming", False))
    xl = parse_xl_list(listing("xl", row("xl", "web1", "--p---")))
    assert stop_plan(xl, "web1") == (StopStep("web1", True, unpause=True),)
    xm = parse_xm_list(listing("xm", row("xm", "migrating-web1", "-b----")))
    assert stop_plan(xm, "web1") == (StopStep("migrating-web1", True),)
    xm = parse_xm_list(listing("xm", row("xm", "web1", "----c-")))
    assert stop_plan(xm, "web1") == (StopStep("web1", False),)


def test_migration_address_precedence():
    mapping = (("ha2", "ha2X"),)
    assert migration_address("ha2", mapping, "10.0.0.2", "-mig") == ("ha2X", "migration_address")
    assert migration_address("ha3", mapping, "10.0.0.3", "-mig") == ("10.0.0.3", "node_ip_attribute")
    assert migration_address("ha3", mapping, "(null)", "-mig") == ("ha3-mig", "migration_network_suffix")
    assert migration_address("ha3", (), None, "") == ("ha3", "node name")


def test_command_lines():
    assert create_argv("xl", "/c", "web1", override_name=True) == ["xl", "create", "/c", 'name="web1"']
    assert create_argv("xm", "/c", "web1", override_name=True) == ["xm", "create", "/c", "name=web1"]
    assert create_argv("xl", "/c", "web1", override_name=False) == ["xl", "create", "/c"]
    assert migrate_argv("xl", "web1", "ha2X", ("--debug",), 2222) == [
        "xl", "migrate", "--debug", "-s", "ssh -p 2222", "web1", "ha2X",
    ]  # fmt: skip
    assert migrate_argv("xm", "web1", "ha2X", (), 8002) == ["xm", "migrate", "--live", "--port=8002", "web1", "ha2X"]


# -- monitor ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("flags", ["r-----", "-b----"])
def test_monitor_running_is_one_list(node, tool, flags):
    out = node("monitor", Scripted().then(tool, "list", "web1", stdout=one(tool, flags=flags)), tool=tool)
    assert out.code == ExitCode.SUCCESS
    assert out.reasons == []


@pytest.mark.parametrize("tool", TOOLS)
def test_monitor_paused_is_running_with_a_warning(node, tool):
    out = node("monitor", Scripted().then(tool, "list", "web1", stdout=one(tool, flags="--p---")), tool=tool)
    assert out.code == ExitCode.SUCCESS
    assert "WARNING: domU web1: paused" in out.stderr


@pytest.mark.parametrize(
    ("tool", "flags", "words"),
    [
        ("xl", "---sc-", "domU web1: crashed (flags ---sc-)"),
        ("xm", "----c-", "domU web1: crashed (flags ----c-)"),
        ("xl", "---s--", "domU web1: shut down but still present (flags ---s--)"),
        ("xl", "---sr-", "domU web1: shut down (reboot) but still present"),
        ("xm", "---s--", "domU web1: shut down but still present"),
        ("xl", "-b---d", "domU web1: dying"),
    ],
)
def test_monitor_failed_states(node, tool, flags, words):
    out = node("monitor", Scripted().then(tool, "list", "web1", stdout=one(tool, flags=flags)), tool=tool)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason.startswith(words)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("interval", [0, 10000])
def test_monitor_absent_is_7_at_once_without_a_reason(node, tool, interval):
    out = node("monitor", absent(Scripted(), tool), tool=tool, interval=interval)
    assert out.code == ExitCode.NOT_RUNNING
    assert out.reasons == []
    assert out.elapsed < 0.5


def test_monitor_of_an_xend_domain_that_is_not_started_is_7(node):
    text = XM_HEADER + f"{'web1':<40} {'':>5} {2048:5d} {2:5d} {'':>10} {0.0:8.1f}\n"
    assert node("monitor", Scripted().then("xm", "list", "web1", stdout=text), tool="xm").code == 7


def test_probe_without_config_or_toolstack_is_7(node):
    node.config.unlink()
    script = Scripted().then("xl", "list", "web1", missing=True).then("xm", "list", "web1", missing=True)
    out = node("monitor", script, tool=None, interval=0)
    assert out.code == ExitCode.NOT_RUNNING
    assert out.reasons == []


def test_probe_finds_a_running_domain_even_without_its_config(node):
    node.config.unlink()
    out = node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl")), interval=0)
    assert out.code == ExitCode.SUCCESS


def test_monitor_xend_down_is_an_error(node):
    err = "Error: Unable to connect to xend: No such file or directory. Is xend running?\n"
    out = node("monitor", Scripted().then("xm", "list", "web1", rc=1, stderr=err), tool="xm")
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: xm list failed: " + err.strip()


def test_auto_toolstack_is_probed_once_and_remembered(node):
    script = Scripted().then("xl", "list", "web1", missing=True).then("xm", "list", "web1", stdout=one("xm"))
    assert node("monitor", script, tool=None).code == 0
    assert (node.run_dir / "XenDomainHA" / "toolstack").read_text() == "xm\n"
    assert node("monitor", Scripted().then("xm", "list", "web1", stdout=one("xm")), tool=None).code == 0
    # xl answers, but with xend running it refuses: auto falls back to xm and keeps it
    (node.run_dir / "XenDomainHA" / "toolstack").unlink()
    refusal = "libxl: error: libxl.c:87:libxl_ctx_alloc: cannot open libxc handle: Permission denied\n"
    script = Scripted().then("xl", "list", "web1", rc=1, stderr=refusal).then("xm", "list", "web1", stdout=one("xm"))
    assert node("monitor", script, tool=None).code == 0


def test_auto_toolstack_relearns_when_the_remembered_one_is_gone(node):
    (node.run_dir / "XenDomainHA").mkdir(parents=True, mode=0o700)
    (node.run_dir / "XenDomainHA" / "toolstack").write_text("xm\n")
    script = Scripted().then("xm", "list", "web1", missing=True).then("xl", "list", "web1", stdout=one("xl"))
    assert node("monitor", script, tool=None).code == 0
    assert (node.run_dir / "XenDomainHA" / "toolstack").read_text() == "xl\n"


def test_remembered_toolstack_that_prints_no_listing_is_replaced(node):
    """The monitor reads its one listing itself; what it cannot read goes through open_toolstack, not run twice."""
    remember(node, "xl")
    script = Scripted().then("xl", "list", "web1", stdout="garbage\n").then("xm", "list", "web1", stdout=one("xm"))
    assert node("monitor", script, tool=None).code == 0
    assert (node.run_dir / "XenDomainHA" / "toolstack").read_text() == "xm\n"


def _flag_strings(tool: str) -> list[str]:
    if tool == "xm":
        return ["".join(p) for p in itertools.product(*[(letter, "-") for letter in "rbpscd"])]
    combos = itertools.product("r-", "b-", "p-", "s-", "-rscwS?", "d-")
    return ["".join(p) for p in combos if p[3] == "s" or p[4] == "-"]  # xl prints a reason only with `s`


@pytest.mark.parametrize("tool", TOOLS)
def test_monitor_agrees_with_assess_on_every_state_string(node, tool):
    """The monitor reads the listed state itself (no xenha.xen.domain on its path); assess is the reference."""
    parse = parse_xl_list if tool == "xl" else parse_xm_list
    for flags in _flag_strings(tool):
        health = assess(parse(one(tool, flags=flags))[0])
        expected = {Health.RUNNING: 0, Health.PAUSED: 0}.get(health, 1)
        out = node("monitor", Scripted().then(tool, "list", "web1", stdout=one(tool, flags=flags)), tool=tool)
        assert out.code == expected, (flags, health, out.stderr)


def test_monitor_remembers_the_name_from_the_config_by_its_stat(node):
    """Without the name parameter a monitor parses the config once, then only when the file changed."""
    node.config.write_text("name = 'web1'\nmemory = 512\n")
    assert node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl"))).code == 0
    remembered = [p.name for p in (node.run_dir / "XenDomainHA").iterdir() if p.name.startswith("config-name.")]
    assert len(remembered) == 1
    # Same size, same mtime, same inode: the remembered name is used and the file is not read (it would say web2).
    info = node.config.stat()
    with open(node.config, "r+") as handle:
        handle.write("name = 'web2'\nmemory = 512\n")
    os.utime(node.config, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl"))).code == 0
    # A change the stat shows (here the size) makes the next monitor read the file again.
    node.config.write_text("name = 'web2'\nmemory = 1024\n")
    assert node("monitor", Scripted().then("xl", "list", "web2", stdout=one("xl", name="web2"))).code == 0
    # A config that no longer parses: the resource's name, as before the cache existed.
    node.config.write_text("import os\n")
    assert node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl"))).code == 0


def hangs(script: Scripted, *argv: str, after: float = 17.5) -> Scripted:
    """The command runs until the runner kills it at the op's deadline, `after` seconds in (Result.timed_out)."""
    script.expect(list(argv), respond=lambda got: Result(got, None, "", "", after, timed_out=True))
    return script


def remember(node, tool: str) -> None:
    (node.run_dir / "XenDomainHA").mkdir(parents=True, mode=0o700, exist_ok=True)
    (node.run_dir / "XenDomainHA" / "toolstack").write_text(f"{tool}\n")


@pytest.mark.parametrize("interval", [0, 10000])
def test_auto_toolstack_does_not_fall_back_when_xl_hangs(node, interval):
    """Issue 11: xl used up the budget, then xm found none left and took the blame; a hang is xl's failure."""
    out = node("monitor", hangs(Scripted(), "xl", "list", "web1"), tool=None, interval=interval)
    assert (out.code, out.reason) == (ExitCode.ERR_GENERIC, "domU web1: xl list timed out after 17.5s")


@pytest.mark.parametrize("action", ["monitor", "stop", "start"])
def test_remembered_toolstack_that_hangs_is_the_reason(node, action):
    remember(node, "xm")
    argv = ("xm", "list", "web1") if action == "monitor" else ("xm", "list")
    out = node(action, hangs(Scripted(), *argv, after=20.0), tool=None)
    assert (out.code, out.reason) == (ExitCode.ERR_GENERIC, "domU web1: xm list timed out after 20.0s")
    assert (node.run_dir / "XenDomainHA" / "toolstack").read_text() == "xm\n"


def test_no_fallback_once_the_budget_is_spent(node):
    """xl answers, unusably, but only when the op has no time left: its failure is the answer, xm is not tried."""
    refusal = "libxl: error: libxl.c:87:libxl_ctx_alloc: cannot open libxc handle: Permission denied\n"

    def slow(got: tuple[str, ...]) -> Result:
        time.sleep(0.6)
        return Result(got, 1, "", refusal, 0.6)

    script = Scripted()
    script.expect(["xl", "list", "web1"], respond=slow)
    out = node("monitor", script, tool=None, meta={"timeout": "1000"})  # a 0.5 s budget
    assert (out.code, out.reason) == (ExitCode.ERR_GENERIC, "domU web1: xl list failed: " + refusal.strip())


def test_xl_that_is_unusable_within_the_budget_still_falls_back(node):
    refusal = "libxl: error: libxl.c:87:libxl_ctx_alloc: cannot open libxc handle: Permission denied\n"
    script = Scripted().then("xl", "list", "web1", rc=1, stderr=refusal).then("xm", "list", "web1", stdout=one("xm"))
    assert node("monitor", script, tool=None).code == ExitCode.SUCCESS


# -- a node without Xen (issue 11) -----------------------------------------------------------------------------------

# What xl prints on a kernel booted without Xen: Xen 4.7+ (tools/libs/call/linux.c:54, tools/libs/light/libxl.c:102,
# tools/xl/xl.c:346 at RELEASE-4.17.3; the same three lines appear in users' reports), and Xen 4.1-4.6, where libxc
# opened privcmd itself (tools/libxc/xc_linux_osdep.c:54, xc_private.h:127, libxl.c:92 at RELEASE-4.4.0).
XL_NO_XEN = {
    "4.17": (
        "xencall: error: Could not obtain handle on privileged command interface: No such file or directory\n"
        "libxl: error: libxl.c:102:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n"
        "cannot init xl context\n"
    ),
    "4.4": (
        "xc: error: Could not obtain handle on privileged command interface (2 = No such file or directory): "
        "Internal error\n"
        "libxl: error: libxl.c:92:libxl_ctx_alloc: cannot open libxc handle: No such file or directory\n"
        "cannot init xl context\n"
    ),
}
XEND_DOWN = "Error: Unable to connect to xend: No such file or directory. Is xend running?\n"


@pytest.mark.parametrize("xen", sorted(XL_NO_XEN))
@pytest.mark.parametrize("tool", ["xl", None])
def test_probe_without_xen_is_7_with_an_info_line(node, xen, tool):
    node.no_xen()
    out = node("monitor", Scripted().then("xl", "list", "web1", rc=1, stderr=XL_NO_XEN[xen]), tool=tool, interval=0)
    assert (out.code, out.reasons) == (ExitCode.NOT_RUNNING, [])
    assert "INFO: domU web1: no Xen hypervisor here (xl list: " in out.stderr
    assert not (node.run_dir / "XenDomainHA" / "toolstack").exists()


def test_recurring_monitor_without_xen_is_7_with_a_warning(node):
    node.no_xen()
    out = node("monitor", Scripted().then("xl", "list", "web1", rc=1, stderr=XL_NO_XEN["4.17"]), tool=None)
    assert (out.code, out.reasons) == (ExitCode.NOT_RUNNING, [])
    assert "WARNING: domU web1: no Xen hypervisor here" in out.stderr


@pytest.mark.parametrize("caps", [None, ""])  # no xenfs at all; xenfs of a domU (empty)
def test_xm_without_xen_is_7_and_stop_succeeds(node, caps):
    if caps is None:
        node.no_xen()
    else:
        node.capabilities.write_text(caps)
    out = node("monitor", Scripted().then("xm", "list", "web1", rc=1, stderr=XEND_DOWN), tool="xm", interval=0)
    assert (out.code, out.reasons) == (ExitCode.NOT_RUNNING, [])
    assert "no Xen hypervisor here (xm list: " + XEND_DOWN.strip() in out.stderr
    out = node("stop", Scripted().then("xm", "list", rc=1, stderr=XEND_DOWN), tool="xm")
    assert (out.code, out.reasons) == (ExitCode.SUCCESS, [])
    assert "INFO: domU web1: no Xen hypervisor here" in out.stderr


def test_stop_without_xen_is_one_list(node):
    node.no_xen()
    out = node("stop", Scripted().then("xl", "list", rc=1, stderr=XL_NO_XEN["4.17"]), tool=None)
    assert (out.code, out.reasons) == (ExitCode.SUCCESS, [])
    assert "nothing to stop" in out.stderr


@pytest.mark.parametrize("action", ["start", "migrate_from"])
def test_start_without_xen_is_not_installed(node, action):
    node.no_xen()
    out = node(action, Scripted().then("xl", "list", rc=1, stderr=XL_NO_XEN["4.17"]), tool=None)
    assert out.code == ExitCode.ERR_INSTALLED
    assert out.reason.startswith("domU web1: no Xen hypervisor here (xl list: xencall: error: Could not obtain")


@pytest.mark.parametrize("interval", [0, 10000])
def test_a_broken_toolstack_on_a_dom0_stays_an_error(node, interval):
    """The same words while xenfs says dom0 (privcmd missing on a running Xen): a guest may run unseen, so 1."""
    script = Scripted().then("xl", "list", "web1", rc=1, stderr=XL_NO_XEN["4.17"])
    out = node("monitor", script, tool="xl", interval=interval)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason.startswith("domU web1: xl list failed: xencall: error: Could not obtain handle")


def test_xend_down_on_a_dom0_stays_an_error_in_a_probe(node):
    out = node("monitor", Scripted().then("xm", "list", "web1", rc=1, stderr=XEND_DOWN), tool="xm", interval=0)
    assert (out.code, out.reason) == (ExitCode.ERR_GENERIC, "domU web1: xm list failed: " + XEND_DOWN.strip())


@pytest.mark.parametrize("how", ["unmounted", "unreadable"])
def test_capabilities_that_say_nothing_do_not_mean_no_xen(node, how):
    """/proc/xen without xenfs mounted exists only under Xen; a file that cannot be read proves nothing either."""
    node.capabilities.unlink()
    if how == "unreadable":
        node.capabilities.mkdir()  # read() fails with EISDIR
    for tool, stderr in (("xm", XEND_DOWN), ("xl", XL_NO_XEN["4.17"])):
        out = node("monitor", Scripted().then(tool, "list", "web1", rc=1, stderr=stderr), tool=tool, interval=0)
        assert out.code == ExitCode.ERR_GENERIC


def test_utilization_is_written_only_when_it_changes(node):
    util = {"autoset_utilization_cpu": "true", "autoset_utilization_hv_memory": "true"}
    script = (
        Scripted()
        .then("xl", "list", "web1", stdout=one("xl"))
        .then("crm_resource", "-r", "web1", "-z", "-p", "cpu", "-v", "2")
        .then("crm_resource", "-r", "web1", "-z", "-p", "hv_memory", "-v", "2048")
    )
    assert node("monitor", script, **util).code == 0
    assert node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl")), **util).code == 0
    script = (
        Scripted()
        .then("xl", "list", "web1", stdout=one("xl", vcpus=4))
        .then("crm_resource", "-r", "web1", "-z", "-p", "cpu", "-v", "4")
    )
    assert node("monitor", script, **util).code == 0


def test_monitor_scripts_run_only_at_depth_10(node):
    scripts = {"monitor_scripts": "/usr/local/bin/check-http /usr/local/bin/check-db"}
    assert node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl")), **scripts).code == 0
    script = (
        Scripted()
        .then("xl", "list", "web1", stdout=one("xl"))
        .then("/usr/local/bin/check-http")
        .then("/usr/local/bin/check-db", rc=3, stderr="db down\n")
    )
    out = node("monitor", script, env={"OCF_CHECK_LEVEL": "10"}, **scripts)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: monitor script /usr/local/bin/check-db failed: check-db exited 3: db down"


# -- stop ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_stop_when_stopped_is_one_list_and_fast(node, tool):
    out = node("stop", Scripted().then(tool, "list", stdout=listing(tool)), tool=tool)
    assert out.code == ExitCode.SUCCESS
    assert out.elapsed < 0.3


@pytest.mark.parametrize("tool", TOOLS)
def test_stop_shuts_down_cleanly(node, tool):
    script = Scripted().then(tool, "list", stdout=listing(tool, row(tool, "web1"))).then(tool, "shutdown", "web1")
    out = node("stop", absent(script, tool), tool=tool)
    assert out.code == ExitCode.SUCCESS
    assert "domU web1: shut down cleanly" in out.stderr


def test_stop_with_shutdown_timeout_0_destroys_at_once(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1"))).then("xl", "destroy", "web1")
    out = node("stop", absent(script, "xl"), shutdown_timeout="0")
    assert out.code == ExitCode.SUCCESS


def test_stop_escalates_to_destroy_after_the_shutdown_budget(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1"))).then("xl", "shutdown", "web1")
    script.then("xl", "list", "web1", stdout=one("xl"), repeat=True)  # the guest ignores the request
    script.then("xl", "destroy", "web1")
    out = node("stop", absent(script, "xl"), shutdown_timeout="1")
    assert out.code == ExitCode.SUCCESS
    assert "did not shut down in time; destroying it" in out.stderr


def test_stop_with_power_button_and_a_paused_guest(node):
    script = (
        Scripted()
        .then("xl", "list", stdout=listing("xl", row("xl", "web1", "--p---")))
        .then("xl", "unpause", "web1")
        .then("xl", "trigger", "web1", "power")
    )
    assert node("stop", absent(script, "xl"), shutdown_acpi="true").code == 0


def test_stop_destroys_at_once_when_the_shutdown_is_refused(node):
    refusal = "libxl: error: libxl_domain.c:1569:libxl_domain_shutdown: PV control interface not available\n"
    script = (
        Scripted()
        .then("xl", "list", stdout=listing("xl", row("xl", "web1")))
        .then("xl", "shutdown", "web1", rc=1, stderr=refusal)
        .then("xl", "destroy", "web1")
    )
    assert node("stop", absent(script, "xl")).code == 0


@pytest.mark.parametrize("tool", TOOLS)
def test_stop_crashed_guest_is_destroyed_without_a_shutdown(node, tool):
    flags = "---sc-" if tool == "xl" else "----c-"
    script = Scripted().then(tool, "list", stdout=listing(tool, row(tool, "web1", flags))).then(tool, "destroy", "web1")
    assert node("stop", absent(script, tool), tool=tool).code == 0


def test_stop_handles_xl_transient_names(node):
    rows = row("xl", "web1--migratedaway", "---ss-", 3) + row("xl", "web1--incoming", "--p---", 9)
    script = Scripted().then("xl", "list", stdout=listing("xl", rows))
    script.then("xl", "destroy", "web1--migratedaway")
    absent(script, "xl", "web1--migratedaway")
    script.then("xl", "destroy", "web1--incoming")
    absent(script, "xl", "web1--incoming")
    assert node("stop", script).code == 0


def test_stop_handles_xm_migrating_name(node):
    script = Scripted().then("xm", "list", stdout=listing("xm", row("xm", "migrating-web1")))
    script.then("xm", "shutdown", "migrating-web1")
    absent(script, "xm", "migrating-web1")
    assert node("stop", script, tool="xm").code == 0


def test_stop_without_config_finds_the_domain_by_instance_name(node):
    node.config.unlink()
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1"))).then("xl", "shutdown", "web1")
    assert node("stop", absent(script, "xl"), tool=None, shutdown_timeout="bogus").code == 0


def test_stop_waits_for_a_rebooting_guest(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "(null)", "---sr-", 3)))
    script.then("xl", "list", stdout=listing("xl", row("xl", "web1", "r-----", 4)))
    script.then("xl", "shutdown", "web1")
    assert node("stop", absent(script, "xl")).code == 0


def test_stop_that_cannot_destroy_fails(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1", "---sc-")))
    script.always("xl", "destroy", "web1", rc=1, stderr="libxl: error: destroy failed\n")
    script.always("xl", "list", "web1", stdout=one("xl", flags="---sc-"))
    out = node("stop", script, meta={"timeout": "2000"})
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: still present after destroy"


# -- start -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_start_when_running_is_one_list(node, tool):
    out = node("start", Scripted().then(tool, "list", stdout=listing(tool, row(tool, "web1"))), tool=tool)
    assert out.code == ExitCode.SUCCESS


@pytest.mark.parametrize("tool", TOOLS)
def test_start_creates_and_waits(node, tool):
    script = Scripted().then(tool, "list", stdout=listing(tool)).sh_dev()
    script.then(tool, "create", str(node.config)).then(tool, "list", "web1", stdout=one(tool, flags="--p---"))
    script.then(tool, "list", "web1", stdout=one(tool, flags="r-----"))
    out = node("start", script, tool=tool, meta={"timeout": "60000"})
    assert out.code == ExitCode.SUCCESS
    assert "domU web1: started" in out.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_start_passes_a_name_that_differs_from_the_config(node, tool):
    expected = 'name="web1"' if tool == "xl" else "name=web1"
    node.config.write_text("name = 'template'\ndisk = ['phy:/dev/vg0/web1,xvda,w']\n")
    script = Scripted().then(tool, "list", stdout=listing(tool)).then(tool, "create", str(node.config), expected)
    script.then(tool, "list", "web1", stdout=one(tool))
    assert node("start", script, tool=tool, name="web1").code == 0


@pytest.mark.parametrize(
    ("proc", "words"),
    [
        ("84_connected_secondary_primary", "drbd r0: Primary on the peer"),
        ("84_inconsistent_both_new_resource", "drbd r0: local data is Inconsistent, not UpToDate"),
    ],
)
@pytest.mark.parametrize("tool", TOOLS)
def test_start_refused_by_the_drbd_guard(node, tool, proc, words):
    node.proc_drbd(proc)
    script = Scripted().then(tool, "list", stdout=listing(tool)).sh_dev()
    out = node("start", script, tool=tool)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason.startswith(f"domU web1: refusing to start: {words}")


def test_start_guard_cannot_read_drbd(node):
    node.proc.unlink()
    out = node("start", Scripted().then("xl", "list", stdout=listing("xl")))
    assert out.code == ExitCode.ERR_GENERIC
    # pytest's temporary path makes it longer than pacemaker keeps: ocf.run prints it clipped
    assert out.reason == ocf.clip_reason(
        f"domU web1: cannot verify DRBD, not starting: drbd r0: {node.proc}: DRBD is not loaded"
    )


def test_start_without_the_guard_does_not_look_at_drbd(node):
    node.proc_drbd("84_connected_secondary_primary")
    script = Scripted().then("xl", "list", stdout=listing("xl")).then("xl", "create", str(node.config))
    script.then("xl", "list", "web1", stdout=one("xl"))
    assert node("start", script, drbd_guard="false").code == 0


def test_start_guard_passes_and_creates(node):
    script = Scripted().then("xl", "list", stdout=listing("xl")).sh_dev()
    script.then("xl", "create", str(node.config)).then("xl", "list", "web1", stdout=one("xl"))
    out = node("start", script)
    assert out.code == 0
    assert "DRBD guard: drbd r0 safe to use here" in out.stderr


def test_start_refused_on_a_resource_drbddualprimary_marked_split_brain(node):
    # the mark DrbdDualPrimary leaves under the same run directory (XENHA_RUN_DIR here, /run/xenha in production)
    (node.run_dir / "DrbdDualPrimary").mkdir(parents=True)
    (node.run_dir / "DrbdDualPrimary" / "split-brain.r0").write_text("0\n")
    script = Scripted().then("xl", "list", stdout=listing("xl")).sh_dev()
    out = node("start", script)
    assert out.code != 0
    assert "unresolved split-brain of r0" in out.stderr


def test_start_waits_for_an_incoming_migration_instead_of_creating(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1--incoming", "--p---")))
    absent(script, "xl").then("xl", "list", "web1", stdout=one("xl"))
    assert node("start", script).code == 0


def test_start_destroys_a_crashed_leftover_first(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1", "---sc-")))
    script.then("xl", "destroy", "web1")
    absent(script, "xl").sh_dev()
    script.then("xl", "create", str(node.config)).then("xl", "list", "web1", stdout=one("xl"))
    assert node("start", script).code == 0


@pytest.mark.parametrize("tool", TOOLS)
def test_start_create_failure_and_crash(node, tool):
    script = Scripted().then(tool, "list", stdout=listing(tool)).sh_dev()
    script.then(tool, "create", str(node.config), rc=1, stderr="libxl: error: cannot make domain: -3\n")
    out = node("start", script, tool=tool)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == f"domU web1: {tool} create failed: libxl: error: cannot make domain: -3"
    script = Scripted().then(tool, "list", stdout=listing(tool)).sh_dev()
    script.then(tool, "create", str(node.config))
    script.then(tool, "list", "web1", stdout=one(tool, flags="---sc-" if tool == "xl" else "----c-"))
    out = node("start", script, tool=tool)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason.startswith("domU web1: crashed")
    assert out.reason.endswith("during start")


def test_start_without_config_is_not_installed(node):
    node.config.unlink()
    out = node("start", Scripted())
    assert out.code == ExitCode.ERR_INSTALLED
    assert out.reason == f"domU web1: config {node.config} does not exist on this node"


# -- migration -------------------------------------------------------------------------------------------------------

MIGRATE_OK = (REPO.parent / "shared/fixtures/reconstructed/xl/migrate_success_transcript.txt").read_text()


@pytest.mark.parametrize("tool", TOOLS)
def test_migrate_to_with_address_mapping(node, tool):
    node.proc_drbd("84_connected_primary_secondary")
    script = Scripted().then(tool, "list", "web1", stdout=one(tool)).sh_dev()
    expected = ["xl", "migrate"] if tool == "xl" else ["xm", "migrate", "--live"]
    script.then(*expected, "web1", "ha2X", stderr=MIGRATE_OK if tool == "xl" else "")
    out = node("migrate_to", script, tool=tool, meta={"migrate_target": "ha2"}, migration_address="ha2=ha2X")
    assert out.code == ExitCode.SUCCESS
    assert "domU web1: migrating to ha2 at ha2X (from migration_address)" in out.stderr


def test_migrate_to_reads_the_node_attribute_and_options(node):
    node.proc_drbd("84_connected_primary_secondary")
    script = Scripted().then("xl", "list", "web1", stdout=one("xl")).sh_dev()
    script.then("crm_attribute", "--node=ha2", "--name=mig_ip", "-G", "-q", stdout="10.9.0.2\n")
    script.then("xl", "migrate", "-s", "socat - TCP:x:1", "web1", "10.9.0.2")
    out = node("migrate_to", script, meta={"migrate_target": "ha2"}, node_ip_attribute="mig_ip",
               migrate_options="-s 'socat - TCP:x:1'")  # fmt: skip
    assert out.code == 0


def test_migrate_to_suffix_when_the_attribute_is_unset(node):
    script = Scripted().then("xl", "list", "web1", stdout=one("xl"))
    script.then("crm_attribute", "--node=ha2", "--name=mig_ip", "-G", "-q", rc=6, stderr="Error performing operation\n")
    script.then("xl", "migrate", "web1", "ha2X")
    out = node("migrate_to", script, meta={"migrate_target": "ha2"}, node_ip_attribute="mig_ip",
               migration_network_suffix="X", drbd_guard="false")  # fmt: skip
    assert out.code == 0


@pytest.mark.parametrize("tool", TOOLS)
def test_migrate_to_refused_when_the_target_cannot_take_the_disk(node, tool):
    node.proc.write_text(
        "version: 8.4.11-1 (api:1/proto:86-101)\n"
        "GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2018-11-03 01:26:55\n"
        " 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C r-----\n"
        "    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n"
    )
    script = Scripted().then(tool, "list", "web1", stdout=one(tool)).sh_dev()
    out = node("migrate_to", script, tool=tool, meta={"migrate_target": "ha2"})
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == (
        "domU web1: not migrating to ha2: drbd r0: not connected to ha2 (WFConnection); it cannot take the disk; "
        "it keeps running here"
    )


@pytest.mark.parametrize("tool", TOOLS)
def test_migrate_to_needs_a_target_and_a_running_guest(node, tool):
    out = node("migrate_to", Scripted(), tool=tool)
    assert out.code == ExitCode.ERR_ARGS
    out = node("migrate_to", absent(Scripted(), tool), tool=tool, meta={"migrate_target": "ha2"})
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: not running here, nothing to migrate to ha2"


def test_migrate_to_failure_keeps_the_guest_running_here(node):
    failed = "migration target: Domain creation failed (code -3).\nMigration failed, resuming at sender.\n"
    script = Scripted().then("xl", "list", "web1", stdout=one("xl"))
    script.then("xl", "migrate", "web1", "ha2", rc=1, stderr=failed)
    script.then("xl", "list", "web1", stdout=one("xl", flags="--p---")).then("xl", "unpause", "web1")
    out = node("migrate_to", script, meta={"migrate_target": "ha2"}, drbd_guard="0")
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == (
        "domU web1: migration to ha2 failed, it keeps running here: migration target: Domain creation failed (code -3)"
    )


def test_migrate_to_xm_failure(node):
    failed = "Error: can't connect: Connection refused\nUsage: xm migrate <Domain> <Host>\n"
    script = Scripted().then("xm", "list", "web1", stdout=one("xm"))
    script.then("xm", "migrate", "--live", "web1", "ha2", rc=1, stderr=failed)
    script.then("xm", "list", "web1", stdout=one("xm"))
    out = node("migrate_to", script, tool="xm", meta={"migrate_target": "ha2"}, drbd_guard="0")
    assert out.reason == "domU web1: migration to ha2 failed, it keeps running here: can't connect: Connection refused"


def test_migrate_to_undefined_outcome_is_left_alone(node):
    script = Scripted().then("xl", "list", "web1", stdout=one("xl"))
    script.then("xl", "migrate", "web1", "ha2", rc=1, stderr="** Migration failed during final handshake **\n")
    out = node("migrate_to", script, meta={"migrate_target": "ha2"}, drbd_guard="0")
    assert out.code == ExitCode.ERR_GENERIC
    assert "undefined state" in out.reason


@pytest.mark.parametrize("tool", TOOLS)
def test_migrate_from_waits_until_it_really_runs(node, tool):
    incoming = "web1--incoming" if tool == "xl" else "web1"
    script = Scripted().then(tool, "list", stdout=listing(tool, row(tool, incoming, "--p---")))
    if tool == "xl":
        absent(script, tool)
    else:
        script.then(tool, "list", "web1", stdout=one(tool, flags="--p---"))
    script.then(tool, "list", "web1", stdout=one(tool, flags="-b----"))
    assert node("migrate_from", script, tool=tool).code == 0


@pytest.mark.parametrize("tool", TOOLS)
def test_migrate_from_fails_at_once_when_nothing_arrived(node, tool):
    out = node("migrate_from", Scripted().then(tool, "list", stdout=listing(tool)), tool=tool)
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: not here after the migration"
    assert out.elapsed < 0.5


def test_migrate_from_times_out_when_it_stays_paused(node):
    script = Scripted().then("xl", "list", stdout=listing("xl", row("xl", "web1", "--p---")))
    script.then("xl", "list", "web1", stdout=one("xl", flags="--p---"), repeat=True)
    out = node("migrate_from", script, meta={"timeout": "1000"})
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: not running at the end of migrate_from (last seen: paused)"


# -- validate-all and reload ---------------------------------------------------------------------------------------


@pytest.fixture
def fake_bin(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("xl",):
        (bindir / tool).write_text("#!/bin/sh\nexit 0\n")
        (bindir / tool).chmod(0o755)
    return bindir


def test_validate_all(node, fake_bin):
    assert node("validate-all", Scripted(), env={"PATH": str(fake_bin)}).code == 0
    out = node("validate-all", Scripted(), tool="xm", env={"PATH": str(fake_bin)})
    assert (out.code, out.reason) == (ExitCode.ERR_INSTALLED, "domU web1: toolstack xm is not installed")
    out = node("validate-all", Scripted(), env={"PATH": str(fake_bin)}, monitor_scripts="/no/such/check")
    assert out.code == ExitCode.ERR_INSTALLED
    node.config.write_text("name = 'web1'\nimport os\n")
    out = node("validate-all", Scripted(), env={"PATH": str(fake_bin)})
    assert out.code == ExitCode.ERR_CONFIGURED
    assert out.reason.startswith(f"domU web1: config {node.config}: domU config: line 2:")


def test_validate_all_depth_10_checks_free_memory(node, fake_bin):
    info = "host                   : ha1\ntotal_memory           : 16384\nfree_memory            : 1024\n"
    script = absent(Scripted(), "xl").then("xl", "info", stdout=info)
    out = node("validate-all", script, env={"PATH": str(fake_bin), "OCF_CHECK_LEVEL": "10"})
    assert out.code == ExitCode.ERR_GENERIC
    assert out.reason == "domU web1: needs 2048 MiB, xl info shows 1024 MiB free"


def test_reload_forgets_cached_state(node):
    state = node.run_dir / "XenDomainHA"
    state.mkdir(parents=True, mode=0o700)
    (state / "utilization.web1").write_text("cpu=2\n")
    (state / "toolstack").write_text("xm\n")
    assert node("reload", Scripted()).code == 0
    assert not (state / "utilization.web1").exists()
    assert not (state / "toolstack").exists()


# -- ocf-tester on the simulator -------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("ocf-tester") is None, reason="ocf-tester (resource-agents) is not installed")
def test_ocf_tester_passes_on_the_simulator(tmp_path):
    """The whole ocf-tester sequence, meta-data as nobody included, against the simulated xl, in well under 10 s.

    ocf-tester runs `su nobody -s /bin/sh -c "AGENT meta-data"` when it runs as root; su (without -l) keeps the
    environment, PYTHONPATH included, so the launcher imports xenha from the checkout as nobody too.
    """
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for script in LAB_SCRIPTS.glob("*"):
        os.symlink(script, bindir / script.name)
    world = World(str(tmp_path / "world"))
    world.create()
    with world.transaction() as state:
        add_node(state, "ha1")
        xensim.set_config(state, shutdown_delay=0.2)  # a quick guest: what is timed here is the agent
    config = tmp_path / "web1.cfg"
    config.write_text("name = 'web1'\nmemory = 512\ndisk = ['phy:/dev/vg0/web1,xvda,w']\n")
    env = {
        "PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHONPATH": str(REPO / "lib"),
        "XENHA_SIM_WORLD": world.path,
        "XENHA_SIM_NODE": "ha1",
        "XENHA_RUN_DIR": str(tmp_path / "run"),
        "XENHA_PROC_DRBD": str(tmp_path / "proc_drbd"),
        "HA_LOGFACILITY": "none",
        "LC_ALL": "C",
    }
    started = time.monotonic()
    done = subprocess.run(
        ["ocf-tester", "-n", "web1", "-o", f"config={config}", str(REPO / "ocf" / "XenDomainHA")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed all tests" in done.stdout
    assert elapsed < 10.0
    with world.transaction() as state:
        assert [d.name for d in xensim.list_domains(state, "ha1", time.time()) if d.domid] == []


# -- found by the fuzz suite (tests/fuzz, #13) -------------------------------------------------------------------------


def test_a_node_attribute_value_that_is_an_option_never_reaches_crm_attribute_as_one(node):
    """node_ip_attribute=-a once ran `crm_attribute -N ha2 -n -a -G -q`; the name is refused, the value is data."""
    out = node("migrate_to", Scripted(), meta={"migrate_target": "ha2"}, node_ip_attribute="-a",
               migration_network_suffix="X", drbd_guard="false")  # fmt: skip
    assert out.code == ExitCode.ERR_CONFIGURED
    assert "node_ip_attribute='-a'" in out.stderr


def test_a_migration_address_that_is_an_option_is_refused(node):
    out = node("migrate_to", Scripted(), meta={"migrate_target": "ha2"}, migration_address="ha2=-C/etc/x",
               drbd_guard="false")  # fmt: skip
    assert out.code == ExitCode.ERR_CONFIGURED
    assert "starts with '-'" in out.stderr


def test_a_node_attribute_holding_an_option_is_not_used_as_the_address(node):
    script = Scripted().then("xl", "list", "web1", stdout=one("xl"))
    script.then("crm_attribute", "--node=ha2", "--name=mig_ip", "-G", "-q", stdout="-C/etc/evil\n")
    script.then("xl", "migrate", "web1", "ha2X")
    out = node("migrate_to", script, meta={"migrate_target": "ha2"}, node_ip_attribute="mig_ip",
               migration_network_suffix="X", drbd_guard="false")  # fmt: skip
    assert out.code == 0
    assert "would pass for an option" in out.stderr


@pytest.mark.parametrize("name", ["rés", "x" * 5000, "-" + "é" * 100])
def test_every_exit_reason_fits_in_pacemakers_128_bytes(node, name):
    """The launcher's handlers clip every reason; the problem itself comes first, so the clip keeps it."""
    from xenha.agents.xendomain import main

    environ = {"OCF_RESOURCE_INSTANCE": "web1", "HA_LOGFACILITY": "none", "XENHA_RUN_DIR": str(node.run_dir),
               "OCF_RESKEY_config": str(node.config), "OCF_RESKEY_name": name}  # fmt: skip
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["XenDomainHA", "start"], environ, runner=Scripted()) == ExitCode.ERR_CONFIGURED
    reasons = [line for line in err.getvalue().splitlines() if line.startswith("ocf-exit-reason:")]
    assert len(reasons) == 1
    assert len(reasons[0].removeprefix("ocf-exit-reason:").encode()) <= 127
    assert "not allowed" in reasons[0] or "longer than" in reasons[0] or "starts with" in reasons[0]


def _hang_on(monkeypatch, path: Path) -> None:
    """stat, lstat and open of `path` sleep like calls on a dead NFS or OCFS2 mount (every other path is served)."""
    for name in ("stat", "lstat", "open"):
        real = getattr(os, name)

        def slow(target, *args, _real=real, **kwargs):
            if os.fspath(target) == str(path):
                time.sleep(8)
            return _real(target, *args, **kwargs)

        monkeypatch.setattr(os, name, slow)


def test_a_config_on_a_hung_mount_never_holds_stop_past_its_timeout(node, monkeypatch):
    _hang_on(monkeypatch, node.config)
    out = node("stop", Scripted().then("xl", "list", stdout=listing("xl")), meta={"timeout": "3000"})
    assert out.code == ExitCode.SUCCESS  # looked for by its instance name: absent, so stopped
    assert out.elapsed < 2.5


def test_a_config_on_a_hung_mount_still_lets_monitor_see_the_guest(node, monkeypatch):
    _hang_on(monkeypatch, node.config)
    out = node("monitor", Scripted().then("xl", "list", "web1", stdout=one("xl")), meta={"timeout": "3000"})
    assert (out.code, out.elapsed < 2.5) == (ExitCode.SUCCESS, True)


def test_a_config_on_a_hung_mount_fails_start_in_time_with_the_reason(node, monkeypatch):
    _hang_on(monkeypatch, node.config)
    out = node("start", Scripted(), meta={"timeout": "3000"}, interval=0)
    assert (out.code, out.elapsed < 2.5) == (ExitCode.ERR_INSTALLED, True)
    assert "its file system did not" in out.reason
