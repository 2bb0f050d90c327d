"""What the compiled build needs from the source, and nothing at run time otherwise.

The compiled build (see ``setup.py``) compiles the hot modules with mypyc,
which turns each class into a native class with a fixed layout.  A native
class has one base class, so the parts the switchboard is built from
(routing, transfers, consults ...) are marked ``@trait``: mypyc then lets a
class take several of them.  In the pure build, and when ``mypy_extensions``
is not installed, ``trait`` returns the class unchanged.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["trait"]

T = TypeVar("T")

try:
    from mypy_extensions import trait
except ImportError:  # the pure build does not need mypy_extensions

    def trait(cls: T) -> T:
        """Mark ``cls`` as a mixin for the compiled build; unchanged here."""
        return cls
