"""``plan --robust``: a plan valid on the nominal files that holds up better, and its bound."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safepassage.formats.uncertainty_law import Uncertainty
from safepassage.model import Scenario, Window
from safepassage.model.futures import Future
from safepassage.robustness.choice import Risk, RobustChoice, choose_robust_plan, tightened
from safepassage.synthetic.futures import listed_futures, named_zones
from safepassage.synthetic.random_scenario import random_scenario
from safepassage.verifier import verify


def with_futures(seed: int) -> tuple[Scenario, Uncertainty]:
    scenario = named_zones(random_scenario(seed, nodes=14, households=60))
    return scenario, Uncertainty(listed_futures(scenario))


SEEDS = range(5)
Choices = list[tuple[Scenario, RobustChoice]]


@pytest.fixture(scope="module")
def choices() -> Choices:
    return [
        (scenario, choose_robust_plan(scenario, uncertainty))
        for scenario, uncertainty in map(with_futures, SEEDS)
    ]


def test_the_robust_plan_is_valid_on_the_nominal_files(choices: Choices) -> None:
    for scenario, choice in choices:
        assert verify(scenario, choice.chosen.plan).is_valid()


def test_the_robust_plan_is_never_below_the_nominal_plan_and_beats_it_on_average(
    choices: Choices,
) -> None:
    gains = [choice.gain for _, choice in choices]
    assert min(gains) >= 0
    assert sum(gains) / len(gains) > 0


def test_the_wait_and_see_bound_is_above_every_candidate(choices: Choices) -> None:
    for _, choice in choices:
        bound = choice.bound
        assert bound is not None
        for candidate in choice.candidates:
            assert candidate.evaluation.expected_value <= bound.value + 1e-6
            assert bound.candidate_means[candidate.label] <= bound.value + 1e-6


def test_a_tightened_future_never_loosens_the_nominal_scenario() -> None:
    scenario, _ = with_futures(1)
    late = Future(
        "late",
        1.0,
        zone_falls=tuple((z.name, z.unsafe_from + timedelta(hours=3)) for z in scenario.zones),
        crossing_windows=tuple(
            (
                c.node,
                tuple(
                    Window(w.open, w.close + timedelta(hours=5), w.capacity * 2) for w in c.windows
                ),
            )
            for c in scenario.crossings
        ),
    )
    world = tightened(scenario, late)
    assert world.node_unsafe_step == scenario.node_unsafe_step
    assert world.crossings == scenario.crossings


def test_cvar_risk_chooses_by_the_worst_tenth() -> None:
    scenario, uncertainty = with_futures(2)
    choice = choose_robust_plan(scenario, uncertainty, risk=Risk.CVAR)
    assert choice.chosen.evaluation.cvar == max(c.evaluation.cvar for c in choice.candidates)
