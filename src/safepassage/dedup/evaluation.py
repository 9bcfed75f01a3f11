"""Precision and recall of candidate pairs against known duplicates.

The truth is closed under transitivity: a person registered three times (A, B, C) is three
true pairs, A~B, A~C and B~C, even if only A~B and A~C were recorded, because B and C are the
same person too and a reviewer who is shown B~C should merge them. The found pairs are taken as
they are, not closed: closing them would turn one wrong pair between two clusters into many, and
the review queue shows pairs, not clusters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from safepassage.dedup.matching import CandidatePair

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Evaluation:
    found: int
    true_pairs: int
    true_positives: int

    @property
    def false_positives(self) -> int:
        return self.found - self.true_positives

    @property
    def false_negatives(self) -> int:
        return self.true_pairs - self.true_positives

    @property
    def precision(self) -> float:
        """1.0 when nothing was found: no pair shown to a reviewer was wrong."""
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        """1.0 when there was nothing to find."""
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0


def evaluate(found: Iterable[CandidatePair | Pair], truth: Iterable[Pair]) -> Evaluation:
    """Compare found pairs (in either order, repeats counted once) with the closure of
    ``truth``."""
    true_pairs = transitive_pairs(truth)
    found_pairs = {_ordered(_ids(pair)) for pair in found}
    return Evaluation(len(found_pairs), len(true_pairs), len(found_pairs & true_pairs))


def transitive_pairs(truth: Iterable[Pair]) -> set[Pair]:
    """Every pair within each group of records linked by ``truth`` (union-find)."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in truth:
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for node in parent:
        groups[root(node)].append(node)
    return {
        _ordered(pair)
        for members in groups.values()
        if len(members) > 1
        for pair in combinations(sorted(members), 2)
    }


def _ids(pair: CandidatePair | Pair) -> Pair:
    return (pair.left_id, pair.right_id) if isinstance(pair, CandidatePair) else pair


def _ordered(pair: Pair) -> Pair:
    left, right = pair
    return (left, right) if left <= right else (right, left)
