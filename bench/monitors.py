#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The four agents' steady-state monitors against bare `python3 -IS -c pass`: CPU, and instructions under callgrind.

On stand-ins, as tests/agents/test_hotset_*.py build them: AoEExport of a running export (a stand-in vblade holding
the file open), O2cbCluster of a running local-heartbeat cluster (the simulator's configfs), DrbdDualPrimary of a
DRBD 8.4 Primary with its score unchanged (bench/drbddual.py's stub node), XenDomainHA of a running guest (a stub
`xl` printing one row). CPU is user + sys of the child (getrusage(RUSAGE_CHILDREN)), medians of BENCH_RUNS (default
15) interleaved runs; the instruction counts (`valgrind --tool=callgrind`, when installed) are repeatable on a noisy
machine. Targets (issue 12): AoEExport, O2cbCluster and DrbdDualPrimary 8.4 at most 1.6x bare.

Run: `/usr/bin/python3 bench/monitors.py`. Asserts nothing (timing belongs in benchmarks, never in tests).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent / "lib")]

import drbddual  # noqa: E402 -- bench/drbddual.py: its stub node and cpu_ms

from xenha_sim.o2cbsim import SimConfigfs  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TARGET = 1.6
XL = (  # `xl list web1` of a running guest
    "#!/bin/sh\nprintf 'Name    ID   Mem VCPUs\\tState\\tTime(s)\\n'\n"
    "printf 'web1    3   512     1     -b----      12.5\\n'\n"
)
VBLADE = "import sys, time\ndisk = open(sys.argv[-1], 'rb')\nprint('ready', flush=True)\ntime.sleep(3600)\n"

Case = tuple[list[str], dict[str, str], int]


def instructions(argv: list[str], env: dict[str, str], tmp: Path) -> int | None:
    """Instructions executed by one run of `argv` (its children not followed), or None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    out = tmp / "callgrind.out"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    return int(found.group(1)) if found else None


def cases(tmp: Path) -> tuple[dict[str, Case], subprocess.Popen[bytes]]:
    """The monitors and the bare interpreter, with what each must exit with; the stand-in vblade to kill after."""
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_LOGFACILITY": "none", "XENHA_RUN_DIR": str(tmp / "run")}
    meta = {"OCF_RESKEY_CRM_meta_interval": "10000", "OCF_RESKEY_CRM_meta_timeout": "20000"}
    disk = tmp / "disk.img"
    disk.write_bytes(bytes(4096))
    vblade = tmp / "bin" / "vblade"
    vblade.parent.mkdir()
    vblade.write_text(VBLADE)
    (tmp / "bin" / "xl").write_text(XL)
    (tmp / "bin" / "xl").chmod(0o755)
    argv = [str(vblade), "--", "1", "0", "lo", str(disk)]
    proc = subprocess.Popen([PYTHON, *argv], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    (tmp / "run" / "AoEExport").mkdir(parents=True, mode=0o700)
    (tmp / "run" / "AoEExport" / "vblade-aoe1.pid").write_text(f"{proc.pid}\n{json.dumps(argv)}\n")
    aoe = {**base, **meta, "OCF_RESOURCE_INSTANCE": "aoe1", "OCF_RESKEY_device": str(disk)}
    aoe.update({"OCF_RESKEY_shelf": "1", "OCF_RESKEY_slot": "0", "OCF_RESKEY_nic": "lo"})
    configfs = SimConfigfs(str(tmp / "configfs"))
    configfs.load()
    configfs.create_cluster("web")
    configfs.add_node("web", "ha1", num=1, address="10.0.0.1", port=7777, local=True)
    configfs.add_node("web", "ha2", num=2, address="10.0.0.2", port=7777, local=False)
    o2cb = {**base, **meta, "OCF_RESOURCE_INSTANCE": "o2cb:0", "OCF_RESKEY_CRM_meta_on_node": "ha1"}
    o2cb.update(
        {"OCF_RESKEY_cluster": "web", "OCF_RESKEY_configfs": configfs.root, "OCF_RESKEY_heartbeat_mode": "local"}
    )
    proc84 = drbddual.FIXTURES / "reconstructed" / "proc_drbd" / "84_connected_primary_secondary.txt"
    remembered = {"minors.r0": "0", "connected.r0": "1", "score.drbd_r0": "10000"}
    drbd, _log = drbddual.stub_node(tmp / "p84", proc84.read_text(), remembered)
    xen = {**base, **meta, "PATH": f"{tmp / 'bin'}:{base['PATH']}", "OCF_RESOURCE_INSTANCE": "web1"}
    xen["OCF_RESKEY_name"] = "web1"
    found = {
        "bare python3 -IS -c pass": ([PYTHON, "-IS", "-c", "pass"], base, 0),
        "AoEExport monitor": ([str(REPO / "ocf" / "AoEExport"), "monitor"], aoe, 0),
        "O2cbCluster monitor": ([str(REPO / "ocf" / "O2cbCluster"), "monitor"], o2cb, 0),
        "DrbdDualPrimary 8.4 monitor": ([str(REPO / "ocf" / "DrbdDualPrimary"), "monitor"], drbd, 8),
        "XenDomainHA monitor": ([str(REPO / "ocf" / "XenDomainHA"), "monitor"], xen, 0),
    }
    return found, proc


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="xenha-bench-") as name:
        tmp = Path(name)
        table, vblade = cases(tmp)
        try:
            for argv, env, expect in table.values():  # settle caches (.pyc) and check each case's exit status
                drbddual.cpu_ms(argv, env, expect)
            medians = drbddual.interleaved(table, RUNS)
            counts = {label: instructions(argv, env, tmp) for label, (argv, env, _code) in table.items()}
        finally:
            vblade.kill()
            vblade.wait()
    bare, bare_ir = medians["bare python3 -IS -c pass"], counts["bare python3 -IS -c pass"]
    print(f"Monitors against bare python3 -IS: CPU (user+sys) medians of {RUNS} interleaved runs; instructions\n")
    for label, ms in medians.items():
        ir = counts[label]
        shown = f"{ir / 1e6:7.2f} M instr {ir / bare_ir:5.2f}x" if ir and bare_ir else "  (no valgrind)"
        verdict = (
            "" if label.startswith(("bare", "XenDomainHA")) else ("  meets" if ms / bare <= TARGET else "  MISSES")
        )
        print(f"{label:30s} {ms:6.2f} ms {ms / bare:5.2f}x  {shown}{verdict}")
    print(f"\nTarget: AoEExport, O2cbCluster, DrbdDualPrimary 8.4 monitors <= {TARGET}x bare (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
