"""Discrete time as the planning contract defines it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction


@dataclass(frozen=True)
class TimeGrid:
    """Steps of ``step_minutes`` from ``start``; plans live in steps ``0 .. horizon_steps-1``.

    Instants round *down* to the step containing them (a zone falling at 10:07 is lost for the
    whole 10:00 step), durations round *up* (a road never takes less time than it does), so both
    roundings err on the side of safety.
    """

    start: datetime
    step_minutes: int
    horizon_steps: int

    def __post_init__(self) -> None:
        offset = self.start.utcoffset()
        if offset is None:
            raise ValueError("the start instant needs a UTC offset")
        # Steps are real elapsed time: pin a named zone to its offset at the start, so that a
        # daylight-saving change during the operation does not stretch or shrink a step.
        object.__setattr__(self, "start", self.start.astimezone(timezone(offset)))
        if self.step_minutes <= 0:
            raise ValueError("step_minutes must be positive")
        if self.horizon_steps <= 0:
            raise ValueError("horizon_steps must be positive")

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.step_minutes)

    def step_of(self, instant: datetime) -> int:
        """The step containing ``instant`` (negative before ``start``)."""
        return (instant - self.start) // self.step

    def steps_for(self, minutes: Fraction) -> int:
        """Whole steps needed to cover a duration, never fewer than one."""
        return max(1, math.ceil(minutes / self.step_minutes))

    def per_step(self, per_hour: Fraction) -> int:
        """A per-hour rate as whole units per step, at least one (contract rule)."""
        return max(1, math.floor(per_hour * self.step_minutes / 60))

    def instant_of(self, step: int) -> datetime:
        """The instant at which ``step`` begins."""
        return self.start + step * self.step

    def describe(self, step: int) -> str:
        """The start of ``step`` as people write it, in the scenario's own UTC offset."""
        instant = self.instant_of(step)
        offset = instant.strftime("%z")
        return f"{instant:%d %b %Y %H:%M} {offset[:3]}:{offset[3:]}"
