# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulated DRBD kernel state in the shared world: operations, connection/resync/split-brain logic, faults.

Layout of `state["drbd"]` (plain JSON; volume numbers are string keys):

    {"version": "8.4" | "9",            # the world's DRBD kernel flavour (`drbd_version`)
     "resync_kib_s": 102400,            # simulated resync rate
     "write_kib": 4096,                 # KiB one `write_io` writes
     "gen_seq": 7,                      # last data-generation id handed out
     "now": 1700000000.0,               # time of the current transaction (set by advance)
     "md":     {node: {res: {vnr: MD}}},           # on-disk meta data (survives down and reboot)
     "kernel": {node: {res: KRES}},                # what the kernel module holds (lost on down/crash)
     "syncs":  {"res|src|dst|vnr": SYNC}}          # running resyncs, advanced lazily

    MD   = {"disk": "UpToDate|Outdated|Inconsistent|Consistent", "gen": [ids...], "oos": {peer: KiB},
            "size_kib": N, "failed": false, "bdev": "/dev/vg/r0"}
    KRES = {"boot": N, "role": "Primary|Secondary", "node_id": N, "vols": {vnr: KVOL}, "peers": {peer: KPEER}}
    KVOL = {"minor": N, "attached": bool, "disk": state, "backing": path, "meta": "internal", "idx": "internal",
            "disk_opts": [[k, v]], "open": N, "stats": {...}}
    KPEER = {"net": [[k, v]] | null (StandAlone), "established": bool, "repl": {vnr: repl-state},
             "my_addr": "ipv4:IP:PORT", "peer_addr": ..., "node_id": N, "name": host, "discard_my_data": bool}
    SYNC = {"start": t, "total_kib": N, "left0_kib": N, "rate": KiB/s}

Data generations model DRBD's UUIDs: `gen[-1]` is the current data generation, earlier entries its ancestors.
A Primary creates a new generation when it loses its peer or is promoted while disconnected (drbd 8.4
drbd_uuid_new_current); writes while disconnected count as out-of-sync KiB ("changes"). On connect the
generations decide: equal -> in sync; one an ancestor of the other -> resync from the newer; neither ->
split brain, resolved by after-sb-0pri/1pri/2pri (drbd.conf(5) "net" section) or both sides go StandAlone.
"""

from __future__ import annotations

import time
from typing import Any

from xenha_sim.world import State, link_key, link_up, log_event, node_state

__all__ = [
    "DEFAULT_RESYNC_KIB_S",
    "DrbdError",
    "advance",
    "after_save",
    "attach",
    "block_drbd_close",
    "block_drbd_open",
    "can_become_primary",
    "conn_state",
    "connect",
    "crash_node",
    "create_md",
    "cut_link",
    "detach",
    "disconnect",
    "disk_state",
    "down",
    "drbd_version",
    "fail_disk",
    "heal_link",
    "init_resource",
    "invalidate",
    "is_up",
    "kernel_res",
    "minor_owner",
    "net_options",
    "new_minor",
    "new_resource",
    "node_resources",
    "outdate",
    "peer_disk_state",
    "peer_role",
    "primary",
    "proc_drbd_text",
    "render_proc_drbd",
    "repl_state",
    "resource_for_minor",
    "restart_node",
    "role_of",
    "secondary",
    "set_drbd_version",
    "set_hang",
    "settings",
    "settle",
    "sync_progress",
    "write_io",
]

DEFAULT_RESYNC_KIB_S = 102400
DEFAULT_SIZE_KIB = 1048576
_GEN_HISTORY = 8

# drbd_state_rv values (drbd_strings.c set_st_err) and drbd_ret_code values (drbd.h, 8.4 and 9).
SS_TWO_PRIMARIES = -1
SS_NO_UP_TO_DATE_DISK = -2
SS_NO_LOCAL_DISK = -4
SS_CONNECTED_OUTDATES = -6
SS_ALREADY_STANDALONE = -9
SS_IS_DISKLESS = -11
SS_DEVICE_IN_USE = -12
SS_NO_NET_CONFIG = -13
SS_LOWER_THAN_OUTDATED = -16
ERR_MD_INVALID = 119
ERR_DISK_CONFIGURED = 124
ERR_NET_CONFIGURED = 125
ERR_MINOR_INVALID = 127
ERR_INVALID_REQUEST = 162
ERR_RES_NOT_KNOWN = 158
ERR_MINOR_OR_VOLUME_EXISTS = 161
ERR_NEED_ALLOW_TWO_PRI = 164


class DrbdError(Exception):
    """A refused kernel request: a state-change code (< 0) or a drbd_ret_code (> 100), plus kernel info text."""

    def __init__(self, code: int, info: str = "") -> None:
        super().__init__(f"drbd error {code}" + (f": {info}" if info else ""))
        self.code = code
        self.info = info


# --------------------------------------------------------------------------------------------------------------
# Settings and accessors


def settings(state: State) -> dict[str, Any]:
    """The DRBD part of the world, created with defaults on first use."""
    d: dict[str, Any] = state.setdefault("drbd", {})
    d.setdefault("version", "8.4")
    d.setdefault("resync_kib_s", DEFAULT_RESYNC_KIB_S)
    d.setdefault("write_kib", 4096)
    d.setdefault("gen_seq", 0)
    d.setdefault("md", {})
    d.setdefault("kernel", {})
    d.setdefault("syncs", {})
    return d


def set_drbd_version(state: State, version: str) -> None:
    """Choose the world's DRBD flavour: "8.4" or "9" (set before any resource is up)."""
    if version not in ("8.4", "9"):
        raise ValueError(f"drbd_version must be 8.4 or 9, not {version!r}")
    settings(state)["version"] = version


def drbd_version(state: State) -> str:
    return str(settings(state)["version"])


def _now(state: State) -> float:
    return float(settings(state).get("now") or time.time())


def _new_gen(state: State) -> int:
    d = settings(state)
    d["gen_seq"] = int(d["gen_seq"]) + 1
    return int(d["gen_seq"])


def _alive(state: State, node: str) -> bool:
    ns = node_state(state, node)
    return bool(ns and ns.get("alive"))


def kernel_res(state: State, node: str, res: str) -> dict[str, Any] | None:
    """The kernel's record of `res` on `node`, or None when the resource is not up (or the node rebooted)."""
    kn = settings(state)["kernel"].get(node, {})
    kr: dict[str, Any] | None = kn.get(res)
    if kr is None:
        return None
    ns = node_state(state, node)
    if ns is None or not ns.get("alive") or kr.get("boot") != ns.get("boot"):
        return None
    return kr


def is_up(state: State, node: str, res: str) -> bool:
    return kernel_res(state, node, res) is not None


def node_resources(state: State, node: str) -> list[str]:
    """Resources up on `node`, sorted by name."""
    return sorted(r for r in settings(state)["kernel"].get(node, {}) if kernel_res(state, node, r) is not None)


def _md(state: State, node: str, res: str, vnr: str) -> dict[str, Any] | None:
    md: dict[str, Any] | None = settings(state)["md"].get(node, {}).get(res, {}).get(vnr)
    return md


def minor_owner(state: State, node: str, minor: int) -> tuple[str, str] | None:
    """(resource, volume) of a minor that exists in `node`'s kernel."""
    for res in node_resources(state, node):
        kr = kernel_res(state, node, res)
        assert kr is not None
        for vnr, kv in kr["vols"].items():
            if int(kv["minor"]) == minor:
                return res, vnr
    return None


def resource_for_minor(state: State, node: str, minor: int) -> str | None:
    """The resource owning `minor` on `node` (for Xen's `phy:/dev/drbdN` disks)."""
    owner = minor_owner(state, node, minor)
    return owner[0] if owner else None


# --------------------------------------------------------------------------------------------------------------
# Derived states


def role_of(state: State, node: str, resource: str) -> str:
    """`Primary`/`Secondary`, or `Unconfigured` when the resource is not up on `node`."""
    kr = kernel_res(state, node, resource)
    return "Unconfigured" if kr is None else str(kr["role"])


def disk_state(state: State, node: str, res: str, vnr: str) -> str:
    kr = kernel_res(state, node, res)
    if kr is None or vnr not in kr["vols"]:
        return "Diskless"
    kv = kr["vols"][vnr]
    return str(kv["disk"]) if kv["attached"] else "Diskless"


def _peer_entry(state: State, node: str, res: str, peer: str) -> dict[str, Any] | None:
    kr = kernel_res(state, node, res)
    if kr is None:
        return None
    p: dict[str, Any] | None = kr["peers"].get(peer)
    return p


def _established(state: State, node: str, res: str, peer: str) -> bool:
    p = _peer_entry(state, node, res, peer)
    return bool(p and p.get("established"))


def conn_state(state: State, node: str, res: str, peer: str) -> str:
    """The DRBD 9 connection state towards `peer`: StandAlone, Connecting or Connected."""
    p = _peer_entry(state, node, res, peer)
    if p is None or p.get("net") is None:
        return "StandAlone"
    return "Connected" if p.get("established") else "Connecting"


def repl_state(state: State, node: str, res: str, peer: str, vnr: str) -> str:
    """The DRBD 9 replication state of one peer device: Off, Established, SyncSource, ..."""
    p = _peer_entry(state, node, res, peer)
    if p is None or not p.get("established"):
        return "Off"
    return str(p["repl"].get(vnr, "Established"))


def cstate_84(state: State, node: str, res: str, vnr: str) -> str:
    """The 8.4 `cs:` of a minor: StandAlone, WFConnection, Connected or a sync state."""
    kr = kernel_res(state, node, res)
    assert kr is not None
    peer = next(iter(kr["peers"]), None)
    if peer is None or kr["peers"][peer].get("net") is None:
        return "StandAlone"
    if not kr["peers"][peer].get("established"):
        return "WFConnection"
    repl = repl_state(state, node, res, peer, vnr)
    return "Connected" if repl == "Established" else repl


def peer_role(state: State, node: str, res: str, peer: str) -> str:
    if not _established(state, node, res, peer) or kernel_res(state, peer, res) is None:
        return "Unknown"
    return role_of(state, peer, res)


def peer_disk_state(state: State, node: str, res: str, peer: str, vnr: str) -> str:
    if not _established(state, node, res, peer) or kernel_res(state, peer, res) is None:
        return "DUnknown"
    return disk_state(state, peer, res, vnr)


def _peers(kr: dict[str, Any]) -> list[str]:
    return sorted(kr["peers"])


# --------------------------------------------------------------------------------------------------------------
# Meta data


def create_md(
    state: State,
    node: str,
    res: str,
    vnr: int | str = 0,
    *,
    size_kib: int = DEFAULT_SIZE_KIB,
    disk: str = "Inconsistent",
    gen: list[int] | None = None,
    bdev: str = "",
) -> None:
    """Write fresh meta data for one volume (`drbdadm create-md`): Inconsistent, no data generation yet."""
    md = settings(state)["md"].setdefault(node, {}).setdefault(res, {})
    md[str(vnr)] = {
        "disk": disk,
        "gen": list(gen) if gen else [0],
        "oos": {},
        "size_kib": size_kib,
        "failed": False,
        "bdev": bdev,
    }


def init_resource(
    state: State,
    res: str,
    nodes: list[str],
    *,
    volumes: tuple[int, ...] = (0,),
    size_kib: int = DEFAULT_SIZE_KIB,
    uptodate: bool = True,
) -> None:
    """Meta data on every node as after the initial full sync: UpToDate (or Inconsistent), one shared generation."""
    for vnr in volumes:
        gen = [_new_gen(state)] if uptodate else [0]
        for node in nodes:
            create_md(
                state, node, res, vnr, size_kib=size_kib, disk="UpToDate" if uptodate else "Inconsistent", gen=gen
            )


def _set_disk(state: State, node: str, res: str, vnr: str, disk: str) -> None:
    kr = kernel_res(state, node, res)
    if kr is not None and vnr in kr["vols"]:
        kr["vols"][vnr]["disk"] = disk
    md = _md(state, node, res, vnr)
    if md is not None and disk in ("UpToDate", "Outdated", "Inconsistent", "Consistent"):
        md["disk"] = disk


def _rotate(state: State, node: str, res: str, vnr: str, now: float) -> None:
    """Start a new data generation (drbd_uuid_new_current) unless this node already diverged from every peer."""
    md = _md(state, node, res, vnr)
    if md is None:
        return
    if md.get("diverged"):
        return
    md["gen"] = ([*md["gen"], _new_gen(state)])[-_GEN_HISTORY:]
    md["diverged"] = True
    md["gen_time"] = now


# --------------------------------------------------------------------------------------------------------------
# Kernel operations (one per drbdsetup command); each raises DrbdError when DRBD would refuse


def _kres_or_fail(state: State, node: str, res: str) -> dict[str, Any]:
    kr = kernel_res(state, node, res)
    if kr is None:
        raise DrbdError(ERR_RES_NOT_KNOWN, "unknown resource")
    return kr


def new_resource(state: State, node: str, res: str, *, node_id: int = 0, now: float | None = None) -> None:
    """`drbdsetup new-resource`: an empty resource (idempotent, like DRBD when it exists already)."""
    ns = node_state(state, node)
    if ns is None:
        raise DrbdError(ERR_INVALID_REQUEST, f"unknown node {node}")
    if kernel_res(state, node, res) is not None:
        return
    settings(state)["kernel"].setdefault(node, {})[res] = {
        "boot": ns.get("boot"),
        "role": "Secondary",
        "node_id": node_id,
        "vols": {},
        "peers": {},
    }
    log_event(state, node, f"drbd {res}: new-resource", now=now)


def new_minor(state: State, node: str, res: str, minor: int, vnr: int) -> None:
    """`drbdsetup new-minor`: a Diskless, StandAlone device."""
    kr = _kres_or_fail(state, node, res)
    owner = minor_owner(state, node, minor)
    if owner is not None:
        if owner == (res, str(vnr)):
            return
        raise DrbdError(ERR_MINOR_OR_VOLUME_EXISTS)
    if str(vnr) in kr["vols"]:
        raise DrbdError(ERR_MINOR_OR_VOLUME_EXISTS)
    kr["vols"][str(vnr)] = {
        "minor": minor,
        "attached": False,
        "disk": "Diskless",
        "backing": None,
        "meta": None,
        "idx": None,
        "disk_opts": [],
        "open": 0,
        "stats": _zero_stats(),
    }


def _zero_stats() -> dict[str, int]:
    return {"ns": 0, "nr": 0, "dw": 0, "dr": 0, "al": 0, "bm": 0}


def attach(
    state: State,
    node: str,
    minor: int,
    backing: str,
    meta: str,
    *,
    idx: str,
    disk_opts: list[list[str]],
    now: float | None = None,
) -> None:
    """`drbdsetup attach`: read the meta data and take the disk state it records (fencing dont-care => UpToDate)."""
    owner = minor_owner(state, node, minor)
    if owner is None:
        raise DrbdError(ERR_MINOR_INVALID, "unknown minor")
    res, vnr = owner
    kr = kernel_res(state, node, res)
    assert kr is not None
    kv = kr["vols"][vnr]
    if kv["attached"]:
        raise DrbdError(ERR_DISK_CONFIGURED)
    md = _md(state, node, res, vnr)
    if md is None:
        raise DrbdError(ERR_MD_INVALID)
    if md.get("failed"):
        raise DrbdError(104)  # ERR_OPEN_DISK "Can not open backing device."
    kv.update(attached=True, backing=backing, meta=meta, idx=idx, disk_opts=disk_opts)
    disk = str(md["disk"])
    if disk == "Consistent" and _fencing(kr, kv) == "dont-care":
        disk = "UpToDate"
    kv["disk"] = disk
    md["bdev"] = backing
    stamp = now if now is not None else _now(state)
    log_event(state, node, f"drbd {res}/{vnr}: attached, disk {disk}", now=stamp)
    for peer in _peers(kr):
        pk = kernel_res(state, peer, res)
        if pk is None or not _established(state, node, res, peer) or vnr not in pk["vols"]:
            continue
        a, b = sorted((node, peer))
        outcome = _compare(
            state, res, a, b, vnr, ka=kernel_res(state, a, res) or {}, kb=kernel_res(state, b, res) or {}
        )
        if outcome == "split-brain":
            disconnect(state, node, res, peer, now=stamp)
        elif isinstance(outcome, tuple):
            _start_sync(state, res, outcome[0], outcome[1], vnr, now=stamp, kib=outcome[2])
    settle(state, stamp)


def _fencing(kr: dict[str, Any], kv: dict[str, Any]) -> str:
    """The fencing policy: a disk option in 8.4, a net option in 9 (drbd.conf(5)); default dont-care."""
    for key, value in kv.get("disk_opts") or []:
        if key == "fencing":
            return str(value)
    for p in kr["peers"].values():
        for key, value in p.get("net") or []:
            if key == "fencing":
                return str(value)
    return "dont-care"


def detach(state: State, node: str, minor: int, *, now: float | None = None) -> None:
    """`drbdsetup detach`: refused for a Primary without another UpToDate copy (SS_NO_UP_TO_DATE_DISK)."""
    owner = minor_owner(state, node, minor)
    if owner is None:
        raise DrbdError(ERR_MINOR_INVALID, "unknown minor")
    res, vnr = owner
    kr = kernel_res(state, node, res)
    assert kr is not None
    kv = kr["vols"][vnr]
    if not kv["attached"]:
        return
    if kr["role"] == "Primary" and not any(
        peer_disk_state(state, node, res, p, vnr) == "UpToDate" for p in kr["peers"]
    ):
        raise DrbdError(SS_NO_UP_TO_DATE_DISK)
    _do_detach(state, node, res, vnr, now if now is not None else _now(state))


def _do_detach(state: State, node: str, res: str, vnr: str, now: float) -> None:
    kr = kernel_res(state, node, res)
    assert kr is not None
    kv = kr["vols"][vnr]
    kv.update(attached=False, disk="Diskless")
    for key in list(settings(state)["syncs"]):
        r, src, dst, v = key.split("|")
        if r == res and v == vnr and node in (src, dst):
            _stop_sync(state, key, now)
    log_event(state, node, f"drbd {res}/{vnr}: detached", now=now)


def connect(
    state: State,
    node: str,
    res: str,
    peer: str,
    net: list[list[str]],
    *,
    my_addr: str = "",
    peer_addr: str = "",
    peer_node_id: int = 1,
    discard_my_data: bool = False,
    now: float | None = None,
) -> None:
    """`drbdsetup connect` (8.4: new net config; 9: new-peer + connect): start looking for `peer`."""
    kr = _kres_or_fail(state, node, res)
    if discard_my_data and kr["role"] == "Primary":
        raise DrbdError(123)  # ERR_DISCARD_IMPOSSIBLE
    p = kr["peers"].get(peer)
    if p is not None and p.get("net") is not None:
        raise DrbdError(ERR_NET_CONFIGURED)
    kr["peers"][peer] = {
        "net": [list(kv) for kv in net],
        "established": False,
        "repl": {},
        "my_addr": my_addr,
        "peer_addr": peer_addr,
        "node_id": peer_node_id,
        "name": peer,
        "discard_my_data": discard_my_data,
    }
    log_event(state, node, f"drbd {res}: connect to {peer}", now=now)
    settle(state, now if now is not None else _now(state))


def disconnect(state: State, node: str, res: str, peer: str | None = None, *, now: float | None = None) -> None:
    """`drbdsetup disconnect`: drop the connection and its net config (StandAlone); a no-op when StandAlone."""
    stamp = now if now is not None else _now(state)
    kr = _kres_or_fail(state, node, res)
    for name in [peer] if peer else list(kr["peers"]):
        p = kr["peers"].get(name)
        if p is None or p.get("net") is None:
            continue
        if p.get("established"):
            _teardown(state, res, node, name, stamp, reason="disconnect")
        p["net"] = None
        log_event(state, node, f"drbd {res}: disconnected from {name}", now=stamp)
    settle(state, stamp)


def net_options(state: State, node: str, res: str, peer: str | None, changes: list[list[str]]) -> None:
    """`drbdsetup net-options`: change options online, e.g. allow-two-primaries (refused while both Primary)."""
    kr = _kres_or_fail(state, node, res)
    names = [peer] if peer else list(kr["peers"])
    if not names or all(kr["peers"].get(n, {}).get("net") is None for n in names):
        raise DrbdError(ERR_INVALID_REQUEST, "net conf missing, try connect")
    for name in names:
        p = kr["peers"].get(name)
        if p is None or p.get("net") is None:
            continue
        new = dict((k, v) for k, v in p["net"])
        new.update((k, v) for k, v in changes)
        if (
            new.get("allow-two-primaries", "no") != "yes"
            and kr["role"] == "Primary"
            and peer_role(state, node, res, name) == "Primary"
        ):
            raise DrbdError(ERR_NEED_ALLOW_TWO_PRI)
        p["net"] = [[k, v] for k, v in new.items()]


def _two_primaries_allowed(kr: dict[str, Any], peer: str) -> bool:
    p = kr["peers"].get(peer) or {}
    return bool(dict((k, v) for k, v in (p.get("net") or [])).get("allow-two-primaries", "no") == "yes")


def can_become_primary(state: State, node: str, resource: str, *, force: bool = False) -> str | None:
    """None when `drbdadm primary` would succeed on `node`, else DRBD's refusal text (e.g. `(-2) Need ...`)."""
    try:
        _check_primary(state, node, resource, force=force)
    except DrbdError as exc:
        from xenha_sim.drbdtools import error_text

        return error_text(exc.code)
    return None


def _check_primary(state: State, node: str, res: str, *, force: bool) -> None:
    kr = kernel_res(state, node, res)
    if kr is None:
        raise DrbdError(ERR_RES_NOT_KNOWN if drbd_version(state) == "9" else ERR_MINOR_INVALID, "unknown minor")
    if kr["role"] == "Primary":
        return
    for peer in kr["peers"]:
        if peer_role(state, node, res, peer) == "Primary" and not _two_primaries_allowed(kr, peer):
            raise DrbdError(SS_TWO_PRIMARIES)
    for vnr, kv in kr["vols"].items():
        local = kv["disk"] if kv["attached"] else "Diskless"
        peer_ok = any(peer_disk_state(state, node, res, p, vnr) == "UpToDate" for p in kr["peers"])
        if local == "UpToDate" or peer_ok:
            continue
        if force and kv["attached"] and local in ("Inconsistent", "Outdated", "Consistent"):
            continue
        raise DrbdError(SS_NO_UP_TO_DATE_DISK)


def primary(state: State, node: str, res: str, *, force: bool = False, now: float | None = None) -> None:
    """`drbdsetup primary [--force]`; --force makes Inconsistent/Outdated local data UpToDate (new generation)."""
    stamp = now if now is not None else _now(state)
    _check_primary(state, node, res, force=force)
    kr = kernel_res(state, node, res)
    assert kr is not None
    if kr["role"] == "Primary":
        return
    kr["role"] = "Primary"
    connected = any(p.get("established") for p in kr["peers"].values())
    for vnr, kv in kr["vols"].items():
        if not kv["attached"]:
            continue
        if force and kv["disk"] != "UpToDate":
            md = _md(state, node, res, vnr)
            if md is not None:
                md["diverged"] = False
                md["gen"] = ([*md["gen"], _new_gen(state)])[-_GEN_HISTORY:]
                md["oos"] = {}
            _set_disk(state, node, res, vnr, "UpToDate")
            for peer in _peers(kr):
                if _established(state, node, res, peer):
                    _start_sync(state, res, node, peer, vnr, now=stamp, full=True)
        elif not connected:
            _rotate(state, node, res, vnr, stamp)
    log_event(state, node, f"drbd {res}: Primary" + (" (forced)" if force else ""), now=stamp)
    settle(state, stamp)


def secondary(state: State, node: str, res: str, *, now: float | None = None) -> None:
    """`drbdsetup secondary`: refused while the device is open (SS_DEVICE_IN_USE)."""
    kr = _kres_or_fail(state, node, res)
    if kr["role"] != "Primary":
        return
    if any(kv["open"] for kv in kr["vols"].values()):
        raise DrbdError(SS_DEVICE_IN_USE)
    kr["role"] = "Secondary"
    log_event(state, node, f"drbd {res}: Secondary", now=now)


def down(state: State, node: str, res: str, *, now: float | None = None) -> None:
    """`drbdsetup down`: secondary, disconnect, detach, delete minors and the resource (missing is OK)."""
    stamp = now if now is not None else _now(state)
    kr = kernel_res(state, node, res)
    if kr is None:
        settings(state)["kernel"].get(node, {}).pop(res, None)
        return
    secondary(state, node, res, now=stamp)
    disconnect(state, node, res, now=stamp)
    for vnr, kv in kr["vols"].items():
        if kv["attached"]:
            _do_detach(state, node, res, vnr, stamp)
    del settings(state)["kernel"][node][res]
    log_event(state, node, f"drbd {res}: down", now=stamp)
    settle(state, stamp)


def outdate(state: State, node: str, res: str, vnr: str, *, now: float | None = None) -> None:
    """`drbdsetup outdate`: mark UpToDate/Consistent data Outdated; refused on a Primary or while Connected."""
    kr = kernel_res(state, node, res)
    if kr is None:
        # drbdmeta outdate on the unattached meta data
        md = _md(state, node, res, vnr)
        if md is None:
            raise DrbdError(ERR_MD_INVALID)
        if md["disk"] in ("UpToDate", "Consistent"):
            md["disk"] = "Outdated"
        return
    kv = kr["vols"].get(vnr)
    if kv is None:
        raise DrbdError(ERR_MINOR_INVALID, "unknown minor")
    if kr["role"] == "Primary":
        raise DrbdError(SS_NO_UP_TO_DATE_DISK)
    if not kv["attached"] or kv["disk"] in ("Inconsistent", "Failed"):
        raise DrbdError(SS_LOWER_THAN_OUTDATED)
    if any(p.get("established") for p in kr["peers"].values()):
        raise DrbdError(SS_CONNECTED_OUTDATES)
    if kv["disk"] in ("UpToDate", "Consistent"):
        _set_disk(state, node, res, vnr, "Outdated")
        log_event(state, node, f"drbd {res}/{vnr}: outdated", now=now)


def invalidate(state: State, node: str, res: str, vnr: str, *, now: float | None = None) -> None:
    """`drbdsetup invalidate`: throw the local data away and resync it from a connected peer."""
    stamp = now if now is not None else _now(state)
    kr = _kres_or_fail(state, node, res)
    kv = kr["vols"].get(vnr)
    if kv is None or not kv["attached"]:
        raise DrbdError(SS_NO_LOCAL_DISK)
    source = next((p for p in _peers(kr) if peer_disk_state(state, node, res, p, vnr) == "UpToDate"), None)
    if source is None:
        raise DrbdError(-15)  # SS_NEED_CONNECTION
    _start_sync(state, res, source, node, vnr, now=stamp, full=True)


# --------------------------------------------------------------------------------------------------------------
# Connections, resync and split brain


def _pair_wanted(state: State, res: str, a: str, b: str) -> bool:
    pa, pb = _peer_entry(state, a, res, b), _peer_entry(state, b, res, a)
    return bool(pa and pb and pa.get("net") is not None and pb.get("net") is not None and link_up(state, a, b))


def settle(state: State, now: float) -> None:
    """Bring connections in line with the world: tear down broken ones, hand-shake wanted ones, end resyncs."""
    d = settings(state)
    d["now"] = now
    _advance_syncs(state, now)
    kernel = d["kernel"]
    # forget kernel records of nodes that crashed or rebooted; their peers see the connection go away
    for node in list(kernel):
        for res in list(kernel[node]):
            if kernel_res(state, node, res) is None:
                del kernel[node][res]
    pairs: set[tuple[str, str, str]] = set()
    for node in kernel:
        for res, kr in kernel[node].items():
            for peer in kr["peers"]:
                a, b = sorted((node, peer))
                pairs.add((res, a, b))
    for res, a, b in sorted(pairs):
        _settle_pair(state, res, a, b, now)


def _settle_pair(state: State, res: str, a: str, b: str, now: float) -> None:
    wanted = _pair_wanted(state, res, a, b)
    est_a, est_b = _established(state, a, res, b), _established(state, b, res, a)
    if (est_a or est_b) and not wanted:
        if est_a:
            _teardown(state, res, a, b, now, reason="connection lost")
        if est_b:
            _teardown(state, res, b, a, now, reason="connection lost")
    elif wanted and not (est_a and est_b):
        _handshake(state, res, a, b, now)


def _teardown(state: State, res: str, node: str, peer: str, now: float, *, reason: str) -> None:
    """`node` loses `peer`: stop resyncs, a Primary starts a new data generation (new current UUID)."""
    p = _peer_entry(state, node, res, peer)
    if p is None:
        return
    p["established"] = False
    p["repl"] = {}
    for key in list(settings(state)["syncs"]):
        r, src, dst, _v = key.split("|")
        if r == res and {src, dst} == {node, peer}:
            _stop_sync(state, key, now)
    kr = kernel_res(state, node, res)
    if kr is not None and kr["role"] == "Primary":
        for vnr, kv in kr["vols"].items():
            if kv["attached"] and kv["disk"] == "UpToDate":
                _rotate(state, node, res, vnr, now)
    log_event(state, node, f"drbd {res}: connection to {peer} down ({reason})", now=now)


def _handshake(state: State, res: str, a: str, b: str, now: float) -> None:
    ka, kb = kernel_res(state, a, res), kernel_res(state, b, res)
    assert ka is not None and kb is not None
    both_primary = ka["role"] == "Primary" and kb["role"] == "Primary"
    plan: dict[str, tuple[str, str, int] | None] = {}
    for vnr in sorted(set(ka["vols"]) & set(kb["vols"])):
        outcome = _compare(state, res, a, b, vnr, ka=ka, kb=kb)
        if outcome == "split-brain":
            log_event(state, a, f"drbd {res}/{vnr}: Split-Brain detected but unresolved, dropping connection!", now=now)
            log_event(state, b, f"drbd {res}/{vnr}: Split-Brain detected but unresolved, dropping connection!", now=now)
            ka["peers"][b]["net"] = None
            kb["peers"][a]["net"] = None
            ka["peers"][b]["split_brain"] = True
            kb["peers"][a]["split_brain"] = True
            return
        plan[vnr] = outcome  # type: ignore[assignment]
    if both_primary and not (_two_primaries_allowed(ka, b) and _two_primaries_allowed(kb, a)):
        # the peers refuse a connection with two Primaries: both drop to StandAlone
        ka["peers"][b]["net"] = None
        kb["peers"][a]["net"] = None
        log_event(state, a, f"drbd {res}: both Primary without allow-two-primaries, dropping connection", now=now)
        return
    for pe in (ka["peers"][b], kb["peers"][a]):
        pe.update(established=True, repl={}, discard_my_data=False, split_brain=False)
    for vnr in plan:
        for md in (_md(state, a, res, vnr), _md(state, b, res, vnr)):
            if md is not None:
                md["diverged"] = False
    for vnr, step in plan.items():
        if step is None:
            continue
        src, dst, kib = step
        _start_sync(state, res, src, dst, vnr, now=now, kib=kib)
    log_event(state, a, f"drbd {res}: connected to {b}", now=now)
    log_event(state, b, f"drbd {res}: connected to {a}", now=now)


def _compare(
    state: State,
    res: str,
    a: str,
    b: str,
    vnr: str,
    *,
    ka: dict[str, Any],
    kb: dict[str, Any],
) -> tuple[str, str, int] | str | None:
    """What a handshake does for one volume: None (in sync), (source, target, KiB), or "split-brain"."""
    va, vb = ka["vols"][vnr], kb["vols"][vnr]
    if not va["attached"] or not vb["attached"]:
        return None
    ma, mb = _md(state, a, res, vnr), _md(state, b, res, vnr)
    assert ma is not None and mb is not None
    da, db = str(va["disk"]), str(vb["disk"])
    good = ("UpToDate", "Consistent", "Outdated")
    if ka["peers"][b].get("discard_my_data") and db in good:
        return (b, a, int(ma["oos"].get(b, 0)) + int(mb["oos"].get(a, 0)) or ma["size_kib"])
    if kb["peers"][a].get("discard_my_data") and da in good:
        return (a, b, int(ma["oos"].get(b, 0)) + int(mb["oos"].get(a, 0)) or mb["size_kib"])
    if da == "Inconsistent" and db == "Inconsistent":
        return None
    if da == "Inconsistent":
        return (b, a, _left(ma, b) or int(ma["size_kib"]))
    if db == "Inconsistent":
        return (a, b, _left(mb, a) or int(mb["size_kib"]))
    ga, gb = list(ma["gen"]), list(mb["gen"])
    ca, cb = ga[-1], gb[-1]
    if ca == cb:
        if da == "UpToDate" and db in ("Outdated", "Consistent"):
            return _in_sync_or(a, b, ma, mb)
        if db == "UpToDate" and da in ("Outdated", "Consistent"):
            return _in_sync_or(b, a, mb, ma)
        _clear_divergence(ma, mb, a, b)
        return None
    if cb in ga:
        return (a, b, int(ma["oos"].get(b, 0)) + int(mb["oos"].get(a, 0)))
    if ca in gb:
        return (b, a, int(mb["oos"].get(a, 0)) + int(ma["oos"].get(b, 0)))
    return _split_brain(state, res, a, b, vnr, ka=ka, kb=kb, ma=ma, mb=mb)


def _left(md: dict[str, Any], peer: str) -> int:
    return int(md["oos"].get(peer, 0))


def _in_sync_or(src: str, dst: str, msrc: dict[str, Any], mdst: dict[str, Any]) -> tuple[str, str, int]:
    return (src, dst, int(msrc["oos"].get(dst, 0)) + int(mdst["oos"].get(src, 0)))


def _clear_divergence(ma: dict[str, Any], mb: dict[str, Any], a: str, b: str) -> None:
    ma["oos"].pop(b, None)
    mb["oos"].pop(a, None)
    ma["diverged"] = False
    mb["diverged"] = False


def _split_brain(
    state: State,
    res: str,
    a: str,
    b: str,
    vnr: str,
    *,
    ka: dict[str, Any],
    kb: dict[str, Any],
    ma: dict[str, Any],
    mb: dict[str, Any],
) -> tuple[str, str, int] | str:
    """Resolve per after-sb-{0,1,2}pri (drbd.conf(5)); return (source, target, KiB) or "split-brain"."""
    net = dict((k, v) for k, v in ka["peers"][b]["net"])
    primaries = [n for n, k in ((a, ka), (b, kb)) if k["role"] == "Primary"]
    changes = {a: int(ma["oos"].get(b, 0)), b: int(mb["oos"].get(a, 0))}
    kib = changes[a] + changes[b]
    log_event(state, a, f"drbd {res}/{vnr}: Split-Brain detected, {len(primaries)} primaries", now=_now(state))

    def zero_pri(policy: str) -> str | None:
        """The victim per an after-sb-0pri policy, or None when unresolved."""
        if policy == "discard-zero-changes":
            zero = [n for n in (a, b) if changes[n] == 0]
            if len(zero) == 1:
                return zero[0]
            if len(zero) == 2:
                return b  # both unchanged: DRBD picks by the resync-from-lower-node rule
            return None
        if policy == "discard-least-changes":
            if changes[a] != changes[b]:
                return a if changes[a] < changes[b] else b
            return b
        if policy in ("discard-younger-primary", "discard-older-primary"):
            ta, tb = float(ma.get("gen_time") or 0), float(mb.get("gen_time") or 0)
            younger = a if ta > tb else b
            older = b if younger == a else a
            return younger if policy == "discard-younger-primary" else older
        if policy == "discard-local":
            return a
        if policy == "discard-remote":
            return b
        if policy.startswith("discard-node-"):
            name = policy[len("discard-node-") :]
            return name if name in (a, b) else None
        return None

    victim: str | None = None
    if len(primaries) == 0:
        victim = zero_pri(net.get("after-sb-0pri", "disconnect"))
    elif len(primaries) == 1:
        policy = net.get("after-sb-1pri", "disconnect")
        secondary_node = b if primaries[0] == a else a
        if policy == "discard-secondary":
            victim = secondary_node
        elif policy in ("consensus", "call-pri-lost-after-sb"):
            v0 = zero_pri(net.get("after-sb-0pri", "disconnect"))
            victim = v0 if v0 == secondary_node else None
        elif policy == "violently-as0p":
            victim = zero_pri(net.get("after-sb-0pri", "disconnect"))
    else:
        policy = net.get("after-sb-2pri", "disconnect")
        if policy in ("violently-as0p", "call-pri-lost-after-sb"):
            victim = zero_pri(net.get("after-sb-0pri", "disconnect"))
    if victim is None:
        return "split-brain"
    source = b if victim == a else a
    log_event(state, victim, f"drbd {res}/{vnr}: Split-Brain resolved, discarding local data", now=_now(state))
    return (source, victim, kib or 4)


def _start_sync(
    state: State,
    res: str,
    src: str,
    dst: str,
    vnr: str,
    *,
    now: float,
    kib: int | None = None,
    full: bool = False,
) -> None:
    """Begin a resync src -> dst of `kib` KiB (a full one when `full`); 0 KiB finishes at once."""
    md_dst, md_src = _md(state, dst, res, vnr), _md(state, src, res, vnr)
    assert md_dst is not None and md_src is not None
    total = int(md_dst["size_kib"]) if full or kib is None else int(kib)
    total = min(total, int(md_dst["size_kib"]))
    for pa, pb in ((src, dst), (dst, src)):
        pe = _peer_entry(state, pa, res, pb)
        if pe is not None:
            pe["repl"][vnr] = "SyncSource" if pa == src else "SyncTarget"
    _set_disk(state, dst, res, vnr, "Inconsistent")
    md_dst["oos"][src] = total
    key = f"{res}|{src}|{dst}|{vnr}"
    settings(state)["syncs"][key] = {
        "start": now,
        "total_kib": total,
        "left0_kib": total,
        "rate": int(settings(state)["resync_kib_s"]),
    }
    log_event(state, dst, f"drbd {res}/{vnr}: resync from {src} started ({total} KiB)", now=now)
    if total == 0:
        _finish_sync(state, key, now)


def sync_progress(state: State, key: str, now: float) -> tuple[int, int, float]:
    """(left KiB, total KiB, elapsed seconds) of a running resync at `now`."""
    s = settings(state)["syncs"][key]
    elapsed = max(0.0, now - float(s["start"]))
    left = max(0, int(s["left0_kib"]) - int(elapsed * int(s["rate"])))
    return left, int(s["total_kib"]), elapsed


def _advance_syncs(state: State, now: float) -> None:
    for key in list(settings(state)["syncs"]):
        left, _total, _elapsed = sync_progress(state, key, now)
        res, src, dst, vnr = key.split("|")
        md = _md(state, dst, res, vnr)
        if md is not None:
            md["oos"][src] = left
        if left == 0:
            _finish_sync(state, key, now)


def _finish_sync(state: State, key: str, now: float) -> None:
    res, src, dst, vnr = key.split("|")
    s = settings(state)["syncs"].pop(key)
    md_src, md_dst = _md(state, src, res, vnr), _md(state, dst, res, vnr)
    assert md_src is not None and md_dst is not None
    md_dst["gen"] = list(md_src["gen"])
    md_dst["oos"].pop(src, None)
    md_src["oos"].pop(dst, None)
    md_dst["diverged"] = md_src["diverged"] = False
    src_disk = disk_state(state, src, res, vnr)
    _set_disk(state, dst, res, vnr, src_disk if src_disk in ("Outdated", "Consistent") else "UpToDate")
    for pa, pb in ((src, dst), (dst, src)):
        pe = _peer_entry(state, pa, res, pb)
        if pe is not None and pe.get("established"):
            pe["repl"][vnr] = "Established"
    for who, field in ((src, "ns"), (src, "dr"), (dst, "nr"), (dst, "dw")):
        kr = kernel_res(state, who, res)
        if kr is not None and vnr in kr["vols"]:
            kr["vols"][vnr]["stats"][field] += int(s["total_kib"])
    log_event(state, dst, f"drbd {res}/{vnr}: resync from {src} finished", now=now)


def _stop_sync(state: State, key: str, now: float) -> None:
    """A resync is interrupted: the target keeps its remaining out-of-sync KiB and stays Inconsistent."""
    left, _total, _elapsed = sync_progress(state, key, now)
    res, src, dst, vnr = key.split("|")
    del settings(state)["syncs"][key]
    md = _md(state, dst, res, vnr)
    if md is not None:
        md["oos"][src] = left


# --------------------------------------------------------------------------------------------------------------
# I/O


def write_io(state: State, node: str, resource: str, *, kib: int | None = None, now: float | None = None) -> None:
    """A Primary's write: replicated to connected peers, counted as a change (out-of-sync) for the others."""
    stamp = now if now is not None else _now(state)
    kr = kernel_res(state, node, resource)
    if kr is None or kr["role"] != "Primary":
        raise DrbdError(SS_IS_DISKLESS if kr else ERR_RES_NOT_KNOWN, "write on a non-Primary")
    amount = int(kib if kib is not None else settings(state)["write_kib"])
    for vnr, kv in kr["vols"].items():
        if kv["attached"]:
            kv["stats"]["dw"] += amount
            kv["stats"]["al"] += 1
        md = _md(state, node, resource, vnr)
        connected = False
        for peer in _peers(kr):
            if _established(state, node, resource, peer):
                connected = True
                kv["stats"]["ns"] += amount
                pk = kernel_res(state, peer, resource)
                if pk is not None and vnr in pk["vols"]:
                    pk["vols"][vnr]["stats"]["nr"] += amount
                    pk["vols"][vnr]["stats"]["dw"] += amount
            elif md is not None and kv["attached"]:
                md["oos"][peer] = min(int(md["size_kib"]), int(md["oos"].get(peer, 0)) + amount)
        if md is not None and kv["attached"] and not connected:
            _rotate(state, node, resource, vnr, stamp)


# --------------------------------------------------------------------------------------------------------------
# Xen's block-drbd script


def block_drbd_open(state: State, node: str, resource: str) -> str | None:
    """Promote like Xen's block-drbd (`drbdadm primary`) and mark the device open; the error text or None."""
    from xenha_sim.drbdtools import primary_failure_text

    kr = kernel_res(state, node, resource)
    try:
        primary(state, node, resource)
    except DrbdError as exc:
        return primary_failure_text(state, node, resource, exc)
    assert kr is not None
    for kv in kr["vols"].values():
        kv["open"] = int(kv["open"]) + 1
    return None


def block_drbd_close(state: State, node: str, resource: str) -> None:
    """Close the device and demote to Secondary (block-drbd's `drbdadm secondary`), ignoring refusals."""
    kr = kernel_res(state, node, resource)
    if kr is None:
        return
    for kv in kr["vols"].values():
        kv["open"] = max(0, int(kv["open"]) - 1)
    try:
        secondary(state, node, resource)
    except DrbdError:
        pass


# --------------------------------------------------------------------------------------------------------------
# Faults (called by the xenha-sim CLI and tests)


def crash_node(state: State, node: str, *, now: float | None = None) -> None:
    """The node dies: its kernel state is gone, peers see the connection drop (WFConnection/Connecting)."""
    stamp = now if now is not None else _now(state)
    ns = node_state(state, node)
    if ns is None:
        raise KeyError(node)
    ns["alive"] = False
    log_event(state, node, "drbd: node crashed", now=stamp)
    settle(state, stamp)


def restart_node(state: State, node: str, *, now: float | None = None) -> None:
    """The node boots again: alive, boot counter +1, every DRBD resource down (as after a real reboot)."""
    stamp = now if now is not None else _now(state)
    ns = node_state(state, node)
    if ns is None:
        raise KeyError(node)
    if ns.get("alive"):
        settle(state, stamp)
    ns["alive"] = True
    ns["boot"] = int(ns.get("boot", 1)) + 1
    settings(state)["kernel"].pop(node, None)
    settle(state, stamp)


def cut_link(state: State, a: str, b: str, *, now: float | None = None) -> None:
    """Cut the replication link between two nodes."""
    state.setdefault("links", {})[link_key(a, b)] = "cut"
    settle(state, now if now is not None else _now(state))


def heal_link(state: State, a: str, b: str, *, now: float | None = None) -> None:
    """Restore the replication link; connections re-establish (or detect split brain)."""
    state.setdefault("links", {})[link_key(a, b)] = "up"
    settle(state, now if now is not None else _now(state))


def set_hang(state: State, node: str, tool: str, seconds: float) -> None:
    """Make `tool` (drbdadm/drbdsetup) on `node` sleep `seconds` before answering."""
    ns = node_state(state, node)
    if ns is None:
        raise KeyError(node)
    ns.setdefault("hang", {})[tool] = float(seconds)


def fail_disk(state: State, node: str, res: str, vnr: int | str = 0, *, now: float | None = None) -> None:
    """The backing disk fails: with `on-io-error detach` (the 8.4 default) the device becomes Diskless."""
    stamp = now if now is not None else _now(state)
    md = _md(state, node, res, str(vnr))
    if md is not None:
        md["failed"] = True
    kr = kernel_res(state, node, res)
    if kr is None or str(vnr) not in kr["vols"]:
        return
    kv = kr["vols"][str(vnr)]
    policy = dict((k, v) for k, v in kv.get("disk_opts") or []).get("on-io-error", "detach")
    if policy == "pass_on":
        return
    if kv["attached"]:
        _do_detach(state, node, res, str(vnr), stamp)
    log_event(state, node, f"drbd {res}/{vnr}: disk failure, on-io-error {policy}", now=stamp)


# --------------------------------------------------------------------------------------------------------------
# World hooks


def advance(state: State, now: float) -> None:
    """Apply time-driven changes (resync progress, completion) and lost connections up to `now`."""
    if "drbd" not in state:
        return
    settle(state, now)


def after_save(state: State, now: float) -> None:
    """Rewrite every node's /proc/drbd file (path in state["nodes"][n]["proc_drbd"]) atomically."""
    import os

    for node, ns in state.get("nodes", {}).items():
        path = ns.get("proc_drbd")
        if not path:
            continue
        if not ns.get("alive"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            continue
        text = proc_drbd_text(state, node, now)
        try:
            with open(path, encoding="utf-8") as handle:
                if handle.read() == text:
                    continue
        except OSError:
            pass
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except OSError:
            continue


def proc_drbd_text(state: State, node: str, now: float | None = None) -> str:
    """The node's /proc/drbd as the world's kernel flavour prints it."""
    return render_proc_drbd(state, node, now if now is not None else _now(state))


# kernel module identities printed in /proc/drbd and by `drbdadm --version` (fixtures: reconstructed/proc_drbd,
# drbdadm/docs_drbdadm_version_9.22.txt)
_K84 = (
    "8.4.11",
    "8.4.11-1",
    0x08040B,
    "66145a308421e9c124ec391a7848ac20203bb03c build by mockbuild@, 2018-11-03 01:26:55",
)
_K9 = (
    "9.1.11",
    "9.1.11",
    0x09010B,
    "2d2ec5d0a3c4bd6e6bbc22bb74a00fcaf4c56c1b build by @buildsystem, 2022-09-19 12:15:10",
)

# --------------------------------------------------------------------------------------------------------------
# /proc/drbd (drbd-8.4.11 drbd/drbd_proc.c; DRBD 9 drbd/drbd_proc.c + drbd_transport.c)


def _grouped(v: int) -> str:
    """seq_printf_with_thousands_grouping (drbd_proc.c:49-61)."""
    if v >= 1000000:
        return f"{v // 1000000},{v % 1000000 // 1000:03d},{v % 1000:03d}"
    if v >= 1000:
        return f"{v // 1000},{v % 1000:03d}"
    return str(v)


def _progress_lines(left_kib: int, total_kib: int, elapsed: float, rate: int, target: bool) -> list[str]:
    """drbd_syncer_progress (drbd_proc.c:113-236) for a resync at a constant rate, BM_BLOCK_SIZE 4 KiB."""
    left, total = left_kib // 4, max(1, total_kib // 4)
    shift = 16 if total >= 1 << 32 else 10
    res = 1000 - (left >> shift) * 1000 // (1 + (total >> shift))
    x = res // 50
    y = 20 - x
    bar = "\t[" + "=" * max(0, x - 1) + ">" + "." * y + "] "
    # MiB once the resync is over 4 GiB (drbd_proc.c:140-147)
    big = total > (4 << (30 - 12))
    amount = f"({(left >> 10) * 4}/{(total >> 10) * 4})M" if big else f"({left * 4}/{total * 4})K"
    line1 = f"{bar}sync'ed:{res // 10:3d}.{res % 10}% {amount}"
    dt = max(1, min(int(elapsed), 18))
    db = min(total - left, rate // 4 * dt)
    rt = (dt * (left // (db // 100 + 1))) // 100
    dbdt = db // dt * 4
    dt_all = max(1, int(elapsed))
    avg = (total - left) // dt_all * 4
    line2 = f"\tfinish: {rt // 3600}:{rt % 3600 // 60:02d}:{rt % 60:02d} speed: {_grouped(dbdt)} ({_grouped(avg)})"
    if target:
        line2 += f" want: {_grouped(rate)}"
    line2 += " K/sec"
    return [line1, line2]


def _sync_of(state: State, res: str, node: str, vnr: str) -> tuple[str, dict[str, Any]] | None:
    for key, s in settings(state)["syncs"].items():
        r, src, dst, v = key.split("|")
        if r == res and v == vnr and node in (src, dst):
            return key, s
    return None


def render_proc_drbd(state: State, node: str, now: float) -> str:
    """The node's /proc/drbd: 8.4 header and one entry per minor (blank line before gaps), or the 9 header."""
    if drbd_version(state) == "9":
        rel, _shown, _code, build = _K9
        return f"version: {rel} (api:2/proto:86-121)\nGIT-hash: {build}\nTransports (api:18): tcp ({rel})\n"
    _rel, shown, _code, build = _K84
    lines = [f"version: {shown} (api:1/proto:86-101)", f"GIT-hash: {build}"]
    minors: list[tuple[int, str, str]] = []
    for res in node_resources(state, node):
        kr = kernel_res(state, node, res)
        assert kr is not None
        minors.extend((int(kv["minor"]), res, vnr) for vnr, kv in kr["vols"].items())
    prev = -1
    for minor, res, vnr in sorted(minors):
        if prev != minor - 1:
            lines.append("")
        prev = minor
        lines.extend(_proc_device_84(state, node, res, vnr, minor, now=now))
    return "\n".join(lines) + "\n"


def _proc_device_84(state: State, node: str, res: str, vnr: str, minor: int, *, now: float) -> list[str]:
    kr = kernel_res(state, node, res)
    assert kr is not None
    kv = kr["vols"][vnr]
    cs = cstate_84(state, node, res, vnr)
    disk = disk_state(state, node, res, vnr)
    if cs == "StandAlone" and disk == "Diskless" and kr["role"] == "Secondary":
        return [f"{minor:2d}: cs:Unconfigured"]
    peer = next(iter(sorted(kr["peers"])), None)
    prole = peer_role(state, node, res, peer) if peer else "Unknown"
    pdisk = peer_disk_state(state, node, res, peer, vnr) if peer else "DUnknown"
    net = dict((k, v) for k, v in (kr["peers"][peer].get("net") or [])) if peer else {}
    proto = net.get("protocol", "C") if peer and kr["peers"][peer].get("net") is not None else " "
    st = kv["stats"]
    oos = 0
    sync = _sync_of(state, res, node, vnr)
    md = settings(state)["md"].get(node, {}).get(res, {}).get(vnr)
    if sync is not None:
        oos = sync_progress(state, sync[0], now)[0]
    elif md is not None and peer is not None:
        oos = int(md["oos"].get(peer, 0))
    lines = [
        f"{minor:2d}: cs:{cs} ro:{kr['role']}/{prole} ds:{disk}/{pdisk} {proto} r-----",
        f"    ns:{st['ns']} nr:{st['nr']} dw:{st['dw']} dr:{st['dr']} al:{st['al']} bm:{st['bm']} lo:0 pe:0 ua:0 "
        f"ap:0 ep:1 wo:f oos:{oos}",
    ]
    if sync is not None and cs in ("SyncSource", "SyncTarget"):
        left, total, elapsed = sync_progress(state, sync[0], now)
        lines.extend(_progress_lines(left, total, elapsed, int(sync[1]["rate"]), cs == "SyncTarget"))
    return lines
