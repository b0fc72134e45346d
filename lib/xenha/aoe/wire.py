# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The AoE wire format (protocol r11; field layout as in OpenAoE/vblade dat.h `Aoehdr`, `Conf`, `Ata`): frames as
records, encoded and parsed with `struct`. Pure: sockets live in xenha.aoe.channel.

Used by start and by the over-the-wire monitor (monitor_nic), never by the plain monitor.
"""

from __future__ import annotations

import struct

from xenha.aoe.vblade import ETH_P_AOE, AoeAddress
from xenha.errors import ParseError, ProgrammerError
from xenha.record import record

__all__ = [
    "AOE_VERSION",
    "ATA_FLAG_ASYNC",
    "ATA_FLAG_DEVICE",
    "ATA_FLAG_EXTENDED",
    "ATA_FLAG_WRITE",
    "ATA_STATUS_DRDY",
    "ATA_STATUS_ERR",
    "BROADCAST_MAC",
    "ETH_P_AOE",
    "FLAG_ERROR",
    "FLAG_RESPONSE",
    "MIN_FRAME",
    "SECTOR_SIZE",
    "AoeError",
    "AoeFrame",
    "AoeHeader",
    "AtaBody",
    "AtaCommand",
    "Command",
    "ConfigBody",
    "ConfigCommand",
    "ata_read",
    "config_query",
    "encode_frame",
    "format_mac",
    "parse_frame",
]

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


class Command:
    """The AoE header's command field."""

    ATA = 0
    CONFIG = 1
    MAC_MASK = 2
    RESERVE = 3


class ConfigCommand:
    """A Query Config message's ccmd (the low nibble after the AoE version)."""

    READ = 0
    TEST = 1
    TEST_PREFIX = 2
    SET = 3
    FORCE_SET = 4


class AoeError:
    """The AoE header's error field, meaningful when the error flag is set."""

    BAD_COMMAND = 1
    BAD_ARGUMENT = 2
    DEVICE_UNAVAILABLE = 3
    CONFIG_STRING_PRESENT = 4
    UNSUPPORTED_VERSION = 5
    TARGET_RESERVED = 6


class AtaCommand:
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


@record
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


@record
class ConfigBody:
    """A Query Config request or response."""

    buffer_count: int
    firmware: int
    sector_count: int  # most sectors one ATA command may carry
    aoe_version: int
    ccmd: int
    config: bytes


@record
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


@record
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
