# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies for shell variable files (/etc/default/xendomainsHA<N>): a model, rendered as admins do."""

from __future__ import annotations

from hypothesis import strategies as st

from xenha.hb1.config import Assignment, ShellVars

__all__ = ["assignments", "group_names", "rendered_files", "shell_vars", "values", "var_names"]

_SAFE_BARE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:,+=@%-")

var_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True).filter(lambda n: n != "export")
# Any text the shell can hold: no NUL (sh cannot), no CR (the reader refuses it on purpose).
values = st.text(st.characters(blacklist_characters="\x00\r", blacklist_categories=("Cs",)), max_size=30)
group_names = st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True)


@st.composite
def assignments(draw: st.DrawFn) -> Assignment:
    """One `NAME=value` (grammar: assignment)."""
    return Assignment(draw(var_names), draw(values), draw(st.booleans()))


@st.composite
def shell_vars(draw: st.DrawFn) -> ShellVars:
    """A whole file's assignments (grammar: file)."""
    return ShellVars(tuple(draw(st.lists(assignments(), max_size=8))))


def _single(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _double(text: str) -> str:
    return '"' + "".join("\\" + c if c in '$`"\\' else c for c in text) + '"'


def _bare(text: str, first: bool) -> str:
    out = []
    for i, char in enumerate(text):
        if char == "\n":
            out.append("'\n'")
        elif char in _SAFE_BARE and not (char == "=" and first and i == 0):
            out.append(char)
        else:
            out.append("\\" + char)
    return "".join(out)


@st.composite
def word(draw: st.DrawFn, value: str) -> str:
    """`value` as a shell word: split into chunks, each single-quoted, double-quoted or escaped (grammar: word)."""
    if not value:
        return draw(st.sampled_from(["", "''", '""']))
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(value) - 1)), max_size=3))))
    chunks = [value[a:b] for a, b in zip([0, *cuts], [*cuts, len(value)], strict=True) if value[a:b]]
    parts = []
    for index, chunk in enumerate(chunks):
        style = draw(st.sampled_from(["single", "double", "bare"]))
        parts.append(
            _single(chunk) if style == "single" else _double(chunk) if style == "double" else _bare(chunk, index == 0)
        )
    return "".join(parts)


@st.composite
def rendered_files(draw: st.DrawFn) -> tuple[ShellVars, str]:
    """A model and one of the many texts that mean it: comments, blank lines, `export`, several per line."""
    model = draw(shell_vars())
    lines: list[str] = []
    pending: list[str] = []
    pending_export: bool | None = None

    def flush() -> None:
        nonlocal pending_export
        if pending:
            indent = draw(st.sampled_from(["", " ", "\t"]))
            comment = draw(st.sampled_from(["", " # set by the admin", "\t#"]))
            lines.append(indent + ("export " if pending_export else "") + " ".join(pending) + comment)
        pending.clear()
        pending_export = None

    for item in model.assignments:
        if draw(st.integers(0, 4)) == 0:
            flush()
            lines.append(draw(st.sampled_from(["", "# comment", "   ", "## Type: string", "#A=$(not run)"])))
        if pending and (pending_export != item.exported or draw(st.booleans())):
            flush()
        pending_export = item.exported
        pending.append(f"{item.name}={draw(word(item.value))}")
    flush()
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))
    return model, text
