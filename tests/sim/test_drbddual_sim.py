# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DrbdDualPrimary run through its launcher on the DRBD simulator (8.4 and 9), and ocf:linbit:drbd beside it.

Each test drives the agent as pacemaker would (OCF_RESKEY_* environment, one process per action) against the
simulated drbdadm/drbdsetup and /proc/drbd, and checks the exit code, the exit reason, the world (roles, disk
states, data generations) and the promotion score kept by a fake crm_attribute that records every call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.sim.conftest import REPO, Sim
from xenha_sim import drbdsim
from xenha_sim.world import State

AGENT = str(REPO / "ocf" / "DrbdDualPrimary")
LINBIT = Path("/usr/lib/ocf/resource.d/linbit/drbd")
SHIM = REPO / "lib" / "xenha_sim" / "ocf_drbd_shim.bash"
DTD_DIR = Path("/usr/share/resource-agents")
VERSIONS = ("8.4", "9")

CONF = """\
global {{ usage-count no; }}
common {{ net {{ protocol C; {common} }} }}
resource {res} {{
    device /dev/drbd0;
    disk /dev/vg/{res};
    meta-disk internal;
    on ha1 {{ address 10.0.0.1:7788; }}
    on ha2 {{ address 10.0.0.2:7788; }}
    net {{ {two} after-sb-0pri discard-zero-changes; after-sb-1pri discard-secondary; after-sb-2pri disconnect; }}
}}
"""

# The fake crm_attribute: records its argv, keeps each node's attributes in files (one per name), and implements
# --query/--update/--delete (and crm_master's short forms) like the real one. `--promotion` names the attribute as
# pacemaker does, master-<instance without the clone number>, so both agents write the same attribute.
CRM_ATTRIBUTE = """\
#!/bin/sh
echo "$XENHA_SIM_NODE crm_attribute $*" >> "{log}"
name="master-${{OCF_RESOURCE_INSTANCE%%:*}}"
op=""
value=""
while [ $# -gt 0 ]; do
    case "$1" in
        -n|--name) name="$2"; shift ;;
        -v|--update) op=update; value="$2"; shift ;;
        -G|--query) op=query ;;
        -D|--delete) op=delete ;;
        -l|--lifetime|-N|--node|-i|--id|-t|--type) shift ;;
    esac
    shift
done
name="${{name%%:*}}"
dir="{attrs}/$XENHA_SIM_NODE"
mkdir -p "$dir"
case "$op" in
    update) printf '%s\\n' "$value" > "$dir/$name" ;;
    delete) rm -f "$dir/$name" ;;
    query)
        if [ ! -f "$dir/$name" ]; then
            echo "crm_attribute: Error performing operation: No such device or address" >&2
            exit 105
        fi
        cat "$dir/$name" ;;
    *) echo "crm_attribute: nothing to do" >&2; exit 64 ;;
esac
"""

# What ocf:linbit:drbd needs besides crm_master (the real /usr/sbin one, which calls our crm_attribute).
CRM_RESOURCE = '#!/bin/sh\necho "$XENHA_SIM_NODE crm_resource $*" >> "{log}"\nexit 1\n'


@dataclass
class Run:
    """One agent invocation: exit code, stderr, wall time, and the calls of drbdadm, drbdsetup, crm_attribute
    and crm_resource it made (each "<node> <tool> <args>")."""

    code: int
    stderr: str
    elapsed: float
    calls: list[str]

    @property
    def reason(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("ocf-exit-reason:")]
        assert len(lines) <= 1, self.stderr
        return lines[0].removeprefix("ocf-exit-reason:") if lines else ""

    def tool_calls(self, tool: str) -> list[str]:
        return [c for c in self.calls if c.split()[1] == tool]


class Pair:
    """Two simulated nodes with DRBD resource r0 (minor 0) and helpers to run either agent as either node."""

    def __init__(self, sim: Sim, root: Path, version: str, *, two: bool = True, common: str = "",
                 res: str = "r0") -> None:  # fmt: skip
        self.sim = sim
        self.root = root
        self.version = version
        self.res = res
        self.conf = root / "drbd.conf"
        self.write_conf(two=two, common=common)
        self.fake = root / "fake"
        self.fake.mkdir()
        self.calls_log = root / "calls.log"
        self.attrs = root / "attrs"
        self._script("crm_attribute", CRM_ATTRIBUTE.format(log=self.calls_log, attrs=self.attrs))
        self._script("crm_resource", CRM_RESOURCE.format(log=self.calls_log))
        # Shims in front of the simulated tools record every call, so tests can assert what an action ran.
        self.shims = root / "shims"
        self.shims.mkdir()
        for tool in ("drbdadm", "drbdsetup"):
            record = f'echo "$XENHA_SIM_NODE {tool} $*" >> "{self.calls_log}"'
            (self.shims / tool).write_text(f'#!/bin/sh\n{record}\nexec "{sim.bindir / tool}" "$@"\n')
            (self.shims / tool).chmod(0o755)
        self.calls_log.write_text("")
        with sim.world.transaction() as state:
            drbdsim.set_drbd_version(state, version)
            drbdsim.init_resource(state, res, ["ha1", "ha2"])

    def write_conf(self, *, two: bool, common: str = "") -> None:
        self.conf.write_text(CONF.format(res=self.res, common=common, two="allow-two-primaries;" if two else ""))

    def _script(self, name: str, text: str) -> None:
        (self.fake / name).write_text(text)
        (self.fake / name).chmod(0o755)

    @property
    def path(self) -> str:
        return f"{self.fake}:{self.shims}:{self.sim.bindir}:/usr/sbin:/usr/bin:/sbin:/bin"

    def env(self, node: str, *, interval: int = 10000, meta: dict[str, str] | None = None,
            **params: str) -> dict[str, str]:  # fmt: skip
        """The environment pacemaker's executor would give the agent on `node`."""
        extra = {
            "PATH": self.path,
            "XENHA_RUN_DIR": str(self.root / "run" / node),
            "HA_LOGFACILITY": "none",
            "XENHA_LOG_STDERR": "1",
            "OCF_ROOT": "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE": f"drbd_{self.res}:{0 if node == 'ha1' else 1}",
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "OCF_RESKEY_CRM_meta_interval": str(interval),
            "OCF_RESKEY_CRM_meta_on_node": node,
            "OCF_RESKEY_drbd_resource": self.res,
            "OCF_RESKEY_drbdconf": str(self.conf),
            "OCF_RESKEY_wfc_timeout": "2",
        }
        extra.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
        extra.update({f"OCF_RESKEY_CRM_meta_{k}": v for k, v in (meta or {}).items()})
        return self.sim.env(node, **extra)

    def agent(self, node: str, action: str, *, interval: int = 10000, meta: dict[str, str] | None = None,
              extra: dict[str, str] | None = None, **params: str) -> Run:  # fmt: skip
        """Run one action of ours; `params` (and `extra`) are instance parameters, `meta` CRM_meta_* values."""
        env = self.env(node, interval=interval, meta=meta, **(extra or {}), **params)
        return self._run([AGENT, action], env)

    def linbit(self, node: str, action: str, *, interval: int = 10000, meta: dict[str, str] | None = None,
               **params: str) -> Run:  # fmt: skip
        """ocf:linbit:drbd with the simulator's BASH_ENV shim and the real crm_master (calling our crm_attribute)."""
        clone = {"notify": "true", "clone_max": "2", "clone_node_max": "1", "master_max": "1", "master_node_max": "1"}
        env = self.env(node, interval=interval, meta={**clone, **(meta or {})}, **params)
        env.update(BASH_ENV=str(SHIM), HA_SBIN_DIR="/usr/sbin", OCF_RESKEY_wfc_timeout="none")
        return self._run([str(LINBIT), action], env)

    def _run(self, argv: list[str], env: dict[str, str]) -> Run:
        self.calls_log.write_text("")
        started = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
        elapsed = time.monotonic() - started
        calls = [line for line in self.calls_log.read_text().splitlines() if line]
        run = Run(done.returncode, done.stderr, elapsed, calls)
        # every exit reason fits pacemaker's 128 bytes (lib/services/services_linux.c EXIT_REASON_MAX_LEN)
        assert len(run.reason.encode()) < 128, run.reason
        return run

    def crm_writes(self, run: Run) -> list[str]:
        """The crm_attribute calls of `run` that change an attribute (update or delete)."""
        return [
            c
            for c in run.tool_calls("crm_attribute")
            if any(w in c.split() for w in ("--update", "-v", "--delete", "-D"))
        ]

    def marks(self, node: str) -> dict[str, tuple[int, ...]]:
        """The split-brain marks the agent left on `node`, as XenDomainHA's guard reads them."""
        from xenha.drbd.marks import split_brain_marks

        return split_brain_marks(str(self.root / "run" / node))

    def score(self, node: str) -> str | None:
        """The node's promotion score attribute as the fake attribute store holds it (None: not set)."""
        path = self.attrs / node / f"master-drbd_{self.res}"
        return path.read_text().strip() if path.exists() else None

    def adm(self, node: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.sim.run(node, ["drbdadm", "-c", str(self.conf), *args])

    def change(self, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        with self.sim.world.transaction() as state:
            fn(state, *args, **kwargs)

    def world(self) -> State:
        return self.sim.world.snapshot()

    def role(self, node: str) -> str:
        return str(drbdsim.role_of(self.world(), node, self.res))

    def disk(self, node: str) -> str:
        return str(drbdsim.disk_state(self.world(), node, self.res, "0"))

    def cstate(self, node: str) -> str:
        peer = "ha2" if node == "ha1" else "ha1"
        return str(drbdsim.conn_state(self.world(), node, self.res, peer))

    def generations(self) -> dict[str, list[int]]:
        """Each node's data generations (gen[-1] current), from the meta data: what a resolution would change."""
        md = drbdsim.settings(self.world())["md"]
        return {node: list(md[node][self.res]["0"]["gen"]) for node in ("ha1", "ha2")}

    def start_both(self) -> None:
        for node, wait in (("ha1", "0"), ("ha2", "2")):  # the first has no peer to wait for
            run = self.agent(node, "start", wfc_timeout=wait)
            assert run.code == 0, run.stderr
        assert self.cstate("ha1") == "Connected"

    def promote(self, node: str, **meta: str) -> None:
        run = self.agent(node, "promote", meta=meta or None)
        assert run.code == 0, run.stderr
        assert self.role(node) == "Primary"


@pytest.fixture(params=VERSIONS)
def pair(request: pytest.FixtureRequest, sim: Sim, tmp_path: Path) -> Pair:
    return Pair(sim, tmp_path, request.param)


@pytest.fixture
def pair84(sim: Sim, tmp_path: Path) -> Pair:
    return Pair(sim, tmp_path, "8.4")


CLONE = {"clone_max": "2", "clone_node_max": "1", "notify": "true"}
DUAL = {**CLONE, "promoted_max": "2"}


# --------------------------------------------------------------------------------------------------------------
# Life cycles


@pytest.mark.parametrize(
    "version",
    ["8.4", pytest.param("9", marks=pytest.mark.slow)],  # 9's steps recur in the failure tests below
)
def test_single_primary_life_cycle(sim: Sim, tmp_path: Path, version: str) -> None:
    pair = Pair(sim, tmp_path, version)
    probe = pair.agent("ha1", "monitor", interval=0)
    assert (probe.code, probe.reason) == (7, "")
    assert pair.crm_writes(probe) == []  # a probe of a stopped resource leaves the score alone
    run = pair.agent("ha1", "start", wfc_timeout="0")
    assert run.code == 0, run.stderr
    assert pair.score("ha1") == "1000"  # UpToDate, peer unknown
    alone = pair.agent("ha1", "monitor")
    assert (alone.code, alone.reason) == (190, "")  # running, not redundant: the peer is not there
    assert pair.agent("ha2", "start").code == 0
    assert pair.agent("ha2", "start").code == 0  # start of a started resource
    first = pair.agent("ha1", "monitor")
    assert first.code == 0
    assert pair.crm_writes(first) == ["ha1 crm_attribute --promotion --lifetime reboot --update 10000"]
    again = pair.agent("ha1", "monitor")
    assert (again.code, pair.crm_writes(again)) == (0, [])  # unchanged score: not written again
    assert pair.agent("ha1", "monitor", interval=0).code == 0  # a probe of a running resource
    assert pair.score("ha1") == pair.score("ha2") == "10000"

    pair.promote("ha1")
    assert pair.agent("ha1", "promote").code == 0  # promote of a Primary
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [8, 0]
    assert pair.agent("ha1", "monitor", interval=0).code == 8
    # promoted-max 1 and the peer Primary: a cluster split, refused although drbd.conf allows two Primaries
    refused = pair.agent("ha2", "promote", meta=CLONE)
    assert refused.code == 1
    assert refused.reason == "drbd r0: not promoting: the peer is Primary and promoted-max=1"
    assert pair.role("ha2") == "Secondary"

    assert pair.agent("ha1", "demote").code == 0
    assert pair.agent("ha1", "demote").code == 0
    assert pair.role("ha1") == "Secondary"
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [0, 0]
    for node in ("ha1", "ha2"):
        assert pair.agent(node, "stop").code == 0
        assert pair.score(node) is None
    assert not drbdsim.is_up(pair.world(), "ha1", "r0")
    assert pair.agent("ha1", "monitor", interval=0).code == 7
    assert pair.agent("ha1", "monitor").code == 7


@pytest.mark.parametrize(
    ("version", "meta"),
    [
        ("8.4", DUAL),
        ("8.4", {**CLONE, "master_max": "2"}),
        pytest.param("9", DUAL, marks=pytest.mark.slow),  # 9's dual Primary also runs in the split-brain test
    ],
    ids=["8.4-promoted_max", "8.4-master_max", "9-promoted_max"],
)
def test_dual_primary_life_cycle(sim: Sim, tmp_path: Path, version: str, meta: dict[str, str]) -> None:
    pair = Pair(sim, tmp_path, version)
    pair.start_both()
    pair.promote("ha1", **meta)
    pair.promote("ha2", **meta)
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [8, 8]
    assert pair.score("ha1") == pair.score("ha2") == "10000"
    if "master_max" in meta:
        return  # the deprecated name is read: that is all this case is about
    assert pair.agent("ha2", "demote").code == 0
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [8, 0]
    assert pair.agent("ha1", "demote").code == 0
    for node in ("ha1", "ha2"):
        assert pair.agent(node, "stop").code == 0
        assert pair.agent(node, "monitor", interval=0).code == 7


@pytest.mark.parametrize("where", ["nowhere", "common"])
def test_promoted_max_2_needs_allow_two_primaries(sim: Sim, tmp_path: Path, where: str) -> None:
    pair = Pair(sim, tmp_path, "8.4", two=False, common="allow-two-primaries;" if where == "common" else "")
    pair.start_both()
    validate = pair.agent("ha1", "validate-all", meta=DUAL)
    promote = pair.agent("ha1", "promote", meta=DUAL)
    if where == "common":  # inherited from `common { net { } }`: drbdadm -d -v dump shows it, a plain dump does not
        assert (validate.code, promote.code) == (0, 0), promote.stderr
        assert pair.role("ha1") == "Primary"
        return
    assert validate.code == 6
    assert promote.code == 6
    assert promote.reason == "drbd r0: promoted-max=2 but allow-two-primaries is not set in drbd.conf"
    assert pair.role("ha1") == "Secondary"
    # read on every promote, never cached: an admin adds it and runs drbdadm adjust, no restart needed
    pair.write_conf(two=True)
    for node in ("ha1", "ha2"):
        assert pair.adm(node, "adjust", "r0").returncode == 0
    pair.promote("ha1", **DUAL)
    pair.promote("ha2", **DUAL)


@pytest.mark.parametrize("version", ["8.4", pytest.param("9", marks=pytest.mark.slow)])
def test_second_promotion_waits_for_the_resync(sim: Sim, tmp_path: Path, version: str) -> None:
    pair = Pair(sim, tmp_path, version)
    with pair.sim.world.transaction() as state:
        drbdsim.settings(state)["resync_kib_s"] = 1024  # 1 GiB at 1 MiB/s: resyncing for the whole test
    pair.start_both()
    pair.promote("ha2", **DUAL)
    assert pair.adm("ha2", "invalidate", "r0").returncode == 0  # ha2 stays Primary, reading from ha1
    assert (pair.disk("ha2"), pair.disk("ha1")) == ("Inconsistent", "UpToDate")
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [190, 191]
    assert pair.score("ha2") is None  # Inconsistent: no score, as for Diskless (pacemaker will demote it)
    refused = pair.agent("ha1", "promote", meta=DUAL)
    assert refused.code == 1
    assert refused.reason == (
        "drbd r0: not promoting: second Primary needs Connected UpToDate/UpToDate, "
        "have SyncSource UpToDate/Inconsistent"
    )
    assert pair.role("ha1") == "Secondary"
    allowed = pair.agent("ha1", "promote", meta=DUAL, require_uptodate_peer_for_dual="false")
    assert allowed.code == 0, allowed.stderr
    assert pair.role("ha1") == "Primary"
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [191, 191]


# --------------------------------------------------------------------------------------------------------------
# Failures


def test_link_cut_while_dual_primary_is_split_brain_reported_never_resolved(pair: Pair) -> None:
    pair.start_both()
    pair.promote("ha1", **DUAL)
    pair.promote("ha2", **DUAL)
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [8, 8]
    pair.change(drbdsim.cut_link, "ha1", "ha2")
    # each Primary goes on alone (a new data generation on each side): degraded, not failed
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [191, 191]
    pair.change(drbdsim.heal_link, "ha1", "ha2")
    assert (pair.cstate("ha1"), pair.cstate("ha2")) == ("StandAlone", "StandAlone")
    generations = pair.generations()
    assert generations["ha1"][-1] != generations["ha2"][-1]

    for node in ("ha1", "ha2"):
        run = pair.agent(node, "monitor")
        # degraded with the reason, not failed: pacemaker must not stop the guests running on each side
        assert run.code == 191
        assert run.reason == "drbd r0: split-brain; resolve: drbdadm connect --discard-my-data"
        assert "drbdadm connect --discard-my-data r0" in run.stderr  # the full procedure is in the log
        assert pair.score(node) == "10000"  # a Primary keeps its score: nothing is demoted under a guest
        assert pair.marks(node) == {"r0": (0,)}  # what XenDomainHA's guard reads
    # the administrator demotes the side whose changes go
    assert pair.agent("ha1", "demote").code == 0
    secondary = pair.agent("ha1", "monitor")
    assert secondary.code == 190 and "split-brain" in secondary.reason
    assert pair.score("ha1") is None  # a split-brain Secondary is never to be promoted
    again = pair.agent("ha1", "promote", meta=DUAL)
    assert again.code == 1 and "split-brain" in again.reason
    assert pair.role("ha1") == "Secondary"
    # pacemaker's recovery (stop, start): ha1 now waits for ha2, which stays StandAlone. Not "degraded": the
    # split-brain is remembered until the resource is connected again
    assert pair.agent("ha1", "stop").code == 0
    assert pair.agent("ha1", "start", wfc_timeout="0").code == 0
    assert pair.cstate("ha1") in ("WFConnection", "Connecting")
    restarted = pair.agent("ha1", "monitor")
    assert restarted.code == 190 and "split-brain" in restarted.reason
    assert pair.score("ha1") is None
    assert pair.agent("ha2", "monitor").code == 191
    # the agent never resolved anything: both data generations are what the split-brain left
    assert pair.generations() == generations
    assert pair.cstate("ha2") == "StandAlone"
    # the administrator resolves it (ha1's changes go); connected again, the mark goes and ha1 is promotable
    assert pair.adm("ha2", "connect", "r0").returncode == 0
    assert pair.cstate("ha1") == "Connected" and pair.disk("ha1") == "UpToDate"  # ha1 had no changes: plain sync
    assert pair.generations()["ha1"][-1] == generations["ha2"][-1]
    healed = pair.agent("ha1", "monitor")
    assert (healed.code, healed.reason, pair.score("ha1")) == (0, "", "10000")
    assert pair.marks("ha1") == {}
    assert pair.agent("ha2", "monitor").code == 8
    assert pair.marks("ha2") == {}


@pytest.mark.parametrize(
    "version",
    ["8.4", pytest.param("9", marks=pytest.mark.slow)],  # 9's lost peer: in the split-brain test too
)
def test_peer_crash_is_degraded_not_failed(sim: Sim, tmp_path: Path, version: str) -> None:
    pair = Pair(sim, tmp_path, version)
    pair.start_both()
    pair.promote("ha1")
    pair.change(drbdsim.crash_node, "ha2")
    run = pair.agent("ha1", "monitor")
    assert (run.code, run.reason, pair.crm_writes(run)) == (191, "", [])  # score still 10000: not rewritten
    assert pair.score("ha1") == "10000"
    pair.change(drbdsim.restart_node, "ha2")
    assert pair.agent("ha2", "start").code == 0
    assert [pair.agent(n, "monitor").code for n in ("ha1", "ha2")] == [8, 0]
    pair.change(drbdsim.crash_node, "ha1")  # now the Primary dies: the Secondary is degraded, promotable
    run = pair.agent("ha2", "monitor")
    assert (run.code, run.reason) == (190, "")
    assert pair.score("ha2") == "1000"
    pair.promote("ha2")
    assert pair.agent("ha2", "monitor").code == 191


def test_disk_failure(pair: Pair) -> None:
    pair.start_both()
    pair.promote("ha1")
    pair.change(drbdsim.fail_disk, "ha1", "r0")  # on-io-error detach: a Diskless Primary, reading from ha2
    assert pair.disk("ha1") == "Diskless" and pair.role("ha1") == "Primary"
    run = pair.agent("ha1", "monitor")
    assert (run.code, run.reason) == (191, "")  # promoted and working, but one copy of the data
    # the lowest score, not none: Pacemaker keeps it Primary under its guest, and guests prefer ha2's data
    assert pair.score("ha1") == "1"
    assert pair.crm_writes(run) == ["ha1 crm_attribute --promotion --lifetime reboot --update 1"]
    assert pair.agent("ha2", "monitor").code == 190  # its peer's disk is not UpToDate
    pair.change(drbdsim.crash_node, "ha2")  # and now no UpToDate data is reachable at all
    failed = pair.agent("ha1", "monitor")
    assert failed.code == 9
    assert failed.reason.startswith("drbd r0: Primary with no access to UpToDate data (")
    assert pair.score("ha1") is None


def test_diskless_primary_demoted_loses_its_score(pair: Pair) -> None:
    pair.start_both()
    pair.promote("ha1")
    pair.change(drbdsim.fail_disk, "ha1", "r0")
    assert pair.agent("ha1", "monitor").code == 191
    assert pair.score("ha1") == "1"
    assert pair.agent("ha1", "demote").code == 0  # once its guests have gone, a Diskless Secondary has no score
    assert pair.score("ha1") is None
    refused = pair.agent("ha1", "promote")
    assert refused.code == 1 and "Diskless" in refused.reason  # and is never promoted again
    assert pair.role("ha1") == "Secondary"


# --------------------------------------------------------------------------------------------------------------
# stop, notify, clone settings


def test_stop_is_idempotent_and_fast_when_stopped(pair: Pair) -> None:
    for _ in range(2):
        run = pair.agent("ha1", "stop")
        assert run.code == 0
        forks = run.tool_calls("drbdadm") + run.tool_calls("drbdsetup")
        assert forks == ([] if pair.version == "8.4" else ["ha1 drbdsetup status --json r0"])
        assert run.elapsed < 2.0
    assert pair.agent("ha1", "start", wfc_timeout="0").code == 0
    for _ in range(2):
        assert pair.agent("ha1", "stop").code == 0
        assert not drbdsim.is_up(pair.world(), "ha1", "r0")


@pytest.mark.parametrize(
    ("version", "forgotten"),
    [("8.4", False), ("8.4", True), ("9", False)],  # 9 reads the state by name: no minors to forget
    ids=["8.4-minors-cached", "8.4-state-lost", "9"],
)
def test_stop_never_fails_on_a_bad_config(sim: Sim, tmp_path: Path, version: str, forgotten: bool) -> None:
    pair = Pair(sim, tmp_path, version)
    pair.start_both()
    pair.promote("ha1")
    if forgotten:  # nothing remembered under /run either: the minors cannot be looked up with drbdadm
        shutil.rmtree(pair.root / "run" / "ha1")
    run = pair.agent("ha1", "stop", drbdconf=str(pair.root / "missing.conf"))
    assert run.code == 0, run.stderr
    assert "ha1 drbdsetup down r0" in run.calls
    assert not drbdsim.is_up(pair.world(), "ha1", "r0")
    assert pair.agent("ha1", "stop", drbdconf=str(pair.root / "missing.conf")).code == 0
    assert pair.agent("ha1", "monitor", interval=0).code == 7


@pytest.mark.parametrize("version", ["8.4", pytest.param("9", marks=pytest.mark.slow)])
def test_stop_outdates_a_secondary_whose_peer_is_primary(sim: Sim, tmp_path: Path, version: str) -> None:
    pair = Pair(sim, tmp_path, version)
    pair.start_both()
    pair.promote("ha1")

    def on_disk(node: str) -> str:
        return str(drbdsim.settings(pair.world())["md"][node]["r0"]["0"]["disk"])

    assert pair.agent("ha2", "stop", stop_outdates_secondary="false").code == 0
    assert on_disk("ha2") == "UpToDate"
    assert pair.agent("ha2", "start").code == 0
    assert pair.agent("ha2", "stop").code == 0  # stop_outdates_secondary defaults to true
    assert on_disk("ha2") == "Outdated"
    assert pair.agent("ha1", "stop").code == 0  # a Primary's stop outdates nothing
    assert on_disk("ha1") == "UpToDate"


NOTIFY_PARAMS = [{}, {"drbd_resource": ""}, {"drbd_resource": "no such; name"}, {"promotion_scores": "x"}]


def test_notify_always_succeeds(pair84: Pair) -> None:
    """Whatever the parameters (notify looks at no state): a failed notify would block pacemaker's transition."""
    meta = {"notify_type": "post", "notify_operation": "promote", "notify_promoted_uname": "ha1"}
    for params in NOTIFY_PARAMS:
        run = pair84.agent("ha2", "notify", meta=meta, extra=params)
        assert (run.code, run.reason) == (0, ""), (params, run.stderr)
        assert run.calls == []


@pytest.mark.parametrize(
    ("meta", "code_84", "code_9"),
    [
        ({**CLONE, "clone_max": "3"}, 6, 0),  # DRBD 9 can have three nodes
        ({**CLONE, "promoted_max": "3"}, 6, 6),
        ({**CLONE, "master_max": "3"}, 6, 6),
        ({**CLONE, "clone_node_max": "2"}, 6, 6),
        ({**CLONE, "notify": "false"}, 6, 6),
        (CLONE, 0, 0),
    ],
    ids=["clone-max=3", "promoted-max=3", "master-max=3", "clone-node-max=2", "notify=false", "good"],
)
def test_clone_meta_checks(pair: Pair, meta: dict[str, str], code_84: int, code_9: int) -> None:
    run = pair.agent("ha1", "start", meta=meta, wfc_timeout="0")
    assert run.code == (code_84 if pair.version == "8.4" else code_9)
    assert drbdsim.is_up(pair.world(), "ha1", "r0") == (run.code == 0)  # refused before anything is done
    if run.code == 6:
        assert "=" in run.reason


def test_exit_reasons_fit_with_the_longest_resource_name(sim: Sim, tmp_path: Path) -> None:
    res = "r" * 64  # drbd_resource allows up to 64 characters
    pair = Pair(sim, tmp_path, "8.4", res=res, two=False)
    reasons = [pair.agent("ha1", "promote", meta=DUAL).reason]  # (Pair checks every reason's length itself)
    pair.start_both()
    reasons.append(pair.agent("ha1", "promote", meta=DUAL).reason)
    pair.promote("ha1")
    refused = pair.agent("ha2", "promote")  # a direct call (no clone meta): DRBD itself refuses, and says why
    assert refused.code == 1
    assert refused.reason.startswith(f"drbd {res}: promote: 0: State change failed: (-1) Multiple prim")
    reasons.append(refused.reason)
    pair.change(drbdsim.cut_link, "ha1", "ha2")
    assert pair.agent("ha1", "monitor").code == 191
    assert pair.adm("ha2", "primary", res).returncode == 0
    pair.change(drbdsim.heal_link, "ha1", "ha2")
    split = pair.agent("ha1", "monitor")
    assert split.code == 191
    reasons.append(split.reason)
    assert reasons[-1] == f"drbd {res}: split-brain; resolve: drbdadm connect --discard-my-data"
    assert all(reasons) and all(len(r.encode()) < 128 for r in reasons), reasons


# --------------------------------------------------------------------------------------------------------------
# Child processes of a monitor, counted with strace


def _execs(pair: Pair, node: str, tmp: Path) -> list[str]:
    """The execve calls of one monitor beyond the launcher's own, traced with strace -f."""
    trace = tmp / f"strace.{node}"
    env = pair.env(node)
    env["PATH"] = f"{pair.fake}:{pair.sim.bindir}:/usr/sbin:/usr/bin:/sbin:/bin"  # no recording shims
    done = subprocess.run(
        ["strace", "-f", "-e", "trace=execve", "-o", str(trace), AGENT, "monitor"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 8), done.stderr
    lines = [line for line in trace.read_text().splitlines() if "execve(" in line and "= 0" in line]
    assert AGENT in lines[0]
    return lines[1:]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_monitor_forks_nothing_on_84_and_one_drbdsetup_on_9(pair: Pair, tmp_path: Path) -> None:
    pair.start_both()
    pair.promote("ha1")
    for node in ("ha1", "ha2"):
        assert pair.agent(node, "monitor").code in (0, 8)  # the score is settled
        execs = _execs(pair, node, tmp_path)
        if pair.version == "8.4":
            assert execs == []
        else:
            assert len(execs) == 1 and '/drbdsetup", [' in execs[0], execs
            assert '"status", "--json", "r0"]' in execs[0], execs


# --------------------------------------------------------------------------------------------------------------
# ocf-tester and meta-data


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ocf-tester") is None, reason="ocf-tester (resource-agents) is not installed")
def test_ocf_tester_passes(pair: Pair) -> None:
    """ocf-tester checks promote/demote whenever the agent does not answer 3 to them, as ours does not."""
    assert pair.adm("ha2", "up", "r0").returncode == 0  # a peer, so that "running" is not "degraded"
    env = pair.env("ha1")
    env = {k: v for k, v in env.items() if not k.startswith("OCF_")}
    done = subprocess.run(
        ["ocf-tester", "-n", "drbd_r0", "-o", "drbd_resource=r0", "-o", f"drbdconf={pair.conf}", AGENT],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{AGENT} passed all tests" in done.stdout
    assert "does not support the demote action" not in done.stdout
    assert not drbdsim.is_up(pair.world(), "ha1", "r0")


@pytest.mark.skipif(os.geteuid() != 0, reason="su nobody needs root")
def test_meta_data_as_nobody_is_valid_for_ra_api_dtd(tmp_path: Path) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": str(REPO / "lib")}
    done = subprocess.run(
        ["su", "nobody", "-s", "/bin/sh", "-c", f"{AGENT} meta-data"],
        env=env, cwd="/", capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lint = subprocess.run(
        ["xmllint", "--noout", "--valid", "-"], input=done.stdout, cwd=DTD_DIR, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stderr


# --------------------------------------------------------------------------------------------------------------
# ocf:linbit:drbd on the same simulator: the same cases, the differences written down as assertions

needs_linbit = pytest.mark.skipif(not LINBIT.exists(), reason="drbd-utils' ocf:linbit:drbd is not installed")


@pytest.fixture(params=VERSIONS)
def both(request: pytest.FixtureRequest, sim: Sim, tmp_path: Path) -> Pair:
    return Pair(sim, tmp_path, request.param)


@needs_linbit
def test_linbit_meta_data_fails_ra_api_dtd_ours_passes() -> None:
    """A recorded difference: LINBIT's meta-data has parameters without shortdesc and actions without timeout."""
    results = {}
    for name, argv in (("ours", [AGENT]), ("linbit", [str(LINBIT)])):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": str(REPO / "lib"), "OCF_ROOT": "/usr/lib/ocf"}
        xml = subprocess.run([*argv, "meta-data"], env=env, capture_output=True, text=True, check=True).stdout
        lint = subprocess.run(
            ["xmllint", "--noout", "--valid", "-"], input=xml, cwd=DTD_DIR, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        results[name] = (lint.returncode, lint.stderr)
    assert results["ours"] == (0, "")
    assert results["linbit"][0] != 0
    assert "does not carry attribute timeout" in results["linbit"][1]
    assert "expecting (longdesc+ , shortdesc+ , content)" in results["linbit"][1]


@pytest.mark.slow
@needs_linbit
def test_linbit_side_by_side(both: Pair) -> None:
    """The same world, both agents' answers. Differences: no degraded codes, no split-brain detection, a score
    write on every monitor, promoted-max=2 refused already at start, and a score of 10 for a Diskless Primary."""
    pair = both
    assert [pair.linbit("ha1", "monitor", interval=0).code, pair.agent("ha1", "monitor", interval=0).code] == [7, 7]
    for node in ("ha1", "ha2"):
        run = pair.linbit(node, "start")
        assert run.code == 0, run.stderr
    assert (pair.score("ha1"), pair.score("ha2")) == ("1000", "10000")  # ha1 started before ha2 connected
    theirs, ours = pair.linbit("ha1", "monitor"), pair.agent("ha1", "monitor")
    assert (theirs.code, ours.code) == (0, 0)
    assert pair.score("ha1") == "10000"
    # LINBIT writes the score on every monitor (crm_master -v via crm_attribute); ours only when it changes
    assert len(pair.crm_writes(theirs)) == 1 and pair.crm_writes(pair.agent("ha1", "monitor")) == []
    assert pair.linbit("ha1", "promote").code == 0
    assert [pair.linbit("ha1", "monitor").code, pair.agent("ha1", "monitor").code] == [8, 8]
    assert pair.score("ha1") == "10000"

    # promoted-max=2 without allow-two-primaries: LINBIT refuses start as well, ours only promote
    pair.write_conf(two=False)
    start2 = pair.linbit("ha2", "start", meta={"master_max": "2"})
    assert start2.code == 6 and "does not allow-two-primaries" in start2.reason
    assert pair.agent("ha2", "start", meta=DUAL).code == 0
    assert pair.agent("ha2", "promote", meta=DUAL).code == 6
    pair.write_conf(two=True)

    # a crashed peer: LINBIT cannot say "degraded" (its PCMK_OCF_DEGRADED_MASTER is 8)
    pair.change(drbdsim.crash_node, "ha2")
    assert [pair.linbit("ha1", "monitor").code, pair.agent("ha1", "monitor").code] == [8, 191]
    pair.change(drbdsim.restart_node, "ha2")
    assert pair.linbit("ha2", "start").code == 0
    assert [pair.linbit("ha2", "monitor").code, pair.agent("ha2", "monitor").code] == [0, 0]

    # Diskless Primary with an UpToDate peer: LINBIT 8 and score 10 ("only_remote": a failed disk is not its
    # "diskless client", which would get 9999); ours 191 and the lowest score, 1: both keep it Primary under its
    # guest and make the guests prefer the peer's data
    pair.change(drbdsim.fail_disk, "ha1", "r0")
    assert pair.linbit("ha1", "monitor").code == 8
    assert pair.score("ha1") == "10"
    assert pair.agent("ha1", "monitor").code == 191
    assert pair.score("ha1") == "1"

    for node in ("ha1", "ha2"):
        assert pair.linbit(node, "stop").code == 0
        assert pair.score(node) is None
    assert [pair.linbit("ha1", "monitor", interval=0).code, pair.agent("ha1", "monitor", interval=0).code] == [7, 7]


@pytest.mark.slow
@needs_linbit
def test_linbit_split_brain_goes_unreported(both: Pair) -> None:
    pair = both
    pair.start_both()
    pair.promote("ha1", **DUAL)
    pair.promote("ha2", **DUAL)
    pair.change(drbdsim.cut_link, "ha1", "ha2")
    assert [pair.linbit("ha1", "monitor").code, pair.agent("ha1", "monitor").code] == [8, 191]
    pair.change(drbdsim.heal_link, "ha1", "ha2")
    generations = pair.generations()
    theirs, ours = pair.linbit("ha1", "monitor"), pair.agent("ha1", "monitor")
    assert (theirs.code, theirs.reason) == (8, "")  # StandAlone Primary: "running promoted", no reason
    assert ours.code == 191 and "split-brain" in ours.reason  # reported, degraded: its guests keep running
    assert pair.score("ha1") == "10000"  # both keep 10000 for the Primary
    assert pair.linbit("ha2", "demote").code == 0
    theirs = pair.linbit("ha2", "monitor")
    assert (theirs.code, pair.score("ha2")) == (0, "1000")  # a split-brain Secondary stays promotable there
    ours = pair.agent("ha2", "monitor")
    assert ours.code == 190 and "split-brain" in ours.reason and pair.score("ha2") is None  # never promoted
    assert pair.generations() == generations  # neither agent resolves the split-brain
