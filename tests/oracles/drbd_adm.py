# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Test oracle: parsers of drbdadm/drbdsetup outputs no product code reads (one-liners `drbdadm role|cstate|dstate`,
`drbdadm sh-status`, `drbdadm --version`, `drbdsetup show` 8.x); the tests hold the simulator's output and the
captured fixtures to them. Every parse_* raises only ParseError. Section numbers (§) refer to
shared/fixtures/GRAMMAR.md. Moved out of xenha.drbd.adm (issue 12: no product caller).
"""

from __future__ import annotations

from xenha.drbd.adm import _conn_state, _disk_state, _is_uint, _role, _rx
from xenha.drbd.model import (
    ConnState,
    DrbdVolume,
    Role,
    common_view,
)
from xenha.errors import ParseError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Literal

    from xenha.drbd.model import ConnName, DiskName, RoleName

    KnownName = Literal["Configured", "Unconfigured", "NA"]

__all__ = [
    "DrbdadmVersion",
    "DrbdsetupShow",
    "DstatePair",
    "KnownName",
    "RolePair",
    "ShKnown",
    "ShStatus",
    "ShStatusMinor",
    "ShowAddress",
    "ShowOption",
    "ShowSection",
    "ShowVolume",
    "parse_cstate",
    "parse_drbdadm_version",
    "parse_drbdsetup_show",
    "parse_dstate",
    "parse_role",
    "parse_sh_status",
]


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm role / cstate / dstate one-liners (§2)


@record
class RolePair:
    """One line of `drbdadm role`: `Local/Peer` (8.x), `Local` (DRBD 9), or Unconfigured (both None)."""

    role: RoleName | None
    peer_role: RoleName | None = None

    @property
    def is_configured(self) -> bool:
        return self.role is not None

    @property
    def is_primary(self) -> bool:
        return self.role == Role.PRIMARY

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role == Role.PRIMARY


@record
class DstatePair:
    """One line of `drbdadm dstate`: local disk and the peers' disks (one in 8.x, one per peer in DRBD 9).

    Unconfigured has `disk` None and no peers.
    """

    disk: DiskName | None
    peer_disks: tuple[DiskName, ...] = ()

    @property
    def is_configured(self) -> bool:
        return self.disk is not None

    @property
    def peer_disk(self) -> DiskName | None:
        """The single 8.x peer disk (the first peer's on DRBD 9)."""
        return self.peer_disks[0] if self.peer_disks else None


def _one_liner_lines(text: str, tool: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ParseError(tool, 1, text, "no output")
    return lines


def parse_role(text: str) -> tuple[RolePair, ...]:
    """Parse `drbdadm role` (or the pre-8.3 `state`) output, one RolePair per line; raise ParseError otherwise."""
    tool = "drbdadm role"
    out: list[RolePair] = []
    for lineno, line in enumerate(_one_liner_lines(text, tool), 1):
        if line == "Unconfigured":
            out.append(RolePair(None))
            continue
        local, sep, peer = line.partition("/")
        if sep and not peer:
            raise ParseError(tool, lineno, line, "missing peer role")
        out.append(RolePair(_role(local, tool, lineno, line), _role(peer, tool, lineno, line) if sep else None))
    return tuple(out)


def parse_cstate(text: str) -> tuple[ConnName, ...]:
    """Parse `drbdadm cstate` output (one state per volume in 8.4, per connection in DRBD 9); raise ParseError."""
    tool = "drbdadm cstate"
    return tuple(_conn_state(line, tool, n, line) for n, line in enumerate(_one_liner_lines(text, tool), 1))


def parse_dstate(text: str) -> tuple[DstatePair, ...]:
    """Parse `drbdadm dstate` output: `Local/Peer` (8.x), `Local/Peer1/Peer2...` (DRBD 9), `Unconfigured`."""
    tool = "drbdadm dstate"
    out: list[DstatePair] = []
    for lineno, line in enumerate(_one_liner_lines(text, tool), 1):
        if line == "Unconfigured":
            out.append(DstatePair(None))
            continue
        parts = line.split("/")
        disks = tuple(_disk_state(p, tool, lineno, line) for p in parts)
        out.append(DstatePair(disks[0], disks[1:]))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------------------
# drbdadm sh-status (§2) and drbdadm --version: shell assignments meant to be eval'ed

# drbd-utils shell_escape() backslash-escapes everything outside [%+-./0-9:=@A-Z_a-z]; an unescaped blank,
# quote or shell operator would change what `eval` does, so it is not tool output. (Brackets are tolerated:
# docs_drbdadm_version_9.22.txt shows a hand-redacted "[...]".)
_SH_UNSAFE = frozenset(" \t\"'`$;&|<>()")
_SH_ASSIGN_RE = _rx(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def _sh_unescape(value: str, tool: str, lineno: int, line: str) -> str:
    if "\\" not in value:
        if any(c in _SH_UNSAFE for c in value):
            raise ParseError(tool, lineno, line, "unescaped shell character")
        return value
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == "\\":
            if i + 1 == n:
                raise ParseError(tool, lineno, line, "dangling backslash")
            out.append(value[i + 1])
            i += 2
            continue
        if c in _SH_UNSAFE:
            raise ParseError(tool, lineno, line, "unescaped shell character")
        out.append(c)
        i += 1
    return "".join(out)


class ShKnown:
    """`_known=`: whether drbdsetup found the minor (drbd-utils v84 drbdsetup.c sh_status_scmd)."""

    CONFIGURED: Final = "Configured"
    UNCONFIGURED: Final = "Unconfigured"
    NOT_AVAILABLE: Final = "NA"  # printed as "NA # not available or not yet created" (a shell comment)


_KNOWN_OF: dict[str, KnownName] = {k: k for k in (ShKnown.CONFIGURED, ShKnown.UNCONFIGURED, ShKnown.NOT_AVAILABLE)}


@record
class ShStatusMinor:
    """One `_sh_status_process` record of `drbdadm sh-status`, with the resource-level variables in effect."""

    minor: int
    known: KnownName
    cstate: ConnName
    res_name: str | None = None
    volume: int | None = None  # 8.4 utils; -1 for a volume not yet created
    role: RoleName | None = None  # None when Unconfigured (empty value)
    peer_role: RoleName | None = None
    disk: DiskName | None = None
    peer_disk: DiskName | None = None
    suspended: bool = False
    aftr_isp: bool = False
    peer_isp: bool = False
    user_isp: bool = False
    resynced_percent: float | None = None
    conf_res_name: str | None = None
    conf_file: str | None = None
    conf_line: int | None = None
    conf_volume: int | None = None
    stacked_on: str | None = None
    stacked_on_device: str | None = None
    stacked_on_minor: int | None = None

    def to_volume(self) -> DrbdVolume:
        """The common view; Unconfigured as in ProcDevice.volume (StandAlone, Diskless, not Primary)."""
        resource = self.res_name if self.res_name is not None else self.conf_res_name
        vol = self.volume if self.volume is not None and self.volume >= 0 else self.conf_volume
        return common_view(
            resource=resource,
            minor=self.minor,
            volume=vol,
            cstate=self.cstate,
            role=self.role,
            peer_role=self.peer_role,
            disk=self.disk,
            peer_disk=self.peer_disk,
            sync_percent=self.resynced_percent,
        )


@record
class ShStatus:
    """`drbdadm sh-status`: the header variables and one record per minor."""

    drbd_version: str | None
    drbd_api: int | None
    config_file: str | None
    minors: tuple[ShStatusMinor, ...]

    def volumes(self) -> tuple[DrbdVolume, ...]:
        return tuple(m.to_volume() for m in self.minors)


_SH_HEADER_KEYS = frozenset({"_drbd_version", "_drbd_api", "_config_file"})
_SH_RESOURCE_KEYS = frozenset(
    {"_conf_res_name", "_conf_file_line", "_stacked_on", "_stacked_on_device", "_stacked_on_minor", "_conf_volume"}
)
_SH_MINOR_KEYS = frozenset(
    {
        "_minor",
        "_res_name",
        "_volume",
        "_known",
        "_cstate",
        "_role",
        "_peer",
        "_disk",
        "_pdsk",
        "_flags_susp",
        "_flags_aftr_isp",
        "_flags_peer_isp",
        "_flags_user_isp",
        "_resynced_percent",
    }
)
_SH_KNOWN_RE = _rx(r"(Configured|Unconfigured|NA)(?: #.*)?")
_INT_RE = _rx(r"-?\d{1,20}")
_PERCENT_RE = _rx(r"\d{1,20}\.\d")


def parse_sh_status(text: str) -> ShStatus:
    """Parse `drbdadm sh-status` (8.3/8.4 utils) output; raise ParseError on unknown variables or values.

    The output is shell assignments that the LINBIT agent evals, calling `_sh_status_process` per minor
    (drbd-utils scripts/drbd.shellfuncs.sh). Resource-level variables (`_conf_*`, `_stacked_*`) stay in
    effect for the following minors, as they would in the shell; the drbdsetup part starts afresh per minor.
    """
    tool = "drbdadm sh-status"
    header: dict[str, str] = {}
    resource: dict[str, tuple[int, str, str]] = {}
    minor: dict[str, tuple[int, str, str]] = {}
    records: list[ShStatusMinor] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line == "_sh_status_process":
            records.append(_sh_record(minor, resource, tool, lineno, line))
            minor = {}
            continue
        m = _SH_ASSIGN_RE.fullmatch(line)
        if m is None:
            raise ParseError(tool, lineno, line, "not a shell assignment")
        key, raw = m.group(1), m.group(2)
        if key == "_known":
            k = _SH_KNOWN_RE.fullmatch(raw)
            if k is None:
                raise ParseError(tool, lineno, line, "unknown _known value")
            value = k.group(1)
        else:
            value = _sh_unescape(raw, tool, lineno, line)
        if key in _SH_MINOR_KEYS:
            minor[key] = (lineno, line, value)
        elif key in _SH_RESOURCE_KEYS:
            resource[key] = (lineno, line, value)  # stays in effect, as in the shell
        elif key in _SH_HEADER_KEYS:
            if records or resource or minor:
                raise ParseError(tool, lineno, line, "header variable after the first resource")
            if key == "_drbd_api" and not _is_uint(value):
                raise ParseError(tool, lineno, line, "not a number")
            header[key] = value
        else:
            raise ParseError(tool, lineno, line, f"unknown variable {key}")
    if minor:
        lineno, line, _ = next(iter(minor.values()))
        raise ParseError(tool, lineno, line, "minor variables without _sh_status_process")
    api = header.get("_drbd_api")
    return ShStatus(
        drbd_version=header.get("_drbd_version"),
        drbd_api=None if api is None else int(api),
        config_file=header.get("_config_file"),
        minors=tuple(records),
    )


def _sh_record(
    minor: dict[str, tuple[int, str, str]],
    resource: dict[str, tuple[int, str, str]],
    tool: str,
    lineno: int,
    line: str,
) -> ShStatusMinor:
    for required in ("_minor", "_known", "_cstate"):
        if required not in minor:
            raise ParseError(tool, lineno, line, f"{required} missing before _sh_status_process")

    def text_of(d: dict[str, tuple[int, str, str]], key: str) -> str | None:
        entry = d.get(key)
        return None if entry is None or entry[2] == "" else entry[2]

    def int_of(d: dict[str, tuple[int, str, str]], key: str) -> int | None:
        entry = d.get(key)
        if entry is None or entry[2] == "":
            return None
        if not _INT_RE.fullmatch(entry[2]):
            raise ParseError(tool, entry[0], entry[1], "not a number")
        return int(entry[2])

    def flag_of(key: str) -> bool:
        entry = minor.get(key)
        if entry is None or entry[2] == "":
            return False
        if entry[2] != "1":
            raise ParseError(tool, entry[0], entry[1], "flag is neither 1 nor empty")
        return True

    def role_of(key: str) -> RoleName | None:
        entry = minor.get(key)
        return None if entry is None or entry[2] == "" else _role(entry[2], tool, entry[0], entry[1])

    def disk_of(key: str) -> DiskName | None:
        entry = minor.get(key)
        return None if entry is None or entry[2] == "" else _disk_state(entry[2], tool, entry[0], entry[1])

    cs_lineno, cs_line, cs = minor["_cstate"]
    cstate = _conn_state(cs, tool, cs_lineno, cs_line)
    known = _KNOWN_OF[minor["_known"][2]]
    role = role_of("_role")
    disk = disk_of("_disk")
    configured = cstate != ConnState.UNCONFIGURED
    if configured and (role is None or disk is None):
        raise ParseError(tool, cs_lineno, cs_line, "configured minor without role or disk")
    if not configured and (role is not None or disk is not None):
        raise ParseError(tool, cs_lineno, cs_line, "Unconfigured minor with a role or disk")
    pct_entry = minor.get("_resynced_percent")
    pct: float | None = None
    if pct_entry is not None and pct_entry[2] != "":
        if not _PERCENT_RE.fullmatch(pct_entry[2]):
            raise ParseError(tool, pct_entry[0], pct_entry[1], "malformed percentage")
        pct = float(pct_entry[2])
    conf_file = conf_line = None
    cfl = resource.get("_conf_file_line")
    if cfl is not None:
        f, sep, num = cfl[2].rpartition(":")
        if not sep or not _is_uint(num):
            raise ParseError(tool, cfl[0], cfl[1], "expected FILE:LINE")
        conf_file, conf_line = f, int(num)
    minor_no = int_of(minor, "_minor")
    if minor_no is None or minor_no < 0:
        entry = minor["_minor"]
        raise ParseError(tool, entry[0], entry[1], "bad minor number")
    return ShStatusMinor(
        minor=minor_no,
        known=known,
        cstate=cstate,
        res_name=text_of(minor, "_res_name"),
        volume=int_of(minor, "_volume"),
        role=role,
        peer_role=role_of("_peer"),
        disk=disk,
        peer_disk=disk_of("_pdsk"),
        suspended=flag_of("_flags_susp"),
        aftr_isp=flag_of("_flags_aftr_isp"),
        peer_isp=flag_of("_flags_peer_isp"),
        user_isp=flag_of("_flags_user_isp"),
        resynced_percent=pct,
        conf_res_name=text_of(resource, "_conf_res_name"),
        conf_file=conf_file,
        conf_line=conf_line,
        conf_volume=int_of(resource, "_conf_volume"),
        stacked_on=text_of(resource, "_stacked_on"),
        stacked_on_device=text_of(resource, "_stacked_on_device"),
        stacked_on_minor=int_of(resource, "_stacked_on_minor"),
    )


@record
class DrbdadmVersion:
    """`drbdadm --version`: shell assignments (docs_drbdadm_version_9.22.txt); codes are 0xMMmmpp ints."""

    buildtag: str | None = None
    api_version: int | None = None
    kernel_version_code: int | None = None
    kernel_version: str | None = None
    version_code: int | None = None
    version: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # variables this parser does not know, in order

    @property
    def kernel_version_tuple(self) -> tuple[int, int, int] | None:
        """(major, minor, patch) of the loaded DRBD module (drbd-utils falls back to its own)."""
        return None if self.kernel_version_code is None else _code_tuple(self.kernel_version_code)

    @property
    def version_tuple(self) -> tuple[int, int, int] | None:
        """(major, minor, patch) of drbd-utils."""
        return None if self.version_code is None else _code_tuple(self.version_code)


def _code_tuple(code: int) -> tuple[int, int, int]:
    return (code >> 16) & 0xFF, (code >> 8) & 0xFF, code & 0xFF


_VERSION_KEYS = frozenset(
    {
        "DRBDADM_BUILDTAG",
        "DRBDADM_API_VERSION",
        "DRBD_KERNEL_VERSION_CODE",
        "DRBD_KERNEL_VERSION",
        "DRBDADM_VERSION_CODE",
        "DRBDADM_VERSION",
    }
)
_HEX_RE = _rx(r"0x[0-9a-fA-F]{1,8}")


def parse_drbdadm_version(text: str) -> DrbdadmVersion:
    """Parse `drbdadm --version` (KEY=value lines, shell-escaped); raise ParseError on anything else."""
    tool = "drbdadm --version"
    texts: dict[str, str] = {}
    numbers: dict[str, int] = {}
    extra: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        m = _SH_ASSIGN_RE.fullmatch(line)
        if m is None or not m.group(1).isupper():
            raise ParseError(tool, lineno, line, "not a KEY=value line")
        key, value = m.group(1), _sh_unescape(m.group(2), tool, lineno, line)
        if key not in _VERSION_KEYS:
            extra.append((key, value))
        elif key in texts or key in numbers:
            raise ParseError(tool, lineno, line, f"{key} repeated")
        elif key.endswith("_CODE"):
            if not _HEX_RE.fullmatch(value):
                raise ParseError(tool, lineno, line, "version code is not 0x hex")
            numbers[key] = int(value, 16)
        elif key == "DRBDADM_API_VERSION":
            if not _is_uint(value):
                raise ParseError(tool, lineno, line, "API version is not a number")
            numbers[key] = int(value)
        else:
            texts[key] = value
    if not texts and not numbers:
        raise ParseError(tool, 1, text[:120], "no DRBDADM_/DRBD_KERNEL_ variables")
    return DrbdadmVersion(
        buildtag=texts.get("DRBDADM_BUILDTAG"),
        api_version=numbers.get("DRBDADM_API_VERSION"),
        kernel_version_code=numbers.get("DRBD_KERNEL_VERSION_CODE"),
        kernel_version=texts.get("DRBD_KERNEL_VERSION"),
        version_code=numbers.get("DRBDADM_VERSION_CODE"),
        version=texts.get("DRBDADM_VERSION"),
        extra=tuple(extra),
    )


# ---------------------------------------------------------------------------------------------------------------------
# drbdsetup show (8.0-8.4 config dump; drbdsetup/show_*.txt)

_SHOW = "drbdsetup show"


@record
class ShowOption:
    """`name value... [_is_default];` with quotes removed; a flag option (`allow-two-primaries;`) has no values."""

    name: str
    values: tuple[str, ...] = ()
    is_default: bool = False
    lineno: int = 0

    @property
    def value(self) -> str | None:
        return self.values[0] if self.values else None


@record
class ShowSection:
    """`name [args] { ... }`: its options and subsections in order (the root has name "")."""

    name: str
    args: tuple[str, ...] = ()
    options: tuple[ShowOption, ...] = ()
    sections: tuple[ShowSection, ...] = ()
    lineno: int = 0

    def option(self, name: str) -> ShowOption | None:
        for o in self.options:
            if o.name == name:
                return o
        return None

    def section(self, name: str, *args: str) -> ShowSection | None:
        for s in self.sections:
            if s.name == name and (not args or s.args == args):
                return s
        return None


@record
class ShowAddress:
    """An `address [family] host:port;` value; family defaults to ipv4, IPv6 hosts without brackets."""

    family: str
    host: str
    port: int


@record
class ShowVolume:
    """The local device of a minor: 8.0-8.3 `_this_host` itself, 8.4 each `volume N { }` inside it."""

    number: int | None
    device_path: str | None = None
    device_minor: int | None = None
    disk: str | None = None
    meta_disk: str | None = None
    meta_index: int | None = None


@record
class DrbdsetupShow:
    """Parsed `drbdsetup show`; the properties read the 8.0-8.3 layout (top-level sections) and the 8.4 one
    (everything inside `resource NAME { }`)."""

    root: ShowSection

    @property
    def resource(self) -> ShowSection:
        """The section holding net/disk/_this_host: `resource NAME` on 8.4, the root before."""
        res = self.root.section("resource")
        return self.root if res is None else res

    @property
    def resource_name(self) -> str | None:
        res = self.root.section("resource")
        return None if res is None or not res.args else res.args[0]

    @property
    def net(self) -> ShowSection | None:
        return self.resource.section("net")

    @property
    def protocol(self) -> str | None:
        """`protocol X;` at top level (8.0-8.3) or in `net { }` (8.4)."""
        for where in (self.resource, self.net):
            if where is not None:
                opt = where.option("protocol")
                if opt is not None:
                    return opt.value
        return None

    @property
    def allow_two_primaries(self) -> bool:
        """`allow-two-primaries;` (8.3 flag form) or `allow-two-primaries yes;` (8.4) in `net { }`."""
        net = self.net
        opt = None if net is None else net.option("allow-two-primaries")
        return opt is not None and (not opt.values or opt.values[0] == "yes")

    @property
    def local_address(self) -> ShowAddress | None:
        return _show_address(self.resource.section("_this_host"))

    @property
    def peer_address(self) -> ShowAddress | None:
        return _show_address(self.resource.section("_remote_host"))

    @property
    def volumes(self) -> tuple[ShowVolume, ...]:
        host = self.resource.section("_this_host")
        if host is None:
            return ()
        vols = [_show_volume(s, int(s.args[0])) for s in host.sections if s.name == "volume"]
        if not vols and any(host.option(k) is not None for k in ("device", "disk", "meta-disk")):
            vols.append(_show_volume(host, None))
        return tuple(vols)


_SHOW_WORD_RE = _rx(r'[^\s{};"]+')
_SHOW_ADDR_RE = _rx(r"(?:\[([^\]]+)\]|([^\s:\[\]]+)):(\d{1,20})")


def _show_address(section: ShowSection | None) -> ShowAddress | None:
    opt = None if section is None else section.option("address")
    if opt is None:
        return None
    return _address_of(opt)


def _address_of(opt: ShowOption) -> ShowAddress:
    line = " ".join((opt.name, *opt.values))
    if len(opt.values) == 1:
        family, addr = "ipv4", opt.values[0]
    elif len(opt.values) == 2:
        family, addr = opt.values
    else:
        raise ParseError(_SHOW, opt.lineno, line, "expected address [family] host:port")
    m = _SHOW_ADDR_RE.fullmatch(addr)
    if m is None:
        raise ParseError(_SHOW, opt.lineno, line, "malformed host:port")
    return ShowAddress(family, m.group(1) or m.group(2), int(m.group(3)))


def _show_volume(section: ShowSection, number: int | None) -> ShowVolume:
    path = minor = None
    dev = section.option("device")
    if dev is not None:
        path, minor = _device_of(dev)
    disk = section.option("disk")
    meta = section.option("meta-disk")
    meta_disk = meta_index = None
    if meta is not None:
        meta_disk, meta_index = _meta_of(meta)
    return ShowVolume(number, path, minor, None if disk is None else disk.value, meta_disk, meta_index)


def _device_of(opt: ShowOption) -> tuple[str | None, int | None]:
    """`device "/dev/drbdN";` (8.0), `device minor N;` (8.3+), or `device PATH minor N;`."""
    vals = opt.values
    path: str | None = None
    if vals and vals[0].startswith("/"):
        path, vals = vals[0], vals[1:]
    if not vals:
        if path is None:
            raise ParseError(_SHOW, opt.lineno, opt.name, "device without value")
        return path, None
    if len(vals) == 2 and vals[0] == "minor" and _is_uint(vals[1]):
        return path, int(vals[1])
    raise ParseError(_SHOW, opt.lineno, " ".join((opt.name, *opt.values)), "expected device PATH|minor N")


def _meta_of(opt: ShowOption) -> tuple[str, int | None]:
    """`meta-disk internal;`, `meta-disk PATH;` or `meta-disk PATH [ N ];` (indexed, 8.0-8.4)."""
    vals = opt.values
    if len(vals) == 1:
        return vals[0], None
    if len(vals) == 4 and vals[1] == "[" and vals[3] == "]" and _is_uint(vals[2]):
        return vals[0], int(vals[2])
    if len(vals) == 2 and vals[1].startswith("[") and vals[1].endswith("]") and _is_uint(vals[1][1:-1]):
        return vals[0], int(vals[1][1:-1])
    raise ParseError(_SHOW, opt.lineno, " ".join((opt.name, *vals)), "expected meta-disk PATH [ N ]")


class _Frame:
    __slots__ = ("args", "lineno", "name", "options", "sections")

    def __init__(self, name: str, args: tuple[str, ...], lineno: int) -> None:
        self.name = name
        self.args = args
        self.lineno = lineno
        self.options: list[ShowOption] = []
        self.sections: list[ShowSection] = []

    def freeze(self) -> ShowSection:
        return ShowSection(self.name, self.args, tuple(self.options), tuple(self.sections), self.lineno)


def parse_drbdsetup_show(text: str) -> DrbdsetupShow:
    """Parse `drbdsetup show` output into nested sections; raise ParseError on unbalanced or malformed text.

    Statements are `words... ;` (an option) or `words... {` ... `}` (a section); `# ...` comments (units
    such as `# bytes`) and the `_is_default` marker are dropped/recorded. Well-known values are checked
    here so the DrbdsetupShow properties cannot fail later: address, device, meta-disk, volume numbers.
    """
    stack = [_Frame("", (), 0)]
    tokens: list[tuple[str, bool]] = []  # (text, was_quoted)
    for lineno, line in enumerate(text.split("\n"), 1):
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if c in " \t\r":
                i += 1
            elif c == "#":
                break
            elif c == '"':
                j = i + 1
                buf: list[str] = []
                while j < n and line[j] != '"':
                    if line[j] == "\\" and j + 1 < n:
                        j += 1
                    buf.append(line[j])
                    j += 1
                if j >= n:
                    raise ParseError(_SHOW, lineno, line, "unterminated string")
                tokens.append(("".join(buf), True))
                i = j + 1
            elif c == ";":
                if not tokens or tokens[0][1]:
                    raise ParseError(_SHOW, lineno, line, "empty or unnamed statement")
                values = [t for t, _ in tokens[1:]]
                is_default = "_is_default" in values
                if is_default:
                    values = [v for v in values if v != "_is_default"]
                stack[-1].options.append(ShowOption(tokens[0][0], tuple(values), is_default, lineno))
                tokens = []
                i += 1
            elif c == "{":
                if not tokens or any(q for _, q in tokens):
                    raise ParseError(_SHOW, lineno, line, "section without a plain name")
                stack.append(_Frame(tokens[0][0], tuple(t for t, _ in tokens[1:]), lineno))
                tokens = []
                i += 1
            elif c == "}":
                if tokens:
                    raise ParseError(_SHOW, lineno, line, "missing ';' before '}'")
                if len(stack) == 1:
                    raise ParseError(_SHOW, lineno, line, "unbalanced '}'")
                done = stack.pop()
                stack[-1].sections.append(done.freeze())
                i += 1
            else:
                m = _SHOW_WORD_RE.match(line, i)
                if m is None:  # a blank other than space/TAB/CR
                    raise ParseError(_SHOW, lineno, line, f"unexpected character {c!r}")
                tokens.append((m.group(), False))
                i = m.end()
    if tokens:
        raise ParseError(_SHOW, len(text.split("\n")), tokens[-1][0], "missing ';' at end of input")
    if len(stack) > 1:
        f = stack[-1]
        raise ParseError(_SHOW, f.lineno, f.name, "section not closed")
    show = DrbdsetupShow(stack[0].freeze())
    _check_show(show.root)
    return show


def _check_show(section: ShowSection) -> None:
    for opt in section.options:
        if opt.name == "address":
            _address_of(opt)
        elif opt.name == "device" and section.name in ("_this_host", "volume"):
            _device_of(opt)
        elif opt.name == "meta-disk":
            _meta_of(opt)
    for sub in section.sections:
        if sub.name == "volume" and (len(sub.args) != 1 or not _is_uint(sub.args[0])):
            raise ParseError(_SHOW, sub.lineno, " ".join(("volume", *sub.args)), "volume needs one number")
        _check_show(sub)
