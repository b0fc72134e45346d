# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Xen, by how often the code runs: `xl list` rows (listing: the only module a healthy monitor imports), the
toolstack client (ctl), what a listed domain means (domain), xl/xm command lines (cmd), domU configs (config), long
listings (long) and what xl/xm say on failure (messages).
"""

__all__: list[str] = []
