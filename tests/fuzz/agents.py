# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the fuzz suite knows of each agent: its parameters (read from its own declaration, so a new one is fuzzed
without editing the suite), good values to start from, its documented exit codes, and how to call it in-process."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from tests.fuzz.harness import DRBD_CODES, OCF_CODES, FakeRunner, Sandbox, World
from xenha.agents import aoeexport, drbddual, o2cb, xendomain
from xenha.fence import noop
from xenha.ocf.decl import Agent
from xenha.tools import hb1_script

__all__ = [
    "FENCE",
    "HB1",
    "OCF_ACTIONS",
    "SPECS",
    "FenceSpec",
    "Hb1Spec",
    "OcfSpec",
    "effective_timeout",
    "hb1_variables",
    "patched",
]

# Every OCF action the suite calls, for every agent: the ones it implements and the ones it must refuse with 3.
# `probe` is a monitor with interval 0; `monitor-10` a recurring monitor with OCF_CHECK_LEVEL=10.
OCF_ACTIONS = (
    "start",
    "stop",
    "probe",
    "monitor",
    "monitor-10",
    "promote",
    "demote",
    "notify",
    "migrate_to",
    "migrate_from",
    "reload",
    "reload-agent",
    "validate-all",
    "meta-data",
    "usage",
    "no-such-action",
)


@dataclass(frozen=True)
class OcfSpec:
    """One OCF agent as the suite drives it."""

    name: str
    agent: Agent
    main: Callable[..., int]
    codes: frozenset[int]
    probe_codes: frozenset[int]
    states: tuple[str, ...]  # what the world may hold before the call; ABSENT ones: "the resource is not there"
    baseline: Callable[[Sandbox], dict[str, str]]
    plausible: Mapping[str, list[str]]
    instance: str

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.agent.parameters)

    @staticmethod
    def is_absent(state: str) -> bool:
        return state in ("absent", "down", "9-down")

    def prepare(self, world: World, state: str) -> None:
        if self.name == "XenDomainHA" and state == "running":
            world.domains["web1"] = 7
        if self.name == "DrbdDualPrimary":
            world.set_drbd(state)
        if self.name == "O2cbCluster" and state == "registered":
            conf = world.sandbox.path("cluster.conf")
            assert world.answer(("o2cb", f"--config-file={conf}", "register-cluster", "web")).rc == 0


SPECS = (
    OcfSpec(
        name="XenDomainHA",
        agent=xendomain.AGENT,
        main=xendomain.main,
        codes=OCF_CODES,
        probe_codes=frozenset({0, 7}),
        states=("absent", "running"),
        baseline=lambda box: {"config": box.path("web1.cfg"), "name": "web1", "toolstack": "xl", "drbd_guard": "false"},
        plausible={
            "name": ["web1", "web2"],
            "toolstack": ["xl", "xm", "auto", "XL"],
            "drbd_guard": ["true", "yes"],
            "autoset_utilization_cpu": ["true"],
            "autoset_utilization_hv_memory": ["true"],
            "shutdown_timeout": ["0", "1", "5"],
            "migration_port": ["22", "8002"],
            "migrate_options": ["-C /x", '-s "ssh -p 2"'],
            "migration_address": ["ha2=ha2X", "ha2=-x", "ha2=--"],
            "monitor_scripts": ["/bin/true", "-x", "relative"],
        },
        instance="web1",
    ),
    OcfSpec(
        name="DrbdDualPrimary",
        agent=drbddual.AGENT,
        main=drbddual.main,
        codes=DRBD_CODES,
        # Monitor codes in the meta-data: 0 Secondary, 8 Primary, 7 stopped, 9 failed Primary, 190/191 degraded.
        probe_codes=frozenset({0, 7, 8, 9, 190, 191}),
        states=("down", "secondary", "primary", "9-down", "9-secondary", "9-primary"),
        baseline=lambda box: {"drbd_resource": "r0", "drbdconf": box.path("drbd.conf"), "wfc_timeout": "1"},
        plausible={
            "drbd_resource": ["r0", "r-1", "r0+x"],
            "promotion_scores": ["1 2 3 4", "-1 -2 -3 -4", "10000 1000 5"],
            "wfc_timeout": ["0", "1", "86400"],
        },
        instance="drbd_r0:0",
    ),
    OcfSpec(
        name="AoEExport",
        agent=aoeexport.AGENT,
        main=aoeexport.main,
        codes=OCF_CODES,
        probe_codes=frozenset({0, 7}),
        states=("absent",),
        baseline=lambda box: {"device": box.path("disk.img"), "shelf": "1", "slot": "2", "nic": "lo"},
        plausible={
            "shelf": ["0", "65534", "65535"],
            "slot": ["0", "254", "255"],
            "nic": ["lo", "eth0"],
            "monitor_nic": ["lo", "eth0"],
            "mac_allow": ["00:11:22:33:44:55", "-m"],
            "buffers": ["1", "65535", "65536"],
        },
        instance="aoe1",
    ),
    OcfSpec(
        name="O2cbCluster",
        agent=o2cb.AGENT,
        main=o2cb.main,
        codes=OCF_CODES,
        probe_codes=frozenset({0, 7}),
        states=("absent", "registered"),
        baseline=lambda box: {"cluster": "web", "conf": box.path("cluster.conf"), "configfs": box.path("configfs")},
        plausible={
            "cluster": ["web", "ocfs2"],
            "heartbeat_mode": ["local", "global"],
            "generate_conf": ["true", "false"],
            "addresses": ["ha1=10.0.0.1 ha2=10.0.0.2", "ha1=-1"],
            "dead_threshold": ["3", "31", "4294967295"],
            "idle_timeout_ms": ["30000", "4294967296"],
        },
        instance="o2cb:0",
    ),
)


def effective_timeout(spec_agent: Agent, action: str, meta_timeout: str | None) -> float:
    """The op timeout in seconds the call runs under: the meta attribute when it is a usable number of ms (as
    ocf.protocol reads it: at most 12 ASCII digits, clamped to a week), else the advised timeout of the action."""
    word = (meta_timeout or "").strip()
    if word and len(word) <= 12 and word.isascii() and word.isdigit() and int(word) > 0:
        return min(int(word), 7 * 24 * 3600 * 1000) / 1000.0
    name = {"probe": "monitor", "monitor-10": "monitor", "reload-agent": "reload"}.get(action, action)
    return float(spec_agent.action_timeout(name))


# ---------------------------------------------------------------------------------------------------------------------
# Side effects outside the sandbox, replaced for the length of one call


@contextlib.contextmanager
def patched(box: Sandbox, spawned: list[tuple[str, ...]]) -> Iterator[None]:
    """vblade never spawned or signalled, no AoE frame sent, fence_noop's default log and cluster.conf writes kept
    in the sandbox."""
    import xenha.o2cb.conf as o2cb_conf
    from xenha.aoe import channel, spawn

    def spawn_detached(argv: object, **_: object) -> int:
        spawned.append(tuple(argv))  # type: ignore[arg-type]
        return 4194303  # above any pid in use: read_cmdline finds nothing, so "vblade exited at start-up"

    real_write = o2cb_conf.write_cluster_conf

    def write_cluster_conf(path: str, conf: object) -> None:
        if box.is_inside(path):
            real_write(path, conf)  # type: ignore[arg-type]

    swaps = [
        (spawn, "spawn_detached", spawn_detached),
        (spawn, "terminate", lambda pid, what, deadline: None),
        (channel, "query_config", lambda *a, **k: []),
        (o2cb_conf, "write_cluster_conf", write_cluster_conf),
        (noop, "DEFAULT_LOG", box.path("var", "fence_noop.log")),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in swaps]
    for module, name, value in swaps:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


# ---------------------------------------------------------------------------------------------------------------------
# fence_noop


@dataclass(frozen=True)
class FenceSpec:
    name: str = "fence_noop"
    codes: frozenset[int] = frozenset({0, 1, 2})

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every stdin key of its meta-data (aliases such as `port` included), `action` apart: it is the axis."""
        names = [alias for o in noop.OPTIONS for alias in (o.name, *o.aliases)]
        return tuple(n for n in names if n != "action")

    @property
    def actions(self) -> tuple[str, ...]:
        return (*noop.FENCE_ACTIONS, "meta-data", "no-such-action")

    def baseline(self, box: Sandbox) -> dict[str, str]:
        return {
            "plug": "ha2",
            "hosts": "ha1,ha2",
            "log_file": box.path("var", "fence.log"),
            "state_dir": box.path("run", "fence"),
        }

    def call(
        self,
        box: Sandbox,
        runner: FakeRunner,
        action: str,
        values: Mapping[str, str],
        environ: dict[str, str],
        *,
        command_line: bool = False,
    ):
        """Options on stdin (how pacemaker-fenced calls it), or on the command line (an admin's `--plug=VALUE`)."""
        argv = ["fence_noop"]
        lines = [f"action={action}"] + [f"{k}={v}" for k, v in values.items()]
        if command_line:
            by_name = {alias: o for o in noop.OPTIONS for alias in (o.name, *o.aliases)}
            argv += [f"--action={action}"]
            for key, value in values.items():
                option = by_name[key]
                argv += [f"--{option.long}={value}"] if option.metavar else ([f"--{option.long}"] if value else [])
        stdin = io.StringIO("\n".join(lines) + "\n")
        host = noop.Host(proc=box.path("dir"), kill=lambda pid, sig: None, pid=os.getpid(), kill_timeout=0.5)
        return lambda: noop.main(argv, environ, stdin=stdin, runner=runner, host=host)


FENCE = FenceSpec()


# ---------------------------------------------------------------------------------------------------------------------
# The heartbeat v1 script


class _Spy(dict):  # type: ignore[type-arg]
    """A ShellVars stand-in that records every variable group_config asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.append(key)
        return default


def hb1_variables() -> tuple[str, ...]:
    """The defaults-file variables the script reads: those group_config asks for, plus LOCKFILE (read by main)."""
    from xenha.errors import ConfigError
    from xenha.hb1.config import group_config

    spy = _Spy()
    with contextlib.suppress(ConfigError):
        group_config("fuzz", spy)  # type: ignore[arg-type]
    return tuple(dict.fromkeys([*spy.asked, "LOCKFILE"]))


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


@dataclass(frozen=True)
class Hb1Spec:
    name: str = "xendomainsHA"
    group: str = "fuzz"
    actions: tuple[str, ...] = ("start", "stop", "status")
    # The group's guests: none, or web1 (its config linked from XENDOMAINS_AUTO), not running or running here.
    states: tuple[str, ...] = ("empty", "guest-absent", "guest-running")

    def prepare(self, world: World, state: str) -> None:
        if state == "guest-running":
            world.domains["web1"] = 7

    @property
    def parameters(self) -> tuple[str, ...]:
        return hb1_variables()

    def codes(self, action: str) -> frozenset[int]:
        # LSB: 0 done, 1 failed, 2 bad arguments, 6 not configured; status 0 held, 3 not held.
        return frozenset({0, 3}) if action == "status" else frozenset({0, 1, 2, 6})

    def baseline(self, box: Sandbox, state: str = "empty") -> dict[str, str]:
        return {
            "XENDOMAINS_AUTO": box.path("auto" if state == "empty" else "auto-one"),
            "LOCKFILE": box.path("var", "xendomainsHAfuzz.lock"),
            "XENHA_TOOLSTACK": "xl",
        }

    def call(self, box: Sandbox, runner: FakeRunner, action: str, values: Mapping[str, str], environ: dict[str, str]):
        text = "".join(f"{k}={_shell_quote(v)}\n" for k, v in values.items())
        box.write(f"defaults/{self.name}{self.group}", text)
        argv = [box.path(f"{self.name}{self.group}"), action]

        def run() -> int:
            real = hb1_script.SubprocessRunner
            hb1_script.SubprocessRunner = lambda **_: runner  # type: ignore[assignment,misc]
            try:
                return hb1_script.main(argv, environ)
            finally:
                hb1_script.SubprocessRunner = real  # type: ignore[misc]

        return run


HB1 = Hb1Spec()
