# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""vblade's command line and our pid record of it: AoE addresses, vblade argv (build, and read back from /proc),
MAC addresses.

The AoEExport monitor's one module: imports nothing at run time beyond xenha.errors and xenha.record. vblade's own
getopt string is read without the `getopt` module (which loads gettext and re) and the pid record's JSON line
without `json` (which loads re): both are fixed, small grammars, and tests hold them to the stdlib's answers.
"""

from __future__ import annotations

from xenha.errors import ParseError
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "BROADCAST_SHELF",
    "BROADCAST_SLOT",
    "ETH_P_AOE",
    "MAX_SHELF",
    "MAX_SLOT",
    "AoeAddress",
    "PidRecord",
    "VbladeArgs",
    "cmdline_args",
    "is_digits",
    "normalize_mac",
    "parse_address",
    "parse_json_strings",
    "parse_pid_record",
    "parse_vblade_cmdline",
    "read_cmdline",
    "render_pid_record",
    "same_export",
    "vblade_argv",
    "vblade_part",
]

# AoE major (shelf) is 16 bits and minor (slot) 8 bits; the all-ones values are the broadcast addresses a target
# must answer to (vblade aoe.c `aoe()`: `sh != shelf && sh != (ushort)~0`), so no target can own them.
BROADCAST_SHELF = 0xFFFF
BROADCAST_SLOT = 0xFF
MAX_SHELF = BROADCAST_SHELF - 1
MAX_SLOT = BROADCAST_SLOT - 1
# The AoE ethertype, which vblade binds its packet socket to (and /proc/net/packet shows).
ETH_P_AOE = 0x88A2

_ASCII_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def is_digits(text: str) -> bool:
    """True for one or more ASCII digits (str.isdigit() also accepts other scripts' digits, which int() may reject)."""
    return bool(text) and all(c in _ASCII_DIGITS for c in text)


@record
class AoeAddress:
    """A target's AoE address, printed `e<shelf>.<slot>` (the /dev/etherd/ name)."""

    shelf: int
    slot: int

    def __str__(self) -> str:
        return f"e{self.shelf}.{self.slot}"


def parse_address(text: str) -> AoeAddress | None:
    """`eS.L` with 1-5 shelf and 1-3 slot digits, within the 16- and 8-bit ranges; None for anything else."""
    if not text.startswith("e"):
        return None
    shelf, dot, slot = text[1:].partition(".")
    if not dot or not is_digits(shelf) or not is_digits(slot) or len(shelf) > 5 or len(slot) > 3:
        return None
    if int(shelf) > BROADCAST_SHELF or int(slot) > BROADCAST_SLOT:
        return None
    return AoeAddress(int(shelf), int(slot))


# --------------------------------------------------------------------------------------------------------------------
# vblade's command line


@record
class VbladeArgs:
    """A vblade invocation: `vblade [-b n] [-o off] [-l len] [-d] [-s] [-r] [-m mac,...] shelf slot netif file`."""

    shelf: int
    slot: int
    netif: str
    path: str
    read_only: bool = False
    direct_io: bool = False
    sync_io: bool = False
    buffers: int | None = None
    macs: tuple[str, ...] = ()  # normalised, see normalize_mac
    offset: int | None = None
    length: int | None = None

    @property
    def address(self) -> AoeAddress:
        return AoeAddress(self.shelf, self.slot)


def normalize_mac(text: str) -> str | None:
    """`aa:bb:cc:dd:ee:ff` for a MAC vblade's parseether accepts (12 hex digits, colons optional), else None.

    The grammar is `HH(:?HH){5}`: a colon may only sit between two pairs, each colon independently optional.
    """
    pairs: list[str] = []
    pos = 0
    while len(pairs) < 6:
        if pairs and text.startswith(":", pos):
            pos += 1
        pair = text[pos : pos + 2]
        if len(pair) != 2 or pair[0] not in _HEX or pair[1] not in _HEX:
            return None
        pairs.append(pair.lower())
        pos += 2
    return ":".join(pairs) if pos == len(text) else None


def vblade_argv(args: VbladeArgs, binary: str = "vblade") -> list[str]:
    """The argv that starts vblade for `args`; runs nothing."""
    argv = [binary]
    if args.buffers is not None:
        argv += ["-b", str(args.buffers)]
    if args.offset is not None:
        argv += ["-o", str(args.offset)]
    if args.length is not None:
        argv += ["-l", str(args.length)]
    if args.direct_io:
        argv.append("-d")
    if args.sync_io:
        argv.append("-s")
    if args.read_only:
        argv.append("-r")
    if args.macs:
        argv += ["-m", ",".join(args.macs)]
    # "--" keeps a file or interface name that starts with "-" from being read as an option (GNU getopt).
    return [*argv, "--", str(args.shelf), str(args.slot), args.netif, args.path]


# vblade's getopt string is "b:dsrm:o:l:" (aoe.c main): these take a value, the others are flags.
_VALUED = frozenset("bmol")
_FLAGS = frozenset("dsr")
# off_t is 64 bits: 19 digits at most, and int() never meets its digit limit.
_MAX_DIGITS = 20


def _gnu_getopt(args: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """getopt.gnu_getopt(args, "b:dsrm:o:l:") without the module: options anywhere until `--`, clusters (`-dr`),
    attached values (`-b4`); a lone `-` is an operand. Raises ValueError with getopt's message.

    Like glibc's getopt without POSIXLY_CORRECT (vblade's own parser), it always permutes.
    """
    opts: list[tuple[str, str]] = []
    operands: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            operands += rest
            break
        if arg.startswith("--"):
            raise ValueError(f"option --{arg[2:].partition('=')[0]} not recognized")
        if not arg.startswith("-") or arg == "-":
            operands.append(arg)
            continue
        cluster = arg[1:]
        while cluster:
            opt, cluster = cluster[0], cluster[1:]
            if opt in _FLAGS:
                opts.append((f"-{opt}", ""))
            elif opt in _VALUED:
                if not cluster:
                    if not rest:
                        raise ValueError(f"option -{opt} requires argument")
                    cluster = rest.pop(0)
                opts.append((f"-{opt}", cluster))
                cluster = ""
            else:
                raise ValueError(f"option -{opt} not recognized")
    return opts, operands


def _cmdline_int(argv: Sequence[str], text: str, what: str) -> int:
    if not is_digits(text) or len(text) > _MAX_DIGITS:
        raise ParseError("vblade", 1, " ".join(argv), f"{what} is not a number: {text!r}")
    return int(text)


def parse_vblade_cmdline(argv: Sequence[str]) -> VbladeArgs:
    """Read a vblade argv (e.g. /proc/PID/cmdline) with vblade's own getopt string `b:dsrm:o:l:`; raise ParseError.

    argv[0] is the program and is not checked here. glibc getopt permutes, so options may follow the operands
    unless `--` ends them. Several `-m` options add up (vblade `setmask`).
    """
    line = " ".join(argv)
    try:
        opts, operands = _gnu_getopt(argv[1:])
    except ValueError as exc:
        raise ParseError("vblade", 1, line, f"bad option: {exc}") from None
    if len(operands) != 4:
        raise ParseError("vblade", 1, line, f"expected shelf slot netif file, found {len(operands)} operands")
    flags = {"-d": False, "-s": False, "-r": False}
    values: dict[str, int] = {}
    macs: list[str] = []
    for name, value in opts:
        if name in flags:
            flags[name] = True
        elif name == "-m":
            for item in value.split(","):
                mac = normalize_mac(item)
                if mac is None:
                    raise ParseError("vblade", 1, line, f"bad MAC address in -m: {item!r}")
                macs.append(mac)
        else:
            values[name] = _cmdline_int(argv, value, name)
    return VbladeArgs(
        shelf=_cmdline_int(argv, operands[0], "shelf"),
        slot=_cmdline_int(argv, operands[1], "slot"),
        netif=operands[2],
        path=operands[3],
        read_only=flags["-r"],
        direct_io=flags["-d"],
        sync_io=flags["-s"],
        buffers=values.get("-b"),
        macs=tuple(macs),
        offset=values.get("-o"),
        length=values.get("-l"),
    )


def read_cmdline(pid: int) -> list[str] | None:
    """The process's argv from /proc, or None when it is gone or a zombie (whose cmdline is empty; PID 1 may not
    reap it)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    if not raw:
        return None
    return [part.decode("utf-8", "surrogateescape") for part in raw.rstrip(b"\0").split(b"\0")]


def vblade_part(cmdline: Sequence[str]) -> Sequence[str] | None:
    """The argv from the vblade program on: a script (the lab's simulated vblade) runs under its interpreter."""
    for index in (0, 1):
        if len(cmdline) > index and cmdline[index].rpartition("/")[2] == "vblade":
            return cmdline[index:]
    return None


def cmdline_args(cmdline: Sequence[str]) -> VbladeArgs | None:
    """What a process's command line asks vblade to serve, or None when it is not a vblade command line we can read."""
    part = vblade_part(cmdline)
    if part is None:
        return None
    try:
        return parse_vblade_cmdline(part)
    except ParseError:
        return None


# --------------------------------------------------------------------------------------------------------------------
# The pid record


@record
class PidRecord:
    """What the pid file holds: vblade's pid, then the argv it was started with (JSON) to tell a reused pid apart."""

    pid: int
    argv: tuple[str, ...]


def render_pid_record(rec: PidRecord) -> str:
    """The pid file's text; the pid alone on the first line keeps it readable by anything expecting a pid file."""
    import json  # start only: the monitor reads the record with parse_json_strings

    return f"{rec.pid}\n{json.dumps(list(rec.argv))}\n"


def parse_pid_record(text: str) -> PidRecord | None:
    """The record in a pid file, or None when it is not one we wrote (stale, truncated or foreign)."""
    lines = text.splitlines()
    if len(lines) != 2 or not is_digits(lines[0].strip()) or len(lines[0].strip()) > _MAX_DIGITS:
        return None
    argv = parse_json_strings(lines[1])
    if not argv:
        return None
    return PidRecord(pid=int(lines[0]), argv=tuple(argv))


def same_export(cmdline: Sequence[str], rec: PidRecord) -> bool:
    """True when a live process's command line is the vblade we recorded (its pid was not reused)."""
    part = vblade_part(cmdline)
    return part is not None and tuple(part) == rec.argv


# RFC 8259 (what json.loads accepts): white space, and the escapes of a string.
_WS = " \t\n\r"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _hex4(text: str, pos: int) -> int | None:
    digits = text[pos : pos + 4]
    if len(digits) != 4 or any(c not in _HEX for c in digits):
        return None
    return int(digits, 16)


def _json_string(text: str, pos: int) -> tuple[str, int] | None:
    """The JSON string starting at text[pos] (a quote) and the position after it; None when it is not one."""
    if not text.startswith('"', pos):
        return None
    out: list[str] = []
    pos += 1
    while True:
        start = pos
        while pos < len(text) and text[pos] not in '"\\' and text[pos] >= " ":
            pos += 1
        out.append(text[start:pos])
        if pos >= len(text) or text[pos] < " ":  # unterminated, or a raw control character (strict JSON)
            return None
        if text[pos] == '"':
            return "".join(out), pos + 1
        escape = text[pos + 1 : pos + 2]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            pos += 2
            continue
        if escape != "u":
            return None
        code = _hex4(text, pos + 2)
        if code is None:
            return None
        pos += 6
        if 0xD800 <= code <= 0xDBFF and text.startswith("\\u", pos):  # a surrogate pair, as json.loads joins it
            low = _hex4(text, pos + 2)
            if low is not None and 0xDC00 <= low <= 0xDFFF:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                pos += 6
        out.append(chr(code))


def parse_json_strings(text: str) -> list[str] | None:
    """json.loads(text) when `text` is a JSON array of strings, else None (any other JSON, or not JSON)."""
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        return None
    pos = _skip_ws(text, pos + 1)
    items: list[str] = []
    if not text.startswith("]", pos):
        while True:
            parsed = _json_string(text, pos)
            if parsed is None:
                return None
            item, pos = parsed
            items.append(item)
            pos = _skip_ws(text, pos)
            if not text.startswith(",", pos):
                break
            pos = _skip_ws(text, pos + 1)
        if not text.startswith("]", pos):
            return None
    return items if _skip_ws(text, pos + 1) == len(text) else None
