"""The package layout: each folder imports only the folders listed before it.

core -> records -> flows -> centre -> load -> server; the command line and the
pytest plugin sit on top of all.  A module that reaches up the list would tie a
low layer to a high one (and, sooner or later, make an import cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import testbed

LAYERS = ["core", "records", "flows", "centre", "load", "server"]
PACKAGE = Path(testbed.__file__).resolve().parent


def _imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "testbed" and len(parts) > 1 and parts[1] in LAYERS:
                found.add(parts[1])
    return found


def test_every_module_sits_in_a_layer_folder() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py")
                   if p.name not in ("__init__.py", "pytest_plugin.py"))
    assert loose == []


def test_layers_import_only_the_layers_below_them() -> None:
    reaching_up = []
    for rank, layer in enumerate(LAYERS):
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            above = _imported_layers(path) & set(LAYERS[rank + 1:])
            if above:
                reaching_up.append(f"{path.relative_to(PACKAGE)} imports {sorted(above)}")
    assert reaching_up == []
