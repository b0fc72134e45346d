# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""ocf.params: one vocabulary of booleans, bounded integers, names that cannot pass for options, paths, lists."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xenha.errors import ConfigError
from xenha.ocf.params import (
    FALSE_WORDS,
    TRUE_WORDS,
    read_bool,
    read_int,
    read_list,
    read_name,
    read_pairs,
    read_path,
)


@pytest.mark.parametrize("word", sorted(TRUE_WORDS | {"TRUE", " Yes ", "On"}))
def test_true_words(word):
    assert read_bool({"x": word}, "x", False) is True


@pytest.mark.parametrize("word", sorted(FALSE_WORDS | {"FALSE", " No "}))
def test_false_words(word):
    assert read_bool({"x": word}, "x", True) is False


@pytest.mark.parametrize("word", ["ture", "ja", "2", "yes please", "\u0131"])
def test_anything_else_is_a_configuration_error_never_silently_false(word):
    with pytest.raises(ConfigError, match="not a boolean"):
        read_bool({"x": word}, "x", True)


def test_absent_or_empty_is_the_default():
    assert read_bool({}, "x", True) is True
    assert read_bool({"x": "  "}, "x", False) is False
    assert read_int({"n": ""}, "n", 7, low=0, high=10) == 7


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1" * 5000, "not a whole number"),  # would raise ValueError in int(): more than 4300 digits
        ("\u00b2", "not a whole number"),  # str.isdigit() is true, int() fails
        ("\u0663", "not a whole number"),  # Arabic-Indic three: int() accepts it, we do not
        ("1e400", "not a whole number"),
        ("-5", "not a whole number"),  # negative only when low < 0
        ("11", "out of range"),
        ("0x10", "not a whole number"),
    ],
)
def test_bad_integers(text, why):
    with pytest.raises(ConfigError, match=why) as info:
        read_int({"n": text}, "n", 1, low=0, high=10)
    assert len(info.value.reason.encode()) < 128


@given(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1))
def test_integers_in_range_round_trip(value):
    assert read_int({"n": str(value)}, "n", 0, low=-(10**18), high=10**18) == value


@given(st.text(max_size=60))
def test_int_reader_raises_only_config_error(text):
    try:
        value = read_int({"n": text}, "n", 3, low=-5, high=5)
    except ConfigError:
        return
    assert -5 <= value <= 5


@pytest.mark.parametrize("text", ["-a", "--all", "a b", "web;1", "w\u00e9b", "x" * 200, "a/b"])
def test_names_that_could_harm_are_refused(text):
    with pytest.raises(ConfigError):
        read_name({"name": text}, "name")


def test_names_with_allowed_extras():
    assert read_name({"name": "web-1.a_b"}, "name") == "web-1.a_b"
    assert read_name({"name": "a:b"}, "name", allowed=":") == "a:b"


@given(st.text(max_size=40))
def test_an_accepted_name_never_starts_with_a_dash(text):
    try:
        name = read_name({"name": text}, "name", "default")
    except ConfigError:
        return
    assert not name.startswith("-") and name.isascii()


def test_paths():
    assert read_path({"p": " /etc/xen/web1.cfg "}, "p") == "/etc/xen/web1.cfg"
    assert read_path({}, "p", "/etc/drbd.conf") == "/etc/drbd.conf"
    for bad in ("etc/xen", "/etc/x\ny", "/" + "a" * 5000):
        with pytest.raises(ConfigError):
            read_path({"p": bad}, "p")


def test_lists_and_pairs():
    assert read_list({"l": "a, b  c"}, "l") == ("a", "b", "c")
    assert read_pairs({"m": "ha1=ha1X ha2=10.0.0.2"}, "m") == (("ha1", "ha1X"), ("ha2", "10.0.0.2"))
    for bad in ("ha1", "=x", "ha1="):
        with pytest.raises(ConfigError, match="not key=value"):
            read_pairs({"m": bad}, "m")
