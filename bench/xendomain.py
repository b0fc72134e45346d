#!/usr/bin/python3
"""XenDomainHA against ocf:heartbeat:Xen, side by side in one run on the same simulated xl: wall times and ratios.

Cases: a recurring monitor of a running guest (target: ours <= 0.7x the peer's), a recurring monitor of an absent
guest and a stop of a stopped guest (target: ours <= 0.05x the peer's, which sleeps through 5 retries). The
simulated xl and the bare interpreter are timed too, since both agents pay for the same xl.

Run: `/usr/bin/python3 bench/xendomain.py` (BENCH_RUNS, BENCH_PEER_RUNS set the sample counts). Asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
OURS = str(REPO / "ocf" / "XenDomainHA")
PEER = "/usr/lib/ocf/resource.d/heartbeat/Xen"
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
PEER_RUNS = int(os.environ.get("BENCH_PEER_RUNS", "3"))  # each slow peer case sleeps about 5 s


def timed(argv: Sequence[str], env: dict[str, str], expect: int) -> float:
    """Wall time of one run in milliseconds; the exit status must be `expect`."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != expect:
        raise SystemExit(f"{argv[0]} {' '.join(argv[1:])}: exit {done.returncode}, expected {expect}")
    return elapsed


def interleaved(cases: dict[str, tuple[Sequence[str], int]], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median per case, the cases taking turns so that machine load hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, expect) in cases.items():
            samples[name].append(timed(argv, env, expect))
    return {name: statistics.median(values) for name, values in samples.items()}


def world(root: Path) -> dict[str, str]:
    """A simulated node ha1 with the lab's xl/xm first on PATH; returns the agents' environment."""
    sys.path.insert(0, str(REPO / "lib"))
    from xenha_sim.world import World, add_node

    bindir = root / "bin"
    bindir.mkdir()
    for script in (REPO / "packaging" / "lab-scripts").glob("*"):
        os.symlink(script, bindir / script.name)
    sim = World(str(root / "world"))
    sim.create()
    with sim.transaction() as state:
        add_node(state, "ha1")
    config = root / "web1.cfg"
    config.write_text("name = 'web1'\nmemory = 512\nvcpus = 1\ndisk = ['phy:/dev/vg0/web1,xvda,w']\n")
    return {
        "PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHONPATH": str(REPO / "lib"),
        "XENHA_SIM_WORLD": sim.path,
        "XENHA_SIM_NODE": "ha1",
        "XENHA_RUN_DIR": str(root / "run"),
        "XENHA_PROC_DRBD": str(root / "proc_drbd"),
        "HA_LOGFACILITY": "none",
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RESOURCE_INSTANCE": "web1",
        "OCF_RESKEY_config": str(config),
        "OCF_RESKEY_xmfile": str(config),
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "OCF_RESKEY_CRM_meta_interval": "10000",
        "LC_ALL": "C",
    }


def line(label: str, ours: float, peer: float, target: float) -> None:
    ratio = ours / peer
    verdict = "meets" if ratio <= target else "MISSES"
    print(f"{label:34s} {ours:9.1f} ms {peer:9.1f} ms {ratio:7.3f}x  (target <= {target}x: {verdict})")


def main() -> int:
    if not os.access(PEER, os.X_OK):
        print(f"{PEER} is not installed (resource-agents); nothing to compare with")
        return 0
    with tempfile.TemporaryDirectory(prefix="xenha-bench-") as tmp:
        env = world(Path(tmp))
        print(f"XenDomainHA vs ocf:heartbeat:Xen on the simulated xl: medians of {RUNS} runs ({PEER_RUNS} for the")
        print("peer's slow cases); the agents' commands are interleaved so load hits both alike.\n")
        subprocess.run([OURS, "start"], env=env, check=True, stderr=subprocess.DEVNULL)
        base = interleaved(
            {
                "python3 -c pass": ([PYTHON, "-c", "pass"], 0),
                "simulated xl list web1": (["xl", "list", "web1"], 0),
            },
            env,
            RUNS,
        )
        running = interleaved(
            {"ours": ([OURS, "monitor"], 0), "peer": ([PEER, "monitor"], 0)},
            env,
            RUNS,
        )
        subprocess.run([OURS, "stop"], env=env, check=True, stderr=subprocess.DEVNULL)
        ours_absent = interleaved({"monitor": ([OURS, "monitor"], 7), "stop": ([OURS, "stop"], 0)}, env, RUNS)
        peer_absent = interleaved({"monitor": ([PEER, "monitor"], 7), "stop": ([PEER, "stop"], 0)}, env, PEER_RUNS)

    for name, ms in base.items():
        print(f"{name:34s} {ms:9.1f} ms   (paid by both agents)" if "xl" in name else f"{name:34s} {ms:9.1f} ms")
    print(f"\n{'case':34s} {'ours':>12s} {'peer':>12s} {'ratio':>8s}")
    line("monitor, guest running", running["ours"], running["peer"], 0.7)
    line("monitor (recurring), guest absent", ours_absent["monitor"], peer_absent["monitor"], 0.05)
    line("stop, guest already stopped", ours_absent["stop"], peer_absent["stop"], 0.05)
    xl = base["simulated xl list web1"]
    print(
        f"\nOwn overhead beyond the one simulated `xl list`: ours {running['ours'] - xl:.1f} ms, "
        f"peer {running['peer'] - xl:.1f} ms."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
