"""ATA over Ethernet: aoe-stat and vblade parsers, vblade argv, the AoE wire format, and a raw-socket channel."""

from __future__ import annotations

import getopt
import os
import re
import select
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from types import TracebackType

from xenha.errors import NotInstalled, ParseError, PermissionDenied, ProgrammerError
from xenha.ocf import log
from xenha.run import Deadline

__all__ = [
    "AOE_VERSION",
    "ATA_FLAG_EXTENDED",
    "ATA_FLAG_WRITE",
    "ATA_STATUS_DRDY",
    "ATA_STATUS_ERR",
    "BROADCAST_MAC",
    "BROADCAST_SHELF",
    "BROADCAST_SLOT",
    "ETH_P_AOE",
    "FLAG_ERROR",
    "FLAG_RESPONSE",
    "MAX_SHELF",
    "MAX_SLOT",
    "MIN_FRAME",
    "SECTOR_SIZE",
    "AoeAddress",
    "AoeChannel",
    "AoeError",
    "AoeFrame",
    "AoeHeader",
    "AoeStat",
    "AoeStatRow",
    "AtaBody",
    "AtaCommand",
    "Command",
    "ConfigBody",
    "ConfigCommand",
    "DeviceState",
    "OpenMode",
    "PacketSocket",
    "VbladeArgs",
    "VbladeLog",
    "VbladeStartup",
    "ata_read",
    "config_query",
    "encode_frame",
    "format_mac",
    "normalize_mac",
    "parse_aoe_stat",
    "parse_frame",
    "parse_proc_net_packet",
    "parse_vblade_cmdline",
    "parse_vblade_startup",
    "query_config",
    "scan_vblade_log",
    "vblade_argv",
]

_log = log.get("xenha.aoe.wire")

# --------------------------------------------------------------------------------------------------------------------
# Addresses

# AoE major (shelf) is 16 bits and minor (slot) 8 bits; the all-ones values are the broadcast addresses a target
# must answer to (vblade aoe.c `aoe()`: `sh != shelf && sh != (ushort)~0`), so no target can own them.
BROADCAST_SHELF = 0xFFFF
BROADCAST_SLOT = 0xFF
MAX_SHELF = BROADCAST_SHELF - 1
MAX_SLOT = BROADCAST_SLOT - 1


@dataclass(frozen=True, slots=True, order=True)
class AoeAddress:
    """A target's AoE address, printed `e<shelf>.<slot>` (the /dev/etherd/ name)."""

    shelf: int
    slot: int

    def __str__(self) -> str:
        return f"e{self.shelf}.{self.slot}"


_ADDRESS = re.compile(r"e(\d{1,5})\.(\d{1,3})")


def _address(tool: str, lineno: int, line: str, text: str) -> AoeAddress:
    m = _ADDRESS.fullmatch(text)
    if m is None:
        raise ParseError(tool, lineno, line, f"not an AoE device name: {text!r}")
    shelf, slot = int(m[1]), int(m[2])
    if shelf > BROADCAST_SHELF or slot > BROADCAST_SLOT:
        raise ParseError(tool, lineno, line, f"AoE address out of range: {text!r}")
    return AoeAddress(shelf, slot)


# --------------------------------------------------------------------------------------------------------------------
# aoe-stat (aoetools 36) and the kernel's status.sh (GRAMMAR.md §5)


class DeviceState(Enum):
    """An initiator-side AoE device's state, as the aoe driver's sysfs `state` attribute prints it.

    GRAMMAR.md §5 lists up, down and down,closewait (aoe-stat(8)); the driver can also print `,kickme` after either
    state (torvalds/linux drivers/block/aoe/aoeblk.c `aoedisk_show_state`: `"up"|"down"` then `",kickme"` when
    DEVFL_KICKME is set, else `",closewait"` when the device is open but not up).
    """

    UP = "up"
    DOWN = "down"
    UP_KICKME = "up,kickme"
    DOWN_KICKME = "down,kickme"
    DOWN_CLOSEWAIT = "down,closewait"

    @property
    def is_up(self) -> bool:
        return self in (DeviceState.UP, DeviceState.UP_KICKME)


@dataclass(frozen=True, slots=True)
class AoeStatRow:
    """One device line; None where aoe-stat printed `(NA)` or the layout has no such column.

    `size_mb` is the size exactly as printed: aoe-stat computes `512000 * sectors / 10**9` (integer MB), prints it
    with `%04d` and inserts a dot before the last three digits, so `10.737GB` is 10737. `netifs` is the driver's
    comma-separated `netif` attribute; its `none` (no usable interface) is the empty tuple.
    """

    address: AoeAddress
    size_mb: int | None
    netifs: tuple[str, ...] | None
    payload: int | None
    state: DeviceState | None

    @property
    def is_up(self) -> bool:
        return self.state is not None and self.state.is_up

    @property
    def size_gb(self) -> float | None:
        return None if self.size_mb is None else self.size_mb / 1000


@dataclass(frozen=True, slots=True)
class AoeStat:
    """aoe-stat output: device rows in printed order and the warnings interleaved from stderr."""

    rows: tuple[AoeStatRow, ...]
    warnings: tuple[str, ...] = ()

    def find(self, address: AoeAddress) -> AoeStatRow | None:
        return next((row for row in self.rows if row.address == address), None)


_NA = "(NA)"
_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also accepts other scripts' digits, which int() may reject
_SIZE = re.compile(r"(\d+)\.(\d{3})GB")
_MESSAGE = re.compile(r"(?P<me>\S+) (?P<kind>Warning|Error): (?P<text>.+)")


def _size(lineno: int, line: str, token: str) -> int | None:
    if token == _NA:
        return None
    m = _SIZE.fullmatch(token)
    if m is None:
        raise ParseError("aoe-stat", lineno, line, f"size column is not N.NNNGB: {token!r}")
    return int(m[1]) * 1000 + int(m[2])


def _netifs(token: str) -> tuple[str, ...] | None:
    if token == _NA:
        return None
    if token == "none":
        return ()
    return tuple(token.split(","))


def _state(lineno: int, line: str, token: str) -> DeviceState | None:
    if token == _NA:
        return None
    try:
        return DeviceState(token)
    except ValueError:
        raise ParseError("aoe-stat", lineno, line, f"unknown device state {token!r}") from None


def _payload(lineno: int, line: str, token: str) -> int:
    if not _DIGITS.fullmatch(token):
        raise ParseError("aoe-stat", lineno, line, f"payload column is not a byte count: {token!r}")
    return int(token)


def parse_aoe_stat(text: str) -> AoeStat:
    """Parse aoe-stat output (and the kernel's status.sh); raise ParseError on any other line.

    Rows are told apart by their column count, since no column contains blanks (GRAMMAR.md §5):
    5 = device, size, netif, payload, state (driver exports `payload`: `%10s %15s %10s %-5s %-14s`);
    4 = device, size, netif, state (`%10s %15s %6s %-14s`) -- also what the payload layout prints for a device
    whose payload is `(NA)`: the script then passes four values to the five-column format, so the state lands in
    the payload column and the last column is blank; 3 = device, netif, state (status.sh `%8s\\t%8s\\t%8s`, and
    2005 aoetools as in fixtures aoe/readme_aoe_stat_one_device.txt, TABs possibly expanded to blanks).
    `%-14s` leaves trailing blanks (aoe/manpage_aoe_stat_warning_wrong_minor.txt). Warnings that aoe-stat writes
    to stderr (`aoe-stat Warning: device node ... has wrong minor device number`) may be interleaved with the
    sorted rows when both streams are captured; they are kept. Its `Error:` message (sysfs not mounted) is raised.
    """
    rows: list[AoeStatRow] = []
    warnings: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        message = _MESSAGE.fullmatch(line.strip())
        if message is not None:
            if message["kind"] == "Error":
                raise ParseError("aoe-stat", lineno, line, "aoe-stat reported an error")
            warnings.append(message["text"])
            continue
        tokens = line.split()
        if len(tokens) == 5:
            device, size, netif, payload, state = tokens
            rows.append(
                AoeStatRow(
                    address=_address("aoe-stat", lineno, line, device),
                    size_mb=_size(lineno, line, size),
                    netifs=_netifs(netif),
                    payload=_payload(lineno, line, payload),
                    state=_state(lineno, line, state),
                )
            )
        elif len(tokens) == 4:
            device, size, netif, state = tokens
            rows.append(
                AoeStatRow(
                    address=_address("aoe-stat", lineno, line, device),
                    size_mb=_size(lineno, line, size),
                    netifs=_netifs(netif),
                    payload=None,
                    state=_state(lineno, line, state),
                )
            )
        elif len(tokens) == 3:
            device, netif, state = tokens
            rows.append(
                AoeStatRow(
                    address=_address("aoe-stat", lineno, line, device),
                    size_mb=None,
                    netifs=_netifs(netif),
                    payload=None,
                    state=_state(lineno, line, state),
                )
            )
        else:
            raise ParseError("aoe-stat", lineno, line, f"expected 3 to 5 columns, found {len(tokens)}")
    return AoeStat(rows=tuple(rows), warnings=tuple(warnings))


# --------------------------------------------------------------------------------------------------------------------
# vblade's start-up line and log (GRAMMAR.md §5)


class OpenMode(Enum):
    """How vblade opened the exported file (the word after the sector count)."""

    RDWR = "O_RDWR"
    RDONLY = "O_RDONLY"


@dataclass(frozen=True, slots=True)
class VbladeStartup:
    """What vblade prints once it is bound to its interface, just before it starts serving."""

    pid: int
    address: AoeAddress
    sectors: int
    mode: OpenMode | None  # None: vblade before v14 did not print it (fixture aoe/readme_vblade_startup_old.txt)

    @property
    def size_bytes(self) -> int:
        return self.sectors * SECTOR_SIZE

    @property
    def is_read_only(self) -> bool:
        return self.mode is OpenMode.RDONLY


@dataclass(frozen=True, slots=True)
class VbladeLog:
    """vblade's combined stdout and stderr: the start-up line if printed, and every other line verbatim."""

    startup: VbladeStartup | None
    messages: tuple[str, ...]

    @property
    def last_message(self) -> str:
        return self.messages[-1] if self.messages else ""


# OpenAoE/vblade aoe.c main(): printf("pid %ld: e%d.%d, %lld sectors %s\n", ...).
_STARTUP = re.compile(r"pid (\d+): (e\d+\.\d+), (\d+) sectors(?: (O_RDWR|O_RDONLY))?")
# Debug lines that vblade printed before the start-up line until ~2005 (fixture aoe/readme_vblade_startup_old.txt).
_OLD_DEBUG = re.compile(r"ioctl returned -?\d+|\d+ bytes")


def _startup(lineno: int, line: str) -> VbladeStartup | None:
    m = _STARTUP.fullmatch(line.rstrip())
    if m is None:
        return None
    return VbladeStartup(
        pid=int(m[1]),
        address=_address("vblade", lineno, line, m[2]),
        sectors=int(m[3]),
        mode=OpenMode(m[4]) if m[4] else None,
    )


def parse_vblade_startup(text: str) -> VbladeStartup:
    """Parse vblade's start-up output: optional old debug lines, then exactly one `pid N: eS.L, N sectors MODE`."""
    found: VbladeStartup | None = None
    lineno = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        startup = _startup(lineno, line)
        if startup is not None:
            if found is not None:
                raise ParseError("vblade", lineno, line, "second start-up line")
            found = startup
        elif found is None and _OLD_DEBUG.fullmatch(line.strip()):
            continue
        else:
            raise ParseError("vblade", lineno, line, "not a vblade start-up line")
    if found is None:
        raise ParseError("vblade", lineno, "", "no start-up line")
    return found


def scan_vblade_log(text: str) -> VbladeLog:
    """Classify every line of a vblade log: the first start-up line, and the rest (perror text, usage) as messages."""
    startup: VbladeStartup | None = None
    messages: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parsed = _startup(lineno, line) if startup is None else None
        if parsed is not None:
            startup = parsed
        elif not _OLD_DEBUG.fullmatch(line.strip()):
            messages.append(line.rstrip())
    return VbladeLog(startup=startup, messages=tuple(messages))


# --------------------------------------------------------------------------------------------------------------------
# vblade's command line


@dataclass(frozen=True, slots=True)
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


_MAC_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::?[0-9A-Fa-f]{2}){5}")


def normalize_mac(text: str) -> str | None:
    """`aa:bb:cc:dd:ee:ff` for a MAC vblade's parseether accepts (12 hex digits, colons optional), else None."""
    if _MAC_PAIRS.fullmatch(text) is None:
        return None
    digits = text.replace(":", "").lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


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


def _cmdline_int(argv: Sequence[str], text: str, what: str) -> int:
    if not _DIGITS.fullmatch(text):
        raise ParseError("vblade", 1, " ".join(argv), f"{what} is not a number: {text!r}")
    return int(text)


def parse_vblade_cmdline(argv: Sequence[str]) -> VbladeArgs:
    """Read a vblade argv (e.g. /proc/PID/cmdline) with vblade's own getopt string `b:dsrm:o:l:`; raise ParseError.

    argv[0] is the program and is not checked here. glibc getopt permutes, so options may follow the operands
    unless `--` ends them; getopt.gnu_getopt does the same. Several `-m` options add up (vblade `setmask`).
    """
    line = " ".join(argv)
    try:
        opts, operands = getopt.gnu_getopt(list(argv[1:]), "b:dsrm:o:l:")
    except getopt.GetoptError as exc:
        raise ParseError("vblade", 1, line, f"bad option: {exc.msg}") from None
    if len(operands) != 4:
        raise ParseError("vblade", 1, line, f"expected shelf slot netif file, found {len(operands)} operands")
    flags: dict[str, bool] = {"-d": False, "-s": False, "-r": False}
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


# --------------------------------------------------------------------------------------------------------------------
# The wire format (AoE protocol r11; field layout as in OpenAoE/vblade dat.h `Aoehdr`, `Conf`, `Ata`)

ETH_P_AOE = 0x88A2
AOE_VERSION = 1
SECTOR_SIZE = 512
BROADCAST_MAC = b"\xff" * 6
MIN_FRAME = 60  # shortest Ethernet frame without FCS; drivers pad shorter ones, veth does not

_ETH = struct.Struct("!6s6sH")
_AOE = struct.Struct("!BBHBBI")  # ver<<4|flags, error, major, minor, command, tag
_CFG = struct.Struct("!HHBBH")  # buffer count, firmware, sector count, aoe version<<4|ccmd, config length
_ATA = struct.Struct("!BBBB6s2s")  # aflags, err/feature, sector count, cmd/status, lba0..lba5, reserved
_HEADER_LEN = _ETH.size + _AOE.size  # 24, vblade Naoehdr
_CFG_LEN = _HEADER_LEN + _CFG.size  # 32, Ncfghdr
_ATA_LEN = _HEADER_LEN + _ATA.size  # 36, Natahdr

FLAG_RESPONSE = 0x08
FLAG_ERROR = 0x04


class Command(IntEnum):
    """The AoE header's command field."""

    ATA = 0
    CONFIG = 1
    MAC_MASK = 2
    RESERVE = 3


class ConfigCommand(IntEnum):
    """A Query Config message's ccmd (the low nibble after the AoE version)."""

    READ = 0
    TEST = 1
    TEST_PREFIX = 2
    SET = 3
    FORCE_SET = 4


class AoeError(IntEnum):
    """The AoE header's error field, meaningful when the error flag is set."""

    BAD_COMMAND = 1
    BAD_ARGUMENT = 2
    DEVICE_UNAVAILABLE = 3
    CONFIG_STRING_PRESENT = 4
    UNSUPPORTED_VERSION = 5
    TARGET_RESERVED = 6


class AtaCommand(IntEnum):
    """The ATA commands vblade implements (ata.c `atacmd`)."""

    READ_SECTORS = 0x20
    READ_SECTORS_EXT = 0x24
    WRITE_SECTORS = 0x30
    WRITE_SECTORS_EXT = 0x34
    CHECK_POWER_MODE = 0xE5
    FLUSH_CACHE = 0xE7
    IDENTIFY_DEVICE = 0xEC


ATA_FLAG_EXTENDED = 0x40  # LBA48
ATA_FLAG_DEVICE = 0x10
ATA_FLAG_ASYNC = 0x02
ATA_FLAG_WRITE = 0x01
ATA_STATUS_ERR = 0x01
ATA_STATUS_DRDY = 0x40


@dataclass(frozen=True, slots=True)
class AoeHeader:
    """The Ethernet and AoE common header. `version` is 1, except in vblade's start-up advertisement (0)."""

    dst: bytes
    src: bytes
    version: int
    is_response: bool
    has_error: bool
    error: int
    shelf: int
    slot: int
    command: int
    tag: int

    @property
    def address(self) -> AoeAddress:
        return AoeAddress(self.shelf, self.slot)


@dataclass(frozen=True, slots=True)
class ConfigBody:
    """A Query Config request or response."""

    buffer_count: int
    firmware: int
    sector_count: int  # most sectors one ATA command may carry
    aoe_version: int
    ccmd: int
    config: bytes


@dataclass(frozen=True, slots=True)
class AtaBody:
    """An ATA request or response; `lba` is the raw 48-bit field (little-endian), `data` what follows the header."""

    aflags: int
    feature: int  # err in a response
    sector_count: int
    command: int  # status in a response
    lba: int
    data: bytes = b""

    @property
    def is_write(self) -> bool:
        return bool(self.aflags & ATA_FLAG_WRITE)

    @property
    def is_extended(self) -> bool:
        return bool(self.aflags & ATA_FLAG_EXTENDED)


@dataclass(frozen=True, slots=True)
class AoeFrame:
    """One AoE frame: the header and a body for the commands we speak; raw bytes for the others."""

    header: AoeHeader
    body: ConfigBody | AtaBody | bytes


def _mac(value: bytes, what: str) -> bytes:
    if len(value) != 6:
        raise ProgrammerError(f"{what} must be 6 bytes, not {len(value)}")
    return value


def encode_frame(frame: AoeFrame) -> bytes:
    """The frame's bytes, from the Ethernet destination on (no padding: see MIN_FRAME)."""
    h = frame.header
    out = _ETH.pack(_mac(h.dst, "dst"), _mac(h.src, "src"), ETH_P_AOE)
    flags = (FLAG_RESPONSE if h.is_response else 0) | (FLAG_ERROR if h.has_error else 0)
    out += _AOE.pack((h.version << 4) | flags, h.error, h.shelf, h.slot, h.command, h.tag)
    body = frame.body
    if isinstance(body, ConfigBody):
        out += _CFG.pack(
            body.buffer_count, body.firmware, body.sector_count, (body.aoe_version << 4) | body.ccmd, len(body.config)
        )
        out += body.config
    elif isinstance(body, AtaBody):
        lba = body.lba.to_bytes(6, "little")
        out += _ATA.pack(body.aflags, body.feature, body.sector_count, body.command, lba, b"\0\0") + body.data
    else:
        out += body
    return out


def _frame_error(data: bytes, why: str) -> ParseError:
    return ParseError("aoe", 0, data[:64].hex(), why)


def parse_frame(data: bytes) -> AoeFrame:
    """Parse one frame as read from an AF_PACKET SOCK_RAW socket; raise ParseError if it is not a whole AoE frame.

    Bytes after a Query Config's config string are Ethernet padding and are dropped; after an ATA header they are
    returned as `data` (a read's sectors, or padding), since only the request knows how many sectors to expect.
    """
    if len(data) < _HEADER_LEN:
        raise _frame_error(data, f"{len(data)} bytes is shorter than an AoE header")
    dst, src, ethertype = _ETH.unpack_from(data)
    if ethertype != ETH_P_AOE:
        raise _frame_error(data, f"ethertype {ethertype:#06x} is not AoE")
    verflags, error, shelf, slot, command, tag = _AOE.unpack_from(data, _ETH.size)
    if verflags & 0x03:
        raise _frame_error(data, f"reserved flag bits set: {verflags:#04x}")
    header = AoeHeader(
        dst=dst,
        src=src,
        version=verflags >> 4,
        is_response=bool(verflags & FLAG_RESPONSE),
        has_error=bool(verflags & FLAG_ERROR),
        error=error,
        shelf=shelf,
        slot=slot,
        command=command,
        tag=tag,
    )
    body: ConfigBody | AtaBody | bytes
    if command == Command.CONFIG:
        if len(data) < _CFG_LEN:
            raise _frame_error(data, "Query Config frame shorter than its header")
        bufcnt, firmware, scnt, vercmd, length = _CFG.unpack_from(data, _HEADER_LEN)
        if len(data) < _CFG_LEN + length:
            raise _frame_error(data, f"config string length {length} runs past the frame")
        body = ConfigBody(bufcnt, firmware, scnt, vercmd >> 4, vercmd & 0x0F, data[_CFG_LEN : _CFG_LEN + length])
    elif command == Command.ATA:
        if len(data) < _ATA_LEN:
            raise _frame_error(data, "ATA frame shorter than its header")
        aflags, feature, scnt, cmd, lba, _reserved = _ATA.unpack_from(data, _HEADER_LEN)
        body = AtaBody(aflags, feature, scnt, cmd, int.from_bytes(lba, "little"), data[_ATA_LEN:])
    else:
        body = data[_HEADER_LEN:]
    return AoeFrame(header=header, body=body)


def config_query(src: bytes, address: AoeAddress, *, tag: int, dst: bytes = BROADCAST_MAC) -> AoeFrame:
    """A Query Config read request for `address` (broadcast by default)."""
    header = AoeHeader(dst, src, AOE_VERSION, False, False, 0, address.shelf, address.slot, Command.CONFIG, tag)
    return AoeFrame(header, ConfigBody(0, 0, 0, 0, ConfigCommand.READ, b""))


def ata_read(src: bytes, dst: bytes, address: AoeAddress, *, tag: int, lba: int, count: int) -> AoeFrame:
    """An ATA READ SECTORS EXT (LBA48) request for `count` sectors at `lba` (count <= the target's sector_count)."""
    if not 0 < count <= 255 or not 0 <= lba < 1 << 48:
        raise ProgrammerError(f"bad ATA read: lba {lba}, count {count}")
    header = AoeHeader(dst, src, AOE_VERSION, False, False, 0, address.shelf, address.slot, Command.ATA, tag)
    return AoeFrame(header, AtaBody(ATA_FLAG_EXTENDED, 0, count, AtaCommand.READ_SECTORS_EXT, lba))


def format_mac(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


# --------------------------------------------------------------------------------------------------------------------
# /proc/net/packet: which interface a process's packet socket is bound to


@dataclass(frozen=True, slots=True)
class PacketSocket:
    """One AF_PACKET socket of the reading process's network namespace."""

    inode: int
    protocol: int  # the ethertype it was bound to, host order (0x88a2 for vblade)
    ifindex: int  # 0 when bound to no interface
    is_running: bool  # bound to an interface that is up
    rmem: int  # bytes queued for reading
    uid: int


def parse_proc_net_packet(text: str) -> tuple[PacketSocket, ...]:
    """Parse /proc/net/packet; raise ParseError on a line that is not its header or a socket row.

    Linux net/packet/af_packet.c `packet_seq_show`: a header `sk RefCnt Type Proto Iface R Rmem User Inode`, then
    one row per socket, `"%pK %-6d %-4d %04x   %-5d %1d %-6u %-6u %-6lu"` (the pointer is zeros under
    kptr_restrict). The protocol is printed in host order (ntohs of the bound protocol).
    """
    sockets: list[PacketSocket] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        if lineno == 1 and tokens[0] == "sk":
            continue
        if len(tokens) != 9 or not all(_DIGITS.fullmatch(t) for t in tokens[4:]) or tokens[5] not in ("0", "1"):
            raise ParseError("/proc/net/packet", lineno, line, "not a packet socket row")
        try:
            protocol = int(tokens[3], 16)
        except ValueError:
            raise ParseError("/proc/net/packet", lineno, line, "protocol is not hexadecimal") from None
        sockets.append(
            PacketSocket(
                inode=int(tokens[8]),
                protocol=protocol,
                ifindex=int(tokens[4]),
                is_running=tokens[5] == "1",
                rmem=int(tokens[6]),
                uid=int(tokens[7]),
            )
        )
    return tuple(sockets)


# --------------------------------------------------------------------------------------------------------------------
# A raw socket on one interface (I/O; needs root or CAP_NET_RAW)


class AoeChannel:
    """An AF_PACKET socket bound to `nic` for the AoE ethertype: send frames, receive answers until a deadline.

    Linux hands a packet socket bound to one ethertype only the frames it *receives*, never those the host sends
    (dev_queue_xmit_nit feeds ETH_P_ALL taps only), so a channel on the interface a local vblade serves cannot
    reach that vblade: query it from another interface on the same segment.
    """

    def __init__(self, nic: str) -> None:
        self.nic = nic
        try:
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_AOE))
        except PermissionError as exc:
            raise PermissionDenied(f"{nic}: a raw AoE socket needs root or CAP_NET_RAW") from exc
        try:
            self._sock.bind((nic, ETH_P_AOE))
        except OSError as exc:
            self._sock.close()
            raise NotInstalled(f"{nic}: cannot bind an AoE socket: {exc.strerror}") from exc
        self.mac: bytes = self._sock.getsockname()[4]

    def __enter__(self) -> AoeChannel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def send(self, frame: AoeFrame) -> None:
        data = encode_frame(frame)
        self._sock.send(data.ljust(MIN_FRAME, b"\0"))

    def receive(self, deadline: Deadline) -> AoeFrame | None:
        """The next AoE frame that arrives before `deadline`, else None; frames that do not parse are skipped."""
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._sock], [], [], min(remaining, 3600.0))
            if not ready:
                return None
            data = self._sock.recv(65536)
            try:
                return parse_frame(data)
            except ParseError as exc:
                _log.debug("%s: ignoring a frame: %s", self.nic, exc.reason)


def query_config(
    nic: str, address: AoeAddress, wait: Deadline, *, tag: int | None = None, settle: float | None = None
) -> list[AoeFrame]:
    """Broadcast a Query Config for `address` on `nic`; the answers for that address that arrive within `wait`.

    With `settle`, listening stops `settle` seconds after the first answer (enough for a second target with the
    same address to show itself) instead of at the end of `wait`.
    """
    tag = int.from_bytes(os.urandom(4), "big") if tag is None else tag
    answers: list[AoeFrame] = []
    with AoeChannel(nic) as channel:
        channel.send(config_query(channel.mac, address, tag=tag))
        listen = wait
        while (frame := channel.receive(listen)) is not None:
            h = frame.header
            if h.is_response and h.command == Command.CONFIG and h.tag == tag and h.address == address:
                answers.append(frame)
                if settle is not None and len(answers) == 1:
                    listen = wait.sub(settle)
    return answers
