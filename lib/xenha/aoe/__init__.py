# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""ATA over Ethernet: vblade's command line and pid record (vblade, the monitor's one module), an export's start,
checks and strays (export), /proc (proc), interfaces (netif), the start-up log (startup), frames (wire), the
raw-socket client (channel), and the detached daemon (spawn)."""
