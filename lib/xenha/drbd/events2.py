# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse `drbdsetup events2` and fold it into Resource9 records; raise ParseError on anything else. Cold.

No monitor reads events2: `xenha inspect drbd --events2 FILE` reads a capture, where naming the unknown line is
the answer, so this parser is strict (unknown actions, objects, keys and values raise). The key:value value grammar
here is also the one of the `drbdsetup status` text (GRAMMAR §3.2), which only the tests read
(tests/oracles/drbd9_status_text.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from xenha.drbd.model import SYNC_STATES
from xenha.drbd.status9 import (
    _RSUSP_ORDER,
    _RSUSP_WORDS,
    _WO_WORDS,
    SUSPEND_REASONS,
    Connection9,
    Device9,
    Path9,
    PeerDevice9,
    Resource9,
    SuspendReason,
    _Bad,
    _cstate,
    _disk,
    _lookup,
    _repl,
    _role,
    _token,
)
from xenha.errors import ParseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.drbd.status9 import ResyncSuspendName, SuspendName

__all__ = ["TOOL_EVENTS2", "Action", "Event2", "EventObject", "Events2", "Skipped", "events2_state", "parse_events2"]

TOOL_EVENTS2 = "drbdsetup events2"

_Conv = Callable[[str], Any]


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


# ---------------------------------------------------------------------------------------------------------------------
# The key:value value grammar of drbdsetup's text outputs (status text and events2)

_wo = _lookup(_WO_WORDS, "write-ordering")
_yesno = _lookup({"yes": True, "no": False}, "yes/no value")
# client:/open:/peer-client: print "unknown" when an older kernel does not say (no_yes_unknown_str).
_yesno_unknown = _lookup({"yes": True, "no": False, "unknown": None}, "yes/no/unknown value")
_blocked = _lookup({v: v for v in ("no", "upper", "lower", "upper,lower")}, "blocked value")
_sync_state = _lookup({"SplitBrain": "SplitBrain", "Unrelated": "Unrelated"}, "sync-state")

_UINT_RE = re.compile(r"[0-9]{1,20}")
_INT_RE = re.compile(r"-?[0-9]{1,20}")
_F2_RE = re.compile(r"-?[0-9]{1,20}\.[0-9]{2}")  # printf "%.2f"
_F0_RE = re.compile(r"-?(?:[0-9]{1,20}|nan|inf)")  # printf "%.0f" (eta: NAN when nothing moved yet)
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


def _path(value: str) -> str:
    if not _PATH_RE.fullmatch(value):
        raise _Bad(f"bad path {value!r}")
    return value


def _addr(value: str) -> str:
    if not _ADDR_RE.fullmatch(value):
        raise _Bad(f"bad address {value!r}")
    return value


_SUSP_WORDS: dict[str, SuspendName] = {w: w for w in SUSPEND_REASONS} | {"no-disk": SuspendReason.NO_DATA}  # 8.9 utils
_SUSP_ORDER = {w: i for i, w in enumerate(SUSPEND_REASONS)}


def _susp(value: str) -> tuple[SuspendName, ...]:
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


def _rsusp(value: str) -> tuple[ResyncSuspendName, ...]:
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
    if "done" not in f and attrs["replication"] not in SYNC_STATES:
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
