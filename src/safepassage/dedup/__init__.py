"""Deduplication of the registry: transliteration keys, candidate pairs, their evaluation.

The same person registered twice is rarely written the same way twice, in Arabic script or in
Latin letters; finding such pairs is the first step of review and merging (which stay human).
"""

from safepassage.dedup.evaluation import Evaluation, evaluate, transitive_pairs
from safepassage.dedup.matching import (
    CandidatePair,
    DedupRecord,
    MatchingRun,
    blocking_rules,
    document_number_key,
    find_candidates,
    memory_only_connection,
    phone_key,
    run_matching,
)
from safepassage.dedup.transliteration import (
    NameKeys,
    arabic_keys,
    arabic_tokens,
    keys_of_names,
    latin_keys,
    latin_tokens,
    name_keys,
    set_key,
    token_key,
)

__all__ = [
    "CandidatePair",
    "DedupRecord",
    "Evaluation",
    "MatchingRun",
    "NameKeys",
    "arabic_keys",
    "arabic_tokens",
    "blocking_rules",
    "document_number_key",
    "evaluate",
    "find_candidates",
    "keys_of_names",
    "latin_keys",
    "latin_tokens",
    "memory_only_connection",
    "name_keys",
    "phone_key",
    "run_matching",
    "set_key",
    "token_key",
    "transitive_pairs",
]
