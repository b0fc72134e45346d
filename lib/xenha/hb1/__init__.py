# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""heartbeat v1: haresources, the xendomainsHA defaults files, the migration ledger."""
