"""What a matcher returns: the assignment, how good it is proven to be, and whether it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from safepassage.matching.check import Violation, violations
from safepassage.matching.instance import Instance, IntArray, Prices
from safepassage.matching.model import MatchingProblem


class PinRefused(ValueError):
    """Pins that break a hard rule or overfill a pledge; the message lists every one."""


class FloorsUnreachable(Exception):
    """No assignment places the floors' shares of their groups with these pledges and pins."""


@dataclass(frozen=True)
class MatchingResult:
    problem: MatchingProblem
    solver: str
    method: str
    assigned: tuple[str | None, ...]  # pledge id per household, in the problem's order
    objective: float
    bound: float | None  # no feasible assignment's objective exceeds it
    status: str
    runtime: float  # seconds, compiling the problem included
    prices: Prices  # per capacity row: what one more unit of it would be worth
    instance: Instance = field(repr=False, compare=False)

    @cached_property
    def violations(self) -> list[Violation]:
        return violations(self.problem, self.assigned)

    def is_feasible(self) -> bool:
        """Checked by :mod:`.check`, not taken on the solver's word."""
        return not self.violations

    def cost(self) -> float:
        """The objective: placement and fit, per person placed (see ``Weights``)."""
        return self.objective

    @property
    def gap(self) -> float | None:
        """How far the objective may be from the best possible, relative to it."""
        if self.bound is None:
            return None
        return max(0.0, self.bound - self.objective) / max(1.0, abs(self.objective))

    @cached_property
    def assigned_index(self) -> IntArray:
        index = self.problem.pledge_index
        return np.array([-1 if p is None else index[p] for p in self.assigned], dtype=np.int64)

    @property
    def households_placed(self) -> int:
        return sum(p is not None for p in self.assigned)

    @property
    def persons_placed(self) -> int:
        return sum(h.size for h, p in zip(self.problem.households, self.assigned, strict=True) if p)

    def summary(self) -> str:
        problem = self.problem
        lines = [
            f"matching: solver {self.solver} ({self.method}), {self.runtime:.2f} s",
            f"  households placed: {self.households_placed} of {len(problem.households)}",
            f"  persons placed:    {self.persons_placed} of {problem.total_persons}"
            f" ({sum(p.places_persons for p in problem.pledges)} places pledged)",
            f"  objective:         {self.objective:.2f}",
        ]
        if self.bound is not None:
            lines.append(f"  bound:             {self.bound:.2f} (gap {self.gap:.4%})")
        lines.append(f"  status:            {self.status}")
        lines.append(f"  checked:           {'yes' if self.is_feasible() else 'NO'}")
        return "\n".join(lines)
