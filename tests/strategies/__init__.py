# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies, one module per grammar family: each renders a model as the real tool prints it."""
