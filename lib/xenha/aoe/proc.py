# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What /proc says about vblade processes on this node beyond their command lines (xenha.aoe.vblade.read_cmdline):
which processes there are, their open files, and the packet sockets. Reads only, forks nothing; used by start, stop
and the deep monitor.
"""

from __future__ import annotations

import os

from xenha.aoe.vblade import is_digits
from xenha.errors import ParseError
from xenha.record import record

__all__ = [
    "PacketSocket",
    "list_pids",
    "open_files",
    "parse_proc_net_packet",
    "read_proc_net_packet",
]


def list_pids() -> list[int]:
    """Every process id in /proc (this pid namespace)."""
    return [int(name) for name in os.listdir("/proc") if is_digits(name)]


def open_files(pid: int) -> list[str]:
    """Where the process's descriptors point (`/dev/drbd0`, `socket:[4711]`, `/x (deleted)`); [] when it is gone."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    found = []
    for name in names:
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:
            continue
    return found


@record
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
        if len(tokens) != 9 or not all(is_digits(t) for t in tokens[4:]) or tokens[5] not in ("0", "1"):
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


def read_proc_net_packet() -> tuple[PacketSocket, ...]:
    """The packet sockets of this network namespace; OSError or ParseError when /proc/net/packet cannot be read."""
    with open("/proc/net/packet", "rb") as handle:
        return parse_proc_net_packet(handle.read().decode("ascii", "replace"))
