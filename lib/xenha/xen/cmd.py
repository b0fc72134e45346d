# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""The xl/xm command lines xenha runs to create and migrate a domain: argv lists, nothing run here."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from xenha.xen.ctl import Tool

__all__ = ["create_argv", "migrate_argv"]


def create_argv(tool: Tool, config: str, name: str, *, override_name: bool) -> list[str]:
    """`xl create CONFIG [name="NAME"]` / `xm create CONFIG [name=NAME]` (xl's parser wants the quotes, xm's none)."""
    argv = [tool, "create", config]
    if override_name:
        argv.append(f'name="{name}"' if tool == "xl" else f"name={name}")
    return argv


def migrate_argv(tool: Tool, name: str, address: str, options: Sequence[str], port: int | None) -> list[str]:
    """`xl migrate [OPTS] [-s "ssh -p PORT"] NAME ADDR` / `xm migrate --live [--port=PORT] [OPTS] NAME ADDR`."""
    if tool == "xl":
        extra = ["-s", f"ssh -p {port}"] if port is not None else []
        return ["xl", "migrate", *options, *extra, name, address]
    extra = [f"--port={port}"] if port is not None else []
    return ["xm", "migrate", "--live", *extra, *options, name, address]
