# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""A scripted `xenha.run.Runner` for agent tests: expected commands in order, each with its canned result.

Modelled on pcs's mock runner (pcs_test/tools/command_env/mock_runner.py): every call must match the next
expectation, a mismatch fails with "As 2nd command expected [...] but was [...]", and `assert_done()` (called for
you when the runner is used as a context manager and the block succeeds) fails on expectations never reached.

    with ScriptedRunner() as runner:
        runner.expect(["crm_node", "-l"], stdout="1 ha1 member\\n")
        runner.expect(["o2cb", ANY, "register-cluster", "web"], effect=lambda: fs.create_cluster("web"))
        code = ocf.run(AGENT, handlers(runner), environ, ["O2cbCluster", "start"])

An argv element may be a string (equal), `ANY` (any one argument) or `Match(regex)` (full match). An expectation
may give stdout, stderr and rc, time out, raise an exception instead of returning (e.g. NotInstalled), require the
stdin text, run an `effect` that changes the simulated system the way the real command would, or `respond` with
the Result of running the matched argv somewhere else (an in-process simulator, say).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from xenha.run import Deadline, Result

__all__ = ["ANY", "Call", "Match", "ScriptedRunner", "ordinal"]


class _Any:
    """Matches any single argv element."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


@dataclass(frozen=True)
class Match:
    """Matches an argv element that fully matches `pattern`."""

    pattern: str

    def matches(self, arg: str) -> bool:
        return re.fullmatch(self.pattern, arg) is not None

    def __repr__(self) -> str:
        return f"Match({self.pattern!r})"


Arg = str | _Any | Match
_UNSET: Any = object()


@dataclass(frozen=True)
class Call:
    """One expected command and what it does when it runs."""

    argv: tuple[Arg, ...]
    stdout: str = ""
    stderr: str = ""
    rc: int | None = 0
    timed_out: bool = False
    raises: BaseException | None = None
    input: str | None = _UNSET
    effect: Callable[[], None] | None = None
    respond: Callable[[tuple[str, ...]], Result] | None = None

    def matches(self, argv: Sequence[str]) -> bool:
        if len(argv) != len(self.argv):
            return False
        for want, got in zip(self.argv, argv, strict=True):
            if isinstance(want, _Any):
                continue
            if isinstance(want, Match):
                if not want.matches(got):
                    return False
            elif want != got:
                return False
        return True


@dataclass(frozen=True)
class Ran:
    """What the code under test actually ran: argv, stdin, and the seconds its deadline had left."""

    argv: tuple[str, ...]
    input: str | None
    remaining: float


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class ScriptedRunner:
    """A Runner that plays back expectations in order; see the module docstring."""

    expected: list[Call] = field(default_factory=list)
    ran: list[Ran] = field(default_factory=list)

    def expect(
        self,
        argv: Sequence[Arg],
        *,
        stdout: str = "",
        stderr: str = "",
        rc: int | None = 0,
        timed_out: bool = False,
        raises: BaseException | None = None,
        input: str | None = _UNSET,
        effect: Callable[[], None] | None = None,
        respond: Callable[[tuple[str, ...]], Result] | None = None,
    ) -> ScriptedRunner:
        """Queue one expected command; returns self so expectations can be chained."""
        self.expected.append(
            Call(
                argv=tuple(argv),
                stdout=stdout,
                stderr=stderr,
                rc=rc,
                timed_out=timed_out,
                raises=raises,
                input=input,
                effect=effect,
                respond=respond,
            )
        )
        return self

    def __call__(self, argv: Sequence[str], deadline: Deadline, *, input: str | None = None) -> Result:
        argv = tuple(argv)
        number = len(self.ran) + 1
        self.ran.append(Ran(argv=argv, input=input, remaining=deadline.remaining()))
        if not self.expected:
            raise AssertionError(f"As {ordinal(number)} command nothing more was expected but was {list(argv)}")
        call = self.expected.pop(0)
        if not call.matches(argv):
            raise AssertionError(f"As {ordinal(number)} command expected {list(call.argv)} but was {list(argv)}")
        if call.input is not _UNSET and call.input != input:
            raise AssertionError(f"{ordinal(number)} command {list(argv)}: stdin {input!r}, expected {call.input!r}")
        if call.effect is not None:
            call.effect()
        if call.raises is not None:
            raise call.raises
        if call.respond is not None:
            return call.respond(argv)
        return Result(
            argv=argv,
            rc=None if call.timed_out else call.rc,
            stdout=call.stdout,
            stderr=call.stderr,
            elapsed=0.0,
            timed_out=call.timed_out,
        )

    @property
    def commands(self) -> list[list[str]]:
        """The argv of every command run so far."""
        return [list(r.argv) for r in self.ran]

    def assert_done(self) -> None:
        """Fail if expected commands were never run."""
        if self.expected:
            left = "; ".join(str(list(c.argv)) for c in self.expected)
            raise AssertionError(f"{len(self.expected)} expected command(s) never ran: {left}")

    def __enter__(self) -> ScriptedRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: object) -> None:
        if kind is None:
            self.assert_done()
