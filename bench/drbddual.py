#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DrbdDualPrimary's monitor CPU against its targets, then against ocf:linbit:drbd on the simulated DRBD 8.4.

Part 1, the issue-12 targets, on stub tools (each a shell script that logs its argv; drbdsetup prints a fixture
`status --json`): CPU (user + sys of the child and its children, getrusage(RUSAGE_CHILDREN)) of
- bare `python3 -IS -c pass`;
- the stub `drbdsetup status --json r0` alone (one fork of it);
- our recurring monitor of a DRBD 8.4 Primary and Secondary, connected and UpToDate, score unchanged (target: at most
  1.6x bare, 0 processes started);
- our recurring monitor of a DRBD 9 Primary (target: bare + the stub's fork + at most 10 ms).
The cases take turns (interleaved) so that machine load hits them alike; medians of BENCH_RUNS (default 15).

Part 2, when drbd-utils' ocf:linbit:drbd is installed: both agents' monitors of the same simulated resource (our
recurring monitor against LINBIT's, with the simulator's BASH_ENV shim and the same fake crm_attribute), CPU again,
and the child processes of each counted with `strace -f` when it is installed.

Run: `/usr/bin/python3 bench/drbddual.py`. Asserts nothing (timing belongs in benchmarks, never in tests).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"
PYTHON = "/usr/bin/python3"
OURS = str(REPO / "ocf" / "DrbdDualPrimary")
PEER = "/usr/lib/ocf/resource.d/linbit/drbd"
SHIM = str(REPO / "lib" / "xenha_sim" / "ocf_drbd_shim.bash")
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TARGET_84 = 1.6  # x bare python3 -IS -c pass
TARGET_9_MS = 10.0  # ms over bare + one drbdsetup fork

Case = tuple[Sequence[str], dict[str, str], int]

DRBD9_PROC = (
    "version: 9.2.8 (api:2/proto:86-122)\n"
    "GIT-hash: 4a1ffc3a7ab8fa3e1b0e6b4a8c7f5fa33d4da2f0 build by root@ha1, 2024-03-01 10:00:00\n"
    "Transports (api:21): tcp (9.2.8)\n"
)
STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
if [ "$(basename "$0")" = drbdsetup ] && [ "$1" = status ]; then exec cat "{json}"; fi
exit 0
"""

CONF = """\
resource r0 {
    device /dev/drbd0;
    disk /dev/vg/r0;
    meta-disk internal;
    on ha1 { address 10.0.0.1:7788; }
    on ha2 { address 10.0.0.2:7788; }
    net { protocol C; allow-two-primaries; }
}
"""

# The same fake attribute store the tests use, reduced to what a monitor needs: update, delete and query.
CRM_ATTRIBUTE = """\
#!/bin/sh
name="master-${{OCF_RESOURCE_INSTANCE%%:*}}"; op=""; value=""
while [ $# -gt 0 ]; do
    case "$1" in
        -n|--name) name="$2"; shift ;;
        -v|--update) op=update; value="$2"; shift ;;
        -G|--query) op=query ;;
        -D|--delete) op=delete ;;
        -l|--lifetime|-N|--node|-i|--id) shift ;;
    esac
    shift
done
f="{attrs}/$XENHA_SIM_NODE.${{name%%:*}}"
case "$op" in
    update) printf '%s\\n' "$value" > "$f" ;;
    delete) rm -f "$f" ;;
    query) [ -f "$f" ] && cat "$f" ;;
esac
"""


def cpu_ms(argv: Sequence[str], env: dict[str, str], expect: int) -> float:
    """CPU (user + sys, the child and its children) of one run in ms; the exit status must be `expect`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expect:
        raise SystemExit(f"{argv[0]} {' '.join(argv[1:])}: exit {done.returncode}, expected {expect}")
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000


def interleaved(cases: dict[str, Case], runs: int) -> dict[str, float]:
    """Median CPU ms per case, the cases taking turns so that machine load hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, env, expect) in cases.items():
            samples[name].append(cpu_ms(argv, env, expect))
    return {name: statistics.median(values) for name, values in samples.items()}


def children(argv: Sequence[str], env: dict[str, str], trace: Path) -> tuple[int, int, list[str]]:
    """(programs executed, processes created, program names) by one run, from `strace -f` (the agent excluded)."""
    subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace), *argv],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    lines = trace.read_text().splitlines()
    pids = {line.split()[0] for line in lines if line.split() and line.split()[0].isdigit()}
    execs = [line for line in lines if "execve(" in line and "= 0" in line]
    names = [os.path.basename(m.group(1)) for line in execs[1:] if (m := re.search(r'execve\("([^"]+)"', line))]
    return len(execs) - 1, len(pids) - 1, names


# ---------------------------------------------------------------------------------------------------------------------
# Part 1: the targets, on stub tools


def stub_node(root: Path, proc_text: str, state: dict[str, str]) -> tuple[dict[str, str], Path]:
    """A node under `root`: /proc/drbd, state files, stub drbdadm/drbdsetup/crm_attribute; (environment, call log)."""
    root.mkdir()
    (root / "proc_drbd").write_text(proc_text)
    state_dir = root / "run" / "DrbdDualPrimary"
    state_dir.mkdir(parents=True, mode=0o700)
    for name, value in state.items():
        (state_dir / name).write_text(value)
    log = root / "calls.log"
    log.write_text("")
    bindir = root / "bin"
    bindir.mkdir()
    json_file = FIXTURES / "reconstructed" / "drbd9" / "status_json_primary_secondary.json"
    for tool in ("drbdadm", "drbdsetup", "crm_attribute"):
        (bindir / tool).write_text(STUB.format(log=log, json=json_file))
        (bindir / tool).chmod(0o755)
    env = {
        "PATH": f"{bindir}:/usr/bin:/bin",
        "XENHA_PROC_DRBD": str(root / "proc_drbd"),
        "XENHA_RUN_DIR": str(root / "run"),
        "HA_LOGFACILITY": "none",
        "OCF_RESOURCE_INSTANCE": "drbd_r0:0",
        "OCF_RESKEY_drbd_resource": "r0",
        "OCF_RESKEY_CRM_meta_interval": "29000",
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "OCF_RESKEY_CRM_meta_clone_max": "2",
        "OCF_RESKEY_CRM_meta_clone_node_max": "1",
        "OCF_RESKEY_CRM_meta_notify": "true",
    }
    return env, log


def part1(tmp: Path) -> None:
    proc84 = FIXTURES / "reconstructed" / "proc_drbd"
    remembered = {"minors.r0": "0", "connected.r0": "1", "score.drbd_r0": "10000"}
    primary, log_p = stub_node(tmp / "p84", (proc84 / "84_connected_primary_secondary.txt").read_text(), remembered)
    secondary, log_s = stub_node(tmp / "s84", (proc84 / "84_connected_secondary_secondary.txt").read_text(), remembered)
    drbd9, log_9 = stub_node(tmp / "p9", DRBD9_PROC, {"connected.r0": "1", "score.drbd_r0": "10000"})
    alone, _ = stub_node(tmp / "stub", DRBD9_PROC, {})  # the fork alone, logged apart from the monitors'
    stub = str(Path(alone["PATH"].split(":")[0]) / "drbdsetup")
    cases: dict[str, Case] = {
        "bare python3 -IS -c pass": ([PYTHON, "-IS", "-c", "pass"], primary, 0),
        "stub drbdsetup status --json": ([stub, "status", "--json", "r0"], alone, 0),
        "monitor 8.4 Primary": ([OURS, "monitor"], primary, 8),
        "monitor 8.4 Secondary": ([OURS, "monitor"], secondary, 0),
        "monitor 9 Primary": ([OURS, "monitor"], drbd9, 8),
    }
    for argv, env, expect in cases.values():  # settle caches (.pyc) before timing
        cpu_ms(argv, env, expect)
    for log in (log_p, log_s, log_9):
        log.write_text("")
    medians = interleaved(cases, RUNS)
    bare = medians["bare python3 -IS -c pass"]
    fork = medians["stub drbdsetup status --json"]
    print(f"DrbdDualPrimary monitor CPU (user+sys), medians of {RUNS} interleaved runs, stub tools:\n")
    for name, ms in medians.items():
        print(f"{name:32s} {ms:7.2f} ms  {ms / bare:5.2f}x bare")
    forks_84 = len(log_p.read_text().splitlines()) + len(log_s.read_text().splitlines())
    forks_9 = log_9.read_text().splitlines()
    print()
    for role in ("Primary", "Secondary"):
        ratio = medians[f"monitor 8.4 {role}"] / bare
        verdict = "meets" if ratio <= TARGET_84 else "MISSES"
        print(f"8.4 {role:9s} monitor: {ratio:5.2f}x bare (target <= {TARGET_84}x: {verdict})")
    print(f"8.4 monitors started {forks_84} processes in {2 * RUNS} runs (target 0)")
    over = medians["monitor 9 Primary"] - bare - fork
    verdict = "meets" if over <= TARGET_9_MS else "MISSES"
    print(f"9 Primary monitor: bare + fork + {over:.2f} ms (target <= {TARGET_9_MS} ms: {verdict})")
    print(f"9 monitors ran {len(forks_9)} commands in {RUNS} runs: {sorted(set(forks_9))}")


# ---------------------------------------------------------------------------------------------------------------------
# Part 2: beside ocf:linbit:drbd on the simulator


def world(root: Path) -> dict[str, dict[str, str]]:
    """Simulated nodes ha1 (Primary) and ha2 (Secondary), r0 connected and UpToDate; each node's environment."""
    sys.path.insert(0, str(REPO / "lib"))
    from xenha_sim import drbdsim
    from xenha_sim.world import World, add_node

    bindir = root / "bin"
    bindir.mkdir(parents=True)
    for script in (REPO / "packaging" / "lab-scripts").glob("*"):
        os.symlink(script, bindir / script.name)
    fake = root / "fake"
    fake.mkdir()
    (root / "attrs").mkdir()
    (fake / "crm_attribute").write_text(CRM_ATTRIBUTE.format(attrs=root / "attrs"))
    (fake / "crm_resource").write_text("#!/bin/sh\nexit 1\n")
    for name in ("crm_attribute", "crm_resource"):
        (fake / name).chmod(0o755)
    conf = root / "drbd.conf"
    conf.write_text(CONF)
    sim = World(str(root / "world"))
    sim.create()
    with sim.transaction() as state:
        for node, address in (("ha1", "10.0.0.1"), ("ha2", "10.0.0.2")):
            add_node(state, node, address=address)
            state["nodes"][node]["proc_drbd"] = str(root / f"proc_drbd.{node}")
        drbdsim.set_drbd_version(state, "8.4")
        drbdsim.init_resource(state, "r0", ["ha1", "ha2"])
    envs: dict[str, dict[str, str]] = {}
    for index, node in enumerate(("ha1", "ha2")):
        envs[node] = {
            "PATH": f"{fake}:{bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": str(REPO / "lib"),
            "XENHA_SIM_WORLD": sim.path,
            "XENHA_SIM_NODE": node,
            "XENHA_PROC_DRBD": str(root / f"proc_drbd.{node}"),
            "XENHA_RUN_DIR": str(root / "run" / node),
            "HA_LOGFACILITY": "none",
            "HA_SBIN_DIR": "/usr/sbin",
            "BASH_ENV": SHIM,
            "OCF_ROOT": "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE": f"drbd_r0:{index}",
            "OCF_RESKEY_drbd_resource": "r0",
            "OCF_RESKEY_drbdconf": str(conf),
            "OCF_RESKEY_wfc_timeout": "0",
            "OCF_RESKEY_CRM_meta_timeout": "20000",
            "OCF_RESKEY_CRM_meta_interval": "29000",
            "OCF_RESKEY_CRM_meta_clone_max": "2",
            "OCF_RESKEY_CRM_meta_clone_node_max": "1",
            "OCF_RESKEY_CRM_meta_master_max": "1",
            "OCF_RESKEY_CRM_meta_master_node_max": "1",
            "OCF_RESKEY_CRM_meta_notify": "true",
            "LC_ALL": "C",
        }
    for node in ("ha1", "ha2"):
        subprocess.run([OURS, "start"], env=envs[node], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([OURS, "promote"], env=envs["ha1"], check=True, stderr=subprocess.DEVNULL)
    for node, code in (("ha1", 8), ("ha2", 0)):  # settle our score, so the timed monitors find it unchanged
        cpu_ms([OURS, "monitor"], envs[node], code)
    return envs


def part2(tmp: Path) -> None:
    if not os.access(PEER, os.X_OK):
        print(f"\n{PEER} is not installed (drbd-utils); no comparison with ocf:linbit:drbd")
        return
    envs = world(tmp / "sim")
    cases: dict[str, Case] = {}
    for node, role, code in (("ha1", "Primary", 8), ("ha2", "Secondary", 0)):
        cases[f"ours {role}"] = ([OURS, "monitor"], envs[node], code)
        cases[f"peer {role}"] = ([PEER, "monitor"], envs[node], code)
    medians = interleaved(cases, RUNS)
    print(f"\nBeside ocf:linbit:drbd on the simulated DRBD 8.4 (CPU with children, medians of {RUNS}):\n")
    print(f"{'monitor of a':14s} {'ours':>10s} {'peer':>10s} {'ratio':>8s}")
    for role in ("Primary", "Secondary"):
        ours, peer = medians[f"ours {role}"], medians[f"peer {role}"]
        print(f"{role:14s} {ours:7.1f} ms {peer:7.1f} ms {ours / peer:7.3f}x")
    if not shutil.which("strace"):
        print("\nstrace is not installed: no child process counts")
        return
    print(f"\n{'children per monitor':26s} {'programs':>8s} {'processes':>9s}  programs run")
    for name, (argv, env, _code) in cases.items():
        execs, procs, names = children(argv, env, tmp / "trace")
        summary = ", ".join(f"{n} x{names.count(n)}" for n in sorted(set(names))) or "-"
        print(f"{name:26s} {execs:8d} {procs:9d}  {summary}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="xenha-bench-") as tmp:
        part1(Path(tmp))
        part2(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
