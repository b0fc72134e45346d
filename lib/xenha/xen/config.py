# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""domU config files (xl.cfg(5), xmdomain.cfg(5)) and their disk and vif specs: read without executing them (cold).

Start, validate-all, migrate_to (the DRBD guard), the boot guard and heartbeat v1 read configs; a monitor never does
(XenDomainHA caches the name it needs, see xenha.agents.xendomain).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import TypeAlias

from xenha.errors import ParseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.run import Deadline

__all__ = [
    "CONFIG_MAX_BYTES",
    "ConfigValue",
    "DiskKind",
    "DiskSpec",
    "DomUConfig",
    "DomainType",
    "VifSpec",
    "parse_disk_spec",
    "parse_domu_config",
    "parse_vif_spec",
    "read_domu_config",
    "script_kind",
    "split_vdev",
    "strip_disk_prefixes",
    "vif_from_pairs",
]


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern on first use and keep it."""
    return re.compile(pattern)


class DomainType(Enum):
    """libxl_domain_type as named in xl configs and `xl list -l` (`pvh` since Xen 4.10)."""

    PV = "pv"
    HVM = "hvm"
    PVH = "pvh"


# ---------------------------------------------------------------------------------------------------------------------
# Disk and network specifications (xl-disk-configuration(5), xm create; GRAMMAR.md §4.2)


class DiskKind(Enum):
    """How the backend reaches a disk: the legacy `prefix:` of xm/xl, xl's `backendtype=`, or a block script."""

    PHY = "phy"
    FILE = "file"
    TAP = "tap"
    QDISK = "qdisk"
    STANDALONE = "standalone"
    DRBD = "drbd"
    SCRIPT = "script"
    UNKNOWN = "unknown"


_DRBD_MINOR = r"/dev/drbd(\d+)"
_DRBD_BY_RES = r"/dev/drbd/by-res/([^/]+)(?:/(\d+))?"
# Legacy `prefix:` forms; `tap:aio:/x`, `tap:qcow2:/x` chain two (libxlu_disk_l.l "deprecated prefixes").
_FORMAT_PREFIXES = frozenset({"raw", "qcow", "qcow2", "vhd"})
_SCRIPT_PREFIXES = frozenset({"iscsi", "nbd", "enbd", "drbd"})
_KIND_PREFIXES = {
    "phy": DiskKind.PHY,
    "file": DiskKind.FILE,
    "tap": DiskKind.TAP,
    "tap2": DiskKind.TAP,
    "tapdisk": DiskKind.TAP,
    "aio": DiskKind.TAP,
    "ioemu": DiskKind.QDISK,
}
_PREFIX = r"([a-z][a-z0-9]*):"


@dataclass(frozen=True, slots=True)
class DiskSpec:
    """One virtual disk: where its data lives (`target`, `path`), how the backend reaches it, and the guest side.

    `target` is the backing store as written (`phy:/dev/drbd1`, `drbd:r0`, xl's `target=` value, xend's uname, or
    libxl's pdev_path); `path` is `target` without its legacy prefixes (the device, file or DRBD resource name).
    """

    target: str
    path: str
    vdev: str | None
    mode: str | None
    kind: DiskKind
    format: str | None = None
    script: str | None = None
    is_cdrom: bool = False

    @property
    def is_writable(self) -> bool:
        """False only for `r`/`ro` access; xm's `w!` (shared write) and xl's default count as writable."""
        return self.mode not in ("r", "ro")

    @property
    def drbd_resource(self) -> str | None:
        """The DRBD resource: the target of a `drbd:` disk (block-drbd script), or `/dev/drbd/by-res/<res>[/vol]`."""
        if self.kind is DiskKind.DRBD:
            return self.path
        match = _rx(_DRBD_BY_RES).fullmatch(self.path)
        return None if match is None else match[1]

    @property
    def drbd_volume(self) -> int | None:
        """The volume number of a `/dev/drbd/by-res/<res>/<vol>` path (DRBD 8.4+), else None."""
        match = _rx(_DRBD_BY_RES).fullmatch(self.path) if self.kind is not DiskKind.DRBD else None
        return None if match is None or match[2] is None else int(match[2])

    @property
    def drbd_minor(self) -> int | None:
        """N for a `/dev/drbdN` path, else None."""
        match = _rx(_DRBD_MINOR).fullmatch(self.path) if self.kind is not DiskKind.DRBD else None
        return None if match is None else int(match[1])

    @property
    def is_drbd(self) -> bool:
        return self.drbd_resource is not None or self.drbd_minor is not None

    def to_json(self) -> dict[str, object]:
        """This disk as a JSON object, with the DRBD identity worked out."""
        return {
            "target": self.target,
            "path": self.path,
            "vdev": self.vdev,
            "mode": self.mode,
            "kind": self.kind.value,
            "format": self.format,
            "script": self.script,
            "is_cdrom": self.is_cdrom,
            "drbd_resource": self.drbd_resource,
            "drbd_volume": self.drbd_volume,
            "drbd_minor": self.drbd_minor,
        }


def script_kind(script: str | None) -> DiskKind | None:
    if script is None:
        return None
    base = script.rsplit("/", 1)[-1]
    return DiskKind.DRBD if base in ("drbd", "block-drbd") else DiskKind.SCRIPT


_ACCESS = frozenset({"r", "ro", "w", "rw", "w!", ""})
_DISK_KEYS = frozenset({"format", "devtype", "access", "backend", "backendtype", "vdev", "script", "specification"})
_DISK_FLAGS = frozenset({"cdrom", "direct-io-safe", "discard", "no-discard", "colo", "no-colo", "trusted", "untrusted"})
_DISK_FORMATS = frozenset({"", "raw", "qcow", "qcow2", "vhd", "empty", "qed"})
_BACKEND_KINDS = {"phy": DiskKind.PHY, "tap": DiskKind.TAP, "qdisk": DiskKind.QDISK, "standalone": DiskKind.STANDALONE}
_DISK_KEYWORD = r"(?s)([a-z][-a-z0-9_]*)=(.*)"  # libxlu_disk_l.l: `[a-z][-a-z0-9]*=`


def strip_disk_prefixes(target: str) -> tuple[str, DiskKind | None, str | None, str | None]:
    """Peel legacy prefixes off a target: (path, kind, format, script)."""
    kind: DiskKind | None = None
    fmt: str | None = None
    script: str | None = None
    rest = target
    while (match := _rx(_PREFIX).match(rest)) is not None:
        word = match[1]
        if word in _FORMAT_PREFIXES:
            fmt = word
        elif word in _SCRIPT_PREFIXES:
            script = f"block-{word}"
        elif word in _KIND_PREFIXES:
            kind = kind or _KIND_PREFIXES[word]
        elif kind is None and script is None and fmt is None:
            # xend runs /etc/xen/scripts/block-<prefix> for any other prefix (how DRBD's own block-drbd is used
            # with xm); xl rejects `foo:/x` and reads `foo:bar` as a path, so this is xm's reading.
            script = f"block-{word}"
        else:
            break
        rest = rest[match.end() :]
    return rest, kind, fmt, script


def split_vdev(vdev: str) -> tuple[str, bool]:
    """`hdc:cdrom` / `xvda:disk` (deprecated devtype suffix) to (vdev, is_cdrom)."""
    head, sep, devtype = vdev.rpartition(":")
    if sep and devtype in ("cdrom", "disk"):
        return head, devtype == "cdrom"
    return vdev, False


def parse_disk_spec(spec: str, *, lineno: int = 0) -> DiskSpec:
    """Parse one xm/xl DISKSPEC (`phy:/dev/drbd1,xvda1,w` or `format=raw, vdev=xvda, access=rw, target=/dev/x`).

    Follows xl-disk-configuration(5) and libxlu_disk_l.l: positional parameters are target, format, vdev, access,
    except that after a legacy `prefix:` target the format position is skipped (xm's `uname,dev,mode`); `target=`
    takes the rest of the string, commas included. xm's `w!` access is accepted.
    """
    tool = "disk spec"
    target: str | None = None
    keyed: dict[str, str] = {}
    positional: list[str] = []
    is_cdrom = False
    rest = spec
    while rest:
        head, comma, tail = rest.partition(",")
        param = head.strip()
        if rest.lstrip().startswith("target="):  # "the target magic parameter, eats the rest of the string"
            target = rest.lstrip()[len("target=") :].strip()
            break
        rest = tail if comma else ""
        if not param:
            positional.append("")
            continue
        match = _rx(_DISK_KEYWORD).fullmatch(param)
        if match is not None:
            key, value = match[1], match[2].strip()
            if key not in _DISK_KEYS:
                raise ParseError(tool, lineno, spec, f"unknown parameter {key!r}")
            if key in keyed:
                raise ParseError(tool, lineno, spec, f"{key} respecified")
            keyed[key] = value
        elif param in _DISK_FLAGS:
            is_cdrom = is_cdrom or param == "cdrom"
        elif "=" in param:  # a positional parameter never holds "=" (libxlu_disk_l.l `[^=,]+`)
            raise ParseError(tool, lineno, spec, f"bad disk syntax {param!r}")
        else:
            positional.append(param)
    path: str
    kind: DiskKind | None = None
    fmt: str | None = None
    script: str | None = None
    if target is not None:  # xl stores `target=` verbatim: no legacy prefix is peeled off it
        path = target
    elif positional:
        target = positional.pop(0)
        path, kind, fmt, script = strip_disk_prefixes(target)
    else:
        raise ParseError(tool, lineno, spec, "no target")
    had_prefix = path != target
    names = ["vdev", "access"] if had_prefix else ["format", "vdev", "access"]
    if "format" in keyed and "format" in names:
        names.remove("format")
    if len(positional) > len(names):
        raise ParseError(tool, lineno, spec, "too many positional parameters")
    for name, value in zip(names, positional, strict=False):
        if name in keyed:
            raise ParseError(tool, lineno, spec, f"{name} respecified")
        keyed[name] = value
    if keyed.get("format") is not None:
        if keyed["format"] not in _DISK_FORMATS:
            raise ParseError(tool, lineno, spec, f"unknown format {keyed['format']!r}")
        fmt = keyed["format"] or fmt
    access = keyed.get("access")
    if access is not None and access not in _ACCESS:
        raise ParseError(tool, lineno, spec, f"unknown access {access!r}")
    devtype = keyed.get("devtype")
    if devtype is not None:
        if devtype not in ("cdrom", "disk"):
            raise ParseError(tool, lineno, spec, f"unknown devtype {devtype!r}")
        is_cdrom = devtype == "cdrom"
    vdev = keyed.get("vdev") or None
    if vdev is not None:
        vdev, suffix_cdrom = split_vdev(vdev)
        is_cdrom = is_cdrom or suffix_cdrom
    if "script" in keyed:
        script = keyed["script"]
    backendtype = keyed.get("backendtype")
    if backendtype is not None and backendtype not in _BACKEND_KINDS:
        raise ParseError(tool, lineno, spec, f"unknown backendtype {backendtype!r}")
    kind = script_kind(script) or (_BACKEND_KINDS[backendtype] if backendtype else None) or kind or DiskKind.UNKNOWN
    return DiskSpec(
        target=target,
        path=path,
        vdev=vdev,
        mode=access or None,
        kind=kind,
        format=fmt or None,
        script=script,
        is_cdrom=is_cdrom,
    )


@dataclass(frozen=True, slots=True)
class VifSpec:
    """One virtual network interface (xl-network-configuration(5) / xm `vif` and `(device (vif ...))`)."""

    mac: str | None = None
    bridge: str | None = None
    ip: str | None = None
    script: str | None = None
    model: str | None = None
    vifname: str | None = None
    type: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {field: getattr(self, field) for field in _VIF_FIELDS} | {"options": dict(self.options)}


_VIF_FIELDS = ("mac", "bridge", "ip", "script", "model", "vifname", "type")
_VIF_KEY = r"[a-z][a-z0-9_-]*"


def vif_from_pairs(pairs: Sequence[tuple[str, str]]) -> VifSpec:
    known = {key: value for key, value in pairs if key in _VIF_FIELDS}
    other = tuple((key, value) for key, value in pairs if key not in _VIF_FIELDS)
    return VifSpec(
        mac=known.get("mac"),
        bridge=known.get("bridge"),
        ip=known.get("ip"),
        script=known.get("script"),
        model=known.get("model"),
        vifname=known.get("vifname"),
        type=known.get("type"),
        options=other,
    )


def parse_vif_spec(spec: str, *, lineno: int = 0) -> VifSpec:
    """Parse one xm/xl VIFSPEC (`mac=00:16:3e:00:00:01, bridge=xenbr0`); every item must be `key=value`."""
    pairs: list[tuple[str, str]] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or _rx(_VIF_KEY).fullmatch(key) is None:
            raise ParseError("vif spec", lineno, spec, f"item {item!r} is not key=value")
        pairs.append((key, value.strip()))
    return vif_from_pairs(pairs)


# ---------------------------------------------------------------------------------------------------------------------
# domU config files (xl.cfg(5), xmdomain.cfg(5))

ConfigValue: TypeAlias = "str | int | float | bool | None | tuple[ConfigValue, ...]"


@dataclass(frozen=True, slots=True)
class DomUConfig:
    """A domU config file: the settings HA needs, typed, plus every literal setting in file order."""

    name: str
    type: DomainType
    memory_mib: int | None
    maxmem_mib: int | None
    vcpus: int | None
    disks: tuple[DiskSpec, ...]
    vifs: tuple[VifSpec, ...]
    settings: tuple[tuple[str, ConfigValue], ...]

    def get(self, key: str) -> ConfigValue:
        """The literal value of `key` (None when absent)."""
        return next((value for name, value in self.settings if name == key), None)


@dataclass(frozen=True, slots=True)
class _Setting:
    value: ConfigValue
    lineno: int
    element_lines: tuple[int, ...]  # the line of each list element, for error messages


class _ConfigReader:
    """Turns a config file into literal settings with `ast`, never evaluating anything."""

    tool = "domU config"

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()

    def fail(self, node: ast.AST | int, why: str) -> ParseError:
        lineno = node if isinstance(node, int) else getattr(node, "lineno", 0)
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return ParseError(self.tool, lineno, line, why)

    def literal(self, node: ast.expr) -> ConfigValue:
        if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str | int | float)):
            value: ConfigValue = node.value
            return value
        if isinstance(node, ast.List | ast.Tuple):
            return tuple(self.literal(item) for item in node.elts)
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
            and not isinstance(node.operand.value, bool)
        ):
            return -node.operand.value
        raise self.fail(node, f"only literal values are allowed, not {type(node).__name__}")

    def settings(self) -> dict[str, _Setting]:
        try:
            module = ast.parse(self.text, mode="exec")
        except SyntaxError as exc:
            raise self.fail(exc.lineno or 0, exc.msg) from None
        except ValueError as exc:  # e.g. NUL bytes
            raise self.fail(0, str(exc)) from None
        found: dict[str, _Setting] = {}
        for stmt in module.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                found[stmt.targets[0].id] = _Setting(self.literal(stmt.value), stmt.lineno, _element_lines(stmt.value))
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name):
                # xl's `key += value` appends to a list or string (libxlu_cfg_y.y, Xen 4.5+).
                key, added = stmt.target.id, self.literal(stmt.value)
                old = found.get(key)
                if old is None:
                    found[key] = _Setting(added, stmt.lineno, _element_lines(stmt.value))
                elif isinstance(old.value, tuple) and isinstance(added, tuple):
                    lines = old.element_lines + _element_lines(stmt.value)
                    found[key] = _Setting(old.value + added, old.lineno, lines)
                elif isinstance(old.value, str) and isinstance(added, str):
                    found[key] = _Setting(old.value + added, old.lineno, ())
                else:
                    raise self.fail(stmt, f"cannot append to {key}")
            else:
                raise self.fail(stmt, "only `key = literal` settings are allowed")
        return found


def _element_lines(node: ast.expr) -> tuple[int, ...]:
    return tuple(element.lineno for element in node.elts) if isinstance(node, ast.List | ast.Tuple) else ()


def _config_int(reader: _ConfigReader, key: str, setting: _Setting) -> int:
    # libxlu stores every atom as a string and reads numbers with strtol, so `memory = "512"` is valid in xl.
    value = setting.value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _rx(r"\s*\d+\s*").fullmatch(value):
        return int(value)
    raise reader.fail(setting.lineno, f"{key} must be an integer, got {value!r}")


def _config_specs(reader: _ConfigReader, key: str, setting: _Setting) -> list[tuple[str, int]]:
    """Each string of a list setting with the line it is on; xm also took a single string."""
    value = setting.value
    if isinstance(value, str):
        return [(value, setting.lineno)]
    if isinstance(value, tuple):
        specs: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            line = setting.element_lines[index] if index < len(setting.element_lines) else setting.lineno
            if not isinstance(item, str):
                raise reader.fail(line, f"{key} entries must be strings, got {item!r}")
            specs.append((item, line))
        return specs
    raise reader.fail(setting.lineno, f"{key} must be a list of strings")


def parse_domu_config(text: str) -> DomUConfig:
    """Parse an xm/xl domU config without executing it: literal `key = value` settings only, else ParseError.

    `type` (Xen 4.10+: pv, pvh, hvm) wins over `builder` (`hvm`, else PV); `name` is required as xl requires it.
    """
    reader = _ConfigReader(text)
    found = reader.settings()
    name = found.get("name")
    if name is None or not isinstance(name.value, str) or not name.value:
        raise reader.fail(0 if name is None else name.lineno, "name must be a non-empty string")
    dtype = DomainType.PV
    builder = found.get("builder")
    if builder is not None:
        if not isinstance(builder.value, str):
            raise reader.fail(builder.lineno, "builder must be a string")
        dtype = DomainType.HVM if builder.value == "hvm" else DomainType.PV
    type_setting = found.get("type")
    if type_setting is not None:
        try:
            dtype = DomainType(type_setting.value)
        except ValueError:
            raise reader.fail(type_setting.lineno, f"unknown type {type_setting.value!r}") from None

    def number(key: str) -> int | None:
        setting = found.get(key)
        return None if setting is None else _config_int(reader, key, setting)

    disk = found.get("disk")
    vif = found.get("vif")
    disks = [] if disk is None else [parse_disk_spec(s, lineno=n) for s, n in _config_specs(reader, "disk", disk)]
    vifs = [] if vif is None else [parse_vif_spec(s, lineno=n) for s, n in _config_specs(reader, "vif", vif)]
    return DomUConfig(
        name=name.value,
        type=dtype,
        memory_mib=number("memory"),
        maxmem_mib=number("maxmem"),
        vcpus=number("vcpus"),
        disks=tuple(disks),
        vifs=tuple(vifs),
        settings=tuple((key, setting.value) for key, setting in found.items()),
    )


# A domU config is a few hundred bytes; xl itself refuses more than 1 MiB (libxlu_cfg.c xlu_cfg_readfile does not,
# but nobody writes more). Bounded, so that a config path pointing at a device or a FIFO cannot hang or flood an op.
CONFIG_MAX_BYTES = 1 << 20


def read_domu_config(path: str, *, limit: int = CONFIG_MAX_BYTES, deadline: Deadline | None = None) -> DomUConfig:
    """Read (xenha.files: at most `limit` bytes, a regular file only, before `deadline`) and parse a domU config.

    Raises OSError when it cannot be read (FileNotFoundError when absent, files.FileRefused for a FIFO, a directory
    or a device), DeadlineExceeded when its file system does not answer in time (a dead NFS or OCFS2 mount), and
    ParseError when it is larger than `limit` or not a config.
    """
    import errno

    from xenha.files import FileRefused, read_bytes

    try:
        data = read_bytes(path, limit=limit, deadline=deadline)
    except FileRefused as exc:
        if exc.errno == errno.EFBIG:
            raise ParseError("domU config", 0, "", f"{path} is larger than {limit} bytes") from None
        raise
    return parse_domu_config(data.decode("utf-8", "replace"))
