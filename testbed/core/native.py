"""What the compiled build needs from the source, and nothing at run time otherwise.

The compiled build (see ``setup.py``) compiles the hot modules with mypyc,
which turns each class into a native class with a fixed layout.  A native
class has one base class, so the parts the switchboard is built from
(routing, transfers, consults ...) are marked ``@trait``: mypyc then lets a
class take several of them.  A compiled class that interpreted code may
subclass (the fakes: tests write their own callers and agents on them) is
marked ``@mypyc_attr(allow_interpreted_subclasses=True)``.  In the pure
build, and when ``mypy_extensions`` is not installed, both return the class
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["mypyc_attr", "trait"]

T = TypeVar("T")

try:
    from mypy_extensions import mypyc_attr, trait
except ImportError:  # the pure build does not need mypy_extensions

    def trait(cls: T) -> T:
        """Mark ``cls`` as a mixin for the compiled build; unchanged here."""
        return cls

    def mypyc_attr(*_names: str, **_options: object) -> Callable[[T], T]:
        """Options of a compiled class (e.g. ``allow_interpreted_subclasses``); none here."""
        return lambda cls: cls
