"""The matching model refuses what cannot be meant; the synthetic rounds are reproducible."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from matching_helpers import household, pledge

from safepassage.matching import (
    Floor,
    MatchingProblem,
    OutcomeScores,
    Override,
    OverrideKind,
    Vetting,
    VettingStatus,
    Weights,
)
from safepassage.matching.eligibility import Block, blocked_pairs
from safepassage.synthetic.matching_instance import matching_instance

BASE = MatchingProblem((household("a"), household("b")), (pledge("p"), pledge("q", country="GB")))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"households": (household("a"), household("a"))}, "household id a twice"),
        ({"pledges": (pledge("DE", country="DE"),)}, "also a country"),
        ({"households": (household("a", preferences=("FR",)),)}, "preference 'FR'"),
        ({"vetting": (Vetting("z", "p", VettingStatus.CLEARED),)}, "unknown household z"),
        (
            {"vetting": (Vetting("a", "p", VettingStatus.CLEARED),) * 2},
            "given twice",
        ),
        ({"floors": (Floor("nobody", 0.5),)}, "no household is in"),
        ({"pacing": (0.8, 0.5)}, "rise from batch to batch"),
        (
            {"overrides": (Override("a", "p", OverrideKind.PIN, "x"),) * 2},
            "overridden twice",
        ),
        (
            {"outcomes": OutcomeScores("x", ("a",), ("zz",), np.zeros((1, 1), np.float32))},
            "unknown pledge zz",
        ),
    ],
)
def test_the_problem_refuses_what_cannot_be_meant(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(BASE, **change)  # type: ignore[arg-type]


def test_records_refuse_impossible_values() -> None:
    with pytest.raises(ValueError, match="medical"):
        household("a", 2, medical=3)
    with pytest.raises(ValueError, match="speakers"):
        household("a", 2, languages=(("ar", 3),))
    with pytest.raises(ValueError, match="reason"):
        Override("a", "p", OverrideKind.FORBID, "  ")
    with pytest.raises(ValueError, match="weights"):
        Weights(language=-1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        OutcomeScores("x", ("a",), ("p",), np.full((1, 1), 1.5, np.float32))


def test_every_rule_a_pair_breaks_is_kept() -> None:
    problem = MatchingProblem(
        (household("a", 6, medical=1, ready=None),),
        (pledge("p", 5, max_household_size=4, requires_vetting=True),),
        vetting=(Vetting("a", "p", VettingStatus.PENDING),),
        overrides=(Override("a", "p", OverrideKind.FORBID, "no"),),
    )
    flags = Block(int(blocked_pairs(problem)[0, 0]))
    assert flags == (
        Block.PENDING | Block.TOO_LARGE | Block.OVER_PLEDGE | Block.MEDICAL | Block.FORBIDDEN
    )


def test_synthetic_rounds_follow_the_seed() -> None:
    one = matching_instance(300, 25, seed=4)
    again = matching_instance(300, 25, seed=4)
    other = matching_instance(300, 25, seed=5)
    assert one.households == again.households and one.pledges == again.pledges
    assert one.households != other.households
    assert len(one.pledges) == 25 and len({p.country for p in one.pledges}) == 18
    places = sum(p.places_persons for p in one.pledges)
    assert 0.9 * one.total_persons <= places <= 0.96 * one.total_persons
    assert {h.group for h in one.households} == {"volunteer", "family"}
    assert one.outcomes is not None and one.outcomes.values.shape == (300, 25)
