# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a handler gets besides its parameters: environment, paths, runner, deadline and state directory."""

from __future__ import annotations

from xenha.ocf.protocol import Env, ExitCode
from xenha.paths import Paths
from xenha.record import record
from xenha.run import Deadline, Runner, SubprocessRunner
from xenha.state import StateDir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypeVar

    from xenha.ocf.decl import Agent
    from xenha.ocf.protocol import Handler

    P = TypeVar("P")

__all__ = ["Context", "bind_handlers", "op_deadline"]


def op_deadline(env: Env, default_timeout_s: float) -> Deadline:
    """When this operation must be done: the op's timeout (OCF_RESKEY_CRM_meta_timeout) less a margin, or
    `default_timeout_s` (the action's advised timeout) for a direct call."""
    return Deadline.from_timeout_ms(env.timeout_ms, default_s=default_timeout_s)


@record
class Context:
    """Everything a handler touches outside its parameters; tests build one with a scripted runner."""

    env: Env
    paths: Paths
    run: Runner
    deadline: Deadline
    state: StateDir

    @classmethod
    def for_env(cls, env: Env, *, default_timeout_s: float, runner: Runner | None = None) -> Context:
        """The production context: real commands, the op's remaining time, /run/xenha/<agent>."""
        paths = Paths.from_environ(env.environ)
        return cls(
            env=env,
            paths=paths,
            run=runner or SubprocessRunner(which=paths.which),
            deadline=op_deadline(env, default_timeout_s),
            state=StateDir(f"{paths.run_dir}/{env.resource_type}"),
        )


def bind_handlers(
    agent: Agent,
    params_from: Callable[[Env], P],
    table: Mapping[str, Callable[[P, Context], ExitCode]],
    *,
    runner: Runner | None = None,
) -> dict[str, Handler]:
    """Turn `(params, ctx)` handlers into ocf.run's `(env)` handlers; params are built (and validated) per call."""

    def bind(action: str, fn: Callable[[P, Context], ExitCode]) -> Handler:
        def handler(env: Env) -> ExitCode:
            ctx = Context.for_env(env, default_timeout_s=agent.action_timeout(action), runner=runner)
            return fn(params_from(env), ctx)

        return handler

    return {action: bind(action, fn) for action, fn in table.items()}
