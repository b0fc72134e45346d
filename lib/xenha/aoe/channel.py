# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""A raw AoE socket on one interface (needs root or CAP_NET_RAW): send frames, and ask who serves an address.

Used by start (is the address already served on the segment?) and by the over-the-wire monitor (monitor_nic). The
socket is `_socket`'s, the C module behind `socket` (which imports enum and selectors for nothing we use).
"""

from __future__ import annotations

import _socket
import os
import select

from xenha.aoe.wire import ETH_P_AOE, MIN_FRAME, AoeFrame, Command, config_query, encode_frame, parse_frame
from xenha.errors import NotInstalled, ParseError, PermissionDenied
from xenha.ocf import log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType

    from xenha.aoe.vblade import AoeAddress
    from xenha.run import Deadline

__all__ = ["AoeChannel", "query_config"]

_log = log.get("xenha.aoe.channel")


class AoeChannel:
    """An AF_PACKET socket bound to `nic` for the AoE ethertype: send frames, receive answers until a deadline.

    Linux hands a packet socket bound to one ethertype only the frames it *receives*, never those the host sends
    (dev_queue_xmit_nit feeds ETH_P_ALL taps only), so a channel on the interface a local vblade serves cannot
    reach that vblade: query it from another interface on the same segment.
    """

    def __init__(self, nic: str) -> None:
        self.nic = nic
        try:
            self._sock = _socket.socket(_socket.AF_PACKET, _socket.SOCK_RAW, _socket.htons(ETH_P_AOE))
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
