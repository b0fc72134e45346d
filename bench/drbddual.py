#!/usr/bin/python3
"""DrbdDualPrimary against ocf:linbit:drbd, side by side in one run on the same simulated DRBD 8.4: monitor costs.

Cases: the recurring monitor of a Primary and of a Secondary of a connected, UpToDate resource (target: ours <= 0.4x
the peer's wall time). Both agents run against the same world, with the same fake crm_attribute (LINBIT's agent
reaches it through the real crm_master script) and LINBIT's agent with the simulator's BASH_ENV shim. The runs are
interleaved so that machine load hits both alike; medians are printed. Child processes per monitor are counted with
`strace -f`: programs executed (execve beyond the agent's own) and processes created (forks without exec included,
such as bash's command substitutions). The simulated drbdadm/drbdsetup and the bare interpreter are timed too.

Run: `/usr/bin/python3 bench/drbddual.py` (BENCH_RUNS sets the sample count). Asserts nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
OURS = str(REPO / "ocf" / "DrbdDualPrimary")
PEER = "/usr/lib/ocf/resource.d/linbit/drbd"
SHIM = str(REPO / "lib" / "xenha_sim" / "ocf_drbd_shim.bash")
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
TARGET = 0.4

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


def timed(argv: Sequence[str], env: dict[str, str], expect: int) -> float:
    """Wall time of one run in milliseconds; the exit status must be `expect`."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != expect:
        raise SystemExit(f"{argv[0]} {' '.join(argv[1:])}: exit {done.returncode}, expected {expect}")
    return elapsed


def interleaved(cases: dict[str, tuple[Sequence[str], dict[str, str], int]], runs: int) -> dict[str, float]:
    """Median per case, the cases taking turns so that machine load hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, env, expect) in cases.items():
            samples[name].append(timed(argv, env, expect))
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


def world(root: Path) -> dict[str, dict[str, str]]:
    """Simulated nodes ha1 (Primary) and ha2 (Secondary), r0 connected and UpToDate; each node's environment."""
    sys.path.insert(0, str(REPO / "lib"))
    from xenha_sim import drbdsim
    from xenha_sim.world import World, add_node

    bindir = root / "bin"
    bindir.mkdir()
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
        timed([OURS, "monitor"], envs[node], code)
    return envs


def main() -> int:
    if not os.access(PEER, os.X_OK):
        print(f"{PEER} is not installed (drbd-utils); nothing to compare with")
        return 0
    with tempfile.TemporaryDirectory(prefix="xenha-bench-") as tmp:
        envs = world(Path(tmp))
        env1 = envs["ha1"]
        print(f"DrbdDualPrimary vs ocf:linbit:drbd on the simulated DRBD 8.4: medians of {RUNS} interleaved runs.\n")
        base = interleaved(
            {
                "python3 -c pass": ([PYTHON, "-c", "pass"], env1, 0),
                "simulated drbdadm role r0": (["drbdadm", "-c", env1["OCF_RESKEY_drbdconf"], "role", "r0"], env1, 0),
                "simulated drbdsetup r0 status": (["drbdsetup", "status", "r0"], env1, 0),
            },
            RUNS,
        )
        cases: dict[str, tuple[Sequence[str], dict[str, str], int]] = {}
        for node, role, code in (("ha1", "Primary", 8), ("ha2", "Secondary", 0)):
            cases[f"ours {role}"] = ([OURS, "monitor"], envs[node], code)
            cases[f"peer {role}"] = ([PEER, "monitor"], envs[node], code)
        medians = interleaved(cases, RUNS)
        counts: dict[str, tuple[int, int, list[str]]] = {}
        if shutil.which("strace"):
            for name, (argv, env, _code) in cases.items():
                counts[name] = children(argv, env, Path(tmp) / "trace")

    for name, ms in base.items():
        print(f"{name:34s} {ms:9.1f} ms")
    print(f"\n{'monitor of a':14s} {'ours':>10s} {'peer':>10s} {'ratio':>8s}")
    for role in ("Primary", "Secondary"):
        ours, peer = medians[f"ours {role}"], medians[f"peer {role}"]
        verdict = "meets" if ours / peer <= TARGET else "MISSES"
        print(f"{role:14s} {ours:7.1f} ms {peer:7.1f} ms {ours / peer:7.3f}x  (target <= {TARGET}x: {verdict})")
    if not counts:
        print("\nstrace is not installed: no child process counts")
        return 0
    print(f"\n{'children per monitor':26s} {'programs':>8s} {'processes':>9s}  programs run")
    for name, (execs, procs, names) in counts.items():
        summary = ", ".join(f"{n} x{names.count(n)}" for n in sorted(set(names))) or "-"
        print(f"{name:26s} {execs:8d} {procs:9d}  {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
