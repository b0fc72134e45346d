# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Node-level faults that touch every subsystem: crash and restart (the lab and xenha-sim call these)."""

from __future__ import annotations

from xenha_sim import drbdsim, xensim
from xenha_sim.world import State, log_event

__all__ = ["crash_node", "restart_node"]


def _o2cb(hook: str, state: State, node: str) -> None:
    try:
        from xenha_sim import o2cbsim
    except ImportError:
        return
    fn = getattr(o2cbsim, hook, None)
    if fn is not None:
        fn(state, node)


def crash_node(state: State, node: str) -> None:
    """The node dies at once: its guests vanish, its DRBD devices go, peers see the connections drop."""
    xensim.on_node_crash(state, node)
    drbdsim.crash_node(state, node)  # marks the node dead and settles the peers' connections
    _o2cb("on_node_crash", state, node)
    log_event(state, node, "node crashed")


def restart_node(state: State, node: str) -> None:
    """The node boots again: alive, nothing configured (DRBD down, no guests), boot counter advanced."""
    drbdsim.restart_node(state, node)  # alive again, boot + 1, every resource down
    xensim.on_node_restart(state, node)
    state["nodes"][node]["hang"] = {}
    _o2cb("on_node_restart", state, node)
    log_event(state, node, "node booted")
