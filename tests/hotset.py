# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""What an agent operation imports: run a launcher in a child `python3 -IS` and read its sys.modules at exit.

The STYLE.md section 2 hot set: a monitor, a probe and a fence `monitor` must not load these modules.

The shared core a monitor may load: xenha.errors, record, paths, run, state and files (the one bounded file
reader, #13: it imports only os, errno and the interpreter's own `_thread`, never `threading`, and starts no thread
for files in /proc, /sys or configfs, which its callers read without a deadline).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIB = REPO / "lib"
# Never on an operation's hot path (STYLE.md section 2); `re` and `json` are checked per agent.
FORBIDDEN = frozenset(
    {"dataclasses", "enum", "typing", "logging", "subprocess", "socket", "inspect", "lxml", "daemon", "filelock"}
)

_WRAPPER = """
import sys, atexit
out, launcher = sys.argv[1], sys.argv[2]
sys.argv = [launcher, *sys.argv[3:]]
sys.path.insert(0, {lib!r})
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
code = compile(open(launcher).read(), launcher, "exec")
exec(code, {{"__name__": "__main__", "__file__": launcher}})
"""


def modules_of(
    launcher: str | Path, argv: list[str], environ: Mapping[str, str], *, stdin: str = ""
) -> tuple[int, set[str], str]:
    """(exit code, modules loaded, stderr) of `launcher ARGV` run by /usr/bin/python3 -IS in `environ`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "modules")
        done = subprocess.run(
            ["/usr/bin/python3", "-IS", "-c", _WRAPPER.format(lib=str(LIB)), out, str(launcher), *argv],
            env=dict(environ),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        loaded = set(Path(out).read_text().split()) if os.path.exists(out) else set()
    if not loaded:
        raise AssertionError(f"{launcher} {argv}: no module list (exit {done.returncode}): {done.stderr}")
    return done.returncode, loaded, done.stderr


def heavy(loaded: set[str], *, allow: frozenset[str] = frozenset()) -> set[str]:
    """The forbidden modules (and their submodules) in `loaded`, minus `allow`."""
    roots = {name.split(".")[0] for name in loaded}
    return (roots & FORBIDDEN) - allow


__all__ = ["FORBIDDEN", "LIB", "REPO", "heavy", "modules_of"]
