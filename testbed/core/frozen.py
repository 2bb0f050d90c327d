"""A quicker ``__init__`` for frozen, slotted dataclasses.

A frozen dataclass sets each field in ``__init__`` with
``object.__setattr__(self, name, value)``: a global lookup, an attribute
lookup and a name lookup on the type per field.  The testbed makes a dozen
messages and a contact record per call, so ``quick_init`` swaps in an
``__init__`` that calls each slot's own descriptor instead (about a third
faster).  The signature, defaults and default factories stay the same, and
the instances stay frozen: only ``__init__`` changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["quick_init"]

T = TypeVar("T")

_NOTHING = object()  # "no argument given" for fields with a default factory


def quick_init(cls: type[T]) -> type[T]:
    """Replace the dataclass ``cls``'s ``__init__``; apply above ``@dataclass(frozen=True,
    slots=True)``.  Classes with ``__post_init__``, init-only or keyword-only fields
    are refused (their ``__init__`` does more than set fields)."""
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init needs a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init cannot run __post_init__")
    namespace: dict[str, Any] = {"_NOTHING": _NOTHING}
    params: list[str] = []
    body: list[str] = []
    for field in dataclasses.fields(cls):
        name = field.name
        if not field.init or field.kw_only:
            raise TypeError(f"{cls.__name__}.{name}: quick_init takes plain fields only")
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            params.append(f"{name}=_default_{name}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            params.append(f"{name}=_NOTHING")
            body.append(f"    if {name} is _NOTHING: {name} = _factory_{name}()")
        else:
            params.append(name)
        namespace[f"_set_{name}"] = _slot(cls, name).__set__
        body.append(f"    _set_{name}(self, {name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")
    exec(source, namespace)  # the way dataclasses builds __init__ itself
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def _slot(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        slot = klass.__dict__.get(name)
        if slot is not None and hasattr(slot, "__set__"):
            return slot
    raise TypeError(f"{cls.__name__}.{name} is not a slot")
