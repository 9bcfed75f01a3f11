"""Which household may go to which pledge: every hard rule as a reason a pair is blocked.

The rules are evaluated once for all pairs, vectorised, into one bit mask per pair, so the
solver works over eligible pairs only and an explanation can name every rule a pair breaks, not
just the first one found. Capacities are not here: they bind a pledge's households together,
not one pair, and are the solver's business.
"""

from __future__ import annotations

import functools
from enum import IntFlag

import numpy as np
import numpy.typing as npt

from safepassage.matching.model import MatchingProblem, OverrideKind, VettingStatus

BlockArray = npt.NDArray[np.uint16]

_NO_DATE = np.iinfo(np.int64).max
_CHUNK = 8192
"""Households per slice when a whole-matrix temporary would be hundreds of megabytes."""


class Block(IntFlag):
    FORBIDDEN = 1
    REFUSED = 2
    PENDING = 4
    NOT_VETTED = 8
    TOO_LARGE = 16
    OVER_PLEDGE = 32
    MEDICAL = 64
    DEADLINE = 128
    RELATIVES = 256
    PACING = 512


REASONS: dict[Block, str] = {
    Block.FORBIDDEN: "forbidden by an override",
    Block.REFUSED: "vetting refused",
    Block.PENDING: "vetting pending (a pair is blocked until it is cleared)",
    Block.NOT_VETTED: "not vetted by a host that requires vetting",
    Block.TOO_LARGE: "household larger than the pledge's largest household size",
    Block.OVER_PLEDGE: "household larger than the whole pledge",
    Block.MEDICAL: "more medical needs than the pledge's medical places",
    Block.DEADLINE: "household ready only after the pledge's deadline",
    Block.RELATIVES: "relatives live in another pledged country (relatives are a hard rule)",
    Block.PACING: "household larger than the places open to its arrival batch",
}


def reasons(flags: int) -> list[str]:
    """Every rule the pair breaks, in a fixed order, as words."""
    return list(_reasons(int(flags)))


@functools.lru_cache(maxsize=1 << 12)
def _reasons(flags: int) -> tuple[str, ...]:
    """Cached: explaining 100,000 households asks for the same few combinations again and
    again, and each test of an ``IntFlag`` costs microseconds."""
    return tuple(text for block, text in REASONS.items() if flags & block)


def blocked_pairs(problem: MatchingProblem) -> BlockArray:
    """A households x pledges matrix of :class:`Block` flags; 0 is an eligible pair."""
    households, pledges = problem.households, problem.pledges
    rows, columns = len(households), len(pledges)
    size = np.array([h.size for h in households], dtype=np.int64)
    medical = np.array([h.medical for h in households], dtype=np.int64)
    batch = np.array([h.batch for h in households], dtype=np.int64)
    ready = np.array(
        [h.ready.toordinal() if h.ready else -_NO_DATE for h in households], dtype=np.int64
    )
    largest = np.array(
        [p.max_household_size if p.max_household_size is not None else _NO_DATE for p in pledges],
        dtype=np.int64,
    )
    places = np.array([p.places_persons for p in pledges], dtype=np.int64)
    no_households = np.array([p.places_households == 0 for p in pledges], dtype=bool)
    medical_places = np.array([p.medical_places for p in pledges], dtype=np.int64)
    deadline = np.array(
        [p.deadline.toordinal() if p.deadline else _NO_DATE for p in pledges], dtype=np.int64
    )
    paced = paced_places(problem)
    blocked = np.zeros((rows, columns), dtype=np.uint16)
    for start in range(0, rows, _CHUNK):
        part = slice(start, min(rows, start + _CHUNK))
        view = blocked[part]
        _mark(view, size[part, None] > largest[None, :], Block.TOO_LARGE)
        _mark(
            view, (size[part, None] > places[None, :]) | no_households[None, :], Block.OVER_PLEDGE
        )
        _mark(view, medical[part, None] > medical_places[None, :], Block.MEDICAL)
        _mark(view, ready[part, None] > deadline[None, :], Block.DEADLINE)
        if paced is not None:
            allowance = paced[:, np.minimum(batch[part], paced.shape[1] - 1)].T
            _mark(view, size[part, None] > allowance, Block.PACING)
    _vetting(problem, blocked)
    if problem.weights.relatives_hard:
        _relatives(problem, blocked)
    for override in problem.overrides:
        if override.kind is OverrideKind.FORBID:
            h = problem.household_index[override.household]
            blocked[h, problem.pledge_index[override.host]] |= Block.FORBIDDEN
    return blocked


def paced_places(problem: MatchingProblem) -> npt.NDArray[np.int64] | None:
    """Pledges x batches: person places open to batches ``0..b`` (floored, never more)."""
    if not problem.pacing:
        return None
    last = max(len(problem.pacing), 1 + max((h.batch for h in problem.households), default=0))
    shares = np.ones(last)
    shares[: len(problem.pacing)] = problem.pacing
    places = np.array([p.places_persons for p in problem.pledges], dtype=np.float64)
    return np.floor(places[:, None] * shares[None, :] + 1e-9).astype(np.int64)


def _vetting(problem: MatchingProblem, blocked: BlockArray) -> None:
    """Country rows first, then pledge rows over them; then what each status blocks."""
    rows, columns = blocked.shape
    status = np.zeros((rows, columns), dtype=np.int8)  # 0: no row
    code = {VettingStatus.CLEARED: 1, VettingStatus.REFUSED: 2, VettingStatus.PENDING: 3}
    pledge_country = np.array(
        [problem.countries.index(p.country) for p in problem.pledges], dtype=np.int64
    )
    by_country = [np.flatnonzero(pledge_country == c) for c in range(len(problem.countries))]
    country_index = {c: i for i, c in enumerate(problem.countries)}
    country_rows: list[tuple[int, int, int]] = []
    pledge_rows: list[tuple[int, int, int]] = []
    for vetting in problem.vetting:
        h = problem.household_index[vetting.household]
        j = problem.pledge_index.get(vetting.host)
        if j is None:
            country_rows.append((h, country_index[vetting.host], code[vetting.status]))
        else:
            pledge_rows.append((h, j, code[vetting.status]))
    if country_rows:
        table = np.array(country_rows, dtype=np.int64)
        for c, members in enumerate(by_country):
            mine = table[table[:, 1] == c]
            if len(mine) and len(members):
                status[mine[:, 0, None], members[None, :]] = mine[:, 2, None]
    if pledge_rows:
        table = np.array(pledge_rows, dtype=np.int64)
        status[table[:, 0], table[:, 1]] = table[:, 2]
    requires = np.array([p.requires_vetting for p in problem.pledges], dtype=bool)
    _mark(blocked, status == code[VettingStatus.REFUSED], Block.REFUSED)
    _mark(blocked, status == code[VettingStatus.PENDING], Block.PENDING)
    _mark(blocked, (status == 0) & requires[None, :], Block.NOT_VETTED)


def _relatives(problem: MatchingProblem, blocked: BlockArray) -> None:
    countries = {c: i for i, c in enumerate(problem.countries)}
    relatives = np.zeros((len(problem.households), len(countries)), dtype=bool)
    for h, household in enumerate(problem.households):
        for country in household.relatives_in:
            if country in countries:
                relatives[h, countries[country]] = True
    pledge_country = np.array([countries[p.country] for p in problem.pledges], dtype=np.int64)
    has_relatives = np.asarray(relatives.any(axis=1), dtype=bool)
    elsewhere = has_relatives[:, None] & ~relatives[:, pledge_country]
    _mark(blocked, elsewhere, Block.RELATIVES)


def _mark(blocked: BlockArray, where: npt.NDArray[np.bool_], block: Block) -> None:
    np.bitwise_or(blocked, np.uint16(block), out=blocked, where=where)
