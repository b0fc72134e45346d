#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""XenDomainHA against ocf:heartbeat:Xen, side by side in one run on the same stub `xl`: CPU per monitor and ratios.

The stub is a shell script printing what `xl list NAME` prints (one row, or xl's "invalid domain identifier" with
exit 1), so what is measured is each agent's own cost plus the one fork of `xl` both pay. CPU is user+sys of the
child and its children (resource.getrusage(RUSAGE_CHILDREN)), median of BENCH_RUNS runs (default 15), the cases
taking turns so that machine load hits all of them alike. Targets (issue 12): a monitor of a running guest and of an
absent one at most 1.0x the peer's. The peer's recurring monitor of an absent guest retries five times a second
apart (Xen_Status_with_Retry), so that case is run BENCH_PEER_RUNS times (default 3) and is not a fair comparison
of interpreters; the probe is. Also printed: bare `python3 -IS -c pass` and the stub alone, which both agents pay.

Run: `/usr/bin/python3 bench/xendomain.py`. Asserts nothing (timing belongs in benchmarks, never in tests).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
OURS = str(REPO / "ocf" / "XenDomainHA")
PEER = "/usr/lib/ocf/resource.d/heartbeat/Xen"
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
PEER_RUNS = int(os.environ.get("BENCH_PEER_RUNS", "3"))

# `xl list NAME` as xl_info.c list_domains prints it for the guest named in $STUB_STATE, else find_domain's error.
STUB_XL = """#!/bin/sh
if [ "$1" = list ] && [ -n "$2" ]; then
    if grep -qx "$2" "$STUB_STATE" 2>/dev/null; then
        printf 'Name                                        ID   Mem VCPUs\\tState\\tTime(s)\\n'
        printf '%-40s %5d %5d %5d     %s %8.1f\\n' "$2" 7 512 1 '-b----' 12.3
        exit 0
    fi
    echo "$2 is an invalid domain identifier (rc=-6)" >&2
    exit 1
fi
exit 1
"""

# sys.modules of one run, as tests/hotset.py reads it (the bench does not import tests/).
_MODULES = """
import sys, atexit
out, launcher = sys.argv[1], sys.argv[2]
sys.argv = [launcher, *sys.argv[3:]]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
exec(compile(open(launcher).read(), launcher, "exec"), {"__name__": "__main__", "__file__": launcher})
"""

Case = tuple[Sequence[str], Mapping[str, str], int]


def cpu_ms(argv: Sequence[str], env: Mapping[str, str], expect: int) -> float:
    """CPU (user+sys) of one run and everything it ran, in milliseconds; the exit status must be `expect`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(list(argv), env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}, expected {expect}")
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def interleaved(cases: Mapping[str, Case], runs: int) -> dict[str, float]:
    """Median CPU per case, the cases taking turns."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, env, expect) in cases.items():
            samples[name].append(cpu_ms(argv, env, expect))
    return {name: statistics.median(values) for name, values in samples.items()}


def node(root: Path) -> tuple[dict[str, str], dict[str, str], Path]:
    """A stub dom0 in `root`: (our environment, the peer's, the file naming the running guest)."""
    bindir = root / "bin"
    bindir.mkdir()
    (bindir / "xl").write_text(STUB_XL)
    (bindir / "xl").chmod(0o755)
    config = root / "web1.cfg"
    config.write_text("name = 'web1'\nmemory = 512\nvcpus = 1\ndisk = []\n")
    state = root / "running"
    base = {
        "PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "STUB_STATE": str(state),
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RESOURCE_INSTANCE": "web1",
        "OCF_RESKEY_CRM_meta_interval": "10000",
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "HA_LOGFACILITY": "none",
        "LC_ALL": "C",
    }
    ours = {
        **base,
        "OCF_RESKEY_config": str(config),
        "XENHA_RUN_DIR": str(root / "run"),
        "PYTHONPATH": str(REPO / "lib"),  # for a launcher without -IS; one with -IS finds lib/ itself
    }
    peer = {**base, "OCF_RESKEY_xmfile": str(config), "OCF_RESKEY_name": "web1"}
    return ours, peer, state


def probe(env: Mapping[str, str]) -> dict[str, str]:
    return {**env, "OCF_RESKEY_CRM_meta_interval": "0"}


def monitor_modules(env: Mapping[str, str]) -> list[str]:
    """The sorted sys.modules of one monitor run through the launcher in `python3 -IS`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "modules")
        wrapper = f"import sys; sys.path.insert(0, {str(REPO / 'lib')!r})\n" + _MODULES
        subprocess.run([PYTHON, "-IS", "-c", wrapper, out, OURS, "monitor"], env=dict(env), check=False)
        return Path(out).read_text().split()


def line(label: str, ours: float, peer: float, bare: float) -> None:
    print(f"{label:36s} {ours:8.2f} ms {peer:8.2f} ms {ours / peer:7.3f}x {ours / bare:7.3f}x")


def main() -> int:
    if not os.access(PEER, os.X_OK):
        print(f"{PEER} is not installed (resource-agents); nothing to compare with")
        return 0
    with tempfile.TemporaryDirectory(prefix="xenha-bench-") as tmp:
        ours, peer, state = node(Path(tmp))
        named = {**ours, "OCF_RESKEY_name": "web1"}
        state.write_text("web1\n")
        subprocess.run([OURS, "monitor"], env=ours, check=True)  # remembers the toolstack and the config's name
        running = interleaved(
            {
                "bare": ([PYTHON, "-IS", "-c", "pass"], ours, 0),
                "stub": ([str(Path(tmp) / "bin" / "xl"), "list", "web1"], ours, 0),
                "ours": ([OURS, "monitor"], ours, 0),
                "ours, name set": ([OURS, "monitor"], named, 0),
                "peer": ([PEER, "monitor"], peer, 0),
            },
            RUNS,
        )
        modules = monitor_modules(ours)
        state.write_text("")
        absent = interleaved(
            {
                "ours probe": ([OURS, "monitor"], probe(ours), 7),
                "peer probe": ([PEER, "monitor"], probe(peer), 7),
                "ours": ([OURS, "monitor"], ours, 7),
            },
            RUNS,
        )
        absent |= {"peer": interleaved({"peer": ([PEER, "monitor"], peer, 7)}, PEER_RUNS)["peer"]}

    bare = running["bare"]
    print(f"XenDomainHA vs ocf:heartbeat:Xen on a stub xl: CPU (user+sys), medians of {RUNS} interleaved runs")
    print(f"({PEER_RUNS} for the peer's recurring monitor of an absent guest, which retries for 5 s).\n")
    print(f"{'bare python3 -IS -c pass':36s} {bare:8.2f} ms")
    print(f"{'stub xl list web1 (paid by both)':36s} {running['stub']:8.2f} ms\n")
    print(f"{'case':36s} {'ours':>11s} {'peer':>11s} {'/peer':>8s} {'/bare':>8s}")
    line("monitor, guest running", running["ours"], running["peer"], bare)
    line("monitor, guest running, name set", running["ours, name set"], running["peer"], bare)
    line("probe, guest absent", absent["ours probe"], absent["peer probe"], bare)
    line("monitor (recurring), guest absent", absent["ours"], absent["peer"], bare)
    print("\nTarget: <= 1.0x the peer for a running and an absent guest.")
    xen = [name for name in modules if name.startswith("xenha")]
    print(f"\nModules of the running-guest monitor: {len(modules)}, of them xenha: {' '.join(xen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
