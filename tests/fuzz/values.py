# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Adversarial parameter values, op timeouts and instance ids, as hypothesis strategies.

Strings only ever hold what an environment variable can: no NUL, and non-UTF-8 bytes as os.environ carries them
(lone surrogates U+DC80..U+DCFF, PEP 383).
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.harness import Sandbox

__all__ = ["SANE_MS", "adversarial", "instance_ids", "meta_timeouts", "odd_meta"]

# os.environ's view of undecodable bytes.
SURROGATES = [chr(c) for c in range(0xDC80, 0xDD00)]
CONTROL = [chr(c) for c in range(1, 32)] + ["\x7f", "\x85", "\u2028"]

EMPTYISH = ["", " ", "\t", "  \n ", "\n", "\r\n"]
DASHES = ["-", "-a", "-1", "--", "--help", "-999999999999999999999", "- ", "-x foo", "--all", "-h", "--=x", "-0"]
OTHER_DIGITS = ["²", "¹⁰", "١٢٣", "٣", "۴۵", "१२", "１２", "Ⅻ", "1²", "௧"]
NUMBERS = [
    "9" * 5000,
    "1" + "0" * 4300,
    "1e400",
    "1e3",
    "-5",
    "-0",
    "0",
    "1" + "0" * 309,
    "18446744073709551616",
    "2147483648",
    "65536",
    "0x10",
    "1_000",
    " 12 ",
    "+5",
    "5.5",
    "nan",
    "inf",
    "99999999999999999999999999999",
]
SHELL = ["$(reboot)", "`id`", "a;b", "a|b", "a&&b", "a>b", "*", "'\"", "\\", "$HOME", "a b", "!", "{a,b}", "~root"]
NEWLINES = ["a\nb", "web1\nocf-exit-reason:planted", "\nweb1", "web1\n", "x\r\ny"]
LONG = ["a" * 64, "a" * 65, "a" * 128, "a" * 255, "a" * 256, "a" * 4097, "x" * 100_000, "é" * 200, "名" * 100]

SANE_MS = (2000, 20000)


def _mixed() -> st.SearchStrategy[str]:
    alphabet = st.sampled_from(SURROGATES + CONTROL + list("-_./:=, ab01²'\"$;"))
    return st.text(alphabet=alphabet, min_size=1, max_size=12)


def adversarial(box: Sandbox, plausible: list[str] | None = None) -> st.SearchStrategy[str]:
    """One hostile value; `plausible` values (a parameter's good ones) are mixed in so combinations go deep."""
    choices: list[st.SearchStrategy[str]] = [
        st.sampled_from(EMPTYISH),
        st.sampled_from(DASHES),
        st.sampled_from(OTHER_DIGITS),
        st.sampled_from(NUMBERS),
        st.sampled_from(SHELL),
        st.sampled_from(NEWLINES),
        st.sampled_from(LONG),
        st.sampled_from(box.odd_paths()),
        st.text(alphabet=st.sampled_from(SURROGATES), min_size=1, max_size=4).map(lambda s: "web" + s),
        st.text(alphabet=st.sampled_from(CONTROL), min_size=1, max_size=3).map(lambda s: "a" + s + "b"),
        _mixed(),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=20),
    ]
    if plausible:
        choices.append(st.sampled_from(plausible))
    return st.one_of(*choices)


def meta_timeouts() -> st.SearchStrategy[str | None]:
    """OCF_RESKEY_CRM_meta_timeout: mostly sane, sometimes tiny, absent, or garbage."""
    return st.one_of(
        st.integers(*SANE_MS).map(str),
        st.none(),
        st.sampled_from(["1", "10", "499", "900"]),
        st.sampled_from(["", "0", "abc", "1e400", "-5", "9" * 5000, "1" + "0" * 309, "²", "٣٠٠٠", " 5000 ", "5000ms"]),
        st.sampled_from(["999999999999", "604800001", "4294967296000"]),
    )


def odd_meta() -> st.SearchStrategy[str]:
    """Other meta attributes (interval of a recurring monitor, clone counts, notify flags)."""
    return st.one_of(st.sampled_from(["", "0", "1", "2", "3", "-1", "true", "false", "x", "9" * 5000, "²"]), _mixed())


def instance_ids(default: str) -> st.SearchStrategy[str]:
    """OCF_RESOURCE_INSTANCE: the usual one, a clone's, or one Pacemaker would accept and few would expect."""
    return st.one_of(
        st.just(default),
        st.just(default + ":1"),
        st.sampled_from(
            [
                "",
                "rés:0",
                "名前",
                "web 1",
                "-rf",
                "..",
                "../../etc/passwd",
                "a/b",
                ":",
                "a::b",
                "a" * 196 + ":0",
                "a" * 300,
                "x\ny",
                "web\udcff",
                "%2F",
            ]
        ),
        _mixed(),
    )
