# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parse drbd.conf files as admins write them (8.3/8.4/9 syntax); raise ConfError with file and line on bad input.

What is understood (drbd.conf(5) for 8.4 and 9, drbd-utils v84/drbdadm_parser.c and v9/drbdadm_parser.c):
`global {}`, `common {}`, `resource NAME {}` with `options/net/disk/startup/handlers/syncer` sections,
8.3-style `protocol C;`, `device [PATH] [minor N];`, `disk PATH;`, `meta-disk internal|PATH [IDX];`,
`flexible-meta-disk PATH;`, `on HOST [HOST...] { address [AF] IP:PORT; node-id N; ... }`, `volume N {}` at
resource or host level, `connection {}` / `connection-mesh {}` (kept, mostly unused), `skip {}`, `include
"glob";` (relative to the including file's directory), `#` comments and double-quoted strings.

Semantics follow drbdadm's post-parse: common options are merged into each resource by *prepending* the ones a
resource lacks (v84/drbdadm_main.c expand_opts), resource-level volumes and `disk/device/meta-disk` statements
are inherited by every host (v9/drbdadm_postparse.c inherit_volumes), a volume-less resource has one implicit
volume 0, a valueless option (`allow-two-primaries;`) means `yes`, and `device /dev/drbdN;` implies minor N.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, replace

from xenha.drbd.conf import Token as _Tok
from xenha.drbd.conf import tokenize
from xenha.errors import ParseError

__all__ = [
    "ConfError",
    "DrbdConf",
    "Host",
    "Options",
    "Resource",
    "Volume",
    "crc32c",
    "implicit_node_ids",
    "load_conf",
    "parse_conf",
]

Options = tuple[tuple[str, str], ...]
"""An ordered option list, as drbdadm keeps it: (name, value); flags have the value "yes"."""

_SECTIONS = ("options", "net", "disk", "startup", "handlers", "proxy")
# 8.3 `syncer {}` options moved in 8.4: `rate`/`al-extents`/`verify-alg`... (drbd.conf(5) 8.4, "syncer" notes)
_SYNCER_TO_NET = frozenset({"verify-alg", "csums-alg"})
_SYNCER_TO_OPTIONS = frozenset({"cpu-mask", "on-no-data-accessible"})


class ConfError(Exception):
    """A drbd.conf syntax or consistency error, with the drbdadm-style `file:line: text` message."""

    def __init__(self, path: str, line: int, text: str) -> None:
        super().__init__(f"{path}:{line}: {text}")
        self.path = path
        self.line = line
        self.text = text


@dataclass(frozen=True, slots=True)
class Volume:
    """One volume of one host: minor, device path, backing disk and meta-data location."""

    vnr: int
    minor: int | None = None
    device: str | None = None
    disk: str | None = None
    meta_disk: str | None = None
    meta_index: str | None = None
    disk_options: Options = ()
    implicit: bool = False

    @property
    def device_path(self) -> str:
        """The block device: the configured path, else /dev/drbdMINOR."""
        return self.device or f"/dev/drbd{self.minor}"

    @property
    def is_diskless(self) -> bool:
        return self.disk in (None, "none")


@dataclass(frozen=True, slots=True)
class Host:
    """An `on NAME {}` section: names, address, optional node-id and its volumes."""

    names: tuple[str, ...]
    address: str = ""
    port: str = ""
    family: str = "ipv4"
    node_id: int | None = None
    volumes: tuple[Volume, ...] = ()
    options: Options = ()
    line: int = 0

    @property
    def name(self) -> str:
        return self.names[0]

    def volume(self, vnr: int) -> Volume | None:
        return next((v for v in self.volumes if v.vnr == vnr), None)


@dataclass(frozen=True, slots=True)
class Resource:
    """A `resource NAME {}` section after post-parse expansion (common merged unless `raw`)."""

    name: str
    hosts: tuple[Host, ...]
    file: str
    line: int
    options: Options = ()
    net: Options = ()
    disk: Options = ()
    startup: Options = ()
    handlers: Options = ()
    become_primary_on: tuple[str, ...] = ()
    volumes: tuple[Volume, ...] = ()
    connections: tuple[tuple[str, ...], ...] = ()

    def host(self, node: str) -> Host | None:
        """The host section for `node`, or None when the resource is not for this node."""
        return next((h for h in self.hosts if node in h.names), None)

    def peers(self, node: str) -> tuple[Host, ...]:
        me = self.host(node)
        return tuple(h for h in self.hosts if h is not me)

    def net_option(self, name: str, default: str | None = None) -> str | None:
        return _opt(self.net, name, default)

    def disk_option(self, name: str, default: str | None = None) -> str | None:
        return _opt(self.disk, name, default)


@dataclass(frozen=True, slots=True)
class DrbdConf:
    """A parsed configuration: global options, the common section and the resources in file order."""

    path: str
    global_options: Options = ()
    common: Resource | None = None
    resources: tuple[Resource, ...] = ()
    raw_resources: tuple[Resource, ...] = ()

    def resource(self, name: str) -> Resource | None:
        return next((r for r in self.resources if r.name == name), None)

    def raw_resource(self, name: str) -> Resource | None:
        return next((r for r in self.raw_resources if r.name == name), None)

    def for_node(self, node: str) -> tuple[Resource, ...]:
        """The resources with an `on` section for `node` (drbdadm ignores the others)."""
        return tuple(r for r in self.resources if r.host(node) is not None)


def _opt(opts: Options, name: str, default: str | None) -> str | None:
    for key, value in opts:
        if key == name:
            return value
    return default


# --------------------------------------------------------------------------------------------------------------
# Tokenizer


def _tokenize(text: str, path: str) -> list[_Tok]:
    """The product's drbd.conf lexer; its error in the words drbdadm prints."""
    try:
        return tokenize(text, path)
    except ParseError as exc:
        raise ConfError(path, exc.lineno, "Unterminated double quoted string") from None


def _expand_includes(toks: list[_Tok], depth: int = 0) -> list[_Tok]:
    """Replace `include "glob";` by the tokens of the matching files (sorted, like glob(3))."""
    if depth > 16:
        raise ConfError(toks[0].path if toks else "?", toks[0].line if toks else 0, "include nesting too deep")
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.text == "include" and not tok.quoted and i + 2 < len(toks) and toks[i + 2].text == ";":
            pattern = toks[i + 1].text
            if not os.path.isabs(pattern):
                pattern = os.path.join(os.path.dirname(os.path.abspath(tok.path)), pattern)
            for inc in sorted(glob.glob(pattern)):
                with open(inc, encoding="utf-8", errors="replace") as handle:
                    out.extend(_expand_includes(_tokenize(handle.read(), inc), depth + 1))
            i += 3
            continue
        out.append(tok)
        i += 1
    return out


# --------------------------------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, toks: list[_Tok], path: str) -> None:
        self.toks = toks
        self.pos = 0
        self.path = path

    # token helpers
    def peek(self, k: int = 0) -> _Tok | None:
        j = self.pos + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self, what: str = "token") -> _Tok:
        tok = self.peek()
        if tok is None:
            last = self.toks[-1] if self.toks else _Tok("", self.path, 1)
            raise ConfError(last.path, last.line, f"unexpected end of file, expected {what}")
        self.pos += 1
        return tok

    def expect(self, text: str) -> _Tok:
        tok = self.next(repr(text))
        if tok.text != text or tok.quoted:
            raise ConfError(tok.path, tok.line, f"syntax error, expected '{text}' but got '{tok.text}'")
        return tok

    def word(self, what: str) -> _Tok:
        tok = self.next(what)
        if tok.text in "{};" and not tok.quoted:
            raise ConfError(tok.path, tok.line, f"syntax error, expected {what} but got '{tok.text}'")
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text == text and not tok.quoted

    # grammar
    def parse(self) -> tuple[Options, Resource | None, list[Resource]]:
        global_opts: Options = ()
        common: Resource | None = None
        resources: list[Resource] = []
        names: set[str] = set()
        while self.peek() is not None:
            tok = self.word("section")
            if tok.text == "global":
                global_opts = self.options_block()
            elif tok.text == "common":
                common = self.resource_body("common", tok)
            elif tok.text == "resource":
                name = self.word("resource name")
                if name.text in names:
                    raise ConfError(name.path, name.line, f"in resource {name.text}: resource name already used")
                names.add(name.text)
                resources.append(self.resource_body(name.text, tok))
            elif tok.text == "skip":
                self.skip_block()
            else:
                raise ConfError(tok.path, tok.line, f"syntax error, unexpected '{tok.text}'")
        return global_opts, common, resources

    def skip_block(self) -> None:
        while not self.at("{"):
            self.next("'{'")
        depth = 0
        while True:
            tok = self.next("'}'")
            if tok.quoted:
                continue
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
                if depth == 0:
                    return

    def options_block(self) -> Options:
        """`{ key [value...]; ... }` -> options; valueless keys are flags ("yes")."""
        self.expect("{")
        opts: list[tuple[str, str]] = []
        while not self.at("}"):
            key = self.word("option name")
            values: list[str] = []
            while not self.at(";"):
                tok = self.word("option value")
                values.append(tok.text)
            self.expect(";")
            opts.append((key.text, " ".join(values) if values else "yes"))
        self.expect("}")
        return tuple(opts)

    def resource_body(self, name: str, start: _Tok) -> Resource:
        self.expect("{")
        sections: dict[str, list[tuple[str, str]]] = {s: [] for s in _SECTIONS}
        hosts: list[Host] = []
        volumes: dict[int, Volume] = {}
        implicit = Volume(vnr=0, implicit=True)
        have_implicit = False
        become: tuple[str, ...] = ()
        connections: list[tuple[str, ...]] = []
        while not self.at("}"):
            tok = self.word("keyword")
            kw = tok.text
            if kw in _SECTIONS or kw == "syncer":
                if kw == "disk" and not self.at("{"):
                    implicit = replace(implicit, disk=self.value_stmt())
                    have_implicit = True
                    continue
                for key, value in self.options_block():
                    target = kw
                    if kw == "syncer":
                        target = "net" if key in _SYNCER_TO_NET else "options" if key in _SYNCER_TO_OPTIONS else "disk"
                    if target == "startup" and key == "become-primary-on":
                        become = tuple(value.split())
                        continue
                    sections[target].append((key, value))
            elif kw == "protocol":
                sections["net"].append(("protocol", self.value_stmt()))
            elif kw in ("device", "meta-disk", "flexible-meta-disk"):
                implicit = self.volume_stmt(kw, tok, implicit)
                have_implicit = True
            elif kw == "on":
                hosts.append(self.host_section(tok))
            elif kw == "volume":
                vol = self.volume_section()
                volumes[vol.vnr] = vol
            elif kw in ("connection", "connection-mesh"):
                connections.append(self.connection_section())
            elif kw in ("floating", "stacked-on-top-of"):
                raise ConfError(tok.path, tok.line, f"in resource {name}: '{kw}' sections are not simulated")
            elif kw == "template-file":
                self.value_stmt()
            elif kw == "skip":
                self.skip_block()
            else:
                raise ConfError(tok.path, tok.line, f"in resource {name}: unknown keyword '{kw}'")
        self.expect("}")
        if have_implicit and volumes:
            raise ConfError(start.path, start.line, f"in resource {name}: mixing implicit and explicit volumes")
        res_volumes = (
            tuple(sorted(volumes.values(), key=lambda v: v.vnr)) if volumes else ((implicit,) if have_implicit else ())
        )
        return Resource(
            name=name,
            hosts=tuple(hosts),
            file=start.path,
            line=start.line,
            options=tuple(sections["options"]),
            net=tuple(sections["net"]),
            disk=tuple(sections["disk"]),
            startup=tuple(sections["startup"]),
            handlers=tuple(sections["handlers"]),
            become_primary_on=become,
            volumes=res_volumes,
            connections=tuple(connections),
        )

    def value_stmt(self) -> str:
        values: list[str] = []
        while not self.at(";"):
            values.append(self.word("value").text)
        self.expect(";")
        return " ".join(values)

    def volume_stmt(self, kw: str, tok: _Tok, vol: Volume) -> Volume:
        """`device ...;`, `disk PATH;`, `meta-disk ...;`, `flexible-meta-disk PATH;` applied to `vol`."""
        words = self.value_stmt().split()
        if kw == "device":
            device, minor = None, None
            if words and words[0] == "minor" and len(words) == 2:
                minor = _int(words[1], tok)
            elif len(words) == 3 and words[1] == "minor":
                device, minor = words[0], _int(words[2], tok)
            elif len(words) == 1:
                device = words[0]
                tail = device.rsplit("/", 1)[-1]
                if tail.startswith("drbd") and tail[4:].isdigit():
                    minor = int(tail[4:])
                else:
                    raise ConfError(tok.path, tok.line, f"device name must be /dev/drbdN or carry a minor: {device}")
            else:
                raise ConfError(tok.path, tok.line, "syntax error in 'device' statement")
            return replace(vol, device=device, minor=minor)
        if kw == "disk":
            return replace(vol, disk=" ".join(words))
        if kw == "flexible-meta-disk":
            return replace(vol, meta_disk=" ".join(words), meta_index="flexible")
        # meta-disk internal | meta-disk PATH | meta-disk PATH [IDX]
        if words == ["internal"]:
            return replace(vol, meta_disk="internal", meta_index="internal")
        if len(words) == 1:
            return replace(vol, meta_disk=words[0], meta_index="flexible")
        if len(words) == 4 and words[1] == "[" and words[3] == "]":
            return replace(vol, meta_disk=words[0], meta_index=words[2])
        if len(words) == 2 and words[1].startswith("[") and words[1].endswith("]"):
            return replace(vol, meta_disk=words[0], meta_index=words[1][1:-1])
        raise ConfError(tok.path, tok.line, "syntax error in 'meta-disk' statement")

    def volume_section(self) -> Volume:
        vnr_tok = self.word("volume number")
        vol = Volume(vnr=_int(vnr_tok.text, vnr_tok))
        self.expect("{")
        while not self.at("}"):
            tok = self.word("keyword")
            if tok.text == "disk" and self.at("{"):
                vol = replace(vol, disk_options=vol.disk_options + self.options_block())
            elif tok.text in ("device", "disk", "meta-disk", "flexible-meta-disk"):
                vol = self.volume_stmt(tok.text, tok, vol)
            else:
                raise ConfError(tok.path, tok.line, f"in volume {vol.vnr}: unknown keyword '{tok.text}'")
        self.expect("}")
        return vol

    def host_section(self, start: _Tok) -> Host:
        names: list[str] = []
        while not self.at("{"):
            names.append(self.word("host name").text)
        if not names:
            raise ConfError(start.path, start.line, "syntax error, 'on' needs a host name")
        self.expect("{")
        host = Host(names=tuple(names), line=start.line)
        implicit = Volume(vnr=0, implicit=True)
        have_implicit = False
        volumes: dict[int, Volume] = {}
        while not self.at("}"):
            tok = self.word("keyword")
            kw = tok.text
            if kw == "address":
                words = self.value_stmt().split()
                host = _with_address(host, words, tok)
            elif kw == "node-id":
                host = replace(host, node_id=_int(self.value_stmt(), tok))
            elif kw == "volume":
                vol = self.volume_section()
                volumes[vol.vnr] = vol
            elif kw == "options":
                host = replace(host, options=self.options_block())
            elif kw == "disk" and self.at("{"):
                implicit = replace(implicit, disk_options=self.options_block())
                have_implicit = True
            elif kw in ("device", "disk", "meta-disk", "flexible-meta-disk"):
                implicit = self.volume_stmt(kw, tok, implicit)
                have_implicit = True
            elif kw in ("proxy", "skip"):
                self.skip_block()
            else:
                raise ConfError(tok.path, tok.line, f"in 'on {names[0]}': unknown keyword '{kw}'")
        self.expect("}")
        vols = tuple(sorted(volumes.values(), key=lambda v: v.vnr))
        if have_implicit:
            vols = (implicit, *vols)
        return replace(host, volumes=vols)

    def connection_section(self) -> tuple[str, ...]:
        """`connection { host A; host B; ... }` / `connection-mesh { hosts A B C; }`: the host names."""
        self.expect("{")
        hosts: list[str] = []
        depth = 1
        while depth:
            tok = self.next("'}'")
            if tok.quoted:
                continue
            if tok.text == "{":
                depth += 1
            elif tok.text == "}":
                depth -= 1
            elif tok.text in ("host", "hosts") and depth == 1:
                while not self.at(";") and not self.at("{"):
                    word = self.word("host name").text
                    if word in ("address", "port", "via"):
                        while not self.at(";"):
                            self.next()
                        break
                    hosts.append(word)
        return tuple(hosts)


def _int(text: str, tok: _Tok) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfError(tok.path, tok.line, f"expected a number, got '{text}'") from None


def _with_address(host: Host, words: list[str], tok: _Tok) -> Host:
    family = "ipv4"
    if len(words) == 2:
        family, spec = words
    elif len(words) == 1:
        spec = words[0]
    else:
        raise ConfError(tok.path, tok.line, "syntax error in 'address' statement")
    if spec.startswith("["):
        addr, sep, port = spec[1:].partition("]:")
    else:
        addr, sep, port = spec.rpartition(":")
    if not sep or not port.isdigit() or not addr:
        raise ConfError(tok.path, tok.line, f"address must be IP:PORT, got '{spec}'")
    return replace(host, address=addr, port=port, family=family)


# --------------------------------------------------------------------------------------------------------------
# Post-parse expansion


def _prepend_missing(common: Options, opts: Options) -> Options:
    """drbdadm's expand_opts: every common option the resource lacks is prepended, one at a time."""
    out = list(opts)
    have = {k for k, _ in opts}
    for key, value in common:
        if key not in have:
            out.insert(0, (key, value))
            have.add(key)
    return tuple(out)


def _inherit(res: Resource) -> Resource:
    """Copy resource-level volumes/statements into every host, and give volume-less hosts an implicit volume."""
    hosts: list[Host] = []
    for host in res.hosts:
        vols = {v.vnr: v for v in host.volumes}
        for rv in res.volumes:
            hv = vols.get(rv.vnr, Volume(vnr=rv.vnr, implicit=rv.implicit))
            vols[rv.vnr] = replace(
                hv,
                minor=hv.minor if hv.minor is not None else rv.minor,
                device=hv.device or rv.device,
                disk=hv.disk or rv.disk,
                meta_disk=hv.meta_disk or rv.meta_disk,
                meta_index=hv.meta_index or rv.meta_index,
                disk_options=hv.disk_options or rv.disk_options,
            )
        hosts.append(replace(host, volumes=tuple(sorted(vols.values(), key=lambda v: v.vnr))))
    return replace(res, hosts=tuple(hosts))


def _check(res: Resource) -> None:
    for host in res.hosts:
        if not host.volumes:
            raise ConfError(res.file, host.line, f"in resource {res.name}, on {host.name} {{ ... }}: no volumes")
        for vol in host.volumes:
            missing = (
                "device"
                if vol.minor is None
                else "disk"
                if vol.disk is None
                else "meta-disk"
                if vol.meta_disk is None and vol.disk != "none"
                else None
            )
            if missing:
                raise ConfError(
                    res.file,
                    host.line,
                    f"in resource {res.name}, on {host.name} {{ ... }}: '{missing}' keyword missing.",
                )
        if not host.address:
            raise ConfError(
                res.file, host.line, f"in resource {res.name}, on {host.name} {{ ... }}: 'address' keyword missing."
            )


def _expand(res: Resource, common: Resource | None) -> Resource:
    if common is not None:
        res = replace(
            res,
            options=_prepend_missing(common.options, res.options),
            net=_prepend_missing(common.net, res.net),
            disk=_prepend_missing(common.disk, res.disk),
            startup=_prepend_missing(common.startup, res.startup),
            handlers=_prepend_missing(common.handlers, res.handlers),
            become_primary_on=res.become_primary_on or common.become_primary_on,
        )
    hosts = tuple(
        replace(
            h,
            volumes=tuple(replace(v, disk_options=_prepend_missing(res.disk, v.disk_options)) for v in h.volumes),
        )
        for h in res.hosts
    )
    return replace(res, hosts=hosts)


def parse_conf(text: str, path: str = "/etc/drbd.conf") -> DrbdConf:
    """Parse drbd.conf text (includes resolved relative to `path`); raise ConfError on syntax errors."""
    toks = _expand_includes(_tokenize(text, path))
    global_opts, common, raw = _Parser(toks, path).parse()
    inherited = [_inherit(r) for r in raw]
    for res in inherited:
        _check(res)
    expanded = tuple(_expand(r, common) for r in inherited)
    return DrbdConf(
        path=path, global_options=global_opts, common=common, resources=expanded, raw_resources=tuple(inherited)
    )


def load_conf(path: str) -> DrbdConf:
    """Read and parse a drbd.conf file; OSError when it cannot be read."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    return parse_conf(text, path)


# --------------------------------------------------------------------------------------------------------------
# DRBD 9 implicit node ids (drbd-utils v9/drbdadm_postparse.c generate_implicit_node_id)


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE: list[int] = []


def crc32c(seed: int, data: bytes) -> int:
    """The kernel-style CRC32C drbd-utils uses (no final inversion), starting from `seed`."""
    if not _CRC_TABLE:
        _CRC_TABLE.extend(_crc32c_table())
    crc = seed
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def implicit_node_ids(res: Resource) -> dict[str, int]:
    """Node ids per host name: explicit `node-id`s, else (two hosts) the crc32c-of-address rule of drbdadm 9."""
    ids: dict[str, int] = {}
    if all(h.node_id is not None for h in res.hosts):
        for h in res.hosts:
            for name in h.names:
                ids[name] = h.node_id  # type: ignore[assignment]
        return ids
    if len(res.hosts) == 2 and all(h.node_id is None for h in res.hosts):
        a, b = res.hosts
        ha = _as_signed(crc32c(0x1A656F21, a.address.encode()))
        hb = _as_signed(crc32c(0x1A656F21, b.address.encode()))
        first, second = (0, 1) if ha > hb else (1, 0)
        for name in a.names:
            ids[name] = first
        for name in b.names:
            ids[name] = second
        return ids
    for index, h in enumerate(res.hosts):
        for name in h.names:
            ids[name] = h.node_id if h.node_id is not None else index
    return ids


def _as_signed(value: int) -> int:
    """drbd-utils stores the hash in an `int`: compare as signed 32-bit."""
    return value - (1 << 32) if value & 0x80000000 else value
