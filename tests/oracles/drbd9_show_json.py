# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Oracle: parse DRBD 9 `drbdsetup show --json` (the running configuration); tests only, no product code reads it.

Strict, unlike xenha.drbd.status9.parse_status_json: an unknown key raises. It uses the JSON helpers of
xenha.drbd.status9 (printf's nan/inf fixed, objects as key/value pairs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from xenha.drbd.status9 import _JBad, _jbool, _jget, _jstr, _juint, _load_json, _Pairs
from xenha.errors import ParseError

__all__ = ["TOOL_SHOW_JSON", "ShowConnection9", "ShowResource9", "ShowVolume9", "parse_show_json"]

TOOL_SHOW_JSON = "drbdsetup show --json"
# print_paths leaves a trailing comma when no net options follow (shaptools_drbdsetup_show_json.json).
_TRAILING_COMMA_RE = re.compile(r'("(?:[^"\\]|\\.)*")|,(\s*[}\]])')


def _drop_trailing_comma(m: re.Match[str]) -> str:
    return m.group(1) if m.group(1) is not None else m.group(2)


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
    Nothing in the product reads it, so unlike parse_status_json it stays strict: an unknown key raises.
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
