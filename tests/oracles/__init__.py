# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Parsers that only tests need: independent readings of tool output that no product code reads."""
