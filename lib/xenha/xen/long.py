# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""`xm list --long` (xend SXP) and `xl list -l` (libxl JSON; Xen 4.1's SXP-like text): DomainConfig (cold).

`xenha inspect` reads these; no agent operation does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import TypeAlias

from xenha.errors import ParseError
from xenha.xen.config import (
    DiskKind,
    DiskSpec,
    DomainType,
    VifSpec,
    script_kind,
    split_vdev,
    strip_disk_prefixes,
    vif_from_pairs,
)
from xenha.xen.listing import (
    MIGRATING_OVERRIDES,
    DomainState,
    Toolstack,
    classify_flags,
    normalise_xm_flags,
    split_migration_name,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.xen.listing import DomainStateName, MigrationRoleName, Tool

__all__ = [
    "DomainConfig",
    "SExpr",
    "XendStatus",
    "parse_sxp",
    "parse_xl_list_long",
    "parse_xm_list_long",
    "sxp_children",
    "sxp_value",
]


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern on first use and keep it."""
    return re.compile(pattern)


class XendStatus(Enum):
    """xend's `(status N)` in `xm list --long` (XendAPIConstants.py:32-38, GRAMMAR.md §4.2)."""

    HALTED = 0
    PAUSED = 1
    RUNNING = 2
    SUSPENDED = 3
    SHUTTINGDOWN = 4
    CRASHED = 5
    UNKNOWN = 6


# ---------------------------------------------------------------------------------------------------------------------
# S-expressions: `xm list --long` (GRAMMAR.md §4.2)

SExpr: TypeAlias = "str | tuple[SExpr, ...]"

# Tokens as xend's sxp.Parser reads them (tools/python/xen/xend/sxp.py): `#` starts a comment outside strings, a
# string is quoted with ' or " and knows C-like escapes, and an atom runs until whitespace, a parenthesis or `#`.
# xend's show() quotes every string that is not made of [A-Za-z0-9.:/~_-] (atomp), so the separators `{}<>[]!;`
# that xend's reader also splits atoms at never appear unquoted in its output; this reader does not split at them.
_SXP_TOKEN = (
    r"""(?s)(?P<space>\s+)|(?P<comment>\#[^\n]*)|(?P<open>\()|(?P<close>\))"""
    r"""|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<atom>[^\s()'"\#][^\s()\#]*)"""
)
_SXP_ESCAPE = r"(?s)\\(x[0-9A-Fa-f]{2}|[0-7]{1,3}|.)"
_SXP_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", "\\": "\\", "'": "'", '"': '"',
}  # fmt: skip


def _line_of(text: str, pos: int) -> tuple[int, str]:
    """1-based line number and text of the line holding offset `pos`."""
    lineno = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return lineno, text[start : end if end >= 0 else len(text)]


def _unescape_sxp(body: str, tool: str, text: str, pos: int) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match[1]
        if code in _SXP_SIMPLE_ESCAPES:
            return _SXP_SIMPLE_ESCAPES[code]
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            value = int(code, 8)
            if value <= 0xFF:
                return chr(value)
        lineno, line = _line_of(text, pos)
        raise ParseError(tool, lineno, line, f"unknown escape \\{code}")

    return _rx(_SXP_ESCAPE).sub(replace, body) if "\\" in body else body


def _parse_sxp_positions(text: str, tool: str = "sxp") -> list[tuple[int, SExpr]]:
    """Top-level expressions with the offset each starts at."""
    result: list[tuple[int, SExpr]] = []
    stack: list[tuple[int, list[SExpr]]] = []
    pos = 0
    while pos < len(text):
        match = _rx(_SXP_TOKEN).match(text, pos)
        if match is None:  # only an unterminated string gets here
            lineno, line = _line_of(text, pos)
            raise ParseError(tool, lineno, line, "unterminated string")
        kind = match.lastgroup
        start = pos
        pos = match.end()
        value: SExpr
        if kind == "open":
            stack.append((start, []))
            continue
        if kind == "close":
            if not stack:
                lineno, line = _line_of(text, start)
                raise ParseError(tool, lineno, line, "unbalanced ')'")
            start, items = stack.pop()
            value = tuple(items)
        elif kind == "string":
            value = _unescape_sxp(match[0][1:-1], tool, text, start)
        elif kind == "atom":
            value = match[0]
        else:  # whitespace or comment
            continue
        if stack:
            stack[-1][1].append(value)
        else:
            result.append((start, value))
    if stack:
        lineno, line = _line_of(text, stack[-1][0])
        raise ParseError(tool, lineno, line, "'(' is never closed")
    return result


def parse_sxp(text: str) -> tuple[SExpr, ...]:
    """Parse xend S-expression text into nested tuples of strings; raise ParseError on unbalanced or bad syntax.

    `(bootloader )` reads as `("bootloader",)`: xend prints an empty string as nothing (sxp.show via atomp('')).
    """
    return tuple(expr for _, expr in _parse_sxp_positions(text))


def sxp_children(node: SExpr, key: str) -> tuple[tuple[SExpr, ...], ...]:
    """The child lists of `node` whose first element is `key` (sxp.children(node, key) in xend)."""
    if isinstance(node, str):
        return ()
    return tuple(child for child in node[1:] if not isinstance(child, str) and child and child[0] == key)


def sxp_value(node: SExpr, key: str) -> str | None:
    """The atom of the first `(key value)` child; "" for `(key)`, None when absent or when the value is a list."""
    for child in sxp_children(node, key):
        if len(child) == 1:
            return ""
        value = child[1]
        return value if isinstance(value, str) else None
    return None


# ---------------------------------------------------------------------------------------------------------------------
# `xm list --long` (SXP), `xl list -l` (JSON; Xen 4.1 SXP-like)


@dataclass(frozen=True, slots=True)
class DomainConfig:
    """One domain of `xm list --long` or `xl list -l`: identity, sizing and devices.

    `status` and `flags` come from xend only; `memory_mib` is xend's `memory` or libxl's target_memkb/1024,
    `maxmem_mib` xend's `maxmem` or libxl's max_memkb/1024. `domid` is None for a managed domain xend has not
    started.
    """

    name: str | None
    domid: int | None
    toolstack: Tool
    type: DomainType | None = None
    uuid: str | None = None
    memory_mib: int | None = None
    maxmem_mib: int | None = None
    vcpus: int | None = None
    disks: tuple[DiskSpec, ...] = ()
    vifs: tuple[VifSpec, ...] = ()
    status: XendStatus | None = None
    flags: str | None = None

    @property
    def state(self) -> DomainStateName | None:
        """As Domain.state from xend's `(state ...)`; None without flags (`xl list -l`, or an unstarted domain)."""
        if self.flags is None:
            return None
        state = classify_flags(self.flags, toolstack=self.toolstack)
        if self.migration_role is not None and state in MIGRATING_OVERRIDES:
            return DomainState.MIGRATING
        return state

    @property
    def base_name(self) -> str | None:
        return split_migration_name(self.name, self.toolstack)[0]

    @property
    def migration_role(self) -> MigrationRoleName | None:
        return split_migration_name(self.name, self.toolstack)[1]

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect` object: Domain.to_json's keys (state None when unknown), then the configuration."""
        state = self.state
        return {
            "name": self.name,
            "domid": self.domid,
            "memory_mib": self.memory_mib,
            "vcpus": self.vcpus,
            "flags": self.flags,
            "state": state,
            "maxmem_mib": self.maxmem_mib,
            "type": None if self.type is None else self.type.value,
            "uuid": self.uuid,
            "status": None if self.status is None else self.status.name.lower(),
            "disks": [disk.to_json() for disk in self.disks],
            "vifs": [vif.to_json() for vif in self.vifs],
        }


def _int_field(value: object, tool: str, lineno: int, line: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParseError(tool, lineno, line, f"{what} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if not _rx(r"-?\d+").fullmatch(value):
        raise ParseError(tool, lineno, line, f"{what} is not an integer: {value!r}")
    return int(value)


def _optional_int(value: str | None, tool: str, lineno: int, line: str, what: str) -> int | None:
    return None if value is None else _int_field(value, tool, lineno, line, what)


def _xm_disk(dev: tuple[SExpr, ...], tool: str, lineno: int, line: str) -> DiskSpec:
    uname = sxp_value(dev, "uname")
    if not uname:
        raise ParseError(tool, lineno, line, f"{dev[0]} device without uname")
    path, kind, fmt, script = strip_disk_prefixes(uname)
    raw_vdev = sxp_value(dev, "dev")
    vdev, is_cdrom = split_vdev(raw_vdev) if raw_vdev else (None, False)
    return DiskSpec(
        target=uname,
        path=path,
        vdev=vdev,
        mode=sxp_value(dev, "mode") or None,
        kind=script_kind(script) or kind or DiskKind.UNKNOWN,
        format=fmt,
        script=script,
        is_cdrom=is_cdrom,
    )


def _xm_domain(node: SExpr, tool: str, lineno: int, line: str) -> DomainConfig:
    if isinstance(node, str) or not node or node[0] != "domain":
        raise ParseError(tool, lineno, line, "expected a (domain ...) expression")
    status_number = _optional_int(sxp_value(node, "status"), tool, lineno, line, "status")
    status: XendStatus | None = None
    if status_number is not None:
        try:
            status = XendStatus(status_number)
        except ValueError:
            raise ParseError(tool, lineno, line, f"unknown status {status_number}") from None
    flags = sxp_value(node, "state") or None
    if flags is not None:
        flags = normalise_xm_flags(flags, tool, lineno, line)
    image = sxp_children(node, "image")
    dtype: DomainType | None = None
    if image:
        kinds = {child[0] for child in image[0][1:] if not isinstance(child, str) and child}
        dtype = DomainType.HVM if "hvm" in kinds else DomainType.PV if "linux" in kinds else None
    disks: list[DiskSpec] = []
    vifs: list[VifSpec] = []
    for device in sxp_children(node, "device"):
        for dev in device[1:]:
            if isinstance(dev, str) or not dev:
                continue
            if dev[0] in ("vbd", "tap", "tap2"):
                disks.append(_xm_disk(dev, tool, lineno, line))
            elif dev[0] == "vif":
                pairs = [
                    (kv[0], kv[1])
                    for kv in dev[1:]
                    if isinstance(kv, tuple) and len(kv) == 2 and isinstance(kv[0], str) and isinstance(kv[1], str)
                ]
                vifs.append(vif_from_pairs(pairs))
    return DomainConfig(
        name=sxp_value(node, "name") or None,
        domid=_optional_int(sxp_value(node, "domid"), tool, lineno, line, "domid"),
        toolstack=Toolstack.XM,
        type=dtype,
        uuid=sxp_value(node, "uuid") or None,
        memory_mib=_optional_int(sxp_value(node, "memory"), tool, lineno, line, "memory"),
        maxmem_mib=_optional_int(sxp_value(node, "maxmem"), tool, lineno, line, "maxmem"),
        vcpus=_optional_int(sxp_value(node, "vcpus"), tool, lineno, line, "vcpus"),
        disks=tuple(disks),
        vifs=tuple(vifs),
        status=status,
        flags=flags,
    )


def parse_xm_list_long(text: str) -> tuple[DomainConfig, ...]:
    """Parse `xm list --long` (one `(domain ...)` SXP per domain); raise ParseError on bad syntax or values."""
    tool = "xm list --long"
    configs = []
    for pos, node in _parse_sxp_positions(text, tool):
        lineno, line = _line_of(text, pos)
        configs.append(_xm_domain(node, tool, lineno, line))
    return tuple(configs)


# libxl JSON (libxl_types.idl): libxl_disk_backend and the Xen 4.0/4.1 libxl_disk_phystype numbers shown by the SXP
# printer as `(phystype N)`.
_JSON_BACKENDS = {"phy": DiskKind.PHY, "tap": DiskKind.TAP, "qdisk": DiskKind.QDISK, "standalone": DiskKind.STANDALONE}
_BACKEND_NUMBERS = {1: DiskKind.PHY, 2: DiskKind.TAP, 3: DiskKind.QDISK}  # 4.2+: libxl_disk_backend
_PHYSTYPE_NUMBERS = {
    1: DiskKind.TAP,
    2: DiskKind.TAP,
    3: DiskKind.TAP,
    4: DiskKind.TAP,
    5: DiskKind.FILE,
    6: DiskKind.PHY,
}


class _JsonShape:
    """Typed access to one `xl list -l` domain object; every mismatch is a ParseError naming the JSON path."""

    def __init__(self, tool: str, lineno: int, line: str) -> None:
        self.tool, self.lineno, self.line = tool, lineno, line

    def fail(self, path: str, why: str) -> ParseError:
        return ParseError(self.tool, self.lineno, self.line, f"{path}: {why}")

    def obj(self, value: object, path: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(path, "expected an object")
        return value

    def opt_obj(self, parent: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
        value = parent.get(key)
        return {} if value is None else self.obj(value, f"{path}.{key}")

    def opt_str(self, parent: Mapping[str, object], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{path}.{key}", "expected a string")
        return value

    def opt_int(self, parent: Mapping[str, object], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{path}.{key}", "expected an integer")
        return value

    def opt_list(self, parent: Mapping[str, object], key: str, path: str) -> list[object]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}", "expected an array")
        return value


def _json_domain(item: object, shape: _JsonShape, index: int) -> DomainConfig:
    where = f"[{index}]"
    entry = shape.obj(item, where)
    domid = shape.opt_int(entry, "domid", where)
    if domid is None:
        raise shape.fail(f"{where}.domid", "missing")
    config = shape.opt_obj(entry, "config", where)
    c_info = shape.opt_obj(config, "c_info", f"{where}.config")
    b_info = shape.opt_obj(config, "b_info", f"{where}.config")
    # Xen 4.14+ also has c_info.domid (the domid asked for at creation, libxl 4a3a2567); the top-level domid is the
    # running domain's and is the one used (cf. the xendomains fix 0c06760b, GRAMMAR.md §4.3).
    type_name = shape.opt_str(c_info, "type", f"{where}.config.c_info")
    dtype: DomainType | None = None
    if type_name is not None:
        try:
            dtype = DomainType(type_name)
        except ValueError:
            raise shape.fail(f"{where}.config.c_info.type", f"unknown domain type {type_name!r}") from None
    disks: list[DiskSpec] = []
    for number, raw in enumerate(shape.opt_list(config, "disks", f"{where}.config")):
        path = f"{where}.config.disks[{number}]"
        disk = shape.obj(raw, path)
        pdev = shape.opt_str(disk, "pdev_path", path) or ""
        backend = shape.opt_str(disk, "backend", path)
        script = shape.opt_str(disk, "script", path)
        readwrite = shape.opt_int(disk, "readwrite", path)
        kind = script_kind(script) or _JSON_BACKENDS.get(backend or "", DiskKind.UNKNOWN)
        fmt = shape.opt_str(disk, "format", path)
        disks.append(
            DiskSpec(
                target=pdev,
                path=pdev,
                vdev=shape.opt_str(disk, "vdev", path),
                mode=None if readwrite is None else ("w" if readwrite else "r"),
                kind=kind,
                format=None if fmt in (None, "unknown") else fmt,
                script=script,
                is_cdrom=bool(shape.opt_int(disk, "is_cdrom", path)),
            )
        )
    vifs: list[VifSpec] = []
    for number, raw in enumerate(shape.opt_list(config, "nics", f"{where}.config")):
        path = f"{where}.config.nics[{number}]"
        nic = shape.obj(raw, path)
        vifs.append(
            VifSpec(
                mac=shape.opt_str(nic, "mac", path),
                bridge=shape.opt_str(nic, "bridge", path),
                ip=shape.opt_str(nic, "ip", path),
                script=shape.opt_str(nic, "script", path),
                model=shape.opt_str(nic, "model", path),
                vifname=shape.opt_str(nic, "ifname", path),
                type=shape.opt_str(nic, "nictype", path),
            )
        )
    target_kb = shape.opt_int(b_info, "target_memkb", f"{where}.config.b_info")
    max_kb = shape.opt_int(b_info, "max_memkb", f"{where}.config.b_info")
    return DomainConfig(
        name=shape.opt_str(c_info, "name", f"{where}.config.c_info"),
        domid=domid,
        toolstack=Toolstack.XL,
        type=dtype,
        uuid=shape.opt_str(c_info, "uuid", f"{where}.config.c_info"),
        memory_mib=None if target_kb is None else target_kb // 1024,
        maxmem_mib=None if max_kb is None else max_kb // 1024,
        vcpus=shape.opt_int(b_info, "max_vcpus", f"{where}.config.b_info"),
        disks=tuple(disks),
        vifs=tuple(vifs),
    )


def _json_documents(text: str, tool: str) -> Iterator[tuple[int, object]]:
    """Every JSON value in `text` with its start offset: one array, or Xen 4.2's concatenated objects."""
    import json  # only `xl list -l` needs it; monitors parse `xl list`

    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            lineno, line = _line_of(text, exc.pos)
            raise ParseError(tool, lineno, line, exc.msg) from None
        except RecursionError:
            lineno, line = _line_of(text, pos)
            raise ParseError(tool, lineno, line, "JSON nested too deeply") from None
        yield pos, value
        pos = end


# Xen 4.1 `xl list -l` default: printf_info in xl_cmdimpl.c (later printf_info_sexp, tools/xl/xl_sxp.c): one
# `(key value)` per TAB-indented line. The PV branch prints `(linux 0)` already closed and then its own `)`, so the
# parentheses never balance for PV domains; the lines are therefore read by indentation, not by nesting.
_XL_SXP_LEAF = r"(?P<indent>\t*)\((?P<key>[A-Za-z_][A-Za-z0-9_]*)(?: (?P<value>.*))?\)"
_XL_SXP_OPEN = r"(?P<indent>\t*)\((?P<key>[A-Za-z_][A-Za-z0-9_]*)"
_XL_SXP_CLOSE = r"\t*\)"


def _xl_sxp_device(fields: dict[str, str], kind: str, tool: str, lineno: int, line: str) -> DiskSpec | VifSpec | None:
    if kind == "tap":
        phystype = _int_field(fields.get("phystype", "0"), tool, lineno, line, "phystype")
        # Xen 4.0/4.1 print the disk's `(domid N)` and libxl_disk_phystype; later ones `(frontend_domid N)` and
        # libxl_disk_backend.
        numbers = _PHYSTYPE_NUMBERS if "domid" in fields else _BACKEND_NUMBERS
        physpath = fields.get("physpath", "")
        readwrite = fields.get("readwrite")
        return DiskSpec(
            target=physpath,
            path=physpath,
            vdev=fields.get("virtpath") or None,
            mode=None if readwrite is None else ("r" if readwrite == "0" else "w"),
            kind=numbers.get(phystype, DiskKind.UNKNOWN),
            is_cdrom=fields.get("is_cdrom") == "1",
        )
    if kind == "vif":
        mac = fields.get("mac")
        if mac is not None and _rx(r"[0-9a-f]{12}").fullmatch(mac):
            mac = ":".join(mac[i : i + 2] for i in range(0, 12, 2))
        # printf("%s", NULL) shows `(null)` for an unset model or ifname
        model, vifname = fields.get("model"), fields.get("vifname")
        return VifSpec(
            mac=mac, model=None if model == "(null)" else model, vifname=None if vifname == "(null)" else vifname
        )
    return None


def _parse_xl_sxp(text: str, tool: str) -> tuple[DomainConfig, ...]:
    configs: list[DomainConfig] = []
    current: dict[str, str] | None = None
    sections: list[str] = []
    devices: list[tuple[str, dict[str, str], int, str]] = []
    start = (0, "")

    def finish() -> None:
        if current is None:
            return
        lineno, line = start
        disks: list[DiskSpec] = []
        vifs: list[VifSpec] = []
        for kind, fields, dev_lineno, dev_line in devices:
            device = _xl_sxp_device(fields, kind, tool, dev_lineno, dev_line)
            if isinstance(device, DiskSpec):
                disks.append(device)
            elif isinstance(device, VifSpec):
                vifs.append(device)
        max_kb = _optional_int(current.get("max_memkb"), tool, lineno, line, "max_memkb")
        target_kb = _optional_int(current.get("target_memkb"), tool, lineno, line, "target_memkb")
        uuid = current.get("uuid")
        configs.append(
            DomainConfig(
                name=current.get("name") or None,
                domid=_optional_int(current.get("domid"), tool, lineno, line, "domid"),
                toolstack=Toolstack.XL,
                type=DomainType.HVM if current.get("hvm") == "1" else DomainType.PV,
                uuid=None if uuid in (None, "<unknown>") else uuid,
                memory_mib=None if target_kb is None else target_kb // 1024,
                maxmem_mib=None if max_kb is None else max_kb // 1024,
                vcpus=_optional_int(current.get("max_vcpus"), tool, lineno, line, "max_vcpus"),
                disks=tuple(disks),
                vifs=tuple(vifs),
            )
        )

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            continue
        if line == "(domain":
            finish()
            current, sections, devices, start = {}, [], [], (lineno, line)
            continue
        if current is None:
            raise ParseError(tool, lineno, line, "expected `(domain`")
        leaf = _rx(_XL_SXP_LEAF).fullmatch(line)
        opening = _rx(_XL_SXP_OPEN).fullmatch(line) if leaf is None else None
        if leaf is not None:
            depth, key, value = len(leaf["indent"]), leaf["key"], leaf["value"] or ""
            del sections[max(depth - 1, 0) :]
            if depth <= 1 and not (sections and sections[0] == "device"):
                current.setdefault(key, value)
            elif sections[:1] == ["device"] and devices and depth >= 3:
                devices[-1][1].setdefault(key, value)
        elif opening is not None:
            depth, key = len(opening["indent"]), opening["key"]
            del sections[max(depth - 1, 0) :]
            sections.append(key)
            if depth == 1 and key == "device":
                devices.append(("", {}, lineno, line))
            elif depth == 2 and sections[0] == "device" and devices and not devices[-1][0]:
                devices[-1] = (key, devices[-1][1], lineno, line)
        elif _rx(_XL_SXP_CLOSE).fullmatch(line) is None:
            raise ParseError(tool, lineno, line, "expected `(key value)`, `(key` or `)`")
    finish()
    return tuple(configs)


def parse_xl_list_long(text: str) -> tuple[DomainConfig, ...]:
    """Parse `xl list -l`: a JSON array of {domid, config}, Xen 4.2's concatenated objects, or Xen 4.1's SXP form."""
    tool = "xl list -l"
    stripped = text.lstrip()
    if stripped.startswith("(domain"):
        return _parse_xl_sxp(text, tool)
    configs: list[DomainConfig] = []
    for pos, document in _json_documents(text, tool):
        lineno, line = _line_of(text, pos)
        shape = _JsonShape(tool, lineno, line)
        items = document if isinstance(document, list) else [document]
        configs.extend(_json_domain(item, shape, len(configs) + number) for number, item in enumerate(items))
    return tuple(configs)
