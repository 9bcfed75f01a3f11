"""The soft score of a household at a pledge, component by component, vectorised.

Every component is a number between 0 for the household as a whole (not its best member: a
family where only the father speaks the language is not matched by language):

- ``relatives``: 1 when relatives already live in the pledge's country, else 0.
- ``language``: the largest share of members who speak one of the pledge's languages, i.e.
  ``max over the pledge's languages of speakers / size``; a pledge listing no language, 0.
- ``preference``: ``(5 - r) / 5`` for the household's rank ``r`` (0 first) of the pledge or of
  its country, the better rank when both are listed; 0 when not ranked.
- ``outcome``: the user's predicted outcome for the pair; 0 where none was given.

The score is ``sum(weight * component)``; the objective weighs it, and the placement reward,
by the household's size (:func:`pair_value`), so fit counts per person placed. Scores are held
as float32 (80 MB at 100,000 x 200), and every value derived from them goes through
:func:`pair_value` in float64, so the solver, the checker and the explanations agree to the
last digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.matching.model import PREFERENCE_DEPTH, MatchingProblem, Weights

FloatArray = npt.NDArray[np.float64]
ScoreArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

COMPONENTS = ("relatives", "language", "preference", "outcome")

_CHUNK = 8192


@dataclass(frozen=True)
class Components:
    """One matrix per component, rows for the households asked about, columns per pledge."""

    relatives: ScoreArray
    language: ScoreArray
    preference: ScoreArray
    outcome: ScoreArray

    def weighted(self, weights: Weights) -> ScoreArray:
        total = self.relatives * np.float32(weights.relatives)
        total += self.language * np.float32(weights.language)
        total += self.preference * np.float32(weights.preference)
        total += self.outcome * np.float32(weights.outcome)
        return total

    def of(self, name: str) -> ScoreArray:
        array: ScoreArray = getattr(self, name)
        return array


class ScoreTables:
    """Lookup tables built once from the problem; components are read off for any rows."""

    def __init__(self, problem: MatchingProblem) -> None:
        self.problem = problem
        countries = {c: i for i, c in enumerate(problem.countries)}
        pledges = problem.pledges
        households = problem.households
        self.pledge_country = np.array([countries[p.country] for p in pledges], dtype=np.int64)
        self.relatives = np.zeros((len(households), len(countries)), dtype=bool)
        languages = sorted({code for p in pledges for code in p.languages})
        language_index = {code: i for i, code in enumerate(languages)}
        self.speaking = np.zeros((len(households), len(languages)), dtype=np.float32)
        self.pledge_speaks = np.zeros((len(pledges), len(languages)), dtype=bool)
        for j, pledge in enumerate(pledges):
            for code in pledge.languages:
                self.pledge_speaks[j, language_index[code]] = True
        by_country: dict[str, list[int]] = {}
        for j, pledge in enumerate(pledges):
            by_country.setdefault(pledge.country, []).append(j)
        rank_rows: list[int] = []
        rank_columns: list[int] = []
        rank_scores: list[float] = []
        for h, household in enumerate(households):
            for country in household.relatives_in:
                if country in countries:
                    self.relatives[h, countries[country]] = True
            for code, speakers in household.languages:
                if code in language_index:
                    self.speaking[h, language_index[code]] = speakers / household.size
            for rank, wanted in enumerate(household.preferences):
                score = (PREFERENCE_DEPTH - rank) / PREFERENCE_DEPTH
                named = problem.pledge_index.get(wanted)
                targets = [named] if named is not None else by_country.get(wanted, [])
                for target in targets:
                    rank_rows.append(h)
                    rank_columns.append(target)
                    rank_scores.append(score)
        self.rank_rows = np.array(rank_rows, dtype=np.int64)
        self.rank_columns = np.array(rank_columns, dtype=np.int64)
        self.rank_scores = np.array(rank_scores, dtype=np.float32)
        self.outcome: ScoreArray | None = None
        if problem.outcomes is not None:
            given = problem.outcomes
            rows = np.array([problem.household_index[h] for h in given.households], dtype=np.int64)
            columns = np.array([problem.pledge_index[p] for p in given.hosts], dtype=np.int64)
            outcome = np.zeros((len(households), len(pledges)), dtype=np.float32)
            outcome[rows[:, None], columns[None, :]] = np.nan_to_num(given.values, nan=0.0)
            self.outcome = outcome

    def components(self, rows: IntArray) -> Components:
        columns = len(self.problem.pledges)
        # C order like the others: mixed layouts make every later operation strided and slow
        relatives = np.ascontiguousarray(self.relatives[rows][:, self.pledge_country], np.float32)
        language = np.zeros((len(rows), columns), dtype=np.float32)
        for code in range(self.speaking.shape[1]):
            share = self.speaking[rows, code][:, None] * self.pledge_speaks[None, :, code]
            np.maximum(language, share, out=language)
        preference = np.zeros((len(rows), columns), dtype=np.float32)
        if len(self.rank_rows):
            position = np.full(len(self.problem.households), -1, dtype=np.int64)
            position[rows] = np.arange(len(rows))
            mine = position[self.rank_rows] >= 0
            np.maximum.at(
                preference,
                (position[self.rank_rows[mine]], self.rank_columns[mine]),
                self.rank_scores[mine],
            )
        outcome = (
            self.outcome[rows]
            if self.outcome is not None
            else np.zeros((len(rows), columns), dtype=np.float32)
        )
        return Components(relatives, language, preference, outcome)

    def scores(self) -> ScoreArray:
        """The weighted score of every household at every pledge (households x pledges)."""
        count = len(self.problem.households)
        total = np.empty((count, len(self.problem.pledges)), dtype=np.float32)
        for start in range(0, count, _CHUNK):
            rows = np.arange(start, min(count, start + _CHUNK))
            total[rows] = self.components(rows).weighted(self.problem.weights)
        return total


def pair_value(size: IntArray | int, score: ScoreArray | float, weights: Weights) -> FloatArray:
    """What placing a household of ``size`` with this score adds to the objective."""
    return np.asarray(
        np.asarray(size, dtype=np.float64)
        * (weights.placement + np.asarray(score, dtype=np.float32).astype(np.float64)),
        dtype=np.float64,
    )
