"""Logging set-up for programs that are not OCF agents (the boot guard, the heartbeat script); see xenha.ocf.log."""

from __future__ import annotations

from xenha.ocf import log as _ocf_log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from xenha.ocf import Env

__all__ = ["setup_logging"]


def setup_logging(agent_name: str, env: Env, *, stderr: TextIO | None = None) -> None:
    """Configure the `xenha` logger for one invocation and build its handlers now; safe to call more than once."""
    _ocf_log.setup_logging(agent_name, env.instance, env.environ, stderr=stderr)
