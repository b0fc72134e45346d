# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha: OCF resource agents for highly available Xen dom0 clusters."""

__all__ = ["__version__"]

__version__ = "0.1.0"
