# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The README's cluster configuration: both forms load into an empty CIB and pass crm_verify; the lab runs it.

crmsh's form goes through `crm -F configure load update` with CIB_file set, pcs's through `pcs -f FILE`, each
command as the README prints it. crm_verify must report no error and no warning at its default verbosity. What
the tools print besides is listed in EXPECTED_NOISE, each line with why it is not a defect of the configuration.
pcs and crmsh read the agents' meta-data through Pacemaker, which only looks in /usr/lib/ocf: xenha must be
installed (`make install`), and fence-agents for fence_ipmilan.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.pacemaker import can_use_checkout_agents, with_checkout_agents
from xenha_sim.demo import CLUSTER_CRM, PEERS, XENHA, crm_config, crm_statements
from xenha_sim.lab import LabConfig

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
AGENTS = ("XenDomainHA", "DrbdDualPrimary")

# Lines the tools print on an empty CIB outside a cluster, and why they are fine.
EXPECTED_NOISE = (
    # crmsh asks the (absent) cluster for its status after loading: no corosync here, so no quorum
    re.compile(r"warning: Fencing and resource management disabled due to lack of quorum"),
    # an empty CIB has no <node> entries yet; a running cluster's CIB has ha1 and ha2
    re.compile(r"(fence-ha[12]-elsewhere|web[12]-home): referenced node ha[12] does not exist"),
    re.compile(r"Warning: Validation for node existence in the cluster will be skipped"),  # pcs -f: same reason
    # pcs's note on `resource defaults`: true of every default, and the README's resources override none of them
    re.compile(r"Warning: Defaults do not apply to resources which override them with their own defined values"),
    # pcs echoes what it did
    re.compile(r"Adding ms-drbd-r[01] web[12] \(kind: Mandatory\) \(Options: first-action=promote then-action=start\)"),
)


def readme_block(kind: str) -> str:
    """The README's fenced block marked ```KIND (crmsh, pcs); exactly one of each."""
    blocks = re.findall(rf"^```{kind}\n(.*?)^```$", README.read_text(), re.S | re.M)
    assert len(blocks) == 1, f"{len(blocks)} ```{kind} blocks in README.md"
    return blocks[0]


def pcs_commands(block: str) -> list[list[str]]:
    joined = block.replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _why_not(*tools: str) -> str | None:
    for tool in tools:
        if shutil.which(tool) is None:
            return f"needs {tool} (make deps)"
    why = can_use_checkout_agents()
    if why is not None:
        return why
    if not Path("/usr/sbin/fence_ipmilan").is_file():
        return "needs fence_ipmilan (fence-agents)"
    return None


def _noise(text: str) -> list[str]:
    """The lines of `text` that are not EXPECTED_NOISE (ANSI colours removed)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return [line for line in plain.splitlines() if line.strip() and not any(n.search(line) for n in EXPECTED_NOISE)]


def _empty_cib(path: Path) -> None:
    done = subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True, timeout=30, check=True)
    path.write_text(done.stdout)


def _verify(path: Path) -> None:
    argv = ["crm_verify", "-x", str(path), "-V"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def _env(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "HOME": "/root",
        "LANG": "C.UTF-8",
        **extra,
    }


def test_the_lab_file_is_the_readme_block_byte_for_byte():
    assert CLUSTER_CRM.read_text() == readme_block("crmsh")


def test_the_readme_configuration_is_complete():
    """What issue 14 found missing: a fence device, op timeouts for every slow action, DRBD's own fencing."""
    crm = readme_block("crmsh")
    assert "stonith:fence_ipmilan" in crm and "stonith-enabled=true" in crm and "priority-fencing-delay" in crm
    assert "fence_noop" not in crm
    for statement in (s for _, s in crm_statements(crm) if s.startswith("primitive")):
        ops = dict(re.findall(r"\bop (\w+) (?:interval=\S+ )?(?:role=\S+ )?timeout=(\d+)s", statement))
        if "DrbdDualPrimary" in statement:
            assert {"start", "stop", "promote", "demote", "notify", "monitor"} <= set(ops), statement
        if "XenDomainHA" in statement:
            assert {"start", "stop", "migrate_to", "migrate_from", "monitor"} <= set(ops), statement
            assert int(ops["migrate_to"]) >= 180 and int(ops["stop"]) >= 90, statement
    text = README.read_text()
    assert "fencing resource-and-stonith" in text
    assert "crm-fence-peer.9.sh" in text and "crm-unfence-peer.9.sh" in text


def test_both_forms_say_the_same():
    """Every resource, constraint kind and timeout of the crmsh form is in the pcs form."""
    crm, pcs = readme_block("crmsh"), readme_block("pcs")
    ids = {s.split()[1] for _, s in crm_statements(crm) if s.split()[0] in ("primitive", "clone")}
    for rid in ids:
        assert re.search(rf"\b{re.escape(rid)}\b", pcs), rid
    assert sorted(re.findall(r"timeout=\d+s", crm)) == sorted(re.findall(r"timeout=\d+s", pcs))
    assert sorted(re.findall(r"priority=\d", crm)) == sorted(re.findall(r"priority=\d", pcs))


@pytest.mark.skipif(_why_not("crm", "cibadmin", "crm_verify") is not None, reason=str(_why_not("crm", "crm_verify")))
def test_crmsh_form_loads_into_an_empty_cib_and_passes_crm_verify(tmp_path):
    cib, conf = tmp_path / "cib.xml", tmp_path / "cluster.crm"
    _empty_cib(cib)
    conf.write_text(readme_block("crmsh"))
    done = subprocess.run(
        with_checkout_agents(["crm", "-F", "configure", "load", "update", str(conf)]),
        env=_env(CIB_file=str(cib)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _noise(done.stdout + done.stderr) == []
    xml = cib.read_text()
    for rid in ("fence-ha1", "fence-ha2", "ms-drbd-r0", "ms-drbd-r1", "web1", "web2"):
        assert f'id="{rid}"' in xml, rid
    _verify(cib)


@pytest.mark.slow  # pcs starts a Python interpreter of its own for each of the 16 commands: about 8 s
@pytest.mark.skipif(_why_not("pcs", "cibadmin", "crm_verify") is not None, reason=str(_why_not("pcs", "crm_verify")))
def test_pcs_form_builds_a_cib_that_passes_crm_verify(tmp_path):
    cib = tmp_path / "cib.xml"
    _empty_cib(cib)
    commands = pcs_commands(readme_block("pcs"))
    assert len(commands) == 16 and all(argv[0] == "pcs" for argv in commands)
    for argv in commands:
        done = subprocess.run(
            with_checkout_agents(["pcs", "-f", str(cib), *argv[1:]]),
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{shlex.join(argv)}: {done.stdout}{done.stderr}"
        assert _noise(done.stdout + done.stderr) == [], shlex.join(argv)
    xml = cib.read_text()
    for rid in ("fence-ha1", "fence-ha2", "ms-drbd-r0", "ms-drbd-r1", "web1", "web2"):
        assert f'id="{rid}"' in xml, rid
    _verify(cib)


def test_the_lab_runs_the_readme_configuration_with_its_documented_substitutions_only(tmp_path):
    """crm_config: the fence devices become one fence_noop, and the lab's paths replace /etc/xen and drbd.conf."""
    cfg = LabConfig(nodes=["ha1", "ha2"])
    lab = crm_config(tmp_path, cfg, XENHA)
    fence, *rest = [s for _, s in crm_statements(lab)]
    assert fence.startswith('primitive fence-noop stonith:fence_noop params hosts="ha1,ha2" ')
    undone = [
        s.replace(f"config={tmp_path}/xen/", "config=/etc/xen/").replace(f" drbdconf={tmp_path}/drbd.conf", "")
        for s in rest
    ]
    readme = [s for _, s in crm_statements(readme_block("crmsh")) if not s.split()[1].startswith("fence-")]
    assert undone == readme
    assert str(tmp_path) not in " ".join(undone)


def test_the_peers_scenario_swaps_only_the_agents(tmp_path):
    cfg = LabConfig(nodes=["ha1", "ha2"])
    xenha, peers = crm_config(tmp_path, cfg, XENHA), crm_config(tmp_path, cfg, PEERS)
    assert "ocf:xenha" not in peers and "migration_address" not in peers
    assert f"xmfile={tmp_path}/xen/web1.cfg name=web1 meta allow-migrate=true priority=2" in peers
    strip = re.compile(r"ocf:\S+|params (config|xmfile)=\S+( migration_address=\"[^\"]*\"| name=\w+)")
    assert strip.sub("", xenha) == strip.sub("", peers)


# --- DRBD's own fencing, as the README's drbd.conf block sets it ---------------------------------------------------


def test_xenhas_drbd_conf_reader_sees_the_readmes_fencing(tmp_path):
    from xenha.drbd.conf import parse_drbd_conf
    from xenha_sim.drbdconf import load_conf

    text = readme_block("drbd")
    (res,) = parse_drbd_conf(text, "README.md").resources
    assert (res.name, res.fencing, res.fence_peer) == (
        "r0",
        "resource-and-stonith",
        "/usr/lib/drbd/crm-fence-peer.9.sh",
    )
    (tmp_path / "drbd.conf").write_text(text)
    assert [r.name for r in load_conf(str(tmp_path / "drbd.conf")).resources] == ["r0"]  # the simulator's reader


def _real_drbdadm() -> str | None:
    path = shutil.which("drbdadm", path="/usr/sbin:/sbin")
    if path is None or Path(path).read_bytes()[:4] != b"\x7fELF":
        return None  # absent, or the simulator's script
    return path


@pytest.mark.skipif(_real_drbdadm() is None, reason="needs drbd-utils' drbdadm (make deps)")
def test_drbdadm_accepts_the_readmes_drbd_conf_block(tmp_path):
    conf = tmp_path / "drbd.conf"
    conf.write_text(readme_block("drbd"))
    # no DRBD module here: drbdadm is told to parse as on ha1 with DRBD 9 (the README's syntax)
    env = _env(__DRBD_NODE__="ha1", DRBD_DRIVER_VERSION_OVERRIDE="9.2.0")
    argv = [str(_real_drbdadm()), "-c", str(conf), "dump", "r0"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"fencing\s+resource-and-stonith;", done.stdout), done.stdout
    assert re.search(r"fence-peer\s+/usr/lib/drbd/crm-fence-peer\.9\.sh;", done.stdout)
    assert re.search(r"unfence-peer\s+/usr/lib/drbd/crm-unfence-peer\.9\.sh;", done.stdout)
    broken = conf.read_text().replace("fence-peer ", "fence-peers ", 1)
    conf.write_text(broken)
    refused = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "Parse error" in refused.stderr  # it does check what it reads
