# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Network interfaces of this node's network namespace: index, hardware address, whether it is up. Forks nothing.

Uses `_socket`, the C module behind `socket` (`socket` itself imports enum, selectors and more for classes we do
not use); tests pin the functions used here to the `socket` module's.
"""

from __future__ import annotations

import _socket
import sys

__all__ = ["IFF_UP", "SIOCGIFFLAGS", "SIOCGIFHWADDR", "hwaddr", "ifindex", "is_up"]

# linux/sockios.h and linux/if.h.
SIOCGIFFLAGS = 0x8913
SIOCGIFHWADDR = 0x8927
IFF_UP = 0x1


def ifindex(nic: str) -> int | None:
    """The interface's index in this network namespace, or None when there is no such interface."""
    try:
        return _socket.if_nametoindex(nic)
    except OSError:
        return None


def _ifreq(nic: str, request: int) -> bytes | None:
    """An SIOCGIF* ioctl on `nic` (struct ifreq: 16-byte name, then the answer); asks this network namespace."""
    import fcntl

    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        return fcntl.ioctl(sock.fileno(), request, nic.encode()[:15].ljust(40, b"\0"))
    except OSError:
        return None
    finally:
        sock.close()


def hwaddr(nic: str) -> str | None:
    """The interface's MAC address as `aa:bb:cc:dd:ee:ff`, or None when there is no such interface."""
    answer = _ifreq(nic, SIOCGIFHWADDR)
    return None if answer is None else ":".join(f"{b:02x}" for b in answer[18:24])


def is_up(nic: str) -> bool:
    """True when the interface exists and is administratively up (IFF_UP)."""
    answer = _ifreq(nic, SIOCGIFFLAGS)
    return answer is not None and bool(int.from_bytes(answer[16:18], sys.byteorder) & IFF_UP)
