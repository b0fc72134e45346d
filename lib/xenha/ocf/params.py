# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Typed readers of instance parameters: one per kind, one vocabulary of booleans, shared by every agent.

Each reader takes the parameters (`Env.params`), a name and a default, and returns a typed value or raises
ConfigError with one line naming the parameter, the value and what was expected. A value is data: names are
refused when they could pass for an option (a leading `-`), integers are ASCII digits of bounded length checked
against bounds before `int()` sees them, and nothing here opens a file or runs a command. Hot path: imports
only xenha.errors.
"""

from __future__ import annotations

from xenha.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "BOOL_TEXT",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "name_problem",
    "parse_bool",
    "read_bool",
    "read_int",
    "read_list",
    "read_name",
    "read_pairs",
    "read_path",
    "read_str",
]

# ocf-shellfuncs' ocf_is_true accepts yes/true/1/YES/TRUE/ja/on/ON; crm_is_true accepts true/on/yes/y/1. Ours is
# their union minus "ja", case-insensitive; anything else is an error, never silently false.
TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "n"})
BOOL_TEXT = "true/false (also yes/no, 1/0, on/off, y/n)"

# The longest integer any parameter accepts: 18 digits stay far below Python's int() digit limit (4300) and fit in
# 64 bits, so no conversion can raise anything but our own ConfigError.
_MAX_DIGITS = 18
_SHOWN = 40  # characters of a bad value quoted in a reason (exit reasons stay under 128 bytes)


def _shown(value: str) -> str:
    text = value if len(value) <= _SHOWN else value[: _SHOWN - 3] + "..."
    return repr(text)


def read_str(params: Mapping[str, str], name: str, default: str = "") -> str:
    """The value stripped of surrounding whitespace, `default` when absent or empty."""
    return params.get(name, "").strip() or default


def parse_bool(name: str, text: str, default: bool) -> bool:
    """`text` read with the one vocabulary of booleans; empty is `default`; anything else raises ConfigError."""
    word = text.strip().lower()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={_shown(text)}: not a boolean ({BOOL_TEXT})")


def read_bool(params: Mapping[str, str], name: str, default: bool) -> bool:
    """A boolean parameter (see TRUE_WORDS/FALSE_WORDS)."""
    return parse_bool(name, params.get(name, ""), default)


def read_int(params: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """An integer parameter in [low, high]: ASCII digits (a leading `-` only when low < 0), at most 18 of them."""
    text = params.get(name, "").strip()
    if not text:
        return default
    digits = text[1:] if text.startswith("-") and low < 0 else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_DIGITS:
        raise ConfigError(f"{name}={_shown(text)}: not a whole number from {low} to {high}")
    value = int(text)
    if not low <= value <= high:
        raise ConfigError(f"{name}={value}: out of range, {low} to {high}")
    return value


def read_name(params: Mapping[str, str], name: str, default: str = "", *, allowed: str = "", max_len: int = 128) -> str:
    """A name that reaches a command line as an argument: printable ASCII letters, digits and `_.-` plus `allowed`,
    never starting with `-` (it could pass for an option), at most `max_len` characters; empty is `default`."""
    text = params.get(name, "").strip()
    if not text:
        return default
    problem = name_problem(text, allowed=allowed, max_len=max_len)
    if problem is not None:
        raise ConfigError(f"{name}={_shown(text)}: {problem}")
    return text


def name_problem(text: str, *, allowed: str = "", max_len: int = 128) -> str | None:
    """Why `text` is not an acceptable name (see read_name), or None."""
    if len(text) > max_len:
        return f"longer than {max_len} characters"
    if text.startswith("-"):
        return "starts with '-' (it would pass for an option)"
    for char in text:
        if not (char.isascii() and (char.isalnum() or char in "_.-" or char in allowed)):
            return f"character {char!r} not allowed"
    return None


def read_path(params: Mapping[str, str], name: str, default: str = "") -> str:
    """An absolute path without control characters; empty is `default`."""
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.startswith("/"):
        raise ConfigError(f"{name}={_shown(text)}: not an absolute path")
    if any(ord(char) < 32 or ord(char) == 127 for char in text) or len(text) > 4096:
        raise ConfigError(f"{name}={_shown(text)}: not a usable path (control characters or too long)")
    return text


def read_list(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Words separated by whitespace (or commas)."""
    return tuple(params.get(name, "").replace(",", " ").split())


def read_pairs(params: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """`key=value` words separated by whitespace, e.g. `ha1=ha1X ha2=ha2X`; keys and values non-empty."""
    pairs = []
    for word in read_list(params, name):
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"{name}: {_shown(word)} is not key=value")
        pairs.append((key, value))
    return tuple(pairs)
