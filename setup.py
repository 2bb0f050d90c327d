"""Build hook: the compiled build (opt-in) of the testbed's hot modules.

``pip install .`` and ``pip install -e .`` install the pure-Python package, as
always.  With ``TESTBED_COMPILE=1`` set, the same typed modules listed in
``COMPILED`` are compiled with mypyc into extension modules that replace them
(the rest of the package stays Python).  mypyc is part of mypy, so compiling
needs mypy in the building environment::

    pip install mypy
    TESTBED_COMPILE=1 pip install --no-build-isolation .

``scripts/build_compiled.sh`` builds a compiled wheel outside the source tree;
``testbed.core.build.build_info()`` tells which build is running; docs/speed.md has the
numbers and the modules left out, with the reason for each.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from setuptools import setup


def _compiled() -> list[str]:
    """The source paths of ``testbed.core.build.COMPILED_MODULES`` (read, not imported:
    the package's dependencies need not be installed yet)."""
    tree = ast.parse(Path("testbed/core/build.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "COMPILED_MODULES"):
            return [name.replace(".", "/") + ".py" for name in ast.literal_eval(node.value)]
    raise RuntimeError("testbed/core/build.py: no COMPILED_MODULES")


#: The hot modules that compile today (testbed/core/build.py lists them).
COMPILED = _compiled()


def _ext_modules() -> list[object]:
    if os.environ.get("TESTBED_COMPILE", "") in ("", "0"):
        return []
    from mypyc.build import mypycify  # only the compiled build needs mypy

    return list(mypycify(COMPILED, opt_level="3"))


setup(ext_modules=_ext_modules())
