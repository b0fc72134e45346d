"""O2CB's vocabulary: paths and limits, the heartbeat mode, the four timeouts, active regions, and name checks.

O2CB is OCFS2's classic in-kernel cluster stack. Section numbers (§) refer to shared/fixtures/GRAMMAR.md, and
`ocfs2-tools:<path>` to markfasheh/ocfs2-tools (the 1.8 series, as in Debian 12). On the O2cbCluster monitor's
path: imports nothing at run time beyond xenha.record; names are checked without regular expressions.
"""

from __future__ import annotations

from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import ClassVar

__all__ = [
    "DEFAULT_CONF",
    "DEFAULT_CONFIGFS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUTS",
    "MAX_NODE_NUMBER",
    "MAX_REGIONS",
    "MINIMUM_TIMEOUTS",
    "TIMEOUT_FILES",
    "ActiveRegion",
    "HeartbeatMode",
    "Timeouts",
    "is_cluster_name",
    "is_node_name",
    "is_region",
    "is_uint",
    "numbered_lines",
    "parse_ipv4",
    "timeouts_of",
]

DEFAULT_CONF = "/etc/ocfs2/cluster.conf"
DEFAULT_CONFIGFS = "/sys/kernel/config"
# O2CB_DEFAULT_IP_PORT (ocfs2-tools:o2cb_ctl/o2cbtool.h), used by `o2cb add-node` without --port.
DEFAULT_PORT = 7777
# O2NM_MAX_NODES is 255: node numbers run 0..254 (ocfs2-tools:o2cb_ctl/op_node.c validate_nodenum;
# ocfs2.cluster.conf(5) "Node number (0 - 254)").
MAX_NODE_NUMBER = 254
# "O2CB allows up to 32 heartbeat regions to be configured in the global heartbeat mode" (o2cb(7)).
MAX_REGIONS = 32

_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NODE_CHARS = _ALNUM | frozenset("_.-")
_UPPER_HEX = frozenset("0123456789ABCDEF")


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line) for each line split at "\\n"; a final newline does not make an extra empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return enumerate(lines, start=1)


def is_uint(text: str) -> bool:
    """A decimal number as the kernel prints one: ASCII digits, no sign, no leading zero (`0` itself excepted)."""
    return bool(text) and all(c in _DIGITS for c in text) and (text == "0" or text[0] != "0")


def is_cluster_name(text: str) -> bool:
    """Up to 16 characters [0-9A-Za-z], as `o2cbtool_validate_clustername` (ocfs2-tools:o2cb_ctl/op_cluster.c)."""
    return 1 <= len(text) <= 16 and all(c in _ALNUM for c in text)


def is_node_name(text: str) -> bool:
    """A host name usable as an O2CB node name (a configfs directory name of at most 64 characters).

    O2NM_MAX_NAME_LEN is 64; node names are host names without the domain (ocfs2.cluster.conf(5)) and become
    configfs directory names, so '/' and white space can never occur: `[0-9A-Za-z][0-9A-Za-z_.-]{0,63}`.
    """
    return 1 <= len(text) <= 64 and text[0] in _ALNUM and all(c in _NODE_CHARS for c in text)


def is_region(text: str) -> bool:
    """A heartbeat region name: the OCFS2 volume UUID as ocfs2 prints it, 32 upper-case hex digits."""
    return len(text) == 32 and all(c in _UPPER_HEX for c in text)


def parse_ipv4(text: str) -> str | None:
    """`text` if it is a dotted-quad IPv4 address as glibc's inet_pton accepts it (no leading zeros), else None."""
    parts = text.split(".")
    if len(parts) != 4 or not all(is_uint(p) and len(p) <= 3 and int(p) <= 255 for p in parts):
        return None
    return text


class HeartbeatMode(str):
    """Where O2CB heartbeats: on every mounted volume (local) or on configured regions only (global); o2cb(7).

    A str whose only instances are LOCAL and GLOBAL, as ExitCode is an int with named values: `HeartbeatMode(text)`
    returns the constant (ValueError for any other text), `is` compares, and mypy checks every field typed with it;
    it costs a class definition where Enum costs the `enum` module.
    """

    __slots__ = ()
    LOCAL: ClassVar[HeartbeatMode]
    GLOBAL: ClassVar[HeartbeatMode]
    ALL: ClassVar[tuple[HeartbeatMode, ...]]
    _BY_TEXT: ClassVar[dict[str, HeartbeatMode]]

    def __new__(cls, text: str) -> HeartbeatMode:
        try:
            return cls._BY_TEXT[text]
        except KeyError:
            raise ValueError(f"{text!r} is not a valid HeartbeatMode") from None

    @property
    def value(self) -> str:
        """The word cluster.conf and configfs use (Enum's spelling, kept for callers that read it)."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"HeartbeatMode.{self.upper()}"


HeartbeatMode.LOCAL = str.__new__(HeartbeatMode, "local")
HeartbeatMode.GLOBAL = str.__new__(HeartbeatMode, "global")
HeartbeatMode.ALL = (HeartbeatMode.LOCAL, HeartbeatMode.GLOBAL)
HeartbeatMode._BY_TEXT = {str(mode): mode for mode in HeartbeatMode.ALL}


@record
class Timeouts:
    """The four O2CB timeouts, in the units configfs uses (iterations of 2 s for the dead threshold, else ms)."""

    dead_threshold: int
    idle_timeout_ms: int
    keepalive_delay_ms: int
    reconnect_delay_ms: int

    def problems(self) -> tuple[str, ...]:
        """Why these values would be refused: the init script's minimums and the kernel's keepalive < idle rule."""
        found = [
            f"{name} {value} is below the minimum {minimum}"
            for name, value, minimum in (
                ("dead_threshold", self.dead_threshold, MINIMUM_TIMEOUTS.dead_threshold),
                ("idle_timeout_ms", self.idle_timeout_ms, MINIMUM_TIMEOUTS.idle_timeout_ms),
                ("keepalive_delay_ms", self.keepalive_delay_ms, MINIMUM_TIMEOUTS.keepalive_delay_ms),
                ("reconnect_delay_ms", self.reconnect_delay_ms, MINIMUM_TIMEOUTS.reconnect_delay_ms),
            )
            if value < minimum
        ]
        # Linux fs/ocfs2/cluster/nodemanager.c: "o2net: keepalive delay must be smaller than idle timeout".
        if self.keepalive_delay_ms >= self.idle_timeout_ms:
            found.append(
                f"keepalive_delay_ms {self.keepalive_delay_ms} must be smaller than idle_timeout_ms "
                f"{self.idle_timeout_ms}"
            )
        return tuple(found)


def timeouts_of(dead: int | None, idle: int | None, keepalive: int | None, reconnect: int | None) -> Timeouts | None:
    """Timeouts when all four values are known, else None."""
    if dead is None or idle is None or keepalive is None or reconnect is None:
        return None
    return Timeouts(dead, idle, keepalive, reconnect)


# DEF_* and MIN_* of ocfs2-tools:vendor/common/o2cb.init.sh ("The default values should always be in sync with the
# kernel"). The OCFS2 1.2 era defaults were 7/10000/5000/2000 (ocfs2/docs_o2cb_init_configure_ocfs2_1.2.txt).
DEFAULT_TIMEOUTS = Timeouts(dead_threshold=31, idle_timeout_ms=30000, keepalive_delay_ms=2000, reconnect_delay_ms=2000)
MINIMUM_TIMEOUTS = Timeouts(dead_threshold=7, idle_timeout_ms=5000, keepalive_delay_ms=1000, reconnect_delay_ms=2000)

# Each timeout's file under configfs `cluster/<name>/` (set_timeouts_o2cb in o2cb.init.sh; §6.4).
TIMEOUT_FILES = {
    "dead_threshold": "heartbeat/dead_threshold",
    "idle_timeout_ms": "idle_timeout_ms",
    "keepalive_delay_ms": "keepalive_delay_ms",
    "reconnect_delay_ms": "reconnect_delay_ms",
}


@record
class ActiveRegion:
    """A heartbeat region running in the kernel: its UUID and block device name (`sdg1`), if known."""

    uuid: str
    dev: str | None = None
    pid: int | None = None

    @property
    def device(self) -> str | None:
        """The device path: `sdg1` -> `/dev/sdg1`, `etherd!e0.1` -> `/dev/etherd/e0.1`.

        The kernel names block devices with '/' replaced by '!' (disk_name, block/genhd.c); the init script prints
        that name after "/dev/" unchanged, so its region lines show `/dev/etherd!e0.1` for an AoE disk.
        """
        return None if self.dev is None else "/dev/" + self.dev.replace("!", "/")
