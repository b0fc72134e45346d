# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every file, directory and binary location xenha uses, in one object the lab and tests can override."""

from __future__ import annotations

import os

from xenha.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SBIN_DIRS", "Paths"]

# Pacemaker's executor runs agents with a minimal PATH; the tools we drive live in sbin directories.
SBIN_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@record
class Paths:
    """File-system locations; `from_environ` applies the XENHA_* overrides."""

    proc_drbd: str = "/proc/drbd"
    # xenfs: `control_d` on a Xen dom0, empty in a domU; without Xen not even its directory (xenctl.has_hypervisor).
    xen_capabilities: str = "/proc/xen/capabilities"
    run_dir: str = "/run/xenha"
    drbd_conf: str = "/etc/drbd.conf"
    xen_conf_dir: str = "/etc/xen"
    ha_varlib: str = "/var/lib/heartbeat"
    search_path: tuple[str, ...] = SBIN_DIRS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Paths:
        """Defaults, overridden by XENHA_PROC_DRBD, XENHA_PROC_XEN_CAPABILITIES, XENHA_RUN_DIR and HA_VARLIB.

        PATH is searched first.
        """
        path_dirs = tuple(d for d in environ.get("PATH", "").split(":") if d)
        search = path_dirs + tuple(d for d in SBIN_DIRS if d not in path_dirs)
        return cls(
            proc_drbd=environ.get("XENHA_PROC_DRBD") or "/proc/drbd",
            xen_capabilities=environ.get("XENHA_PROC_XEN_CAPABILITIES") or "/proc/xen/capabilities",
            run_dir=environ.get("XENHA_RUN_DIR") or "/run/xenha",
            ha_varlib=environ.get("HA_VARLIB") or "/var/lib/heartbeat",
            search_path=search,
        )

    def which(self, name: str) -> str | None:
        """The first executable called `name` on the search path, or None."""
        if "/" in name:
            return name if os.access(name, os.X_OK) else None
        for directory in self.search_path:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
        return None
