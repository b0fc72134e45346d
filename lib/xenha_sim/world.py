# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulated world: one JSON state file shared by every simulated node, changed under an exclusive lock.

Layout of the state (plain JSON, so any test can read it):

    {
      "version": 1,
      "nodes": {"ha1": {"alive": true, "boot": 1, "toolstack": "xl", "xend_running": true,
                        "memory_mib": 16384, "dom0_mib": 1024, "address": "10.0.0.1",
                        "hang": {"xl": 0.0, "drbdadm": 0.0}}},
      "links": {"ha1|ha2": "up"},          # "cut" when the replication/migration link is down (sorted pair)
      "drbd": {...},                        # owned by xenha_sim.drbdsim
      "xen": {...},                         # owned by xenha_sim.xensim
      "log": [[time, node, "text"], ...]    # what happened, newest last (bounded)
    }

Time-dependent behaviour (guests that take a while to shut down, migrations, resyncs) is stored as start
times and applied lazily: every transaction first calls each subsystem's `advance(state, now)`, and after
saving calls its `after_save(state, now)` (the DRBD subsystem re-renders each node's /proc/drbd file there).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "DEFAULT_WORLD",
    "State",
    "World",
    "add_node",
    "current_node",
    "link_key",
    "link_up",
    "log_event",
    "node_state",
    "world_dir",
]

State = dict[str, Any]
Advancer = Callable[[State, float], None]

DEFAULT_WORLD = "/var/lib/xenha-sim"
_LOG_KEEP = 500


def world_dir(environ: dict[str, str] | None = None) -> str:
    """The world directory: $XENHA_SIM_WORLD, else /var/lib/xenha-sim."""
    env = os.environ if environ is None else environ
    return env.get("XENHA_SIM_WORLD") or DEFAULT_WORLD


def current_node(environ: dict[str, str] | None = None) -> str:
    """The simulated node this invocation runs on: $XENHA_SIM_NODE, else the host name."""
    env = os.environ if environ is None else environ
    return env.get("XENHA_SIM_NODE") or socket.gethostname().split(".", 1)[0]


def link_key(a: str, b: str) -> str:
    """The key of the link between two nodes in state["links"]."""
    return "|".join(sorted((a, b)))


# Each subsystem owns one section of the state; its module is imported only when that section holds something,
# so that a tool of one subsystem (xl list, say) does not pay for importing the others.
_SUBSYSTEMS = (("drbd", "xenha_sim.drbdsim"), ("xen", "xenha_sim.xensim"), ("o2cb", "xenha_sim.o2cbsim"))


def _hooks(name: str, state: State) -> list[Advancer]:
    """Each subsystem's `advance(state, now)` (before a change) or `after_save(state, now)` (after it)."""
    found: list[Advancer] = []
    for section, module in _SUBSYSTEMS:
        if not state.get(section):
            continue
        try:
            mod = __import__(module, fromlist=[name])
        except ImportError:
            continue
        fn = getattr(mod, name, None)
        if fn is not None:
            found.append(fn)
    return found


class World:
    """A handle on the state directory; `transaction()` for changes, `snapshot()` for reads."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or world_dir()
        self.state_file = os.path.join(self.path, "state.json")
        self.lock_file = os.path.join(self.path, "lock")

    @property
    def exists(self) -> bool:
        return os.path.exists(self.state_file)

    def create(self, *, force: bool = False) -> None:
        """Create an empty world (refuses to overwrite one unless `force`)."""
        os.makedirs(self.path, exist_ok=True)
        if self.exists and not force:
            raise FileExistsError(f"{self.state_file} exists")
        with self._locked(fcntl.LOCK_EX):
            self._save({"version": 1, "nodes": {}, "links": {}, "drbd": {}, "xen": {}, "log": []})

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)

    def _load(self) -> State:
        try:
            with open(self.state_file, encoding="utf-8") as handle:
                state: State = json.load(handle)
        except FileNotFoundError:
            raise SystemExit(f"xenha-sim: no world at {self.path} (run: xenha-sim init)") from None
        return state

    def _save(self, state: State) -> None:
        del state["log"][:-_LOG_KEEP]
        tmp = f"{self.state_file}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    @contextlib.contextmanager
    def transaction(self, *, now: float | None = None) -> Iterator[State]:
        """Lock, load, advance to `now`, yield the state for changes, and save it (unless the block raises)."""
        with self._locked(fcntl.LOCK_EX):
            state = self._load()
            stamp = time.time() if now is None else now
            for advance in _hooks("advance", state):
                advance(state, stamp)
            yield state
            self._save(state)
            for after in _hooks("after_save", state):
                after(state, stamp)

    def snapshot(self, *, now: float | None = None) -> State:
        """The state advanced to `now`; time-driven changes are saved so every reader sees the same world."""
        with self.transaction(now=now) as state:
            return state


def log_event(state: State, node: str, text: str, *, now: float | None = None) -> None:
    """Append one line to the world's event log (what `xenha-sim show` prints and tests read)."""
    state.setdefault("log", []).append([round(time.time() if now is None else now, 3), node, text])


def node_state(state: State, node: str) -> dict[str, Any] | None:
    """The node's record, or None when the world does not know it."""
    nodes: dict[str, dict[str, Any]] = state.get("nodes", {})
    return nodes.get(node)


def link_up(state: State, a: str, b: str) -> bool:
    """True when both nodes are alive and the link between them is not cut."""
    na, nb = node_state(state, a), node_state(state, b)
    if na is None or nb is None or not na.get("alive") or not nb.get("alive"):
        return False
    return bool(state.get("links", {}).get(link_key(a, b), "up") == "up")


def add_node(state: State, name: str, *, toolstack: str = "xl", memory_mib: int = 16384, address: str = "") -> None:
    """Add (or reset) a node: alive, booted once, with the given toolstack and memory."""
    state["nodes"][name] = {
        "alive": True,
        "boot": 1,
        "toolstack": toolstack,
        "xend_running": True,
        "memory_mib": memory_mib,
        "dom0_mib": 1024,
        "address": address,
        "hang": {},
    }
    for other in state["nodes"]:
        if other != name:
            state["links"].setdefault(link_key(name, other), "up")
