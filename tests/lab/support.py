# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the lab tests share: waiting for a condition, and sampling the world in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

__all__ = ["Sampler", "seconds_until", "wait_for"]


def wait_for(check: Callable[[], T], timeout: float, what: str, *, every: float = 0.3) -> T:
    """The first true value of `check()`, polled every `every` seconds; AssertionError naming `what` after
    `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout:.0f}s")
        time.sleep(every)


def seconds_until(check: Callable[[], object], timeout: float, what: str) -> float:
    """How long `check()` took to come true (see wait_for)."""
    started = time.monotonic()
    wait_for(check, timeout, what)
    return time.monotonic() - started


class Sampler:
    """Calls `sample()` every `period` seconds in a daemon thread while the `with` block runs.

    A sample that raises is skipped: the world is read while the cluster writes it, and the next sample counts.
    """

    period = 0.2

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.sample()
            except Exception:  # noqa: BLE001, S112 -- a world read racing a writer: the next sample counts
                continue

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
