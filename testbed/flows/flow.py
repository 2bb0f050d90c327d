"""A flow: named blocks with a start block, checked when it is built."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from testbed.core.errors import FlowError
from testbed.flows.blocks import (
    MAX_CALLBACK_DELAY_S,
    OPERATORS,
    Block,
    CheckQueueStatus,
    Compare,
    CreateCallback,
    Distribute,
    GetCustomerInput,
    Loop,
    LoopPrompts,
    PlayPrompt,
    StoreCustomerInput,
    Wait,
)
from testbed.flows.services import (
    CheckHours,
    CreateTask,
    GetBotInput,
    InvokeLambda,
    TransferToPhone,
)
from testbed.flows.values import ROOTS, is_reference, split_path

QUEUE_METRICS = ("NumberOfContactsInQueue", "OldestContactInQueueAgeSeconds",
                 "NumberOfAgentsAvailable", "NumberOfAgentsStaffed", "NumberOfAgentsOnline")

__all__ = ["Flow"]


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow: ``blocks`` by id, run from ``start``.

    Build one with ``Flow.of(name, blocks)``; it checks that every transition
    names a block of the flow and that parameters are in range, and raises
    FlowError naming the flow, the block and the bad value.
    """

    name: str
    start: str
    blocks: Mapping[str, Block]

    @classmethod
    def of(cls, name: str, blocks: Iterable[Block], start: str | None = None) -> Flow:
        by_id: dict[str, Block] = {}
        for block in blocks:
            if block.id in by_id:
                raise FlowError(f"flow {name!r}: two blocks have the id {block.id!r}")
            by_id[block.id] = block
        if not by_id:
            raise FlowError(f"flow {name!r} has no blocks")
        first = start if start is not None else next(iter(by_id))
        flow = cls(name, first, MappingProxyType(by_id))
        flow.check()
        return flow

    def check(self) -> None:
        """Raise FlowError if a transition or parameter is broken."""
        if self.start not in self.blocks:
            raise FlowError(f"flow {self.name!r}: start block {self.start!r} does not exist")
        for block in self.blocks.values():
            where = f"flow {self.name!r}: block {block.id!r} ({type(block).__name__})"
            for target in block.targets():
                if target not in self.blocks:
                    raise FlowError(f"{where} goes to {target!r}, which does not exist")
            if isinstance(block, PlayPrompt | GetCustomerInput | StoreCustomerInput | GetBotInput
                          | Wait) and block.duration_s is not None:
                _check_seconds(where, "duration_s", block.duration_s)
            if isinstance(block, StoreCustomerInput | GetBotInput):
                _check_seconds(where, "timeout_s", block.timeout_s)
            if isinstance(block, InvokeLambda):
                _check_seconds(where, "time_limit_s", block.time_limit_s, 60)
            if isinstance(block, TransferToPhone):
                _check_seconds(where, "timeout_s", block.timeout_s, 600)
            if isinstance(block, CreateTask):
                _check_seconds(where, "delay_s", block.delay_s, 518_400)
            if isinstance(block, LoopPrompts) and block.interrupt_s is not None:
                _check_seconds(where, "interrupt_s", block.interrupt_s)
                if block.interrupt_s <= 0:
                    raise FlowError(f"{where}: interrupt_s must be > 0, "
                                    f"got {block.interrupt_s!r}")
            if isinstance(block, Compare | CheckQueueStatus | Distribute | CheckHours):
                for condition in block.conditions:
                    if condition.operator not in OPERATORS:
                        raise FlowError(f"{where}: unknown condition operator "
                                        f"{condition.operator!r}; known: {', '.join(OPERATORS)}")
            if isinstance(block, Compare) and not (
                    is_reference(block.value) and split_path(block.value)[0] in ROOTS):
                raise FlowError(f"{where}: cannot compare {block.value!r}; give a reference "
                                f"to contact data, $. then one of {', '.join(sorted(ROOTS))}")
            if isinstance(block, CheckQueueStatus) and block.metric not in QUEUE_METRICS:
                raise FlowError(f"{where}: unknown metric {block.metric!r}; known: "
                                f"{', '.join(QUEUE_METRICS)}")
            if isinstance(block, Loop) and not (0 <= block.count <= 100):
                raise FlowError(f"{where}: count must be 0 to 100, got {block.count!r}")
            if isinstance(block, GetCustomerInput):
                _check_seconds(where, "timeout_s", block.timeout_s)
            if isinstance(block, CreateCallback):
                _check_seconds(where, "initial_delay_s", block.initial_delay_s,
                               MAX_CALLBACK_DELAY_S)
                _check_seconds(where, "retry_interval_s", block.retry_interval_s)
                if block.max_retries < 0:
                    raise FlowError(f"{where}: max_retries must be >= 0, "
                                    f"got {block.max_retries!r}")


def _check_seconds(where: str, name: str, value: float, maximum: float = math.inf) -> None:
    if not (0 <= value <= maximum):
        limit = "" if maximum == math.inf else f" and <= {maximum:g}"
        raise FlowError(f"{where}: {name} must be >= 0{limit}, got {value!r}")
