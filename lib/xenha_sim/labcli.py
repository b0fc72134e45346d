"""`xenha-lab`: build, drive and tear down lab clusters (see xenha_sim.lab)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from xenha_sim.lab import Lab, LabConfig, LabError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xenha-lab", description=__doc__)
    parser.add_argument("--dir", help="lab directory (default $XENHA_LAB_DIR or /var/lib/xenha-lab)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build and start an N-node cluster (2..5)")
    up.add_argument("count", type=int)
    up.add_argument("--token-ms", type=int, default=3000, help="corosync token timeout: most of the failover time")
    up.add_argument("--drbd-version", choices=["8.4", "9"], default="8.4")
    up.add_argument("--toolstack", choices=["xl", "xm"], default="xl")
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
    except LabError as exc:
        print(f"xenha-lab: {exc}", file=sys.stderr)
        return 1
    return 0
