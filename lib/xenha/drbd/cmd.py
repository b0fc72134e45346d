# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""argv builders for drbdadm/drbdsetup, one per DRBD major version; they run nothing. Hot path: records only."""

from __future__ import annotations

from xenha.record import record

__all__ = ["Drbd8Commands", "Drbd9Commands", "DrbdCommands", "commands_for"]


@record
class Drbd8Commands:
    """DRBD 8.4 userland (drbd-utils' v84 drbdadm); `conf` is passed as `-c` when not the default."""

    resource: str
    conf: str | None = None

    def _adm(self, *words: str) -> list[str]:
        head = ["drbdadm"] if self.conf is None else ["drbdadm", "-c", self.conf]
        return [*head, *words]

    def up(self) -> list[str]:
        return self._adm("up", self.resource)

    def adjust(self) -> list[str]:
        return self._adm("adjust", self.resource)

    def down(self) -> list[str]:
        return self._adm("down", self.resource)

    def setup_down(self) -> list[str]:
        """The fallback when drbdadm cannot read the config: tear the kernel objects down directly."""
        return ["drbdsetup", "down", self.resource]

    def primary(self) -> list[str]:
        return self._adm("primary", self.resource)

    def secondary(self) -> list[str]:
        return self._adm("secondary", self.resource)

    def outdate(self) -> list[str]:
        return self._adm("outdate", self.resource)

    def connect(self) -> list[str]:
        return self._adm("connect", self.resource)

    def sh_dev(self) -> list[str]:
        return self._adm("sh-dev", self.resource)

    def dump(self) -> list[str]:
        return self._adm("dump", self.resource)

    def dump_effective(self) -> list[str]:
        """The resource with the `common` section merged in (`-d -v dump`), as ocf:linbit:drbd reads it.

        A plain `dump` omits options inherited from `common { net { allow-two-primaries; } }`; real drbdadm 9.22
        and the simulator agree on both outputs (tests/sim/test_drbdsim.py test_matches_real_drbdadm).
        """
        return self._adm("-d", "-v", "dump", self.resource)

    def status_json(self) -> list[str]:
        return ["drbdsetup", "status", "--json", self.resource]


@record
class Drbd9Commands(Drbd8Commands):
    """DRBD 9: the same drbdadm verbs; state comes from `drbdsetup status --json` (one fork per monitor)."""


DrbdCommands = Drbd8Commands


def commands_for(major: int | None, resource: str, conf: str | None) -> Drbd8Commands:
    """The generator for the running kernel's DRBD major version (8 when unknown)."""
    if major is not None and major >= 9:
        return Drbd9Commands(resource, conf)
    return Drbd8Commands(resource, conf)
