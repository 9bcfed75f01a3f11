"""What a planner returns: the plan, with what it cost to find and whether it holds."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from safepassage.model import Plan, Scenario
from safepassage.verifier import VerificationReport, verify


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    plan: Plan
    runtime: float  # seconds the planner took, without the bound
    status: str = "done"
    gap: float | None = None  # relative MIP gap, for the exact solver
    bound_source: str | None = None  # how plan.bound was proven
    bound_seconds: float | None = None

    @cached_property
    def verification(self) -> VerificationReport:
        return verify(self.scenario, self.plan)

    def is_feasible(self) -> bool:
        """Checked by the independent verifier, not taken on the planner's word."""
        return self.verification.is_valid()

    def cost(self) -> float:
        """The objective: priority-weighted persons brought to safety."""
        return self.plan.objective

    @property
    def persons_out(self) -> int:
        by_id = self.scenario.household_by_id
        return sum(by_id[e.household].size for e in self.plan.evacuated)

    def summary(self) -> str:
        scenario, plan = self.scenario, self.plan
        households = len(plan.evacuated)
        lines = [
            f"{scenario.name}: solver {plan.solver}, {self.runtime:.2f} s",
            f"  households out: {households} of {len(scenario.households)}",
            f"  persons out:    {self.persons_out} of {scenario.total_persons}",
            f"  objective:      {plan.objective:g} of {scenario.total_value:g} possible",
        ]
        if plan.bound is not None:
            ratio = plan.objective / plan.bound if plan.bound else 1.0
            lines.append(
                f"  objective / bound: {plan.objective:g} / {plan.bound:.6g} = {ratio:.4f} "
                f"(bound: {self.bound_source}, {self.bound_seconds or 0:.2f} s)"
            )
        if self.status != "done":
            gap = "" if self.gap is None else f", MIP gap {self.gap:.2e}"
            lines.append(f"  solver status: {self.status}{gap}")
        lines.append(f"  verified: {'yes' if self.is_feasible() else 'NO'}")
        return "\n".join(lines)
