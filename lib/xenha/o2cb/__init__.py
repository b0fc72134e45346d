# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""OCFS2's o2cb cluster stack: names, modes, timeouts and what the kernel holds in configfs (configfs, the monitor's
one module); cluster.conf (conf) and Pacemaker's membership with name resolution (membership), which start reads."""
