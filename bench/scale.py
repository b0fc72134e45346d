#!/usr/bin/python3
# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""One dom0 with 100 guests and 100 DRBD resources, each monitored every 10 s: the CPU that costs, ours vs the peers.

XenDomainHA + DrbdDualPrimary against ocf:heartbeat:Xen + ocf:linbit:drbd on the same cheap stubs: a shell `xl`
that prints the asked guest's `xl list NAME` row, a DRBD 8.4 /proc/drbd with 100 minors in a temporary file
(XENHA_PROC_DRBD), shell `drbdadm` (--version, sh-dev) and `drbdsetup` (sh-status) for LINBIT's agent, which also
gets a BASH_ENV shim answering its `test -f /proc/drbd` / `test -b /dev/drbdN` from that file, and `crm_master` /
`crm_attribute` that do nothing. Every guest runs and every resource is Connected Primary/Primary UpToDate, so each
monitor is a steady-state one (ours finds its promotion score unchanged and writes nothing).

A sample of monitors of each kind (BENCH_SAMPLES, default 20, over distinct resources) runs interleaved; the CPU of
each (user + sys of the agent and everything it ran, from getrusage(RUSAGE_CHILDREN)) is taken, and the medians are
extrapolated to 100 + 100 monitors per 10 s as a share of one core. Goal: ours <= 0.6x the peers. The stubs are
cheaper than the real tools (a real crm_master runs crm_attribute, which talks to attrd), which favours the peers.

Run: `/usr/bin/python3 bench/scale.py` or `make bench-scale`. Asserts nothing; never run by the tests.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
OURS_XEN = str(REPO / "ocf" / "XenDomainHA")
OURS_DRBD = str(REPO / "ocf" / "DrbdDualPrimary")
PEER_XEN = "/usr/lib/ocf/resource.d/heartbeat/Xen"
PEER_DRBD = "/usr/lib/ocf/resource.d/linbit/drbd"
GUESTS = 100
RESOURCES = 100
INTERVAL_S = 10
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "20"))
GOAL = 0.6

XL = r"""#!/bin/sh
# stub xl: `xl list NAME` prints the header and NAME's row (as xl prints it) when NAME is one of the guests
if [ "$1" = list ] && [ $# -eq 2 ]; then
    case "$2" in
    web[0-9][0-9][0-9])
        n=${2#web}
        if [ "$n" -lt GUESTS ]; then
            printf 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
            printf '%-40s %5d %5d %5d     %s %8.1f\n' "$2" $((1${n} - 999)) 512 1 "-b----" 12.5
            exit 0
        fi ;;
    esac
    echo "Invalid domain identifier: $2" >&2
    exit 1
fi
echo "stub xl: not stubbed: $*" >&2
exit 1
"""

# drbdadm of drbd-utils 9 with a DRBD 8.4.11 kernel module: what LINBIT's agent and ours ask on a monitor.
DRBDADM = r"""#!/bin/sh
while [ $# -gt 0 ]; do
    case "$1" in
    -c) shift 2 ;;
    -S|--stacked) shift ;;
    --version)
        printf 'DRBDADM_BUILDTAG=stub\nDRBDADM_API_VERSION=1\nDRBD_KERNEL_VERSION_CODE=0x08040b\n'
        printf 'DRBDADM_VERSION_CODE=0x091600\nDRBDADM_VERSION=9.22.0\n'
        exit 0 ;;
    sh-dev)
        case "$2" in r[0-9][0-9][0-9]) echo "/dev/drbd$((1${2#r} - 1000))"; exit 0 ;; esac
        echo "'$2' not defined in your config (for this host)." >&2
        exit 10 ;;
    *) echo "stub drbdadm: not stubbed: $*" >&2; exit 20 ;;
    esac
done
exit 20
"""

DRBDSETUP = r"""#!/bin/sh
if [ "$1" = sh-status ]; then
    case "$2" in r[0-9][0-9][0-9]) minor=$((1${2#r} - 1000)) ;; *) exit 10 ;; esac
    printf '_minor=%d\n_res_name=%s\n_volume=0\n_known=Configured\n\n' "$minor" "$2"
    printf '_cstate=Connected\n_role=Primary\n_peer=Primary\n_disk=UpToDate\n_pdsk=UpToDate\n\n'
    printf '_flags_susp=\n_flags_aftr_isp=\n_flags_peer_isp=\n_flags_user_isp=\n\n_resynced_percent=\n'
    printf '\n_sh_status_process\n\n\n'
    exit 0
fi
echo "stub drbdsetup: not stubbed: $*" >&2
exit 20
"""

# LINBIT's agent tests `-f /proc/drbd` and `-b /dev/drbdN`; here every minor of the stub /proc/drbd exists.
SHIM = r"""test() {
    if [[ $# -eq 2 && $1 == -f && $2 == /proc/drbd ]]; then builtin test -f "$XENHA_PROC_DRBD"; return; fi
    if [[ $# -eq 2 && $1 == -b && $2 == /dev/drbd* ]]; then return 0; fi
    builtin test "$@"
}
"""

NOTHING = "#!/bin/sh\nexit 0\n"


def proc_drbd(count: int) -> str:
    """A DRBD 8.4 /proc/drbd with `count` minors, each Connected Primary/Primary UpToDate/UpToDate."""
    lines = ["version: 8.4.11 (api:1/proto:86-101)", "srcversion: 9EA4A3B2C3D4E5F6A7B8C9D "]
    for minor in range(count):
        lines.append(f"{minor:2d}: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C r-----")
        lines.append("    ns:1048576 nr:0 dw:1048576 dr:2048 al:12 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0")
    return "\n".join(lines) + "\n"


def drbd_conf(count: int) -> str:
    """The resources as drbd.conf declares them (read by neither agent on a monitor; validate checks it exists)."""
    return "".join(
        f"resource r{i:03d} {{\n    device /dev/drbd{i};\n    disk /dev/vg0/r{i:03d};\n    meta-disk internal;\n"
        f"    on ha1 {{ address 10.0.0.1:{7800 + i}; }}\n    on ha2 {{ address 10.0.0.2:{7800 + i}; }}\n"
        "    net { protocol C; allow-two-primaries yes; }\n}\n"
        for i in range(count)
    )


def setup(root: Path) -> dict[str, str]:
    """Stubs, /proc/drbd, drbd.conf and guest configs under `root`; the environment both agents share."""
    bindir = root / "bin"
    bindir.mkdir()
    for name, text in (
        ("xl", XL.replace("GUESTS", str(GUESTS))),
        ("drbdadm", DRBDADM),
        ("drbdsetup", DRBDSETUP),
        ("crm_master", NOTHING),
        ("crm_attribute", NOTHING),
        ("crm_resource", "#!/bin/sh\nexit 1\n"),
    ):
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    (root / "shim.bash").write_text(SHIM)
    (root / "proc_drbd").write_text(proc_drbd(RESOURCES))
    (root / "capabilities").write_text("control_d\n")
    (root / "drbd.conf").write_text(drbd_conf(RESOURCES))
    configs = root / "xen"
    configs.mkdir()
    for i in range(GUESTS):
        (configs / f"web{i:03d}.cfg").write_text(
            f"name = 'web{i:03d}'\nmemory = 512\nvcpus = 1\ndisk = ['phy:/dev/drbd{i},xvda,w']\n"
        )
    return {
        "PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HA_SBIN_DIR": str(bindir),
        "HA_LOGFACILITY": "none",
        "OCF_ROOT": "/usr/lib/ocf",
        "XENHA_RUN_DIR": str(root / "run"),
        "XENHA_PROC_DRBD": str(root / "proc_drbd"),
        "XENHA_PROC_XEN_CAPABILITIES": str(root / "capabilities"),
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "OCF_RESKEY_CRM_meta_interval": str(INTERVAL_S * 1000),
        "LC_ALL": "C",
    }


def guest_env(base: dict[str, str], root: Path, i: int) -> dict[str, str]:
    config = str(root / "xen" / f"web{i:03d}.cfg")
    return {**base, "OCF_RESOURCE_INSTANCE": f"web{i:03d}", "OCF_RESKEY_config": config, "OCF_RESKEY_xmfile": config}


def drbd_env(base: dict[str, str], root: Path, i: int, *, peer: bool) -> dict[str, str]:
    env = {
        **base,
        "OCF_RESOURCE_INSTANCE": f"drbd_r{i:03d}:0",
        "OCF_RESKEY_drbd_resource": f"r{i:03d}",
        "OCF_RESKEY_drbdconf": str(root / "drbd.conf"),
        "OCF_RESKEY_CRM_meta_clone_max": "2",
        "OCF_RESKEY_CRM_meta_clone_node_max": "1",
        "OCF_RESKEY_CRM_meta_master_max": "2",
        "OCF_RESKEY_CRM_meta_promoted_max": "2",
        "OCF_RESKEY_CRM_meta_master_node_max": "1",
        "OCF_RESKEY_CRM_meta_notify": "true",
        "OCF_RESKEY_crm_feature_set": "3.17.4",
    }
    if peer:
        env["BASH_ENV"] = str(root / "shim.bash")
    return env


def cpu_ms(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(CPU user+sys in ms of `argv` and its children, exit status, stderr) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 1000, done.returncode, done.stderr


def main() -> int:
    missing = [p for p in (PEER_XEN, PEER_DRBD) if not os.access(p, os.X_OK)]
    if missing:
        print(f"not installed (resource-agents, drbd-utils): {', '.join(missing)}; nothing to compare with")
        return 0
    picked = [(k * 37) % min(GUESTS, RESOURCES) for k in range(SAMPLES)]  # distinct resources, spread out
    with tempfile.TemporaryDirectory(prefix="xenha-scale-") as tmp:
        root = Path(tmp)
        base = setup(root)
        # kind: (argv, environment of sample k, expected exit status)
        kinds = {
            "bare python3 -IS -c pass": (lambda k: [PYTHON, "-IS", "-c", "pass"], lambda k: base, 0),
            "XenDomainHA monitor": (lambda k: [OURS_XEN, "monitor"], lambda k: guest_env(base, root, k), 0),
            "ocf:heartbeat:Xen monitor": (lambda k: [PEER_XEN, "monitor"], lambda k: guest_env(base, root, k), 0),
            "DrbdDualPrimary monitor": (
                lambda k: [OURS_DRBD, "monitor"],
                lambda k: drbd_env(base, root, k, peer=False),
                8,
            ),
            "ocf:linbit:drbd monitor": (
                lambda k: [PEER_DRBD, "monitor"],
                lambda k: drbd_env(base, root, k, peer=True),
                8,
            ),
        }
        broken: dict[str, str] = {}
        for k in sorted(set(picked)):  # warm up: our DRBD agent caches minors and score once per resource
            for name, (argv, env, expect) in kinds.items():
                if name in broken:
                    continue
                _ms, code, err = cpu_ms(argv(k), env(k))
                if code != expect:
                    broken[name] = f"exit {code}, expected {expect}: {err.strip().splitlines()[-1:] or ''}"
        samples: dict[str, list[float]] = {name: [] for name in kinds if name not in broken}
        for k in picked:
            for name, values in samples.items():
                argv, env, _expect = kinds[name]
                values.append(cpu_ms(argv(k), env(k))[0])

    print(f"{GUESTS} guests + {RESOURCES} DRBD resources, a monitor of each every {INTERVAL_S} s, on stubs")
    print(f"CPU (user+sys, agent and children) per monitor: median of {SAMPLES} interleaved runs\n")
    med = {name: statistics.median(values) for name, values in samples.items()}
    for name in kinds:
        if name in broken:
            print(f"{name:30s}   not measured: {broken[name]}")
        else:
            print(f"{name:30s} {med[name]:7.1f} ms")

    def load(xen: str, drbd: str) -> float | None:
        """Share of one core (%) for GUESTS xen monitors and RESOURCES drbd monitors per interval."""
        if xen not in med or drbd not in med:
            return None
        return (GUESTS * med[xen] + RESOURCES * med[drbd]) / (INTERVAL_S * 1000) * 100

    ours = load("XenDomainHA monitor", "DrbdDualPrimary monitor")
    peers = load("ocf:heartbeat:Xen monitor", "ocf:linbit:drbd monitor")
    print(f"\n{'per ' + str(INTERVAL_S) + ' s, extrapolated':30s} {'% of one core':>14s}")
    for label, value in (("ours (XenDomainHA + DrbdDualPrimary)", ours), ("peers (Xen + linbit drbd)", peers)):
        print(f"{label:38s} {value:6.1f} %" if value is not None else f"{label:38s}    n/a")
    if ours is not None and peers is not None:
        ratio = ours / peers
        verdict = "meets" if ratio <= GOAL else "MISSES"
        print(f"\nratio ours/peers: {ratio:.2f}x  (goal <= {GOAL}x: {verdict})")
    if "bare python3 -IS -c pass" in med:
        bare = med["bare python3 -IS -c pass"]
        for name in ("XenDomainHA monitor", "DrbdDualPrimary monitor"):
            if name in med:
                print(f"{name}: {med[name] / bare:.2f}x bare python3 -IS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
