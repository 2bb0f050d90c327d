"""Which build of the testbed is running: "compiled" or "pure Python".

The compiled build (``setup.py``, ``scripts/build_compiled.sh``) is the same
typed modules compiled with mypyc into extension modules; the pure build runs
them as Python.  A compiled module has no Python source behind it: its
``__file__`` is a shared library, so the check needs no build-time flag.
"""

from __future__ import annotations

import importlib
import importlib.machinery

__all__ = ["COMPILED_MODULES", "build_info", "compiled_modules"]

#: The modules the compiled build compiles (setup.py compiles these).
COMPILED_MODULES = (
    "testbed.core.messages",
    "testbed.core.clock",
    "testbed.core.loop",
    "testbed.core.lines",
    "testbed.records.service",
    "testbed.records.fold",
    "testbed.records.stores",
    "testbed.centre.agents",
    "testbed.centre.contacts",
    "testbed.centre.queues",
    "testbed.centre.routing",
    "testbed.centre.transfers",
    "testbed.centre.consults",
    "testbed.centre.call_actions",
    "testbed.centre.flow_host",
    "testbed.centre.flow_services",
    "testbed.centre.outbound",
    "testbed.centre.admin",
    "testbed.centre.switchboard",
    "testbed.flows.values",
    "testbed.flows.interpreter",
    "testbed.load.report",
    # The fakes' hot paths: interpreted code may subclass MockCaller and MockAgent
    # (``testbed flow run``'s caller, users' tests), so they allow it.
    "fakes.transcript",
    "fakes.caller",
    "fakes.agent",
)


def compiled_modules() -> list[str]:
    """The modules of ``COMPILED_MODULES`` that are running as extension modules."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return [name for name in COMPILED_MODULES
            if (getattr(importlib.import_module(name), "__file__", None) or "").endswith(suffixes)]


def build_info() -> str:
    """``"compiled"`` when the hot modules run compiled, else ``"pure Python"``.

    A mix (some compiled, some not) cannot come from one install; it reads
    ``"compiled (k of n modules)"`` so that it is seen, not hidden."""
    done = len(compiled_modules())
    if done == 0:
        return "pure Python"
    if done == len(COMPILED_MODULES):
        return "compiled"
    return f"compiled ({done} of {len(COMPILED_MODULES)} modules)"
