# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Read the subset of xl.cfg(5)/xmdomain.cfg(5) the simulator needs; raise DomUConfigError on anything else.

The simulator deliberately has its own reader instead of importing `xenha.xen.listing.parse_domu_config`: the test bed
must not trust the product it tests. Supported syntax (xl.cfg(5) "Syntax"): `KEY = VALUE` statements separated by
newlines or `;`, `#` comments, VALUE a number, a '...' or "..." string, or a `[ ... ]` list of those (lists may span
lines and end with a trailing comma). xm configs are Python, but the guests we manage use only that subset.

Disk specifications (xl-disk-configuration(5)): the positional form `TARGET,VDEV,ACCESS` (or
`TARGET,FORMAT,VDEV,ACCESS`) where TARGET may carry a legacy prefix (`phy:`, `file:`, `drbd:`, ...), and the
key=value form (`vdev=xvda,access=rw,script=block-drbd,target=r0`, the form the block-drbd script documents).
A prefix that is not a backend or format means `script=block-<prefix>` (xl's deprecated-prefix rule), so
`drbd:r0` and `script=block-drbd,target=r0` are the same disk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Disk",
    "DomUConfig",
    "DomUConfigError",
    "Vif",
    "parse_disk",
    "parse_domu_config",
    "parse_vif",
    "read_domu_config",
]

Value = int | float | str | list["Value"]

_BACKEND_PREFIXES = frozenset({"phy", "file", "tap", "tap2", "aio", "qdisk", "vhd", "raw", "qcow", "qcow2"})
_DISK_KEYS = frozenset(
    {"target", "vdev", "access", "format", "script", "devtype", "backendtype", "backend", "cdrom", "colo"}
)
_XVD = re.compile(r"^xvd([a-z]+)(\d*)$")
_SDHD = re.compile(r"^(sd|hd)([a-z])(\d*)$")
_DRBD_MINOR = re.compile(r"^/dev/drbd(\d+)$")
_DRBD_BY_RES = re.compile(r"^/dev/drbd/by-res/([^/]+)(?:/\d+)?$")
_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r]+)|(?P<nl>[\n;])|(?P<comment>\#[^\n]*)|(?P<str>'[^'\n]*'|"[^"\n]*")"""
    r"""|(?P<num>-?\d+(?:\.\d+)?(?![\w.]))|(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[=\[\],])"""
)


class DomUConfigError(Exception):
    """Raised for config text the simulator cannot read; `line` is 1-based, `near` the offending token."""

    def __init__(self, source: str, line: int, near: str, why: str) -> None:
        super().__init__(f"{source}:{line}: config parsing error near `{near}': {why}")
        self.source = source
        self.line = line
        self.near = near
        self.why = why


@dataclass(frozen=True, slots=True)
class Disk:
    """One `disk=` entry: where it points, how the guest sees it, and which DRBD resource it needs."""

    spec: str
    target: str
    vdev: str
    access: str
    prefix: str = ""
    script: str = ""
    format: str = "raw"

    @property
    def is_writable(self) -> bool:
        return "w" in self.access

    @property
    def drbd_resource(self) -> str | None:
        """The resource a block-drbd disk (`drbd:RES`, `script=block-drbd,target=RES`) or a by-res path names."""
        if self.script == "block-drbd":
            return self.target
        match = _DRBD_BY_RES.match(self.target)
        return match.group(1) if match else None

    @property
    def uses_block_drbd(self) -> bool:
        """True when Xen runs the block-drbd hotplug script (it promotes on attach and demotes on detach)."""
        return self.script == "block-drbd"

    @property
    def drbd_minor(self) -> int | None:
        """The minor of a plain `phy:/dev/drbdN` disk (no script: the device must already be Primary)."""
        if self.script:
            return None
        match = _DRBD_MINOR.match(self.target)
        return int(match.group(1)) if match else None

    @property
    def devnum(self) -> int:
        """The xenstore device number of the virtual device (xvda1 -> 51713), as libxl computes it."""
        return vdev_number(self.vdev)

    @property
    def pdev_path(self) -> str:
        return self.target

    def to_json(self) -> dict[str, str]:
        return {
            "spec": self.spec,
            "target": self.target,
            "vdev": self.vdev,
            "access": self.access,
            "prefix": self.prefix,
            "script": self.script,
            "format": self.format,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Disk:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Vif:
    """One `vif=` entry (only what `xl list -l` and `xm list --long` show)."""

    spec: str
    mac: str = ""
    bridge: str = ""
    script: str = ""

    def to_json(self) -> dict[str, str]:
        return {"spec": self.spec, "mac": self.mac, "bridge": self.bridge, "script": self.script}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Vif:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class DomUConfig:
    """What the simulator needs from a guest config; `raw` keeps every statement as read."""

    name: str
    memory: int = 128
    maxmem: int = 128
    vcpus: int = 1
    uuid: str = ""
    disks: tuple[Disk, ...] = ()
    vifs: tuple[Vif, ...] = ()
    kernel: str = ""
    ramdisk: str = ""
    cmdline: str = ""
    bootloader: str = ""
    builder: str = "pv"
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = ""

    @property
    def drbd_resources(self) -> tuple[str, ...]:
        """Resources whose block-drbd script promotes on attach, in disk order."""
        return tuple(d.drbd_resource for d in self.disks if d.uses_block_drbd and d.drbd_resource)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "memory": self.memory,
            "maxmem": self.maxmem,
            "vcpus": self.vcpus,
            "uuid": self.uuid,
            "disks": [d.to_json() for d in self.disks],
            "vifs": [v.to_json() for v in self.vifs],
            "kernel": self.kernel,
            "ramdisk": self.ramdisk,
            "cmdline": self.cmdline,
            "bootloader": self.bootloader,
            "builder": self.builder,
            "on_poweroff": self.on_poweroff,
            "on_reboot": self.on_reboot,
            "on_crash": self.on_crash,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DomUConfig:
        fields = dict(data)
        fields["disks"] = tuple(Disk.from_json(d) for d in data.get("disks", ()))
        fields["vifs"] = tuple(Vif.from_json(v) for v in data.get("vifs", ()))
        return cls(**fields)


def vdev_number(vdev: str) -> int:
    """libxl's device number for a virtual disk name: xvdX -> 202<<8 | 16*X + part, sdX/hdX the Linux majors."""
    name = vdev.split(":", 1)[0]
    match = _XVD.match(name)
    if match:
        index = 0
        for char in match.group(1):
            index = index * 26 + (ord(char) - ord("a") + 1)
        part = int(match.group(2) or 0)
        return (202 << 8) | ((index - 1) << 4) | part
    match = _SDHD.match(name)
    if match:
        index = ord(match.group(2)) - ord("a")
        part = int(match.group(3) or 0)
        if match.group(1) == "sd":
            return (8 << 8) | (index << 4) | part
        majors = (3, 3, 22, 22)
        major = majors[index] if index < len(majors) else 3
        return (major << 8) | ((index % 2) << 6) | part
    return 202 << 8


def parse_disk(spec: str) -> Disk:
    """One disk specification (xl-disk-configuration(5)); raise ValueError when it has no target or vdev."""
    parts = [p.strip() for p in spec.split(",")]
    keyed = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in parts if "=" in p)}
    positional = [p for p in parts if "=" not in p or p.partition("=")[0].strip() not in _DISK_KEYS]
    if keyed and set(keyed) <= _DISK_KEYS:
        positional = [p for p in parts if "=" not in p]
    target = keyed.get("target", "")
    vdev = keyed.get("vdev", "")
    access = keyed.get("access", "")
    fmt = keyed.get("format", "raw")
    if positional:
        if len(positional) == 4:
            target, fmt, vdev, access = positional
        elif len(positional) == 3:
            target, vdev, access = positional
        elif len(positional) == 2:
            target, vdev = positional
        else:
            target = positional[0]
    script = keyed.get("script", "")
    prefix = ""
    head, sep, rest = target.partition(":")
    if sep and not head.startswith("/"):
        prefix = head
        target = rest
        if prefix not in _BACKEND_PREFIXES:
            script = f"block-{prefix}"
    if script and "/" in script:
        script = script.rsplit("/", 1)[1]
    if not target or not vdev:
        raise ValueError(f"disk specification {spec!r} needs a target and a vdev")
    access = {"rw": "w", "ro": "r", "": "w"}.get(access, access)
    return Disk(spec=spec, target=target, vdev=vdev, access=access, prefix=prefix, script=script, format=fmt)


def parse_vif(spec: str) -> Vif:
    """One vif specification: only mac, bridge and script are kept."""
    keyed = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in spec.split(",") if "=" in p)}
    return Vif(spec=spec, mac=keyed.get("mac", ""), bridge=keyed.get("bridge", ""), script=keyed.get("script", ""))


def _tokens(text: str, source: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    line = 1
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise DomUConfigError(source, line, text[pos:].split(None, 1)[0], "lexical error")
        kind = match.lastgroup or ""
        pos = match.end()
        if kind not in ("ws", "comment"):
            out.append((kind, match.group(kind), line))
        if kind == "nl" and match.group(kind) == "\n":
            line += 1
    return out


def _statements(text: str, source: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    tokens = _tokens(text, source)
    i = 0

    def value_at(j: int) -> tuple[Value, int]:
        kind, tok, line = tokens[j] if j < len(tokens) else ("eof", "", tokens[-1][2] if tokens else 1)
        if kind == "str":
            return tok[1:-1], j + 1
        if kind == "num":
            return (float(tok) if "." in tok else int(tok)), j + 1
        if kind == "punct" and tok == "[":
            items: list[Value] = []
            j += 1
            while True:
                while j < len(tokens) and tokens[j][0] == "nl" and tokens[j][1] == "\n":
                    j += 1
                if j >= len(tokens):
                    raise DomUConfigError(source, line, "[", "unterminated list")
                if tokens[j][:2] == ("punct", "]"):
                    return items, j + 1
                item, j = value_at(j)
                items.append(item)
                while j < len(tokens) and tokens[j][0] == "nl" and tokens[j][1] == "\n":
                    j += 1
                if j < len(tokens) and tokens[j][:2] == ("punct", ","):
                    j += 1
                elif not (j < len(tokens) and tokens[j][:2] == ("punct", "]")):
                    near = tokens[j][1] if j < len(tokens) else "]"
                    raise DomUConfigError(source, tokens[j][2] if j < len(tokens) else line, near, "syntax error")
        raise DomUConfigError(source, line, tok or "<eof>", "syntax error, expecting STRING or NUMBER or '['")

    while i < len(tokens):
        kind, tok, line = tokens[i]
        if kind == "nl":
            i += 1
            continue
        if kind != "ident":
            raise DomUConfigError(source, line, tok, "syntax error, expecting IDENT")
        if i + 1 >= len(tokens) or tokens[i + 1][:2] != ("punct", "="):
            near = tokens[i + 1][1] if i + 1 < len(tokens) else tok
            raise DomUConfigError(source, line, near, "syntax error, expecting '='")
        value, i = value_at(i + 2)
        if i < len(tokens) and tokens[i][0] != "nl":
            raise DomUConfigError(source, tokens[i][2], tokens[i][1], "syntax error, expecting end of statement")
        out[tok] = value
    return out


def _override(arg: str, *, lenient: bool) -> tuple[str, Value]:
    """A command-line `KEY=VALUE` (xl: config syntax; xm: a Python variable, so a bare word is a string)."""
    key, _, raw = arg.partition("=")
    key = key.strip()
    try:
        parsed = _statements(f"{key}={raw}\n", "<command line>")
        return key, parsed[key]
    except DomUConfigError:
        if not lenient:
            raise
        return key, raw.strip().strip("'\"")


def _as_int(raw: dict[str, Value], key: str, default: int, source: str) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DomUConfigError(source, 0, key, "expected a number")
    try:
        return int(value)
    except ValueError:
        raise DomUConfigError(source, 0, str(value), f"{key} must be a number") from None


def _as_str(raw: dict[str, Value], key: str, default: str = "") -> str:
    value = raw.get(key, default)
    return value if isinstance(value, str) else str(value)


def _as_list(raw: dict[str, Value], key: str) -> list[str]:
    value = raw.get(key, [])
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def parse_domu_config(
    text: str, *, overrides: Sequence[str] = (), source: str = "<config>", lenient_overrides: bool = False
) -> DomUConfig:
    """Parse config text plus `KEY=VALUE` overrides (given after the file on xl/xm create's command line)."""
    raw = _statements(text, source)
    for arg in overrides:
        key, value = _override(arg, lenient=lenient_overrides)
        raw[key] = value
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise DomUConfigError(source, 0, "name", "Domain name must be specified.")
    memory = _as_int(raw, "memory", 128, source)
    try:
        disks = tuple(parse_disk(spec) for spec in _as_list(raw, "disk"))
    except ValueError as exc:
        raise DomUConfigError(source, 0, "disk", str(exc)) from None
    builder = _as_str(raw, "type", _as_str(raw, "builder", "pv"))
    return DomUConfig(
        name=name,
        memory=memory,
        maxmem=max(memory, _as_int(raw, "maxmem", memory, source)),
        vcpus=_as_int(raw, "vcpus", 1, source),
        uuid=_as_str(raw, "uuid"),
        disks=disks,
        vifs=tuple(parse_vif(spec) for spec in _as_list(raw, "vif")),
        kernel=_as_str(raw, "kernel"),
        ramdisk=_as_str(raw, "ramdisk"),
        cmdline=_as_str(raw, "extra", _as_str(raw, "cmdline")),
        bootloader=_as_str(raw, "bootloader"),
        builder="hvm" if builder == "hvm" else "pv",
        on_poweroff=_as_str(raw, "on_poweroff", "destroy"),
        on_reboot=_as_str(raw, "on_reboot", "restart"),
        on_crash=_as_str(raw, "on_crash"),
    )


def read_domu_config(path: str, *, overrides: Sequence[str] = (), lenient_overrides: bool = False) -> DomUConfig:
    """Read and parse a config file (OSError propagates: the front ends print the tool's own message)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    return parse_domu_config(text, overrides=overrides, source=path, lenient_overrides=lenient_overrides)
