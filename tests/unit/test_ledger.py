# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""xenha.hb1.ledger: the file format round-trips, damage raises ParseError only, and concurrent writers lose nothing."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xenha.errors import ParseError
from xenha.hb1.ledger import Ledger, LedgerFile, Move, mark_returned, parse_ledger, record_move, render_ledger

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_time = st.floats(0, 4e9, allow_nan=False)
moves = st.builds(Move, guest=_text, source=_text, target=_text, address=_text, home_address=_text, toolstack=_text,
                  at=_time, by=_text, returned_at=st.none() | _time)  # fmt: skip
ledgers = st.lists(moves, max_size=5, unique_by=lambda m: m.guest).map(lambda ms: Ledger(tuple(ms)))


def _move(guest: str, at: float = 100.0) -> Move:
    return Move(guest, "ha1", "ha2", "ha2X", "ha1X", "xl", at, "test")


_MOVE_JSON = json.loads(render_ledger(Ledger((_move("a"),))))["moves"][0]


@settings(max_examples=60)
@given(ledgers)
def test_round_trip(ledger):
    assert parse_ledger(render_ledger(ledger)) == ledger


@settings(max_examples=100)
@given(ledgers, st.data())
def test_damaged_files_raise_parse_error_only(ledger, data):
    text = render_ledger(ledger)
    cut = data.draw(st.integers(0, len(text)))
    damaged = text[:cut] + data.draw(st.sampled_from(["", "{", "]", '"x"', "null", "1e999", "\x00"])) + text[cut + 1 :]
    try:
        parse_ledger(damaged)
    except ParseError:
        pass


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"version": 2, "moves": []}',
        '{"version": 1, "moves": {}}',
        '{"version": 1, "moves": [1]}',
        '{"version": 1, "moves": [{"guest": "a"}]}',
        json.dumps({"version": 1, "moves": [{**_MOVE_JSON, "guest": True}]}),
        json.dumps({"version": 1, "moves": [{**_MOVE_JSON, "at": "yesterday"}]}),
        json.dumps({"version": 1, "moves": [{**_MOVE_JSON, "extra": 1}]}),
        json.dumps({"version": 1, "moves": [_MOVE_JSON, _MOVE_JSON]}),
        "[" * 100000,
    ],
)
def test_not_a_ledger(text):
    with pytest.raises(ParseError):
        parse_ledger(text)


def test_record_and_return():
    ledger = record_move(record_move(Ledger(), _move("web1")), _move("db1"))
    assert [m.guest for m in ledger.away] == ["web1", "db1"]
    ledger = record_move(ledger, _move("web1", at=200.0))
    assert [(m.guest, m.at) for m in ledger.moves] == [("db1", 100.0), ("web1", 200.0)]
    back = mark_returned(ledger, "web1", 300.0)
    assert back.latest("web1") is not None and back.latest("web1").returned_at == 300.0  # type: ignore[union-attr]
    assert [m.guest for m in back.away] == ["db1"]
    assert mark_returned(back, "web1", 400.0) == back  # closed once
    assert mark_returned(back, "nobody", 400.0) == back


def test_file_is_replaced_atomically(tmp_path):
    ledger = LedgerFile(str(tmp_path / "xenha" / "migrations.json"))
    assert ledger.read() == Ledger()
    ledger.record(_move("web1"))
    ledger.returned("web1", at=5.0)
    assert ledger.read().latest("web1") == Move("web1", "ha1", "ha2", "ha2X", "ha1X", "xl", 100.0, "test", 5.0)
    assert sorted(os.listdir(tmp_path / "xenha")) == ["migrations.json", "migrations.json.lock"]
    assert (tmp_path / "xenha").stat().st_mode & 0o777 == 0o700
    (tmp_path / "xenha" / "migrations.json").write_text("{")
    with pytest.raises(ParseError):
        ledger.read()


def _writer(path: str, worker: int) -> None:
    ledger = LedgerFile(path)
    for i in range(15):
        ledger.record(_move(f"g{worker}-{i}"))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "migrations.json")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(path, w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    guests = {m.guest for m in LedgerFile(path).read().moves}
    assert guests == {f"g{w}-{i}" for w in range(4) for i in range(15)}
    assert not [p for p in Path(tmp_path).iterdir() if ".tmp." in p.name]


def test_version_prints_name_and_version(capsys):
    from xenha import __version__
    from xenha.hb1.ledger import main

    assert main(["--version"], {}) == 0
    assert capsys.readouterr().out == f"xenha-migrate {__version__}\n"
