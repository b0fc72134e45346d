# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha-lab`: build, drive and tear down lab clusters (see xenha_sim.lab)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from xenha import __version__
from xenha_sim.lab import Lab, LabConfig, LabError

__all__ = ["PEERS_SHIM", "main"]

# ocf:linbit:drbd tests `-f /proc/drbd` and `-b /dev/drbdN` itself; with this BASH_ENV the world answers them.
PEERS_SHIM = Path(__file__).with_name("ocf_drbd_shim.bash")

FAULTS_DESCRIPTION = """\
Run the fault matrix: each fault on a fresh 2-node cluster with the demo's configuration (DRBD r0/r1 promoted
on ha1 and ha2, web1 on ha1, web2 on ha2). The simulated world's safety invariants are sampled every 0.25 s (no
guest live on two nodes; no Primary/Primary without allow-two-primaries; no node Primary or UpToDate on data
older than what a guest wrote; no guest started without an UpToDate copy of its disk). Per fault and agent set
the report gives: safe (with the violations), recovered (every guest running once and DRBD back to the fault's
expected end state within its time limit), seconds to recovery from the fault's last action, downtime per
guest, and what pacemaker reported (failed actions with exit reasons, degraded states). Each cluster is built
in the lab directory (an existing lab there is taken down) and torn down afterwards."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xenha-lab", description=__doc__)
    parser.add_argument("--dir", help="lab directory (default $XENHA_LAB_DIR or /var/lib/xenha-lab)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build and start an N-node cluster (2..5)")
    up.add_argument("count", type=int)
    up.add_argument("--token-ms", type=int, default=3000, help="corosync token timeout: most of the failover time")
    up.add_argument("--drbd-version", choices=["8.4", "9"], default="8.4")
    up.add_argument("--toolstack", choices=["xl", "xm"], default="xl")
    up.add_argument("--prefix", default="xlab", help="namespace name prefix (default xlab)")
    up.add_argument(
        "--peers",
        action="store_true",
        help="let ocf:linbit:drbd run on the simulator too (BASH_ENV shim in every node's environment)",
    )
    sub.add_parser("down", help="kill every node and delete the namespaces")
    sub.add_parser("status", help="pacemaker's view and the simulated world")
    ex = sub.add_parser("exec", help="run a command inside a node: exec NODE -- CMD...")
    ex.add_argument("node")
    ex.add_argument("argv", nargs=argparse.REMAINDER)
    for name, text in (("kill", "crash a node abruptly (SIGKILL by pid)"), ("start", "boot a killed node")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("node")
    cut = sub.add_parser("cut-link", help="cut the network between two nodes")
    cut.add_argument("a")
    cut.add_argument("b")
    sub.add_parser("heal", help="restore every cut link")
    demo = sub.add_parser("demo", help="the Xen+DRBD dual-primary demo, step by step with a timeline")
    demo.add_argument("--peers", action="store_true", help="also run it with ocf:linbit:drbd and ocf:heartbeat:Xen")
    demo.add_argument("--keep", action="store_true", help="leave the cluster running afterwards")
    from xenha_sim.faultmatrix import EXIT_HELP

    faults = sub.add_parser(
        "faults",
        help="the fault matrix: each fault on a fresh cluster, judged for safety and recovery",
        description=FAULTS_DESCRIPTION,
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    faults.add_argument(
        "--peers", action="store_true", help="also run every fault with ocf:linbit:drbd + ocf:heartbeat:Xen"
    )
    faults.add_argument("--only", metavar="LIST", help="comma-separated fault ids (see --list)")
    faults.add_argument("--json", metavar="FILE", help="write every result to FILE as JSON")
    faults.add_argument("--list", action="store_true", help="print the faults, their limits and expected end states")
    faults.add_argument("--prefix", default="xlab", help="namespace name prefix of the clusters (default xlab)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    lab = Lab(args.dir)
    try:
        if args.command == "up":
            start = time.monotonic()
            cfg = lab.up(
                args.count,
                config=LabConfig(
                    nodes=[f"ha{i}" for i in range(1, args.count + 1)],
                    token_ms=args.token_ms,
                    drbd_version=args.drbd_version,
                    toolstack=args.toolstack,
                    prefix=args.prefix,
                    extra_env={"BASH_ENV": str(PEERS_SHIM)} if args.peers else {},
                ),
            )
            print(f"lab up: {', '.join(cfg.nodes)} online in {time.monotonic() - start:.1f}s ({lab.dir})")
        elif args.command == "down":
            lab.down()
            print("lab down")
        elif args.command == "status":
            cfg = lab.config()
            for node in cfg.nodes:
                state = "running" if lab.supervisor_pid(node) else "down"
                print(f"{node:6s} {cfg.address(node):12s} {state}")
            alive = [n for n in cfg.nodes if lab.supervisor_pid(n)]
            if alive:
                lab.exec(alive[0], ["crm_mon", "-1", "-r"], timeout=20)
        elif args.command == "exec":
            rest = list(args.argv)
            if rest[:1] == ["--"]:
                rest = rest[1:]
            if not rest:
                raise LabError("exec needs a command: exec NODE -- CMD...")
            return lab.exec(args.node, rest).returncode
        elif args.command == "kill":
            lab.kill(args.node)
            print(f"{args.node} killed")
        elif args.command == "start":
            lab.start(args.node)
            print(f"{args.node} started")
        elif args.command == "cut-link":
            lab.cut_link(args.a, args.b)
            print(f"link {args.a}-{args.b} cut")
        elif args.command == "heal":
            lab.heal()
            print("links healed")
        elif args.command == "demo":
            from xenha_sim.demo import run_demo

            return run_demo(lab, peers=args.peers, keep=args.keep)
        elif args.command == "faults":
            from xenha_sim.faultmatrix import faults_command

            return faults_command(
                lab, peers=args.peers, only=args.only, json_file=args.json, list_only=args.list, prefix=args.prefix
            )
    except LabError as exc:
        print(f"xenha-lab: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
