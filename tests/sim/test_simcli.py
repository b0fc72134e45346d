# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha-sim: world set-up from a real drbd.conf, guests, faults; checked through the simulated tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.sim.conftest import REPO, Sim

DRBD_CONF = """\
resource r0 {
  protocol C;
  device /dev/drbd0;
  disk /dev/vg0/r0;
  meta-disk internal;
  net { allow-two-primaries; after-sb-0pri discard-zero-changes; after-sb-1pri discard-secondary; }
  startup { become-primary-on both; }
  on ha1 { address 10.99.0.1:7788; }
  on ha2 { address 10.99.0.2:7788; }
}
"""


def simcli(sim: Sim, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/usr/bin/python3", str(REPO / "packaging/lab-cli/xenha-sim"), "--world", sim.world.path, *argv],
        env=sim.env("ha1"),
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_define_up_crash_restart(sim: Sim, tmp_path: Path) -> None:
    conf = tmp_path / "drbd.conf"
    conf.write_text(DRBD_CONF)
    assert simcli(sim, "drbd-define", str(conf)).returncode == 0
    for node in ("ha1", "ha2"):
        assert sim.run(node, ["drbdadm", "-c", str(conf), "up", "r0"]).returncode == 0
    assert sim.run("ha1", ["drbdadm", "-c", str(conf), "primary", "r0"]).returncode == 0
    assert " cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate " in sim.proc_drbd("ha1").read_text()

    assert simcli(sim, "crash", "ha2").returncode == 0
    assert "cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown" in sim.proc_drbd("ha1").read_text()
    assert sim.run("ha2", ["xl", "list"]).returncode != 0  # a dead node answers nothing

    assert simcli(sim, "restart", "ha2").returncode == 0
    assert sim.run("ha2", ["drbdadm", "-c", str(conf), "role", "r0"]).returncode != 0  # down after reboot
    shown = simcli(sim, "show").stdout
    assert "node ha2 (up, xl, boot 2)" in shown


def test_cut_link_and_heal(sim: Sim, tmp_path: Path) -> None:
    conf = tmp_path / "drbd.conf"
    conf.write_text(DRBD_CONF)
    simcli(sim, "drbd-define", str(conf))
    for node in ("ha1", "ha2"):
        sim.run(node, ["drbdadm", "-c", str(conf), "up", "r0"])
    assert simcli(sim, "cut-link", "ha1", "ha2").returncode == 0
    assert " cs:WFConnection " in sim.proc_drbd("ha1").read_text()
    assert simcli(sim, "heal").returncode == 0
    assert " cs:Connected " in sim.proc_drbd("ha1").read_text()


def test_hang_makes_the_tool_slow(sim: Sim) -> None:
    assert simcli(sim, "hang", "ha1", "xl", "5").returncode == 0
    try:
        sim.run("ha1", ["xl", "list"], timeout=1)
    except subprocess.TimeoutExpired:
        pass
    else:
        raise AssertionError("xl answered although it was made to hang")
    simcli(sim, "hang", "ha1", "xl", "0")
    assert sim.run("ha1", ["xl", "list"]).returncode == 0


def test_set_timing_and_drbd_rates(sim: Sim) -> None:
    assert simcli(sim, "set", "migrate_s_per_gib=20", "resync_kib_s=10240", "write_kib=1024").returncode == 0
    state = sim.world.snapshot()
    assert state["xen"]["config"]["migrate_s_per_gib"] == 20.0
    assert (state["drbd"]["resync_kib_s"], state["drbd"]["write_kib"]) == (10240, 1024)
    for bad in ("nope=1", "resync_kib_s=fast", "migrate_s_per_gib=-1", "migrate_s_per_gib"):
        proc = simcli(sim, "set", bad)
        assert proc.returncode == 2 and bad in proc.stderr, proc.stderr


def test_write_a_given_amount_and_reserve_memory(sim: Sim, tmp_path: Path) -> None:
    conf = tmp_path / "drbd.conf"
    conf.write_text(DRBD_CONF)
    simcli(sim, "drbd-define", str(conf))
    for node in ("ha1", "ha2"):
        sim.run(node, ["drbdadm", "-c", str(conf), "up", "r0"])
    sim.run("ha1", ["drbdadm", "-c", str(conf), "primary", "r0"])
    simcli(sim, "cut-link", "ha1", "ha2")
    assert simcli(sim, "write", "ha1", "r0", "--kib", "8192").returncode == 0
    assert " oos:8192" in sim.proc_drbd("ha1").read_text()
    assert simcli(sim, "reserve-memory", "ha2", "15000").returncode == 0
    assert sim.world.snapshot()["xen"]["reserved_mib"] == {"ha2": 15000}
    assert simcli(sim, "reserve-memory", "ha2", "0").returncode == 0
    assert sim.world.snapshot()["xen"]["reserved_mib"] == {}
