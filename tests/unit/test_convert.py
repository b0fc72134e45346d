# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha convert`: heartbeat v1 layouts (the seeds') to crmsh and pcs, --check, bad input, and crm_verify on a CIB."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pacemaker import can_use_checkout_agents, with_checkout_agents
from xenha.drbd.conf import parse_drbd_conf
from xenha.errors import ParseError
from xenha.hb1.config import group_config, guest_from_text, parse_shell_vars
from xenha.tools import convert
from xenha.tools.inspect import main

NODES = ("ha1", "ha2")


# ---------------------------------------------------------------------------------------------------------------------
# Layouts on disk


@dataclass
class GuestSpec:
    name: str
    disks: tuple[str, ...]  # disk specs as written in the config
    text: str | None = None  # the whole config, when it is not literal


@dataclass
class Layout:
    """A heartbeat v1 node's files: haresources, ha.cf, /etc/default/xendomainsHA<N>, auto dirs, drbd.conf."""

    groups: dict[str, tuple[str, list[GuestSpec]]]  # group -> (home node, guests)
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)  # group -> extra settings
    resources: dict[str, tuple[int, bool]] = field(default_factory=dict)  # DRBD resource -> (minor, two primaries)
    auto_failback: str | None = "on"
    ha_cf_extra: str = ""
    haresources_extra: str = ""
    link_configs: bool = True  # the auto dirs hold links to /etc/xen-like configs, as the guides do
    drbd_fencing: bool = False  # common: fencing resource-and-stonith and the crm-fence-peer handlers

    def write(self, root: Path) -> list[str]:
        (root / "ha.d").mkdir(parents=True)
        (root / "default").mkdir()
        (root / "xen").mkdir()
        lines = "".join(f"{home} xendomainsHA{g}\n" for g, (home, _) in self.groups.items())
        (root / "ha.d" / "haresources").write_text("# written by the test\n" + lines + self.haresources_extra)
        failback = f"auto_failback {self.auto_failback}\n" if self.auto_failback else ""
        (root / "ha.d" / "ha.cf").write_text(
            "keepalive 500ms\ndeadtime 3\nucast eth0 10.0.0.2\n" + failback + "crm off\n"
            + "".join(f"node {n}\n" for n in NODES) + self.ha_cf_extra
        )  # fmt: skip
        for group, (_, guests) in self.groups.items():
            auto = root / "auto" / f"HA{group}"
            auto.mkdir(parents=True)
            for guest in guests:
                disks = ", ".join(f"'{d}'" for d in guest.disks)
                text = guest.text or f"name = '{guest.name}'\nmemory = 256\ndisk = [{disks}]\n"
                if self.link_configs:
                    (root / "xen" / f"{guest.name}.cfg").write_text(text)
                    (auto / f"{guest.name}.cfg").symlink_to(root / "xen" / f"{guest.name}.cfg")
                else:
                    (auto / f"{guest.name}.cfg").write_text(text)
            settings_ = {"XENDOMAINS_AUTO": str(auto), **self.defaults.get(group, {})}
            (root / "default" / f"xendomainsHA{group}").write_text(
                "# /etc/default/xendomainsHA\n" + "".join(f'{k}="{v}"\n' for k, v in settings_.items())
            )
        blocks = []
        for res, (minor, two) in self.resources.items():
            net = "  net { allow-two-primaries; }\n" if two else ""
            hosts = "".join(f"  on {n} {{ address 10.0.0.{i}:77{minor:02d}; }}\n" for i, n in enumerate(NODES, 1))
            blocks.append(f"resource {res} {{\n  device /dev/drbd{minor};\n  disk /dev/vg/{res};\n"
                          f"  meta-disk internal;\n{net}{hosts}}}\n")  # fmt: skip
        fencing = (
            ' disk { fencing resource-and-stonith; } handlers { fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh"; }'
            if self.drbd_fencing
            else ""
        )
        common = f"common {{ net {{ protocol C; }}{fencing} }}\n"
        (root / "drbd.conf").write_text("global { usage-count no; }\n" + common + "".join(blocks))
        return [
            "convert",
            "--ha-dir", str(root / "ha.d"),
            "--defaults-dir", str(root / "default"),
            "--drbd-conf", str(root / "drbd.conf"),
        ]  # fmt: skip


def seeds() -> Layout:
    """The heartbeat sim test's layout: group 1 (web1 on r1 by drbd:, web3 on r3 by phy:/dev/drbd3) at home on ha1
    migrating on stop; group 2 (db2 on r2, plain2 on a local LV) at home on ha2."""
    return Layout(
        groups={
            "1": ("ha1", [GuestSpec("web1", ("drbd:r1,xvda,w",)), GuestSpec("web3", ("phy:/dev/drbd3,xvda,w",))]),
            "2": ("ha2", [GuestSpec("db2", ("drbd:r2,xvda,w",)), GuestSpec("plain2", ("phy:/dev/vg0/plain2,xvda,w",))]),
        },
        defaults={"1": {"XENDOMAINS_MIGRATE": "ha2X --live", "XENDOMAINS_STOP_MAXWAIT": "120"}},
        resources={"r1": (1, True), "r2": (2, True), "r3": (3, True)},
    )


def run(argv: list[str], *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, *extra], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def blocks(text: str) -> dict[str, str]:
    """crmsh text by object id: `primitive web1 ...` (continuation lines joined) -> {"web1": "primitive web1 ..."}."""
    joined = re.sub(r"\\\n\s*", "", text)
    found: dict[str, str] = {}
    for line in joined.splitlines():
        words = line.split()
        if words and words[0] in ("primitive", "clone", "colocation", "order", "location"):
            found[words[1]] = line
    return found


# ---------------------------------------------------------------------------------------------------------------------
# The seeds' layouts


def test_seeds_layout_to_crm(tmp_path):
    argv = seeds().write(tmp_path)
    code, out, err = run(argv)
    assert code == 0, err
    objs = blocks(out)
    # a promotable clone per DRBD resource a guest uses, drbd: and phy:/dev/drbdN alike
    for res in ("r1", "r2", "r3"):
        assert f"drbd_resource={res}" in objs[f"drbd-{res}"]
        assert "promotable=true" in objs[f"ms-drbd-{res}"] and "promoted-max=2" in objs[f"ms-drbd-{res}"]
        assert "notify=true" in objs[f"ms-drbd-{res}"]
        # the agent's advised timeouts (its meta-data)
        assert "op start timeout=240s" in objs[f"drbd-{res}"]
        assert "op monitor interval=29s role=Promoted timeout=20s" in objs[f"drbd-{res}"]
    # group 1 migrated on stop: allow-migrate and ha1 -> ha1X from XENDOMAINS_MIGRATE="ha2X --live"
    web1 = objs["web1"]
    assert f"config={tmp_path}/xen/web1.cfg" in web1  # the config, not the auto directory's link
    assert 'migration_address="ha1=ha1X ha2=ha2X"' in web1 and "allow-migrate=true" in web1
    assert "migrate_options" not in web1  # --live: xl always is, XenDomainHA adds it for xm
    assert "shutdown_timeout=120" in web1 and "op stop timeout=150s" in web1
    # at least the agent's advised timeouts, as the README's configuration gives them
    assert "op migrate_to timeout=300s" in web1 and "op start timeout=120s" in web1
    assert "op stop timeout=120s" in objs["db2"]
    assert "allow-migrate=false" in objs["db2"] and "migration_address" not in objs["db2"]
    assert "op migrate_to" not in objs["db2"]
    assert objs["web1-with-drbd"] == "colocation web1-with-drbd inf: web1 ms-drbd-r1:Promoted"
    assert objs["web1-after-drbd"] == "order web1-after-drbd Mandatory: ms-drbd-r1:promote web1:start"
    assert objs["web3-with-drbd"].endswith("web3 ms-drbd-r3:Promoted")
    assert objs["web1-home"] == "location web1-home web1 100: ha1"
    assert objs["db2-home"] == "location db2-home db2 100: ha2"
    # the local LV: the guest is written, without a storage constraint, and it is something to decide
    assert "plain2" in objs and not any(k.startswith("plain2-with") for k in objs)
    assert "rsc_defaults resource-stickiness=0 " in out
    assert "property stonith-enabled=true stonith-timeout=90s priority-fencing-delay=10s" in out
    assert "location fence-ha2-elsewhere fence-ha2 -inf: ha2" in out  # the example, commented out
    assert "\nlocation fence-" not in out and "\nprimitive fence-" not in out
    assert "stonith-enabled=false" not in out
    assert "fence agent is yours to choose" in out
    assert "things to decide" in err


@pytest.mark.parametrize(("failback", "stickiness"), [("on", 0), ("off", 200), ("legacy", 0), (None, 0)])
def test_auto_failback_sets_the_stickiness(tmp_path, failback, stickiness):
    layout = seeds()
    layout.auto_failback = failback
    code, out, _ = run(layout.write(tmp_path))
    assert code == 0
    assert f"rsc_defaults resource-stickiness={stickiness} " in out
    assert stickiness == 0 or stickiness > convert.HOME_SCORE  # off: a guest stays where it runs


def test_guest_priorities_make_the_first_group_win_a_split(tmp_path):
    code, out, _ = run(seeds().write(tmp_path))
    objs = blocks(out)
    prio = {g: int(re.findall(r"priority=(\d+)", objs[g])[0]) for g in ("web1", "web3", "db2", "plain2")}
    assert prio["web1"] + prio["web3"] > prio["db2"] + prio["plain2"]
    assert prio["web1"] > prio["db2"] + prio["plain2"]  # even one guest of group 1 outweighs all of group 2


def test_check_lists_what_needs_a_decision(tmp_path):
    layout = seeds()
    layout.defaults["2"] = {"XENDOMAINS_SAVE": "/var/lib/xen/save", "XENDOMAINS_SHUTDOWN_ALL": "true"}
    code, out, err = run(layout.write(tmp_path), "--check")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert all(line.startswith(("decide: ", "note: ")) for line in lines), lines
    decide = [line for line in lines if line.startswith("decide: ")]
    assert any("XENDOMAINS_SAVE=/var/lib/xen/save" in line for line in decide)
    assert any(line.startswith("decide: plain2: disk phy:/dev/vg0/plain2 is not on DRBD") for line in decide)
    assert any(line.startswith("decide: fencing: ") for line in decide)
    assert any("XENDOMAINS_SHUTDOWN_ALL" in line for line in lines if line.startswith("note: "))
    assert lines.index(decide[-1]) < len(decide)  # decisions first
    assert not any("web1" in line or "db2" in line for line in lines)  # nothing said about the clean guests


def test_check_exit_status_follows_the_decisions(tmp_path, monkeypatch):
    """Fencing is always the admin's decision; take it away and a clean layout passes --check."""
    layout = Layout(groups={"1": ("ha1", [GuestSpec("web1", ("drbd:r1,xvda,w",))])}, resources={"r1": (1, True)})
    layout.drbd_fencing = True
    argv = layout.write(tmp_path)
    code, out, _ = run(argv, "--check")
    assert code == 1 and out.startswith("decide: fencing: ") and out.count("\n") == 1
    real = convert.build_model

    def without_fencing(setup):
        model = real(setup)
        kept = tuple(f for f in model.findings if f.subject != "fencing")
        return convert.Model(**{**{k: getattr(model, k) for k in model.__dataclass_fields__}, "findings": kept})

    monkeypatch.setattr(convert, "build_model", without_fencing)
    code, out, _ = run(argv, "--check")
    assert (code, out) == (0, "")


def test_single_primary_resource_gets_promoted_max_1_and_no_live_migration(tmp_path):
    layout = seeds()
    layout.resources["r1"] = (1, False)
    code, out, _ = run(layout.write(tmp_path))
    objs = blocks(out)
    assert "promoted-max=1 " in objs["ms-drbd-r1"] and "promoted-max=2 " in objs["ms-drbd-r3"]
    assert "allow-migrate=false" in objs["web1"] and "migration_address" not in objs["web1"]
    assert "allow-migrate=true" in objs["web3"]  # same group, its own resource allows two primaries
    _, check, _ = run(layout.write(tmp_path / "again"), "--check")
    assert any(
        line.startswith("decide: web1: ") and "does not allow two primaries" in line for line in check.split("\n")
    )


def test_common_section_allow_two_primaries_counts(tmp_path):
    layout = Layout(groups={"1": ("ha1", [GuestSpec("web1", ("drbd:r1,xvda,w",))])}, resources={"r1": (1, False)})
    argv = layout.write(tmp_path)
    conf = tmp_path / "drbd.conf"
    conf.write_text(conf.read_text().replace("protocol C;", "protocol C; allow-two-primaries;"))
    _, out, _ = run(argv)
    assert "promoted-max=2 " in blocks(out)["ms-drbd-r1"]


def test_resource_shared_by_both_groups_is_a_decision(tmp_path):
    layout = seeds()
    layout.groups["2"][1][0] = GuestSpec("db2", ("drbd:r1,xvdb,w",))
    code, out, _ = run(layout.write(tmp_path), "--check")
    assert code == 1
    shared = [line for line in out.splitlines() if line.startswith("decide: DRBD r1: used by")]
    assert len(shared) == 1 and "xendomainsHA1 and xendomainsHA2" in shared[0], out


def test_config_that_computes_its_name(tmp_path):
    computed = "import os\nname = 'web' + os.uname()[1]\ndisk = ['drbd:r1,xvda,w']\n"
    layout = Layout(
        groups={"1": ("ha1", [GuestSpec("web9", (), text=computed), GuestSpec("web1", ("drbd:r1,xvda,w",))])},
        resources={"r1": (1, True)},
    )
    argv = layout.write(tmp_path)
    code, out, _ = run(argv)
    objs = blocks(out)
    assert code == 0 and "name=web9" in objs["web9"]  # the file's name, passed on as a guess
    assert not any(k.startswith("web9-with") for k in objs)
    _, check, _ = run(argv, "--check")
    assert any(line.startswith("decide: web9: ") and "computes its name" in line for line in check.splitlines())


def test_two_primaries_without_drbd_fencing_is_a_decision(tmp_path):
    layout = seeds()
    layout.resources["r2"] = (2, False)
    _, out, _ = run(layout.write(tmp_path / "a"), "--check")
    unfenced = sorted(line.split(":")[1].strip() for line in out.splitlines() if "without DRBD's own fencing" in line)
    assert unfenced == ["DRBD r1", "DRBD r3"]  # r2 has one Primary
    layout.drbd_fencing = True
    _, out, _ = run(layout.write(tmp_path / "b"), "--check")
    assert "without DRBD's own fencing" not in out


def test_drbd_conf_fencing_policies():
    conf = parse_drbd_conf(
        'common { disk { fencing resource-only; } handlers { fence-peer "/usr/lib/drbd/crm-fence-peer.sh"; } }\n'
        "resource a { device minor 1; }\n"
        "resource b { device minor 2; net { fencing resource-and-stonith; } }\n"
        "resource c { device minor 3; connection { net { fencing resource-and-stonith; } } }\n"
    )
    got = {r.name: (r.fencing, r.fence_peer) for r in conf.resources}
    assert got == {
        "a": ("resource-only", "/usr/lib/drbd/crm-fence-peer.sh"),
        "b": ("resource-and-stonith", "/usr/lib/drbd/crm-fence-peer.sh"),
        "c": ("resource-and-stonith", "/usr/lib/drbd/crm-fence-peer.sh"),
    }


def test_ids_are_unique_and_valid(tmp_path):
    """A guest called like another guest's constraint, or like a DRBD primitive, or not a valid XML id."""
    layout = Layout(
        groups={
            "1": ("ha1", [GuestSpec("web1", ("drbd:r1,xvda,w",)), GuestSpec("web1-home", ("drbd:r1,xvda,w",))]),
            "2": ("ha2", [GuestSpec("drbd-r1", ("drbd:r1,xvda,w",)), GuestSpec("9db", ("drbd:r1,xvda,w",))]),
        },
        resources={"r1": (1, True)},
    )
    code, out, _ = run(layout.write(tmp_path))
    objs = blocks(out)
    assert code == 0
    assert objs["web1-home"].startswith("primitive web1-home ocf:xenha:XenDomainHA")
    assert objs["web1-home-2"] == "location web1-home-2 web1 100: ha1"
    assert objs["drbd-r1"].startswith("primitive drbd-r1 ocf:xenha:XenDomainHA")
    assert "drbd_resource=r1" in objs["drbd-r1-2"] and "clone ms-drbd-r1 drbd-r1-2 " in out
    assert objs["x-9db"].startswith("primitive x-9db ocf:xenha:XenDomainHA params config=")


def test_migration_addresses():
    ma = convert.migration_addresses
    assert ma("ha2X", NODES, peer=None, local=None) == ({"ha1": "ha1X", "ha2": "ha2X"}, None)
    assert ma("ha2-mig.example", NODES, peer=None, local="ha1") == (
        {"ha1": "ha1-mig.example", "ha2": "ha2-mig.example"},
        None,
    )
    assert ma("ha2", NODES, peer=None, local="ha1") == ({}, None)  # node names are the addresses
    pairs, problem = ma("10.1.1.2", NODES, peer=None, local="ha1")
    assert pairs == {"ha2": "10.1.1.2"} and problem is not None and "ha1" in problem
    pairs, problem = ma("10.1.1.2", NODES, peer="ha2", local=None)
    assert pairs == {"ha2": "10.1.1.2"} and problem is not None
    pairs, problem = ma("10.1.1.2", NODES, peer=None, local=None)
    assert pairs == {} and problem is not None and "by hand" in problem
    # the longest node name that prefixes the target owns it (ha1 vs ha10)
    assert ma("ha10X", ("ha1", "ha10"), peer=None, local=None)[0] == {"ha1": "ha1X", "ha10": "ha10X"}


def test_migrate_options_other_than_live_are_kept(tmp_path):
    layout = seeds()
    layout.defaults["1"]["XENDOMAINS_MIGRATE"] = "-s 'ssh -p 2222' ha2X --live"
    _, out, _ = run(layout.write(tmp_path))
    assert "migrate_options=\"-s 'ssh -p 2222'\"" in blocks(out)["web1"]


def test_other_haresources_are_listed(tmp_path):
    layout = seeds()
    layout.haresources_extra = "ha1 IPaddr::10.0.0.9/24/eth0 MailTo::root\n"
    layout.ha_cf_extra = "stonith_host * external/ipmi ha2 10.0.0.2 admin SECRET lan\n"
    code, out, _ = run(layout.write(tmp_path), "--check")
    assert code == 1
    assert any("IPaddr::10.0.0.9/24/eth0 MailTo::root (no xendomainsHA group)" in line for line in out.splitlines())
    assert any("stonith_host external/ipmi is not converted" in line for line in out.splitlines())
    assert "SECRET" not in out  # stonith_host parameters hold passwords: never copied


def test_drbddisk_in_a_group(tmp_path):
    """`drbddisk::r1` before xendomainsHA1 (heartbeat's single-primary DRBD) is what the clone replaces; one that no
    guest of the group uses is not converted."""
    argv = seeds().write(tmp_path)
    (tmp_path / "ha.d" / "haresources").write_text("ha1 drbddisk::r1 drbddisk::r9 xendomainsHA1\nha2 xendomainsHA2\n")
    _, out, _ = run(argv, "--check")
    assert any(line.startswith("note: ") and "drbddisk::r1: the DRBD clone of r1 replaces it" in line
               for line in out.splitlines())  # fmt: skip
    assert any(line.startswith("decide: ") and "drbddisk::r9 in the group of xendomainsHA1 is not converted" in line
               for line in out.splitlines())  # fmt: skip


def test_pcs_script(tmp_path):
    code, out, _ = run(seeds().write(tmp_path), "--format", "pcs")
    assert code == 0 and out.startswith("#!/bin/sh\n")
    commands = [shlex.split(line) for line in out.splitlines() if line.startswith("pcs ")]
    assert commands[0] == ["pcs", "cluster", "cib", "$cib"] and commands[-1][:3] == ["pcs", "cluster", "cib-push"]
    creates = {c[5]: c for c in commands if c[3:5] == ["resource", "create"]}
    assert set(creates) == {"drbd-r1", "drbd-r2", "drbd-r3", "web1", "web3", "db2", "plain2"}
    drbd = creates["drbd-r1"]
    assert drbd[drbd.index("promotable") + 1 :][:2] == ["ms-drbd-r1", "promoted-max=2"]
    assert "migration_address=ha1=ha1X ha2=ha2X" in creates["web1"]
    assert next(c[3:] for c in commands if c[3:5] == ["property", "set"]) == [
        "property",
        "set",
        "stonith-enabled=true",
        "stonith-timeout=90s",
        "priority-fencing-delay=10s",
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Bad input: one line naming the file (and the line), exit 1


def _bad(tmp_path, edit) -> str:
    argv = seeds().write(tmp_path)
    edit(tmp_path)
    code, out, err = run(argv)
    assert code == 1 and out == "", out
    assert err.count("\n") == 1 and err.startswith("xenha convert: ") and "Traceback" not in err, err
    return err


def test_missing_haresources(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "ha.d" / "haresources").unlink())
    assert f"{tmp_path}/ha.d/haresources: No such file or directory" in err


def test_missing_defaults_file(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "default" / "xendomainsHA2").unlink())
    assert f"{tmp_path}/default/xendomainsHA2: No such file" in err


def test_unparsable_defaults_line(tmp_path):
    def edit(root: Path) -> None:
        path = root / "default" / "xendomainsHA1"
        path.write_text(path.read_text() + "XENDOMAINS_SAVE=$(hostname)\n")

    err = _bad(tmp_path, edit)
    assert f"{tmp_path}/default/xendomainsHA1: line 5: " in err and "would expand" in err


def test_unparsable_haresources_line(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "ha.d" / "haresources").write_text("ha1 xendomainsHA1\nha2\n"))
    assert f"{tmp_path}/ha.d/haresources: line 2: expected a node name" in err


def test_group_twice_in_haresources(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "ha.d" / "haresources").write_text("ha1 xendomainsHA1\nha2 xendomainsHA1\n"))
    assert "haresources: line 2: group 1 is also on line 1" in err


def test_no_group_in_haresources(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "ha.d" / "haresources").write_text("ha1 IPaddr::10.0.0.1\n"))
    assert "no xendomainsHA<N> resource group" in err


def test_bad_auto_failback(tmp_path):
    def edit(root: Path) -> None:
        path = root / "ha.d" / "ha.cf"
        path.write_text(path.read_text().replace("auto_failback on", "auto_failback sometimes"))

    err = _bad(tmp_path, edit)
    assert f"{tmp_path}/ha.d/ha.cf: line 4: auto_failback must be on, off or legacy" in err


def test_heartbeat_crm_cluster_is_refused(tmp_path):
    def edit(root: Path) -> None:
        path = root / "ha.d" / "ha.cf"
        path.write_text(path.read_text().replace("crm off", "crm respawn"))

    assert "ha.cf: line 5: heartbeat's CRM runs this cluster" in _bad(tmp_path, edit)


def test_bad_drbd_conf(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "drbd.conf").write_text("resource r1 {\n  device /dev/drbd1\n}\n"))
    assert f"{tmp_path}/drbd.conf: line 2: missing ';'" in err


def test_missing_auto_dir(tmp_path):
    err = _bad(tmp_path, lambda r: shutil.rmtree(r / "auto" / "HA2"))
    assert "xendomainsHA2: XENDOMAINS_AUTO=" in err and "No such file" in err


def test_defaults_without_auto(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "default" / "xendomainsHA1").write_text("XENDOMAINS_MIGRATE=ha2X\n"))
    assert f"{tmp_path}/default/xendomainsHA1: xendomainsHA1: XENDOMAINS_AUTO is not set" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_never_hangs_the_read(tmp_path):
    def edit(root: Path) -> None:
        (root / "ha.d" / "ha.cf").unlink()
        os.mkfifo(root / "ha.d" / "ha.cf")

    assert f"{tmp_path}/ha.d/ha.cf: a FIFO, not a regular file" in _bad(tmp_path, edit)


def test_a_hung_mount_ends_the_command(tmp_path, monkeypatch):
    """A file system that does not answer (a dead NFS mount) ends the command with one line, not a hang."""
    from xenha import files

    monkeypatch.setattr(convert, "READ_TIMEOUT_S", 0.2)
    real = files._read_now

    def hang(path, *args):
        if path.endswith("xendomainsHA2"):
            time.sleep(2)
        return real(path, *args)

    monkeypatch.setattr(files, "_read_now", hang)
    started = time.monotonic()
    err = _bad(tmp_path, lambda r: None)
    assert time.monotonic() - started < 1.5
    assert "xendomainsHA2: no answer in" in err


def test_an_oversized_file_is_refused(tmp_path):
    err = _bad(tmp_path, lambda r: (r / "ha.d" / "ha.cf").write_text("#" * (convert.FILE_MAX_BYTES + 1)))
    assert "larger than" in err


def test_a_value_crmsh_could_not_read_back_is_refused(tmp_path):
    layout = seeds()
    layout.link_configs = False  # the config path is in the auto directory
    argv = layout.write(tmp_path)
    odd = tmp_path / "auto" / 'HA"1'
    (tmp_path / "auto" / "HA1").rename(odd)
    (tmp_path / "default" / "xendomainsHA1").write_text(f"XENDOMAINS_AUTO='{odd}'\n")
    code, _, err = run(argv)
    assert code == 1 and "cannot be written" in err


# ---------------------------------------------------------------------------------------------------------------------
# drbd.conf: the small parser convert uses, against the simulator's (drbdadm's post-parse rules)


def test_drbd_conf_volumes_hosts_includes_and_connections(tmp_path):
    (tmp_path / "drbd.d").mkdir()
    (tmp_path / "drbd.d" / "global_common.conf").write_text("common { net { allow-two-primaries yes; } }\n")
    (tmp_path / "drbd.d" / "a.res").write_text(
        'resource "vm a" {\n  volume 0 { device /dev/drbd10; disk /dev/vg/a0; meta-disk internal; }\n'
        "  volume 1 { device minor 11; disk /dev/vg/a1; meta-disk internal; }\n"
        "  on ha1 { address 10.0.0.1:7788; }\n  on ha2 { address 10.0.0.2:7788; }\n}\n"
    )
    (tmp_path / "drbd.d" / "b.res").write_text(
        "resource b {\n  net { allow-two-primaries no; }\n"
        "  on ha1 { device /dev/drbd12 minor 12; address 1.1.1.1:1; }\n"
        "  on ha2 { device /dev/drbd12 minor 12; address 1.1.1.2:1; }\n"
        "  connection { host ha1; host ha2; net { allow-two-primaries; } }\n}\n"
    )
    conf = parse_drbd_conf('include "drbd.d/global_common.conf";\ninclude "drbd.d/*.res";\n', str(tmp_path / "x"))
    a, b = conf.resources
    assert (a.name, a.minors, a.hosts, a.two_primaries) == ("vm a", (10, 11), ("ha1", "ha2"), True)
    assert (b.name, b.minors, b.two_primaries) == ("b", (12,), True)  # the DRBD 9 connection's net counts
    assert conf.by_minor(11) is a and conf.resource("b") is b and conf.by_minor(99) is None
    assert a.path.endswith("a.res") and a.line == 1


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        ("resource r1 {\n device /dev/drbd1;\n", 1, "unterminated block"),
        ("}\n", 1, "unbalanced }"),
        ("resource r1 {\n device /dev/sda;\n}\n", 2, "device must be /dev/drbdN"),
        ("resource {\n}\n", 1, "expected resource NAME"),
        ('resource r1 {\n disk "/dev/x;\n}\n', 2, "unterminated double-quoted string"),
        ("resource r1 { }\nresource r1 { }\n", 2, "resource defined twice"),
        ('include "nothing;\n', 1, "unterminated"),
    ],
)
def test_drbd_conf_errors_name_file_and_line(text, line, why):
    with pytest.raises(ParseError) as info:
        parse_drbd_conf(text, "/etc/drbd.conf")
    assert info.value.reason.startswith(f"/etc/drbd.conf: line {line}: {why}"), info.value.reason


_RES_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def drbd_confs(draw: st.DrawFn) -> str:
    """drbd.conf texts in the styles admins write: common net, resource net, volumes or not, device forms."""
    common_two = draw(st.sampled_from(["", "allow-two-primaries;", "allow-two-primaries no;"]))
    parts = [f"# generated\nglobal {{ usage-count no; }}\ncommon {{ net {{ protocol C; {common_two} }} }}\n"]
    names = draw(st.lists(_RES_NAME, min_size=1, max_size=4, unique=True))
    minors = iter(draw(st.lists(st.integers(0, 200), min_size=8, max_size=8, unique=True)))
    for name in names:
        net = draw(st.sampled_from(["", "net { allow-two-primaries; }", "net { allow-two-primaries no; }",
                                    "net { allow-two-primaries yes; after-sb-0pri disconnect; }"]))  # fmt: skip
        if draw(st.booleans()):
            device = draw(
                st.sampled_from(["device /dev/drbd{m};", "device minor {m};", "device /dev/drbd{m} minor {m};"])
            )
            body = device.format(m=next(minors)) + " disk /dev/vg/x; meta-disk internal;"
        else:
            body = "".join(
                f"volume {v} {{ device minor {next(minors)}; disk /dev/vg/{v}; meta-disk internal; }} " for v in (0, 1)
            )
        hosts = " ".join(f"on {n} {{ address 10.0.0.{i}:7788; }}" for i, n in enumerate(NODES, 1))
        sep = draw(st.sampled_from([" ", "\n", "\n  # comment\n  "]))
        parts.append(f"resource {name} {{{sep}{body}{sep}{net}{sep}{hosts}\n}}\n")
    return "".join(parts)


@given(drbd_confs())
@settings(max_examples=60, deadline=None)
def test_drbd_conf_agrees_with_the_simulators_parser(text):
    from xenha_sim.drbdconf import parse_conf

    ours = parse_drbd_conf(text, "/etc/drbd.conf")
    theirs = parse_conf(text, "/etc/drbd.conf")
    assert [r.name for r in ours.resources] == [r.name for r in theirs.resources]
    for mine, sim in zip(ours.resources, theirs.resources, strict=True):
        sim_minors = sorted({v.minor for h in sim.hosts for v in h.volumes if v.minor is not None})
        assert list(mine.minors) == sim_minors
        assert mine.hosts == tuple(h.name for h in sim.hosts)
        assert mine.two_primaries == (sim.net_option("allow-two-primaries", "no") == "yes")


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A valid text with a few characters deleted, inserted or replaced (grammar characters favoured)."""
    text = draw(base)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from(["{", "}", ";", '"', "#", "\n", "\\", "\x00", "include", " ", "device", "minor"]))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        else:
            text = text[:at] + piece + text[at + 1 :]
    return text


@given(mutated(drbd_confs()))
@settings(max_examples=200, deadline=None)
def test_mutated_drbd_conf_parses_or_raises_parse_error(text):
    try:
        parse_drbd_conf(text, "/nonexistent/drbd.conf")
    except ParseError as exc:
        assert exc.reason.startswith("/nonexistent/drbd.conf: line ") and "\n" not in exc.reason  # one line


_HB_TEXT = st.sampled_from(
    ["ha1 xendomainsHA1\nha2 xendomainsHA2\n", "node ha1\nnode ha2\nauto_failback off\ncrm off\n",
     "ha1 IPaddr::10.0.0.1/24 \\\n  xendomainsHA1 # home\n"]
)  # fmt: skip


@given(mutated(_HB_TEXT))
@settings(max_examples=200, deadline=None)
def test_mutated_heartbeat_files_parse_or_raise_parse_error(text):
    for parse in (convert.parse_haresources, convert.parse_ha_cf):
        try:
            parse(text, "/etc/ha.d/x")
        except ParseError as exc:
            assert exc.reason.startswith("/etc/ha.d/x: line ")


# ---------------------------------------------------------------------------------------------------------------------
# The model over generated setups (no files): every guest once, clones match their resources, constraints hold


@st.composite
def setups(draw: st.DrawFn) -> convert.Setup:
    resources = {f"r{i}": (i, draw(st.booleans())) for i in range(draw(st.integers(1, 4)))}
    names = iter(draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), min_size=8, max_size=8,
                               unique=True)))  # fmt: skip
    groups = []
    hr_lines = []
    for index in range(draw(st.integers(1, 3))):
        group = str(index + 1)
        home = draw(st.sampled_from(NODES))
        hr_lines.append(convert.HaResource(home, (f"xendomainsHA{group}",), index + 1))
        text = f"XENDOMAINS_AUTO=/etc/xen/auto/HA{group}\n"
        if draw(st.booleans()):
            text += f"XENDOMAINS_MIGRATE='{draw(st.sampled_from(['ha2X --live', 'ha1X', '10.0.0.9', 'ha2']))}'\n"
        variables = parse_shell_vars(text)
        guests = []
        for _ in range(draw(st.integers(0, 2))):
            name = next(names)
            disks = []
            for _ in range(draw(st.integers(0, 2))):
                res, (minor, _) = draw(st.sampled_from(sorted(resources.items())))
                forms = [f"drbd:{res},xvda,w", f"phy:/dev/drbd{minor},xvdb,w", "phy:/dev/vg0/local,xvdc,w",
                         "file:/iso/x.iso,hdc:cdrom,r"]  # fmt: skip
                disks.append(draw(st.sampled_from(forms)))
            text_cfg = f"name = '{name}'\ndisk = {disks!r}\n"
            guests.append(guest_from_text(f"/etc/xen/{name}.cfg", text_cfg))
        groups.append(convert.GroupInput(group, home, index + 1, f"/etc/default/xendomainsHA{group}", variables,
                                         group_config(group, variables), tuple(guests)))  # fmt: skip
    drbd_text = "".join(
        f"resource {r} {{ device /dev/drbd{m}; on ha1 {{ address 1.1.1.1:1; }} on ha2 {{ address 1.1.1.2:1; }} "
        + ("net { allow-two-primaries; } " if two else "")
        + "}\n"
        for r, (m, two) in resources.items()
    )
    failback = draw(st.sampled_from([None, "on", "off", "legacy"]))
    return convert.Setup(
        haresources=convert.HaResources("/etc/ha.d/haresources", tuple(hr_lines)),
        ha_cf=convert.HaCf("/etc/ha.d/ha.cf", NODES, failback, 1 if failback else 0),
        groups=tuple(groups),
        drbd=parse_drbd_conf(drbd_text),
        drbd_conf_path="/etc/drbd.conf",
        local_node=draw(st.sampled_from([None, *NODES])),
    )


@given(setups())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_model_invariants(setup):
    model = convert.build_model(setup)
    all_guests = [g for grp in setup.groups for g in grp.guests]
    assert sorted(g.name for g in model.guests) == sorted(g.name for g in all_guests)
    clone_of = {c.clone_id: c for c in model.clones}
    for guest in model.guests:
        src = next(g for g in all_guests if g.name == guest.name)
        used = {d.drbd_resource or setup.drbd.by_minor(d.drbd_minor).name for d in src.domu.disks if d.is_drbd}
        assert {clone_of[c].resource for c in guest.clones} == used
        if guest.allow_migrate:  # live migration needs two Primaries under every disk
            assert all(clone_of[c].promoted_max == 2 for c in guest.clones)
        non_drbd = [d for d in src.domu.disks if not d.is_drbd and not d.is_cdrom]
        if non_drbd:
            assert any(f.decide and f.subject == guest.name for f in model.findings)
    for clone in model.clones:
        assert clone.promoted_max == (2 if setup.drbd.resource(clone.resource).two_primaries else 1)
    assert any(f.decide and f.subject == "fencing" for f in model.findings)
    assert ("stonith-enabled", "true") in model.properties
    for fmt in ("crm", "pcs"):
        text = convert.render(model, fmt)
        assert "stonith-enabled=false" not in text
        if fmt == "crm":  # every object's id is unique, constraints included
            ids = re.findall(r"^(?:primitive|clone|colocation|order|location) (\S+)", text, re.M)
            assert len(ids) == len(set(ids)), ids
    pcs_lines = [shlex.split(line) for line in convert.render_pcs(model).splitlines() if line.startswith("pcs ")]
    assert all(words for words in pcs_lines)


@st.composite
def defaults_texts(draw: st.DrawFn) -> str:
    """/etc/default/xendomainsHA1 as admins write it: the settings convert reads, quoted any way the shell allows,
    among unrelated assignments, comments and `export`s."""
    from tests.strategies.hb1 import rendered_files, word

    _, noise = draw(rendered_files())  # random names: XENDOMAINS_*/XENHA_* are as good as never drawn
    auto = draw(word("/etc/xen/auto/HA1"))
    migrate = draw(word("ha2X --live"))
    maxwait = draw(word("45"))
    lines = [f"XENDOMAINS_AUTO={auto}", f"export XENDOMAINS_MIGRATE={migrate}", f"XENDOMAINS_STOP_MAXWAIT={maxwait}"]
    order = draw(st.permutations(lines))
    return noise + "\n" + "\n".join(order) + "\n"  # after the noise: the last assignment wins


@given(defaults_texts())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_defaults_in_any_shell_quoting_convert_alike(text):
    variables = parse_shell_vars(text)
    guest = guest_from_text("/etc/xen/web1.cfg", "name = 'web1'\ndisk = ['drbd:r1,xvda,w']\n")
    group = convert.GroupInput("1", "ha1", 1, "/etc/default/xendomainsHA1", variables, group_config("1", variables),
                               (guest,))  # fmt: skip
    setup = convert.Setup(
        haresources=convert.HaResources("/etc/ha.d/haresources", (convert.HaResource("ha1", ("xendomainsHA1",), 1),)),
        ha_cf=convert.HaCf("/etc/ha.d/ha.cf", NODES, "on", 1),
        groups=(group,),
        drbd=parse_drbd_conf("resource r1 { device minor 1; net { allow-two-primaries; } }\n"),
        drbd_conf_path="/etc/drbd.conf",
    )
    (web1,) = convert.build_model(setup).guests
    assert web1.allow_migrate
    assert dict(web1.params) == {
        "config": "/etc/xen/web1.cfg",
        "migration_address": "ha1=ha1X ha2=ha2X",
        "shutdown_timeout": "45",
    }


# ---------------------------------------------------------------------------------------------------------------------
# crm_verify on a CIB file, both formats


_CIB = """\
<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1"
     dc-uuid="1">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="ha1"/><node id="2" uname="ha2"/></nodes>
    <resources>{fence}</resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="ha1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="ha2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>
"""
# The admin's decision, made the lab's way: a fence device (fence_noop fences nothing; a real cluster needs a real one).
_FENCE = (
    '<primitive id="fence-lab" class="stonith" type="fence_noop"><instance_attributes id="fence-lab-ia">'
    '<nvpair id="fence-lab-hosts" name="hosts" value="ha1,ha2"/></instance_attributes></primitive>'
)


def _cib(path: Path, *, fence: bool = True) -> dict[str, str]:
    path.write_text(_CIB.format(fence=_FENCE if fence else ""))
    return {**os.environ, "CIB_file": str(path)}


def _verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["crm_verify", "-L", "-V"], env=env, capture_output=True, text=True, timeout=60, check=False)


needs_crm = pytest.mark.skipif(
    not (shutil.which("crm") and shutil.which("crm_verify")), reason="crmsh and pacemaker-cli-utils (make deps)"
)
needs_pcs = pytest.mark.skipif(not shutil.which("pcs"), reason="pcs is not installed (make deps)")
needs_root = pytest.mark.skipif(can_use_checkout_agents() is not None, reason=str(can_use_checkout_agents()))
REPO = Path(__file__).resolve().parents[2]


@needs_crm
@needs_root
def test_crm_output_loads_and_verifies(tmp_path):
    code, out, _ = run(seeds().write(tmp_path / "hb"))
    assert code == 0
    (tmp_path / "cluster.crm").write_text(out)
    env = _cib(tmp_path / "cib.xml")
    crm_load = with_checkout_agents(["crm", "-F", "configure", "load", "update", str(tmp_path / "cluster.crm")])
    load = subprocess.run(crm_load, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert load.returncode == 0, load.stderr
    done = _verify(env)
    assert done.returncode == 0, done.stdout + done.stderr
    cib = (tmp_path / "cib.xml").read_text()
    assert 'id="ms-drbd-r1"' in cib and 'name="promoted-max" value="2"' in cib
    assert 'rsc-role="Promoted"' in cib and 'first-action="promote"' in cib
    for name, value in (("stonith-enabled", "true"), ("stonith-timeout", "90s"), ("priority-fencing-delay", "10s"),
                        ("resource-stickiness", "0"), ("migration-threshold", "3")):  # fmt: skip
        assert f'name="{name}" value="{value}"' in cib, name  # after every comment: none swallowed a line
    comments = re.findall(r"<!--(.*?)-->", cib)
    assert comments and all(c.count("#") == 1 for c in comments), comments  # crmsh joins `\`-ended comments
    # without the fence device the comment asks for, Pacemaker refuses to start anything
    env = _cib(tmp_path / "nofence.xml", fence=False)
    subprocess.run(crm_load, env=env, capture_output=True, text=True, timeout=120, check=True)
    done = _verify(env)
    assert done.returncode != 0 and "STONITH" in done.stdout + done.stderr


@needs_pcs
@needs_crm
@needs_root
def test_pcs_script_runs_and_verifies(tmp_path):
    code, out, _ = run(seeds().write(tmp_path / "hb"), "--format", "pcs")
    assert code == 0
    script = tmp_path / "cluster.sh"
    script.write_text(out)
    env = _cib(tmp_path / "cib.xml")
    # pcs reads each agent's meta-data: this checkout's agents, whatever /usr holds
    before = (tmp_path / "cib.xml").read_text()
    done = subprocess.run(with_checkout_agents(["sh", str(script)]), env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    cib = (tmp_path / "cib.xml").read_text()
    assert cib != before and 'id="ms-drbd-r1"' in cib and 'id="web1-home"' in cib
    verify = _verify(env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
