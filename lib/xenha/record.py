# Copyright (C) 2026 The xenha developers
# SPDX-License-Identifier: GPL-2.0-or-later
"""Frozen, slotted value types for the hot path, at a fraction of what `dataclasses` costs at import time.

`@record` turns a class with annotated fields (and optional defaults) into a new class with `__slots__`, a
keyword-or-positional `__init__`, `__eq__`, `__hash__`, `__repr__` and no `__setattr__`: what
`@dataclass(frozen=True, slots=True)` gives, without importing `dataclasses` (which pulls in `inspect` and
`ast`) and without compiling six functions per class. mypy sees it as a frozen dataclass through
`dataclass_transform`, which is imported only when type checking. Defaults must be immutable values.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar, dataclass_transform

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_kwargs: object) -> object:
        return lambda fn: fn


__all__ = ["Record", "record", "replace"]

_MISSING = object()


class Record:
    """Base of every @record class: slots, comparison by value, hashing, repr; assignments refused."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}  # noqa: RUF012 -- read only, set once per class by @record

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}: {len(args)} positional arguments for {len(fields)} fields")
        for name, value in zip(fields, args, strict=False):  # fewer args than fields: the rest by keyword
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}: {name} given twice")
            object.__setattr__(self, name, value)
        for name in fields[len(args) :]:
            value = kwargs.pop(name, _MISSING)
            if value is _MISSING:
                value = self._defaults.get(name, _MISSING)
                if value is _MISSING:
                    raise TypeError(f"{type(self).__name__}: missing field {name}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown fields {', '.join(sorted(kwargs))}")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name}")

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, self._values())


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    """Rebuild `cls` as a slotted, frozen Record with the fields its annotations declare, in order."""
    namespace = dict(cls.__dict__)
    annotations = namespace.get("__annotations__", {})
    inherited: tuple[str, ...] = ()
    defaults: dict[str, object] = {}
    for base in cls.__mro__[1:]:
        if issubclass(base, Record) and base is not Record:
            inherited = base._fields
            defaults.update(base._defaults)
            break
    own = tuple(name for name, kind in annotations.items() if not str(kind).startswith("ClassVar"))
    for name in own:
        if name in namespace:
            defaults[name] = namespace.pop(name)
    for name in ("__dict__", "__weakref__"):
        namespace.pop(name, None)
    namespace["__slots__"] = own
    namespace["_fields"] = inherited + own
    namespace["_defaults"] = defaults
    bases = cls.__bases__ if issubclass(cls, Record) else (*(b for b in cls.__bases__ if b is not object), Record)
    return type(cls.__name__, bases, namespace)


def replace(obj: _T, **changes: Any) -> _T:
    """A copy of the record `obj` with `changes` applied (dataclasses.replace for records)."""
    fields: tuple[str, ...] = getattr(obj, "_fields")  # noqa: B009 -- _T is any @record class
    values = {name: getattr(obj, name) for name in fields}
    values.update(changes)
    return obj.__class__(**values)
