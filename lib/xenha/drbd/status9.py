"""Parse DRBD 9 `drbdsetup status` (text, --json), `show --json` and `events2`; raise ParseError on anything else."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from xenha.drbd.proc import ConnState, DiskState, DrbdVolume, ReplState, Role
from xenha.errors import ParseError

__all__ = [
    "TOOL_EVENTS2",
    "TOOL_SHOW_JSON",
    "TOOL_STATUS",
    "TOOL_STATUS_JSON",
    "Action",
    "Connection9",
    "Device9",
    "Event2",
    "EventObject",
    "Events2",
    "Path9",
    "PeerDevice9",
    "Resource9",
    "Resync9",
    "ResyncSuspend",
    "ShowConnection9",
    "ShowResource9",
    "ShowVolume9",
    "Skipped",
    "SuspendReason",
    "WriteOrdering",
    "events2_state",
    "parse_events2",
    "parse_show_json",
    "parse_status_json",
    "parse_status_text",
    "volumes",
]

TOOL_STATUS = "drbdsetup status"
TOOL_STATUS_JSON = "drbdsetup status --json"
TOOL_SHOW_JSON = "drbdsetup show --json"
TOOL_EVENTS2 = "drbdsetup events2"


# ---------------------------------------------------------------------------------------------------------------------
# Enums that only DRBD 9 has (the shared state names live in xenha.drbd.proc)


class SuspendReason(Enum):
    """Why a resource's I/O is suspended (susp_str in drbd-utils user/v9/drbdsetup.c, printed in this order)."""

    USER = "user"
    NO_DATA = "no-data"
    FENCING = "fencing"
    QUORUM = "quorum"


class ResyncSuspend(Enum):
    """Why a peer device's resync is suspended (resync_susp_str; `max-parallel` from later drbd-utils)."""

    USER = "user"
    PEER = "peer"
    DEPENDENCY = "dependency"
    MAX_PARALLEL = "max-parallel"


class WriteOrdering(Enum):
    """The write-ordering method in use (write_ordering_str)."""

    NONE = "none"
    DRAIN = "drain"
    FLUSH = "flush"
    BARRIER = "barrier"


class Action(Enum):
    """The ACTION word of an events2 line (GRAMMAR §3.4)."""

    EXISTS = "exists"
    CREATE = "create"
    CHANGE = "change"
    DESTROY = "destroy"
    RENAME = "rename"
    CALL = "call"
    RESPONSE = "response"


class EventObject(Enum):
    """The OBJECT word of an events2 line (GRAMMAR §3.4)."""

    RESOURCE = "resource"
    DEVICE = "device"
    CONNECTION = "connection"
    PEER_DEVICE = "peer-device"
    PATH = "path"
    HELPER = "helper"


# Replication states in which a resync is under way (the 8.x _SYNC_STATES of xenha.drbd.proc; verify is not a resync).
_SYNCING = frozenset(
    {
        ReplState.STARTING_SYNC_S,
        ReplState.STARTING_SYNC_T,
        ReplState.WF_BITMAP_S,
        ReplState.WF_BITMAP_T,
        ReplState.WF_SYNC_UUID,
        ReplState.SYNC_SOURCE,
        ReplState.SYNC_TARGET,
        ReplState.PAUSED_SYNC_S,
        ReplState.PAUSED_SYNC_T,
    }
)


# ---------------------------------------------------------------------------------------------------------------------
# The state model


@dataclass(frozen=True, slots=True)
class Path9:
    """One network path of a connection; addresses as events2 prints them (`ipv4:10.0.0.1:7789`)."""

    local: str
    peer: str
    established: bool | None = None


@dataclass(frozen=True, slots=True)
class Resync9:
    """The resync/verify details of `status --json` (has-sync-details true); rates in MiB/s, eta None for `nan`."""

    total: int
    dt_start_ms: int
    paused_ms: int
    dt0_ms: int
    db0_sectors: int
    dt1_ms: int
    db1_sectors: int
    want: float
    db0_dt0: float
    db1_dt1: float
    eta_seconds: float | None
    db_dt: float
    failed: int | None = None
    same_csum: int | None = None
    ov_start_sector: int | None = None
    ov_stop_sector: int | None = None
    ov_position: int | None = None
    ov_left: int | None = None
    ov_skipped: int | None = None

    @property
    def is_verify(self) -> bool:
        """True for online-verify details (the ov-* keys), False for a resync."""
        return self.ov_left is not None


@dataclass(frozen=True, slots=True)
class PeerDevice9:
    """One volume as replicated to one peer; None means the source did not report the field."""

    volume: int
    replication: ReplState
    peer_disk: DiskState
    peer_client: bool | None = None
    resync_suspended: tuple[ResyncSuspend, ...] = ()
    done: float | None = None
    percent_in_sync: float | None = None
    percent_resync_done: float | None = None
    received: int | None = None
    sent: int | None = None
    out_of_sync: int | None = None
    pending: int | None = None
    unacked: int | None = None
    resync: Resync9 | None = None

    @property
    def is_syncing(self) -> bool:
        return self.replication in _SYNCING

    @property
    def is_established(self) -> bool:
        return self.replication is ReplState.ESTABLISHED

    @property
    def is_peer_uptodate(self) -> bool:
        return self.peer_disk is DiskState.UPTODATE

    @property
    def sync_percent(self) -> float | None:
        """Resync progress in percent while syncing (`done:` or percent-resync-done), else None."""
        if not self.is_syncing:
            return None
        return self.done if self.done is not None else self.percent_resync_done


@dataclass(frozen=True, slots=True)
class Connection9:
    """The connection to one peer node; `name` is the conn-name (None when drbdsetup printed `node-id:N` only)."""

    peer_node_id: int | None
    name: str | None
    state: ConnState
    peer_role: Role
    congested: bool | None = None
    ap_in_flight: int | None = None
    rs_in_flight: int | None = None
    tls: bool | None = None
    sync_state: str | None = None
    paths: tuple[Path9, ...] = ()
    peer_devices: tuple[PeerDevice9, ...] = ()

    @property
    def is_connected(self) -> bool:
        return self.state is ConnState.CONNECTED

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role is Role.PRIMARY

    @property
    def is_split_brain(self) -> bool:
        """True when events2 reported `sync-state:SplitBrain` on this (StandAlone) connection."""
        return self.sync_state == "SplitBrain"

    def peer_device(self, volume: int) -> PeerDevice9 | None:
        for pd in self.peer_devices:
            if pd.volume == volume:
                return pd
        return None


@dataclass(frozen=True, slots=True)
class Device9:
    """One local volume; sizes in KiB; None means the source did not report the field."""

    volume: int
    minor: int | None
    disk: DiskState
    client: bool | None = None
    quorum: bool | None = None
    open: bool | None = None
    backing_dev: str | None = None
    size: int | None = None
    read: int | None = None
    written: int | None = None
    al_writes: int | None = None
    bm_writes: int | None = None
    upper_pending: int | None = None
    lower_pending: int | None = None
    al_suspended: bool | None = None
    blocked: str | None = None

    @property
    def is_uptodate(self) -> bool:
        return self.disk is DiskState.UPTODATE

    @property
    def is_diskless(self) -> bool:
        return self.disk is DiskState.DISKLESS

    @property
    def has_quorum(self) -> bool:
        """False only when quorum is reported lost (text status prints `quorum:` only when it is `no`)."""
        return self.quorum is not False


@dataclass(frozen=True, slots=True)
class Resource9:
    """One DRBD 9 resource as this node sees it: local role, devices and connections (with their peer devices)."""

    name: str
    node_id: int | None
    role: Role
    suspended: bool = False
    suspended_reasons: tuple[SuspendReason, ...] = ()
    force_io_failures: bool | None = None
    write_ordering: WriteOrdering | None = None
    may_promote: bool | None = None
    promotion_score: int | None = None
    devices: tuple[Device9, ...] = ()
    connections: tuple[Connection9, ...] = ()

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def any_peer_primary(self) -> bool:
        return any(c.is_peer_primary for c in self.connections)

    @property
    def is_dual_primary(self) -> bool:
        """This node and at least one peer are Primary (allow-two-primaries, e.g. during live migration)."""
        return self.is_primary and self.any_peer_primary

    @property
    def has_quorum(self) -> bool:
        return all(d.has_quorum for d in self.devices)

    @property
    def all_connected(self) -> bool:
        """At least one connection, and every connection is Connected."""
        return bool(self.connections) and all(c.is_connected for c in self.connections)

    @property
    def is_syncing(self) -> bool:
        return any(pd.is_syncing for c in self.connections for pd in c.peer_devices)

    @property
    def is_fully_uptodate(self) -> bool:
        """Every local disk UpToDate and, for every connection, a peer device per volume whose peer disk is UpToDate."""
        if not self.devices or not all(d.is_uptodate for d in self.devices):
            return False
        for c in self.connections:
            for d in self.devices:
                pd = c.peer_device(d.volume)
                if pd is None or not pd.is_peer_uptodate:
                    return False
        return True

    def device(self, volume: int) -> Device9 | None:
        for d in self.devices:
            if d.volume == volume:
                return d
        return None

    def connection(self, name: str) -> Connection9 | None:
        for c in self.connections:
            if c.name == name:
                return c
        return None


def volumes(resources: Iterable[Resource9]) -> tuple[DrbdVolume, ...]:
    """The 8.x-style view: one DrbdVolume per (device, connection), from the peer device when there is one.

    A device with no connection at all gives one DrbdVolume with cstate StandAlone and no peer. A connection that has
    no peer device for the volume (text status does not print peer devices of a connection that is not Connected)
    gives peer_role None, peer_disk None and the connection's state as cstate, so a down link to a third node is never
    hidden behind the links that are up. Peer devices whose volume has no local device are not reported.
    """
    out: list[DrbdVolume] = []
    for r in resources:
        for d in r.devices:
            if not r.connections:
                out.append(_volume(r, d, None, cstate=ConnState.STANDALONE, peer_role=None, peer=None))
            for c in r.connections:
                pd = c.peer_device(d.volume)
                if pd is None:
                    out.append(_volume(r, d, None, cstate=c.state, peer_role=None, peer=c.name))
                    continue
                cstate = c.state
                if cstate is ConnState.CONNECTED and pd.replication not in (ReplState.OFF, ReplState.ESTABLISHED):
                    cstate = ConnState(pd.replication.value)  # DrbdVolume's cstate rule (see its docstring)
                out.append(_volume(r, d, pd, cstate=cstate, peer_role=c.peer_role, peer=c.name))
    return tuple(out)


def _volume(
    r: Resource9, d: Device9, pd: PeerDevice9 | None, *, cstate: ConnState, peer_role: Role | None, peer: str | None
) -> DrbdVolume:
    return DrbdVolume(
        resource=r.name,
        minor=d.minor,
        volume=d.volume,
        role=r.role,
        peer_role=peer_role,
        cstate=cstate,
        disk=d.disk,
        peer_disk=None if pd is None else pd.peer_disk,
        sync_percent=None if pd is None else pd.sync_percent,
        peer=peer,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Value grammar shared by the text, JSON and events2 parsers


class _Bad(Exception):
    """Internal: a token does not match the grammar; the parser re-raises it as ParseError with the line."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _lookup(table: Mapping[str, Any], what: str) -> Callable[[str], Any]:
    def convert(value: str) -> Any:
        try:
            return table[value]
        except KeyError:
            raise _Bad(f"unknown {what} {value!r}") from None

    return convert


_role = _lookup({m.value: m for m in Role}, "role")
_disk = _lookup({m.value: m for m in DiskState}, "disk state")
_repl = _lookup({m.value: m for m in ReplState}, "replication state")
_WO_WORDS = {m.value: m for m in WriteOrdering}
_wo = _lookup(_WO_WORDS, "write-ordering")
_yesno = _lookup({"yes": True, "no": False}, "yes/no value")
# client:/open:/peer-client: print "unknown" when an older kernel does not say (no_yes_unknown_str).
_yesno_unknown = _lookup({"yes": True, "no": False, "unknown": None}, "yes/no/unknown value")
_blocked = _lookup({v: v for v in ("no", "upper", "lower", "upper,lower")}, "blocked value")
_sync_state = _lookup({"SplitBrain": "SplitBrain", "Unrelated": "Unrelated"}, "sync-state")
# DRBD 9 connection states only (GRAMMAR §3.5): no WFConnection/WFReportParams and no replication states.
_cstate = _lookup(
    {
        s.value: s
        for s in (
            ConnState.STANDALONE,
            ConnState.DISCONNECTING,
            ConnState.UNCONNECTED,
            ConnState.TIMEOUT,
            ConnState.BROKEN_PIPE,
            ConnState.NETWORK_FAILURE,
            ConnState.PROTOCOL_ERROR,
            ConnState.TEAR_DOWN,
            ConnState.CONNECTING,
            ConnState.CONNECTED,
        )
    },
    "connection state",
)

_UINT_RE = re.compile(r"[0-9]{1,20}")
_INT_RE = re.compile(r"-?[0-9]{1,20}")
_F2_RE = re.compile(r"-?[0-9]{1,20}\.[0-9]{2}")  # printf "%.2f"
_F0_RE = re.compile(r"-?(?:[0-9]{1,20}|nan|inf)")  # printf "%.0f" (eta: NAN when nothing moved yet)
_TOKEN_RE = re.compile(r"[^\s:]+")  # resource and connection names, helper names
_PATH_RE = re.compile(r"\S+")  # backing_dev path or "none"
_ADDR_RE = re.compile(r"[a-z][a-z0-9_]*:\S+")  # address_str: FAMILY:ADDR:PORT


def _uint(value: str) -> int:
    if not _UINT_RE.fullmatch(value):
        raise _Bad(f"expected an unsigned integer, got {value!r}")
    return int(value)


def _int(value: str) -> int:
    if not _INT_RE.fullmatch(value):
        raise _Bad(f"expected an integer, got {value!r}")
    return int(value)


def _f2(value: str) -> float:
    if not _F2_RE.fullmatch(value):
        raise _Bad(f"expected a %.2f number, got {value!r}")
    return float(value)


def _f0(value: str) -> float:
    if not _F0_RE.fullmatch(value):
        raise _Bad(f"expected a %.0f number, got {value!r}")
    return float(value)


def _token(value: str) -> str:
    if not _TOKEN_RE.fullmatch(value):
        raise _Bad(f"bad name {value!r}")
    return value


def _path(value: str) -> str:
    if not _PATH_RE.fullmatch(value):
        raise _Bad(f"bad path {value!r}")
    return value


def _addr(value: str) -> str:
    if not _ADDR_RE.fullmatch(value):
        raise _Bad(f"bad address {value!r}")
    return value


_SUSP_WORDS = {m.value: m for m in SuspendReason} | {"no-disk": SuspendReason.NO_DATA}  # "no-disk": 8.9 utils
_SUSP_ORDER = {m: i for i, m in enumerate(SuspendReason)}
_RSUSP_WORDS = {m.value: m for m in ResyncSuspend}
_RSUSP_ORDER = {m: i for i, m in enumerate(ResyncSuspend)}


def _susp(value: str) -> tuple[SuspendReason, ...]:
    """`no` or a comma-joined subset of user,no-data,fencing,quorum; returned in susp_str's order."""
    if value == "no":
        return ()
    words = value.split(",")
    try:
        reasons = {_SUSP_WORDS[w] for w in words}
    except KeyError:
        raise _Bad(f"unknown suspended value {value!r}") from None
    if len(reasons) != len(words):
        raise _Bad(f"repeated word in suspended value {value!r}")
    return tuple(sorted(reasons, key=_SUSP_ORDER.__getitem__))


def _rsusp(value: str) -> tuple[ResyncSuspend, ...]:
    """`no` or a comma-joined subset of user,peer,dependency(,max-parallel)."""
    if value == "no":
        return ()
    words = value.split(",")
    try:
        reasons = {_RSUSP_WORDS[w] for w in words}
    except KeyError:
        raise _Bad(f"unknown resync-suspended value {value!r}") from None
    if len(reasons) != len(words):
        raise _Bad(f"repeated word in resync-suspended value {value!r}")
    return tuple(sorted(reasons, key=_RSUSP_ORDER.__getitem__))


def _rsusp_known(value: str) -> tuple[ResyncSuspend, ...]:
    """The resync-suspended words this parser knows, in resync_susp_str's order; unknown words are left out (JSON)."""
    if value == "no":
        return ()
    reasons = {_RSUSP_WORDS[w] for w in value.split(",") if w in _RSUSP_WORDS}
    return tuple(sorted(reasons, key=_RSUSP_ORDER.__getitem__))


_Conv = Callable[[str], Any]

# key -> (model attribute or None to validate and drop, converter); shared by text status and events2.
_RES_KEYS: dict[str, tuple[str | None, _Conv]] = {
    "role": ("role", _role),
    "suspended": ("suspended_reasons", _susp),  # also sets `suspended`
    "force-io-failures": ("force_io_failures", _yesno),
    "write-ordering": ("write_ordering", _wo),
}
_DEV_KEYS: dict[str, tuple[str | None, _Conv]] = {
    "minor": ("minor", _uint),
    "disk": ("disk", _disk),
    "client": ("client", _yesno_unknown),
    "backing_dev": ("backing_dev", _path),
    "quorum": ("quorum", _yesno),
    "open": ("open", _yesno_unknown),  # drbd-utils >= 9.30
    "size": ("size", _uint),
    "read": ("read", _uint),
    "written": ("written", _uint),
    "al-writes": ("al_writes", _uint),
    "bm-writes": ("bm_writes", _uint),
    "upper-pending": ("upper_pending", _uint),
    "lower-pending": ("lower_pending", _uint),
    "al-suspended": ("al_suspended", _yesno),
    "blocked": ("blocked", _blocked),
}
_CONN_KEYS: dict[str, tuple[str | None, _Conv]] = {
    "connection": ("state", _cstate),
    "role": ("peer_role", _role),
    "congested": ("congested", _yesno),
    "ap-in-flight": ("ap_in_flight", _uint),
    "rs-in-flight": ("rs_in_flight", _uint),
}
# print_peer_device_statistics: the rs-*/ov-*/rate/eta keys (-vv, events2 --statistics) are checked and dropped.
_PEER_KEYS: dict[str, tuple[str | None, _Conv]] = {
    "replication": ("replication", _repl),
    "peer-disk": ("peer_disk", _disk),
    "peer-client": ("peer_client", _yesno_unknown),
    "resync-suspended": ("resync_suspended", _rsusp),
    "done": ("done", _f2),
    "received": ("received", _uint),
    "sent": ("sent", _uint),
    "out-of-sync": ("out_of_sync", _uint),
    "pending": ("pending", _uint),
    "unacked": ("unacked", _uint),
    "rs-total": (None, _uint),
    "rs-dt-start-ms": (None, _int),
    "rs-paused-ms": (None, _int),
    "rs-dt0-ms": (None, _int),
    "rs-db0-sectors": (None, _int),
    "rs-dt1-ms": (None, _int),
    "rs-db1-sectors": (None, _int),
    "rs-failed": (None, _uint),
    "rs-same-csum": (None, _uint),
    "ov-start-sector": (None, _uint),
    "ov-stop-sector": (None, _int),
    "ov-position": (None, _int),
    "ov-left": (None, _uint),
    "ov-skipped": (None, _uint),
    "want": (None, _f2),
    "dbdt": (None, _f2),
    "dbdt0": (None, _f2),
    "dbdt1": (None, _f2),
    "eta": (None, _f0),
}


def _apply(attrs: dict[str, Any], table: Mapping[str, tuple[str | None, _Conv]], key: str, value: str) -> None:
    """Convert one key:value token into `attrs` (the caller has checked that `key` is in `table`)."""
    attr, conv = table[key]
    converted = conv(value)
    if attr is None:
        return
    attrs[attr] = converted
    if attr == "suspended_reasons":
        attrs["suspended"] = bool(converted)


def _split_kv(tokens: Iterable[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for tok in tokens:
        key, sep, value = tok.partition(":")
        if not sep or not key or not value:
            raise _Bad(f"expected key:value, got {tok!r}")
        if key in pairs:
            raise _Bad(f"key {key!r} given twice")
        pairs[key] = value
    return pairs


# ---------------------------------------------------------------------------------------------------------------------
# `drbdsetup status` / `drbdadm status` text (GRAMMAR §3.2)

_NO_DRBD = "# No currently configured DRBD found."
# An AsciiDoc listing delimiter left at the end of a documentation extract
# (drbd9/docs_9_drbdadm_status_4node_one_connecting.txt); accepted only as the last non-blank line.
_FENCE_RE = re.compile(r"-{4,}")
_BASE_INDENT = {"res": 0, "dev": 2, "conn": 2, "peer": 4}


@dataclass(slots=True)
class _Logical:
    """A logical status line: wrap_printf continuation lines already joined to it."""

    kind: str  # res, dev, conn, peer, blank, noconf, fence
    lineno: int
    line: str
    tokens: list[str]


def _status_lines(text: str) -> list[_Logical]:
    """Join wrap_printf continuation lines by indentation (GRAMMAR §3.2) before anything is matched.

    wrap_printf breaks a line before a token that would pass column 80 (non-tty) and indents the rest by the
    production's continuation indent: resource 4, device 6, connection 6, peer device 8. Documentation re-wraps
    by hand at other columns (drbd9/docs_9_drbdsetup_status_verbose_statistics_4node.txt uses 40-59), so any
    indentation deeper than the production's own indent continues it; only indent 2 (device/connection) and,
    below a connection, indent 4 (peer device) start new lines.
    """
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    out: list[_Logical] = []
    cur: _Logical | None = None
    count = len(raw_lines)
    for idx, raw in enumerate(raw_lines):
        lineno = idx + 1
        line = raw.rstrip(" ")  # trailing blanks (pasted samples) carry no information
        if not line:
            nxt = raw_lines[idx + 1] if idx + 1 < count else None
            if (
                cur is not None
                and cur.kind == "conn"
                and any(t.startswith("role:") for t in cur.tokens)
                and nxt is not None
                and (not nxt.strip() or nxt[0] == " ")
            ):
                # An empty peer-device line: peer_device_status prints nothing but its "\n" for the only device
                # (volume 0) when replication is Off and the peer disk DUnknown (drbdsetup.c peer_device_status).
                cur = _Logical("peer", lineno, raw, [])
                out.append(cur)
                continue
            out.append(_Logical("blank", lineno, raw, []))
            cur = None
            continue
        if not line.isprintable():
            raise ParseError(TOOL_STATUS, lineno, raw, "control character (TAB or colour escape)")
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        tokens = body.split()
        first = tokens[0]
        if indent == 0:
            kind = "noconf" if body == _NO_DRBD else "fence" if _FENCE_RE.fullmatch(body) else "res"
            cur = _Logical(kind, lineno, raw, tokens)
            out.append(cur)
            if kind != "res":
                cur = None
            continue
        if cur is None:
            raise ParseError(TOOL_STATUS, lineno, raw, "indented line outside a resource")
        if indent == 2:
            kind = _dev_or_conn(first, lineno, raw)
        elif cur.kind in ("conn", "peer") and indent == 4:
            kind = "peer"
        elif indent <= _BASE_INDENT[cur.kind]:
            raise ParseError(TOOL_STATUS, lineno, raw, f"unexpected indentation {indent}")
        elif cur.kind == "dev" and indent == 6 and (":" not in first or first.startswith(("volume:", "node-id:"))):
            # drbd-utils wrap_printf bug fixed in commit 5344208f (drbd9/commitmsg_status_wrap_printf_indent_bug.txt):
            # device_status ends with wrap_printf(6, "\n") and the buggy version left that indentation for the next
            # line, so the next device or connection line starts at column 6. No device continuation can start with
            # a bare name, volume: or node-id:, so this is unambiguous.
            kind = _dev_or_conn(first, lineno, raw)
        else:
            cur.tokens.extend(tokens)
            continue
        cur = _Logical(kind, lineno, raw, tokens)
        out.append(cur)
    return out


def _dev_or_conn(first: str, lineno: int, raw: str) -> str:
    if first.startswith(("volume:", "disk:")):
        return "dev"
    if ":" not in first or first.startswith("node-id:"):
        return "conn"
    raise ParseError(TOOL_STATUS, lineno, raw, "neither a device nor a connection line")


@dataclass(slots=True)
class _TextRes:
    attrs: dict[str, Any]
    devices: list[Device9] = field(default_factory=list)
    conns: list[tuple[dict[str, Any], list[PeerDevice9]]] = field(default_factory=list)

    def finish(self) -> Resource9:
        conns = tuple(Connection9(**a, peer_devices=tuple(p)) for a, p in self.conns)
        return Resource9(**self.attrs, devices=tuple(self.devices), connections=conns)


def parse_status_text(text: str) -> tuple[Resource9, ...]:
    """Parse `drbdsetup status [--verbose] [--statistics]` / `drbdadm status` text; raise ParseError on unknown syntax.

    Absent fields follow the printing rules of drbd-utils user/v9/drbdsetup.c (GRAMMAR §3.2): no `suspended:` means
    not suspended, no `connection:` means Connected, no `role:` on a connection means Unknown (it is printed whenever
    the connection is Connected), no `replication:` means Established on a Connected connection and Off otherwise,
    and no `volume:` means volume 0. Stale documentation prints `disk:` on peer-device lines
    (docs_9_drbdadm_status_*); it is read as `peer-disk:`. Peer-device statistics beyond the counters (-vv rs-*,
    rates, eta) are checked and dropped. A fragment that starts with an indented line
    (commitmsg_status_wrap_printf_indent_bug.txt) has no resource and raises ParseError.
    """
    logical = _status_lines(text)
    last = max((i for i, ll in enumerate(logical) if ll.kind != "blank"), default=-1)
    resources: list[Resource9] = []
    names: set[str] = set()
    res: _TextRes | None = None
    noconf = False
    for i, ll in enumerate(logical):
        try:
            if ll.kind in ("blank", "fence", "noconf", "res") and res is not None:
                resources.append(res.finish())
                res = None
            if ll.kind == "blank":
                continue
            if ll.kind == "fence":
                if i != last:
                    raise _Bad("a line of dashes is accepted only at the end of a documentation extract")
                continue
            if ll.kind == "noconf":
                if resources or noconf:
                    raise _Bad("'No currently configured DRBD' next to resources")
                noconf = True
                continue
            if noconf:
                raise _Bad("output after 'No currently configured DRBD'")
            if ll.kind == "res":
                res = _text_resource(ll.tokens)
                if res.attrs["name"] in names:
                    raise _Bad(f"resource {res.attrs['name']!r} printed twice")
                names.add(res.attrs["name"])
                continue
            if res is None:  # pragma: no cover - _status_lines only emits these inside a resource
                raise _Bad("line outside a resource")
            if ll.kind == "dev":
                _text_device(res, ll.tokens)
            elif ll.kind == "conn":
                _text_connection(res, ll.tokens)
            else:
                _text_peer_device(res, ll.tokens)
        except _Bad as e:
            raise ParseError(TOOL_STATUS, ll.lineno, ll.line, e.why) from None
    if res is not None:
        resources.append(res.finish())
    return tuple(resources)


def _text_resource(tokens: list[str]) -> _TextRes:
    name = _token(tokens[0])
    attrs: dict[str, Any] = {"name": name, "node_id": None}
    for key, value in _split_kv(tokens[1:]).items():
        if key == "node-id":
            attrs["node_id"] = _uint(value)
        elif key in _RES_KEYS:
            _apply(attrs, _RES_KEYS, key, value)
        else:
            raise _Bad(f"unknown resource key {key!r}")
    if "role" not in attrs:
        raise _Bad("resource line without role:")
    return _TextRes(attrs)


def _text_device(res: _TextRes, tokens: list[str]) -> None:
    if res.conns:
        raise _Bad("device line after a connection line")
    pairs = _split_kv(tokens)
    attrs: dict[str, Any] = {"volume": 0, "minor": None}
    for key, value in pairs.items():
        if key == "volume":
            attrs["volume"] = _uint(value)
        elif key in _DEV_KEYS:
            _apply(attrs, _DEV_KEYS, key, value)
        else:
            raise _Bad(f"unknown device key {key!r}")
    if "disk" not in attrs:
        raise _Bad("device line without disk:")
    if any(d.volume == attrs["volume"] for d in res.devices):
        raise _Bad(f"volume {attrs['volume']} printed twice")
    res.devices.append(Device9(**attrs))


def _text_connection(res: _TextRes, tokens: list[str]) -> None:
    name: str | None = None
    if ":" not in tokens[0]:
        name = _token(tokens[0])
        tokens = tokens[1:]
    attrs: dict[str, Any] = {"peer_node_id": None, "name": name}
    paths: dict[str, str] = {}
    for key, value in _split_kv(tokens).items():
        if key == "node-id":
            attrs["peer_node_id"] = _uint(value)
        elif key == "tls":  # drbd-utils >= 9.30
            attrs["tls"] = _yesno(value)
        elif key in ("local", "peer"):  # early 9.0 --verbose printed the path on the connection line
            paths[key] = _addr(value)
        elif key in _CONN_KEYS:
            _apply(attrs, _CONN_KEYS, key, value)
        else:
            raise _Bad(f"unknown connection key {key!r}")
    if name is None and attrs["peer_node_id"] is None:
        raise _Bad("connection line without a name or node-id:")
    if paths:
        if len(paths) != 2:
            raise _Bad("connection path needs both local: and peer:")
        attrs["paths"] = (Path9(paths["local"], paths["peer"]),)
    if "state" not in attrs:
        if "peer_role" not in attrs:
            raise _Bad("connection line with neither connection: nor role:")
        attrs["state"] = ConnState.CONNECTED  # connection: is printed unless Connected
    attrs.setdefault("peer_role", Role.UNKNOWN)  # role: is printed whenever Connected
    if any(a["name"] == name and a["peer_node_id"] == attrs["peer_node_id"] for a, _ in res.conns):
        raise _Bad("connection printed twice")
    res.conns.append((attrs, []))


def _text_peer_device(res: _TextRes, tokens: list[str]) -> None:
    if not res.conns:
        raise _Bad("peer-device line before any connection")
    conn, peers = res.conns[-1]
    attrs: dict[str, Any] = {"volume": 0}
    for key, value in _split_kv(tokens).items():
        if key == "volume":
            attrs["volume"] = _uint(value)
        elif key == "disk":  # stale UG9 samples print disk: where drbdsetup prints peer-disk:
            if "peer_disk" in attrs:
                raise _Bad("both disk: and peer-disk: on a peer-device line")
            attrs["peer_disk"] = _disk(value)
        elif key in _PEER_KEYS:
            if key == "peer-disk" and "peer_disk" in attrs:
                raise _Bad("both disk: and peer-disk: on a peer-device line")
            _apply(attrs, _PEER_KEYS, key, value)
        else:
            raise _Bad(f"unknown peer-device key {key!r}")
    volume = attrs["volume"]
    if not any(d.volume == volume for d in res.devices):
        raise _Bad(f"peer device for volume {volume}, which has no device line")
    if any(p.volume == volume for p in peers):
        raise _Bad(f"peer device volume {volume} printed twice")
    if "peer_disk" not in attrs:
        # peer-disk: is printed unless replication is Off and the peer disk DUnknown
        if attrs.get("replication", ReplState.OFF) is not ReplState.OFF:
            raise _Bad("peer-device line without peer-disk:")
        attrs["peer_disk"] = DiskState.DUNKNOWN
        attrs["replication"] = ReplState.OFF
    elif "replication" not in attrs:
        # replication: is printed only above Established; Off otherwise (a connection that is not Connected).
        attrs["replication"] = ReplState.ESTABLISHED if conn["state"] is ConnState.CONNECTED else ReplState.OFF
    peers.append(PeerDevice9(**attrs))


# ---------------------------------------------------------------------------------------------------------------------
# JSON: `drbdsetup status --json` (GRAMMAR §3.3) and `drbdsetup show --json`

# printf("%.0f") of NaN/Inf gives nan, -nan, inf, -inf: invalid JSON (real sample
# drbd9/shaptools_drbdsetup_status_json_syncsource_nan.json). Rewritten outside strings only.
_NONFINITE_RE = re.compile(r'("(?:[^"\\]|\\.)*")|(?<![\w.])(-?)(nan|inf)(?![\w.])')
_TRAILING_COMMA_RE = re.compile(r'("(?:[^"\\]|\\.)*")|,(\s*[}\]])')


def _fix_nonfinite(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    # glibc prints a NaN with its sign bit set (0.0/0.0 on x86) as -nan; JSON readers know no -NaN.
    return "NaN" if m.group(3) == "nan" else m.group(2) + "Infinity"


def _drop_trailing_comma(m: re.Match[str]) -> str:
    return m.group(1) if m.group(1) is not None else m.group(2)


class _JBad(Exception):
    """Internal: a JSON value has the wrong shape; `path` names it (`$[0].connections[1].name`)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(why)
        self.path = path
        self.why = why


class _Pairs(list[tuple[str, object]]):
    """A JSON object kept as its key/value pairs (drbdsetup show --json repeats keys)."""

    __slots__ = ()


# The value of a key given twice in one object. Only a key the parser reads raises (in _jget): a repeated key it
# does not know is ignored like any other unknown key (printf JSON does repeat keys: show --json's "path").
_TWICE = object()


def _dict_no_dups(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                out[key] = _TWICE
            seen.add(key)
    return out


def _load_json(text: str, tool: str, hook: Callable[[list[tuple[str, object]]], object]) -> object:
    if "nan" in text or "inf" in text:
        text = _NONFINITE_RE.sub(_fix_nonfinite, text)
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as e:
        lines = text.splitlines()
        line = lines[e.lineno - 1] if 0 < e.lineno <= len(lines) else ""
        raise ParseError(tool, e.lineno, line, e.msg) from None
    except _JBad as e:
        raise ParseError(tool, 0, e.path, e.why) from None
    except (ValueError, RecursionError) as e:  # e.g. an integer too long to convert, absurd nesting
        raise ParseError(tool, 0, "", f"unreadable JSON: {e}") from None


def _jget(d: Mapping[str, object], path: str, key: str, required: bool) -> object:
    if key not in d:
        if required:
            raise _JBad(path, f"missing key {key!r}")
        return None
    value = d[key]
    if value is None or value is _TWICE:
        raise _JBad(f"{path}.{key}", "null" if value is None else "given twice in one object")
    return value


def _jstr(d: Mapping[str, object], path: str, key: str, required: bool = True) -> str | None:
    v = _jget(d, path, key, required)
    if v is None or isinstance(v, str):
        return v
    raise _JBad(f"{path}.{key}", "expected a string")


def _jint(d: Mapping[str, object], path: str, key: str, required: bool = True) -> int | None:
    v = _jget(d, path, key, required)
    if v is None or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    raise _JBad(f"{path}.{key}", "expected an integer")


def _juint(d: Mapping[str, object], path: str, key: str, required: bool = True) -> int | None:
    v = _jint(d, path, key, required)
    if v is not None and v < 0:
        raise _JBad(f"{path}.{key}", "expected an unsigned integer")
    return v


def _jvolume(d: Mapping[str, object], path: str) -> int:
    v = _juint(d, path, "volume")
    if v is None:  # pragma: no cover - required=True raises first
        raise _JBad(path, "missing key 'volume'")
    return v


def _jbool(d: Mapping[str, object], path: str, key: str, required: bool = True) -> bool | None:
    v = _jget(d, path, key, required)
    if v is None or isinstance(v, bool):
        return v
    raise _JBad(f"{path}.{key}", "expected true or false")


def _jfloat(d: Mapping[str, object], path: str, key: str, required: bool = True) -> float | None:
    v = _jget(d, path, key, required)
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    raise _JBad(f"{path}.{key}", "expected a number")


def _jlist(d: Mapping[str, object], path: str, key: str) -> list[object]:
    v = _jget(d, path, key, True)
    if not isinstance(v, list) or isinstance(v, _Pairs):
        raise _JBad(f"{path}.{key}", "expected an array")
    return v


def _jobj(v: object, path: str) -> dict[str, object]:
    if not isinstance(v, dict):
        raise _JBad(path, "expected an object")
    return v


def _jenum(d: Mapping[str, object], path: str, key: str, conv: _Conv) -> Any:
    value = _jstr(d, path, key)
    assert value is not None
    try:
        return conv(value)
    except _Bad as e:
        raise _JBad(f"{path}.{key}", e.why) from None


_J_SUSP = (
    ("suspended-user", SuspendReason.USER),
    ("suspended-no-data", SuspendReason.NO_DATA),
    ("suspended-fencing", SuspendReason.FENCING),
    ("suspended-quorum", SuspendReason.QUORUM),
)
_J_DEV_STATS = (
    ("size", "size"),
    ("read", "read"),
    ("written", "written"),
    ("al-writes", "al_writes"),
    ("bm-writes", "bm_writes"),
    ("upper-pending", "upper_pending"),
    ("lower-pending", "lower_pending"),
)
_J_PEER_COUNTERS = (
    ("received", "received"),
    ("sent", "sent"),
    ("out-of-sync", "out_of_sync"),
    ("pending", "pending"),
    ("unacked", "unacked"),
)
_J_RS_INTS = (
    ("rs-total", "total"),
    ("rs-dt-start-ms", "dt_start_ms"),
    ("rs-paused-ms", "paused_ms"),
    ("rs-dt0-ms", "dt0_ms"),
    ("rs-db0-sectors", "db0_sectors"),
    ("rs-dt1-ms", "dt1_ms"),
    ("rs-db1-sectors", "db1_sectors"),
)
_J_RS_FLOATS = (
    ("want", "want"),
    ("db0/dt0 [MiB/s]", "db0_dt0"),
    ("db1/dt1 [MiB/s]", "db1_dt1"),
    ("db/dt [MiB/s]", "db_dt"),
)
_J_RS_RESYNC = (("rs-failed", "failed"), ("rs-same-csum", "same_csum"))
_J_RS_VERIFY = (
    ("ov-start-sector", "ov_start_sector"),
    ("ov-stop-sector", "ov_stop_sector"),
    ("ov-position", "ov_position"),
    ("ov-left", "ov_left"),
    ("ov-skipped", "ov_skipped"),
)
_J_RS_KEYS = frozenset(
    {k for k, _ in _J_RS_INTS + _J_RS_FLOATS + _J_RS_RESYNC + _J_RS_VERIFY} | {"estimated-seconds-to-finish"}
)


def parse_status_json(text: str) -> tuple[Resource9, ...]:
    """Parse `drbdsetup status --json`; ignore keys it does not know, raise ParseError on a missing or mistyped one.

    Keys are looked up, never enumerated: a key this parser does not know is ignored at every level (resource,
    device, connection, path and its hosts, peer device), so is a repeated key it does not read, because a
    drbd-utils upgrade that adds a field must not fail a monitor. The values the agents decide on, everything
    `volumes` puts into a DrbdVolume (resource and connection names, role, peer-role, volume, minor, disk-state,
    connection-state, replication-state, peer-disk-state, percent-resync-done), must be known: an unknown one
    raises ParseError, as does a missing required key, a value of the wrong JSON type or null. Informational words
    that drbd-utils has extended before are read leniently: an unknown write-ordering becomes None, unknown
    resync-suspended words are left out (max-parallel came late), and `suspended: true` with no known
    suspended-* flag set (a new reason) stays suspended with no reasons.

    drbdsetup prints this JSON with printf (GRAMMAR §3.3), so the estimated-seconds-to-finish `%.0f` can be `nan`
    (shaptools_drbdsetup_status_json_syncsource_nan.json); such values become None. Both the old field set
    (drbd-utils 9.6: suspended only, no force-io-failures) and the 9.22 one (suspended-* flags) are read, as are the
    later `open`, `tls` and `paths` keys. JSON has no line numbers for semantic errors: ParseError then carries
    line number 0 and the JSON path of the offending value.
    """
    data = _load_json(text, TOOL_STATUS_JSON, _dict_no_dups)
    try:
        if not isinstance(data, list):
            raise _JBad("$", "expected an array of resources")
        resources = tuple(_json_resource(_jobj(r, f"$[{i}]"), f"$[{i}]") for i, r in enumerate(data))
        if len({r.name for r in resources}) != len(resources):
            raise _JBad("$", "a resource is listed twice")
        return resources
    except _JBad as e:
        raise ParseError(TOOL_STATUS_JSON, 0, e.path, e.why) from None


def _json_resource(d: dict[str, object], path: str) -> Resource9:
    node_id = _jint(d, path, "node-id")
    assert node_id is not None
    if node_id < -1:
        raise _JBad(f"{path}.node-id", "expected a node id or -1")
    suspended = _jbool(d, path, "suspended")
    flags = [(_jbool(d, path, key, required=False), reason) for key, reason in _J_SUSP]
    present = [flag for flag, _ in flags if flag is not None]
    if present and len(present) != len(flags):
        raise _JBad(path, "some suspended-* keys are missing")
    reasons = tuple(reason for flag, reason in flags if flag)
    if reasons and not suspended:  # suspended with no known flag set is a reason this parser does not know
        raise _JBad(f"{path}.suspended", "false, but a suspended-* flag is true")
    wo = _jstr(d, path, "write-ordering", required=False)
    devices = tuple(
        _json_device(_jobj(x, f"{path}.devices[{i}]"), f"{path}.devices[{i}]")
        for i, x in enumerate(_jlist(d, path, "devices"))
    )
    if len({x.volume for x in devices}) != len(devices):
        raise _JBad(f"{path}.devices", "a volume is listed twice")
    conns = tuple(
        _json_connection(_jobj(x, f"{path}.connections[{i}]"), f"{path}.connections[{i}]")
        for i, x in enumerate(_jlist(d, path, "connections"))
    )
    return Resource9(
        name=_jenum(d, path, "name", _token),
        node_id=None if node_id == -1 else node_id,
        role=_jenum(d, path, "role", _role),
        suspended=bool(suspended),
        suspended_reasons=reasons,
        force_io_failures=_jbool(d, path, "force-io-failures", required=False),
        write_ordering=None if wo is None else _WO_WORDS.get(wo),
        devices=devices,
        connections=conns,
    )


def _json_device(d: dict[str, object], path: str) -> Device9:
    stats: dict[str, Any] = {attr: _juint(d, path, key, required=False) for key, attr in _J_DEV_STATS}
    return Device9(
        volume=_jvolume(d, path),
        minor=_juint(d, path, "minor"),
        disk=_jenum(d, path, "disk-state", _disk),
        client=_jbool(d, path, "client", required=False),
        open=_jbool(d, path, "open", required=False),
        quorum=_jbool(d, path, "quorum", required=False),
        **stats,
    )


def _json_connection(d: dict[str, object], path: str) -> Connection9:
    node_id = _juint(d, path, "peer-node-id")
    paths: tuple[Path9, ...] = ()
    if "paths" in d:
        paths = tuple(
            _json_path(_jobj(x, f"{path}.paths[{i}]"), f"{path}.paths[{i}]")
            for i, x in enumerate(_jlist(d, path, "paths"))
        )
    peers = tuple(
        _json_peer_device(_jobj(x, f"{path}.peer_devices[{i}]"), f"{path}.peer_devices[{i}]")
        for i, x in enumerate(_jlist(d, path, "peer_devices"))
    )
    if len({p.volume for p in peers}) != len(peers):
        raise _JBad(f"{path}.peer_devices", "a volume is listed twice")
    return Connection9(
        peer_node_id=node_id,
        name=_jenum(d, path, "name", _token),
        state=_jenum(d, path, "connection-state", _cstate),
        peer_role=_jenum(d, path, "peer-role", _role),
        congested=_jbool(d, path, "congested", required=False),
        ap_in_flight=_juint(d, path, "ap-in-flight", required=False),
        rs_in_flight=_juint(d, path, "rs-in-flight", required=False),
        tls=_jbool(d, path, "tls", required=False),
        paths=paths,
        peer_devices=peers,
    )


def _json_path(d: dict[str, object], path: str) -> Path9:
    def host(key: str) -> str:
        h = _jobj(_jget(d, path, key, True), f"{path}.{key}")
        parts = [_jstr(h, f"{path}.{key}", "family"), _jstr(h, f"{path}.{key}", "address", required=False)]
        port = _juint(h, f"{path}.{key}", "port", required=False)
        return ":".join([p for p in parts if p is not None] + ([] if port is None else [str(port)]))

    return Path9(host("this_host"), host("remote_host"), _jbool(d, path, "established"))


def _json_peer_device(d: dict[str, object], path: str) -> PeerDevice9:
    has_details = _jbool(d, path, "has-sync-details", required=False)
    if has_details is None:
        has_details = "rs-total" in d
    resync: Resync9 | None = None
    if has_details:
        resync = _json_resync(d, path)
    elif any(k in d for k in _J_RS_KEYS):
        raise _JBad(path, "resync details without has-sync-details")
    verify = _jbool(d, path, "has-online-verify-details", required=False)
    if verify is not None and verify != (resync is not None and resync.is_verify):
        raise _JBad(f"{path}.has-online-verify-details", "disagrees with the ov-* keys")
    if resync is not None and "percent-resync-done" not in d:
        raise _JBad(path, "missing key 'percent-resync-done'")
    rsusp = _jstr(d, path, "resync-suspended", required=False)
    counters: dict[str, Any] = {attr: _juint(d, path, key, required=False) for key, attr in _J_PEER_COUNTERS}
    return PeerDevice9(
        volume=_jvolume(d, path),
        replication=_jenum(d, path, "replication-state", _repl),
        peer_disk=_jenum(d, path, "peer-disk-state", _disk),
        peer_client=_jbool(d, path, "peer-client", required=False),
        resync_suspended=() if rsusp is None else _rsusp_known(rsusp),
        percent_in_sync=_jfloat(d, path, "percent-in-sync", required=False),
        percent_resync_done=_jfloat(d, path, "percent-resync-done", required=False),
        resync=resync,
        **counters,
    )


def _json_resync(d: dict[str, object], path: str) -> Resync9:
    ints: dict[str, Any] = {attr: _jint(d, path, key) for key, attr in _J_RS_INTS}
    floats: dict[str, Any] = {attr: _jfloat(d, path, key) for key, attr in _J_RS_FLOATS}
    eta = _jfloat(d, path, "estimated-seconds-to-finish")
    assert eta is not None
    verify = "ov-left" in d
    group, other = (_J_RS_VERIFY, _J_RS_RESYNC) if verify else (_J_RS_RESYNC, _J_RS_VERIFY)
    if any(k in d for k, _ in other):
        raise _JBad(path, "both resync (rs-failed) and verify (ov-*) details")
    signed = ("ov-stop-sector", "ov-position")  # D64 in peer_device_status_json
    extra: dict[str, Any] = {
        attr: _jint(d, path, key) if key in signed else _juint(d, path, key) for key, attr in group
    }
    if verify and extra["ov_left"] == 0:
        raise _JBad(f"{path}.ov-left", "verify details are printed only while ov-left is not 0")
    return Resync9(eta_seconds=None if math.isnan(eta) else eta, **ints, **floats, **extra)


@dataclass(frozen=True, slots=True)
class ShowVolume9:
    """A local volume from `drbdsetup show --json`: minor, backing disk (`none` for a diskless client), meta-disk."""

    volume: int
    minor: int
    disk: str | None = None
    meta_disk: str | None = None
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ShowConnection9:
    """A connection from `drbdsetup show --json`: peer node id, paths (this host, remote host) and net options."""

    peer_node_id: int
    paths: tuple[tuple[str, str], ...] = ()
    is_standalone: bool = False
    net: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str | None:
        """The connection name (net option `_name`, the peer's host name)."""
        return dict(self.net).get("_name")

    @property
    def allow_two_primaries(self) -> bool:
        """net option allow-two-primaries (show omits options at their default, `no`)."""
        return dict(self.net).get("allow-two-primaries") == "yes"


@dataclass(frozen=True, slots=True)
class ShowResource9:
    """A resource's running configuration from `drbdsetup show --json` (config, not state)."""

    name: str
    node_id: int | None
    volumes: tuple[ShowVolume9, ...] = ()
    connections: tuple[ShowConnection9, ...] = ()
    options: tuple[tuple[str, str], ...] = ()

    @property
    def allow_two_primaries(self) -> bool:
        return any(c.allow_two_primaries for c in self.connections)

    @property
    def minors(self) -> tuple[int, ...]:
        return tuple(v.minor for v in self.volumes)


def parse_show_json(text: str) -> tuple[ShowResource9, ...]:
    """Parse `drbdsetup show --json` (the running configuration); raise ParseError on anything unexpected.

    drbdsetup prints it with printf too (user/v9/drbdsetup.c show_resource_list_json): a volume carries both the
    backing disk `"disk": "/dev/..."` (later `"backing-disk"`) and the disk options object under the same key
    `"disk"` (shaptools_drbdsetup_show_json.json), a connection repeats `"path"` once per path, and print_paths
    leaves a trailing comma when no net options follow. Objects are therefore read as key/value pairs and
    trailing commas are dropped. Per-peer-device disk options (connection `volumes`) are checked and dropped.
    Nothing in the product reads it (no agent, no monitor, no tool), so unlike parse_status_json it stays strict:
    an unknown key raises.
    """
    if "," in text:
        text = _TRAILING_COMMA_RE.sub(_drop_trailing_comma, text)
    data = _load_json(text, TOOL_SHOW_JSON, _Pairs)
    try:
        if not isinstance(data, list) or isinstance(data, _Pairs):
            raise _JBad("$", "expected an array of resources")
        return tuple(_show_resource(_pairs(r, f"$[{i}]"), f"$[{i}]") for i, r in enumerate(data))
    except _JBad as e:
        raise ParseError(TOOL_SHOW_JSON, 0, e.path, e.why) from None


def _pairs(v: object, path: str) -> _Pairs:
    if not isinstance(v, _Pairs):
        raise _JBad(path, "expected an object")
    return v


def _once(p: _Pairs, path: str, allowed: frozenset[str], repeatable: frozenset[str] = frozenset()) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in p:
        if key not in allowed:
            raise _JBad(path, f"unknown key {key!r}")
        if key in out and key not in repeatable:
            raise _JBad(path, f"key {key!r} given twice")
        out[key] = value
    return out


def _options(v: object, path: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for key, value in _pairs(v, path):
        if isinstance(value, bool):
            out.append((key, "yes" if value else "no"))
        elif isinstance(value, str) or type(value) is int:
            out.append((key, str(value)))
        else:
            raise _JBad(f"{path}.{key}", "expected a string option value")
    if len({k for k, _ in out}) != len(out):
        raise _JBad(path, "an option is given twice")
    return tuple(out)


def _show_list(d: Mapping[str, object], path: str, key: str) -> list[object]:
    v = _jget(d, path, key, True)
    if not isinstance(v, list) or isinstance(v, _Pairs):
        raise _JBad(f"{path}.{key}", "expected an array")
    return v


def _show_resource(p: _Pairs, path: str) -> ShowResource9:
    d = _once(p, path, frozenset({"resource", "options", "_this_host", "connections"}))
    host_path = f"{path}._this_host"
    host = _once(_pairs(_jget(d, path, "_this_host", True), host_path), host_path, frozenset({"node-id", "volumes"}))
    vols = tuple(
        _show_volume(_pairs(v, f"{host_path}.volumes[{i}]"), f"{host_path}.volumes[{i}]")
        for i, v in enumerate(_show_list(host, host_path, "volumes"))
    )
    conns: tuple[ShowConnection9, ...] = ()
    if "connections" in d:
        conns = tuple(
            _show_connection(_pairs(c, f"{path}.connections[{i}]"), f"{path}.connections[{i}]")
            for i, c in enumerate(_show_list(d, path, "connections"))
        )
    name = _jstr(d, path, "resource")
    assert name is not None
    return ShowResource9(
        name=name,
        node_id=_juint(host, host_path, "node-id", required=False),
        volumes=vols,
        connections=conns,
        options=_options(d["options"], f"{path}.options") if "options" in d else (),
    )


def _show_volume(p: _Pairs, path: str) -> ShowVolume9:
    disk: str | None = None
    meta: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    seen: set[str] = set()
    numbers: dict[str, int] = {}
    for key, value in p:
        if key == "disk" and isinstance(value, _Pairs):
            if "disk-options" in seen:
                raise _JBad(path, "disk options given twice")
            seen.add("disk-options")
            options = _options(value, f"{path}.disk")
            continue
        if key in seen:
            raise _JBad(path, f"key {key!r} given twice")
        seen.add(key)
        if key in ("volume_nr", "device_minor"):
            if type(value) is not int or value < 0:
                raise _JBad(f"{path}.{key}", "expected an unsigned integer")
            numbers[key] = value
        elif key in ("disk", "backing-disk", "meta-disk"):
            if not isinstance(value, str):
                raise _JBad(f"{path}.{key}", "expected a string")
            if key == "meta-disk":
                meta = value
            elif disk is not None:
                raise _JBad(path, "both disk and backing-disk")
            else:
                disk = value
        elif type(value) is int and meta is None:
            meta = f"{key} [{value}]"  # external meta-data with an index prints `"DEV" : IDX`
        else:
            raise _JBad(path, f"unknown key {key!r}")
    if "volume_nr" not in numbers or "device_minor" not in numbers:
        raise _JBad(path, "volume without volume_nr and device_minor")
    return ShowVolume9(numbers["volume_nr"], numbers["device_minor"], disk, meta, options)


def _show_connection(p: _Pairs, path: str) -> ShowConnection9:
    allowed = frozenset({"_peer_node_id", "path", "_is_standalone", "net", "volumes"})
    paths: list[tuple[str, str]] = []
    for key, value in p:
        if key == "path":
            pp = _once(_pairs(value, f"{path}.path"), f"{path}.path", frozenset({"_this_host", "_remote_host"}))
            this, remote = _jstr(pp, f"{path}.path", "_this_host"), _jstr(pp, f"{path}.path", "_remote_host")
            assert this is not None and remote is not None
            paths.append((this, remote))
    d = _once(p, path, allowed, repeatable=frozenset({"path"}))
    node = _juint(d, path, "_peer_node_id")
    assert node is not None
    if "volumes" in d:
        for i, v in enumerate(_show_list(d, path, "volumes")):
            vp = f"{path}.volumes[{i}]"
            vd = _once(_pairs(v, vp), vp, frozenset({"volume_nr", "disk"}))
            _juint(vd, vp, "volume_nr")
            if "disk" in vd:
                _options(vd["disk"], f"{vp}.disk")
    return ShowConnection9(
        peer_node_id=node,
        paths=tuple(paths),
        is_standalone=bool(_jbool(d, path, "_is_standalone", required=False)),
        net=_options(d["net"], f"{path}.net") if "net" in d else (),
    )


# ---------------------------------------------------------------------------------------------------------------------
# `drbdsetup events2` (GRAMMAR §3.4)


@dataclass(frozen=True, slots=True)
class Event2:
    """One events2 line: ACTION OBJECT key:value...; `old` holds the --diff `old->` values (`UNKNOWN` for new objects).

    `obj` is None only for the `exists -` line that ends the initial state. Values are kept as printed, after
    validation against the key's grammar; `events2_state` converts them. `lineno`/`line` locate the event for
    error messages and take no part in equality.
    """

    action: Action
    obj: EventObject | None
    fields: tuple[tuple[str, str], ...] = ()
    old: tuple[tuple[str, str], ...] = ()
    timestamp: str | None = None
    lineno: int = field(default=0, compare=False)
    line: str = field(default="", compare=False, repr=False)

    def get(self, key: str) -> str | None:
        for k, v in self.fields:
            if k == key:
                return v
        return None

    @property
    def name(self) -> str | None:
        """The resource name."""
        return self.get("name")

    @property
    def is_initial_state_done(self) -> bool:
        return self.obj is None


@dataclass(frozen=True, slots=True)
class Skipped:
    """`- skipped N`: drbdsetup saw a gap of N netlink sequence numbers (events were lost); N None for a doc `...`."""

    count: int | None
    timestamp: str | None = None
    lineno: int = field(default=0, compare=False)
    line: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Events2:
    """The records of an events2 capture, in order."""

    records: tuple[Event2 | Skipped, ...]

    def __iter__(self) -> Iterator[Event2 | Skipped]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def events(self) -> tuple[Event2, ...]:
        return tuple(r for r in self.records if isinstance(r, Event2))

    @property
    def initial_state_done(self) -> bool:
        """True once the `exists -` line (end of the --now dump / initial state) was seen."""
        return any(isinstance(r, Event2) and r.obj is None for r in self.records)

    @property
    def has_gaps(self) -> bool:
        """True when events were lost (`- skipped N`), so a fold of these records cannot be trusted."""
        return any(isinstance(r, Skipped) for r in self.records)


_TS_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}")
_KEY_RE = re.compile(r"[a-z][a-z0-9_-]*")

# Keys that identify an object; they are never printed as --diff `old->new`.
_EV_ID = {
    "name": _token,
    "volume": _uint,
    "minor": _uint,
    "peer-node-id": _uint,
    "conn-name": _token,
    "local": _addr,
    "peer": _addr,
}
_EV_KEYS: dict[EventObject, dict[str, _Conv]] = {
    EventObject.RESOURCE: {
        **{k: c for k, (_, c) in _RES_KEYS.items()},
        "may_promote": _yesno,
        "promotion_score": _int,
        "new_name": _token,
    },
    EventObject.DEVICE: {k: c for k, (_, c) in _DEV_KEYS.items() if k != "minor"},
    EventObject.CONNECTION: {**{k: c for k, (_, c) in _CONN_KEYS.items()}, "sync-state": _sync_state},
    EventObject.PEER_DEVICE: {k: c for k, (_, c) in _PEER_KEYS.items()},
    EventObject.PATH: {"established": _yesno},
    EventObject.HELPER: {"helper": _token, "status": _uint},
}
_EV_ID_ALLOWED: dict[EventObject, frozenset[str]] = {
    EventObject.RESOURCE: frozenset({"name"}),
    EventObject.DEVICE: frozenset({"name", "volume", "minor"}),
    EventObject.CONNECTION: frozenset({"name", "peer-node-id", "conn-name"}),
    EventObject.PEER_DEVICE: frozenset({"name", "peer-node-id", "conn-name", "volume"}),
    EventObject.PATH: frozenset({"name", "peer-node-id", "conn-name", "local", "peer"}),
    EventObject.HELPER: frozenset({"name", "peer-node-id", "conn-name", "local", "peer", "volume", "minor"}),
}
# Keys every line of an object carries; exists/create lines add the state keys of _EV_CREATE.
_EV_REQUIRED: dict[EventObject, tuple[str, ...]] = {
    EventObject.RESOURCE: ("name",),
    EventObject.DEVICE: ("name", "volume"),
    EventObject.CONNECTION: ("name", "conn-name"),
    EventObject.PEER_DEVICE: ("name", "conn-name", "volume"),
    EventObject.PATH: ("name", "conn-name", "local", "peer"),
    EventObject.HELPER: ("name", "helper"),
}
_EV_CREATE: dict[EventObject, tuple[str, ...]] = {
    EventObject.RESOURCE: ("role",),
    EventObject.DEVICE: ("disk",),
    EventObject.CONNECTION: ("connection", "role"),
    EventObject.PEER_DEVICE: ("replication", "peer-disk"),
    EventObject.PATH: (),
}
_STATE_ACTIONS = frozenset({Action.EXISTS, Action.CREATE, Action.CHANGE, Action.DESTROY})
_STATE_OBJECTS = frozenset(_EV_CREATE)


def parse_events2(text: str) -> Events2:
    """Parse `drbdsetup events2 [--now] [-T] [-s] [--diff|--full]` output; raise ParseError on unknown syntax.

    Lines are `[TIMESTAMP] ACTION OBJECT key:value...`, `[TIMESTAMP] exists -` (end of the initial state),
    `[TIMESTAMP] - skipped N`. Documentation wraps long lines by hand with TAB- or space-indented continuation
    lines (docs_84utils_events2_now.txt, docs_9_events2_statistics_now.txt): drbdsetup never starts a line with
    white space, so such a line is joined to the one before. Blank lines are skipped (a pasted sample starts with
    one) and a documentation `...` (an elision, docs_84utils_events2_change_connection.txt) is recorded as
    Skipped(None). Unknown actions, objects, keys and values raise ParseError; keys may come in any order (no monitor
    reads events2: `xenha inspect drbd --events2 FILE` reads a capture, where naming the unknown line is the answer).
    With --diff a state key reads `key:old->new`; identifying keys (name, volume, conn-name, ...) never do, and
    a path containing `->` in a non-diff backing_dev would be misread as a diff (no such path is expected).
    """
    records: list[Event2 | Skipped] = []
    logical: list[tuple[int, str, str]] = []  # (lineno, first physical line, joined text)
    for idx, raw in enumerate(text.split("\n")):
        if not raw.strip():
            continue
        if raw[0] in " \t":
            if not logical:
                raise ParseError(TOOL_EVENTS2, idx + 1, raw, "continuation line before any event")
            lineno, first, joined = logical[-1]
            logical[-1] = (lineno, first, joined + " " + raw.strip())
            continue
        logical.append((idx + 1, raw, raw.rstrip()))
    for lineno, raw, line in logical:
        try:
            records.append(_event_line(line, lineno, raw))
        except _Bad as e:
            raise ParseError(TOOL_EVENTS2, lineno, raw, e.why) from None
    return Events2(tuple(records))


def _event_line(line: str, lineno: int, raw: str) -> Event2 | Skipped:
    if not line.isprintable():
        raise _Bad("control character (colour escape?)")
    tokens = line.split()
    timestamp = None
    if _TS_RE.fullmatch(tokens[0]):
        timestamp = tokens.pop(0)
    if tokens == ["..."] and timestamp is None:
        return Skipped(None, None, lineno, raw)
    if len(tokens) == 3 and tokens[0] == "-" and tokens[1] == "skipped":
        return Skipped(_int(tokens[2]), timestamp, lineno, raw)
    if len(tokens) < 2:
        raise _Bad("expected ACTION OBJECT")
    try:
        action = Action(tokens[0])
    except ValueError:
        raise _Bad(f"unknown action {tokens[0]!r}") from None
    if tokens[1] == "-":
        if action is not Action.EXISTS or len(tokens) != 2:
            raise _Bad("only 'exists -' may name no object")
        return Event2(action, None, (), (), timestamp, lineno, raw)
    try:
        obj = EventObject(tokens[1])
    except ValueError:
        raise _Bad(f"unknown object {tokens[1]!r}") from None
    if action in _STATE_ACTIONS:
        if obj not in _STATE_OBJECTS:
            raise _Bad(f"'{action.value} {obj.value}' is not an events2 line")
    elif action is Action.RENAME:
        if obj is not EventObject.RESOURCE:
            raise _Bad("only a resource can be renamed")
    elif obj is not EventObject.HELPER:
        raise _Bad(f"'{action.value}' is only used with helper")
    fields, old = _event_fields(tokens[2:], action, obj)
    return Event2(action, obj, fields, old, timestamp, lineno, raw)


def _event_fields(
    tokens: list[str], action: Action, obj: EventObject
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    ids = _EV_ID_ALLOWED[obj]
    states = _EV_KEYS[obj]
    fields: list[tuple[str, str]] = []
    old: list[tuple[str, str]] = []
    seen: set[str] = set()
    for tok in tokens:
        key, sep, value = tok.partition(":")
        if not sep or not _KEY_RE.fullmatch(key) or not value:
            raise _Bad(f"expected key:value, got {tok!r}")
        if key in seen:
            raise _Bad(f"key {key!r} given twice")
        seen.add(key)
        if key in ids:
            _EV_ID[key](value)
        elif key in states:
            conv = states[key]
            before, arrow, after = value.partition("->")
            if arrow:
                if before != "UNKNOWN":
                    conv(before)
                old.append((key, before))
                value = after
            conv(value)
        else:
            raise _Bad(f"unknown {obj.value} key {key!r}")
        fields.append((key, value))
    if action is Action.RENAME:
        required: tuple[str, ...] = ("name", "new_name")
        if seen != set(required):
            raise _Bad("rename resource takes exactly name: and new_name:")
    elif obj is EventObject.HELPER:
        required = _EV_REQUIRED[obj] + (("status",) if action is Action.RESPONSE else ())
        if action is Action.CALL and "status" in seen:
            raise _Bad("status: on a helper call")
    else:
        if "new_name" in seen:
            raise _Bad("new_name: outside a rename")
        required = _EV_REQUIRED[obj]
        if action in (Action.EXISTS, Action.CREATE):
            required = required + _EV_CREATE[obj]
        elif action is Action.DESTROY and seen - ids:
            raise _Bad("destroy lines carry identifying keys only")
    for key in required:
        if key not in seen:
            raise _Bad(f"missing {key}:")
    return tuple(fields), tuple(old)


@dataclass(slots=True)
class _FConn:
    attrs: dict[str, Any]
    peers: dict[int, dict[str, Any]] = field(default_factory=dict)
    paths: dict[tuple[str, str], bool | None] = field(default_factory=dict)


@dataclass(slots=True)
class _FRes:
    attrs: dict[str, Any]
    devices: dict[int, dict[str, Any]] = field(default_factory=dict)
    conns: dict[str, _FConn] = field(default_factory=dict)


def events2_state(events: Iterable[Event2 | Skipped]) -> tuple[Resource9, ...]:
    """Fold events2 records into the resources they leave behind (what `events2 --now` shows); ParseError if impossible.

    exists/create add an object (an object created twice raises), change updates the keys it carries (change lines
    carry only what changed), destroy removes the object and everything under it, rename renames; call/response
    helper and `exists -` change nothing. A change or destroy of an object never created raises: the capture lacks
    its initial state (the kernel sends exists lines first; GRAMMAR §3.4). Paths are the exception, as in drbdsetup
    itself: the kernel sends no exists lines for them, so a change creates the path and a destroy of an unknown one is
    a no-op. `- skipped N` (lost events) raises, because the folded state would be wrong. `done:` is kept while
    the peer device keeps syncing and cleared when a change leaves the sync states; `sync-state:` is kept from the
    latest connection line only (drbdsetup prints it on every line of a StandAlone connection).
    """
    state: dict[str, _FRes] = {}
    for ev in events:
        if isinstance(ev, Skipped):
            raise ParseError(TOOL_EVENTS2, ev.lineno, ev.line, "events were lost; the folded state would be wrong")
        try:
            _fold(state, ev)
        except _Bad as e:
            raise ParseError(TOOL_EVENTS2, ev.lineno, ev.line, e.why) from None
    return tuple(_freeze(r) for r in state.values())


def _fold(state: dict[str, _FRes], ev: Event2) -> None:
    if ev.obj is None or ev.obj is EventObject.HELPER:
        return
    f = dict(ev.fields)
    name = f["name"]
    creating = ev.action in (Action.EXISTS, Action.CREATE)
    if ev.obj is EventObject.RESOURCE:
        if creating:
            if name in state:
                raise _Bad(f"resource {name!r} created twice")
            state[name] = _FRes({"name": name, "node_id": None})
        elif name not in state:
            raise _Bad(f"resource {name!r} unknown (no initial state)")
        if ev.action is Action.DESTROY:
            del state[name]
            return
        if ev.action is Action.RENAME:
            new = f["new_name"]
            if new in state:
                raise _Bad(f"rename onto existing resource {new!r}")
            res = state.pop(name)
            res.attrs["name"] = new
            state[new] = res
            return
        _update(
            state[name].attrs,
            f,
            _RES_KEYS,
            {"may_promote": ("may_promote", _yesno), "promotion_score": ("promotion_score", _int)},
        )
        return
    owner = state.get(name)
    if owner is None:
        raise _Bad(f"resource {name!r} unknown (no initial state)")
    if ev.obj is EventObject.DEVICE:
        _fold_device(owner, ev.action, f)
    elif ev.obj is EventObject.CONNECTION:
        _fold_connection(owner, ev.action, f)
    elif ev.obj is EventObject.PEER_DEVICE:
        _fold_peer_device(owner, ev.action, f)
    else:
        _fold_path(owner, ev.action, f)


def _update(
    attrs: dict[str, Any],
    f: Mapping[str, str],
    table: Mapping[str, tuple[str | None, _Conv]],
    extra: Mapping[str, tuple[str | None, _Conv]] | None = None,
) -> None:
    for key, value in f.items():
        if key in table:
            _apply(attrs, table, key, value)
        elif extra is not None and key in extra:
            _apply(attrs, extra, key, value)


def _fold_device(res: _FRes, action: Action, f: Mapping[str, str]) -> None:
    volume = _uint(f["volume"])
    if action in (Action.EXISTS, Action.CREATE):
        if volume in res.devices:
            raise _Bad(f"volume {volume} created twice")
        res.devices[volume] = {"volume": volume, "minor": None}
    elif volume not in res.devices:
        raise _Bad(f"volume {volume} unknown (no initial state)")
    if action is Action.DESTROY:
        del res.devices[volume]
        for conn in res.conns.values():
            conn.peers.pop(volume, None)
        return
    _update(res.devices[volume], f, _DEV_KEYS)


def _fold_connection(res: _FRes, action: Action, f: Mapping[str, str]) -> None:
    cname = f["conn-name"]
    if action in (Action.EXISTS, Action.CREATE):
        if cname in res.conns:
            raise _Bad(f"connection {cname!r} created twice")
        res.conns[cname] = _FConn({"name": cname, "peer_node_id": None})
    elif cname not in res.conns:
        raise _Bad(f"connection {cname!r} unknown (no initial state)")
    if action is Action.DESTROY:
        del res.conns[cname]
        return
    attrs = res.conns[cname].attrs
    if "peer-node-id" in f:
        attrs["peer_node_id"] = _uint(f["peer-node-id"])
    _update(attrs, f, _CONN_KEYS)
    sync = f.get("sync-state")
    attrs["sync_state"] = None if sync is None else _sync_state(sync)


def _fold_peer_device(res: _FRes, action: Action, f: Mapping[str, str]) -> None:
    cname, volume = f["conn-name"], _uint(f["volume"])
    conn = res.conns.get(cname)
    if conn is None:
        raise _Bad(f"peer device of unknown connection {cname!r}")
    if action in (Action.EXISTS, Action.CREATE):
        if volume not in res.devices:
            raise _Bad(f"peer device of unknown volume {volume}")
        if volume in conn.peers:
            raise _Bad(f"peer device {cname!r}/{volume} created twice")
        conn.peers[volume] = {"volume": volume}
    elif volume not in conn.peers:
        raise _Bad(f"peer device {cname!r}/{volume} unknown (no initial state)")
    if action is Action.DESTROY:
        del conn.peers[volume]
        return
    attrs = conn.peers[volume]
    _update(attrs, f, _PEER_KEYS)
    if "done" not in f and attrs["replication"] not in _SYNCING:
        attrs["done"] = None


def _fold_path(res: _FRes, action: Action, f: Mapping[str, str]) -> None:
    conn = res.conns.get(f["conn-name"])
    if conn is None:
        if action is Action.DESTROY:
            return
        raise _Bad(f"path of unknown connection {f['conn-name']!r}")
    key = (f["local"], f["peer"])
    if action is Action.DESTROY:
        conn.paths.pop(key, None)
        return
    if action in (Action.EXISTS, Action.CREATE) and key in conn.paths:
        raise _Bad("path created twice")
    established = f.get("established")
    if established is not None:
        conn.paths[key] = _yesno(established)
    else:
        conn.paths.setdefault(key, None)


def _freeze(r: _FRes) -> Resource9:
    conns = []
    for c in r.conns.values():
        peers = tuple(PeerDevice9(**p) for p in c.peers.values())
        paths = tuple(Path9(local, peer, est) for (local, peer), est in c.paths.items())
        conns.append(Connection9(**c.attrs, paths=paths, peer_devices=peers))
    devices = tuple(Device9(**d) for d in r.devices.values())
    return Resource9(**r.attrs, devices=devices, connections=tuple(conns))
