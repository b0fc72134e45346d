#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Start-up costs, side by side in one run: the bare interpreter, what each launcher imports, meta-data, parsing.

For every launcher (the four OCF agents and fence_noop) the CPU (user + sys, from getrusage(RUSAGE_CHILDREN)) of a
`python3 -IS` that runs the launcher up to its import of `main`: what each monitor pays before it does anything. Then
fence_noop's monitor as pacemaker-fenced runs it (stdin), each agent's meta-data, and the parse of a 256-minor
/proc/drbd in process. The cases take turns so that machine load hits them alike; medians are printed with the ratio
to bare `python3 -IS -c pass`. Monitors of agents on stub tools, at scale: bench/scale.py.

Run with `make bench` (BENCH_RUNS sets the sample count). It asserts nothing (timing belongs in benchmarks, never in
tests).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
LAUNCHERS = {
    "XenDomainHA": REPO / "ocf" / "XenDomainHA",
    "DrbdDualPrimary": REPO / "ocf" / "DrbdDualPrimary",
    "AoEExport": REPO / "ocf" / "AoEExport",
    "O2cbCluster": REPO / "ocf" / "O2cbCluster",
    "fence_noop": REPO / "packaging" / "scripts" / "fence_noop",
}
# Never on a monitor's path (STYLE.md section 2; tests/hotset.py holds the same list).
FORBIDDEN = (
    "dataclasses", "enum", "typing", "logging", "subprocess", "socket", "inspect", "lxml", "daemon", "filelock",
)  # fmt: skip


def startup_code(launcher: Path) -> str:
    """The launcher's own lines up to and including its import of main, with __file__ set: its start-up."""
    lines = [line for line in launcher.read_text().splitlines()[1:] if not line.startswith(("sys.exit(", "finish("))]
    return f"__file__ = {str(launcher)!r}\n" + "\n".join(lines) + "\n"


def cpu_ms(argv: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, int]:
    """(CPU user+sys in ms of `argv` and its children, exit status) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        argv, env=env, input=stdin, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000, done.returncode


def loaded_modules(code: str, env: dict[str, str]) -> tuple[int, list[str]] | str:
    """(how many modules, the forbidden ones) once `code` ran in python3 -IS; the error's last line if it failed."""
    probe = code + "import sys\nprint(len(sys.modules), *sorted({m.split('.')[0] for m in sys.modules}))\n"
    done = subprocess.run([PYTHON, "-IS", "-c", probe], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["failed"])[-1]
    count, *roots = done.stdout.split()
    return int(count), [m for m in FORBIDDEN if m in roots]


def proc_drbd_256() -> str:
    """A DRBD 8.4 /proc/drbd with 256 configured minors, as the kernel prints it."""
    lines = ["version: 8.4.11 (api:1/proto:86-101)", "srcversion: 9EA4A3B2C3D4E5F6A7B8C9D "]
    for minor in range(256):
        lines.append(f"{minor:2d}: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----")
        lines.append("    ns:1048576 nr:0 dw:1048576 dr:2048 al:12 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0")
    return "\n".join(lines) + "\n"


def parse_cost() -> str:
    """Median ms of parsing proc_drbd_256() in process, or why it could not be measured."""
    sys.path.insert(0, str(REPO / "lib"))
    try:
        from xenha.drbd.proc import parse_proc_drbd
    except ImportError as exc:
        return f"not measured: {exc}"
    text = proc_drbd_256()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        parse_proc_drbd(text)
        samples.append((time.perf_counter() - start) * 1000)
    return f"{statistics.median(samples):7.2f} ms"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="xenha-bench-") as tmp:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_LOGFACILITY": "none", "XENHA_RUN_DIR": f"{tmp}/run"}
        bare_case = "python3 -IS -c pass"
        cases: dict[str, tuple[list[str], str | None]] = {
            bare_case: ([PYTHON, "-IS", "-c", "pass"], None),
            "python3 -c pass (with site)": ([PYTHON, "-c", "pass"], None),
        }
        modules: dict[str, tuple[int, list[str]] | str] = {}
        for name, launcher in LAUNCHERS.items():
            code = startup_code(launcher)
            modules[name] = loaded_modules(code, env)
            if not isinstance(modules[name], str):
                cases[f"{name} start-up"] = ([PYTHON, "-IS", "-c", code], None)
        cases["fence_noop monitor (stdin)"] = ([str(LAUNCHERS["fence_noop"])], "action=monitor\nnodename=ha1\n")
        for name, launcher in LAUNCHERS.items():
            if name != "fence_noop" and not isinstance(modules[name], str):
                cases[f"{name} meta-data"] = ([str(launcher), "meta-data"], None)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        failed: dict[str, int] = {}
        for _ in range(RUNS):
            for name, (argv, stdin) in cases.items():
                ms, code = cpu_ms(argv, env, stdin)
                samples[name].append(ms)
                if code != 0:
                    failed[name] = code

    med = {name: statistics.median(values) for name, values in samples.items()}
    bare = med[bare_case]
    print(f"xenha start-up bench: CPU (user+sys) per run, median of {RUNS} interleaved runs, {PYTHON}\n")
    print(f"{'case':34s} {'CPU':>9s} {'vs bare':>8s}  modules  forbidden loaded")
    for name in cases:
        launcher = name.split()[0]
        info = modules.get(launcher) if name.endswith("start-up") else None
        extra = f"  {info[0]:7d}  {', '.join(info[1]) or '-'}" if isinstance(info, tuple) else ""
        note = f"  (exit {failed[name]})" if name in failed else ""
        print(f"{name:34s} {med[name]:6.1f} ms {med[name] / bare:7.2f}x{extra}{note}")
    for name, info in modules.items():
        if isinstance(info, str):
            print(f"{name + ' start-up':34s}    not measured: {info}")
    print(f"\n{'parse /proc/drbd, 256 minors':34s} {parse_cost()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
