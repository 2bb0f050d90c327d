"""Queueing theory to check load runs against: Erlang C (M/M/c) and Erlang A (M/M/c+M).

Both come from the stationary distribution of the birth-death chain of the
number of callers in the system (arrivals at rate ``lam``; in state k, agents
finish at ``min(k, c) * mu`` and waiting callers abandon at
``max(k - c, 0) * theta``), truncated where its terms vanish; see Gross &
Harris, *Fundamentals of Queueing Theory*, ch. 2 (M/M/c) and Garnett,
Mandelbaum & Reiman (2002), "Designing a call center with impatient
customers" (M/M/c+M).  By PASTA an arriving caller sees the stationary
distribution, so P(wait) is the chance of finding all c agents busy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QueueTheory", "erlang_a", "erlang_c"]


@dataclass(frozen=True)
class QueueTheory:
    p_wait: float         # an arriving caller finds every agent busy
    mean_wait_s: float    # mean time in queue, over all callers (abandoning ones too)
    p_abandon: float      # a caller abandons before an agent answers


def _chain(lam: float, mu: float, c: int, theta: float, cap: int = 100_000) -> QueueTheory:
    # Unnormalised probabilities p_k, built up with p_k = p_{k-1} * lam / death_k.
    p = [1.0]
    k = 0
    while k < cap:
        k += 1
        death = min(k, c) * mu + max(k - c, 0) * theta
        p.append(p[-1] * lam / death)
        if k > c and p[-1] < 1e-16 * sum(p):
            break
    total = sum(p)
    probs = [x / total for x in p]
    p_wait = sum(probs[c:])
    in_queue = sum((k - c) * probs[k] for k in range(c, len(probs)))
    p_abandon = theta * in_queue / lam if theta else 0.0
    return QueueTheory(p_wait, in_queue / lam, p_abandon)  # Little: Wq = Lq / lambda


def erlang_c(lam: float, mu: float, c: int) -> QueueTheory:
    """M/M/c: ``lam`` arrivals a second, ``1/mu`` mean talk time, ``c`` agents."""
    if lam >= c * mu:
        raise ValueError(f"M/M/c needs lam < c * mu to be stable, got {lam} >= {c * mu}")
    return _chain(lam, mu, c, 0.0)


def erlang_a(lam: float, mu: float, c: int, theta: float) -> QueueTheory:
    """M/M/c+M: as erlang_c, and callers abandon after exponential patience of mean 1/theta."""
    if theta <= 0:
        raise ValueError(f"theta must be > 0, got {theta}")
    return _chain(lam, mu, c, theta)
