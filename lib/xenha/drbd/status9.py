# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse DRBD 9 `drbdsetup status --json` into Resource9 records and the common view; raise ParseError on bad values.

Hot on DRBD 9: the monitor runs one `drbdsetup status --json RES` and reads it here, with `json` and dictionary
lookups (no `re`, no enum, no dataclasses). Keys this parser does not know are ignored at every level, because a
drbd-utils upgrade that adds a field must not fail a monitor; an unknown value in a field we decide on is still a
ParseError. The records are shared with the cold parsers of events2 (xenha.drbd.events2) and, in the tests, of
the text status and `show --json` (tests/oracles).
"""

from __future__ import annotations

from xenha.drbd.model import (
    SYNC_STATES,
    ConnState,
    DiskState,
    DrbdVolume,
    ReplState,
    Role,
    conn_state_named,
    disk_state_named,
    repl_state_named,
    role_named,
)
from xenha.errors import ParseError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any, Final, Literal

    from xenha.drbd.model import ConnName, DiskName, ReplName, RoleName

    SuspendName = Literal["user", "no-data", "fencing", "quorum"]
    ResyncSuspendName = Literal["user", "peer", "dependency", "max-parallel"]
    WriteOrderingName = Literal["none", "drain", "flush", "barrier"]
    _Conv = Callable[[str], Any]

__all__ = [
    "RESYNC_SUSPENDS",
    "SUSPEND_REASONS",
    "TOOL_STATUS_JSON",
    "WRITE_ORDERINGS",
    "Connection9",
    "Device9",
    "Path9",
    "PeerDevice9",
    "Resource9",
    "Resync9",
    "ResyncSuspend",
    "ResyncSuspendName",
    "SuspendName",
    "SuspendReason",
    "WriteOrdering",
    "WriteOrderingName",
    "parse_status_json",
    "volumes",
]

TOOL_STATUS_JSON = "drbdsetup status --json"


# ---------------------------------------------------------------------------------------------------------------------
# States that only DRBD 9 has (the shared state names live in xenha.drbd.model)


class SuspendReason:
    """Why a resource's I/O is suspended (susp_str in drbd-utils user/v9/drbdsetup.c, printed in this order)."""

    USER: Final = "user"
    NO_DATA: Final = "no-data"
    FENCING: Final = "fencing"
    QUORUM: Final = "quorum"


class ResyncSuspend:
    """Why a peer device's resync is suspended (resync_susp_str; `max-parallel` from later drbd-utils)."""

    USER: Final = "user"
    PEER: Final = "peer"
    DEPENDENCY: Final = "dependency"
    MAX_PARALLEL: Final = "max-parallel"


class WriteOrdering:
    """The write-ordering method in use (write_ordering_str)."""

    NONE: Final = "none"
    DRAIN: Final = "drain"
    FLUSH: Final = "flush"
    BARRIER: Final = "barrier"


# Every value of each kind, in drbdsetup's printing order.
SUSPEND_REASONS: tuple[SuspendName, ...] = (
    SuspendReason.USER,
    SuspendReason.NO_DATA,
    SuspendReason.FENCING,
    SuspendReason.QUORUM,
)
RESYNC_SUSPENDS: tuple[ResyncSuspendName, ...] = (
    ResyncSuspend.USER,
    ResyncSuspend.PEER,
    ResyncSuspend.DEPENDENCY,
    ResyncSuspend.MAX_PARALLEL,
)
WRITE_ORDERINGS: tuple[WriteOrderingName, ...] = (
    WriteOrdering.NONE,
    WriteOrdering.DRAIN,
    WriteOrdering.FLUSH,
    WriteOrdering.BARRIER,
)


# ---------------------------------------------------------------------------------------------------------------------
# The state model


@record
class Path9:
    """One network path of a connection; addresses as events2 prints them (`ipv4:10.0.0.1:7789`)."""

    local: str
    peer: str
    established: bool | None = None


@record
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


@record
class PeerDevice9:
    """One volume as replicated to one peer; None means the source did not report the field."""

    volume: int
    replication: ReplName
    peer_disk: DiskName
    peer_client: bool | None = None
    resync_suspended: tuple[ResyncSuspendName, ...] = ()
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
        return self.replication in SYNC_STATES

    @property
    def is_established(self) -> bool:
        return self.replication == ReplState.ESTABLISHED

    @property
    def is_peer_uptodate(self) -> bool:
        return self.peer_disk == DiskState.UPTODATE

    @property
    def sync_percent(self) -> float | None:
        """Resync progress in percent while syncing (`done:` or percent-resync-done), else None."""
        if not self.is_syncing:
            return None
        return self.done if self.done is not None else self.percent_resync_done


@record
class Connection9:
    """The connection to one peer node; `name` is the conn-name (None when drbdsetup printed `node-id:N` only)."""

    peer_node_id: int | None
    name: str | None
    state: ConnName
    peer_role: RoleName
    congested: bool | None = None
    ap_in_flight: int | None = None
    rs_in_flight: int | None = None
    tls: bool | None = None
    sync_state: str | None = None
    paths: tuple[Path9, ...] = ()
    peer_devices: tuple[PeerDevice9, ...] = ()

    @property
    def is_connected(self) -> bool:
        return self.state == ConnState.CONNECTED

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role == Role.PRIMARY

    @property
    def is_split_brain(self) -> bool:
        """True when events2 reported `sync-state:SplitBrain` on this (StandAlone) connection."""
        return self.sync_state == "SplitBrain"

    def peer_device(self, volume: int) -> PeerDevice9 | None:
        for pd in self.peer_devices:
            if pd.volume == volume:
                return pd
        return None


@record
class Device9:
    """One local volume; sizes in KiB; None means the source did not report the field."""

    volume: int
    minor: int | None
    disk: DiskName
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
        return self.disk == DiskState.UPTODATE

    @property
    def is_diskless(self) -> bool:
        return self.disk == DiskState.DISKLESS

    @property
    def has_quorum(self) -> bool:
        """False only when quorum is reported lost (text status prints `quorum:` only when it is `no`)."""
        return self.quorum is not False


@record
class Resource9:
    """One DRBD 9 resource as this node sees it: local role, devices and connections (with their peer devices)."""

    name: str
    node_id: int | None
    role: RoleName
    suspended: bool = False
    suspended_reasons: tuple[SuspendName, ...] = ()
    force_io_failures: bool | None = None
    write_ordering: WriteOrderingName | None = None
    may_promote: bool | None = None
    promotion_score: int | None = None
    devices: tuple[Device9, ...] = ()
    connections: tuple[Connection9, ...] = ()

    @property
    def is_primary(self) -> bool:
        return self.role == Role.PRIMARY

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
                if cstate == ConnState.CONNECTED and pd.replication not in (ReplState.OFF, ReplState.ESTABLISHED):
                    # DrbdVolume's cstate rule (see its docstring): every other replication state is a cstate name
                    cstate = conn_state_named(pd.replication) or cstate
                out.append(_volume(r, d, pd, cstate=cstate, peer_role=c.peer_role, peer=c.name))
    return tuple(out)


def _volume(
    r: Resource9, d: Device9, pd: PeerDevice9 | None, *, cstate: ConnName, peer_role: RoleName | None, peer: str | None
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
# Value grammar shared by the JSON parser here and the key:value parsers of events2 and the text status


class _Bad(Exception):
    """Internal: a token does not match the grammar; the parser re-raises it as ParseError with the line."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _lookup(table: Mapping[str, Any], what: str) -> _Conv:
    def convert(value: str) -> Any:
        try:
            return table[value]
        except KeyError:
            raise _Bad(f"unknown {what} {value!r}") from None

    return convert


def _role(value: str) -> RoleName:
    role = role_named(value)
    if role is None:
        raise _Bad(f"unknown role {value!r}")
    return role


def _disk(value: str) -> DiskName:
    disk = disk_state_named(value)
    if disk is None:
        raise _Bad(f"unknown disk state {value!r}")
    return disk


def _repl(value: str) -> ReplName:
    repl = repl_state_named(value)
    if repl is None:
        raise _Bad(f"unknown replication state {value!r}")
    return repl


_WO_WORDS: dict[str, WriteOrderingName] = {w: w for w in WRITE_ORDERINGS}
# DRBD 9 connection states only (GRAMMAR §3.5): no WFConnection/WFReportParams and no replication states.
_CSTATES9: dict[str, ConnName] = {
    s: s
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
}
_cstate = _lookup(_CSTATES9, "connection state")


def _token(value: str) -> str:
    """Resource, connection and helper names: `[^\\s:]+` (no white space, no colon)."""
    if not value or ":" in value or value.split() != [value]:
        raise _Bad(f"bad name {value!r}")
    return value


_RSUSP_WORDS: dict[str, ResyncSuspendName] = {w: w for w in RESYNC_SUSPENDS}
_RSUSP_ORDER = {w: i for i, w in enumerate(RESYNC_SUSPENDS)}


def _rsusp_known(value: str) -> tuple[ResyncSuspendName, ...]:
    """The resync-suspended words this parser knows, in resync_susp_str's order; unknown words are left out (JSON)."""
    if value == "no":
        return ()
    reasons = {_RSUSP_WORDS[w] for w in value.split(",") if w in _RSUSP_WORDS}
    return tuple(sorted(reasons, key=_RSUSP_ORDER.__getitem__))


# ---------------------------------------------------------------------------------------------------------------------
# JSON: `drbdsetup status --json` (GRAMMAR §3.3); the helpers also read `drbdsetup show --json` (tests/oracles)

# printf("%.0f") of NaN/Inf gives nan, -nan, inf, -inf: invalid JSON (real sample
# drbd9/shaptools_drbdsetup_status_json_syncsource_nan.json). Rewritten outside strings only, by a regex compiled
# when the text contains such a word at all (a resync's eta; most monitors never need it).
_NONFINITE = r'("(?:[^"\\]|\\.)*")|(?<![\w.])(-?)(nan|inf)(?![\w.])'


def _fix_nonfinite(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    # glibc prints a NaN with its sign bit set (0.0/0.0 on x86) as -nan; JSON readers know no -NaN.
    return "NaN" if m.group(3) == "nan" else m.group(2) + "Infinity"


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


class _JSONError(ValueError):
    """A JSON syntax error at `pos` of `doc`, with json.JSONDecodeError's `msg` and `lineno`."""

    def __init__(self, msg: str, doc: str, pos: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.lineno = doc.count("\n", 0, pos) + 1


class _ScanContext:
    """What json's C scanner reads from its decoder (json.JSONDecoder's defaults), with our object hook."""

    strict = True
    object_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__

    def __init__(self, hook: Callable[[list[tuple[str, object]]], object]) -> None:
        self.object_pairs_hook = hook


def _skip_blanks(text: str, pos: int) -> int:
    """The first position at or after `pos` that is not JSON white space (json.decoder.WHITESPACE)."""
    end = len(text)
    while pos < end and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _json_loads(text: str, hook: Callable[[list[tuple[str, object]]], object]) -> object:
    """json.loads(text, object_pairs_hook=hook), without importing json unless the text is not JSON.

    `import json` loads json.decoder, which imports `re`, which imports `enum`: some 4 ms for each DRBD 9 monitor.
    The decoding itself is done by json's C scanner (_json.make_scanner, what json.JSONDecoder uses), called here
    the way JSONDecoder.decode calls it; _json raises json.JSONDecodeError for a syntax error inside a value (that
    path imports json), this function the same errors json does around it. Without _json (another Python), json.
    """
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - CPython always has it
        import json

        return json.loads(text, object_pairs_hook=hook)
    if text.startswith("\ufeff"):
        raise _JSONError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    scan = make_scanner(_ScanContext(hook))  # type: ignore[arg-type]  # typeshed types the context as a scanner
    try:
        value, end = scan(text, _skip_blanks(text, 0))
    except StopIteration as err:
        raise _JSONError("Expecting value", text, err.value) from None
    end = _skip_blanks(text, end)
    if end != len(text):
        raise _JSONError("Extra data", text, end)
    return value


def _load_json(text: str, tool: str, hook: Callable[[list[tuple[str, object]]], object]) -> object:
    if "nan" in text or "inf" in text:
        import re

        text = re.sub(_NONFINITE, _fix_nonfinite, text)
    try:
        return _json_loads(text, hook)
    except _JBad as e:
        raise ParseError(tool, 0, e.path, e.why) from None
    except ValueError as e:  # json's JSONDecodeError and ours; an integer too long to convert
        lineno: int | None = getattr(e, "lineno", None)
        if lineno is None:
            raise ParseError(tool, 0, "", f"unreadable JSON: {e}") from None
        lines = text.splitlines()
        line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
        raise ParseError(tool, lineno, line, getattr(e, "msg", str(e))) from None
    except RecursionError as e:  # absurd nesting
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


_J_SUSP: tuple[tuple[str, SuspendName], ...] = (
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
    import math

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
