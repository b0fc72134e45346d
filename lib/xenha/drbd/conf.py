# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Read drbd.conf for what a cluster configuration needs: resources, their minors, hosts and allow-two-primaries (cold).

`xenha convert` reads the DRBD configuration of a heartbeat v1 cluster to learn, for each DRBD resource a guest
uses, its device minors (a `phy:/dev/drbdN` disk names a minor, not a resource), the nodes it is on and whether it
allows two Primaries (DrbdDualPrimary's promoted-max). `drbdadm dump` would do the includes and the `common`
merge for us, but it refuses a file where this host is not named and the node doing the conversion need not be a
DRBD node, so this reads the file itself. The grammar (drbd.conf(5), 8.4 and 9) is words, double-quoted strings,
`{ }` blocks and `;`, with `#` comments and `include "glob";` (relative to the including file's directory, files
in sorted order); every statement it does not need is skipped whole, so options this parser does not know never
fail it. Only the structure can fail: an unbalanced brace, a missing `;`, an unterminated string, a resource
without a name, a device without a minor. ParseError then names the file and the line.

Semantics follow drbdadm: a `common` option applies to every resource that does not set it, a valueless flag
(`allow-two-primaries;`) means yes, `device /dev/drbdN;` implies minor N, and DRBD 9's `connection { net {} }`
sections count like the resource's `net`.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

from xenha.errors import ParseError
from xenha.files import read_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from xenha.run import Deadline

__all__ = ["CONF_MAX_BYTES", "DrbdConf", "DrbdResource", "Token", "parse_drbd_conf", "read_drbd_conf", "tokenize"]

CONF_MAX_BYTES = 1 << 20  # per file; a drbd.conf with hundreds of resources is a few hundred KiB
_MAX_FILES = 256
_MAX_DEPTH = 8
_TRUE = frozenset({"yes", "true", "on", "1"})


@dataclass(frozen=True, slots=True)
class DrbdResource:
    """One `resource NAME {}`: its minors (all volumes, all hosts), host names, and whether two may be Primary."""

    name: str
    minors: tuple[int, ...]
    hosts: tuple[str, ...]
    two_primaries: bool
    path: str
    line: int
    fencing: str | None = None  # the `fencing` policy (disk in 8.4, net in 9), the resource's or common's
    fence_peer: str | None = None  # the `fence-peer` handler, the resource's or common's


@dataclass(frozen=True, slots=True)
class DrbdConf:
    """The resources of a configuration, in file order."""

    path: str
    resources: tuple[DrbdResource, ...] = ()

    def resource(self, name: str) -> DrbdResource | None:
        return next((r for r in self.resources if r.name == name), None)

    def by_minor(self, minor: int) -> DrbdResource | None:
        return next((r for r in self.resources if minor in r.minors), None)


# ---------------------------------------------------------------------------------------------------------------------
# Tokens and statements


@dataclass(frozen=True, slots=True)
class Token:
    """A word, a quoted string or one of `{ } ;`, with where it stands (the simulator's drbdadm reads these too)."""

    text: str
    path: str
    line: int
    quoted: bool = False

    @property
    def is_punct(self) -> bool:
        return not self.quoted and self.text in ("{", "}", ";")


@dataclass(frozen=True, slots=True)
class _Stmt:
    """`word word ... ;` or `word word ... { statements }`."""

    words: tuple[Token, ...]
    block: tuple[_Stmt, ...] | None

    @property
    def keyword(self) -> str:
        return self.words[0].text if self.words else ""

    @property
    def args(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.words[1:])


def _fail(path: str, line: int, text: str, why: str) -> ParseError:
    return ParseError(path, line, text, why)


def _line_of(text: str, number: int) -> str:
    lines = text.split("\n")
    return lines[number - 1] if 0 < number <= len(lines) else ""


def tokenize(text: str, path: str) -> list[Token]:
    """drbd.conf text as drbdadm's lexer splits it; ParseError for an unterminated quoted string."""
    toks: list[Token] = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{};":
            toks.append(Token(c, path, line))
            i += 1
        elif c == '"':
            start = line
            i += 1
            buf: list[str] = []
            while True:
                if i >= n or text[i] == "\n":
                    raise _fail(path, start, _line_of(text, start), "unterminated double-quoted string")
                if text[i] == "\\" and i + 1 < n and text[i + 1] != "\n":
                    buf.append(text[i + 1])
                    i += 2
                elif text[i] == '"':
                    i += 1
                    break
                else:
                    buf.append(text[i])
                    i += 1
            toks.append(Token("".join(buf), path, start, quoted=True))
        else:
            j = i
            while j < n and text[j] not in ' \t\r\n\f\v{};"#':
                j += 1
            toks.append(Token(text[i:j], path, line))
            i = j
    return toks


class _Reader:
    """Reads files (bounded, never blocking on a FIFO) and expands includes; counts files against a limit."""

    def __init__(self, limit: int, deadline: Deadline | None) -> None:
        self.limit = limit
        self.deadline = deadline
        self.files = 0
        self.texts: dict[str, str] = {}

    def read(self, path: str) -> str:
        self.files += 1
        if self.files > _MAX_FILES:
            raise _fail(path, 0, "", f"more than {_MAX_FILES} files included")
        text = read_text(path, limit=self.limit, deadline=self.deadline)
        self.texts[path] = text
        return text

    def tokens(self, text: str, path: str, depth: int = 0) -> list[Token]:
        toks = tokenize(text, path)
        out: list[Token] = []
        i = 0
        while i < len(toks):
            tok = toks[i]
            if tok.text == "include" and not tok.quoted:
                if i + 2 >= len(toks) or toks[i + 1].is_punct or toks[i + 2].text != ";":
                    raise _fail(path, tok.line, _line_of(text, tok.line), 'expected include "PATTERN";')
                if depth >= _MAX_DEPTH:
                    raise _fail(path, tok.line, _line_of(text, tok.line), "include nesting too deep")
                pattern = toks[i + 1].text
                if not os.path.isabs(pattern):
                    pattern = os.path.join(os.path.dirname(os.path.abspath(path)), pattern)
                for inc in sorted(glob.glob(pattern)):
                    try:
                        inc_text = self.read(inc)
                    except OSError as exc:
                        raise _fail(path, tok.line, _line_of(text, tok.line), f"{inc}: {exc.strerror}") from None
                    out.extend(self.tokens(inc_text, inc, depth + 1))
                i += 3
                continue
            out.append(tok)
            i += 1
        return out


def _statements(toks: list[Token], texts: dict[str, str], path: str) -> tuple[_Stmt, ...]:
    pos = 0

    def fail(tok: Token, why: str) -> ParseError:
        return _fail(tok.path, tok.line, _line_of(texts.get(tok.path, ""), tok.line), why)

    def block(depth: int, opener: Token | None) -> tuple[_Stmt, ...]:
        nonlocal pos
        out: list[_Stmt] = []
        words: list[Token] = []
        while pos < len(toks):
            tok = toks[pos]
            pos += 1
            if tok.quoted or not tok.is_punct:
                words.append(tok)
            elif tok.text == ";":
                if words:
                    out.append(_Stmt(tuple(words), None))
                words = []
            elif tok.text == "{":
                if not words:
                    raise fail(tok, "a block without a keyword")
                if depth > 32:
                    raise fail(tok, "blocks nested too deep")
                out.append(_Stmt(tuple(words), block(depth + 1, tok)))
                words = []
            else:  # "}"
                if opener is None:
                    raise fail(tok, "unbalanced }")
                if words:
                    raise fail(words[-1], f"missing ';' after {words[-1].text!r}")
                return tuple(out)
        if words:
            raise fail(words[-1], f"missing ';' after {words[-1].text!r} at the end of the file")
        if opener is not None:
            raise fail(opener, "unterminated block: missing }")
        return tuple(out)

    del path
    return block(0, None)


# ---------------------------------------------------------------------------------------------------------------------
# Interpretation


def _flag(stmt: _Stmt) -> bool:
    return not stmt.args or stmt.args[0].lower() in _TRUE


def _two_primaries(net: tuple[_Stmt, ...] | None) -> bool | None:
    found: bool | None = None
    for stmt in net or ():
        if stmt.keyword == "allow-two-primaries" and stmt.block is None:
            found = _flag(stmt)
    return found


def _option(sections: list[tuple[_Stmt, ...]], name: str) -> str | None:
    """The last `name VALUE;` in these option sections (a valueless flag: "yes")."""
    found: str | None = None
    for body in sections:
        for stmt in body:
            if stmt.keyword == name and stmt.block is None:
                found = " ".join(stmt.args) or "yes"
    return found


def _policies(body: tuple[_Stmt, ...]) -> tuple[str | None, str | None]:
    """(fencing, fence-peer) set directly in a resource or common body."""
    fencing = _option(_sections(body, "disk") + _sections(body, "net"), "fencing")
    return fencing, _option(_sections(body, "handlers"), "fence-peer")


def _sections(body: tuple[_Stmt, ...], keyword: str) -> list[tuple[_Stmt, ...]]:
    return [s.block for s in body if s.keyword == keyword and s.block is not None]


def _minor(stmt: _Stmt, texts: dict[str, str]) -> int:
    """`device /dev/drbdN;` | `device minor N;` | `device PATH minor N;` (drbd.conf(5))."""
    args = stmt.args
    tok = stmt.words[0]
    text = _line_of(texts.get(tok.path, ""), tok.line)
    if len(args) == 2 and args[0] == "minor" and args[1].isdigit():
        return int(args[1])
    if len(args) == 3 and args[1] == "minor" and args[2].isdigit():
        return int(args[2])
    if len(args) == 1:
        tail = args[0].rsplit("/", 1)[-1]
        if tail.startswith("drbd") and tail[4:].isdigit():
            return int(tail[4:])
    raise _fail(tok.path, tok.line, text, "device must be /dev/drbdN or carry `minor N`")


def _devices(body: tuple[_Stmt, ...], texts: dict[str, str]) -> list[int]:
    """The minors of `device` statements in a resource, host or volume body, volumes included."""
    minors: list[int] = []
    for stmt in body:
        if stmt.keyword == "device" and stmt.block is None:
            minors.append(_minor(stmt, texts))
        elif stmt.keyword == "volume" and stmt.block is not None:
            minors.extend(_devices(stmt.block, texts))
    return minors


def _resource(
    stmt: _Stmt, common_two: bool | None, common_policies: tuple[str | None, str | None], texts: dict[str, str]
) -> DrbdResource:
    tok = stmt.words[0]
    if len(stmt.words) != 2 or stmt.block is None:
        raise _fail(tok.path, tok.line, _line_of(texts.get(tok.path, ""), tok.line), "expected resource NAME { }")
    body = stmt.block
    minors = _devices(body, texts)
    hosts: list[str] = []
    for sub in body:
        if sub.keyword == "on" and sub.block is not None:
            hosts.extend(sub.args)
            minors.extend(_devices(sub.block, texts))
        elif sub.keyword == "floating" and sub.block is not None:
            minors.extend(_devices(sub.block, texts))
    two: bool | None = None
    for net in _sections(body, "net"):
        value = _two_primaries(net)
        two = value if value is not None else two
    if two is None:
        two = common_two
    fencing, fence_peer = _policies(body)
    for conn in [*_sections(body, "connection"), *_sections(body, "connection-mesh")]:
        for net in _sections(conn, "net"):
            two = two or bool(_two_primaries(net))
            fencing = _option([net], "fencing") or fencing
    return DrbdResource(
        name=stmt.words[1].text,
        minors=tuple(sorted(set(minors))),
        hosts=tuple(dict.fromkeys(hosts)),
        two_primaries=bool(two),
        path=tok.path,
        line=tok.line,
        fencing=fencing or common_policies[0],
        fence_peer=fence_peer or common_policies[1],
    )


def _build(stmts: tuple[_Stmt, ...], path: str, texts: dict[str, str]) -> DrbdConf:
    common_two: bool | None = None
    common_policies: tuple[str | None, str | None] = (None, None)
    for stmt in stmts:
        if stmt.keyword == "common" and stmt.block is not None:
            for net in _sections(stmt.block, "net"):
                value = _two_primaries(net)
                common_two = value if value is not None else common_two
            fencing, fence_peer = _policies(stmt.block)
            common_policies = (fencing or common_policies[0], fence_peer or common_policies[1])
    resources: list[DrbdResource] = []
    seen: set[str] = set()
    for stmt in stmts:
        if stmt.keyword != "resource":
            continue
        res = _resource(stmt, common_two, common_policies, texts)
        if res.name in seen:
            tok = stmt.words[1]
            raise _fail(tok.path, tok.line, _line_of(texts.get(tok.path, ""), tok.line), "resource defined twice")
        seen.add(res.name)
        resources.append(res)
    return DrbdConf(path, tuple(resources))


def parse_drbd_conf(
    text: str, path: str = "/etc/drbd.conf", *, limit: int = CONF_MAX_BYTES, deadline: Deadline | None = None
) -> DrbdConf:
    """Parse drbd.conf text (includes read relative to `path`, each bounded by `limit` and `deadline`); ParseError
    naming file and line on bad structure."""
    reader = _Reader(limit, deadline)
    reader.texts[path] = text
    toks = reader.tokens(text, path)
    return _build(_statements(toks, reader.texts, path), path, reader.texts)


def read_drbd_conf(path: str, *, limit: int = CONF_MAX_BYTES, deadline: Deadline | None = None) -> DrbdConf:
    """Read (xenha.files: bounded, no FIFO, no device) and parse a drbd.conf; OSError or DeadlineExceeded when it
    cannot be read, ParseError when it is not one."""
    text = read_text(path, limit=limit, deadline=deadline)
    return parse_drbd_conf(text, path, limit=limit, deadline=deadline)
