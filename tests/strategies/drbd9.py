# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies for DRBD 9: models rendered as drbd-utils 9.22 prints them (status --json/-vs, events2)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from hypothesis import strategies as st

from xenha.drbd.events2 import Action, Event2, EventObject, Skipped
from xenha.drbd.model import DISK_STATES, REPL_STATES, ROLES, ConnState, DiskState, ReplState
from xenha.drbd.status9 import (
    RESYNC_SUSPENDS,
    SUSPEND_REASONS,
    WRITE_ORDERINGS,
    Connection9,
    Device9,
    Path9,
    PeerDevice9,
    Resource9,
    Resync9,
    SuspendReason,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.drbd.model import ConnName

__all__ = [
    "DECIDED_JSON_FIELDS",
    "STATUS_JSON_KEYS",
    "event2_records",
    "events2_resources",
    "json_resources",
    "json_values",
    "render_event2",
    "render_events2_now",
    "render_status_json",
    "render_status_text_verbose",
    "text_resources",
    "with_unknown_decided_value",
    "with_unknown_keys",
]

SYNCING = (
    ReplState.STARTING_SYNC_S,
    ReplState.STARTING_SYNC_T,
    ReplState.WF_BITMAP_S,
    ReplState.WF_BITMAP_T,
    ReplState.WF_SYNC_UUID,
    ReplState.SYNC_SOURCE,
    ReplState.SYNC_TARGET,
    ReplState.PAUSED_SYNC_S,
    ReplState.PAUSED_SYNC_T,
)
CSTATES9: tuple[ConnName, ...] = (
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

names = st.from_regex(r"[a-z][a-z0-9_.-]{0,14}", fullmatch=True)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**50)
percent = st.integers(0, 10000).map(lambda n: n / 100)  # exactly what "%.2f" round-trips
rate = st.integers(0, 10**7).map(lambda n: n / 100)
roles = st.sampled_from(ROLES)
disks = st.sampled_from(DISK_STATES)
repls = st.sampled_from(REPL_STATES)
cstates = st.sampled_from(CSTATES9)
write_orderings = st.sampled_from(WRITE_ORDERINGS)
suspends = st.lists(st.sampled_from(SUSPEND_REASONS), unique=True).map(
    lambda xs: tuple(m for m in SUSPEND_REASONS if m in xs)
)
resync_suspends = st.lists(st.sampled_from(RESYNC_SUSPENDS), unique=True).map(
    lambda xs: tuple(m for m in RESYNC_SUSPENDS if m in xs)
)
addresses = st.builds(
    lambda a, b, port: f"ipv4:10.{a}.{b}.1:{port}", st.integers(0, 255), st.integers(0, 255), st.integers(1, 65535)
)


def _maybe(draw: st.DrawFn, present: bool, values: st.SearchStrategy[Any], keys: Iterable[str]) -> dict[str, Any]:
    """A group of statistics fields: all drawn from `values`, or all None (the tool prints all or none)."""
    return {k: (draw(values) if present else None) for k in keys}


def _yn(b: bool) -> str:
    return "yes" if b else "no"


def _yn_unknown(b: bool | None) -> str:
    return "unknown" if b is None else _yn(b)


def _susp(reasons: Sequence[str]) -> str:
    return ",".join(reasons) or "no"


def _rsusp(reasons: Sequence[str]) -> str:
    return ",".join(reasons) or "no"


def _jb(b: bool | None) -> str:
    return "true" if b else "false"


# ---------------------------------------------------------------------------------------------------------------------
# drbdsetup status --json, drbd-utils 9.22 layout (GRAMMAR §3.3; drbdsetup.c resource/device/connection/peer_device
# _status_json and status_cmd)


@st.composite
def json_resyncs(draw: st.DrawFn) -> Resync9:
    """The has-sync-details block: resync (rs-failed, rs-same-csum) or verify (ov-*, ov-left never 0)."""
    verify = draw(st.booleans())
    eta = draw(st.one_of(st.none(), st.integers(0, 987654321).map(float)))
    common: dict[str, Any] = {
        "total": draw(u64.filter(bool)),
        "dt_start_ms": draw(u32),
        "paused_ms": draw(u32),
        "dt0_ms": draw(u32),
        "db0_sectors": draw(u32),
        "dt1_ms": draw(u32),
        "db1_sectors": draw(u32),
        "want": draw(rate),
        "db0_dt0": draw(rate),
        "db1_dt1": draw(rate),
        "eta_seconds": eta,
        "db_dt": draw(rate),
    }
    if verify:
        return Resync9(
            **common,
            ov_start_sector=draw(u64),
            ov_stop_sector=draw(u64),
            ov_position=draw(u64),
            ov_left=draw(u64.filter(bool)),
            ov_skipped=draw(u64),
        )
    return Resync9(**common, failed=draw(u64), same_csum=draw(u64))


@st.composite
def json_peer_devices(draw: st.DrawFn, volume: int) -> PeerDevice9:
    resync = draw(st.one_of(st.none(), json_resyncs()))
    replication = draw(repls)
    if resync is not None:
        done: float | None = draw(percent)
    elif replication in SYNCING:
        done = draw(st.one_of(st.none(), percent))  # in_resync_without_details prints percent-resync-done
    else:
        done = None
    return PeerDevice9(
        volume=volume,
        replication=replication,
        peer_disk=draw(disks),
        peer_client=draw(st.booleans()),
        resync_suspended=draw(resync_suspends),
        percent_in_sync=draw(percent),
        percent_resync_done=done,
        received=draw(u64),
        sent=draw(u64),
        out_of_sync=draw(u64),
        pending=draw(u32),
        unacked=draw(u32),
        resync=resync,
    )


@st.composite
def json_devices(draw: st.DrawFn, volume: int) -> Device9:
    stats = draw(st.booleans())
    return Device9(
        volume=volume,
        minor=draw(st.integers(0, 2**20)),
        disk=draw(disks),
        client=draw(st.booleans()),
        open=draw(st.one_of(st.none(), st.booleans())),  # drbd-utils >= 9.30
        quorum=draw(st.booleans()),
        **_maybe(
            draw, stats, u64, ("size", "read", "written", "al_writes", "bm_writes", "upper_pending", "lower_pending")
        ),
    )


@st.composite
def json_connections(draw: st.DrawFn, name: str, volumes: Sequence[int]) -> Connection9:
    in_flight = draw(st.booleans())
    later = draw(st.booleans())  # drbd-utils >= 9.30: tls and a paths array
    pvols = draw(st.lists(st.sampled_from(volumes), unique=True)) if volumes else []
    paths = draw(st.lists(st.tuples(addresses, addresses, st.booleans()), max_size=2)) if later else []
    return Connection9(
        peer_node_id=draw(st.integers(0, 31)),
        name=name,
        state=draw(cstates),
        peer_role=draw(roles),
        congested=draw(st.booleans()),
        ap_in_flight=draw(u64) if in_flight else None,
        rs_in_flight=draw(u64) if in_flight else None,
        tls=draw(st.booleans()) if later else None,
        paths=tuple(Path9(a, b, e) for a, b, e in paths),
        peer_devices=tuple(draw(json_peer_devices(v)) for v in pvols),
    )


@st.composite
def json_resources(draw: st.DrawFn, name: str | None = None) -> Resource9:
    """A resource with exactly the fields drbd-utils 9.22 prints in status --json."""
    vols = draw(st.lists(st.integers(0, 31), unique=True, max_size=3))
    conn_names = draw(st.lists(names, unique=True, max_size=3))
    reasons = draw(suspends)
    return Resource9(
        name=name if name is not None else draw(names),
        node_id=draw(st.one_of(st.none(), st.integers(0, 31))),
        role=draw(roles),
        suspended=bool(reasons),
        suspended_reasons=reasons,
        force_io_failures=draw(st.booleans()),
        write_ordering=draw(write_orderings),
        devices=tuple(draw(json_devices(v)) for v in vols),
        connections=tuple(draw(json_connections(c, vols)) for c in conn_names),
    )


def _json_device(d: Device9) -> str:
    stats = d.size is not None
    out = (
        "    {\n"
        f'      "volume": {d.volume},\n'
        f'      "minor": {d.minor},\n'
        f'      "disk-state": "{d.disk}",\n'
        f'      "client": {_jb(d.client)},\n'
    )
    if d.open is not None:
        out += f'      "open": {_jb(d.open)},\n'
    out += f'      "quorum": {_jb(d.quorum)}{"," if stats else ""}\n'
    if stats:
        out += (
            f'      "size": {d.size},\n'
            f'      "read": {d.read},\n'
            f'      "written": {d.written},\n'
            f'      "al-writes": {d.al_writes},\n'
            f'      "bm-writes": {d.bm_writes},\n'
            f'      "upper-pending": {d.upper_pending},\n'
            f'      "lower-pending": {d.lower_pending}\n'
        )
    return out + "    }"


def _json_peer_device(p: PeerDevice9) -> str:
    rs = p.resync
    tail = rs is not None or p.percent_resync_done is not None
    out = (
        "        {\n"
        f'          "volume": {p.volume},\n'
        f'          "replication-state": "{p.replication}",\n'
        f'          "peer-disk-state": "{p.peer_disk}",\n'
        f'          "peer-client": {_jb(p.peer_client)},\n'
        f'          "resync-suspended": "{_rsusp(p.resync_suspended)}",\n'
        f'          "received": {p.received},\n'
        f'          "sent": {p.sent},\n'
        f'          "out-of-sync": {p.out_of_sync},\n'
        f'          "pending": {p.pending},\n'
        f'          "unacked": {p.unacked},\n'
        f'          "has-sync-details": {_jb(rs is not None)},\n'
        f'          "has-online-verify-details": {_jb(rs is not None and rs.is_verify)},\n'
        f'          "percent-in-sync": {p.percent_in_sync:.2f}{"," if tail else ""}\n'
    )
    if rs is not None:
        out += (
            f'          "rs-total": {rs.total},\n'
            f'          "rs-dt-start-ms": {rs.dt_start_ms},\n'
            f'          "rs-paused-ms": {rs.paused_ms},\n'
            f'          "rs-dt0-ms": {rs.dt0_ms},\n'
            f'          "rs-db0-sectors": {rs.db0_sectors},\n'
            f'          "rs-dt1-ms": {rs.dt1_ms},\n'
            f'          "rs-db1-sectors": {rs.db1_sectors},\n'
        )
        if rs.is_verify:
            out += (
                f'          "ov-start-sector": {rs.ov_start_sector},\n'
                f'          "ov-stop-sector": {rs.ov_stop_sector},\n'
                f'          "ov-position": {rs.ov_position},\n'
                f'          "ov-left": {rs.ov_left},\n'
                f'          "ov-skipped": {rs.ov_skipped},\n'
            )
        else:
            out += f'          "rs-failed": {rs.failed},\n          "rs-same-csum": {rs.same_csum},\n'
        eta = "nan" if rs.eta_seconds is None else f"{rs.eta_seconds:.0f}"
        out += (
            f'          "want": {rs.want:.2f},\n'
            f'          "db0/dt0 [MiB/s]": {rs.db0_dt0:.2f},\n'
            f'          "db1/dt1 [MiB/s]": {rs.db1_dt1:.2f},\n'
            f'          "estimated-seconds-to-finish": {eta},\n'
            f'          "db/dt [MiB/s]": {rs.db_dt:.2f},\n'
        )
    if tail:
        out += f'          "percent-resync-done": {p.percent_resync_done:.2f}\n'
    return out + "        }"


def _json_host(address: str) -> str:
    family, rest = address.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    pad = " " * 12
    return f'{{\n{pad}"address": "{addr}",\n{pad}"port": {port},\n{pad}"family": "{family}"\n          }}'


def _json_path(p: Path9) -> str:
    return (
        "        {\n"
        f'          "this_host": {_json_host(p.local)},\n'
        f'          "remote_host": {_json_host(p.peer)},\n'
        f'          "established": {_jb(p.established)}\n'
        "        }"
    )


def _json_connection(c: Connection9) -> str:
    out = (
        "    {\n"
        f'      "peer-node-id": {c.peer_node_id},\n'
        f'      "name": "{c.name}",\n'
        f'      "connection-state": "{c.state}", \n'  # the trailing space is drbdsetup's (GRAMMAR §3.3)
        f'      "congested": {_jb(c.congested)},\n'
        f'      "peer-role": "{c.peer_role}",\n'
    )
    if c.tls is not None:
        out += f'      "tls": {_jb(c.tls)},\n'
    if c.ap_in_flight is not None:
        out += f'      "ap-in-flight": {c.ap_in_flight},\n      "rs-in-flight": {c.rs_in_flight},\n'
    if c.tls is not None:  # later drbd-utils print tls and paths together
        out += '      "paths": [\n' + ",\n".join(_json_path(p) for p in c.paths) + " ],\n"
    out += '      "peer_devices": [\n'
    out += ",\n".join(_json_peer_device(p) for p in c.peer_devices)
    return out + " ]\n    }"


def _json_resource(r: Resource9) -> str:
    flags = {m: m in r.suspended_reasons for m in SUSPEND_REASONS}
    assert r.write_ordering is not None
    out = (
        "{\n"
        f'  "name": "{r.name}",\n'
        f'  "node-id": {-1 if r.node_id is None else r.node_id},\n'
        f'  "role": "{r.role}",\n'
        f'  "suspended": {_jb(r.suspended)},\n'
        f'  "suspended-user": {_jb(flags[SuspendReason.USER])},\n'
        f'  "suspended-no-data": {_jb(flags[SuspendReason.NO_DATA])},\n'
        f'  "suspended-fencing": {_jb(flags[SuspendReason.FENCING])},\n'
        f'  "suspended-quorum": {_jb(flags[SuspendReason.QUORUM])},\n'
        f'  "force-io-failures": {_jb(r.force_io_failures)},\n'
        f'  "write-ordering": "{r.write_ordering}",\n'
        '  "devices": [\n'
    )
    out += ",\n".join(_json_device(d) for d in r.devices)
    out += ' ],\n  "connections": [\n'
    out += ",\n".join(_json_connection(c) for c in r.connections)
    return out + " ]\n}\n"


def render_status_json(resources: Iterable[Resource9]) -> str:
    """`drbdsetup status --json` as drbd-utils 9.22 prints it (`[`, resources joined by `,`, `]`, blank line).

    The later keys (device `open`, connection `tls` and `paths`) are printed in their place when the model has them.
    """
    return "[\n" + ",\n".join(_json_resource(r) for r in resources) + "]\n\n"


# Every key parse_status_json reads, at any level: an injected "unknown" key must not be one of them.
STATUS_JSON_KEYS = frozenset(
    {
        # resource
        "name",
        "node-id",
        "role",
        "suspended",
        "suspended-user",
        "suspended-no-data",
        "suspended-fencing",
        "suspended-quorum",
        "force-io-failures",
        "write-ordering",
        "devices",
        "connections",
        # device
        "volume",
        "minor",
        "disk-state",
        "client",
        "open",
        "quorum",
        "size",
        "read",
        "written",
        "al-writes",
        "bm-writes",
        "upper-pending",
        "lower-pending",
        # connection, path, host
        "peer-node-id",
        "connection-state",
        "congested",
        "peer-role",
        "tls",
        "ap-in-flight",
        "rs-in-flight",
        "paths",
        "peer_devices",
        "this_host",
        "remote_host",
        "established",
        "address",
        "port",
        "family",
        # peer device
        "replication-state",
        "peer-disk-state",
        "peer-client",
        "resync-suspended",
        "received",
        "sent",
        "out-of-sync",
        "pending",
        "unacked",
        "has-sync-details",
        "has-online-verify-details",
        "percent-in-sync",
        "percent-resync-done",
        "rs-total",
        "rs-dt-start-ms",
        "rs-paused-ms",
        "rs-dt0-ms",
        "rs-db0-sectors",
        "rs-dt1-ms",
        "rs-db1-sectors",
        "rs-failed",
        "rs-same-csum",
        "ov-start-sector",
        "ov-stop-sector",
        "ov-position",
        "ov-left",
        "ov-skipped",
        "want",
        "db0/dt0 [MiB/s]",
        "db1/dt1 [MiB/s]",
        "estimated-seconds-to-finish",
        "db/dt [MiB/s]",
    }
)

# Key names a later drbd-utils might print: anything, and near misses of the keys we read (case, `_` for `-`, blanks).
unknown_keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(sorted(STATUS_JSON_KEYS)).flatmap(
        lambda k: st.sampled_from([k.upper(), k.title(), k + " ", " " + k, k.replace("-", "_"), k.replace("_", "-")])
    ),
).filter(lambda k: k not in STATUS_JSON_KEYS)
_json_leaves = st.one_of(
    st.sampled_from(["null", "true", "false", "nan", "-nan", "inf", "-inf"]),  # printf %f gives nan/inf
    st.integers(-(2**64), 2**64).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.text(max_size=10).map(json.dumps),
    st.sampled_from(["Primary", "UpToDate", "Connected", "nan", "inf"]).map(json.dumps),
)
# Any JSON value as printf JSON might print it (bare nan/inf included), as text.
json_values = st.recursive(
    _json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.text(max_size=6).map(json.dumps), inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        ),
    ),
    max_leaves=8,
)

_OPEN_RE = re.compile(r"\{\n")  # every object render_status_json prints starts a line after `{`
_CLOSE_RE = re.compile(r"\n *\}")  # and ends with `}` on a line of its own


@st.composite
def with_unknown_keys(draw: st.DrawFn, text: str) -> str:
    """`text` (from render_status_json) with keys parse_status_json does not read injected into any of its objects.

    Keys go after an object's `{` or after its last value, at any level (resource, device, connection, path, host,
    peer device); a name may repeat, and values are any JSON, bare `nan`/`inf` included.
    """
    spots = [m.end() for m in _OPEN_RE.finditer(text)] + [-m.start() for m in _CLOSE_RE.finditer(text)]
    if not spots:
        return text
    inserts: list[tuple[int, str]] = []
    for spot in draw(st.lists(st.sampled_from(spots), min_size=1, max_size=8)):
        member = f"{json.dumps(draw(unknown_keys))}: {draw(json_values)}"
        if spot >= 0:  # after `{`: the object has members, so a comma follows
            inserts.append((spot, f"  {member},\n"))
        else:  # before the newline that precedes `}`: a comma precedes
            inserts.append((-spot, f",\n  {member}"))
    for pos, piece in sorted(inserts, key=lambda t: t[0], reverse=True):
        text = text[:pos] + piece + text[pos:]
    return text


def _not_in(values: Iterable[str]) -> st.SearchStrategy[str]:
    known = set(values)
    near = [w for v in sorted(known) for w in (v.lower(), v.upper(), v + " ", " " + v, v + "\x00")]
    return st.one_of(st.text(max_size=16), st.sampled_from(near)).filter(lambda w: w not in known)


_role_words = list(ROLES)
_disk_words = list(DISK_STATES)
_bad_words = {
    "role": _not_in(_role_words),
    "peer-role": _not_in(_role_words),
    "disk-state": _not_in(_disk_words),
    "peer-disk-state": _not_in(_disk_words),
    # a replication state is not a DRBD 9 connection state, nor are 8.x's WFConnection and WFReportParams
    "connection-state": st.one_of(_not_in(CSTATES9), st.sampled_from([*REPL_STATES, "WFConnection"])).filter(
        lambda w: w not in set(CSTATES9)
    ),
    "replication-state": _not_in(REPL_STATES),
}
# The fields `volumes` turns into a DrbdVolume, with values that must raise ParseError (rendered as JSON text).
DECIDED_JSON_FIELDS: dict[str, st.SearchStrategy[str]] = {
    **{k: v.map(json.dumps) for k, v in _bad_words.items()},
    "name": st.sampled_from(["", "two words", "r0:1", "tab\there", "new\nline"]).map(json.dumps),
    "volume": st.sampled_from(["-1", '"0"', "0.5", "true", "null", "nan"]),
    "minor": st.sampled_from(["-1", '"1000"', "1e3", "false", "null", "[1000]"]),
    "percent-resync-done": st.sampled_from(['"59.00"', "null", "true", "{}"]),
}
_DECIDED_RE = re.compile(
    r'"(role|peer-role|disk-state|peer-disk-state|connection-state|replication-state|name)": ("[^"]*")'
    r'|"(volume|minor|percent-resync-done)": (-?[0-9.]+|nan)'
)


@st.composite
def with_unknown_decided_value(draw: st.DrawFn, text: str) -> str:
    """`text` (from render_status_json, before with_unknown_keys) with one decided value replaced by one we refuse."""
    found = list(_DECIDED_RE.finditer(text))
    if not found:
        raise ValueError("no decided field in the document")
    m = draw(st.sampled_from(found))
    group = 1 if m.group(1) is not None else 3
    bad = draw(DECIDED_JSON_FIELDS[m.group(group)])
    return text[: m.start(group + 1)] + bad + text[m.end(group + 1) :]


# ---------------------------------------------------------------------------------------------------------------------
# drbdsetup status --verbose --statistics text, drbd-utils 9.22 (GRAMMAR §3.2), with wrap_printf at 80 columns


class _Wrap:
    """wrap_printf (user/shared/wrap_printf.c): break before a piece that would pass `columns`, indent the rest."""

    def __init__(self, columns: int = 80) -> None:
        self.columns = columns
        self.col = 0
        self.out: list[str] = []

    def __call__(self, indent: int, piece: str) -> None:
        while piece.startswith("\n"):
            self.out.append("\n")
            self.col = 0
            piece = piece[1:]
        if not piece:
            return
        if self.col > 0 and self.col + len(piece) > self.columns:
            self.out.append("\n")
            self.col = 0
        if self.col == 0:
            piece = piece.lstrip(" ")
            self.out.append(" " * indent)
            self.col = indent
        self.out.append(piece)
        self.col += len(piece)
        if piece.endswith("\n"):
            self.col = 0


@st.composite
def text_resources(draw: st.DrawFn) -> Resource9:
    """A resource with exactly what `drbdsetup status --verbose --statistics` (9.22) shows."""
    vols = draw(st.lists(st.integers(0, 31), unique=True, max_size=3))
    devices = []
    for v in vols:
        disk = draw(disks)
        devices.append(
            Device9(
                volume=v,
                minor=draw(st.integers(0, 2**20)),
                disk=disk,
                client=draw(st.one_of(st.none(), st.booleans())) if disk == DiskState.DISKLESS else None,
                backing_dev=draw(st.sampled_from(["none", "/dev/vg0/lv-" + str(v), "/dev/disk/by-id/wwn-0x5000"])),
                quorum=draw(st.booleans()),
                size=draw(u64),
                read=draw(u64),
                written=draw(u64),
                al_writes=draw(u64),
                bm_writes=draw(u64),
                upper_pending=draw(u32),
                lower_pending=draw(u32),
                al_suspended=draw(st.booleans()),
                blocked=draw(st.sampled_from(["no", "upper", "lower", "upper,lower"])),
            )
        )
    conns = []
    for cname in draw(st.lists(st.one_of(st.none(), names), max_size=3, unique=True)):
        peers = []
        stats = draw(st.booleans())
        for v in draw(st.lists(st.sampled_from(vols), unique=True)) if vols else []:
            repl = draw(repls)
            pdisk = draw(disks)
            peers.append(
                PeerDevice9(
                    volume=v,
                    replication=repl,
                    peer_disk=pdisk,
                    peer_client=draw(st.one_of(st.none(), st.booleans())) if pdisk == DiskState.DISKLESS else None,
                    resync_suspended=draw(resync_suspends),
                    done=draw(st.one_of(st.none(), percent)) if repl in SYNCING else None,
                    **_maybe(draw, stats, u32, ("received", "sent", "out_of_sync", "pending", "unacked")),
                )
            )
        in_flight = draw(st.booleans())
        conns.append(
            Connection9(
                peer_node_id=draw(st.integers(0, 31)),
                name=cname,
                state=draw(cstates),
                peer_role=draw(roles),
                congested=draw(st.booleans()),
                ap_in_flight=draw(u64) if in_flight else None,
                rs_in_flight=draw(u64) if in_flight else None,
                peer_devices=tuple(peers),
            )
        )
    reasons = draw(suspends)
    return Resource9(
        name=draw(names),
        node_id=draw(st.integers(0, 31)),
        role=draw(roles),
        suspended=bool(reasons),
        suspended_reasons=reasons,
        force_io_failures=draw(st.booleans()),
        write_ordering=draw(write_orderings),
        devices=tuple(devices),
        connections=tuple(conns),
    )


def render_status_text_verbose(resources: Sequence[Resource9], columns: int = 80) -> str:
    """`drbdsetup status --verbose --statistics` as resource_status/device_status/connection_status print it."""
    if not resources:
        return "# No currently configured DRBD found.\n"
    w = _Wrap(columns)
    for r in resources:
        assert r.write_ordering is not None
        w(0, r.name)
        w(4, f" node-id:{r.node_id}")
        w(4, f" role:{r.role}")
        w(4, f" suspended:{_susp(r.suspended_reasons)}")
        w(4, f" force-io-failures:{_yn(bool(r.force_io_failures))}")
        w(4, "\n")
        w(4, f" write-ordering:{r.write_ordering}")
        w(0, "\n")
        for d in r.devices:
            w(2, f"volume:{d.volume}")
            w(6, f" minor:{d.minor}")
            w(6, f" disk:{d.disk}")
            if d.disk == DiskState.DISKLESS:
                w(6, f" client:{_yn_unknown(d.client)}")
            w(6, f" backing_dev:{d.backing_dev}")
            w(6, f" quorum:{_yn(bool(d.quorum))}")
            w(6, "\n")
            for piece in (
                f" size:{d.size}",
                f" read:{d.read}",
                f" written:{d.written}",
                f" al-writes:{d.al_writes}",
                f" bm-writes:{d.bm_writes}",
                f" upper-pending:{d.upper_pending}",
                f" lower-pending:{d.lower_pending}",
                f" al-suspended:{_yn(bool(d.al_suspended))}",
                f" blocked:{d.blocked}",
            ):
                w(6, piece)
            w(6, "\n")
        for c in r.connections:
            if c.name is not None:
                w(2, c.name)
            w(6 if c.name is not None else 2, f" node-id:{c.peer_node_id}")
            w(6, f" connection:{c.state}")
            w(6, f" role:{c.peer_role}")
            w(6, f" congested:{_yn(bool(c.congested))}")
            if c.ap_in_flight is not None:
                w(6, f" ap-in-flight:{c.ap_in_flight}")
                w(6, f" rs-in-flight:{c.rs_in_flight}")
            w(0, "\n")
            for p in c.peer_devices:
                w(4, f"volume:{p.volume}")
                w(8, f" replication:{p.replication}")
                w(8, f" peer-disk:{p.peer_disk}")
                if p.peer_disk == DiskState.DISKLESS:
                    w(8, f" peer-client:{_yn_unknown(p.peer_client)}")
                if p.done is not None:
                    w(8, f" done:{p.done:.2f}")
                w(8, f" resync-suspended:{_rsusp(p.resync_suspended)}")
                if p.received is not None:
                    w(8, "\n")
                    w(8, f" received:{p.received}")
                    w(8, f" sent:{p.sent}")
                    w(8, f" out-of-sync:{p.out_of_sync}")
                    w(8, f" pending:{p.pending}")
                    w(8, f" unacked:{p.unacked}")
                w(0, "\n")
        w(0, "\n")
    return "".join(w.out)


# ---------------------------------------------------------------------------------------------------------------------
# drbdsetup events2 (GRAMMAR §3.4; drbdsetup_events2.c print_*_changes)


@st.composite
def events2_resources(draw: st.DrawFn, name: str | None = None) -> Resource9:
    """A resource with exactly what `drbdsetup events2 --now [--statistics]` prints (no node-id, no JSON-only keys)."""
    stats = draw(st.booleans())
    vols = draw(st.lists(st.integers(0, 31), unique=True, max_size=3))
    devices = tuple(
        Device9(
            volume=v,
            minor=draw(st.integers(0, 2**20)),
            disk=draw(disks),
            client=draw(st.one_of(st.none(), st.booleans())),
            quorum=draw(st.booleans()),
            open=draw(st.one_of(st.none(), st.booleans())),
            backing_dev=draw(st.sampled_from(["none", f"/dev/drbdpool/r{v}"])),
            **_maybe(draw, stats, u64, ("size", "read", "written", "al_writes", "bm_writes", "upper_pending")),
            **_maybe(draw, stats, u32, ("lower_pending",)),
            **_maybe(draw, stats, st.booleans(), ("al_suspended",)),
            **_maybe(draw, stats, st.sampled_from(["no", "upper", "lower", "upper,lower"]), ("blocked",)),
        )
        for v in vols
    )
    conns = []
    for cname in draw(st.lists(names, unique=True, max_size=3)):
        state = draw(cstates)
        peers = []
        for v in draw(st.lists(st.sampled_from(vols), unique=True)) if vols else []:
            repl = draw(repls)
            peers.append(
                PeerDevice9(
                    volume=v,
                    replication=repl,
                    peer_disk=draw(disks),
                    peer_client=draw(st.one_of(st.none(), st.booleans())),
                    resync_suspended=draw(resync_suspends),
                    done=draw(st.one_of(st.none(), percent)) if repl in SYNCING else None,
                    **_maybe(draw, stats, u64, ("received", "sent", "out_of_sync", "pending", "unacked")),
                )
            )
        paths = draw(st.lists(st.tuples(addresses, addresses, st.booleans()), max_size=2, unique_by=lambda t: t[:2]))
        conns.append(
            Connection9(
                peer_node_id=draw(st.integers(0, 31)),
                name=cname,
                state=state,
                peer_role=draw(roles),
                sync_state=draw(st.sampled_from([None, "SplitBrain", "Unrelated"]))
                if state == ConnState.STANDALONE
                else None,
                congested=draw(st.booleans()) if stats else None,
                ap_in_flight=draw(u64) if stats else None,
                rs_in_flight=draw(u64) if stats else None,
                paths=tuple(Path9(a, b, e) for a, b, e in paths),
                peer_devices=tuple(peers),
            )
        )
    reasons = draw(suspends)
    return Resource9(
        name=name if name is not None else draw(names),
        node_id=None,
        role=draw(roles),
        suspended=bool(reasons),
        suspended_reasons=reasons,
        force_io_failures=draw(st.booleans()),
        write_ordering=draw(write_orderings) if stats else None,
        may_promote=draw(st.booleans()),
        promotion_score=draw(st.integers(0, 10**6)),
        devices=devices,
        connections=tuple(conns),
    )


def render_events2_now(resources: Iterable[Resource9], timestamp: str | None = None) -> str:
    """`drbdsetup events2 --now [--statistics]`: exists lines in kernel order, then `exists -`."""
    pre = "" if timestamp is None else timestamp + " "
    lines = []
    for r in resources:
        res = f"{pre}exists resource name:{r.name} role:{r.role} suspended:{_susp(r.suspended_reasons)}"
        res += f" force-io-failures:{_yn(bool(r.force_io_failures))}"
        if r.write_ordering is not None:
            res += f" write-ordering:{r.write_ordering}"
        lines.append(res + f" may_promote:{_yn(bool(r.may_promote))} promotion_score:{r.promotion_score}")
        for c in r.connections:
            line = f"{pre}exists connection name:{r.name} peer-node-id:{c.peer_node_id} conn-name:{c.name}"
            line += f" connection:{c.state} role:{c.peer_role}"
            if c.sync_state is not None:
                line += f" sync-state:{c.sync_state}"
            if c.congested is not None:
                line += f" congested:{_yn(c.congested)} ap-in-flight:{c.ap_in_flight} rs-in-flight:{c.rs_in_flight}"
            lines.append(line)
            for pa in c.paths:
                lines.append(
                    f"{pre}exists path name:{r.name} peer-node-id:{c.peer_node_id} conn-name:{c.name}"
                    f" local:{pa.local} peer:{pa.peer} established:{_yn(bool(pa.established))}"
                )
        for d in r.devices:
            line = f"{pre}exists device name:{r.name} volume:{d.volume} minor:{d.minor} backing_dev:{d.backing_dev}"
            line += f" disk:{d.disk} client:{_yn_unknown(d.client)}"
            if d.open is not None:
                line += f" open:{_yn(d.open)}"
            line += f" quorum:{_yn(bool(d.quorum))}"
            if d.size is not None:
                line += (
                    f" size:{d.size} read:{d.read} written:{d.written} al-writes:{d.al_writes}"
                    f" bm-writes:{d.bm_writes} upper-pending:{d.upper_pending} lower-pending:{d.lower_pending}"
                    f" al-suspended:{_yn(bool(d.al_suspended))} blocked:{d.blocked}"
                )
            lines.append(line)
        for c in r.connections:
            for p in c.peer_devices:
                line = (
                    f"{pre}exists peer-device name:{r.name} peer-node-id:{c.peer_node_id} conn-name:{c.name}"
                    f" volume:{p.volume} replication:{p.replication} peer-disk:{p.peer_disk}"
                    f" peer-client:{_yn_unknown(p.peer_client)} resync-suspended:{_rsusp(p.resync_suspended)}"
                )
                if p.done is not None:
                    line += f" done:{p.done:.2f}"
                if p.received is not None:
                    line += (
                        f" received:{p.received} sent:{p.sent} out-of-sync:{p.out_of_sync}"
                        f" pending:{p.pending} unacked:{p.unacked}"
                    )
                lines.append(line)
    lines.append(f"{pre}exists -")
    return "\n".join(lines) + "\n"


timestamps = st.builds(
    lambda y, mo, d, h, mi, s, us, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{us:06d}{off}",
    st.integers(2000, 2099),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 999999),
    st.sampled_from(["+00:00", "-07:00", "+05:30", "+01:00"]),
)

_ID_VALUES = {
    "name": names,
    "volume": st.integers(0, 31).map(str),
    "minor": st.integers(0, 2**20).map(str),
    "peer-node-id": st.integers(0, 31).map(str),
    "conn-name": names,
    "local": addresses,
    "peer": addresses,
}
_yn_values = st.sampled_from(["yes", "no"])
_ynu_values = st.sampled_from(["yes", "no", "unknown"])
_u = u64.map(str)
_f2 = percent.map(lambda x: f"{x:.2f}")
_STATE_VALUES: dict[EventObject, dict[str, st.SearchStrategy[str]]] = {
    EventObject.RESOURCE: {
        "role": roles,
        "suspended": suspends.map(_susp),
        "force-io-failures": _yn_values,
        "write-ordering": write_orderings,
        "may_promote": _yn_values,
        "promotion_score": st.integers(-5, 10**6).map(str),
    },
    EventObject.DEVICE: {
        "backing_dev": st.sampled_from(["none", "/dev/sda", "/dev/vg/lv"]),
        "disk": disks,
        "client": _ynu_values,
        "open": _ynu_values,
        "quorum": _yn_values,
        "size": _u,
        "read": _u,
        "al-suspended": _yn_values,
        "blocked": st.sampled_from(["no", "upper", "lower", "upper,lower"]),
    },
    EventObject.CONNECTION: {
        "connection": cstates,
        "role": roles,
        "congested": _yn_values,
        "ap-in-flight": _u,
        "rs-in-flight": _u,
        "sync-state": st.sampled_from(["SplitBrain", "Unrelated"]),
    },
    EventObject.PEER_DEVICE: {
        "replication": repls,
        "peer-disk": disks,
        "peer-client": _ynu_values,
        "resync-suspended": resync_suspends.map(_rsusp),
        "done": _f2,
        "received": _u,
        "out-of-sync": _u,
        "dbdt1": _f2,
        "eta": st.sampled_from(["nan", "0", "10", "987654321"]),
        "rs-dt0-ms": st.integers(-(2**40), 2**40).map(str),
    },
    EventObject.PATH: {"established": _yn_values},
}
_IDS = {
    EventObject.RESOURCE: ("name",),
    EventObject.DEVICE: ("name", "volume", "minor"),
    EventObject.CONNECTION: ("name", "peer-node-id", "conn-name"),
    EventObject.PEER_DEVICE: ("name", "peer-node-id", "conn-name", "volume"),
    EventObject.PATH: ("name", "peer-node-id", "conn-name", "local", "peer"),
}
_CREATE_KEYS = {
    EventObject.RESOURCE: ("role",),
    EventObject.DEVICE: ("disk",),
    EventObject.CONNECTION: ("connection", "role"),
    EventObject.PEER_DEVICE: ("replication", "peer-disk"),
    EventObject.PATH: (),
}


@st.composite
def event2_records(draw: st.DrawFn) -> Event2 | Skipped:
    """Any single valid events2 record (state, --diff, rename, helper, `exists -`, `- skipped N`)."""
    ts = draw(st.one_of(st.none(), timestamps))
    kind = draw(st.sampled_from(["state", "state", "state", "rename", "helper", "done", "skipped"]))
    if kind == "done":
        return Event2(Action.EXISTS, None, (), (), ts)
    if kind == "skipped":
        return Skipped(draw(st.integers(-5, 10**6)), ts)
    if kind == "rename":
        return Event2(Action.RENAME, EventObject.RESOURCE, (("name", draw(names)), ("new_name", draw(names))), (), ts)
    if kind == "helper":
        action = draw(st.sampled_from([Action.CALL, Action.RESPONSE]))
        fields = [("name", draw(names))]
        for key in ("peer-node-id", "conn-name", "volume", "minor"):
            if draw(st.booleans()):
                fields.append((key, draw(_ID_VALUES[key])))
        fields.append(("helper", draw(st.sampled_from(["before-resync-target", "fence-peer", "split-brain"]))))
        if action is Action.RESPONSE:
            fields.append(("status", draw(st.integers(0, 255).map(str))))
        return Event2(action, EventObject.HELPER, tuple(fields), (), ts)
    obj = draw(st.sampled_from(list(_IDS)))
    action = draw(st.sampled_from([Action.EXISTS, Action.CREATE, Action.CHANGE, Action.DESTROY]))
    ids = [(k, draw(_ID_VALUES[k])) for k in _IDS[obj]]
    if action is Action.DESTROY:
        return Event2(action, obj, tuple(ids), (), ts)
    values = _STATE_VALUES[obj]
    keys = list(_CREATE_KEYS[obj]) if action in (Action.EXISTS, Action.CREATE) else []
    keys += [k for k in draw(st.lists(st.sampled_from(sorted(values)), unique=True)) if k not in keys]
    diff = draw(st.booleans())
    fields = [*ids]
    old = []
    for k in keys:
        fields.append((k, draw(values[k])))
        if diff and draw(st.booleans()):
            old.append((k, draw(st.one_of(st.just("UNKNOWN"), values[k]))))
    return Event2(action, obj, tuple(fields), tuple(old), ts)


def render_event2(e: Event2 | Skipped) -> str:
    """One events2 line (no newline), as print_*_changes / print_helper print it."""
    pre = "" if e.timestamp is None else e.timestamp + " "
    if isinstance(e, Skipped):
        return f"{pre}- skipped {e.count}"
    if e.obj is None:
        return f"{pre}exists -"
    old = dict(e.old)
    parts = [f"{k}:{old[k]}->{v}" if k in old else f"{k}:{v}" for k, v in e.fields]
    return f"{pre}{e.action.value} {e.obj.value} " + " ".join(parts)
