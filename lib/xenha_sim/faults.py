"""Node-level faults that touch every subsystem: crash and restart (the lab and xenha-sim call these)."""

from __future__ import annotations

from xenha_sim.world import State, log_event

__all__ = ["crash_node", "restart_node"]

_SUBSYSTEMS = ("xenha_sim.xensim", "xenha_sim.drbdsim", "xenha_sim.o2cbsim")


def _each(hook: str, state: State, node: str) -> None:
    for module in _SUBSYSTEMS:
        try:
            mod = __import__(module, fromlist=[hook])
        except ImportError:
            continue
        fn = getattr(mod, hook, None)
        if fn is not None:
            fn(state, node)


def crash_node(state: State, node: str) -> None:
    """The node dies at once: its guests vanish, its DRBD devices go, peers see the connections drop."""
    state["nodes"][node]["alive"] = False
    _each("on_node_crash", state, node)
    log_event(state, node, "node crashed")


def restart_node(state: State, node: str) -> None:
    """The node boots again: alive, nothing configured (DRBD down, no guests), boot counter advanced."""
    record = state["nodes"][node]
    record["alive"] = True
    record["boot"] = int(record.get("boot", 1)) + 1
    record["hang"] = {}
    _each("on_node_restart", state, node)
    log_event(state, node, "node booted")
