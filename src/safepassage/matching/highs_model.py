"""The assignment written out for HiGHS over a chosen set of pairs, as an LP or a MILP.

One column per (household, pledge) pair offered; rows: each household at most once (exactly
once when pinned), then the capacity rows of :class:`~safepassage.matching.instance.Instance`
with what is left of them once other households are settled. The LP keeps its HiGHS object so
that columns found by pricing are added to it and the simplex resumes from its last basis.
HiGHS runs with its defaults apart from time limit and gap: its thread pool is process-wide and
must not be configured per solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from safepassage.matching.instance import FloatArray, Instance, IntArray, Prices


@dataclass
class Residual:
    """Capacity left for the households still to be decided."""

    persons: IntArray
    households: IntArray
    medical: IntArray
    paced: IntArray
    floor_need: IntArray

    @classmethod
    def full(cls, instance: Instance) -> Residual:
        return cls(
            instance.persons.copy(),
            instance.households.copy(),
            instance.medical_places.copy(),
            instance.paced.copy(),
            instance.floor_need.copy(),
        )

    def without(self, instance: Instance, assigned: IntArray, households: IntArray) -> Residual:
        """What is left once ``households`` (indices) take their ``assigned`` pledges."""
        placed = households[assigned[households] >= 0]
        at = assigned[placed]
        pledges = len(self.persons)
        size = instance.size[placed]
        paced = self.paced.copy()
        first = instance.pace_levels()[instance.batch[placed]]
        for level in range(paced.shape[1]):
            counted = first <= level
            paced[:, level] -= _count(at[counted], size[counted], pledges)
        return Residual(
            self.persons - _count(at, size, pledges),
            self.households - _count(at, np.ones_like(size), pledges),
            self.medical - _count(at, instance.medical[placed], pledges),
            paced,
            np.maximum(
                self.floor_need - _count(instance.group[placed], size, len(self.floor_need)), 0
            ),
        )

    def share(self, fraction: float) -> Residual:
        """``fraction`` of every capacity, rounded down, and of every floor, rounded up."""
        return Residual(
            np.floor(self.persons * fraction).astype(np.int64),
            np.floor(self.households * fraction).astype(np.int64),
            np.floor(self.medical * fraction).astype(np.int64),
            np.floor(self.paced * fraction).astype(np.int64),
            np.ceil(self.floor_need * fraction - 1e-9).astype(np.int64),
        )


def _count(index: IntArray, weights: IntArray, length: int) -> IntArray:
    return np.bincount(index, weights=weights, minlength=length).astype(np.int64)


NODE_LIMIT_REACHED = "Node limit reached"
TIME_LIMIT_REACHED = "Time limit reached"


@dataclass(frozen=True)
class Solution:
    status: str
    optimal: bool
    values: FloatArray  # per column; zeros when no feasible point was found
    objective: float  # -inf when no feasible point was found
    dual_bound: float  # MILP: HiGHS's proven bound over its columns; LP: the optimum
    prices: Prices | None  # LP only
    household_duals: FloatArray | None  # LP only, per household row


class Layout:
    """Row numbers of one model: household rows first, then the capacity rows."""

    def __init__(self, instance: Instance, households: IntArray, residual: Residual) -> None:
        self.instance = instance
        self.households = households
        self.residual = residual
        self.local = np.full(len(instance.size), -1, dtype=np.int64)
        self.local[households] = np.arange(len(households))
        pledges = len(instance.persons)
        self.levels = residual.paced.shape[1]
        self.floor_groups = np.flatnonzero(residual.floor_need > 0)
        self.floor_row = np.full(len(instance.groups), -1, dtype=np.int64)
        self.floor_row[self.floor_groups] = np.arange(len(self.floor_groups))
        self.persons = len(households)
        self.household_places = self.persons + pledges
        self.medical = self.household_places + pledges
        self.paced = self.medical + pledges
        self.floors = self.paced + pledges * self.levels
        self.rows = self.floors + len(self.floor_groups)

    def row_bounds(self) -> tuple[FloatArray, FloatArray]:
        instance, residual = self.instance, self.residual
        count = len(self.households)
        pinned = instance.pinned[self.households] >= 0
        lower = np.concatenate(
            [
                np.where(pinned, 1.0, -np.inf),
                np.full(self.floors - count, -np.inf),
                residual.floor_need[self.floor_groups].astype(np.float64),
            ]
        )
        upper = np.concatenate(
            [
                np.ones(count),
                residual.persons.astype(np.float64),
                residual.households.astype(np.float64),
                residual.medical.astype(np.float64),
                residual.paced.reshape(-1).astype(np.float64),
                np.full(len(self.floor_groups), np.inf),
            ]
        )
        return lower, upper

    def entries(
        self, column_household: IntArray, column_pledge: IntArray
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Column-wise nonzeros: (starts, row indices, values)."""
        instance = self.instance
        columns = len(column_household)
        index = np.arange(columns)
        size = instance.size[column_household].astype(np.float64)
        parts_column = [index, index, index]
        parts_row = [
            self.local[column_household],
            self.persons + column_pledge,
            self.household_places + column_pledge,
        ]
        parts_value = [np.ones(columns), size, np.ones(columns)]
        medical = instance.medical[column_household]
        needs = medical > 0
        parts_column.append(index[needs])
        parts_row.append(self.medical + column_pledge[needs])
        parts_value.append(medical[needs].astype(np.float64))
        first_level = instance.pace_levels()[instance.batch[column_household]]
        for level in range(self.levels):
            counted = first_level <= level
            parts_column.append(index[counted])
            parts_row.append(self.paced + column_pledge[counted] * self.levels + level)
            parts_value.append(size[counted])
        in_floor = self.floor_row[instance.group[column_household]]
        floored = in_floor >= 0
        parts_column.append(index[floored])
        parts_row.append(self.floors + in_floor[floored])
        parts_value.append(size[floored])
        column = np.concatenate(parts_column)
        order = np.argsort(column, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(column, minlength=columns))])
        return (
            starts.astype(np.int32),
            np.concatenate(parts_row)[order].astype(np.int32),
            np.concatenate(parts_value)[order],
        )

    def prices(self, duals: FloatArray) -> Prices:
        """Row duals as prices: HiGHS reports a binding ``<=`` row of a maximisation with a
        positive dual and a binding ``>=`` row with a negative one."""
        pledges = len(self.instance.persons)
        at = self.persons
        persons = np.maximum(duals[at : at + pledges], 0.0)
        households = np.maximum(duals[at + pledges : at + 2 * pledges], 0.0)
        medical = np.maximum(duals[at + 2 * pledges : at + 3 * pledges], 0.0)
        paced = np.maximum(duals[self.paced : self.floors], 0.0).reshape(pledges, self.levels)
        floors = np.zeros(len(self.instance.groups))
        floors[self.floor_groups] = np.maximum(-duals[self.floors : self.rows], 0.0)
        return Prices(persons, households, medical, paced, floors)


def _new_highs(
    time_limit: float | None, gap: float, node_limit: int | None = None
) -> highspy.Highs:
    """HiGHS with a wall clock only when one was asked for: without it HiGHS's answer depends
    on the model and the work limits alone, never on the machine's load."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if time_limit is not None:
        highs.setOptionValue("time_limit", max(float(time_limit), 0.1))
    highs.setOptionValue("mip_rel_gap", float(gap))
    if node_limit is not None:
        highs.setOptionValue("mip_max_nodes", int(node_limit))
    return highs


def _lp(layout: Layout, column_household: IntArray, column_pledge: IntArray) -> highspy.HighsLp:
    columns = len(column_household)
    lp = highspy.HighsLp()
    lp.num_col_ = columns
    lp.num_row_ = layout.rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = layout.instance.values(column_household, column_pledge)
    lp.col_lower_ = np.zeros(columns)
    lp.col_upper_ = np.ones(columns)
    lp.row_lower_, lp.row_upper_ = layout.row_bounds()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    starts, rows, values = layout.entries(column_household, column_pledge)
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = rows
    lp.a_matrix_.value_ = values
    return lp


class RestrictedLp:
    """The LP relaxation over the columns offered so far, grown by :meth:`add`."""

    def __init__(
        self,
        layout: Layout,
        column_household: IntArray,
        column_pledge: IntArray,
        time_limit: float | None,
    ) -> None:
        self.layout = layout
        self.column_household = column_household
        self.column_pledge = column_pledge
        self.highs = _new_highs(time_limit, 0.0)
        # presolve would be redone, and the basis lost, every time columns are added
        self.highs.setOptionValue("presolve", "off")
        self.highs.passModel(_lp(layout, column_household, column_pledge))
        self.known = set((column_household * len(layout.instance.persons) + column_pledge).tolist())

    def add(self, column_household: IntArray, column_pledge: IntArray) -> int:
        """Add the pairs not offered yet; returns how many were new."""
        pledges = len(self.layout.instance.persons)
        keys = (column_household * pledges + column_pledge).tolist()
        fresh = np.array([key not in self.known for key in keys], dtype=bool)
        if not fresh.any():
            return 0
        households, chosen = column_household[fresh], column_pledge[fresh]
        self.known.update((households * pledges + chosen).tolist())
        starts, rows, values = self.layout.entries(households, chosen)
        count = len(households)
        self.highs.addCols(
            count,
            self.layout.instance.values(households, chosen),
            np.zeros(count),
            np.ones(count),
            len(rows),
            starts[:-1],
            rows,
            values,
        )
        self.column_household = np.concatenate([self.column_household, households])
        self.column_pledge = np.concatenate([self.column_pledge, chosen])
        return count

    def solve(self) -> Solution:
        highs = self.highs
        highs.run()
        status = highs.modelStatusToString(highs.getModelStatus())
        info = highs.getInfo()
        solution = highs.getSolution()
        if info.primal_solution_status != 2:
            columns = len(self.column_household)
            return Solution(status, False, np.zeros(columns), -np.inf, np.inf, None, None)
        duals = np.asarray(solution.row_dual, dtype=np.float64)
        objective = float(info.objective_function_value)
        optimal = status == "Optimal"
        return Solution(
            status,
            optimal,
            np.asarray(solution.col_value, dtype=np.float64),
            objective,
            objective if optimal else np.inf,
            self.layout.prices(duals),
            np.maximum(duals[: len(self.layout.households)], 0.0),
        )


def solve_milp(
    layout: Layout,
    column_household: IntArray,
    column_pledge: IntArray,
    *,
    time_limit: float | None,
    gap: float,
    node_limit: int,
    start: FloatArray | None = None,
) -> Solution:
    lp = _lp(layout, column_household, column_pledge)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(column_household)
    highs = _new_highs(time_limit, gap, node_limit)
    highs.passModel(lp)
    if start is not None:
        initial = highspy.HighsSolution()
        initial.col_value = list(start)
        initial.value_valid = True
        highs.setSolution(initial)
    highs.run()
    model_status = highs.getModelStatus()
    # HiGHS files the node limit under "solution limit", with its other work limits
    status = (
        NODE_LIMIT_REACHED
        if model_status == highspy.HighsModelStatus.kSolutionLimit
        else highs.modelStatusToString(model_status)
    )
    info = highs.getInfo()
    found = info.primal_solution_status == 2
    values = (
        np.asarray(highs.getSolution().col_value, dtype=np.float64)
        if found
        else np.zeros(len(column_household))
    )
    return Solution(
        status,
        status == "Optimal",
        values,
        float(info.objective_function_value) if found else -np.inf,
        float(info.mip_dual_bound),
        None,
        None,
    )
