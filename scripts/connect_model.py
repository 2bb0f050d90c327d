"""Write testbed/server/connect_api/model.json from botocore's Connect service model.

    python scripts/connect_model.py            # rewrite the file
    python scripts/connect_model.py --check    # exit 1 if the file differs

The served Connect API routes and validates requests by this extract: every
operation's method and URI (so an operation the testbed does not simulate is
named in its error), and for the operations it simulates, the request shapes
(members, where each is sent, required members, types, lengths, enums) and
the error shapes with their HTTP status.  Run it after bumping botocore in
pyproject.toml; tests/test_connect_api_model.py fails until the file matches.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "testbed" / "server" / "connect_api" / "model.json"

#: The operations the testbed simulates (docs/api.md says what each does).
SIMULATED = sorted([
    "StartOutboundVoiceContact", "StartTaskContact", "StopContact", "DescribeContact",
    "GetContactAttributes", "UpdateContactAttributes", "SearchContacts", "TransferContact",
    "PutUserStatus", "GetCurrentUserData", "ListUsers", "DescribeUser", "ListAgentStatuses",
    "ListRoutingProfiles", "ListRoutingProfileQueues", "ListQueues", "DescribeQueue",
    "ListPhoneNumbersV2", "ListHoursOfOperations", "ListContactFlows", "DescribeContactFlow",
    "CreateContactFlow", "UpdateContactFlowContent", "GetCurrentMetricData",
    "GetMetricDataV2", "GetMetricData",
])

_MEMBER_KEYS = ("shape", "location", "locationName", "idempotencyToken")
_SHAPE_KEYS = ("type", "required", "min", "max", "enum", "timestampFormat", "union")


def _shape(model: dict[str, Any], name: str, out: dict[str, Any]) -> None:
    if name in out:
        return
    shape = model["shapes"][name]
    kept: dict[str, Any] = {k: shape[k] for k in _SHAPE_KEYS if k in shape}
    out[name] = kept
    if shape["type"] == "structure":
        kept["members"] = {m: {k: v[k] for k in _MEMBER_KEYS if k in v}
                           for m, v in shape["members"].items()}
        for member in shape["members"].values():
            _shape(model, member["shape"], out)
    elif shape["type"] == "list":
        kept["member"] = shape["member"]["shape"]
        _shape(model, shape["member"]["shape"], out)
    elif shape["type"] == "map":
        kept["key"] = shape["key"]["shape"]
        kept["value"] = shape["value"]["shape"]
        _shape(model, shape["key"]["shape"], out)
        _shape(model, shape["value"]["shape"], out)


def extract() -> dict[str, Any]:
    """The extract, from the botocore installed."""
    model = botocore.loaders.Loader().load_service_model("connect", "service-2")
    operations = {name: [op["http"]["method"], op["http"]["requestUri"]]
                  for name, op in sorted(model["operations"].items())}
    inputs: dict[str, str] = {}
    shapes: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    op_errors: dict[str, list[str]] = {}
    for name in SIMULATED:
        op = model["operations"][name]
        inputs[name] = op["input"]["shape"]
        op_errors[name] = sorted(error["shape"] for error in op.get("errors", []))
        _shape(model, op["input"]["shape"], shapes)
        for error in op.get("errors", []):
            shape = model["shapes"][error["shape"]]
            errors[error["shape"]] = {
                "status": shape.get("error", {}).get("httpStatusCode", 400),
                "members": sorted(shape.get("members", {})),
            }
    return {"botocore": botocore.__version__, "apiVersion": model["metadata"]["apiVersion"],
            "operations": operations, "inputs": inputs, "op_errors": op_errors,
            "shapes": dict(sorted(shapes.items())), "errors": dict(sorted(errors.items()))}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the file differs from what botocore gives")
    args = parser.parse_args(argv)
    text = render(extract())
    if args.check:
        if OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} differs from botocore {botocore.__version__}'s "
                  "model: run python scripts/connect_model.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text):,} bytes) from botocore "
          f"{botocore.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
