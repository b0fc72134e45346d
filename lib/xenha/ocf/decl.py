# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What an agent declares about itself: parameters and actions, which drive both meta-data and dispatch."""

from __future__ import annotations

from xenha.record import record

__all__ = ["Action", "Agent", "Parameter"]


@record
class Parameter:
    """One instance parameter; drives both meta-data and validation of presence."""

    name: str
    shortdesc: str
    longdesc: str
    type: str = "string"
    default: str | None = None
    required: bool = False
    unique: bool = False
    reloadable: bool = False

    def __post_init__(self) -> None:
        if self.type not in ("string", "integer", "boolean", "time"):
            raise ValueError(f"parameter {self.name}: type {self.type!r} is not in ra-api-1.dtd")


@record
class Action:
    """One action as advertised in meta-data; timeout and interval in seconds (advised minimums)."""

    name: str
    timeout: int
    interval: int | None = None
    depth: int | None = None
    role: str | None = None


@record
class Agent:
    """An agent's declaration: identity, documentation, parameters and actions."""

    name: str
    version: str
    shortdesc: str
    longdesc: str
    parameters: tuple[Parameter, ...]
    actions: tuple[Action, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for param in self.parameters:
            if param.name in seen:
                raise ValueError(f"{self.name}: parameter {param.name} declared twice")
            seen.add(param.name)

    @property
    def action_names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.actions)

    def parameter(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        raise KeyError(name)

    def action_timeout(self, name: str) -> int:
        """The advised timeout of `name` in seconds (first declaration), 20 when not declared."""
        return next((a.timeout for a in self.actions if a.name == name), 20)
