# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha convert` end to end: the heartbeat lab's configuration, converted on ha1, runs a real Pacemaker cluster.

The heartbeat v1 files are the heartbeat lab's (tests/lab/test_heartbeat.py: web1 on DRBD r1 in group 1, db2 on r2
in group 2, auto_failback on, allow-two-primaries in drbd.conf's common section) with the homes mirrored (`ha2
xendomainsHA1` / `ha1 xendomainsHA2`, see HOMES), plus what the guides' admins have and that lab leaves out:
XENDOMAINS_MIGRATE="ha2X --live" (ha1's copy of the defaults: stop live-migrates to the peer's migration
network). `xenha convert` runs inside node ha1, as an admin would run it there; the only thing added by hand is
the decision the output asks for, a fence device (the lab's fence_noop, which powers the lab node off through the
world). Then, on the same simulator:

- the guests end on the nodes heartbeat had them on (web1 on ha2, db2 on ha1);
- `crm resource move db2 ha2` migrates it live, to the address migration_address names (ha2X);
- ha2, now running both, is killed: it is fenced and both guests are restarted on ha1.

No guest may ever be live on two nodes (checked ten times a second). The measured times are printed (pytest -s).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.lab.support import Sampler, seconds_until
from tests.lab.test_heartbeat import GROUPS, NODES
from xenha_sim import drbdsim, xensim
from xenha_sim.faultcheck import CrmView
from xenha_sim.lab import FENCE_LOG, Lab, LabConfig

pytestmark = pytest.mark.lab

PREFIX = "xcvt"
# haresources: the group's home node, the heartbeat lab's mirrored. Without the converted location constraints
# Pacemaker would place web1 (the higher priority, allocated first) on ha1 and db2 on ha2, the heartbeat lab's
# homes; mirrored, only the constraints can put the guests where heartbeat had them.
HOMES = {"1": "ha2", "2": "ha1"}


def write_heartbeat_files(root: Path, lab_dir: Path) -> None:
    """ha1's heartbeat v1 configuration, as the heartbeat lab writes it, under `root`; drbd.conf where the lab's
    simulated drbdadm reads it."""
    ha = root / "ha.d"
    ha.mkdir(parents=True)
    (ha / "ha.cf").write_text(
        "logfacility none\nkeepalive 500ms\nwarntime 2\ndeadtime 3\ninitdead 6\nudpport 694\n"
        "ucast eth0 10.99.77.2\nauto_failback on\ncrm off\n" + "".join(f"node {n}\n" for n in NODES)
    )
    (ha / "haresources").write_text("".join(f"{HOMES[g]} xendomainsHA{g}\n" for g in GROUPS))
    (root / "default").mkdir()
    for group, (guest, res, _) in GROUPS.items():
        auto = root / "auto" / f"HA{group}"
        auto.mkdir(parents=True)
        (auto / f"{guest}.cfg").write_text(f"name = '{guest}'\nmemory = 256\ndisk = ['drbd:{res},xvda,w']\n")
        (root / "default" / f"xendomainsHA{group}").write_text(
            f"XENDOMAINS_AUTO={auto}\nXENDOMAINS_STOP_MAXWAIT=10\nXENHA_START_MAXWAIT=20\n"
            'XENDOMAINS_MIGRATE="ha2X --live"\n'
        )
    (lab_dir / "drbd.conf").write_text(
        "global { usage-count no; }\ncommon { net { protocol C; allow-two-primaries; } }\n"
        + "".join(
            f"resource {res} {{\n  device /dev/drbd{minor};\n  disk /dev/vg/{res};\n  meta-disk internal;\n"
            + "".join(f"  on {n} {{ address 10.99.0.{i}:77{minor:02d}; }}\n" for i, n in enumerate(NODES, 1))
            + "}\n"
            for _, res, minor in GROUPS.values()
        )
    )


class Watch(Sampler):
    """Checks the world ten times a second: no guest live on two nodes."""

    period = 0.1

    def __init__(self, lab: Lab) -> None:
        super().__init__()
        self.lab = lab
        self.violations: list[str] = []

    def guests(self) -> dict[str, list[str]]:
        state = self.lab.world.snapshot()
        now = time.time()
        found: dict[str, list[str]] = {}
        for node, rec in state["nodes"].items():
            if rec.get("alive"):
                for dom in xensim.list_domains(state, node, now):
                    if dom.domid != 0:
                        found.setdefault(dom.name, []).append(node)
        return found

    def sample(self) -> None:
        for guest, nodes in self.guests().items():
            if len(nodes) > 1:
                self.violations.append(f"{guest} on {nodes}")


def _fence_log(lab: Lab) -> str:
    try:
        return (lab.dir / FENCE_LOG).read_text(errors="replace")
    except FileNotFoundError:
        return ""


def placed(lab: Lab, want: dict[str, str]) -> bool:
    """Every guest runs on its wanted node only, in the world and in pacemaker's view."""
    try:
        crm = CrmView.parse(lab.crm_mon_xml())
    except Exception:  # noqa: BLE001 -- no node answering yet is "not yet"
        return False
    world = Watch(lab).guests()
    return all(world.get(g) == [n] and crm.placed(g, "Started") == [n] for g, n in want.items())


def test_heartbeat_configuration_converted_runs_under_pacemaker(lab: Lab, record_property) -> None:
    began = time.monotonic()
    cfg = lab.up(2, config=LabConfig(nodes=list(NODES), token_ms=2000, prefix=PREFIX))
    hb = lab.dir / "heartbeat"
    write_heartbeat_files(hb, lab.dir)
    with lab.world.transaction() as state:
        for _, res, _ in GROUPS.values():
            drbdsim.init_resource(state, res, list(cfg.nodes))
    argv = ["xenha", "convert", "--ha-dir", str(hb / "ha.d"), "--defaults-dir", str(hb / "default"),
            "--drbd-conf", str(lab.dir / "drbd.conf")]  # fmt: skip

    check = lab.exec("ha1", [*argv, "--check"], timeout=30, capture=True)
    assert check.returncode == 1, check.stderr
    decide = sorted(line.split(":")[1].strip() for line in check.stdout.splitlines() if line.startswith("decide:"))
    assert decide == ["DRBD r1", "DRBD r2", "fencing"], check.stdout  # DRBD's own fencing, and the fence device

    done = lab.exec("ha1", argv, timeout=30, capture=True)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert 'migration_address="ha1=ha1X ha2=ha2X"' in text and "allow-migrate=true" in text
    assert "stonith-enabled=true" in text and "stonith-enabled=false" not in text
    # the decision the output asks for: a fence device (the lab's)
    fence = (
        f'primitive fence-noop stonith:fence_noop params hosts="{",".join(cfg.nodes)}" '
        f'sim_world="{lab.dir / "world"}" log_file="{lab.dir / FENCE_LOG}" op monitor interval=60s\n'
    )
    (lab.dir / "cluster.crm").write_text(fence + text)

    with Watch(lab) as watch:
        load = lab.exec("ha1", ["crm", "configure", "load", "update", str(lab.dir / "cluster.crm")], timeout=60,
                        capture=True)  # fmt: skip
        assert load.returncode == 0, load.stderr
        home = {guest: HOMES[g] for g, (guest, _, _) in GROUPS.items()}  # where heartbeat had them
        start_s = seconds_until(lambda: placed(lab, home), 90, f"guests at home {home}")

        migrations_before = len(lab.world.snapshot()["xen"].get("migrations", {}))
        move = lab.exec("ha2", ["crm", "resource", "move", "db2", "ha2"], timeout=30, capture=True)
        assert move.returncode == 0, move.stderr
        move_s = seconds_until(lambda: placed(lab, {"web1": "ha2", "db2": "ha2"}), 60, "db2 moved to ha2")
        migrations = list(lab.world.snapshot()["xen"]["migrations"].values())[migrations_before:]
        live = [m for m in migrations if m["base"] == "db2" and m["result"] == "ok"]
        assert live and live[-1]["src"] == "ha1" and live[-1]["dst"] == "ha2", migrations
        assert live[-1]["host"] == "ha2X"  # migration_address, from XENDOMAINS_MIGRATE

        lab.kill("ha2")
        failover_s = seconds_until(lambda: placed(lab, {"web1": "ha1", "db2": "ha1"}), 90, "web1 and db2 on ha1")
        assert "target=ha2 result=success" in _fence_log(lab)  # recovery waited for the fence
    assert watch.violations == [], watch.violations
    total = time.monotonic() - began
    record_property("start_s", round(start_s, 1))
    record_property("move_s", round(move_s, 1))
    record_property("failover_s", round(failover_s, 1))
    print(f"\nconverted: home in {start_s:.1f}s, live move {move_s:.1f}s, failover {failover_s:.1f}s, "
          f"total {total:.1f}s")  # fmt: skip
