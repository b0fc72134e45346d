# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated Xen hypervisors: guests per node, their lifecycle and migrations, kept in state["xen"].

Everything lives in the shared world (xenha_sim.world) as plain JSON:

    state["xen"] = {
      "hosts": {"ha1": {"boot_time": T, "next_domid": 4, "domains": {"3": DOMAIN, ...}}},
      "config": {"shutdown_delay": 1.0, "migrate_s_per_gib": 1.0, ...},     # see DEFAULTS
      "faults": {"migrate_fail_at": 0.5},                                    # fraction of a migration, or absent
      "guests": {"web1": {"shutdown_delay": 30, "ignore_shutdown": true}},   # per guest name, survives migration
      "reserved_mib": {"ha2": 15000},                                        # memory taken by "something else"
      "migrations": {"7": MIGRATION}, "next_migration": 8,
    }

A DOMAIN record has the guest's parsed config (`config`, see domuconf.DomUConfig.to_json), its displayed `name`
(which changes during migrations), the guest's own name `base`, a `role` ("normal", "incoming" on a migration
target, "migrating" on its source), `run` ("running", "paused", "suspended", "crashed"), cpu accounting, a pending
shutdown, and the DRBD resources its block-drbd disks promoted (`drbd`).

Time-driven changes (a guest finishing its shutdown, a migration progressing) are stored as start times and
applied by `advance(state, now)`, which the world calls before every transaction. `advance` also enforces the
invariant of the lab: no guest ever runs on two nodes at once (SplitBrain is raised, loudly, otherwise).

A node may have a /proc/xen/capabilities of its own (path in state["nodes"][n]["xen_capabilities"], see
set_capabilities_file): `after_save` keeps it as Linux would, `control_d` while the node is up, and neither the file
nor its directory while it is down (a kernel without Xen has no /proc/xen), so that a program told the path
(XENHA_PROC_XEN_CAPABILITIES) sees the same node the simulated tools show.

Migrations follow the real tools (GRAMMAR.md §4.4, tools/xl/xl_migrate.c, xend XendCheckpoint.py):
  xl: during the transfer the source keeps its name and keeps running while the target shows `NAME--incoming`
      paused (`--p---`); in the final handshake the source is suspended (`---ss-`) and renamed
      `NAME--migratedaway`; then the target is renamed NAME and unpaused and the source destroyed.
  xm: xend renames the source `migrating-NAME` for the whole transfer; the target shows NAME paused.
The block-drbd script of the target runs when libxl attaches the disks, which it does after the memory stream
(domcreate_launch_dm runs after domcreate_stream_done), so a DRBD disk that cannot be promoted on the target fails
the migration at the end of the transfer, not at its start.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

from xenha_sim.domuconf import DomUConfig
from xenha_sim.world import State, link_up, log_event, node_state

__all__ = [
    "DEFAULTS",
    "DiskAttachFailed",
    "DomainView",
    "HostUnreachable",
    "NameInUse",
    "NoSuchDomain",
    "NotEnoughMemory",
    "SplitBrain",
    "XenSimError",
    "advance",
    "after_save",
    "clear_fault",
    "crash_guest",
    "crash_node",
    "create_domain",
    "destroy_domain",
    "find_domain",
    "free_memory_mib",
    "get_domain",
    "list_domains",
    "migration",
    "on_node_crash",
    "on_node_restart",
    "pause_domain",
    "request_shutdown",
    "reserve_memory",
    "resolve_host",
    "restart_node",
    "set_capabilities_file",
    "set_config",
    "set_guest_behaviour",
    "set_migrate_fail_at",
    "set_memory",
    "set_tool_hang",
    "start_migration",
    "tool_hang",
    "unpause_domain",
]

Record = dict[str, Any]

DEFAULTS: dict[str, float] = {
    "shutdown_delay": 1.0,  # seconds a guest takes to shut down after `xl shutdown`
    "reboot_delay": 1.0,  # seconds a guest takes to reboot after `xl reboot`
    "migrate_s_per_gib": 1.0,  # migration time per GiB of guest memory
    "migrate_min_s": 0.3,  # no migration is faster than this
    "migrate_final_fraction": 0.1,  # share of a migration spent in the final handshake (source suspended)
    "cpu_idle_rate": 0.02,  # CPU seconds per second per vCPU of an idle (blocked) guest
    "cpu_busy_rate": 0.9,  # ... of a busy (running) guest
    "dom0_vcpus": 4,
    "migration_keep_s": 300.0,  # finished migration records are kept this long for the tool to report
}
_LIVE = ("running", "paused", "suspended")
_COUNTED_ROLES = ("normal", "migrating")


class XenSimError(Exception):
    """Base of the failures the front ends translate into each tool's own messages."""


class NoSuchDomain(XenSimError):
    """No domain with that name (or id) on this node."""

    def __init__(self, ident: str) -> None:
        super().__init__(f"no domain {ident}")
        self.ident = ident


class NameInUse(XenSimError):
    """A domain with that name already exists on this node (libxl__domain_rename refuses; domid was used)."""

    def __init__(self, name: str, domid: int) -> None:
        super().__init__(f"domain with name {name!r} already exists")
        self.name = name
        self.domid = domid


class NotEnoughMemory(XenSimError):
    """The node has too little free memory for the guest."""

    def __init__(self, need_mib: int, free_mib: int, dom0_mib: int) -> None:
        super().__init__(f"need {need_mib} MiB, {free_mib} MiB free")
        self.need_mib = need_mib
        self.free_mib = free_mib
        self.dom0_mib = dom0_mib


class DiskAttachFailed(XenSimError):
    """A disk could not be attached: block-drbd could not promote, or a phy: DRBD device is not Primary."""

    def __init__(self, domid: int, devnum: int, target: str, detail: str) -> None:
        super().__init__(f"disk {target}: {detail}")
        self.domid = domid
        self.devnum = devnum
        self.target = target
        self.detail = detail


class HostUnreachable(XenSimError):
    """The migration target cannot be reached: `reason` is "unknown", "down" or "refused" (xend not running)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


class SplitBrain(AssertionError):
    """The world would run one guest on two nodes: a bug in whatever drove it there. Never caught by the sim."""


# -- state helpers ---------------------------------------------------------------------------------------------


def _xen(state: State) -> Record:
    xen: Record = state.setdefault("xen", {})
    for key in ("hosts", "config", "faults", "guests", "reserved_mib", "migrations"):
        xen.setdefault(key, {})
    xen.setdefault("next_migration", 1)
    return xen


def _cfg(state: State, key: str) -> float:
    value = _xen(state)["config"].get(key, DEFAULTS[key])
    return float(value)


def _host(state: State, node: str, now: float) -> Record:
    hosts: dict[str, Record] = _xen(state)["hosts"]
    host = hosts.get(node)
    if host is None:
        host = hosts[node] = {"boot_time": now, "next_domid": 1, "domains": {}}
    return host


def _alive(state: State, node: str) -> bool:
    record = node_state(state, node)
    return bool(record and record.get("alive"))


def _require_node(state: State, node: str) -> Record:
    record = node_state(state, node)
    if record is None:
        raise XenSimError(f"unknown node {node}")
    if not record.get("alive"):
        raise XenSimError(f"node {node} is down")
    return record


def _domains(state: State, node: str, now: float) -> dict[str, Record]:
    domains: dict[str, Record] = _host(state, node, now)["domains"]
    return domains


def _uuid(state: State, node: str, domid: int) -> str:
    raw = os.urandom(16).hex()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def _cpu_rate(state: State, rec: Record) -> float:
    if rec["run"] != "running":
        return 0.0
    per_vcpu = _cfg(state, "cpu_busy_rate") if rec.get("busy") else _cfg(state, "cpu_idle_rate")
    return per_vcpu * int(rec["vcpus"])


def _settle_cpu(state: State, rec: Record, now: float) -> None:
    """Fold the CPU time used since the last mark into cpu_s (call before changing `run`)."""
    mark = float(rec.get("cpu_mark", now))
    if now > mark:
        rec["cpu_s"] = float(rec.get("cpu_s", 0.0)) + (now - mark) * _cpu_rate(state, rec)
    rec["cpu_mark"] = max(now, mark)


def _set_run(state: State, rec: Record, run: str, now: float) -> None:
    _settle_cpu(state, rec, now)
    rec["run"] = run


def _drbd() -> Any:
    """The DRBD subsystem (another module of the simulator; imported lazily, only for guests with DRBD disks)."""
    from xenha_sim import drbdsim

    return drbdsim


def _guest(state: State, base: str) -> Record:
    guests: dict[str, Record] = _xen(state)["guests"]
    return guests.get(base, {})


# -- queries ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainView:
    """One row of the domain list as both toolstacks see it (Domain-0 included)."""

    domid: int
    name: str
    memory: int
    maxmem: int
    vcpus: int
    run: str
    busy: bool
    cpu_time: float
    uuid: str
    start_time: float
    config: DomUConfig | None

    @property
    def shutdown_reason(self) -> int | None:
        """libxl_shutdown_reason when the domain is shut down: 2 suspend, 3 crash; None while it is not."""
        return {"suspended": 2, "crashed": 3}.get(self.run)

    @property
    def xl_state(self) -> str:
        """The six xl state letters (tools/xl/xl_info.c list_domains): r b p s <reason from "-rscwS"> d."""
        running = "r" if self.run == "running" and self.busy else "-"
        blocked = "b" if self.run == "running" and not self.busy else "-"
        paused = "p" if self.run == "paused" else "-"
        shutdown = "s" if self.shutdown_reason is not None else "-"
        reason = "-rscwS"[self.shutdown_reason] if self.shutdown_reason is not None else "-"
        return f"{running}{blocked}{paused}{shutdown}{reason}-"

    @property
    def xm_state(self) -> str:
        """xend's six letters r b p s c d (XendConfig CONFIG_OLD_DOM_STATES); libxc reports crash as `c` only."""
        running = "r" if self.run == "running" and self.busy else "-"
        blocked = "b" if self.run == "running" and not self.busy else "-"
        paused = "p" if self.run == "paused" else "-"
        shutdown = "s" if self.run == "suspended" else "-"
        crashed = "c" if self.run == "crashed" else "-"
        return f"{running}{blocked}{paused}{shutdown}{crashed}-"

    @property
    def xm_status(self) -> int:
        """xend's (status N): 1 paused, 2 running, 3 suspended, 5 crashed (XendAPIConstants)."""
        return {"running": 2, "paused": 1, "suspended": 3, "crashed": 5}.get(self.run, 6)


def _view(state: State, rec: Record, now: float) -> DomainView:
    cpu = float(rec.get("cpu_s", 0.0))
    mark = float(rec.get("cpu_mark", now))
    if now > mark:
        cpu += (now - mark) * _cpu_rate(state, rec)
    return DomainView(
        domid=int(rec["domid"]),
        name=str(rec["name"]),
        memory=int(rec["memory"]),
        maxmem=int(rec.get("maxmem") or rec["memory"]),
        vcpus=int(rec["vcpus"]),
        run=str(rec["run"]),
        busy=bool(rec.get("busy")),
        cpu_time=cpu,
        uuid=str(rec["uuid"]),
        start_time=float(rec["started"]),
        config=DomUConfig.from_json(rec["config"]),
    )


def _dom0(state: State, node: str, now: float) -> DomainView:
    record = node_state(state, node) or {}
    boot = float(_host(state, node, now)["boot_time"])
    vcpus = int(record.get("cpus", _cfg(state, "dom0_vcpus")))
    return DomainView(
        domid=0,
        name="Domain-0",
        memory=int(record.get("dom0_mib", 1024)),
        maxmem=int(record.get("dom0_mib", 1024)),
        vcpus=vcpus,
        run="running",
        busy=True,
        cpu_time=max(0.0, now - boot) * 0.05 * vcpus,
        uuid="00000000-0000-0000-0000-000000000000",
        start_time=boot,
        config=None,
    )


def list_domains(state: State, node: str, now: float) -> list[DomainView]:
    """Every domain on the node, Domain-0 first, then by domid (libxl_list_domain order)."""
    _require_node(state, node)
    views = [_dom0(state, node, now)]
    domains = _domains(state, node, now)
    views.extend(_view(state, domains[key], now) for key in sorted(domains, key=int))
    return views


def find_domain(state: State, node: str, ident: str, now: float) -> DomainView:
    """The domain named `ident` (or with that domid when `ident` is all digits) on the node, else NoSuchDomain."""
    for view in list_domains(state, node, now):
        if (ident.isdigit() and view.domid == int(ident)) or view.name == ident:
            return view
    raise NoSuchDomain(ident)


def get_domain(state: State, node: str, domid: int, now: float) -> Record:
    """The stored record of a guest (not Domain-0), for changes; NoSuchDomain when absent."""
    rec = _domains(state, node, now).get(str(domid))
    if rec is None:
        raise NoSuchDomain(str(domid))
    return rec


def free_memory_mib(state: State, node: str, now: float) -> int:
    """What `xl info` reports as free_memory: total less Domain-0, every guest and any reservation (fault)."""
    record = node_state(state, node) or {}
    used = sum(int(r["memory"]) for r in _domains(state, node, now).values())
    reserved = int(_xen(state)["reserved_mib"].get(node, 0))
    total = int(record.get("memory_mib", 16384))
    return max(0, total - int(record.get("dom0_mib", 1024)) - used - reserved)


def resolve_host(state: State, host: str) -> str | None:
    """The simulated node a migration target names: its node name, its `address`, or one of its `aliases`."""
    nodes: dict[str, Record] = state.get("nodes", {})
    short = host.split(".", 1)[0]
    for name, record in nodes.items():
        if host in (name, record.get("address")) or short == name:
            return name
        if host in record.get("aliases", ()):
            return name
    return None


def tool_hang(state: State, node: str, tool: str) -> float:
    """Seconds the node's `tool` (xl or xm) sleeps before answering (fault state["nodes"][n]["hang"][tool])."""
    record = node_state(state, node) or {}
    hang: dict[str, float] = record.get("hang") or {}
    return float(hang.get(tool, 0.0) or 0.0)


def migration(state: State, mig_id: str) -> Record | None:
    """A migration record (the tool that started it polls it until `result` is set)."""
    found: Record | None = _xen(state)["migrations"].get(mig_id)
    return found


# -- lifecycle -------------------------------------------------------------------------------------------------


def _new_domid(state: State, node: str, now: float) -> int:
    host = _host(state, node, now)
    domid = int(host["next_domid"])
    host["next_domid"] = domid + 1
    return domid


def _attach_disks(state: State, node: str, domid: int, cfg: DomUConfig) -> list[str]:
    """Run the hotplug step of every DRBD disk; return the resources block-drbd promoted, or raise."""
    opened: list[str] = []
    try:
        for disk in cfg.disks:
            resource = disk.drbd_resource
            minor = disk.drbd_minor
            if disk.uses_block_drbd and resource:
                error = _drbd().block_drbd_open(state, node, resource)
                if error:
                    raise DiskAttachFailed(domid, disk.devnum, disk.target, str(error))
                opened.append(resource)
            elif resource is not None or minor is not None:
                drbd = _drbd()
                if resource is None and minor is not None:
                    resource = drbd.resource_for_minor(state, node, minor)
                if resource is None:
                    raise DiskAttachFailed(domid, disk.devnum, disk.target, "no such DRBD device")
                role = drbd.role_of(state, node, resource)
                if role != "Primary" and disk.is_writable:
                    raise DiskAttachFailed(domid, disk.devnum, disk.target, f"{resource} is {role}, not Primary")
    except DiskAttachFailed:
        _detach_disks(state, node, opened)
        raise
    return opened


def _detach_disks(state: State, node: str, resources: list[str]) -> None:
    """block-drbd's `remove`: demote what its `add` promoted (only on a live node: a dead one has no DRBD)."""
    if not resources or not _alive(state, node):
        return
    drbd = _drbd()
    for resource in resources:
        drbd.block_drbd_close(state, node, resource)


def _instances(state: State, base: str) -> list[str]:
    """Nodes where guest `base` is a live instance (a migration counts once: at its source)."""
    found = []
    for node, host in _xen(state)["hosts"].items():
        if not _alive(state, node):
            continue
        for rec in host["domains"].values():
            if rec["base"] == base and rec["role"] in _COUNTED_ROLES and rec["run"] in _LIVE:
                found.append(node)
    return found


def _check_single_instance(state: State) -> None:
    seen: set[str] = set()
    for host in _xen(state)["hosts"].values():
        for rec in host["domains"].values():
            base = rec["base"]
            if base in seen:
                continue
            seen.add(base)
            nodes = _instances(state, base)
            if len(nodes) > 1:
                raise SplitBrain(f"xenha-sim: guest {base} is running on {' and '.join(sorted(nodes))}")


def _new_record(
    state: State, node: str, domid: int, cfg: DomUConfig, now: float, *, name: str, role: str, run: str, path: str
) -> Record:
    rec: Record = {
        "domid": domid,
        "name": name,
        "base": cfg.name,
        "role": role,
        "run": run,
        "busy": bool(_guest(state, cfg.name).get("busy", False)),
        "uuid": cfg.uuid or _uuid(state, node, domid),
        "memory": cfg.memory,
        "maxmem": cfg.maxmem,
        "vcpus": cfg.vcpus,
        "started": now,
        "cpu_s": 0.0,
        "cpu_mark": now,
        "shutdown_at": None,
        "shutdown_kind": None,
        "config": cfg.to_json(),
        "config_path": path,
        "drbd": [],
        "migration": None,
        "store_mfn": 8800000 + domid * 7,
        "console_mfn": 8700000 + domid * 5,
    }
    _domains(state, node, now)[str(domid)] = rec
    return rec


def create_domain(
    state: State, node: str, cfg: DomUConfig, now: float, *, config_path: str = "", paused: bool = False
) -> Record:
    """`xl create`: allocate memory and a domid, attach disks (block-drbd promotes), start; or raise."""
    record = _require_node(state, node)
    if any(r["name"] == cfg.name for r in _domains(state, node, now).values()):
        raise NameInUse(cfg.name, _new_domid(state, node, now))
    free = free_memory_mib(state, node, now)
    if cfg.memory > free:
        raise NotEnoughMemory(cfg.memory, free, int(record.get("dom0_mib", 1024)))
    elsewhere = [n for n in _instances(state, cfg.name) if n != node]
    if elsewhere:
        raise SplitBrain(f"xenha-sim: create of {cfg.name} on {node} while it runs on {', '.join(elsewhere)}")
    domid = _new_domid(state, node, now)
    opened = _attach_disks(state, node, domid, cfg)
    rec = _new_record(
        state,
        node,
        domid,
        cfg,
        now,
        name=cfg.name,
        role="normal",
        run="paused" if paused else "running",
        path=config_path,
    )
    rec["drbd"] = opened
    log_event(state, node, f"xen: created {cfg.name} (domid {domid})", now=now)
    _check_single_instance(state)
    return rec


def _remove(state: State, node: str, rec: Record, now: float, why: str) -> None:
    domains = _domains(state, node, now)
    domains.pop(str(rec["domid"]), None)
    _detach_disks(state, node, list(rec.get("drbd", [])))
    log_event(state, node, f"xen: {rec['name']} (domid {rec['domid']}) {why}", now=now)


def destroy_domain(state: State, node: str, domid: int, now: float) -> None:
    """`xl destroy`: the domain goes at once (a migration it belongs to fails and rolls back)."""
    rec = get_domain(state, node, domid, now)
    mig_id = rec.get("migration")
    if mig_id is not None:
        mig = migration(state, mig_id)
        if mig is not None and mig.get("result") is None:
            _finish_migration(state, mig, now, "failed_destroyed", destroyed=(node, domid))
            if str(domid) not in _domains(state, node, now):
                return
    _remove(state, node, rec, now, "destroyed")


def request_shutdown(state: State, node: str, domid: int, now: float, *, reboot: bool = False) -> None:
    """`xl shutdown`/`xl reboot`: the guest acts after its delay (or never, when it ignores the request)."""
    rec = get_domain(state, node, domid, now)
    if rec["shutdown_at"] is None:
        rec["shutdown_at"] = now
    rec["shutdown_kind"] = "reboot" if reboot else "poweroff"
    log_event(state, node, f"xen: {'reboot' if reboot else 'shutdown'} requested for {rec['name']}", now=now)


def pause_domain(state: State, node: str, domid: int, now: float) -> None:
    rec = get_domain(state, node, domid, now)
    if rec["run"] == "running":
        _set_run(state, rec, "paused", now)


def unpause_domain(state: State, node: str, domid: int, now: float) -> None:
    rec = get_domain(state, node, domid, now)
    if rec["run"] == "paused" and rec["role"] != "incoming":
        _set_run(state, rec, "running", now)


def set_memory(state: State, node: str, domid: int, mib: int, now: float) -> None:
    """`xl mem-set`: the balloon target (no bigger than maxmem)."""
    rec = get_domain(state, node, domid, now)
    rec["memory"] = max(1, min(int(mib), int(rec.get("maxmem", mib))))


def _shutdown_delay(state: State, rec: Record) -> float | None:
    """Seconds the guest takes to act on a shutdown/reboot request; None when it ignores them."""
    guest = _guest(state, rec["base"])
    if guest.get("ignore_shutdown"):
        return None
    key = "reboot_delay" if rec["shutdown_kind"] == "reboot" else "shutdown_delay"
    delay = guest.get(key)
    if delay is None:
        delay = guest.get("shutdown_delay")
    return float(delay) if delay is not None else _cfg(state, key)


def _complete_shutdown(state: State, node: str, rec: Record, when: float, action: str = "") -> None:
    cfg = DomUConfig.from_json(rec["config"])
    if not action:
        action = cfg.on_reboot if rec["shutdown_kind"] == "reboot" else cfg.on_poweroff
    _remove(state, node, rec, when, "rebooted" if rec["shutdown_kind"] == "reboot" else "shut down")
    if action not in ("restart", "rename-restart", "coredump-restart"):
        return
    domid = _new_domid(state, node, when)
    try:
        opened = _attach_disks(state, node, domid, cfg)
    except DiskAttachFailed as exc:
        log_event(state, node, f"xen: {cfg.name} could not restart: {exc}", now=when)
        return
    new = _new_record(
        state, node, domid, cfg, when, name=cfg.name, role="normal", run="running", path=rec["config_path"]
    )
    new["drbd"] = opened
    new["uuid"] = rec["uuid"]


def crash_guest(state: State, node: str, name: str, now: float | None = None) -> None:
    """Fault: the guest kernel crashes. on_crash decides: preserve (the default here, so the crash stays visible
    as `---sc-` / `----c-`), destroy, or restart (a new domid)."""
    if now is None:
        now = time.time()
    view = find_domain(state, node, name, now)
    rec = get_domain(state, node, view.domid, now)
    _set_run(state, rec, "crashed", now)
    rec["shutdown_at"] = None
    log_event(state, node, f"xen: {name} crashed", now=now)
    action = DomUConfig.from_json(rec["config"]).on_crash or "preserve"
    if action in ("destroy", "coredump-destroy"):
        _remove(state, node, rec, now, "destroyed after crash")
    elif action in ("restart", "rename-restart", "coredump-restart"):
        _complete_shutdown(state, node, rec, now, action)


# -- migration -------------------------------------------------------------------------------------------------


def _pid_start(pid: int) -> str | None:
    """Field 22 (starttime) of /proc/PID/stat, to tell a live process from a reused pid; None when gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def start_migration(
    state: State,
    src: str,
    domid: int,
    host: str,
    now: float,
    *,
    tool: str = "xl",
    live: bool = True,
    pid: int | None = None,
) -> Record:
    """Begin `xl migrate`/`xm migrate`: check the target, reserve memory there, rename as the tool does."""
    _require_node(state, src)
    rec = get_domain(state, src, domid, now)
    if rec["role"] != "normal" or rec["run"] not in ("running", "paused"):
        raise XenSimError(f"domain {rec['name']} cannot be migrated now ({rec['role']}, {rec['run']})")
    dst = resolve_host(state, host)
    if dst is None:
        raise HostUnreachable(host, "unknown")
    if not _alive(state, dst) or (dst != src and not link_up(state, src, dst)):
        raise HostUnreachable(host, "down")
    dst_record = node_state(state, dst) or {}
    if tool == "xm" and not dst_record.get("xend_running", True):
        raise HostUnreachable(host, "refused")
    free = free_memory_mib(state, dst, now)
    if int(rec["memory"]) > free:
        raise NotEnoughMemory(int(rec["memory"]), free, int(dst_record.get("dom0_mib", 1024)))
    cfg = DomUConfig.from_json(rec["config"])
    cfg_json = dict(cfg.to_json())
    cfg_json["memory"] = int(rec["memory"])
    dst_cfg = DomUConfig.from_json(cfg_json)
    xen = _xen(state)
    mig_id = str(xen["next_migration"])
    xen["next_migration"] = int(mig_id) + 1
    duration = max(_cfg(state, "migrate_min_s"), int(rec["memory"]) / 1024 * _cfg(state, "migrate_s_per_gib"))
    final = duration * _cfg(state, "migrate_final_fraction")
    fail_at = xen["faults"].get("migrate_fail_at")
    dst_domid = _new_domid(state, dst, now)
    base = rec["base"]
    incoming = _new_record(
        state,
        dst,
        dst_domid,
        dst_cfg,
        now,
        name=f"{base}--incoming" if tool == "xl" else base,
        role="incoming",
        run="paused",
        path=rec["config_path"],
    )
    incoming["uuid"] = rec["uuid"]
    incoming["migration"] = mig_id
    rec["migration"] = mig_id
    rec["role"] = "migrating"
    if tool == "xm":
        rec["name"] = f"migrating-{base}"
        if not live:
            _set_run(state, rec, "suspended", now)
    mig: Record = {
        "id": mig_id,
        "base": base,
        "tool": tool,
        "src": src,
        "dst": dst,
        "host": host,
        "src_domid": domid,
        "dst_domid": dst_domid,
        "start": now,
        "attach_at": now + duration - final,
        "end": now + duration,
        "fail_at": None if fail_at is None else now + float(fail_at) * duration,
        "phase": "transfer",
        "result": None,
        "finished": None,
        "detail": "",
        "pid": pid,
        "pid_start": _pid_start(pid) if pid else None,
        "config_len": len(str(cfg_json)) + 5,
        "was_paused": rec["run"] == "paused",
    }
    xen["migrations"][mig_id] = mig
    log_event(state, src, f"xen: migrating {base} to {dst} ({duration:.1f} s)", now=now)
    return mig


def _finish_migration(
    state: State, mig: Record, now: float, result: str, *, destroyed: tuple[str, int] | None = None
) -> None:
    """End a migration: "ok" moves the guest to the target; anything else rolls back to the source."""
    src, dst = mig["src"], mig["dst"]
    src_rec = _domains(state, src, now).get(str(mig["src_domid"]))
    dst_rec = _domains(state, dst, now).get(str(mig["dst_domid"]))
    mig["result"] = result
    mig["finished"] = now
    if result == "ok":
        if src_rec is not None:
            _remove(state, src, src_rec, now, "migrated away")
        if dst_rec is not None:
            dst_rec["name"] = mig["base"]
            dst_rec["role"] = "normal"
            dst_rec["migration"] = None
            _set_run(state, dst_rec, "paused" if mig.get("was_paused") else "running", now)
            dst_rec["started"] = now
        log_event(state, dst, f"xen: {mig['base']} arrived from {src}", now=now)
        return
    if dst_rec is not None and destroyed != (dst, mig["dst_domid"]):
        _remove(state, dst, dst_rec, now, "destroyed (migration failed)")
    if src_rec is not None and _alive(state, src):
        src_rec["name"] = mig["base"]
        src_rec["role"] = "normal"
        src_rec["migration"] = None
        if src_rec["run"] in ("suspended", "paused", "running"):
            _set_run(state, src_rec, "paused" if mig.get("was_paused") else "running", now)
        if destroyed == (src, mig["src_domid"]):
            _remove(state, src, src_rec, now, "destroyed")
    log_event(state, src, f"xen: migration of {mig['base']} to {dst} failed ({result})", now=now)


def _advance_migration(state: State, mig: Record, now: float) -> None:
    if mig.get("pid") and _pid_start(int(mig["pid"])) != mig.get("pid_start"):
        _finish_migration(state, mig, now, "aborted")
        return
    events: list[tuple[float, str]] = [(float(mig["attach_at"]), "attach"), (float(mig["end"]), "end")]
    if mig.get("fail_at") is not None:
        events.append((float(mig["fail_at"]), "fail"))
    for when, what in sorted(events):
        if when > now or mig["result"] is not None:
            return
        if what == "fail":
            _finish_migration(state, mig, when, "failed_transfer" if mig["phase"] == "transfer" else "failed_target")
        elif what == "attach":
            _attach_on_target(state, mig, when)
        else:
            _finish_migration(state, mig, when, "ok")


def _attach_on_target(state: State, mig: Record, when: float) -> None:
    """End of the memory stream: libxl attaches the disks on the target, then the final handshake starts."""
    dst_rec = _domains(state, mig["dst"], when).get(str(mig["dst_domid"]))
    src_rec = _domains(state, mig["src"], when).get(str(mig["src_domid"]))
    if dst_rec is None or src_rec is None:
        _finish_migration(state, mig, when, "failed_transfer")
        return
    try:
        dst_rec["drbd"] = _attach_disks(
            state, mig["dst"], int(dst_rec["domid"]), DomUConfig.from_json(dst_rec["config"])
        )
    except DiskAttachFailed as exc:
        mig["detail"] = exc.detail
        mig["devnum"] = exc.devnum
        _finish_migration(state, mig, when, "failed_disks")
        return
    mig["phase"] = "final"
    _set_run(state, src_rec, "suspended", when)
    if mig["tool"] == "xl":
        src_rec["name"] = f"{mig['base']}--migratedaway"


# -- the world hooks -------------------------------------------------------------------------------------------


def advance(state: State, now: float) -> None:
    """Apply everything due by `now`: finished shutdowns and reboots, migration steps; then check the invariant."""
    xen = state.get("xen")
    if not xen or not xen.get("hosts"):
        return
    xen = _xen(state)
    for mig in list(xen["migrations"].values()):
        if mig["result"] is None:
            _advance_migration(state, mig, now)
        elif now - float(mig["finished"]) > _cfg(state, "migration_keep_s"):
            del xen["migrations"][mig["id"]]
    for node, host in xen["hosts"].items():
        for rec in list(host["domains"].values()):
            if rec.get("shutdown_at") is None or rec["run"] != "running" or rec["role"] != "normal":
                continue
            delay = _shutdown_delay(state, rec)
            if delay is not None and now >= float(rec["shutdown_at"]) + delay:
                _complete_shutdown(state, node, rec, float(rec["shutdown_at"]) + delay)
    _check_single_instance(state)


def after_save(state: State, now: float) -> None:
    """Rewrite each node's capabilities file that changed: `control_d` when up; file and directory gone when down."""
    for record in state.get("nodes", {}).values():
        path = record.get("xen_capabilities")
        if path:
            _write_capabilities(path, bool(record.get("alive")))


def _write_capabilities(path: str, alive: bool) -> None:
    # Linux: drivers/xen/xenfs/super.c capabilities_read gives "control_d\n" in dom0; without Xen there is no /proc/xen
    # (drivers/xen/xenbus/xenbus_probe.c xenbus_init creates that mount point only when xen_domain()).
    try:
        with open(path, encoding="ascii") as handle:
            current: str | None = handle.read()
    except OSError:
        current = None
    wanted = "control_d\n" if alive else None
    if current == wanted:
        return
    directory = os.path.dirname(path)
    if wanted is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        with contextlib.suppress(OSError):  # only its own, empty directory goes
            os.rmdir(directory)
        return
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(wanted)
    os.replace(tmp, path)


def set_capabilities_file(state: State, node: str, path: str) -> None:
    """Give `node` its own /proc/xen/capabilities at `path`, kept by after_save from the next saved change on.

    `path` should be a file in a directory of its own (`.../proc_xen/capabilities`): while the node is down both go,
    as /proc/xen does on a kernel without Xen; a directory without the file would be xenfs not mounted under Xen.
    """
    record = node_state(state, node)
    if record is None:
        raise XenSimError(f"unknown node {node}")
    record["xen_capabilities"] = path
    _xen(state)  # the world runs a subsystem's hooks only once its section holds something


def on_node_crash(state: State, node: str, now: float | None = None) -> None:
    """faults.crash_node hook: the node's guests vanish; migrations to or from it fail."""
    stamp = time.time() if now is None else now
    xen = _xen(state)
    for mig in xen["migrations"].values():
        if mig["result"] is None and node in (mig["src"], mig["dst"]):
            _finish_migration(state, mig, stamp, "src_crashed" if node == mig["src"] else "dst_crashed")
    host = xen["hosts"].get(node)
    if host is not None:
        host["domains"] = {}


def on_node_restart(state: State, node: str, now: float | None = None) -> None:
    """faults.restart_node hook: a fresh hypervisor (no guests, domids from 1, uptime from now)."""
    stamp = time.time() if now is None else now
    _xen(state)["hosts"][node] = {"boot_time": stamp, "next_domid": 1, "domains": {}}


def crash_node(state: State, node: str, now: float | None = None) -> None:
    """Crash only the Xen side of a node (faults.crash_node does every subsystem and marks the node dead)."""
    on_node_crash(state, node, now)


def restart_node(state: State, node: str, now: float | None = None) -> None:
    """Restart only the Xen side of a node (see faults.restart_node for the whole node)."""
    on_node_restart(state, node, now)


# -- fault and configuration setters (the xenha-sim CLI calls these) -------------------------------------------


def set_tool_hang(state: State, node: str, tool: str, seconds: float) -> None:
    """Fault: the node's `xl`/`xm` sleeps `seconds` before answering (0 clears)."""
    record = node_state(state, node)
    if record is None:
        raise XenSimError(f"unknown node {node}")
    record.setdefault("hang", {})[tool] = float(seconds)


def set_guest_behaviour(
    state: State,
    name: str,
    *,
    shutdown_delay: float | None = None,
    reboot_delay: float | None = None,
    ignore_shutdown: bool | None = None,
    busy: bool | None = None,
) -> None:
    """Fault/behaviour of one guest (by name, so it survives migration): slow or ignored shutdown, busy CPU."""
    guest = _xen(state)["guests"].setdefault(name, {})
    for key, value in (
        ("shutdown_delay", shutdown_delay),
        ("reboot_delay", reboot_delay),
        ("ignore_shutdown", ignore_shutdown),
        ("busy", busy),
    ):
        if value is not None:
            guest[key] = value
    if busy is not None:
        for host in _xen(state)["hosts"].values():
            for rec in host["domains"].values():
                if rec["base"] == name:
                    _settle_cpu(state, rec, time.time())
                    rec["busy"] = busy


def set_migrate_fail_at(state: State, fraction: float | None) -> None:
    """Fault: every migration fails when this fraction of it has passed (None clears). In the last
    `migrate_final_fraction` the failure is the target's ("Migration failed due to problems at target.")."""
    faults = _xen(state)["faults"]
    if fraction is None:
        faults.pop("migrate_fail_at", None)
    else:
        faults["migrate_fail_at"] = max(0.0, min(1.0, float(fraction)))


def clear_fault(state: State, name: str) -> None:
    """Remove a fault by its key in state["xen"]["faults"]."""
    _xen(state)["faults"].pop(name, None)


def reserve_memory(state: State, node: str, mib: int) -> None:
    """Fault: `mib` of the node's memory is taken by something else (0 clears), so guests no longer fit."""
    reserved = _xen(state)["reserved_mib"]
    if mib:
        reserved[node] = int(mib)
    else:
        reserved.pop(node, None)


def set_config(state: State, **values: float) -> None:
    """Change simulator timing (keys of DEFAULTS)."""
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise XenSimError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    _xen(state)["config"].update({k: float(v) for k, v in values.items()})
