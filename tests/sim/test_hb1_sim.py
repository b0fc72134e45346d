# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xendomainsHA<N> through its launcher against the simulated xl/xm and DRBD: groups, migrate/save/shutdown on stop,
DRBD-aware start, and the status line judged by heartbeat's own ResourceManager."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sim.conftest import REPO, Sim
from xenha_sim import drbdsim, xensim

LAUNCHER_DIR = REPO / "heartbeat-v1"
RESOURCE_MANAGER = Path("/usr/share/heartbeat/ResourceManager")
TOOLS = ("xl", "xm")
NODES = ("ha1", "ha2")
# group -> guest -> DRBD resource (None: no DRBD disk)
GROUPS: dict[str, dict[str, str | None]] = {"1": {"web1": "r1", "web3": "r3"}, "2": {"db2": "r2", "plain2": None}}
MINORS = {"r1": 1, "r2": 2, "r3": 3}
DRBD_CONF = """\
global {{ usage-count no; }}
common {{ net {{ protocol C; allow-two-primaries; }} }}
{resources}"""
RESOURCE = """\
resource {res} {{
    device /dev/drbd{minor};
    disk /dev/vg/{res};
    meta-disk internal;
    on ha1 {{ address 10.0.0.1:77{minor:02d}; }}
    on ha2 {{ address 10.0.0.2:77{minor:02d}; }}
}}
"""
# A stand-in for `xl save`/`xl restore`, which the simulator does not implement: the image holds the guest's name;
# restore creates it again from its config. Every call is logged; FAIL_DESTROY makes destroy fail.
SHIM = """\
#!/bin/sh
echo "{tool} $*" >> "{log}"
case "$1" in
  save) [ -n "$FAIL_SAVE" ] && exit 1
        "{real}" list "$2" >/dev/null 2>&1 || exit 1
        echo "$2" > "$3" && exec "{real}" destroy "$2" ;;
  restore) name=$(cat "$2") || exit 1
           exec "{real}" create {cfgroot}/*/"$name".cfg ;;
  destroy) [ -n "$FAIL_DESTROY" ] && {{ echo "libxl: error: destroy failed" >&2; exit 1; }} ;;
esac
exec "{real}" "$@"
"""


@dataclass
class Run:
    code: int
    out: str
    err: str
    elapsed: float
    calls: list[str]


class Cluster:
    """Two simulated dom0s with two heartbeat groups; `script(node, group, action)` runs xendomainsHA<group>."""

    def __init__(self, sim: Sim, root: Path) -> None:
        self.sim = sim
        self.root = root
        self.cfgroot = root / "xen" / "auto"
        for group, guests in GROUPS.items():
            directory = self.cfgroot / f"HA{group}"
            directory.mkdir(parents=True)
            for guest, res in guests.items():
                disk = f"drbd:{res},xvda,w" if res else f"phy:/dev/vg0/{guest},xvda,w"
                (directory / f"{guest}.cfg").write_text(f"name = '{guest}'\nmemory = 256\ndisk = ['{disk}']\n")
        self.drbd_conf = root / "drbd.conf"
        resources = "".join(RESOURCE.format(res=r, minor=m) for r, m in MINORS.items())
        self.drbd_conf.write_text(DRBD_CONF.format(resources=resources))
        self.log = root / "calls.log"
        self.shims = root / "shims"
        self.shims.mkdir()
        for tool in TOOLS:
            shim = self.shims / tool
            shim.write_text(SHIM.format(tool=tool, log=self.log, real=sim.bindir / tool, cfgroot=self.cfgroot))
            shim.chmod(0o755)
        with sim.world.transaction() as state:
            xensim.set_config(state, shutdown_delay=0.2, migrate_min_s=0.2, migrate_s_per_gib=0.4)
            for res in MINORS:
                drbdsim.init_resource(state, res, list(NODES))
        for node in NODES:
            up = sim.run(node, ["drbdadm", "up", *MINORS], XENHA_SIM_DRBD_CONF=str(self.drbd_conf))
            assert up.returncode == 0, up.stderr
        for node in NODES:
            for group in GROUPS:
                self.defaults(node, group)

    def defaults(self, node: str, group: str, **settings: str) -> None:
        """Write /etc/default/xendomainsHA<group> for `node` (XENDOMAINS_AUTO and short waits plus `settings`)."""
        directory = self.root / "default" / node
        directory.mkdir(parents=True, exist_ok=True)
        values = {
            "XENDOMAINS_AUTO": str(self.cfgroot / f"HA{group}"),
            "XENDOMAINS_STOP_MAXWAIT": "5",
            "XENHA_START_MAXWAIT": "10",
            "XENHA_DESTROY_MAXWAIT": "2",
            **settings,
        }
        text = "# written by the test\n" + "".join(f'{k}="{v}"\n' for k, v in values.items())
        (directory / f"xendomainsHA{group}").write_text(text)

    def lockfile(self, node: str, group: str) -> Path:
        """The group's lock file: XENHA_RUN_DIR/hb1/xendomainsHA<group> (/run/xenha/hb1 on a real node)."""
        return self.root / "run" / node / "hb1" / f"xendomainsHA{group}"

    def env(self, node: str, **extra: str) -> dict[str, str]:
        return self.sim.env(
            node,
            PATH=f"{self.shims}:{self.sim.bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
            XENHA_HB1_DEFAULTS_DIR=str(self.root / "default" / node),
            XENHA_RUN_DIR=str(self.root / "run" / node),
            XENHA_LEDGER=str(self.root / "ledger" / node / "migrations.json"),
            XENHA_NODE=node,
            XENHA_SIM_DRBD_CONF=str(self.drbd_conf),
            HA_LOGFACILITY="none",
            XENHA_LOG_STDERR="1",
            **extra,
        )

    def script(self, node: str, group: str, action: str, **extra: str) -> Run:
        self.log.write_text("")
        started = time.monotonic()
        done = subprocess.run([str(LAUNCHER_DIR / f"xendomainsHA{group}"), action], env=self.env(node, **extra),
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        elapsed = time.monotonic() - started
        return Run(done.returncode, done.stdout, done.stderr, elapsed, self.log.read_text().splitlines())

    def domains(self, node: str) -> dict[str, str]:
        """{name: xl state letters} of the node's guests."""
        state = self.sim.world.snapshot()
        return {v.name: v.xl_state for v in xensim.list_domains(state, node, time.time()) if v.domid != 0}

    def role(self, node: str, res: str) -> str:
        return drbdsim.role_of(self.sim.world.snapshot(), node, res)

    def change(self, fn, *args, **kwargs) -> None:
        with self.sim.world.transaction() as state:
            fn(state, *args, **kwargs)


@pytest.fixture
def cluster(sim: Sim, tmp_path: Path) -> Cluster:
    return Cluster(sim, tmp_path)


def _started(cluster: Cluster, node: str, group: str, **extra: str) -> Run:
    run = cluster.script(node, group, "start", **extra)
    assert run.code == 0, run.err
    return run


# -- groups ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_groups_start_on_their_home_nodes_and_stop_only_their_own_guests(cluster, tool):
    for node, group in (("ha1", "1"), ("ha2", "2")):
        cluster.defaults(node, group, XENHA_TOOLSTACK=tool)
    assert cluster.script("ha1", "1", "status").out == "xendomainsHA1: not running\n"
    _started(cluster, "ha1", "1")
    _started(cluster, "ha2", "2")
    assert set(cluster.domains("ha1")) == {"web1", "web3"}
    assert set(cluster.domains("ha2")) == {"db2", "plain2"}
    assert (cluster.role("ha1", "r1"), cluster.role("ha2", "r1")) == ("Primary", "Secondary")
    held = cluster.script("ha1", "1", "status")
    assert (held.code, held.out) == (0, "xendomainsHA1: running (2 of 2 guests here)\n")
    other = cluster.script("ha1", "2", "status")
    assert (other.code, other.out) == (3, "xendomainsHA2: not running\n")
    assert (
        cluster.lockfile("ha1", "1").read_text().strip() == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    )
    # start again: nothing to do, nothing created
    again = _started(cluster, "ha1", "1")
    assert not [c for c in again.calls if " create " in c]
    stop = cluster.script("ha1", "1", "stop")
    assert stop.code == 0, stop.err
    assert f"{tool} shutdown web1" in stop.calls and f"{tool} shutdown web3" in stop.calls
    assert cluster.domains("ha1") == {}
    assert set(cluster.domains("ha2")) == {"db2", "plain2"}
    assert not cluster.lockfile("ha1", "1").exists()
    assert cluster.script("ha1", "1", "status").code == 3
    # stopping a stopped group succeeds (heartbeat reboots dom0 after a failed stop)
    assert cluster.script("ha1", "1", "stop").code == 0


def test_both_groups_on_one_node_are_isolated(cluster):
    _started(cluster, "ha1", "1")
    _started(cluster, "ha1", "2")
    assert set(cluster.domains("ha1")) == {"web1", "web3", "db2", "plain2"}
    stop = cluster.script("ha1", "2", "stop")
    assert stop.code == 0, stop.err
    assert not [c for c in stop.calls if "web" in c]
    assert set(cluster.domains("ha1")) == {"web1", "web3"}
    assert cluster.script("ha1", "1", "status").code == 0


# -- start: DRBD decides where a guest runs --------------------------------------------------------------------------


def test_start_skips_a_guest_whose_drbd_disk_is_primary_on_the_peer(cluster):
    _started(cluster, "ha1", "1")
    takeover = cluster.script("ha2", "1", "start")
    assert takeover.code == 0, takeover.err
    assert "domU web1: runs on the peer" in takeover.err
    assert "start: peer 2" in takeover.out
    assert cluster.domains("ha2") == {}


def test_start_after_the_peer_died_takes_the_guests_over(cluster):
    _started(cluster, "ha1", "1")
    from xenha_sim import faults

    cluster.change(faults.crash_node, "ha1")
    run = _started(cluster, "ha2", "1")
    assert "started 2" in run.out
    assert set(cluster.domains("ha2")) == {"web1", "web3"}


def test_start_refuses_a_guest_whose_local_data_is_outdated_and_fails(cluster):
    cluster.change(drbdsim.disconnect, "ha2", "r3")
    cluster.change(drbdsim.outdate, "ha2", "r3", "0")
    run = cluster.script("ha2", "1", "start")
    assert run.code == 1
    assert "domU web3: refusing to start: drbd r3" in run.err
    assert "Outdated, not UpToDate" in run.err
    assert set(cluster.domains("ha2")) == {"web1"}


# -- stop: migrate, save, shutdown then destroy ----------------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
def test_stop_migrates_to_the_peer_and_writes_the_ledger(cluster, tool):
    cluster.defaults("ha1", "1", XENHA_TOOLSTACK=tool, XENDOMAINS_MIGRATE="ha2 --live", XENHA_PEER="ha2")
    _started(cluster, "ha1", "1")
    stop = cluster.script("ha1", "1", "stop")
    assert stop.code == 0, stop.err
    wanted = "xl migrate web1 ha2" if tool == "xl" else "xm migrate --live web1 ha2"
    assert wanted in stop.calls
    assert not [c for c in stop.calls if "shutdown" in c]
    assert cluster.domains("ha1") == {}
    assert set(cluster.domains("ha2")) == {"web1", "web3"}
    ledger = json.loads((cluster.root / "ledger" / "ha1" / "migrations.json").read_text())
    assert [(m["guest"], m["source"], m["target"], m["toolstack"]) for m in ledger["moves"]] == [
        ("web1", "ha1", "ha2", tool),
        ("web3", "ha1", "ha2", tool),
    ]
    assert cluster.script("ha1", "1", "status").code == 3
    # heartbeat on ha2 now runs start for the group: the guests are already there
    takeover = _started(cluster, "ha2", "1")
    assert "running 2" in takeover.out
    assert cluster.script("ha2", "1", "status").out == "xendomainsHA1: running (2 of 2 guests here)\n"


def test_failed_migration_falls_back_to_a_clean_shutdown(cluster):
    cluster.defaults("ha1", "1", XENDOMAINS_MIGRATE="nowhere")
    _started(cluster, "ha1", "1")
    stop = cluster.script("ha1", "1", "stop")
    assert stop.code == 0, stop.err
    assert "domU web1: migration to nowhere failed" in stop.err
    assert "xl shutdown web1" in stop.calls
    assert cluster.domains("ha1") == {} and cluster.domains("ha2") == {}


@pytest.mark.parametrize("tool", TOOLS)
def test_stop_saves_and_start_restores(cluster, tool):
    save = cluster.root / "save"
    cluster.defaults("ha2", "2", XENHA_TOOLSTACK=tool, XENDOMAINS_SAVE=str(save), XENDOMAINS_RESTORE="true")
    _started(cluster, "ha2", "2")
    stop = cluster.script("ha2", "2", "stop")
    assert stop.code == 0, stop.err
    assert {f"{tool} save db2 {save}/db2", f"{tool} save plain2 {save}/plain2"} <= set(stop.calls)
    assert sorted(os.listdir(save)) == ["db2", "plain2"]
    assert cluster.domains("ha2") == {}
    start = _started(cluster, "ha2", "2")
    assert f"{tool} restore {save}/db2" in start.calls
    assert not [c for c in start.calls if " create " in c.split("restore")[0]]
    assert os.listdir(save) == []
    assert set(cluster.domains("ha2")) == {"db2", "plain2"}


def test_guest_ignoring_shutdown_is_destroyed_after_maxwait(cluster):
    tool = "xm"
    cluster.defaults("ha2", "2", XENHA_TOOLSTACK=tool, XENDOMAINS_STOP_MAXWAIT="1")
    _started(cluster, "ha2", "2")
    cluster.change(xensim.set_guest_behaviour, "plain2", ignore_shutdown=True)
    stop = cluster.script("ha2", "2", "stop")
    assert stop.code == 0, stop.err
    assert "domU plain2: still there after 1s; destroying it" in stop.err
    assert f"{tool} destroy plain2" in stop.calls
    assert f"{tool} destroy db2" not in stop.calls
    shutdown_db2 = stop.calls.index(f"{tool} shutdown db2")
    assert stop.calls[shutdown_db2 + 1] == f"{tool} shutdown plain2"  # both asked at once, then waited for together
    assert 1.0 <= stop.elapsed < 5.0
    assert cluster.domains("ha2") == {}


def test_failed_stop_keeps_the_lock_so_heartbeat_sees_the_group_held(cluster):
    cluster.defaults("ha2", "2", XENDOMAINS_STOP_MAXWAIT="1")
    _started(cluster, "ha2", "2")
    cluster.change(xensim.set_guest_behaviour, "plain2", ignore_shutdown=True)
    stop = cluster.script("ha2", "2", "stop", FAIL_DESTROY="1")
    assert stop.code == 1
    assert "still here: plain2" in stop.err
    assert cluster.lockfile("ha2", "2").exists()
    status = cluster.script("ha2", "2", "status")
    assert (status.code, status.out) == (0, "xendomainsHA2: running (1 of 2 guests here)\n")
    if RESOURCE_MANAGER.exists():
        assert _resource_manager_status(cluster, "ha2", "2") == 0


# -- status ----------------------------------------------------------------------------------------------------------


def test_status_ignores_a_lock_file_from_an_earlier_boot(cluster):
    lock = cluster.lockfile("ha1", "1")
    lock.parent.mkdir(parents=True)
    lock.write_text("00000000-0000-0000-0000-000000000000\n")
    assert cluster.script("ha1", "1", "status").code == 3
    lock.write_text("")  # an old xendomains copy's `touch`: trusted
    assert cluster.script("ha1", "1", "status").out == "xendomainsHA1: running (0 of 2 guests here)\n"


def test_status_counts_guests_running_without_the_lock(cluster):
    cluster.sim.run("ha1", ["xl", "create", str(cluster.cfgroot / "HA2" / "plain2.cfg")])
    status = cluster.script("ha1", "2", "status")
    assert (status.code, status.out) == (0, "xendomainsHA2: running (1 of 2 guests here)\n")


def test_status_with_an_unreadable_defaults_file_follows_the_lock(cluster):
    (cluster.root / "default" / "ha1" / "xendomainsHA1").write_text("XENDOMAINS_AUTO=$(reboot)\n")
    run = cluster.script("ha1", "1", "status")
    assert (run.code, run.out) == (3, "xendomainsHA1: not running\n")
    assert "would expand or run something" in run.err
    start = cluster.script("ha1", "1", "start")
    assert start.code == 6
    assert not cluster.lockfile("ha1", "1").exists()  # a start that failed on its settings takes no lock


def test_a_legacy_lockfile_setting_is_ignored_with_a_warning(cluster):
    """Issue 13: LOCKFILE=/var/lock/... let any local user make status claim the group; now only /run counts."""
    legacy = cluster.root / "var-lock" / "xendomainsHA1"
    cluster.defaults("ha1", "1", LOCKFILE=str(legacy))
    start = _started(cluster, "ha1", "1")
    assert f"LOCKFILE='{legacy}' is ignored: the group's lock is" in start.err
    assert not legacy.exists() and cluster.lockfile("ha1", "1").exists()
    assert os.stat(cluster.lockfile("ha1", "1").parent).st_mode & 0o777 == 0o700


def _resource_manager_status(cluster: Cluster, node: str, group: str) -> int:
    """heartbeat's own `ResourceManager status xendomainsHA<group>` (we_own_resource) with our script installed."""
    resource_dir = cluster.root / "resource.d"
    resource_dir.mkdir(exist_ok=True)
    link = resource_dir / f"xendomainsHA{group}"
    if not link.exists():
        link.symlink_to(LAUNCHER_DIR / "xendomainsHA")
    env = cluster.env(node, HA_RESOURCEDIR=str(resource_dir))
    done = subprocess.run(["/bin/sh", str(RESOURCE_MANAGER), "status", f"xendomainsHA{group}"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    return done.returncode


@pytest.mark.skipif(not RESOURCE_MANAGER.exists() or not shutil.which("sh"), reason="heartbeat is not installed")
def test_heartbeat_resource_manager_reads_our_status_right(cluster):
    """The real `we_own_resource` (0 held, 3 not) agrees with our exit code in every state the group passes."""
    assert _resource_manager_status(cluster, "ha1", "1") == 3
    _started(cluster, "ha1", "1")
    assert _resource_manager_status(cluster, "ha1", "1") == 0
    assert _resource_manager_status(cluster, "ha2", "1") == 3
    assert cluster.script("ha1", "1", "stop").code == 0
    assert _resource_manager_status(cluster, "ha1", "1") == 3


# -- the boot guard --------------------------------------------------------------------------------------------------

BOOTGUARD = REPO / "packaging" / "scripts" / "xenha-bootguard"
MIGRATE = REPO / "packaging" / "scripts" / "xenha-migrate"


def _boot_setup(cluster: Cluster) -> Path:
    boot = cluster.root / "xen" / "boot"
    boot.mkdir(parents=True)
    (boot / "bootweb1.cfg").write_text("name = 'bootweb1'\nmemory = 256\ndisk = ['drbd:r1,xvda,w']\n")
    (boot / "plain1.cfg").write_text("name = 'plain1'\nmemory = 256\ndisk = ['phy:/dev/vg0/plain1,xvda,w']\n")
    (boot / "HA1").mkdir()  # a heartbeat group's directory: never read by the guard
    (boot / "HA1" / "web1.cfg").write_text("name = 'web1'\nmemory = 256\ndisk = ['drbd:r1,xvda,w']\n")
    defaults = cluster.root / "xenha-bootguard"
    defaults.write_text(f"BOOTGUARD_AUTO={boot}\nBOOTGUARD_JITTER=0\n")
    return defaults


def _bootguard(cluster: Cluster, node: str, *args: str, interval: str = "0.3") -> Run:
    env = cluster.env(node, XENHA_BOOTGUARD_DEFAULTS=str(cluster.root / "xenha-bootguard"),
                      XENHA_BOOTGUARD_PIDFILE=str(cluster.root / f"bootguard-{node}.pid"),
                      XENHA_BOOTGUARD_INTERVAL=interval)  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([str(BOOTGUARD), *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started, [])


def _restart_ha2(cluster: Cluster) -> None:
    from xenha_sim import faults

    cluster.change(faults.restart_node, "ha2")
    up = cluster.sim.run("ha2", ["drbdadm", "up", *MINORS], XENHA_SIM_DRBD_CONF=str(cluster.drbd_conf))
    assert up.returncode == 0, up.stderr


def test_boot_guard_verdicts_on_the_drbd_states_of_the_simulator(cluster):
    _boot_setup(cluster)
    check = _bootguard(cluster, "ha1", "check")
    assert check.out == "bootweb1: safe to start\nplain1: safe to start\n"
    cluster.sim.run("ha2", ["xl", "create", str(cluster.cfgroot / "HA1" / "web1.cfg")])  # r1 Primary on ha2
    refused = _bootguard(cluster, "ha1", "check")
    assert "bootweb1: refused: drbd r1: Primary on the peer; the guest runs there\n" in refused.out
    cluster.sim.run("ha2", ["xl", "destroy", "web1"])
    cluster.sim.run("ha1", ["drbdadm", "disconnect", "r1"], XENHA_SIM_DRBD_CONF=str(cluster.drbd_conf))
    standalone = _bootguard(cluster, "ha1", "check")
    assert "bootweb1: undetermined: drbd r1: StandAlone, the peer's role is unknown\n" in standalone.out
    from xenha_sim import faults

    cluster.change(faults.crash_node, "ha2")
    cluster.sim.run("ha1", ["drbdadm", "connect", "r1"], XENHA_SIM_DRBD_CONF=str(cluster.drbd_conf))
    waiting = _bootguard(cluster, "ha1", "check")
    assert "bootweb1: undetermined: drbd r1: WFConnection, the peer's role is unknown\n" in waiting.out
    assert "plain1: safe to start\n" in waiting.out
    assert cluster.domains("ha1") == {}  # check starts nothing


def test_boot_guard_starts_safe_guests_at_once_and_waits_for_the_peer(cluster):
    _boot_setup(cluster)
    from xenha_sim import faults

    cluster.change(faults.crash_node, "ha2")
    env = cluster.env("ha1", XENHA_BOOTGUARD_DEFAULTS=str(cluster.root / "xenha-bootguard"),
                      XENHA_BOOTGUARD_PIDFILE=str(cluster.root / "fg.pid"), XENHA_BOOTGUARD_INTERVAL="0.3")  # fmt: skip
    guard = subprocess.Popen([str(BOOTGUARD), "start", "--foreground"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while "plain1" not in cluster.domains("ha1") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(cluster.domains("ha1")) == {"plain1"}
        time.sleep(0.8)  # a few re-checks: still waiting
        assert guard.poll() is None
        _restart_ha2(cluster)
        out, err = guard.communicate(timeout=20)
    finally:
        if guard.poll() is None:
            guard.kill()
            guard.wait()
    assert guard.returncode == 0, err
    assert "xenha-bootguard: started plain1\n" in out
    assert "xenha-bootguard: waiting for bootweb1: drbd r1: WFConnection, the peer's role is unknown\n" in out
    assert "domU bootweb1: started (DRBD safe)" in err
    assert set(cluster.domains("ha1")) == {"plain1", "bootweb1"}
    assert "web1" not in cluster.domains("ha1")  # the HA1/ subdirectory is heartbeat's


def test_boot_guard_daemon_status_reload_and_stop(cluster):
    _boot_setup(cluster)
    from xenha_sim import faults

    cluster.change(faults.crash_node, "ha2")
    first = _bootguard(cluster, "ha1", "start", interval="3600")
    assert first.code == 0, first.err
    assert first.elapsed < 10
    status = _bootguard(cluster, "ha1", "status")
    assert status.code == 0, status.out
    assert status.out.startswith("xenha-bootguard: running (pid ")
    assert "waiting for 1 guest(s)\n  bootweb1: drbd r1: WFConnection, the peer's role is unknown\n" in status.out
    assert _bootguard(cluster, "ha1", "start").out.startswith("xenha-bootguard: already running")
    _restart_ha2(cluster)
    assert _bootguard(cluster, "ha1", "reload").code == 0  # SIGHUP: check now, not in an hour
    deadline = time.monotonic() + 20
    while _bootguard(cluster, "ha1", "status").code == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _bootguard(cluster, "ha1", "status").code == 3
    assert "bootweb1" in cluster.domains("ha1")
    # a second daemon, stopped by `stop`
    cluster.sim.run("ha1", ["xl", "destroy", "bootweb1"])
    cluster.change(faults.crash_node, "ha2")
    assert _bootguard(cluster, "ha1", "start", interval="3600").code == 0
    assert _bootguard(cluster, "ha1", "status").code == 0
    stop = _bootguard(cluster, "ha1", "stop")
    assert stop.code == 0
    assert _bootguard(cluster, "ha1", "status").code == 3
    assert _bootguard(cluster, "ha1", "reload").code == 7


# -- xenha-migrate ---------------------------------------------------------------------------------------------------


def test_xenha_migrate_moves_records_and_brings_guests_home(cluster):
    remote = cluster.root / "simremote"
    remote.write_text('#!/bin/sh\nhost=$1; shift\nXENHA_SIM_NODE=$host exec "$@"\n')  # `ssh HOST cmd` in the sim
    remote.chmod(0o755)
    cluster.sim.run("ha1", ["xl", "create", str(cluster.cfgroot / "HA2" / "plain2.cfg")])
    env = cluster.env("ha1", XENHA_MIGRATE_REMOTE=str(remote))

    def migrate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(MIGRATE), *args], env=env, capture_output=True, text=True, timeout=60, check=False)

    assert migrate("status").stdout == "no migrations recorded\n"
    assert migrate("move").returncode == 2
    moved = migrate("move", "--all", "--to", "ha2")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout == "domU plain2: moved to ha2\n"
    assert set(cluster.domains("ha2")) == {"plain2"}
    status = migrate("status").stdout.splitlines()
    assert status[0].split() == ["GUEST", "FROM", "TO", "ADDRESS", "WHEN", "STATE"]
    assert status[1].split()[:4] == ["plain2", "ha1", "ha2", "ha2"] and status[1].endswith("away")
    assert migrate("reverse", "web1").returncode == 1
    back = migrate("reverse", "--all")
    assert back.returncode == 0, back.stderr
    assert back.stdout == "domU plain2: home from ha2\n"
    assert set(cluster.domains("ha1")) == {"plain2"} and cluster.domains("ha2") == {}
    assert " returned " in migrate("status").stdout
    assert migrate("reverse", "--all").stdout == ""  # nothing left away
