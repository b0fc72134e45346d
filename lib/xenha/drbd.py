"""DRBD state model and parsers for DRBD 8.x: /proc/drbd and the drbdadm one-liners."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "ConnState",
    "DiskState",
    "DrbdVolume",
    "ReplState",
    "Role",
]


class Role(Enum):
    """A node's role for a resource (drbd_strings.c role names)."""

    PRIMARY = "Primary"
    SECONDARY = "Secondary"
    UNKNOWN = "Unknown"


class DiskState(Enum):
    """A backing disk's state; DRBD 8.x and 9 names (9 adds Detaching)."""

    DISKLESS = "Diskless"
    ATTACHING = "Attaching"
    DETACHING = "Detaching"
    FAILED = "Failed"
    NEGOTIATING = "Negotiating"
    INCONSISTENT = "Inconsistent"
    OUTDATED = "Outdated"
    DUNKNOWN = "DUnknown"
    CONSISTENT = "Consistent"
    UPTODATE = "UpToDate"


class ConnState(Enum):
    """A connection state: DRBD 8.x `cs:` names, DRBD 9 connection names, and the printed `Unconfigured`."""

    UNCONFIGURED = "Unconfigured"
    STANDALONE = "StandAlone"
    DISCONNECTING = "Disconnecting"
    UNCONNECTED = "Unconnected"
    TIMEOUT = "Timeout"
    BROKEN_PIPE = "BrokenPipe"
    NETWORK_FAILURE = "NetworkFailure"
    PROTOCOL_ERROR = "ProtocolError"
    WF_CONNECTION = "WFConnection"
    WF_REPORT_PARAMS = "WFReportParams"
    TEAR_DOWN = "TearDown"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    STARTING_SYNC_S = "StartingSyncS"
    STARTING_SYNC_T = "StartingSyncT"
    WF_BITMAP_S = "WFBitMapS"
    WF_BITMAP_T = "WFBitMapT"
    WF_SYNC_UUID = "WFSyncUUID"
    SYNC_SOURCE = "SyncSource"
    SYNC_TARGET = "SyncTarget"
    PAUSED_SYNC_S = "PausedSyncS"
    PAUSED_SYNC_T = "PausedSyncT"
    VERIFY_S = "VerifyS"
    VERIFY_T = "VerifyT"
    AHEAD = "Ahead"
    BEHIND = "Behind"
    SKIPPED_SYNC_S = "SkippedSyncS"
    SKIPPED_SYNC_T = "SkippedSyncT"
    TOO_LARGE = "TOO_LARGE"


class ReplState(Enum):
    """A DRBD 9 peer device's replication state."""

    OFF = "Off"
    ESTABLISHED = "Established"
    STARTING_SYNC_S = "StartingSyncS"
    STARTING_SYNC_T = "StartingSyncT"
    WF_BITMAP_S = "WFBitMapS"
    WF_BITMAP_T = "WFBitMapT"
    WF_SYNC_UUID = "WFSyncUUID"
    SYNC_SOURCE = "SyncSource"
    SYNC_TARGET = "SyncTarget"
    VERIFY_S = "VerifyS"
    VERIFY_T = "VerifyT"
    PAUSED_SYNC_S = "PausedSyncS"
    PAUSED_SYNC_T = "PausedSyncT"
    AHEAD = "Ahead"
    BEHIND = "Behind"


@dataclass(frozen=True, slots=True)
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
    role: Role
    peer_role: Role | None
    cstate: ConnState
    disk: DiskState
    peer_disk: DiskState | None
    sync_percent: float | None = None
    peer: str | None = None

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def is_peer_primary(self) -> bool:
        return self.peer_role is Role.PRIMARY

    @property
    def both_primary(self) -> bool:
        return self.is_primary and self.is_peer_primary

    @property
    def is_connected(self) -> bool:
        """True once the peers talk (Connected or any sync/verify state)."""
        return self.cstate in _CONNECTED_STATES

    @property
    def is_uptodate(self) -> bool:
        return self.disk is DiskState.UPTODATE

    @property
    def is_peer_uptodate(self) -> bool:
        return self.peer_disk is DiskState.UPTODATE

    @property
    def is_syncing(self) -> bool:
        return self.cstate in _SYNC_STATES

    @property
    def is_configured(self) -> bool:
        return self.cstate is not ConnState.UNCONFIGURED

    def to_json(self) -> dict[str, object]:
        """The `xenha inspect drbd --json` object, in DRBD's own words."""
        return {
            "resource": self.resource,
            "minor": self.minor,
            "volume": self.volume,
            "role": self.role.value,
            "peer_role": None if self.peer_role is None else self.peer_role.value,
            "cstate": self.cstate.value,
            "disk": self.disk.value,
            "peer_disk": None if self.peer_disk is None else self.peer_disk.value,
            "sync_percent": self.sync_percent,
        }


_SYNC_STATES = frozenset(
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
_CONNECTED_STATES = _SYNC_STATES | {
    ConnState.CONNECTED,
    ConnState.VERIFY_S,
    ConnState.VERIFY_T,
    ConnState.AHEAD,
    ConnState.BEHIND,
}
