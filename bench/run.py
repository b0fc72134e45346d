#!/usr/bin/python3
"""Start-up and parse costs, side by side in one run: bare interpreter, monitor imports, /proc/drbd parsing.

Run with `make bench`. Prints medians over repeated runs and the ratio to the bare interpreter; it asserts nothing
(timing belongs in benchmarks, never in tests).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
RUNS = int(os.environ.get("BENCH_RUNS", "30"))

# What each agent's monitor path imports (lxml, daemon and filelock must not be among them).
MONITOR_IMPORTS = {
    "core (ocf, context, log)": "import xenha.ocf, xenha.ocf.context, xenha.log",
    "XenDomainHA monitor": "import xenha.agents.xendomain",
    "DrbdDualPrimary monitor": "import xenha.agents.drbddual",
    "AoEExport monitor": "import xenha.agents.aoeexport",
    "O2cbCluster monitor": "import xenha.agents.o2cb",
}
HEAVY = ("lxml", "daemon", "filelock")


def wall(argv: list[str], env: dict[str, str]) -> float:
    """Median wall time of `argv` in milliseconds."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def proc_drbd_256() -> str:
    """A DRBD 8.4 /proc/drbd with 256 configured minors, as the kernel prints it."""
    lines = [
        "version: 8.4.11 (api:1/proto:86-101)",
        "srcversion: 9EA4A3B2C3D4E5F6A7B8C9D ",
    ]
    for minor in range(256):
        lines.append(f"{minor:2d}: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----")
        lines.append("    ns:1048576 nr:0 dw:1048576 dr:2048 al:12 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0")
    return "\n".join(lines) + "\n"


def main() -> int:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": str(REPO / "lib")}
    print(f"xenha start-up bench: median of {RUNS} runs, {PYTHON}")
    bare = wall([PYTHON, "-I", "-S", "-c", "pass"], env)
    site = wall([PYTHON, "-c", "pass"], env)
    print(f"{'python3 -I -S -c pass':40s} {bare:7.1f} ms   1.00x")
    print(f"{'python3 -c pass (with site)':40s} {site:7.1f} ms   {site / bare:.2f}x")
    for label, code in MONITOR_IMPORTS.items():
        module = code.split()[-1]
        found = subprocess.run(
            [PYTHON, "-c", f"import importlib.util,sys; sys.exit(importlib.util.find_spec({module!r}) is None)"],
            env=env,
            check=False,
        )
        if found.returncode != 0:
            print(f"{label:40s}    (not built yet)")
            continue
        check = f"{code}; import sys; bad = [m for m in {HEAVY!r} if m in sys.modules]; print(','.join(bad))"
        heavy = subprocess.run([PYTHON, "-c", check], env=env, check=True, capture_output=True, text=True).stdout
        ms = wall([PYTHON, "-c", code], env)
        note = f"  HEAVY IMPORTS: {heavy.strip()}" if heavy.strip() else ""
        print(f"{label:40s} {ms:7.1f} ms   {ms / bare:.2f}x  (+{ms - site:.1f} ms over site){note}")

    sys.path.insert(0, str(REPO / "lib"))
    from xenha.drbd.proc import parse_proc_drbd

    text = proc_drbd_256()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        parsed = parse_proc_drbd(text)
        samples.append((time.perf_counter() - start) * 1000)
    assert len(parsed.devices) == 256
    print(f"{'parse /proc/drbd, 256 minors':40s} {statistics.median(samples):7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
