# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""DRBD's state names and the common view of one volume (DrbdVolume); hot path: imports only xenha.record.

The states are the kernel's own words (drbd_strings.c), kept as `str` constants: a class of constants per kind,
a `Literal` alias per kind for mypy (RoleName, DiskName, ConnName, ReplName), a tuple of every value in the
kernel's order, and a lookup that answers None for a word the kernel never prints. Every parser classifies
totally: an unknown word in a field we decide on is a ParseError there, never a default.
"""

from __future__ import annotations

from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Literal

    RoleName = Literal["Primary", "Secondary", "Unknown"]
    DiskName = Literal[
        "Diskless",
        "Attaching",
        "Detaching",
        "Failed",
        "Negotiating",
        "Inconsistent",
        "Outdated",
        "DUnknown",
        "Consistent",
        "UpToDate",
    ]
    ConnName = Literal[
        "Unconfigured",
        "StandAlone",
        "Disconnecting",
        "Unconnected",
        "Timeout",
        "BrokenPipe",
        "NetworkFailure",
        "ProtocolError",
        "WFConnection",
        "WFReportParams",
        "TearDown",
        "Connecting",
        "Connected",
        "StartingSyncS",
        "StartingSyncT",
        "WFBitMapS",
        "WFBitMapT",
        "WFSyncUUID",
        "SyncSource",
        "SyncTarget",
        "PausedSyncS",
        "PausedSyncT",
        "VerifyS",
        "VerifyT",
        "Ahead",
        "Behind",
        "SkippedSyncS",
        "SkippedSyncT",
        "TOO_LARGE",
    ]
    ReplName = Literal[
        "Off",
        "Established",
        "StartingSyncS",
        "StartingSyncT",
        "WFBitMapS",
        "WFBitMapT",
        "WFSyncUUID",
        "SyncSource",
        "SyncTarget",
        "VerifyS",
        "VerifyT",
        "PausedSyncS",
        "PausedSyncT",
        "Ahead",
        "Behind",
    ]

__all__ = [
    "CONNECTED_STATES",
    "CONN_STATES",
    "DISK_STATES",
    "REPL_STATES",
    "ROLES",
    "SPLIT_BRAIN_MARK",
    "SYNC_STATES",
    "ConnName",
    "ConnState",
    "DiskName",
    "DiskState",
    "DrbdVolume",
    "ReplName",
    "ReplState",
    "Role",
    "RoleName",
    "common_view",
    "conn_state_named",
    "device_minor",
    "disk_state_named",
    "repl_state_named",
    "role_named",
]


class Role:
    """A node's role for a resource (drbd_strings.c role names)."""

    PRIMARY: Final = "Primary"
    SECONDARY: Final = "Secondary"
    UNKNOWN: Final = "Unknown"


class DiskState:
    """A backing disk's state; DRBD 8.x and 9 names (9 adds Detaching)."""

    DISKLESS: Final = "Diskless"
    ATTACHING: Final = "Attaching"
    DETACHING: Final = "Detaching"
    FAILED: Final = "Failed"
    NEGOTIATING: Final = "Negotiating"
    INCONSISTENT: Final = "Inconsistent"
    OUTDATED: Final = "Outdated"
    DUNKNOWN: Final = "DUnknown"
    CONSISTENT: Final = "Consistent"
    UPTODATE: Final = "UpToDate"


class ConnState:
    """A connection state: DRBD 8.x `cs:` names, DRBD 9 connection names, and the printed `Unconfigured`."""

    UNCONFIGURED: Final = "Unconfigured"
    STANDALONE: Final = "StandAlone"
    DISCONNECTING: Final = "Disconnecting"
    UNCONNECTED: Final = "Unconnected"
    TIMEOUT: Final = "Timeout"
    BROKEN_PIPE: Final = "BrokenPipe"
    NETWORK_FAILURE: Final = "NetworkFailure"
    PROTOCOL_ERROR: Final = "ProtocolError"
    WF_CONNECTION: Final = "WFConnection"
    WF_REPORT_PARAMS: Final = "WFReportParams"
    TEAR_DOWN: Final = "TearDown"
    CONNECTING: Final = "Connecting"
    CONNECTED: Final = "Connected"
    STARTING_SYNC_S: Final = "StartingSyncS"
    STARTING_SYNC_T: Final = "StartingSyncT"
    WF_BITMAP_S: Final = "WFBitMapS"
    WF_BITMAP_T: Final = "WFBitMapT"
    WF_SYNC_UUID: Final = "WFSyncUUID"
    SYNC_SOURCE: Final = "SyncSource"
    SYNC_TARGET: Final = "SyncTarget"
    PAUSED_SYNC_S: Final = "PausedSyncS"
    PAUSED_SYNC_T: Final = "PausedSyncT"
    VERIFY_S: Final = "VerifyS"
    VERIFY_T: Final = "VerifyT"
    AHEAD: Final = "Ahead"
    BEHIND: Final = "Behind"
    SKIPPED_SYNC_S: Final = "SkippedSyncS"
    SKIPPED_SYNC_T: Final = "SkippedSyncT"
    TOO_LARGE: Final = "TOO_LARGE"


class ReplState:
    """A DRBD 9 peer device's replication state."""

    OFF: Final = "Off"
    ESTABLISHED: Final = "Established"
    STARTING_SYNC_S: Final = "StartingSyncS"
    STARTING_SYNC_T: Final = "StartingSyncT"
    WF_BITMAP_S: Final = "WFBitMapS"
    WF_BITMAP_T: Final = "WFBitMapT"
    WF_SYNC_UUID: Final = "WFSyncUUID"
    SYNC_SOURCE: Final = "SyncSource"
    SYNC_TARGET: Final = "SyncTarget"
    VERIFY_S: Final = "VerifyS"
    VERIFY_T: Final = "VerifyT"
    PAUSED_SYNC_S: Final = "PausedSyncS"
    PAUSED_SYNC_T: Final = "PausedSyncT"
    AHEAD: Final = "Ahead"
    BEHIND: Final = "Behind"


# Every value of each kind, in the kernel's order (what iterating the old Enums gave).
ROLES: tuple[RoleName, ...] = (Role.PRIMARY, Role.SECONDARY, Role.UNKNOWN)
DISK_STATES: tuple[DiskName, ...] = (
    DiskState.DISKLESS,
    DiskState.ATTACHING,
    DiskState.DETACHING,
    DiskState.FAILED,
    DiskState.NEGOTIATING,
    DiskState.INCONSISTENT,
    DiskState.OUTDATED,
    DiskState.DUNKNOWN,
    DiskState.CONSISTENT,
    DiskState.UPTODATE,
)
CONN_STATES: tuple[ConnName, ...] = (
    ConnState.UNCONFIGURED,
    ConnState.STANDALONE,
    ConnState.DISCONNECTING,
    ConnState.UNCONNECTED,
    ConnState.TIMEOUT,
    ConnState.BROKEN_PIPE,
    ConnState.NETWORK_FAILURE,
    ConnState.PROTOCOL_ERROR,
    ConnState.WF_CONNECTION,
    ConnState.WF_REPORT_PARAMS,
    ConnState.TEAR_DOWN,
    ConnState.CONNECTING,
    ConnState.CONNECTED,
    ConnState.STARTING_SYNC_S,
    ConnState.STARTING_SYNC_T,
    ConnState.WF_BITMAP_S,
    ConnState.WF_BITMAP_T,
    ConnState.WF_SYNC_UUID,
    ConnState.SYNC_SOURCE,
    ConnState.SYNC_TARGET,
    ConnState.PAUSED_SYNC_S,
    ConnState.PAUSED_SYNC_T,
    ConnState.VERIFY_S,
    ConnState.VERIFY_T,
    ConnState.AHEAD,
    ConnState.BEHIND,
    ConnState.SKIPPED_SYNC_S,
    ConnState.SKIPPED_SYNC_T,
    ConnState.TOO_LARGE,
)
REPL_STATES: tuple[ReplName, ...] = (
    ReplState.OFF,
    ReplState.ESTABLISHED,
    ReplState.STARTING_SYNC_S,
    ReplState.STARTING_SYNC_T,
    ReplState.WF_BITMAP_S,
    ReplState.WF_BITMAP_T,
    ReplState.WF_SYNC_UUID,
    ReplState.SYNC_SOURCE,
    ReplState.SYNC_TARGET,
    ReplState.VERIFY_S,
    ReplState.VERIFY_T,
    ReplState.PAUSED_SYNC_S,
    ReplState.PAUSED_SYNC_T,
    ReplState.AHEAD,
    ReplState.BEHIND,
)

# Word -> the constant itself: a dict lookup (~50 ns) classifies, and every parsed state is one of the constants.
_ROLE_OF: dict[str, RoleName] = {name: name for name in ROLES}
_DISK_OF: dict[str, DiskName] = {name: name for name in DISK_STATES}
_CONN_OF: dict[str, ConnName] = {name: name for name in CONN_STATES}
_REPL_OF: dict[str, ReplName] = {name: name for name in REPL_STATES}


def role_named(word: str) -> RoleName | None:
    """The role `word` names, None when the kernel never prints it."""
    return _ROLE_OF.get(word)


def disk_state_named(word: str) -> DiskName | None:
    """The disk state `word` names, None when the kernel never prints it."""
    return _DISK_OF.get(word)


def conn_state_named(word: str) -> ConnName | None:
    """The connection state `word` names, None when the kernel never prints it."""
    return _CONN_OF.get(word)


def repl_state_named(word: str) -> ReplName | None:
    """The replication state `word` names, None when the kernel never prints it."""
    return _REPL_OF.get(word)


# Connection states in which a resync is under way (verify is not a resync), and those in which the peers talk.
SYNC_STATES: frozenset[str] = frozenset(
    {
        ConnState.STARTING_SYNC_S,
        ConnState.STARTING_SYNC_T,
        ConnState.WF_BITMAP_S,
        ConnState.WF_BITMAP_T,
        ConnState.WF_SYNC_UUID,
        ConnState.SYNC_SOURCE,
        ConnState.SYNC_TARGET,
        ConnState.PAUSED_SYNC_S,
        ConnState.PAUSED_SYNC_T,
    }
)
CONNECTED_STATES: frozenset[str] = SYNC_STATES | {
    ConnState.CONNECTED,
    ConnState.VERIFY_S,
    ConnState.VERIFY_T,
    ConnState.AHEAD,
    ConnState.BEHIND,
}


@record
class DrbdVolume:
    """One volume as seen from this node towards one peer: the common view of every DRBD source.

    This is what `xenha inspect drbd --json` prints and what the agents decide on. DRBD 8.x gives one per
    minor; DRBD 9 gives one per peer device (or one with no peer when the volume has no connection).
    `cstate` is the 8.x-style connection state: for DRBD 9 the replication state when the connection is
    Connected and replication is not Established/Off, else the connection state.
    """

    resource: str | None
    minor: int | None
    volume: int | None
    role: RoleName
    peer_role: RoleName | None
    cstate: ConnName
    disk: DiskName
    peer_disk: DiskName | None
    sync_percent: float | None = None
    peer: str | None = None

    @property
    def is_primary(self) -> bool:
        return self.role == Role.PRIMARY

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role == Role.PRIMARY

    @property
    def both_primary(self) -> bool:
        return self.is_primary and self.is_peer_primary

    @property
    def is_connected(self) -> bool:
        """True once the peers talk (Connected or any sync/verify state)."""
        return self.cstate in CONNECTED_STATES

    @property
    def is_uptodate(self) -> bool:
        return self.disk == DiskState.UPTODATE

    @property
    def is_peer_uptodate(self) -> bool:
        return self.peer_disk == DiskState.UPTODATE

    @property
    def is_syncing(self) -> bool:
        return self.cstate in SYNC_STATES

    @property
    def is_configured(self) -> bool:
        return self.cstate != ConnState.UNCONFIGURED

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect drbd --json` object, in DRBD's own words."""
        return {
            "resource": self.resource,
            "minor": self.minor,
            "volume": self.volume,
            "role": self.role,
            "peer_role": self.peer_role,
            "cstate": self.cstate,
            "disk": self.disk,
            "peer_disk": self.peer_disk,
            "sync_percent": self.sync_percent,
        }


def common_view(
    *,
    resource: str | None,
    minor: int | None,
    volume: int | None,
    cstate: ConnName,
    role: RoleName | None,
    peer_role: RoleName | None,
    disk: DiskName | None,
    peer_disk: DiskName | None,
    sync_percent: float | None,
) -> DrbdVolume:
    """A DrbdVolume; a minor printed as Unconfigured (no role, no disk) shows the state behind that word:
    StandAlone, Diskless, Secondary, peer Unknown/DUnknown (8.4.11:drbd_proc.c:286-289)."""
    if role is None or disk is None:
        return DrbdVolume(
            resource, minor, volume, Role.SECONDARY, Role.UNKNOWN, cstate, DiskState.DISKLESS, DiskState.DUNKNOWN
        )
    return DrbdVolume(resource, minor, volume, role, peer_role, cstate, disk, peer_disk, sync_percent)


# The state file DrbdDualPrimary keeps for an unresolved split-brain, `split-brain.RES` (xenha.drbd.marks reads them);
# named here so that the agent's monitor need not import the reader.
SPLIT_BRAIN_MARK = "split-brain."

_DEV_PREFIX = "/dev/drbd"
_MAX_MINOR_DIGITS = 7  # minors are below 2**20 (MINORMASK)


def device_minor(path: str) -> int | None:
    """The minor of a `/dev/drbdN` path, None for anything else (`/dev/drbd/by-res/r0`, `/dev/sda`, ...)."""
    if not path.startswith(_DEV_PREFIX):
        return None
    digits = path[len(_DEV_PREFIX) :]
    if not digits or len(digits) > _MAX_MINOR_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits)
