# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The `xenha` command: `xenha inspect` (DRBD and Xen state, files or live, as a table or JSON), `xenha convert`.

`xenha convert` (heartbeat v1 to Pacemaker) lives in xenha.tools.convert and is imported only when asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from xenha.errors import XenhaError
from xenha.paths import Paths
from xenha.run import Deadline, SubprocessRunner

__all__ = ["main"]

Row = dict[str, object]

_DRBD_COLUMNS = (
    "resource",
    "minor",
    "volume",
    "role",
    "peer_role",
    "cstate",
    "disk",
    "peer_disk",
    "sync_percent",
    "split_brain",
)
_XEN_COLUMNS = ("name", "domid", "memory_mib", "vcpus", "flags", "state")
_LIVE_TIMEOUT_S = 10.0


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError as exc:
        raise XenhaError(f"{path}: {exc.strerror}") from exc


def _live(argv: Sequence[str]) -> str:
    paths = Paths.from_environ(os.environ)
    result = SubprocessRunner(which=paths.which)(argv, Deadline(_LIVE_TIMEOUT_S))
    return result.raise_for_status(" ".join(argv)).stdout


def drbd_rows(args: argparse.Namespace) -> list[Row]:
    """The DRBD volumes from the chosen source, as inspect JSON objects.

    `split_brain` is what DrbdDualPrimary marked on this node (an unresolved split-brain: true), read only from
    the live source; a capture says nothing about it (null).
    """
    from xenha.drbd import events2
    from xenha.drbd import proc as drbd
    from xenha.drbd import status9 as drbd9

    if args.status_json:
        return _captured([v.to_json() for v in drbd9.volumes(drbd9.parse_status_json(_read(args.status_json)))])
    if args.events2:
        events = events2.parse_events2(_read(args.events2))
        return _captured([v.to_json() for v in drbd9.volumes(events2.events2_state(events))])
    if args.proc:
        return _captured([v.to_json() for v in drbd.parse_proc_drbd(_read(args.proc)).volumes()])
    paths = Paths.from_environ(os.environ)
    proc = drbd.parse_proc_drbd(_read(paths.proc_drbd))
    if proc.is_drbd9:
        # A DRBD 9 kernel's /proc/drbd holds no device lines; ask drbdsetup, as the agents do.
        rows = [v.to_json() for v in drbd9.volumes(drbd9.parse_status_json(_live(["drbdsetup", "status", "--json"])))]
    else:
        rows = [v.to_json() for v in proc.volumes()]
    return _with_marks(rows, paths.run_dir)


def _captured(rows: list[Row]) -> list[Row]:
    return [{**row, "split_brain": None} for row in rows]


def _with_marks(rows: list[Row], run_dir: str) -> list[Row]:
    from xenha.drbd.marks import split_brain_marks

    marks = split_brain_marks(run_dir)
    marked_minors = {m for minors in marks.values() for m in minors}
    return [{**row, "split_brain": row.get("resource") in marks or row.get("minor") in marked_minors} for row in rows]


def xen_rows(args: argparse.Namespace) -> list[Row]:
    """The Xen domains from the chosen source, as inspect JSON objects (the six documented keys only)."""
    from xenha.xen.listing import Domain, parse_xl_list, parse_xm_list
    from xenha.xen.long import DomainConfig, parse_xl_list_long, parse_xm_list_long

    if args.xl_list:
        found: Sequence[Domain | DomainConfig] = parse_xl_list(_read(args.xl_list))
    elif args.xm_list:
        found = parse_xm_list(_read(args.xm_list))
    elif args.xl_json:
        found = parse_xl_list_long(_read(args.xl_json))
    elif args.xm_sxp:
        found = parse_xm_list_long(_read(args.xm_sxp))
    elif Paths.from_environ(os.environ).which("xl"):
        found = parse_xl_list(_live(["xl", "list"]))
    else:
        found = parse_xm_list(_live(["xm", "list"]))
    return [{key: d.to_json().get(key) for key in _XEN_COLUMNS} for d in found]


def _table(rows: list[Row], columns: Sequence[str], out: TextIO) -> None:
    def cell(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "YES" if value else "no"
        if isinstance(value, float):
            return f"{value:.1f}"
        return str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    out.write("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for row_cells in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row_cells, widths, strict=True)).rstrip() + "\n")


def _parser() -> argparse.ArgumentParser:
    from xenha import __version__

    parser = argparse.ArgumentParser(prog="xenha", description="xenha administration tools")
    parser.add_argument("--version", action="version", version=f"xenha {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="parse and show DRBD or Xen state")
    kinds = inspect.add_subparsers(dest="kind", required=True)

    drbd = kinds.add_parser("drbd", help="DRBD volumes (default: live /proc/drbd or drbdsetup status --json)")
    src = drbd.add_mutually_exclusive_group()
    src.add_argument("--proc", metavar="FILE", help="a /proc/drbd capture ('-' for stdin)")
    src.add_argument("--status-json", metavar="FILE", help="a `drbdsetup status --json` capture")
    src.add_argument("--events2", metavar="FILE", help="a `drbdsetup events2 --now` capture")
    drbd.add_argument("--json", action="store_true", help="print JSON, one object per volume and peer")

    xen = kinds.add_parser("xen", help="Xen domains (default: live `xl list`, else `xm list`)")
    src = xen.add_mutually_exclusive_group()
    src.add_argument("--xl-list", metavar="FILE", help="an `xl list` capture")
    src.add_argument("--xm-list", metavar="FILE", help="an `xm list` capture")
    src.add_argument("--xl-json", metavar="FILE", help="an `xl list -l` capture")
    src.add_argument("--xm-sxp", metavar="FILE", help="an `xm list --long` capture")
    xen.add_argument("--json", action="store_true", help="print JSON, one object per domain")

    convert = sub.add_parser(
        "convert",
        help="print the Pacemaker configuration of a heartbeat v1 (haresources, xendomainsHA<N>) cluster",
        description="Read this node's heartbeat v1 configuration (haresources, ha.cf, the xendomainsHA<N> defaults, "
        "their guests' configs and drbd.conf) and print the Pacemaker configuration: DrbdDualPrimary clones, "
        "XenDomainHA guests, constraints, placement and properties. Nothing is changed.",
    )
    convert.add_argument("--ha-dir", default="/etc/ha.d", help="heartbeat's directory (haresources, ha.cf)")
    convert.add_argument("--defaults-dir", default="/etc/default", help="where the xendomainsHA<N> files are")
    convert.add_argument("--drbd-conf", default="/etc/drbd.conf", help="the DRBD configuration")
    convert.add_argument("--format", choices=("crm", "pcs"), default="crm", help="crmsh text or a pcs script")
    convert.add_argument(
        "--check", action="store_true", help="list what cannot be carried over, one line each; exit 1 when any "
        "needs a decision"
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Entry point of the `xenha` command; bad input gives one line on stderr and exit 1, never a traceback."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = _parser().parse_args(argv)
    if args.command == "convert":
        from xenha.tools import convert

        return convert.main(args, out, err)
    collect: Callable[[argparse.Namespace], list[Row]]
    collect, columns = (drbd_rows, _DRBD_COLUMNS) if args.kind == "drbd" else (xen_rows, _XEN_COLUMNS)
    try:
        rows = collect(args)
    except XenhaError as exc:
        err.write(f"xenha inspect {args.kind}: {exc.reason}\n")
        return 1
    if args.json:
        json.dump(rows, out, indent=2)
        out.write("\n")
    else:
        _table(rows, columns, out)
    return 0
