# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Programs that may print and exit: xenha inspect, the boot guard, the migration ledger CLI, the heartbeat script."""
