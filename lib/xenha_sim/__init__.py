# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab's simulated Xen, DRBD and OCFS2 toolstacks over a shared world state (never imported by xenha)."""
