# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""record: the frozen, slotted value types of the hot path behave like frozen slotted dataclasses."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xenha.record import Record, record, replace

LIB = Path(__file__).resolve().parents[2] / "lib"


@record
class Point:
    x: int
    y: int = 0
    label: str | None = None

    @property
    def norm(self) -> int:
        return abs(self.x) + abs(self.y)


@record
class Point3(Point):
    z: int = 0


def test_fields_defaults_and_methods():
    p = Point(1, y=2)
    assert (p.x, p.y, p.label, p.norm) == (1, 2, None, 3)
    assert isinstance(p, Record) and Point._fields == ("x", "y", "label")
    assert repr(p) == "Point(x=1, y=2, label=None)"


@given(st.integers(), st.integers(), st.none() | st.text())
def test_equality_and_hash_follow_the_values(x, y, label):
    a, b = Point(x, y, label), Point(x=x, y=y, label=label)
    assert a == b and hash(a) == hash(b)
    assert a != Point(x + 1, y, label)
    assert pickle.loads(pickle.dumps(a)) == a


def test_frozen_and_slotted():
    p = Point(1)
    with pytest.raises(AttributeError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]
    assert not hasattr(p, "__dict__")


def test_wrong_arguments_raise_type_error():
    with pytest.raises(TypeError, match="missing field x"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown fields z"):
        Point(1, z=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="given twice"):
        Point(1, x=1)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        Point(1, 2, "a", 4)  # type: ignore[call-arg]


def test_inheritance_and_replace():
    p = Point3(1, 2, "a", z=5)
    assert Point3._fields == ("x", "y", "label", "z") and p.norm == 3
    assert replace(p, z=6) == Point3(1, 2, "a", 6)
    assert Point(1) != Point3(1)


def test_importing_record_loads_no_dataclasses_typing_or_enum():
    code = f"import sys; sys.path.insert(0, {str(LIB)!r}); import xenha.record; print(' '.join(sys.modules))"
    loaded = set(
        subprocess.run([sys.executable, "-IS", "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert loaded.isdisjoint({"dataclasses", "typing", "enum", "inspect"}), loaded & {"dataclasses", "typing", "enum"}
