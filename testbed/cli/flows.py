"""``testbed flow check``: load Connect flow files as the testbed would, and summarise them."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from testbed.errors import FlowError
from testbed.flows.connect import (
    flow_references,
    load_flow,
    not_simulated_blocks,
    pass_through_blocks,
    unreachable_blocks,
)

__all__ = ["flow_check"]


def flow_check(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    flows, failed = [], 0
    for path in args.files:
        try:
            flows.append((path, load_flow(Path(path))))
        except FlowError as exc:
            failed += 1
            console.print(f"[red]error[/red] {exc}", soft_wrap=True)
    names = {flow.name for _path, flow in flows}
    for path, flow in flows:
        kinds: dict[str, int] = {}
        for block in flow.blocks.values():
            kinds[type(block).__name__] = kinds.get(type(block).__name__, 0) + 1
        queues, referenced = flow_references(flow)
        console.print(f"[bold]{flow.name}[/bold] ({path}): {len(flow.blocks)} blocks, "
                      f"starts at {flow.start!r}", soft_wrap=True)
        console.print("  blocks: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
                      soft_wrap=True)
        console.print("  queues: " + (", ".join(sorted(queues)) or "none"), soft_wrap=True)
        console.print("  flows: " + (", ".join(sorted(referenced)) or "none"), soft_wrap=True)
        passing = pass_through_blocks(flow)
        if passing:
            console.print("  pass through (a trace only): " + ", ".join(
                f"{block_id} ({kind})" for block_id, kind in passing), soft_wrap=True)
        for block_id, kind in not_simulated_blocks(flow):
            console.print(f"  [yellow]warning[/yellow] action {block_id!r} ({kind}) is not "
                          f"simulated: it takes its error branch", soft_wrap=True)
        for name in sorted(referenced - names):
            users = [b.id for b in flow.blocks.values()
                     if name in (getattr(b, "flow", None), getattr(b, "module", None))]
            console.print(f"  [yellow]warning[/yellow] action {users[0]!r} refers to flow "
                          f"{name!r}, which is not among the files checked", soft_wrap=True)
        for block_id in unreachable_blocks(flow):
            console.print(f"  [yellow]warning[/yellow] block {block_id!r} is unreachable",
                          soft_wrap=True)
    return 1 if failed else 0
