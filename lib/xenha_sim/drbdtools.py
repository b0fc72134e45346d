# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulated `drbdadm` and `drbdsetup` (DRBD 8.4 and 9 userland of drbd-utils 9.22) over the shared world.

The output formats are those of the real tools, cited per renderer: drbd-utils v84/drbdsetup.c and
v84/drbdadm_main.c (8.4 worlds, where drbd-utils 9.x dispatches to drbdadm-84/drbdsetup-84), v9/drbdsetup.c
(9 worlds), shared/shared_main.c (`Command '...' terminated with exit code N`, dry-run echo) and the kernel's
drbd_proc.c for /proc/drbd; see GRAMMAR.md sections 1-3 in the fixtures.  `drbdadm` turns each command into
drbdsetup/drbdmeta invocations exactly as the real one does (so `-d` prints what it would run) and runs them
in-process against the world, all in one world transaction.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from xenha_sim import drbdsim as sim
from xenha_sim.drbdsim import _K9, _K84, DrbdError, _sync_of, render_proc_drbd
from xenha_sim.world import State, World, current_node, node_state

__all__ = [
    "UTILS_VERSION",
    "drbdadm_main",
    "drbdsetup_main",
    "error_text",
    "primary_failure_text",
    "render_proc_drbd",
    "run_drbdadm",
    "run_drbdsetup",
    "shell_escape",
]

UTILS_VERSION = "9.22.0"
_UTILS_VERSION_CODE = 0x091600
_BUILDTAG = "GIT-hash: 409097fe02187f83790b88ac3e0d94f3c167adab reproducible build, 2023-01-09 14:51:18"
# drbd_strings.c set_st_err (8.4.11 and drbd-headers): state change refusals
_SS_TEXT = {
    -1: "Multiple primaries not allowed by config",
    -2: "Need access to UpToDate data",
    -3: "Can not resync without local disk",
    -4: "Can not resync without local disk",
    -5: "Can not resync without remote disk",
    -6: "Refusing to be Outdated while Connected",
    -7: "Refusing to be Primary while peer is not outdated",
    -8: "Can not start OV/resync since it is already active",
    -9: "Can not disconnect a StandAlone device",
    -10: "State change was refused by peer node",
    -11: "Device is diskless, the requested operation requires a disk",
    -12: "Device is held open by someone",
    -13: "Have no net/connection configuration",
    -14: "Need a verify algorithm to start online verify",
    -15: "Need a connection to start verify or resync",
    -16: "Disk state is lower than outdated",
    -17: "Peer does not support protocol",
    -18: "In transient state, retry after next state change",
    -19: "Concurrent state changes detected and aborted",
    -20: "Need a connection for a graceful disconnect/outdate peer",
    -21: "Other vol primary on peer not allowed by config",
}
# v84/drbdsetup.c error_messages[] (drbd_ret_code - 100)
_ERR_TEXT = {
    104: "Can not open backing device.",
    119: "No valid meta-data signature found.\n\n\t==> Use 'drbdadm create-md res' to initialize meta-data area. <==\n",
    123: "--discard-my-data not allowed when primary.",
    124: "Device is attached to a disk (use detach first)",
    125: "Device has a net-config (use disconnect first)",
    127: "Device minor not allocated",
    158: "Unknown resource",
    161: "Minor or volume exists already (delete it first)",
    162: "Invalid configuration request",
    164: "Can not clear allow_two_primaries as long as\nthere a primaries on both sides",
}


def error_text(code: int) -> str:
    """`(code) text` as drbdsetup prints a refusal, e.g. `(-2) Need access to UpToDate data`."""
    if code < 0:
        return f"({code}) {_SS_TEXT.get(code, 'unknown error.')}"
    return f"({code}) {_ERR_TEXT.get(code, 'Unknown... maybe API_VERSION mismatch?')}"


def _config_error(objname: str, exc: DrbdError, err: list[str]) -> int:
    """v84/drbdsetup.c print_config_error: the message lines and the exit code (10, 11, 16, 17 or 5)."""
    code = exc.code
    if code > 100:
        err.append(f"{objname}: Failure: ({code}) {_ERR_TEXT.get(code, 'Unknown... maybe API_VERSION mismatch?')}")
        rc = 10
    else:
        err.append(f"{objname}: State change failed: ({code}) {_SS_TEXT.get(code, 'unknown error.')}")
        rc = {-2: 17, -16: 5, -4: 16}.get(code, 11)
    if exc.info:
        err.append("additional info from kernel:")
        err.append(exc.info)
    return rc


def primary_failure_text(state: State, node: str, resource: str, exc: DrbdError) -> str:
    """What `drbdadm primary RES` prints on stderr when DRBD refuses (for xensim's block-drbd)."""
    err: list[str] = []
    v9 = sim.drbd_version(state) == "9"
    kr = sim.kernel_res(state, node, resource)
    if v9 or kr is None or not kr["vols"]:
        objname, argv = resource, ["drbdsetup", "primary", resource]
    else:
        minor = str(sorted(int(v["minor"]) for v in kr["vols"].values())[0])
        objname, argv = minor, ["drbdsetup-84", "primary", minor]
    rc = _config_error(objname, exc, err)
    err.append(f"Command '{' '.join(argv)}' terminated with exit code {rc}")
    return "\n".join(err)


_SHELL_CLEAN = frozenset("%+-./0123456789:=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


def shell_escape(text: str) -> str:
    """drbd-utils shell_escape(): a backslash before every character outside [%+-./0-9:=@A-Z_a-z]."""
    return "".join(c if c in _SHELL_CLEAN else "\\" + c for c in text)


# --------------------------------------------------------------------------------------------------------------
# wrap_printf (drbd-utils 9.22 user/shared/wrap_printf.c, before the 2025 fix 5344208f)


class _Wrap:
    """Emulates wrap_printf: 80 columns (stdout is not a tty), indentation on fresh lines, greedy wrapping."""

    def __init__(self, columns: int = 80) -> None:
        self.columns = columns
        self.col = 0
        self.parts: list[str] = []

    def __call__(self, indent: int, text: str) -> None:
        n = len(text)
        if self.col + n > self.columns:
            self.parts.append("\n")
            if text.startswith("\n"):
                text = text[1:]
            self.col = 0
        if self.col == 0:
            text = text.lstrip(" ")
            self.col += indent
            self.parts.append(" " * indent)
        self.parts.append(text)
        self.col += len(text)
        if text.endswith("\n"):
            self.col = 0

    def text(self) -> str:
        return "".join(self.parts)


# --------------------------------------------------------------------------------------------------------------
# Views used by the status renderers


@dataclass
class _PeerView:
    name: str
    node_id: int
    cstate: str  # 9 names: StandAlone/Connecting/Connected
    role: str
    my_addr: str
    peer_addr: str
    vols: dict[str, dict[str, Any]]  # vnr -> repl, peer_disk, oos_kib, sync (left,total,elapsed,rate) | None


@dataclass
class _ResView:
    name: str
    node_id: int
    role: str
    vols: dict[str, dict[str, Any]]  # vnr -> minor, disk, backing, size_kib, stats
    peers: list[_PeerView] = field(default_factory=list)


def _res_view(state: State, node: str, res: str, now: float) -> _ResView:
    kr = sim.kernel_res(state, node, res)
    assert kr is not None
    vols: dict[str, dict[str, Any]] = {}
    for vnr in sorted(kr["vols"], key=int):
        kv = kr["vols"][vnr]
        md = sim.settings(state)["md"].get(node, {}).get(res, {}).get(vnr) or {}
        vols[vnr] = {
            "minor": int(kv["minor"]),
            "disk": sim.disk_state(state, node, res, vnr),
            "backing": kv["backing"] if kv["attached"] else None,
            "size_kib": int(md.get("size_kib", 0)) if kv["attached"] else 0,
            "stats": kv["stats"],
            "open": bool(kv["open"]),
        }
    view = _ResView(res, int(kr.get("node_id", 0)), str(kr["role"]), vols)
    for peer in sorted(kr["peers"], key=lambda p: (kr["peers"][p].get("node_id", 0), p)):
        pe = kr["peers"][peer]
        pvols: dict[str, dict[str, Any]] = {}
        for vnr in vols:
            sync = _sync_of(state, res, node, vnr)
            sp = None
            if sync is not None and peer in sync[0].split("|")[1:3]:
                left, total, elapsed = sim.sync_progress(state, sync[0], now)
                sp = (left, total, elapsed, int(sync[1]["rate"]))
            md = sim.settings(state)["md"].get(node, {}).get(res, {}).get(vnr) or {}
            oos = sp[0] if sp else int(md.get("oos", {}).get(peer, 0))
            pvols[vnr] = {
                "repl": sim.repl_state(state, node, res, peer, vnr),
                "peer_disk": sim.peer_disk_state(state, node, res, peer, vnr),
                "oos": oos,
                "sync": sp,
            }
        view.peers.append(
            _PeerView(
                name=peer,
                node_id=int(pe.get("node_id", 1)),
                cstate=sim.conn_state(state, node, res, peer),
                role=sim.peer_role(state, node, res, peer),
                my_addr=str(pe.get("my_addr") or ""),
                peer_addr=str(pe.get("peer_addr") or ""),
                vols=pvols,
            )
        )
    return view


# --------------------------------------------------------------------------------------------------------------
# `drbdsetup status` text (v84/drbdsetup.c status_cmd for 8.4 worlds, v9/drbdsetup.c for 9 worlds)


_REPL_ORDER = [
    "Off",
    "Established",
    "StartingSyncS",
    "StartingSyncT",
    "WFBitMapS",
    "WFBitMapT",
    "WFSyncUUID",
    "SyncSource",
    "SyncTarget",
    "VerifyS",
    "VerifyT",
    "PausedSyncS",
    "PausedSyncT",
    "Ahead",
    "Behind",
]
_SYNCING = ("SyncSource", "SyncTarget", "PausedSyncS", "PausedSyncT")


def _status_text(views: list[_ResView], *, v9: bool, verbose: bool, stats: bool) -> str:
    w = _Wrap()
    for view in views:
        w(0, view.name)
        if verbose and v9:
            w(4, f" node-id:{view.node_id}")
        w(4, f" role:{view.role}")
        if verbose:
            w(4, " suspended:no")
        if verbose and v9:
            w(4, " force-io-failures:no")
        if stats and verbose:
            w(4, "\n")
            w(4, " write-ordering:flush")
        w(0, "\n")
        single = len(view.vols) == 1
        for vnr, vol in view.vols.items():
            indent = 2
            if verbose or not (single and vnr == "0"):
                w(indent, f"volume:{vnr}")
                indent = 6
                if verbose:
                    w(indent, f" minor:{vol['minor']}")
            w(indent, f" disk:{vol['disk']}")
            if v9:
                if vol["disk"] == "Diskless":
                    w(indent, " client:no")
                if verbose:
                    w(indent, f" backing_dev:{vol['backing'] or 'none'}")
                    w(indent, " quorum:yes")
            indent = 6
            if stats:
                w(indent, "\n")
            st = vol["stats"]
            if stats:
                if verbose:
                    w(indent, f" size:{vol['size_kib']}")
                w(indent, f" read:{st['dr']}")
                w(indent, f" written:{st['dw']}")
                if verbose:
                    w(indent, f" al-writes:{st['al']}")
                    w(indent, f" bm-writes:{st['bm']}")
                    w(indent, " upper-pending:0")
                    w(indent, " lower-pending:0")
                    w(indent, " al-suspended:no")
            if verbose:
                w(indent, " blocked:no")
            w(indent, "\n")
        for peer in view.peers:
            connected = peer.cstate == "Connected"
            w(2, peer.name if v9 else "peer")
            if verbose and v9:
                w(6, f" node-id:{peer.node_id}")
            if verbose or not connected:
                w(6, f" connection:{peer.cstate}")
            if verbose or connected:
                w(6, f" role:{peer.role}")
            if verbose:
                w(6, " congested:no")
                if v9:
                    w(6, " ap-in-flight:0")
                    w(6, " rs-in-flight:0")
            w(0, "\n")
            if not (verbose or stats or connected):
                continue
            for vnr, pv in peer.vols.items():
                _peer_device_text(w, vnr, pv, view, single=single, verbose=verbose, stats=stats, v9=v9)
        w(0, "\n")
    return w.text()


def _peer_device_text(
    w: _Wrap,
    vnr: str,
    pv: dict[str, Any],
    view: _ResView,
    *,
    single: bool,
    verbose: bool,
    stats: bool,
    v9: bool,
) -> None:
    indent = 4
    if verbose or not (single and vnr == "0"):
        w(indent, f"volume:{vnr}")
        indent = 8
    repl = str(pv["repl"])
    # 8.4 kernels report Connected (C_CONNECTED > C_WF_REPORT_PARAMS) for Established: always shown there
    if verbose or _REPL_ORDER.index(repl) > 1 or (not v9 and repl != "Off"):
        w(indent, f" replication:{repl}")
        indent = 8
    if verbose or stats or repl != "Off" or pv["peer_disk"] != "DUnknown":
        w(indent, f" peer-disk:{pv['peer_disk']}")
        if v9 and pv["peer_disk"] == "Diskless":
            w(indent, " peer-client:no")
        indent = 8
        sync = pv["sync"]
        if repl in _SYNCING and sync is not None:
            left, total, _elapsed, _rate = sync
            if v9:
                w(indent, f" done:{100.0 * (total - left) / max(1, total):.2f}")
            else:
                size = view.vols[vnr]["size_kib"] or 1
                w(indent, f" done:{100 * (1 - left / size):.2f}")
        if verbose:
            w(indent, " resync-suspended:no")
        if stats:
            w(indent, "\n")
            st = view.vols[vnr]["stats"]
            w(indent, f" received:{st['nr']}")
            w(indent, f" sent:{st['ns']}")
            if verbose or pv["oos"]:
                w(indent, f" out-of-sync:{pv['oos']}")
            if verbose:
                w(indent, " pending:0")
                w(indent, " unacked:0")
                if v9 and sync is not None:
                    left, total, elapsed, rate = sync
                    db1 = rate * 2 * min(3.0, max(elapsed, 0.001))
                    dt1 = min(3000.0, max(elapsed * 1000, 1.0))
                    w(indent, f" dbdt1:{db1 / dt1 * 1000.0 / 2048.0:.2f}")
                    w(indent, f" eta:{dt1 * 1e-3 * left * 2 / db1:.0f}")
    w(0, "\n")


# --------------------------------------------------------------------------------------------------------------
# `drbdsetup status --json` (drbd-utils 9.22 layout; fixtures reconstructed/drbd9/status_json_*.json)


def _status_json(views: list[_ResView]) -> str:
    out = ["["]
    for index, view in enumerate(views):
        if index:
            out.append(",")
        out.append(
            "{\n"
            f'  "name": "{view.name}",\n'
            f'  "node-id": {view.node_id},\n'
            f'  "role": "{view.role}",\n'
            '  "suspended": false,\n'
            '  "suspended-user": false,\n'
            '  "suspended-no-data": false,\n'
            '  "suspended-fencing": false,\n'
            '  "suspended-quorum": false,\n'
            '  "force-io-failures": false,\n'
            '  "write-ordering": "flush",\n'
            '  "devices": ['
        )
        devs = []
        for vnr, vol in view.vols.items():
            st = vol["stats"]
            devs.append(
                "    {\n"
                f'      "volume": {vnr},\n'
                f'      "minor": {vol["minor"]},\n'
                f'      "disk-state": "{vol["disk"]}",\n'
                '      "client": false,\n'
                '      "quorum": true,\n'
                f'      "size": {vol["size_kib"]},\n'
                f'      "read": {st["dr"]},\n'
                f'      "written": {st["dw"]},\n'
                f'      "al-writes": {st["al"]},\n'
                f'      "bm-writes": {st["bm"]},\n'
                '      "upper-pending": 0,\n'
                '      "lower-pending": 0\n'
                "    }"
            )
        out.append(",\n".join(devs) + " ],\n" if devs else " ],")
        out[-1] = out[-1].rstrip("\n")
        out.append('  "connections": [')
        conns = [_connection_json(view, peer) for peer in view.peers]
        out.append(",\n".join(conns) + " ]" if conns else " ]")
        out.append("}")
    out.append("]\n")
    return "\n".join(out) + "\n"


def _connection_json(view: _ResView, peer: _PeerView) -> str:
    pds = []
    for vnr, pv in peer.vols.items():
        size_sectors = view.vols[vnr]["size_kib"] * 2
        oos = int(pv["oos"]) * 2
        sync = pv["sync"]
        pct = 0.0 if size_sectors == 0 else 100 * (1 - oos / size_sectors)
        st = view.vols[vnr]["stats"]
        lines = [
            "        {",
            f'          "volume": {vnr},',
            f'          "replication-state": "{pv["repl"]}",',
            f'          "peer-disk-state": "{pv["peer_disk"]}",',
            '          "peer-client": false,',
            '          "resync-suspended": "no",',
            f'          "received": {st["nr"]},',
            f'          "sent": {st["ns"]},',
            f'          "out-of-sync": {pv["oos"]},',
            '          "pending": 0,',
            '          "unacked": 0,',
            f'          "has-sync-details": {"true" if sync else "false"},',
            '          "has-online-verify-details": false,',
            f'          "percent-in-sync": {pct:.2f}{"," if sync else ""}',
        ]
        if sync:
            left, total, elapsed, rate = sync
            rs_total = total * 2
            to_go = left * 2
            dt_start = int(elapsed * 1000)
            dt0 = dt1 = max(1, min(dt_start, 3000))
            db0 = db1 = min(rs_total - to_go, rate * 2 * dt0 // 1000)
            eta = 987654321.0 if db1 <= 0 else dt1 * 1e-3 * to_go / db1
            db = rs_total - to_go
            lines += [
                f'          "rs-total": {rs_total},',
                f'          "rs-dt-start-ms": {dt_start},',
                '          "rs-paused-ms": 0,',
                f'          "rs-dt0-ms": {dt0},',
                f'          "rs-db0-sectors": {db0},',
                f'          "rs-dt1-ms": {dt1},',
                f'          "rs-db1-sectors": {db1},',
                '          "rs-failed": 0,',
                '          "rs-same-csum": 0,',
                f'          "want": {rate / 1024.0:.2f},',
                f'          "db0/dt0 [MiB/s]": {db0 / dt0 * 1000.0 / 2048.0:.2f},',
                f'          "db1/dt1 [MiB/s]": {db1 / dt1 * 1000.0 / 2048.0:.2f},',
                f'          "estimated-seconds-to-finish": {eta:.0f},',
                f'          "db/dt [MiB/s]": {db / (dt_start or 1) * 1000.0 / 2048.0:.2f},',
                f'          "percent-resync-done": {0 if rs_total == 0 else 100.0 * db / rs_total:.2f}',
            ]
        lines.append("        }")
        pds.append("\n".join(lines))
    head = (
        "    {\n"
        f'      "peer-node-id": {peer.node_id},\n'
        f'      "name": "{peer.name}",\n'
        f'      "connection-state": "{peer.cstate}", \n'
        '      "congested": false,\n'
        f'      "peer-role": "{peer.role}",\n'
        '      "ap-in-flight": 0,\n'
        '      "rs-in-flight": 0,\n'
        '      "peer_devices": ['
    )
    body = ",\n".join(pds) + " ]" if pds else " ]"
    return head + "\n" + body + "\n    }" if pds else head + "\n" + body + "\n    }"


# --------------------------------------------------------------------------------------------------------------
# `drbdsetup events2 --now` (v9/drbdsetup_events2.c 9.22; 8.4 worlds: v84/drbdsetup.c print_notifications)


def _events2_now(views: list[_ResView], *, v9: bool, stats: bool, timestamps: bool, now: float) -> str:
    prefix = ""
    if timestamps:
        lt = time.localtime(now)
        off = lt.tm_gmtoff
        prefix = (
            time.strftime("%Y-%m-%dT%H:%M:%S", lt)
            + f".{int((now % 1) * 1e6):06d}"
            + f"{'+' if off >= 0 else '-'}{abs(off) // 3600:02d}:{abs(off) // 60 % 60:02d} "
        )
    lines: list[str] = []
    for view in views:
        r = f"exists resource name:{view.name} role:{view.role} suspended:no"
        if v9:
            r += " force-io-failures:no"
        if stats:
            r += " write-ordering:flush"
        if v9:
            may = (
                view.role == "Secondary"
                and all(v["disk"] == "UpToDate" for v in view.vols.values())
                and not any(p.role == "Primary" for p in view.peers)
            )
            score = 10101 if all(v["disk"] == "UpToDate" for v in view.vols.values()) else 0
            r += f" may_promote:{'yes' if may else 'no'} promotion_score:{score}"
        lines.append(r)
        for peer in view.peers:
            ident = f" peer-node-id:{peer.node_id} conn-name:{peer.name}" if v9 else " peer-node-id:0 conn-name:peer"
            c = f"exists connection name:{view.name}{ident} connection:{peer.cstate} role:{peer.role}"
            if stats:
                c += " congested:no" + (" ap-in-flight:0 rs-in-flight:0" if v9 else "")
            lines.append(c)
        if v9:
            for peer in view.peers:
                lines.append(
                    f"exists path name:{view.name} peer-node-id:{peer.node_id} conn-name:{peer.name} "
                    f"local:{peer.my_addr} peer:{peer.peer_addr} established:"
                    f"{'yes' if peer.cstate == 'Connected' else 'no'}"
                )
        for vnr, vol in view.vols.items():
            d = f"exists device name:{view.name} volume:{vnr} minor:{vol['minor']}"
            if v9:
                d += f" backing_dev:{vol['backing'] or 'none'} disk:{vol['disk']} client:no quorum:yes"
            else:
                d += f" disk:{vol['disk']}"
            if stats:
                st = vol["stats"]
                d += (
                    f" size:{vol['size_kib']} read:{st['dr']} written:{st['dw']} al-writes:{st['al']}"
                    f" bm-writes:{st['bm']} upper-pending:0 lower-pending:0 al-suspended:no blocked:no"
                )
            lines.append(d)
        for peer in view.peers:
            ident = f" peer-node-id:{peer.node_id} conn-name:{peer.name}" if v9 else " peer-node-id:0 conn-name:peer"
            for vnr, pv in peer.vols.items():
                repl = str(pv["repl"])
                if not v9 and repl == "Established":
                    repl = "Established"
                p = (
                    f"exists peer-device name:{view.name}{ident} volume:{vnr} replication:{repl}"
                    f" peer-disk:{pv['peer_disk']}"
                )
                if v9:
                    p += " peer-client:no"
                p += " resync-suspended:no"
                sync = pv["sync"]
                if v9 and sync is not None:
                    left, total, _e, _r = sync
                    p += f" done:{100.0 * (total - left) / max(1, total):.2f}"
                if stats:
                    st = view.vols[vnr]["stats"]
                    p += f" received:{st['nr']} sent:{st['ns']} out-of-sync:{pv['oos']} pending:0 unacked:0"
                lines.append(p)
    lines.append("exists -")
    return "".join(prefix + line + "\n" for line in lines)


# --------------------------------------------------------------------------------------------------------------
# `drbdsetup show` (v84/drbdsetup.c show_scmd; v9/drbdsetup.c show_resource_list)

_NET_DEFAULTS = {
    "protocol": "C",
    "after-sb-0pri": "disconnect",
    "after-sb-1pri": "disconnect",
    "after-sb-2pri": "disconnect",
    "allow-two-primaries": "no",
}
_DISK_DEFAULTS = {"on-io-error": "detach", "fencing": "dont-care"}
_QUOTED = frozenset({"cram-hmac-alg", "shared-secret", "verify-alg", "csums-alg", "data-integrity-alg"})


def _show_opts(opts: list[list[str]] | list[tuple[str, str]], defaults: dict[str, str], indent: str) -> list[str]:
    out = []
    for key, value in opts:
        if key.startswith("_") or defaults.get(key) == value:
            continue
        shown = f'"{value}"' if key in _QUOTED else value
        out.append(f"{indent}{key:<16}\t{shown};")
    return out


def _show_text(state: State, node: str, views: list[_ResView], *, v9: bool) -> str:
    out: list[str] = []
    for index, view in enumerate(views):
        kr = sim.kernel_res(state, node, view.name)
        assert kr is not None
        if v9:
            out.append(f"resource {view.name} {{")  # 9.22 does not quote the name yet
            out.append("    options {")
            out.append("    }")
            out.append("    _this_host {")
            out.append(f"        node-id\t\t\t{view.node_id};")
        else:
            if index:
                out.append("")
            out.append(f"resource {view.name} {{")
            out.append("    options {")
            out.append("    }")
            peer = next(iter(sorted(kr["peers"])), None)
            pe = kr["peers"].get(peer) if peer else None
            if pe is not None and pe.get("net") is not None:
                out.append("    net {")
                out.extend(_show_opts(pe["net"], _NET_DEFAULTS, "        "))
                out.append("    }")
                out.append("    _remote_host {")
                out.append(f"        address\t\t\t{_addr_show(pe['peer_addr'])};")
                out.append("    }")
            out.append("    _this_host {")
            if pe is not None and pe.get("net") is not None:
                out.append(f"        address\t\t\t{_addr_show(pe['my_addr'])};")
        for vnr, vol in view.vols.items():
            kv = kr["vols"][vnr]
            out.append(f"        volume {vnr} {{")
            out.append(f"            device\t\t\tminor {vol['minor']};")
            if kv["attached"]:
                out.append(f'            disk\t\t\t"{kv["backing"]}";')
                if kv["idx"] == "internal":
                    out.append("            meta-disk\t\t\tinternal;")
                elif kv["idx"] in ("flexible", None):
                    out.append(f'            meta-disk\t\t\t"{kv["meta"]}";')
                else:
                    out.append(f'            meta-disk\t\t\t"{kv["meta"]}" [ {kv["idx"]} ];')
                opts = _show_opts(kv["disk_opts"], _DISK_DEFAULTS, "                ")
                if opts:
                    out.append("            disk {")
                    out.extend(opts)
                    out.append("            }")
            out.append("        }")
        out.append("    }")
        if v9:
            for peer_name in sorted(kr["peers"]):
                pe = kr["peers"][peer_name]
                if pe.get("net") is None:
                    continue
                out.append("    connection {")
                out.append(f"        _peer_node_id {pe.get('node_id', 1)};")
                out.append("        path {")
                out.append(f"            _this_host {_addr_show(pe['my_addr'])};")
                out.append(f"            _remote_host {_addr_show(pe['peer_addr'])};")
                out.append("        }")
                out.append("        net {")
                opts = _show_opts(pe["net"], _NET_DEFAULTS, "            ")
                out.extend(opts)
                out.append(f'            _name           \t"{peer_name}";')
                out.append("        }")
                out.append("    }")
            out.append("}")
            out.append("")
        else:
            out.append("}")
    if v9 and not views:
        out.append("# No currently configured DRBD found.")
    return "\n".join(out) + ("\n" if out else "")


def _addr_show(addr: str) -> str:
    """`ipv4:IP:PORT` -> `ipv4 IP:PORT` as drbdsetup show prints addresses."""
    family, _, rest = addr.partition(":")
    return f"{family} {rest}" if rest else addr


# --------------------------------------------------------------------------------------------------------------
# sh-status (v84/drbdsetup.c sh_status_scmd, v84/drbdadm_main.c sh_status)


def _sh_status_minor(state: State, node: str, minor: int, now: float) -> str:
    owner = sim.minor_owner(state, node, minor)
    out = [f"_minor={minor}"]
    if owner is None:
        out += ["_res_name=", "_volume=-1", "_known=NA # not available or not yet created", ""]
        out += [
            "_cstate=Unconfigured",
            "_role=",
            "_peer=",
            "_disk=",
            "_pdsk=",
            "_flags_susp=",
            "_flags_aftr_isp=",
            "_flags_peer_isp=",
            "_flags_user_isp=",
            "_resynced_percent=",
        ]
        return "\n".join(out) + "\n\n_sh_status_process\n\n\n"
    res, vnr = owner
    kr = sim.kernel_res(state, node, res)
    assert kr is not None
    out += [f"_res_name={shell_escape(res)}", f"_volume={vnr}"]
    cs = sim.cstate_84(state, node, res, vnr)
    disk = sim.disk_state(state, node, res, vnr)
    if cs == "StandAlone" and disk == "Diskless" and kr["role"] != "Primary":
        out += ["_known=Unconfigured", ""]
        out += [
            "_cstate=Unconfigured",
            "_role=",
            "_peer=",
            "_disk=",
            "_pdsk=",
            "_flags_susp=",
            "_flags_aftr_isp=",
            "_flags_peer_isp=",
            "_flags_user_isp=",
            "_resynced_percent=",
        ]
    else:
        peer = next(iter(sorted(kr["peers"])), None)
        prole = sim.peer_role(state, node, res, peer) if peer else "Unknown"
        pdisk = sim.peer_disk_state(state, node, res, peer, vnr) if peer else "DUnknown"
        out += [
            "_known=Configured",
            "",
            f"_cstate={cs}",
            f"_role={kr['role']}",
            f"_peer={prole}",
            f"_disk={disk}",
            f"_pdsk={pdisk}",
            "",
            "_flags_susp=",
            "_flags_aftr_isp=",
            "_flags_peer_isp=",
            "_flags_user_isp=",
            "",
        ]
        sync = _sync_of(state, res, node, vnr)
        pct = ""
        if sync is not None:
            left, total, _elapsed = sim.sync_progress(state, sync[0], now)
            left_b, total_b = (left // 4) >> 10, 1 + ((total // 4) >> 10)
            synced = 1000 - left_b * 1000 // total_b
            pct = f"{synced // 10}.{synced % 10}"
        out.append(f"_resynced_percent={pct}")
    return "\n".join(out) + "\n\n_sh_status_process\n\n\n"


# --------------------------------------------------------------------------------------------------------------
# drbdsetup


@dataclass
class _Io:
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def stdout(self, text: str) -> None:
        self.out.append(text)

    def stderr(self, text: str) -> None:
        self.err.append(text if text.endswith("\n") else text + "\n")


@dataclass
class _Ctx:
    state: State
    node: str
    now: float
    wait: dict[str, Any] | None = None

    @property
    def v9(self) -> bool:
        return sim.drbd_version(self.state) == "9"


def _split_opts(args: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Positional arguments and `--opt[=value]` options (value "yes" for flags), in order."""
    pos: list[str] = []
    opts: list[tuple[str, str]] = []
    for arg in args:
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            opts.append((name, value if eq else "yes"))
        else:
            pos.append(arg)
    return pos, opts


def _minor_arg(text: str) -> int | None:
    if text.startswith("/dev/drbd") and text[9:].isdigit():
        return int(text[9:])
    if text.startswith("minor-") and text[6:].isdigit():
        return int(text[6:])
    return int(text) if text.isdigit() else None


def _views(ctx: _Ctx, name: str) -> list[_ResView]:
    names = sim.node_resources(ctx.state, ctx.node)
    if name != "all":
        names = [n for n in names if n == name]
    return [_res_view(ctx.state, ctx.node, n, ctx.now) for n in names]


def run_drbdsetup(ctx: _Ctx, argv: Sequence[str], io: _Io) -> int:
    """One drbdsetup invocation (argv without the program name) against the world; returns the exit code."""
    if not argv:
        io.stderr("USAGE: drbdsetup command {arguments} [options]")
        return 20
    cmd, rest = argv[0], list(argv[1:])
    pos, opts = _split_opts(rest)
    handler = (_SETUP9 if ctx.v9 else _SETUP84).get(cmd)
    if handler is None:
        io.stderr(f"drbdsetup: unknown command '{cmd}'" if ctx.v9 else f"{cmd}: unknown command")
        return 20
    objname = pos[0] if pos else "all"
    try:
        return handler(ctx, pos, opts, io)
    except DrbdError as exc:
        return _report(objname, exc, io)


def _report(objname: str, exc: DrbdError, io: _Io) -> int:
    lines: list[str] = []
    rc = _config_error(objname, exc, lines)
    io.err.extend(line + "\n" for line in lines)  # a message ending in "\n" leaves a blank line, as in C
    return rc


_Handler = Callable[[_Ctx, list[str], list[tuple[str, str]], _Io], int]


def _need(pos: list[str], n: int, io: _Io, what: str) -> bool:
    if len(pos) < n:
        io.stderr(f"Missing argument '{what}'")
        return False
    return True


def _s_minor_res(ctx: _Ctx, pos: list[str]) -> tuple[int, str, str]:
    minor = _minor_arg(pos[0]) if pos else None
    owner = sim.minor_owner(ctx.state, ctx.node, minor) if minor is not None else None
    if minor is None or owner is None:
        raise DrbdError(sim.ERR_MINOR_INVALID, "unknown minor")
    return minor, owner[0], owner[1]


def _s_new_resource(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 1, io, "resource"):
        return 20
    node_id = int(pos[1]) if ctx.v9 and len(pos) > 1 and pos[1].isdigit() else 0
    sim.new_resource(ctx.state, ctx.node, pos[0], node_id=node_id, now=ctx.now)
    return 0


def _s_new_minor(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 3, io, "volume"):
        return 20
    minor = _minor_arg(pos[1])
    if minor is None:
        io.stderr(f"Cannot determine minor device number of device '{pos[1]}'")
        return 20
    if sim.kernel_res(ctx.state, ctx.node, pos[0]) is None:
        raise DrbdError(sim.ERR_RES_NOT_KNOWN, "unknown resource")
    sim.new_minor(ctx.state, ctx.node, pos[0], minor, int(pos[2]))
    return 0


def _s_attach(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 4, io, "meta_data_index"):
        return 20
    minor = _minor_arg(pos[0])
    if minor is None:
        raise DrbdError(sim.ERR_MINOR_INVALID, "unknown minor")
    sim.attach(ctx.state, ctx.node, minor, pos[1], pos[2], idx=pos[3], disk_opts=[list(o) for o in opts], now=ctx.now)
    return 0


def _s_detach(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    minor, _res, _vnr = _s_minor_res(ctx, pos)
    sim.detach(ctx.state, ctx.node, minor, now=ctx.now)
    return 0


def _peer_for(ctx: _Ctx, res: str) -> str | None:
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    if kr is None:
        return None
    return next(iter(sorted(kr["peers"])), None)


def _node_for_address(ctx: _Ctx, addr: str) -> str:
    """The world node owning `ipv4:IP:PORT` (by the address its `on` section gives), else the address."""
    ip = addr.split(":")[1] if addr.count(":") >= 2 else addr
    for name, ns in ctx.state.get("nodes", {}).items():
        if ns.get("address") == ip:
            return str(name)
    return str(sim.settings(ctx.state).get("addr_nodes", {}).get(ip, ip))


def _s_connect84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 3, io, "remote_addr"):
        return 20
    res, my_addr, peer_addr = pos[0], pos[1], pos[2]
    discard = any(k == "discard-my-data" for k, _ in opts)
    net = [[k, v] for k, v in opts if k not in ("discard-my-data", "tentative", "dry-run")]
    peer = _node_for_address(ctx, peer_addr)
    sim.connect(
        ctx.state, ctx.node, res, peer, net, my_addr=my_addr, peer_addr=peer_addr, discard_my_data=discard, now=ctx.now
    )
    return 0


def _s_disconnect84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 2, io, "remote_addr"):
        return 20
    res = _res_by_addrs(ctx, pos[0], pos[1])
    if res is None:
        return 0  # DRBD 8.4: disconnecting an unknown connection is not an error
    sim.disconnect(ctx.state, ctx.node, res, now=ctx.now)
    return 0


def _res_by_addrs(ctx: _Ctx, my_addr: str, peer_addr: str) -> str | None:
    for res in sim.node_resources(ctx.state, ctx.node):
        kr = sim.kernel_res(ctx.state, ctx.node, res)
        assert kr is not None
        for pe in kr["peers"].values():
            if pe.get("my_addr") == my_addr and pe.get("peer_addr") == peer_addr:
                return res
    return None


def _s_net_options84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 2, io, "remote_addr"):
        return 20
    res = _res_by_addrs(ctx, pos[0], pos[1])
    if res is None:
        raise DrbdError(sim.ERR_INVALID_REQUEST, "net conf missing, try connect")
    sim.net_options(ctx.state, ctx.node, res, None, [[k, v] for k, v in opts if k != "set-defaults"])
    return 0


def _force(opts: list[tuple[str, str]]) -> bool:
    return any(k in ("force", "overwrite-data-of-peer") and v != "no" for k, v in opts)


def _s_primary84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, _vnr = _s_minor_res(ctx, pos)
    sim.primary(ctx.state, ctx.node, res, force=_force(opts), now=ctx.now)
    return 0


def _s_secondary84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, _vnr = _s_minor_res(ctx, pos)
    sim.secondary(ctx.state, ctx.node, res, now=ctx.now)
    return 0


def _s_down(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 1, io, "resource"):
        return 20
    names = sim.node_resources(ctx.state, ctx.node) if pos[0] == "all" else [pos[0]]
    for name in names:
        sim.down(ctx.state, ctx.node, name, now=ctx.now)
    return 0


def _s_role84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, vnr = _s_minor_res(ctx, pos)
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    assert kr is not None
    if _unconfigured84(ctx, res, vnr):
        io.stdout("Unconfigured\n")
    else:
        peer = _peer_for(ctx, res)
        prole = sim.peer_role(ctx.state, ctx.node, res, peer) if peer else "Unknown"
        io.stdout(f"{kr['role']}/{prole}\n")
    return 0


def _unconfigured84(ctx: _Ctx, res: str, vnr: str) -> bool:
    """StandAlone, Diskless and Secondary: drbdsetup prints `Unconfigured` (v84/drbdsetup.c role_scmd/cstate_scmd;
    the kernel tears a device down only when nothing holds it, and a Primary is held). As sh-status does."""
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    return (
        sim.cstate_84(ctx.state, ctx.node, res, vnr) == "StandAlone"
        and sim.disk_state(ctx.state, ctx.node, res, vnr) == "Diskless"
        and (kr is None or kr["role"] != "Primary")
    )


def _s_cstate84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, vnr = _s_minor_res(ctx, pos)
    io.stdout(
        ("Unconfigured" if _unconfigured84(ctx, res, vnr) else sim.cstate_84(ctx.state, ctx.node, res, vnr)) + "\n"
    )
    return 0


def _s_dstate84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, vnr = _s_minor_res(ctx, pos)
    if _unconfigured84(ctx, res, vnr):
        io.stdout("Unconfigured\n")
        return 0
    peer = _peer_for(ctx, res)
    pdisk = sim.peer_disk_state(ctx.state, ctx.node, res, peer, vnr) if peer else "DUnknown"
    io.stdout(f"{sim.disk_state(ctx.state, ctx.node, res, vnr)}/{pdisk}\n")
    return 0


def _s_sh_status84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    target = pos[0] if pos else "all"
    minor = _minor_arg(target)
    if minor is not None:
        io.stdout(_sh_status_minor(ctx.state, ctx.node, minor, ctx.now))
        return 0
    for res in sim.node_resources(ctx.state, ctx.node):
        if target not in ("all", res):
            continue
        kr = sim.kernel_res(ctx.state, ctx.node, res)
        assert kr is not None
        for kv in sorted(kr["vols"].values(), key=lambda v: int(v["minor"])):
            io.stdout(_sh_status_minor(ctx.state, ctx.node, int(kv["minor"]), ctx.now))
    return 0


def _status_opts(opts: list[tuple[str, str]], io: _Io, *, v9: bool) -> tuple[bool, bool, bool] | None:
    verbose = stats = as_json = False
    for key, _value in opts:
        if key == "verbose":
            verbose = True
        elif key == "statistics":
            stats = True
        elif key == "json" and v9:
            as_json = True
        elif key == "color":
            continue
        else:
            io.stderr(f"drbdsetup: unrecognized option '--{key}'")
            return None
    return verbose, stats, as_json


def _s_status(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    flags: list[tuple[str, str]] = list(opts)
    for p in list(pos):
        if p in ("-v", "-s", "-j"):
            flags.append(({"-v": "verbose", "-s": "statistics", "-j": "json"}[p], "yes"))
            pos.remove(p)
    parsed = _status_opts(flags, io, v9=ctx.v9)
    if parsed is None:
        return 20
    verbose, stats, as_json = parsed
    name = pos[0] if pos else "all"
    views = _views(ctx, name)
    if as_json:
        io.stdout(_status_json(views))
    else:
        if ctx.v9 and not sim.node_resources(ctx.state, ctx.node):
            io.stdout("# No currently configured DRBD found.\n")
        io.stdout(_status_text(views, v9=ctx.v9, verbose=verbose, stats=stats))
    if not views and name != "all":
        io.stderr(f"{name}: No such resource")
        return 10
    return 0


def _s_events2(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    keys = {k for k, _ in opts}
    for p in pos:
        if p.startswith("-") and not p.startswith("--"):
            keys.update({"n": "now", "s": "statistics", "T": "timestamps"}.get(c, c) for c in p[1:])
    pos = [p for p in pos if not p.startswith("-")]
    if "now" not in keys:
        io.stderr("drbdsetup events2: only --now is simulated (a streaming events2 would never end)")
        return 20
    name = pos[0] if pos else "all"
    views = _views(ctx, name)
    io.stdout(_events2_now(views, v9=ctx.v9, stats="statistics" in keys, timestamps="timestamps" in keys, now=ctx.now))
    return 0


def _s_show(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    name = pos[0] if pos else "all"
    minor = _minor_arg(name)
    if minor is not None:
        owner = sim.minor_owner(ctx.state, ctx.node, minor)
        if owner is None:
            raise DrbdError(sim.ERR_MINOR_INVALID, "unknown minor")
        name = owner[0]
    io.stdout(_show_text(ctx.state, ctx.node, _views(ctx, name), v9=ctx.v9))
    return 0


def _s_outdate(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, vnr = _s_minor_res(ctx, pos)
    sim.outdate(ctx.state, ctx.node, res, vnr, now=ctx.now)
    return 0


def _s_invalidate(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, vnr = _s_minor_res(ctx, pos)
    sim.invalidate(ctx.state, ctx.node, res, vnr, now=ctx.now)
    return 0


def _s_noop_minor(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _s_minor_res(ctx, pos)
    return 0


def _s_wait_connect84(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, _vnr = _s_minor_res(ctx, pos)
    return _wait_marker(ctx, res, opts)


def _wait_marker(ctx: _Ctx, res: str, opts: list[tuple[str, str]]) -> int:
    """Waiting happens outside the world lock: record what to wait for; drbdsetup_main polls afterwards."""
    timeout = 0.0
    for key, value in opts:
        if key in ("wfc-timeout", "degr-wfc-timeout") and value.isdigit():
            timeout = float(value) if key == "wfc-timeout" or timeout == 0 else min(timeout, float(value))
    ctx.wait = {"res": res, "timeout": timeout}
    return 0


def _s_del_minor(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    _minor, res, vnr = _s_minor_res(ctx, pos)
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    assert kr is not None
    if kr["vols"][vnr]["attached"]:
        raise DrbdError(160)
    del kr["vols"][vnr]
    return 0


def _s_del_resource(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 1, io, "resource"):
        return 20
    kr = sim.kernel_res(ctx.state, ctx.node, pos[0])
    if kr is None:
        return 0
    if kr["vols"]:
        raise DrbdError(159)
    sim.down(ctx.state, ctx.node, pos[0], now=ctx.now)
    return 0


_SETUP84: dict[str, _Handler] = {
    "new-resource": _s_new_resource,
    "new-minor": _s_new_minor,
    "attach": _s_attach,
    "detach": _s_detach,
    "connect": _s_connect84,
    "disconnect": _s_disconnect84,
    "net-options": _s_net_options84,
    "primary": _s_primary84,
    "secondary": _s_secondary84,
    "down": _s_down,
    "role": _s_role84,
    "state": _s_role84,
    "cstate": _s_cstate84,
    "dstate": _s_dstate84,
    "sh-status": _s_sh_status84,
    "status": _s_status,
    "events2": _s_events2,
    "show": _s_show,
    "outdate": _s_outdate,
    "invalidate": _s_invalidate,
    "resize": _s_noop_minor,
    "check-resize": _s_noop_minor,
    "disk-options": _s_noop_minor,
    "wait-connect": _s_wait_connect84,
    "wait-sync": _s_wait_connect84,
    "del-minor": _s_del_minor,
    "del-resource": _s_del_resource,
}


# DRBD 9 drbdsetup: resources by name, connections by peer node id


def _peer_by_id(ctx: _Ctx, res: str, peer_id: str) -> str | None:
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    if kr is None:
        return None
    for name, pe in kr["peers"].items():
        if str(pe.get("node_id")) == peer_id:
            return str(name)
    return None


def _connection(
    ctx: _Ctx, pos: list[str], io: _Io, *, count: int = 2, missing: str = "peer_node_id"
) -> tuple[dict[str, Any], str] | int:
    """The kernel resource and peer of `RES PEER_NODE_ID ...`, or the exit code once the error is printed."""
    if not _need(pos, count, io, missing):
        return 20
    peer = _peer_by_id(ctx, pos[0], pos[1])
    kr = sim.kernel_res(ctx.state, ctx.node, pos[0])
    if peer is None or kr is None:
        io.stderr(f"{pos[0]}: No such connection")
        return 10
    return kr, peer


def _s9_new_peer(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    if not _need(pos, 2, io, "peer_node_id"):
        return 20
    res, peer_id = pos[0], pos[1]
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    if kr is None:
        raise DrbdError(sim.ERR_RES_NOT_KNOWN, "unknown resource")
    name = dict(opts).get("_name", f"peer-{peer_id}")
    if _peer_by_id(ctx, res, peer_id) is not None:
        raise DrbdError(sim.ERR_NET_CONFIGURED)
    kr["peers"][name] = {
        "net": None,
        "saved_net": [[k, v] for k, v in opts if k != "_name"],
        "established": False,
        "repl": {},
        "my_addr": "",
        "peer_addr": "",
        "node_id": int(peer_id),
        "name": name,
        "discard_my_data": False,
    }
    return 0


def _s9_new_path(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    found = _connection(ctx, pos, io, count=4, missing="remote_addr")
    if isinstance(found, int):
        return found
    kr, peer = found
    kr["peers"][peer].update(my_addr=pos[2], peer_addr=pos[3])
    return 0


def _s9_connect(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    found = _connection(ctx, pos, io)
    if isinstance(found, int):
        return found
    kr, peer = found
    pe = kr["peers"][peer]
    if pe.get("net") is not None:
        raise DrbdError(sim.ERR_NET_CONFIGURED)
    discard = any(k == "discard-my-data" for k, _ in opts)
    if discard and kr["role"] == "Primary":
        raise DrbdError(123)
    pe["net"] = pe.get("saved_net") or []
    pe["discard_my_data"] = discard
    sim.settle(ctx.state, ctx.now)
    return 0


def _s9_disconnect(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    found = _connection(ctx, pos, io)
    if isinstance(found, int):
        return found
    kr, peer = found
    saved = kr["peers"][peer].get("net")
    sim.disconnect(ctx.state, ctx.node, pos[0], peer, now=ctx.now)
    if saved is not None:
        kr["peers"][peer]["saved_net"] = saved
    return 0


def _s9_del_peer(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    rc = _s9_disconnect(ctx, pos, opts, io)
    if rc == 0:
        kr = sim.kernel_res(ctx.state, ctx.node, pos[0])
        peer = _peer_by_id(ctx, pos[0], pos[1])
        if kr is not None and peer is not None:
            del kr["peers"][peer]
    return rc


def _s9_net_options(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    found = _connection(ctx, pos, io)
    if isinstance(found, int):
        return found
    _kr, peer = found
    sim.net_options(
        ctx.state, ctx.node, pos[0], peer, [[k, v] for k, v in opts if not k.startswith("_") and k != "set-defaults"]
    )
    return 0


def _s9_res(ctx: _Ctx, pos: list[str]) -> str:
    if not pos or sim.kernel_res(ctx.state, ctx.node, pos[0]) is None:
        raise DrbdError(sim.ERR_RES_NOT_KNOWN)
    return pos[0]


def _s9_primary(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    sim.primary(ctx.state, ctx.node, _s9_res(ctx, pos), force=_force(opts), now=ctx.now)
    return 0


def _s9_secondary(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    sim.secondary(ctx.state, ctx.node, _s9_res(ctx, pos), now=ctx.now)
    return 0


def _s9_role(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    kr = sim.kernel_res(ctx.state, ctx.node, pos[0]) if pos else None
    if kr is None:
        io.stderr(f"{pos[0] if pos else 'all'}: Unknown resource")
        return 10
    io.stdout(f"{kr['role']}\n")
    return 0


def _s9_cstate(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    peer = _peer_by_id(ctx, pos[0], pos[1]) if len(pos) >= 2 else None
    if peer is None:
        io.stderr(f"{pos[0] if pos else 'all'}: No such connection")
        return 10
    io.stdout(sim.conn_state(ctx.state, ctx.node, pos[0], peer) + "\n")
    return 0


def _s9_dstate(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    minor = _minor_arg(pos[0]) if pos else None
    owner = sim.minor_owner(ctx.state, ctx.node, minor) if minor is not None else None
    if owner is None:
        io.stderr(f"{pos[0] if pos else 'all'}: No such device")
        return 10
    res, vnr = owner
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    assert kr is not None
    text = sim.disk_state(ctx.state, ctx.node, res, vnr)
    for peer in sorted(kr["peers"], key=lambda p: kr["peers"][p].get("node_id", 0)):
        text += "/" + sim.peer_disk_state(ctx.state, ctx.node, res, peer, vnr)
    io.stdout(text + "\n")
    return 0


def _s9_outdate(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    """drbdadm 9.22 runs `drbdsetup outdate RES VNR` (seen with `drbdadm -d outdate`); a minor works too."""
    if len(pos) >= 2 and not pos[0].isdigit():
        kr = sim.kernel_res(ctx.state, ctx.node, pos[0])
        if kr is None or pos[1] not in kr["vols"]:
            raise DrbdError(sim.ERR_MINOR_INVALID, "unknown minor")
        sim.outdate(ctx.state, ctx.node, pos[0], pos[1], now=ctx.now)
        return 0
    return _s_outdate(ctx, pos, opts, io)


def _s9_wait_connect_resource(ctx: _Ctx, pos: list[str], opts: list[tuple[str, str]], io: _Io) -> int:
    return _wait_marker(ctx, _s9_res(ctx, pos), opts)


_SETUP9: dict[str, _Handler] = {
    "new-resource": _s_new_resource,
    "new-minor": _s_new_minor,
    "new-peer": _s9_new_peer,
    "new-path": _s9_new_path,
    "attach": _s_attach,
    "detach": _s_detach,
    "connect": _s9_connect,
    "disconnect": _s9_disconnect,
    "del-peer": _s9_del_peer,
    "net-options": _s9_net_options,
    "primary": _s9_primary,
    "secondary": _s9_secondary,
    "down": _s_down,
    "role": _s9_role,
    "cstate": _s9_cstate,
    "dstate": _s9_dstate,
    "status": _s_status,
    "events2": _s_events2,
    "show": _s_show,
    "outdate": _s9_outdate,
    "invalidate": _s_invalidate,
    "resize": _s_noop_minor,
    "check-resize": _s_noop_minor,
    "disk-options": _s_noop_minor,
    "wait-connect-resource": _s9_wait_connect_resource,
    "wait-connect-connection": _s9_wait_connect_resource,
    "wait-connect-volume": _s9_wait_connect_resource,
    "del-minor": _s_del_minor,
    "del-resource": _s_del_resource,
}


# --------------------------------------------------------------------------------------------------------------
# drbdmeta (only what drbdadm calls: apply-al, dstate, outdate, create-md, invalidate, check-resize)


def _drbdmeta(ctx: _Ctx, res: str, vnr: str, argv: Sequence[str], io: _Io, *, stdin_answer: str = "") -> int:
    """`drbdmeta MINOR v08|v09 DEV IDX CMD`: works on the meta data of a volume that is not attached."""
    minor, cmd = argv[0], argv[-1]
    kr = sim.kernel_res(ctx.state, ctx.node, res)
    attached = kr is not None and vnr in kr["vols"] and kr["vols"][vnr]["attached"]
    md = sim.settings(ctx.state)["md"].get(ctx.node, {}).get(res, {}).get(vnr)
    if cmd in ("apply-al", "check-resize"):
        return 0
    if attached:
        io.stderr(f"Device '{minor}' is configured!")
        return 20
    if cmd == "create-md":
        if md is not None and "force" not in argv[:-1] and stdin_answer.strip() != "yes":
            io.stdout(
                f"You want me to create a {argv[1]} style flexible-size internal meta data block.\n"
                f"There appears to be a {argv[1]} flexible-size internal meta data block\n"
                f"already in place on {argv[2]}.\n"
                f"Do you really want to overwrite the existing {argv[1]} meta-data?\n"
                "[need to type 'yes' to confirm] \nOperation canceled.\n"
            )
            return 10
        sim.create_md(ctx.state, ctx.node, res, vnr, bdev=argv[2])
        io.stdout(
            "initializing activity log\ninitializing bitmap (32 KB) to all zero\nWriting meta data...\n"
            "New drbd meta data block successfully created.\n"
        )
        return 0
    if md is None:
        io.stderr("No valid meta data found")
        return 255
    if cmd == "dstate":
        disk = str(md["disk"])
        io.stdout(
            {
                "UpToDate": "Consistent/DUnknown",
                "Consistent": "Consistent/DUnknown",
                "Outdated": "Outdated/DUnknown",
            }.get(disk, "Inconsistent/DUnknown")
            + "\n"
        )
        return 0
    if cmd == "outdate":
        if md["disk"] in ("UpToDate", "Consistent"):
            md["disk"] = "Outdated"
        return 0
    if cmd == "invalidate":
        md["disk"] = "Inconsistent"
        return 0
    io.stderr(f"drbdmeta {cmd}: not simulated")
    return 20


# --------------------------------------------------------------------------------------------------------------
# drbdadm


_GENERAL_LONG = {
    "stacked": "S",
    "dry-run": "d",
    "verbose": "v",
    "config-file": "c",
    "config-to-test": "t",
    "drbdsetup": "s",
    "drbdmeta": "m",
    "drbd-proxy-ctl": "p",
    "sh-varname": "n",
    "peer": "P",
    "version": "V",
    "setup-option": "W",
    "help": "h",
}
_WITH_VALUE = frozenset("ctsmpnPW")
_ADM_COMMANDS84 = frozenset(
    {
        "attach",
        "status",
        "disk-options",
        "detach",
        "connect",
        "net-options",
        "disconnect",
        "up",
        "resource-options",
        "down",
        "primary",
        "secondary",
        "invalidate",
        "invalidate-remote",
        "outdate",
        "resize",
        "verify",
        "pause-sync",
        "resume-sync",
        "adjust",
        "adjust-with-progress",
        "wait-connect",
        "wait-con-int",
        "role",
        "cstate",
        "dstate",
        "dump",
        "dump-xml",
        "create-md",
        "show-gi",
        "get-gi",
        "dump-md",
        "wipe-md",
        "apply-al",
        "hidden-commands",
        "sh-nop",
        "sh-resources",
        "sh-resource",
        "sh-mod-parms",
        "sh-dev",
        "sh-udev",
        "sh-minor",
        "sh-ll-dev",
        "sh-md-dev",
        "sh-md-idx",
        "sh-ip",
        "sh-lr-of",
        "sh-b-pri",
        "sh-status",
        "proxy-up",
        "proxy-down",
        "new-resource",
        "sh-new-minor",
        "new-minor",
        "before-resync-target",
        "after-resync-target",
        "before-resync-source",
        "pri-on-incon-degr",
        "pri-lost-after-sb",
        "fence-peer",
        "unfence-peer",
        "local-io-error",
        "pri-lost",
        "initial-split-brain",
        "split-brain",
        "out-of-sync",
        "suspend-io",
        "resume-io",
        "set-gi",
        "new-current-uuid",
        "check-resize",
        "state",
    }
)
_ADM_ONLY84 = frozenset({"sh-status", "sh-b-pri", "wait-con-int", "sh-new-minor", "sh-udev", "state"})
_ADM_COMMANDS9 = (_ADM_COMMANDS84 - _ADM_ONLY84) | {
    "forget-peer",
    "del-peer",
    "connect",
    "new-peer",
    "new-path",
    "wait-connect-resource",
    "wait-sync",
    "peer-device-options",
}
_NO_RES = frozenset({"sh-nop", "sh-resources", "sh-mod-parms", "sh-status", "hidden-commands"})
_HANDLERS = frozenset(
    {
        "before-resync-target",
        "after-resync-target",
        "before-resync-source",
        "pri-on-incon-degr",
        "pri-lost-after-sb",
        "fence-peer",
        "unfence-peer",
        "local-io-error",
        "pri-lost",
        "initial-split-brain",
        "split-brain",
        "out-of-sync",
    }
)
E_USAGE, E_CONFIG_INVALID, E_EXEC_ERROR = 1, 10, 20


class _Exit(Exception):
    def __init__(self, rc: int) -> None:
        super().__init__(rc)
        self.rc = rc


@dataclass
class _Adm:
    ctx: _Ctx
    io: _Io
    conf: Any  # drbdconf.DrbdConf
    dry_run: bool = False
    verbose: bool = False
    setup_opts: list[str] = field(default_factory=list)
    stdin_answer: str = ""

    @property
    def v9(self) -> bool:
        return self.ctx.v9

    @property
    def setup(self) -> str:
        return "drbdsetup" if self.v9 else "drbdsetup-84"

    @property
    def md_format(self) -> str:
        return "v09" if self.v9 else "v08"

    def echo(self, argv: Sequence[str]) -> None:
        if self.dry_run or self.verbose:
            self.io.stdout(" ".join(shell_escape(a) for a in argv) + "\n")

    def system(
        self,
        argv: list[str],
        *,
        res: str = "",
        vnr: str = "0",
        suppress: bool = False,
        capture: list[str] | None = None,
    ) -> int:
        """m_system_ex: echo under -d/-v, run, and report `Command '...' terminated with exit code N` (N >= 10)."""
        self.echo(argv)
        if self.dry_run:
            return 0
        sub = _Io()
        if argv[0] == "drbdmeta":
            rc = _drbdmeta(self.ctx, res, vnr, argv[1:], sub, stdin_answer=self.stdin_answer)
        else:
            rc = run_drbdsetup(self.ctx, argv[1:], sub)
        self.io.out.extend(sub.out)
        if capture is not None:
            capture.extend(sub.err)
            return rc
        if not suppress:
            self.io.err.extend(sub.err)
            if rc >= 10:
                self.io.stderr(f"Command '{' '.join(argv)}' terminated with exit code {rc}")
        if rc >= E_EXEC_ERROR and capture is None and not suppress and argv[0] != "drbdmeta":
            raise _Exit(rc)
        return rc

    def with_setup_opts(self, argv: list[str], allowed: frozenset[str] | None = None) -> list[str]:
        """Append the drbdsetup options given on drbdadm's command line (add_setup_options)."""
        extra = self.setup_opts
        if allowed is not None:
            extra = [o for o in extra if o[2:].partition("=")[0] in allowed]
        return argv + extra


def _opts_args(opts: Sequence[tuple[str, str]]) -> list[str]:
    return [f"--{k}={v}" for k, v in opts]


def _me(adm: _Adm, res: Any) -> Any:
    return res.host(adm.ctx.node)


def _addr(host: Any) -> str:
    if host.family == "ipv6":
        return f"ipv6:[{host.address}]:{host.port}"
    return f"{host.family}:{host.address}:{host.port}"


def _meta_args(vol: Any) -> tuple[str, str]:
    """(meta device, index) as drbdsetup attach takes them: internal meta data lives on the disk itself."""
    meta = vol.disk if vol.meta_disk == "internal" else vol.meta_disk
    return str(meta), str(vol.meta_index)


def _drbdmeta_argv(adm: _Adm, vol: Any, cmd: str) -> list[str]:
    """_admm_generic: `drbdmeta MINOR v08 DEV IDX CMD` (flex-internal/flex-external for `flexible`)."""
    dev = vol.disk if vol.meta_disk == "internal" else vol.meta_disk
    idx = vol.meta_index
    if idx == "flexible":
        idx = "flex-internal" if vol.meta_disk == "internal" else "flex-external"
    return ["drbdmeta", str(vol.minor), adm.md_format, str(dev), str(idx), cmd]


def _node_ids(res: Any) -> dict[str, int]:
    from xenha_sim.drbdconf import implicit_node_ids

    return implicit_node_ids(res)


def _conn_net9(res: Any, peer: Any) -> list[tuple[str, str]]:
    """A DRBD 9 implicit connection's net options: the resource's, prepended one by one, then `_name` first."""
    net: list[tuple[str, str]] = []
    for kv in res.net:
        net.insert(0, kv)
    return [("_name", peer.name), *net]


# --- per-command step generators -------------------------------------------------------------------------------


def _adm_new_resource(adm: _Adm, res: Any) -> int:
    argv = [adm.setup, "new-resource", res.name]
    if adm.v9:
        argv.append(str(_node_ids(res)[adm.ctx.node]))
    argv += _opts_args(res.options)
    return adm.system(adm.with_setup_opts(argv), res=res.name)


def _adm_new_minor(adm: _Adm, res: Any, vol: Any) -> int:
    return adm.system([adm.setup, "new-minor", res.name, str(vol.minor), str(vol.vnr)], res=res.name)


def _adm_attach(adm: _Adm, res: Any, vol: Any) -> int:
    rc = adm.system(_drbdmeta_argv(adm, vol, "apply-al"), res=res.name, vnr=str(vol.vnr))
    if rc:
        return rc
    meta, idx = _meta_args(vol)
    argv = [adm.setup, "attach", str(vol.minor), str(vol.disk), meta, idx, *_opts_args(vol.disk_options)]
    return adm.system(adm.with_setup_opts(argv), res=res.name, vnr=str(vol.vnr))


def _adm_connect84(adm: _Adm, res: Any) -> int:
    peers = res.peers(adm.ctx.node)
    if not peers:
        adm.io.stderr(f"resource {res.name}: cannot configure network without knowing my peer.")
        return 20
    argv = [adm.setup, "connect", res.name, _addr(_me(adm, res)), _addr(peers[0]), *_opts_args(res.net)]
    return adm.system(adm.with_setup_opts(argv), res=res.name)


def _adm_peers9(adm: _Adm, res: Any, only: str | None = None) -> list[Any]:
    return [p for p in res.peers(adm.ctx.node) if only is None or only in p.names]


def _adm_new_peer9(adm: _Adm, res: Any, peer: Any) -> int:
    pid = str(_node_ids(res)[peer.name])
    rc = adm.system([adm.setup, "new-peer", res.name, pid, *_opts_args(_conn_net9(res, peer))], res=res.name)
    if rc:
        return rc
    return adm.system([adm.setup, "new-path", res.name, pid, _addr(_me(adm, res)), _addr(peer)], res=res.name)


def _adm_connect9(adm: _Adm, res: Any, peer: Any) -> int:
    pid = str(_node_ids(res)[peer.name])
    return adm.system(adm.with_setup_opts([adm.setup, "connect", res.name, pid]), res=res.name)


def _run_stages(adm: _Adm, stages: list[list[Callable[[], int]]]) -> int:
    """run_deferred_cmds: stage by stage; a failing stage stops the rest and drbdadm returns 1."""
    for stage in stages:
        failed = 0
        for step in stage:
            failed = max(failed, step())
        if failed:
            return 1
    return 0


def _adm_up(
    adm: _Adm, res: Any, *, skip_net: bool = False, skip_disk: bool = False, only_peer: str | None = None
) -> int:
    me = _me(adm, res)
    prereq: list[Callable[[], int]] = [lambda: _adm_new_resource(adm, res)]
    prereq += [partial(_adm_new_minor, adm, res, vol) for vol in me.volumes]
    disk: list[Callable[[], int]] = []
    if not skip_disk:
        disk = [partial(_adm_attach, adm, res, vol) for vol in me.volumes if not vol.is_diskless]
    net: list[Callable[[], int]] = []
    if adm.v9:
        if not skip_net:
            prereq += [partial(_adm_new_peer9, adm, res, p) for p in _adm_peers9(adm, res, only_peer)]
            net = [partial(_adm_connect9, adm, res, p) for p in _adm_peers9(adm, res, only_peer)]
    elif not skip_net:
        net = [lambda: _adm_connect84(adm, res)]
    return _run_stages(adm, [prereq, disk, net])


def _adm_adjust(
    adm: _Adm, res: Any, *, skip_net: bool = False, skip_disk: bool = False, only_peer: str | None = None
) -> int:
    """drbdadm adjust: the commands that bring the kernel in line with the configuration."""
    kr = sim.kernel_res(adm.ctx.state, adm.ctx.node, res.name)
    if kr is None:
        return _adm_up(adm, res, skip_net=skip_net, skip_disk=skip_disk, only_peer=only_peer)
    me = _me(adm, res)
    prereq: list[Callable[[], int]] = []
    disk: list[Callable[[], int]] = []
    net: list[Callable[[], int]] = []
    for vol in me.volumes:
        kv = kr["vols"].get(str(vol.vnr))
        if kv is None:
            prereq.append(partial(_adm_new_minor, adm, res, vol))
        if not skip_disk and not vol.is_diskless and (kv is None or not kv["attached"]):
            disk.append(partial(_adm_attach, adm, res, vol))
    if not skip_net:
        if adm.v9:
            for peer in _adm_peers9(adm, res, only_peer):
                pe = kr["peers"].get(peer.name)
                if pe is None:
                    prereq.append(partial(_adm_new_peer9, adm, res, peer))
                    net.append(partial(_adm_connect9, adm, res, peer))
                elif pe.get("net") is None:
                    net.append(partial(_adm_connect9, adm, res, peer))
                else:
                    want = dict(_conn_net9(res, peer)[1:])
                    have = dict((k, v) for k, v in pe["net"])
                    changed = [(k, v) for k, v in want.items() if have.get(k) != v]
                    if changed:
                        pid = str(_node_ids(res)[peer.name])
                        argv = [adm.setup, "net-options", res.name, pid, *_opts_args(changed)]
                        net.append(partial(adm.system, argv, res=res.name))
        else:
            peers = res.peers(adm.ctx.node)
            pe = kr["peers"].get(peers[0].name) if peers else None
            if peers and (pe is None or pe.get("net") is None):
                net.append(lambda: _adm_connect84(adm, res))
            elif peers and pe is not None:
                have = dict((k, v) for k, v in pe["net"])
                changed = [(k, v) for k, v in res.net if have.get(k) != v]
                if changed:
                    net.append(
                        lambda: adm.system(
                            [adm.setup, "net-options", _addr(me), _addr(peers[0]), *_opts_args(changed)], res=res.name
                        )
                    )
    return _run_stages(adm, [prereq, disk, net])


def _per_volume(adm: _Adm, res: Any, fn: Callable[[Any], int]) -> int:
    """call_cmd with iterate_volumes: stop at the first volume that fails."""
    for vol in _me(adm, res).volumes:
        rc = fn(vol)
        if rc:
            return rc
    return 0


def _adm_generic(
    adm: _Adm, res: Any, cmd: str, *, per_volume: bool, allowed: frozenset[str] | None = None, suppress: bool = False
) -> int:
    if per_volume:
        return _per_volume(
            adm,
            res,
            lambda vol: adm.system(
                adm.with_setup_opts([adm.setup, cmd, str(vol.minor)], allowed),
                res=res.name,
                vnr=str(vol.vnr),
                suppress=suppress,
            ),
        )
    return adm.system(adm.with_setup_opts([adm.setup, cmd, res.name], allowed), res=res.name, suppress=suppress)


def _adm_generic_b(adm: _Adm, res: Any, cmd: str) -> int:
    """adm_generic_b: drbdsetup first; on failure (not 11/17) or dry-run, drbdmeta on the meta data."""

    def one(vol: Any) -> int:
        captured: list[str] = []
        rc = adm.system([adm.setup, cmd, str(vol.minor)], res=res.name, vnr=str(vol.vnr), capture=captured)
        if rc in (11, 17):
            adm.io.err.extend(captured)
            return rc
        if rc or adm.dry_run:
            return adm.system(_drbdmeta_argv(adm, vol, cmd), res=res.name, vnr=str(vol.vnr))
        return 0

    return _per_volume(adm, res, one)


def _adm_outdate(adm: _Adm, res: Any) -> int:
    """adm_outdate: 17 (Primary) is returned as is, 5 retries with drbdmeta, other failures too."""

    def one(vol: Any) -> int:
        argv = [adm.setup, "outdate", res.name, str(vol.vnr)] if adm.v9 else [adm.setup, "outdate", str(vol.minor)]
        rc = adm.system(argv, res=res.name, vnr=str(vol.vnr), suppress=True)
        if rc == 17:
            return rc
        if rc == 5:
            return 5 if adm.system(_drbdmeta_argv(adm, vol, "outdate"), res=res.name, vnr=str(vol.vnr)) else 0
        if rc or adm.dry_run:
            return adm.system(_drbdmeta_argv(adm, vol, "outdate"), res=res.name, vnr=str(vol.vnr))
        return 0

    return _per_volume(adm, res, one)


def _adm_net_options(adm: _Adm, res: Any) -> int:
    if adm.v9:
        rc = 0
        for peer in _adm_peers9(adm, res):
            given = {o[2:].partition("=")[0]: o[2:].partition("=")[2] or "yes" for o in adm.setup_opts}
            net = [(k, v) for k, v in _conn_net9(res, peer) if k not in given] + list(given.items())
            pid = str(_node_ids(res)[peer.name])
            rc = max(rc, adm.system([adm.setup, "net-options", res.name, pid, *_opts_args(net)], res=res.name))
        return rc
    peers = res.peers(adm.ctx.node)
    if not peers:
        return 20
    return adm.system(
        adm.with_setup_opts([adm.setup, "net-options", _addr(_me(adm, res)), _addr(peers[0])]), res=res.name
    )


def _adm_disconnect(adm: _Adm, res: Any) -> int:
    if adm.v9:
        rc = 0
        for peer in _adm_peers9(adm, res):
            pid = str(_node_ids(res)[peer.name])
            rc = max(rc, adm.system([adm.setup, "disconnect", res.name, pid], res=res.name))
        return rc
    peers = res.peers(adm.ctx.node)
    return adm.system([adm.setup, "disconnect", _addr(_me(adm, res)), _addr(peers[0])], res=res.name)


def _adm_connect(adm: _Adm, res: Any, only_peer: str | None) -> int:
    if adm.v9:
        rc = 0
        for peer in _adm_peers9(adm, res, only_peer):
            kr = sim.kernel_res(adm.ctx.state, adm.ctx.node, res.name)
            if kr is not None and peer.name not in kr["peers"] and not adm.dry_run:
                rc = max(rc, _adm_new_peer9(adm, res, peer))
            rc = max(rc, _adm_connect9(adm, res, peer))
        return rc
    return _adm_connect84(adm, res)


def _adm_cstate(adm: _Adm, res: Any) -> int:
    if not adm.v9:
        return _adm_generic(adm, res, "cstate", per_volume=True)
    rc = 0
    for peer in _adm_peers9(adm, res):
        rc = adm.system([adm.setup, "cstate", res.name, str(_node_ids(res)[peer.name])], res=res.name)
        if rc:
            return rc
    return rc


def _adm_khelper(adm: _Adm, res: Any, cmd: str) -> int:
    """Handlers (fence-peer, unfence-peer, ...): run the configured shell command, else succeed."""
    handler = dict(res.handlers).get(cmd)
    if handler is None or adm.dry_run:
        return 0
    import subprocess

    env = dict(os.environ, DRBD_RESOURCE=res.name, DRBD_CONF=adm.conf.path)
    peers = res.peers(adm.ctx.node)
    if peers:
        env.update(
            DRBD_PEER=peers[0].name,
            DRBD_PEERS=peers[0].name,
            DRBD_PEER_ADDRESS=peers[0].address,
            DRBD_PEER_AF=peers[0].family,
        )
    return subprocess.run(["/bin/sh", "-c", handler], env=env, check=False).returncode


def _esc(value: str) -> str:
    """drbdadm esc(): quote values with blanks or quotes."""
    if value == "":
        return '""'
    if any(c in value for c in ' \t\n"\\;{}#'):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


class _Dump:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def i(self, text: str) -> None:
        self.lines.append(" " * (4 * self.indent) + text)

    def a(self, name: str, value: str) -> None:
        """printA: `%*s%*s %3s;` with the name left-justified to 24 - 4*indent."""
        self.i(f"{name:<{max(0, 24 - 4 * self.indent)}} {value:>3};")

    def opts(self, name: str, opts: Sequence[tuple[str, str]]) -> None:
        if not opts:
            return
        self.i(f"{name} {{")
        self.indent += 1
        for key, value in opts:
            self.a(key, _esc(value))
        self.indent -= 1
        self.i("}")

    def volume(self, vol: Any, *, v9: bool, verbose: bool) -> None:
        if not vol.implicit:
            self.i(f"volume {vol.vnr} {{")
            self.indent += 1
        self.opts("disk", vol.disk_options)
        pad = " " * max(0, 19 - 4 * self.indent)
        device = f"{_esc(vol.device)} " if vol.device else ""
        self.i(f"device{pad}{device}minor {vol.minor};")
        self.a("disk", _esc(vol.disk or "none"))
        if vol.meta_disk is not None:
            if vol.meta_index == "flexible":
                self.i(f"{'meta-disk':<16} {_esc(vol.meta_disk)};")
            elif vol.meta_index == "internal":
                self.a("meta-disk", "internal")
            else:
                self.i(f"{'meta-disk':<16} {_esc(vol.meta_disk)} [{vol.meta_index}];")
        if not vol.implicit:
            self.indent -= 1
            self.i("}")

    def address(self, name: str, host: Any, postfix: str = ";") -> str:
        if host.family == "ipv6":
            return " " * (4 * self.indent) + f"{name:<16} {host.family} [{host.address}]:{host.port}{postfix}"
        return " " * (4 * self.indent) + f"{name:<16} {host.family} {host.address}:{host.port}{postfix}"


def _dump84(adm: _Adm, res: Any, node: str) -> str:
    """v84/drbdadm_main.c adm_dump."""
    d = _Dump()
    d.i(f"# resource {_esc(res.name)} on {node}: not ignored, not stacked")
    d.i(f"# defined at {res.file}:{res.line}")
    d.i(f"resource {_esc(res.name)} {{")
    d.indent += 1
    for host in res.hosts:
        d.i(f"on {' '.join(host.names)} {{")
        d.indent += 1
        d.opts("options", host.options)
        for vol in host.volumes:
            d.volume(vol, v9=False, verbose=adm.verbose)
        d.lines.append(d.address("address", host))
        d.indent -= 1
        d.i("}")
    startup = list(res.startup)
    if res.become_primary_on:
        startup.append(("become-primary-on", " ".join(res.become_primary_on)))
    d.opts("options", res.options)
    d.opts("net", res.net)
    d.opts("disk", res.disk)
    d.opts("startup", startup)
    d.opts("handlers", res.handlers)
    d.indent -= 1
    return "\n".join(d.lines) + "\n}\n\n"


def _dump9(adm: _Adm, res: Any, node: str) -> str:
    """v9/drbdadm_dump.c adm_dump for two-host resources (implicit connection and path)."""
    d = _Dump()
    ids = _node_ids(res)
    d.i(f"# resource {_esc(res.name)} on {node}: not ignored, not stacked")
    d.i(f"# defined at {res.file}:{res.line}")
    d.i(f"resource {_esc(res.name)} {{")
    d.indent += 1
    if not adm.verbose:
        for vol in res.volumes:
            d.volume(vol, v9=True, verbose=False)
    for host in res.hosts:
        d.i(f"on {' '.join(host.names)} {{")
        d.indent += 1
        d.i(f"node-id {ids[host.name]};")
        d.opts("options", host.options)
        if adm.verbose:
            for vol in host.volumes:
                d.volume(vol, v9=True, verbose=True)
        d.lines.append(d.address("address", host))
        d.indent -= 1
        d.i("}")
    if adm.verbose and len(res.hosts) == 2:
        me = res.host(node) or res.hosts[0]
        peer = next(h for h in res.hosts if h is not me)
        d.i("connection {")
        d.indent += 1
        d.i("path {")
        d.indent += 1
        for host in res.hosts:
            d.lines.append(" " * (4 * d.indent) + f"host {host.name}" + d.address(" address", host))
        d.indent -= 1
        d.i("}")
        d.opts("net", _conn_net9(res, peer))
        for vol in me.volumes:
            d.i(f"volume {vol.vnr} {{")
            d.i("}")
        d.indent -= 1
        d.i("}")
    d.opts("options", res.options)
    d.opts("net", res.net)
    d.opts("disk", res.disk)
    d.opts("startup", res.startup)
    d.opts("handlers", res.handlers)
    d.indent -= 1
    return "\n".join(d.lines) + "\n}\n\n"


def _version_text(state: State) -> str:
    v9 = sim.drbd_version(state) == "9"
    rel, _shown, code, _build = _K9 if v9 else _K84
    lines = [
        f"DRBDADM_BUILDTAG={shell_escape(_BUILDTAG)}",
        f"DRBDADM_API_VERSION={2 if v9 else 1}",
        f"DRBD_KERNEL_VERSION_CODE=0x{code:06x}",
    ]
    if v9:
        lines.append(f"DRBD_KERNEL_VERSION={rel}")
    lines += [f"DRBDADM_VERSION_CODE=0x{_UTILS_VERSION_CODE:06x}", f"DRBDADM_VERSION={UTILS_VERSION}"]
    return "\n".join(lines) + "\n"


@dataclass
class _AdmArgs:
    cmd: str | None = None
    names: list[str] = field(default_factory=list)
    config: str | None = None
    dry_run: bool = False
    verbose: bool = False
    version: bool = False
    help: bool = False
    setup_opts: list[str] = field(default_factory=list)
    adm_opts: set[str] = field(default_factory=set)


def _parse_adm(argv: Sequence[str], commands: frozenset[str], io: _Io) -> _AdmArgs:
    a = _AdmArgs()
    i, only_args = 0, False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not only_args and arg == "--":
            only_args = True
            continue
        if not only_args and arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            letter = _GENERAL_LONG.get(name)
            if letter is None:
                if name in ("skip-net", "skip-disk"):
                    a.adm_opts.add(name)
                else:
                    a.setup_opts.append(arg)
                continue
            if letter in _WITH_VALUE and not eq:
                if i >= len(argv):
                    io.stderr(f"drbdadm: option '--{name}' requires an argument")
                    raise _Exit(E_USAGE)
                value = argv[i]
                i += 1
            _apply_opt(a, letter, value)
            continue
        if not only_args and arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                j += 1
                if letter in _WITH_VALUE:
                    value = arg[j:]
                    if not value:
                        if i >= len(argv):
                            io.stderr(f"drbdadm: option requires an argument -- '{letter}'")
                            raise _Exit(E_USAGE)
                        value = argv[i]
                        i += 1
                    _apply_opt(a, letter, value)
                    break
                if letter not in "SdvVh":
                    io.stderr(f"drbdadm: invalid option -- '{letter}'")
                    io.stderr("try 'drbdadm help'")
                    raise _Exit(E_USAGE)
                _apply_opt(a, letter, "")
            continue
        if a.cmd is not None:
            a.names.append(arg)
        elif arg == "help":
            a.help = True
        elif arg in commands:
            a.cmd = arg
        else:
            a.setup_opts.append(arg)
    return a


def _apply_opt(a: _AdmArgs, letter: str, value: str) -> None:
    if letter == "d":
        a.dry_run = True
    elif letter == "v":
        a.verbose = True
    elif letter == "c":
        a.config = value
    elif letter == "V":
        a.version = True
    elif letter == "h":
        a.help = True
    elif letter == "W":
        a.setup_opts.append(value)


def run_drbdadm(ctx: _Ctx, argv: Sequence[str], io: _Io, *, stdin_answer: str = "") -> int:
    """One drbdadm invocation (argv without the program name); returns the exit code."""
    from xenha_sim.drbdconf import ConfError, load_conf

    v9 = ctx.v9
    commands = _ADM_COMMANDS9 if v9 else _ADM_COMMANDS84
    try:
        a = _parse_adm(argv, commands, io)
    except _Exit as ex:
        return ex.rc
    if a.version:
        io.stdout(_version_text(ctx.state))
        return 0
    if a.cmd is None:
        first = next((x for x in argv if not x.startswith("-")), None)
        if first is not None and not a.help:
            io.stderr(f"drbdadm: Unknown command '{first}'")
            return E_USAGE
        io.stdout(
            f"\nUSAGE: drbdadm COMMAND [OPTION...] {{all|RESOURCE...}}\n\nVersion: {UTILS_VERSION} "
            f"(api:{2 if v9 else 1})\n{_BUILDTAG}\n"
        )
        return 0 if a.help else E_USAGE
    path = a.config or os.environ.get("XENHA_SIM_DRBD_CONF") or "/etc/drbd.conf"
    try:
        conf = load_conf(path)
    except OSError as exc:
        if a.config:
            io.stderr(f"Can not open '{path}'.")
            return E_EXEC_ERROR
        io.stderr(f"Can not open '{path}': {exc.strerror}")
        return E_CONFIG_INVALID
    except ConfError as exc:
        io.stderr(str(exc))
        return E_CONFIG_INVALID
    adm = _Adm(
        ctx=ctx,
        io=io,
        conf=conf,
        dry_run=a.dry_run,
        verbose=a.verbose,
        setup_opts=a.setup_opts,
        stdin_answer=stdin_answer,
    )
    try:
        return _dispatch(adm, a, conf)
    except _Exit as ex:
        return ex.rc


def _dispatch(adm: _Adm, a: _AdmArgs, conf: Any) -> int:
    cmd = a.cmd
    assert cmd is not None
    node = adm.ctx.node
    io = adm.io
    if cmd == "state":
        io.stderr("'drbdadm state' is deprecated, use 'drbdadm role' instead.")
        cmd = "role"
    if cmd in _NO_RES:
        if a.names:
            io.stderr("This command will ignore resource names!")
        return _no_res_cmd(adm, cmd, conf)
    names = a.names
    is_dump = cmd in ("dump", "dump-xml")
    mine = conf.for_node(node)
    if not names or names == ["all"]:
        if not is_dump and cmd != "status" and not names:
            io.stdout(f"\nUSAGE: drbdadm {cmd} [OPTION...] {{all|RESOURCE...}}\n\nNo resource names specified\n")
            return E_USAGE
        targets: list[tuple[Any, str | None, str | None]] = [
            (r, None, None) for r in (conf.resources if is_dump else mine)
        ]
        if not is_dump and not mine:
            io.stderr(f"WARN: no normal resources defined for this host ({node})!?")
            return E_USAGE
        if is_dump:
            io.stdout(f"# {os.path.abspath(conf.path)}\n" + _dump_common(adm, conf))
    else:
        targets = []
        for name in names:
            base, _, peer = name.partition(":") if adm.v9 else (name, "", "")
            rname, _, vol = base.partition("/")
            res = next((r for r in mine if r.name == rname), None)
            if res is None and rname.startswith("minor-"):
                res = next(
                    (
                        r
                        for r in mine
                        for v in (r.host(node).volumes if r.host(node) else ())
                        if f"minor-{v.minor}" == rname
                    ),
                    None,
                )
            if res is None:
                io.stderr(f"'{name}' not defined in your config (for this host).")
                return E_USAGE
            targets.append((res, vol or None, peer or None))
    rv = 0
    addr_nodes = sim.settings(adm.ctx.state).setdefault("addr_nodes", {})
    for target in targets:
        for host in target[0].hosts:
            addr_nodes[host.address] = host.name
    for res, vol_name, peer_name in targets:
        if is_dump:
            source = res if (adm.dry_run or adm.verbose) else (conf.raw_resource(res.name) or res)
            io.stdout(_dump9(adm, source, node) if adm.v9 else _dump84(adm, source, node))
            continue
        rc = _res_cmd(adm, cmd, res, vol=vol_name, peer=peer_name, a=a)
        rv = max(rv, rc)
        if rc >= E_EXEC_ERROR:
            return rc
    return rv


def _dump_common(adm: _Adm, conf: Any) -> str:
    d = _Dump()
    opts = dict(conf.global_options)
    if opts or adm.verbose:
        d.i("global {")
        d.indent += 1
        if "disable-ip-verification" in opts:
            d.i("disable-ip-verification;")
        if "minor-count" in opts:
            d.i(f"minor-count {opts['minor-count']};")
        if "dialog-refresh" in opts:
            d.i(f"dialog-refresh {opts['dialog-refresh']};")
        if "usage-count" in opts:
            d.i(f"usage-count {opts['usage-count']};")
        d.indent -= 1
        d.lines.append("}")
        d.lines.append("")
    if conf.common is not None:
        c = conf.common
        d.i("common {")
        d.indent += 1
        startup = list(c.startup)
        if c.become_primary_on and not adm.v9:
            startup.append(("become-primary-on", " ".join(c.become_primary_on)))
        d.opts("options", c.options)
        d.opts("net", c.net)
        d.opts("disk", c.disk)
        d.opts("startup", startup)
        d.opts("handlers", c.handlers)
        d.indent -= 1
        d.lines.append("}")
        d.lines.append("")
    return "\n".join(d.lines) + ("\n" if d.lines else "")


def _no_res_cmd(adm: _Adm, cmd: str, conf: Any) -> int:
    node = adm.ctx.node
    io = adm.io
    if cmd == "sh-resources":
        names = [r.name for r in conf.for_node(node)]
        if names:
            io.stdout(" ".join(shell_escape(n) for n in names) + "\n")
        return 0
    if cmd == "sh-mod-parms":
        count = sum(len(r.host(node).volumes) for r in conf.for_node(node))
        io.stdout(f"minor_count={min(255, max(32, count + 3))}\n")
        return 0
    if cmd == "sh-status":
        if not adm.dry_run:
            io.stdout(
                f"_drbd_version={shell_escape(UTILS_VERSION)}\n_drbd_api=1\n"
                f"_config_file={shell_escape(os.path.abspath(conf.path))}\n\n\n"
            )
        for res in conf.for_node(node):
            io.stdout(
                f"_conf_res_name={shell_escape(res.name)}\n"
                f"_conf_file_line={shell_escape(os.path.abspath(res.file))}:{res.line}\n\n"
                "_stacked_on=\n_stacked_on_device=\n_stacked_on_minor=\n"
            )
            for vol in res.host(node).volumes:
                io.stdout(f"_conf_volume={vol.vnr}\n")
                rc = adm.system([adm.setup, "sh-status", str(vol.minor)], res=res.name, vnr=str(vol.vnr))
                if rc:
                    io.stderr(f"command sh-status exited with code {rc}")
                    return rc
        return 0
    return 0


def _res_cmd(adm: _Adm, cmd: str, res: Any, *, vol: str | None, peer: str | None, a: _AdmArgs) -> int:
    node = adm.ctx.node
    io = adm.io
    host = res.host(node)
    vols = [v for v in host.volumes if vol is None or str(v.vnr) == vol]
    if not vols:
        io.stderr(f"'{res.name}/{vol}' not defined in your config (for this host).")
        return E_USAGE
    skip_net, skip_disk = "skip-net" in a.adm_opts, "skip-disk" in a.adm_opts
    simple: dict[str, Callable[[], int]] = {
        "up": lambda: _adm_up(adm, res, only_peer=peer),
        "adjust": lambda: _adm_adjust(adm, res, skip_net=skip_net, skip_disk=skip_disk, only_peer=peer),
        "adjust-with-progress": lambda: _adm_adjust(adm, res, skip_net=skip_net, skip_disk=skip_disk),
        "down": lambda: _adm_generic(adm, res, "down", per_volume=False),
        "primary": lambda: _adm_generic(
            adm, res, "primary", per_volume=not adm.v9, allowed=frozenset({"force"}) if adm.v9 else None
        ),
        "secondary": lambda: _adm_generic(adm, res, "secondary", per_volume=not adm.v9),
        "role": lambda: _adm_generic(adm, res, "role", per_volume=not adm.v9),
        "cstate": lambda: _adm_cstate(adm, res),
        "dstate": lambda: _adm_generic_b(adm, res, "dstate"),
        "status": lambda: adm.system(adm.with_setup_opts([adm.setup, "status", res.name]), res=res.name),
        "attach": lambda: _per_volume(adm, res, lambda v: _adm_attach(adm, res, v)),
        "detach": lambda: _adm_generic(adm, res, "detach", per_volume=True),
        "connect": lambda: _adm_connect(adm, res, peer),
        "disconnect": lambda: _adm_disconnect(adm, res),
        "net-options": lambda: _adm_net_options(adm, res),
        "outdate": lambda: _adm_outdate(adm, res),
        "invalidate": lambda: _adm_generic_b(adm, res, "invalidate"),
        "new-resource": lambda: _adm_new_resource(adm, res),
        "new-minor": lambda: _per_volume(adm, res, lambda v: _adm_new_minor(adm, res, v)),
        "sh-new-minor": lambda: _per_volume(adm, res, lambda v: _adm_new_minor(adm, res, v)),
        "check-resize": lambda: _per_volume(
            adm,
            res,
            lambda v: (
                adm.system([adm.setup, "resize", str(v.minor)], res=res.name)
                or adm.system([adm.setup, "check-resize", str(v.minor)], res=res.name)
            ),
        ),
        "resize": lambda: _per_volume(
            adm, res, lambda v: adm.system([adm.setup, "resize", str(v.minor)], res=res.name)
        ),
        "create-md": lambda: _per_volume(
            adm, res, lambda v: adm.system(_drbdmeta_argv(adm, v, "create-md"), res=res.name, vnr=str(v.vnr))
        ),
        "apply-al": lambda: _per_volume(
            adm, res, lambda v: adm.system(_drbdmeta_argv(adm, v, "apply-al"), res=res.name, vnr=str(v.vnr))
        ),
        "wait-connect": lambda: (
            adm.system([adm.setup, "wait-connect-resource", res.name], res=res.name)
            if adm.v9
            else _per_volume(
                adm,
                res,
                lambda v: adm.system([adm.setup, "wait-connect", str(v.minor), *_opts_args(res.startup)], res=res.name),
            )
        ),
    }
    if cmd in simple:
        return simple[cmd]()
    if cmd.startswith("sh-"):
        return _sh_cmd(adm, cmd, res, vols)
    if cmd in _HANDLERS:
        return _adm_khelper(adm, res, cmd)
    io.stderr(f"drbdadm {cmd}: not simulated by xenha-sim")
    return E_USAGE


def _sh_cmd(adm: _Adm, cmd: str, res: Any, vols: list[Any]) -> int:
    out = adm.io.stdout
    host = res.host(adm.ctx.node)
    if cmd == "sh-resource":
        out(f"{res.name}\n")
        return 0
    if cmd == "sh-ip":
        out(f"{host.address}\n")
        return 0
    if cmd == "sh-nop":
        return 0
    if cmd == "sh-b-pri":
        return 0
    per = {
        "sh-dev": lambda v: f"/dev/drbd{v.minor}",
        "sh-minor": lambda v: str(v.minor),
        "sh-ll-dev": lambda v: str(v.disk),
        "sh-md-dev": lambda v: str(v.disk if v.meta_disk == "internal" else v.meta_disk),
        "sh-md-idx": lambda v: str(v.meta_index),
    }
    fn = per.get(cmd)
    if fn is None:
        adm.io.stderr(f"drbdadm {cmd}: not simulated by xenha-sim")
        return E_USAGE
    for v in vols:
        out(fn(v) + "\n")
    return 0


# --------------------------------------------------------------------------------------------------------------
# Entry points


def _hang(world: World, node: str, tool: str) -> None:
    """Sleep as configured in state["nodes"][node]["hang"][tool], read without the lock."""
    try:
        import json

        with open(world.state_file, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return
    seconds = float((state.get("nodes", {}).get(node, {}).get("hang") or {}).get(tool) or 0)
    if seconds > 0:
        time.sleep(seconds)


def _emit(io: _Io) -> None:
    if io.out:
        sys.stdout.write("".join(io.out))
        sys.stdout.flush()
    if io.err:
        sys.stderr.write("".join(io.err))
        sys.stderr.flush()


def _run_tool(tool: str, argv: Sequence[str]) -> int:
    world = World()
    node = current_node()
    if not world.exists:
        sys.stderr.write(f"{tool}: no xenha-sim world at {world.path}\n")
        return E_EXEC_ERROR
    _hang(world, node, tool)
    io = _Io()
    wait: dict[str, Any] | None = None
    stdin_answer = ""
    if tool == "drbdadm" and "create-md" in argv and not sys.stdin.isatty():
        try:
            stdin_answer = sys.stdin.readline()
        except OSError:
            stdin_answer = ""
    with world.transaction() as state:
        ns = node_state(state, node)
        if ns is None or not ns.get("alive"):
            sys.stderr.write(f"{tool}: xenha-sim node {node!r} is not running\n")
            return E_EXEC_ERROR
        sim.settings(state)
        ctx = _Ctx(state=state, node=node, now=float(sim.settings(state).get("now") or time.time()))
        if tool == "drbdadm":
            rc = run_drbdadm(ctx, argv, io, stdin_answer=stdin_answer)
        else:
            rc = run_drbdsetup(ctx, argv, io)
        wait = ctx.wait
    _emit(io)
    if wait is not None and rc == 0:
        rc = _wait_connected(world, node, str(wait["res"]), float(wait["timeout"]))
    return rc


def _wait_connected(world: World, node: str, res: str, timeout: float) -> int:
    """wait-connect: poll the world until every connection of `res` is up; 5 on timeout (generic_get)."""
    deadline = time.monotonic() + timeout if timeout > 0 else None
    while True:
        with world.transaction() as state:
            kr = sim.kernel_res(state, node, res)
            if kr is None:
                return 10
            peers = list(kr["peers"])
            if peers and all(sim.conn_state(state, node, res, p) == "Connected" for p in peers):
                return 0
            if any(kr["peers"][p].get("net") is None for p in peers):
                return 0  # StandAlone: nothing to wait for (w_connected_state, no --wait-after-sb)
        if deadline is not None and time.monotonic() >= deadline:
            return 5
        time.sleep(0.1)


def drbdadm_main(argv: Sequence[str]) -> int:
    """Entry point of the simulated /usr/sbin/drbdadm (argv[0] is the program name)."""
    return _run_tool("drbdadm", list(argv[1:]))


def drbdsetup_main(argv: Sequence[str]) -> int:
    """Entry point of the simulated /usr/sbin/drbdsetup (argv[0] is the program name)."""
    return _run_tool("drbdsetup", list(argv[1:]))
