# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xenha-sim`: create and inspect the simulated world, define DRBD resources and guests, inject faults."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from xenha import __version__
from xenha_sim import drbdsim, faults, xensim
from xenha_sim.world import World, add_node, log_event

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xenha-sim", description=__doc__)
    parser.add_argument("--world", help="world directory (default $XENHA_SIM_WORLD or /var/lib/xenha-sim)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create an empty world")
    init.add_argument("--force", action="store_true", help="replace an existing world")
    init.add_argument("--drbd-version", choices=["8.4", "9"], default="8.4")

    node = sub.add_parser("add-node", help="add a dom0")
    node.add_argument("name")
    node.add_argument("--toolstack", choices=["xl", "xm"], default="xl")
    node.add_argument("--memory", type=int, default=16384, help="host memory in MiB")
    node.add_argument("--address", default="")
    node.add_argument("--alias", action="append", default=[], help="another name migrations may use (e.g. ha2X)")
    node.add_argument("--proc-drbd", help="where this node's /proc/drbd text is written")

    res = sub.add_parser("drbd-define", help="create DRBD meta data for the resources of a drbd.conf")
    res.add_argument("conf", help="a drbd.conf as admins write it")
    res.add_argument("--inconsistent", action="store_true", help="fresh meta data, no initial sync done")

    guest = sub.add_parser("guest", help="how a guest behaves (kept across migrations)")
    guest.add_argument("name")
    guest.add_argument("--shutdown-delay", type=float)
    guest.add_argument("--ignore-shutdown", action=argparse.BooleanOptionalAction, default=None)

    show = sub.add_parser("show", help="print the world")
    show.add_argument("--json", action="store_true", help="the whole state as JSON")

    for name, text in (("crash", "a node dies at once"), ("restart", "a dead node boots again")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("node")
    cut = sub.add_parser("cut-link", help="cut the replication/migration link between two nodes")
    cut.add_argument("a")
    cut.add_argument("b")
    heal = sub.add_parser("heal", help="restore the link between two nodes, or every link")
    heal.add_argument("nodes", nargs="*")
    hang = sub.add_parser("hang", help="make a tool on a node sleep before answering (0 to clear)")
    hang.add_argument("node")
    hang.add_argument("tool", choices=["xl", "xm", "drbdadm", "drbdsetup"])
    hang.add_argument("seconds", type=float)
    mfail = sub.add_parser("migrate-fail-at", help="fail migrations at this fraction (or 'none')")
    mfail.add_argument("fraction")
    mem = sub.add_parser("reserve-memory", help="take memory on a node away from guests (0 gives it back)")
    mem.add_argument("node")
    mem.add_argument("mib", type=int)
    cg = sub.add_parser("crash-guest", help="a guest crashes")
    cg.add_argument("node")
    cg.add_argument("name")
    disk = sub.add_parser("disk-fail", help="a DRBD backing disk fails (on-io-error detach: Diskless)")
    disk.add_argument("node")
    disk.add_argument("resource")
    disk.add_argument("--volume", type=int, default=0)
    write = sub.add_parser("write", help="a Primary writes to a resource (advances its data generation)")
    write.add_argument("node")
    write.add_argument("resource")
    write.add_argument("--kib", type=int, help="how much (default: the world's write_kib, 4096)")
    setting = sub.add_parser(
        "set",
        help="simulator timing: KEY=VALUE ...",
        description="Keys: " + ", ".join([*sorted(xensim.DEFAULTS), *DRBD_SETTINGS]) + ".",
    )
    setting.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    return parser


DRBD_SETTINGS = ("resync_kib_s", "write_kib")  # drbdsim.settings keys: resync rate (KiB/s), KiB one write writes


def _settings(pairs: Sequence[str]) -> tuple[dict[str, float], dict[str, int]]:
    """Split KEY=VALUE pairs into xensim timing and DRBD settings; ValueError names the bad pair."""
    xen: dict[str, float] = {}
    drbd: dict[str, int] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or (key not in DRBD_SETTINGS and key not in xensim.DEFAULTS):
            raise ValueError(f"{pair}: not KEY=VALUE with a known KEY")
        try:
            value = int(text) if key in DRBD_SETTINGS else float(text)
        except ValueError:
            raise ValueError(f"{pair}: {text!r} is not a number") from None
        if value < 0:
            raise ValueError(f"{pair}: must not be negative")
        if key in DRBD_SETTINGS:
            drbd[key] = int(value)
        else:
            xen[key] = float(value)
    return xen, drbd


def _show(state: dict[str, object], out: object) -> None:
    print(f"drbd version: {drbdsim.drbd_version(state)}")
    nodes: dict[str, dict[str, object]] = state["nodes"]  # type: ignore[assignment]
    now = time.time()
    for name, rec in sorted(nodes.items()):
        alive = "up" if rec.get("alive") else "DOWN"
        print(f"node {name} ({alive}, {rec.get('toolstack')}, boot {rec.get('boot')})")
        if not rec.get("alive"):
            continue
        for dom in xensim.list_domains(state, name, now):
            if dom.domid != 0:
                print(f"  domain {dom.name} id {dom.domid} {dom.memory} MiB {dom.xl_state}")
        for res in drbdsim.node_resources(state, name):
            print(f"  drbd {res} {drbdsim.role_of(state, name, res)}")
    links: dict[str, str] = state["links"]  # type: ignore[assignment]
    for key, value in sorted(links.items()):
        if value != "up":
            print(f"link {key} {value}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    world = World(args.world)
    if args.command == "set":
        try:
            xen_values, drbd_values = _settings(args.pairs)
        except ValueError as exc:
            parser.error(str(exc))
        with world.transaction() as state:
            if xen_values:
                xensim.set_config(state, **xen_values)
            drbdsim.settings(state).update(drbd_values)
        return 0
    if args.command == "init":
        world.create(force=args.force)
        with world.transaction() as state:
            drbdsim.set_drbd_version(state, args.drbd_version)
        print(f"world created at {world.path}")
        return 0
    with world.transaction() as state:
        cmd = args.command
        if cmd == "add-node":
            add_node(state, args.name, toolstack=args.toolstack, memory_mib=args.memory, address=args.address)
            state["nodes"][args.name]["aliases"] = args.alias
            if args.proc_drbd:
                state["nodes"][args.name]["proc_drbd"] = args.proc_drbd
        elif cmd == "drbd-define":
            from xenha_sim.drbdconf import load_conf

            conf = load_conf(args.conf)
            for res in conf.resources:
                hosts = [h.names[0] for h in res.hosts]
                vols = tuple(v.vnr for v in res.hosts[0].volumes) if res.hosts else ()
                drbdsim.init_resource(state, res.name, hosts, volumes=vols or (0,), uptodate=not args.inconsistent)
                print(f"drbd {res.name}: meta data on {', '.join(hosts)}")
        elif cmd == "guest":
            kwargs: dict[str, object] = {}
            if args.shutdown_delay is not None:
                kwargs["shutdown_delay"] = args.shutdown_delay
            if args.ignore_shutdown is not None:
                kwargs["ignore_shutdown"] = args.ignore_shutdown
            xensim.set_guest_behaviour(state, args.name, **kwargs)  # type: ignore[arg-type]
        elif cmd == "show":
            if args.json:
                json.dump(state, sys.stdout, indent=1, sort_keys=True)
                print()
            else:
                _show(state, sys.stdout)
        elif cmd == "crash":
            faults.crash_node(state, args.node)
        elif cmd == "restart":
            faults.restart_node(state, args.node)
        elif cmd == "cut-link":
            drbdsim.cut_link(state, args.a, args.b)
            log_event(state, args.a, f"link {args.a}-{args.b} cut")
        elif cmd == "heal":
            pairs = [tuple(args.nodes)] if len(args.nodes) == 2 else [tuple(k.split("|")) for k in state["links"]]
            for a, b in pairs:
                drbdsim.heal_link(state, a, b)
            log_event(state, "sim", "links healed")
        elif cmd == "hang":
            if args.tool in ("xl", "xm"):
                xensim.set_tool_hang(state, args.node, args.tool, args.seconds)
            else:
                drbdsim.set_hang(state, args.node, args.tool, args.seconds)
        elif cmd == "migrate-fail-at":
            xensim.set_migrate_fail_at(state, None if args.fraction == "none" else float(args.fraction))
        elif cmd == "reserve-memory":
            xensim.reserve_memory(state, args.node, args.mib)
        elif cmd == "crash-guest":
            xensim.crash_guest(state, args.node, args.name)
        elif cmd == "disk-fail":
            drbdsim.fail_disk(state, args.node, args.resource, args.volume)
        elif cmd == "write":
            drbdsim.write_io(state, args.node, args.resource, kib=args.kib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
