# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracle: parse DRBD 9 `drbdsetup status` / `drbdadm status` text; no product code reads it (tests only).

The agents and tools read `drbdsetup status --json` (xenha.drbd.status9). This parser reads the text that the
simulator prints and the documentation shows, with the key:value grammar shared with events2
(xenha.drbd.events2), into the same Resource9 records, so the tests can check that both forms agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from xenha.drbd.events2 import (
    _CONN_KEYS,
    _DEV_KEYS,
    _PEER_KEYS,
    _RES_KEYS,
    _addr,
    _apply,
    _split_kv,
    _uint,
    _yesno,
)
from xenha.drbd.model import ConnState, DiskState, ReplState, Role
from xenha.drbd.status9 import Connection9, Device9, Path9, PeerDevice9, Resource9, _Bad, _disk, _token
from xenha.errors import ParseError

__all__ = ["TOOL_STATUS", "parse_status_text"]

TOOL_STATUS = "drbdsetup status"


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
        if attrs.get("replication", ReplState.OFF) != ReplState.OFF:
            raise _Bad("peer-device line without peer-disk:")
        attrs["peer_disk"] = DiskState.DUNKNOWN
        attrs["replication"] = ReplState.OFF
    elif "replication" not in attrs:
        # replication: is printed only above Established; Off otherwise (a connection that is not Connected).
        attrs["replication"] = ReplState.ESTABLISHED if conn["state"] == ConnState.CONNECTED else ReplState.OFF
    peers.append(PeerDevice9(**attrs))
