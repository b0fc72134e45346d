# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies for AoE: aoe-stat/status.sh rows, vblade start-up text and argv, and AoE frames (GRAMMAR §5).

Every text composite returns `(model, text)`, the text rendered with the tool's own printf formats.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.oracles.aoe import AoeStat, AoeStatRow, DeviceState
from xenha.aoe.startup import OpenMode, VbladeStartup
from xenha.aoe.vblade import AoeAddress, VbladeArgs
from xenha.aoe.wire import AoeFrame, AoeHeader, AtaBody, ConfigBody

__all__ = [
    "LAYOUTS",
    "addresses",
    "aoe_stat_outputs",
    "frames",
    "render_row",
    "stat_rows",
    "vblade_args",
    "vblade_startups",
]

# status.sh / 2005 aoe-stat (3 columns), aoetools 36 (4), aoetools 36 with the driver's payload attribute (5).
LAYOUTS = ("status", "plain", "payload")
_NA = "(NA)"


def addresses(max_shelf: int = 65534, max_slot: int = 254) -> st.SearchStrategy[AoeAddress]:
    return st.builds(AoeAddress, st.integers(0, max_shelf), st.integers(0, max_slot))


_IFNAMES = st.from_regex(r"[a-z][a-z0-9.]{0,9}", fullmatch=True).filter(lambda n: n != "none")


def _size(mb: int | None) -> str:
    # aoe-stat: printf "%04d" of the MB count, then sed inserts a dot before the last three digits, then "GB".
    if mb is None:
        return _NA
    digits = f"{mb:04d}"
    return f"{digits[:-3]}.{digits[-3:]}GB"


def _netif(netifs: tuple[str, ...] | None) -> str:
    if netifs is None:
        return _NA
    return ",".join(netifs) if netifs else "none"


def _state(state: DeviceState | None) -> str:
    return _NA if state is None else state.value


def _printf(fmt: str, *args: object) -> str:
    return fmt % args  # noqa: UP031 -- the tools' own printf formats, verbatim, are the point


def render_row(row: AoeStatRow, layout: str) -> str:
    """One line as the layout's printf prints it (the status layout with TABs, as status.sh does)."""
    dev = str(row.address)
    if layout == "status":
        return _printf("%8s\t%8s\t%8s", dev, _netif(row.netifs), _state(row.state))
    if layout == "plain":
        return _printf("%10s %15s %6s %-14s", dev, _size(row.size_mb), _netif(row.netifs), _state(row.state))
    if row.payload is None:
        # aoe-stat passes four values to the five-column format when this device's payload is (NA).
        return _printf("%10s %15s %10s %-5s %-14s", dev, _size(row.size_mb), _netif(row.netifs), _state(row.state), "")
    return _printf(
        "%10s %15s %10s %-5s %-14s",
        dev,
        _size(row.size_mb),
        _netif(row.netifs),
        row.payload,
        _state(row.state),
    )


@st.composite
def stat_rows(draw: st.DrawFn, layout: str) -> AoeStatRow:
    """One device as the layout can show it (no size in the status layout, a payload only in the payload one)."""
    netifs = draw(st.none() | st.just(()) | st.lists(_IFNAMES, min_size=1, max_size=3).map(tuple))
    return AoeStatRow(
        address=draw(addresses()),
        size_mb=None if layout == "status" else draw(st.none() | st.integers(0, 10**9)),
        netifs=netifs,
        payload=draw(st.none() | st.integers(0, 65535)) if layout == "payload" else None,
        state=draw(st.none() | st.sampled_from(DeviceState)),
    )


@st.composite
def aoe_stat_outputs(draw: st.DrawFn) -> tuple[AoeStat, str]:
    """A whole aoe-stat (or status.sh) output: rows of one layout, with stderr warnings interleaved."""
    layout = draw(st.sampled_from(LAYOUTS))
    rows = draw(st.lists(stat_rows(layout), max_size=6))
    lines = [render_row(row, layout) for row in rows]
    for address in draw(st.lists(addresses(), max_size=2)):
        text = f"device node /dev/etherd/{address} has wrong minor device number"
        lines.insert(draw(st.integers(0, len(lines))), f"aoe-stat Warning: {text}")
    # A later warning may land before an earlier one: the model lists them in the order they were printed.
    ordered = [line.split("Warning: ", 1)[1] for line in lines if "Warning: " in line]
    return AoeStat(rows=tuple(rows), warnings=tuple(ordered)), "".join(f"{line}\n" for line in lines)


@st.composite
def vblade_startups(draw: st.DrawFn) -> tuple[VbladeStartup, str]:
    """vblade's start-up output; the old (mode-less) form may be preceded by its two debug lines."""
    startup = VbladeStartup(
        pid=draw(st.integers(1, 4194304)),
        address=draw(addresses()),
        sectors=draw(st.integers(1, 2**48)),
        mode=draw(st.none() | st.sampled_from(OpenMode.ALL)),
    )
    line = f"pid {startup.pid}: {startup.address}, {startup.sectors} sectors"
    if startup.mode is not None:
        return startup, f"{line} {startup.mode}\n"
    debug = f"ioctl returned 0\n{startup.sectors * 512} bytes\n" if draw(st.booleans()) else ""
    return startup, f"{debug}{line}\n"


_MACS = st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b))
_WORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=20)


@st.composite
def vblade_args(draw: st.DrawFn) -> VbladeArgs:
    return VbladeArgs(
        shelf=draw(st.integers(0, 65534)),
        slot=draw(st.integers(0, 254)),
        netif=draw(_WORDS),
        path=draw(_WORDS),
        read_only=draw(st.booleans()),
        direct_io=draw(st.booleans()),
        sync_io=draw(st.booleans()),
        buffers=draw(st.none() | st.integers(1, 65535)),
        macs=tuple(draw(st.lists(_MACS, max_size=4))),
        offset=draw(st.none() | st.integers(0, 2**40)),
        length=draw(st.none() | st.integers(1, 2**40)),
    )


@st.composite
def frames(draw: st.DrawFn) -> AoeFrame:
    """Any frame encode_frame can write: Query Config, ATA, or another command with raw bytes."""
    command = draw(st.sampled_from([0, 1]) | st.integers(2, 255))
    header = AoeHeader(
        dst=draw(st.binary(min_size=6, max_size=6)),
        src=draw(st.binary(min_size=6, max_size=6)),
        version=draw(st.integers(0, 15)),
        is_response=draw(st.booleans()),
        has_error=draw(st.booleans()),
        error=draw(st.integers(0, 255)),
        shelf=draw(st.integers(0, 65535)),
        slot=draw(st.integers(0, 255)),
        command=command,
        tag=draw(st.integers(0, 2**32 - 1)),
    )
    body: ConfigBody | AtaBody | bytes
    if command == 1:
        body = ConfigBody(
            buffer_count=draw(st.integers(0, 65535)),
            firmware=draw(st.integers(0, 65535)),
            sector_count=draw(st.integers(0, 255)),
            aoe_version=draw(st.integers(0, 15)),
            ccmd=draw(st.integers(0, 15)),
            config=draw(st.binary(max_size=64)),
        )
    elif command == 0:
        body = AtaBody(
            aflags=draw(st.integers(0, 255)),
            feature=draw(st.integers(0, 255)),
            sector_count=draw(st.integers(0, 255)),
            command=draw(st.integers(0, 255)),
            lba=draw(st.integers(0, 2**48 - 1)),
            data=draw(st.binary(max_size=1024)),
        )
    else:
        body = draw(st.binary(max_size=64))
    return AoeFrame(header=header, body=body)
