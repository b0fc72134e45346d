# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Inputs from outside O2CB that start and validate-all read: Pacemaker's membership (`crm_node -l`) and name
resolution (`getent ahostsv4`, i.e. nsswitch, /etc/hosts first): the parsers (fixed printf formats, read with
split) and the two queries that run the tools.
"""

from __future__ import annotations

from xenha.errors import ConfigError, ParseError, ToolError
from xenha.o2cb.configfs import is_node_name, is_uint, numbered_lines, parse_ipv4
from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Literal

    from xenha.run import Deadline, Runner

    MemberStateName = Literal["member", "lost", ""]

__all__ = [
    "Member",
    "MemberState",
    "interconnect_address",
    "parse_crm_node_list",
    "parse_getent_ahosts",
    "query_members",
]


class MemberState:
    """A node's state in the controller's peer cache (`crm_node -l`); empty when the controller has none yet."""

    MEMBER: Final = "member"
    LOST: Final = "lost"
    UNKNOWN: Final = ""
    ALL: Final = (MEMBER, LOST, UNKNOWN)


_STATES: dict[str, MemberStateName] = {state: state for state in MemberState.ALL}


@record
class Member:
    """One line of `crm_node -l`: the cluster layer's node id, the node name (may be empty), and its state."""

    id: int
    name: str
    state: MemberStateName


def _has_space(text: str) -> bool:
    """Whether `text` holds white space as a regex `\\s` sees it (str.isspace, Unicode included)."""
    return any(c.isspace() for c in text)


def parse_crm_node_list(text: str) -> tuple[Member, ...]:
    """Parse `crm_node -l` (pacemaker tools/crm_node.c node_list_default: "%" PRIu32 " %s %s" per node).

    Lists every known node, past and present; a node without a name yet prints an empty name (pcmk__s(uname, "")).
    """
    tool = "crm_node -l"
    members = []
    for lineno, line in numbered_lines(text):
        fields = line.split(" ")
        if len(fields) != 3 or not is_uint(fields[0]) or _has_space(fields[1]) or _has_space(fields[2]):
            raise ParseError(tool, lineno, line, "expected 'ID NAME STATE'")
        ident, name, word = fields
        if len(ident) > 10 or int(ident) > 0xFFFFFFFF:
            raise ParseError(tool, lineno, line, "node id is not a 32-bit number")
        state = _STATES.get(word)
        if state is None:
            raise ParseError(tool, lineno, line, f"unknown node state {word!r}")
        members.append(Member(id=int(ident), name=name, state=state))
    return tuple(members)


_SOCKET_TYPES = frozenset({"STREAM", "DGRAM", "RAW"})


def _getent_address(line: str) -> str | None:
    """The address of one `ADDRESS +SOCKTYPE( +NAME)?` line, or None when the line is not one."""
    address, sep, rest = line.partition(" ")
    if not sep or not address or _has_space(address):
        return None
    kind, sep, name = rest.lstrip(" ").partition(" ")
    if kind not in _SOCKET_TYPES or (sep and _has_space(name.lstrip(" "))):
        return None
    return address


def parse_getent_ahosts(text: str) -> tuple[str, ...]:
    """Parse `getent ahostsv4 NAME`: the distinct addresses, first (preferred) first.

    glibc nss/getent.c prints "%-15s %-6s %s\\n" (address, socket type, canonical name on the first line only).
    """
    tool = "getent ahostsv4"
    found: list[str] = []
    for lineno, line in numbered_lines(text):
        address = _getent_address(line)
        if address is None or parse_ipv4(address) is None:
            raise ParseError(tool, lineno, line, "expected 'ADDRESS SOCKTYPE [NAME]'")
        if address not in found:
            found.append(address)
    return tuple(found)


def query_members(run: Runner, deadline: Deadline) -> tuple[Member, ...]:
    """Pacemaker's known nodes (`crm_node -l`); ToolError when it fails or names a node without a name yet,
    ConfigError for a name O2CB cannot use."""
    result = run(["crm_node", "-l"], deadline).raise_for_status("crm_node -l")
    members = parse_crm_node_list(result.stdout)
    if not members:
        raise ToolError("crm_node -l: listed no nodes")
    for member in members:
        if not member.name:
            raise ToolError(f"crm_node -l: node id {member.id} has no name yet")
        if not is_node_name(member.name):
            raise ConfigError(f"Pacemaker node {member.name!r}: not usable as an O2CB node name")
    return members


def interconnect_address(name: str, given: str | None, run: Runner, deadline: Deadline) -> str:
    """`given`, else the first IPv4 address of node `name` (what `o2cb add-node` takes without --ip); loopback and
    names that do not resolve are ConfigErrors."""
    address = given
    if address is None:
        result = run(["getent", "ahostsv4", name], deadline)
        if result.rc == 2:
            raise ConfigError(f"node {name}: its name does not resolve; add it to /etc/hosts or to addresses")
        addresses = parse_getent_ahosts(result.raise_for_status(f"getent ahostsv4 {name}").stdout)
        if not addresses:
            raise ConfigError(f"node {name}: its name has no IPv4 address; set it in addresses")
        address = addresses[0]
    if address.startswith("127."):
        raise ConfigError(
            f"node {name}: resolves to loopback {address} (Debian's /etc/hosts default); "
            "give its interconnect address in /etc/hosts or addresses"
        )
    return address
