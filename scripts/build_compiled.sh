#!/usr/bin/env bash
# The compiled build: the testbed's hot modules compiled with mypyc (see setup.py),
# built outside the source tree into a directory to put first on PYTHONPATH.
#
#   scripts/build_compiled.sh /tmp/testbed-compiled
#   PYTHONPATH=/tmp/testbed-compiled testbed demo queued-callback --virtual
#
# Needs mypy (it brings mypyc), a C compiler and the Python headers.  The source
# tree is copied first, so no C files, objects or extension modules land in it.
# To install the compiled build instead: TESTBED_COMPILE=1 pip install --no-build-isolation .
# (from a copy of the tree; needs mypy and wheel in the environment).
set -euo pipefail
out=${1:?usage: scripts/build_compiled.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -co --exclude-standard -- setup.py pyproject.toml README.md testbed fakes \
    | tar -cf - -T - | tar -xf - -C "$work"
cd "$work"
TESTBED_COMPILE=1 python setup.py --quiet build --build-base "$work/build" --build-lib "$out" \
    >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
python - "$out" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from testbed.core.build import build_info
print(f"{sys.argv[1]}: {build_info()}")
PY
