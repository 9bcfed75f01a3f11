"""The Fellegi-Sunter model that scores a pair of registrations, as Splink comparison levels in
DuckDB SQL over the columns that :mod:`safepassage.dedup.matching` builds.

Every identifying field counts: names (given, father's, family; one-part names too), date of
birth down to the digit (a digit changed, two transposed, day and month swapped), identity
documents with their issuing country, phone, sex, household and place.

Relatives are the trap: brothers share their father's and family name, household, place and
often the family's phone or a parent's passport, and a model that counts those as separate
pieces of evidence takes every pair of brothers born a year apart for one person. So the
household is weighed together with the family and father's names, the phone and the place say
nothing within one household, and the chance that two strangers share a document or a phone is
fixed rather than learnt (a family passport, a family phone), so that neither can outweigh a
different given name and date of birth on its own. What tells a duplicate from a brother is left
to the given name and the date of birth. For the same reason the m probabilities are set, not
learnt (see :func:`settings`).
"""

from __future__ import annotations

from typing import Any

DOCUMENT_SHARED_U = 1e-4
"""Chance taken that two different people show the same document number: children written into
a parent's passport, a family card. Learnt from random pairs it would be near zero, and one
shared number would then outweigh everything else."""

PHONE_SHARED_U = 1e-3
"""Chance taken that two different people give the same phone: a family shares one, a camp
shares a few."""


def _level(sql: str, label: str, m: float) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m}


def _fixed(sql: str, label: str, m: float, u: float) -> dict[str, Any]:
    return {**_level(sql, label, m), "u_probability": u, "fix_u_probability": True}


def _null(sql: str) -> dict[str, Any]:
    return {"sql_condition": sql, "is_null_level": True}


_ONE_PART = "(single_name_l OR single_name_r)"
_ONE_PART_FOUND = f"{_ONE_PART} AND list_has_any(name_keys_l, name_keys_r)"
"""A registration with a single name part (a given or a family name left out): the part is
looked for anywhere in the other name, since nothing says which part it is."""
_ONE_PART_CLOSE = (
    "(single_name_l AND list_max(list_transform(name_forms_r, "
    "lambda x: jaro_winkler_similarity(x, given_latin_l))) >= 0.9) "
    "OR (single_name_r AND list_max(list_transform(name_forms_l, "
    "lambda x: jaro_winkler_similarity(x, given_latin_r))) >= 0.9)"
)


def _part_levels(part: str, unless: str | None = None) -> list[dict[str, Any]]:
    """Agreement on one name part, strongest first: the same spelling in either script; the same
    key, or one keying error in the Latin spelling, told apart by whether the Arabic spelling
    could have settled it (brothers Jamal and Kamal, Mohammad and Mahmoud differ in Arabic); the
    part found elsewhere in a name written family name first; two keying errors in a long
    Latin spelling.

    A duplicate almost always keeps a part recognisable one way or another; a different part
    is what sets brothers apart, so it must weigh heavily against. Pairs meeting ``unless`` are
    left neutral (the part is weighed elsewhere for them)."""
    latin, arabic, keys = f"{part}_latin", f"{part}_arabic", f"{part}_keys"
    missing = f"{keys}_l IS NULL OR {keys}_r IS NULL" + (f" OR {unless}" if unless else "")
    no_arabic = f"({arabic}_l IS NULL OR {arabic}_r IS NULL)"
    same_key = f"({part}_key_l = {part}_key_r OR list_has_any({keys}_l, {keys}_r))"
    mistyped = f"damerau_levenshtein({latin}_l, {latin}_r) <= 1"
    close = f"jaro_winkler_similarity({latin}_l, {latin}_r) >= 0.9"
    levels = [
        _null(missing),
        _level(f"{latin}_l = {latin}_r OR {arabic}_l = {arabic}_r", "same spelling", 0.77),
    ]
    if part == "given":
        levels.append(_level(_ONE_PART_FOUND, "a one-part name, found in the other", 0.03))
        levels.append(
            _level(_ONE_PART_CLOSE, "a one-part name, close to a part of the other", 0.01)
        )
    return [
        *levels,
        _level(f"{same_key} AND {no_arabic}", "same key, no Arabic to compare", 0.05),
        _level(same_key, "same key, other Arabic spelling", 0.02),
        _level(_ELSEWHERE[part], "where a name written family name first has it", 0.04),
        _level(f"{mistyped} AND {no_arabic}", "one keying error, no Arabic to compare", 0.04),
        _level(f"{close} AND {no_arabic}", "close Latin spelling, no Arabic to compare", 0.03),
        _level("ELSE", "different", 0.02),
    ]


_FAMILY_FIRST_RIGHT = "list_has_any(family_keys_l, given_keys_r)"
_FAMILY_FIRST_LEFT = "list_has_any(family_keys_r, given_keys_l)"
_ELSEWHERE = {
    "given": f"({_FAMILY_FIRST_RIGHT} AND list_has_any(given_keys_l, name_keys_r)) "
    f"OR ({_FAMILY_FIRST_LEFT} AND list_has_any(given_keys_r, name_keys_l))",
    "father": f"({_FAMILY_FIRST_RIGHT} AND list_has_any(father_keys_l, family_keys_r)) "
    f"OR ({_FAMILY_FIRST_LEFT} AND list_has_any(father_keys_r, family_keys_l))",
    "family": f"{_FAMILY_FIRST_RIGHT} OR {_FAMILY_FIRST_LEFT}",
}
"""Where each part of GIVEN FATHER FAMILY lands when the other registration wrote it
FAMILY GIVEN FATHER (or FAMILY GIVEN): the family name in the given name's place, the given
name next, the father's name last."""
_FAMILY_SAME = (
    "family_latin_l = family_latin_r OR family_arabic_l = family_arabic_r "
    "OR family_key_l = family_key_r OR list_has_any(family_keys_l, family_keys_r)"
)
SAME_HOUSEHOLD = "household_id_l = household_id_r"
_FATHER_AGREES = (
    "(father_latin_l = father_latin_r OR father_arabic_l = father_arabic_r "
    "OR list_has_any(father_keys_l, father_keys_r) "
    "OR damerau_levenshtein(father_latin_l, father_latin_r) <= 1 "
    f"OR {_ELSEWHERE['father']})"
)
PLACEHOLDER = "-01-01"
_DAYS_KNOWN = "birth_digits_l IS NOT NULL AND birth_digits_r IS NOT NULL"
_DAY_UNKNOWN = "(birth_digits_l IS NULL OR birth_digits_r IS NULL)"
_SAME_DAY = f"substr(birth_date_l, 6) = substr(birth_date_r, 6) AND {_DAYS_KNOWN}"


def _family_household_levels(households: bool) -> list[dict[str, Any]]:
    """The household weighed together with the family and father's names, because among people
    who are not duplicates they go together: brothers and sisters share all three, so counting
    them apart would count one piece of evidence three times. The father's name is compared on
    its own (:func:`settings`) only across households.

    In a registry without households (every registration alone in its own) no pair shares
    one, so the levels across households carry all the duplicates: their m are scaled up to
    sum to one, or agreeing on the family name would count for less than it is worth."""
    same_family = f"({_FAMILY_SAME} OR {_ELSEWHERE['family']})"
    within = [
        _level(
            f"{SAME_HOUSEHOLD} AND {same_family} AND {_FATHER_AGREES}",
            "same household, family and father",
            0.66,
        ),
        _level(
            f"{SAME_HOUSEHOLD} AND {same_family} "
            "AND (father_keys_l IS NULL OR father_keys_r IS NULL)",
            "same household and family, a father's name missing",
            0.1,
        ),
        _level(f"{SAME_HOUSEHOLD} AND {same_family}", "same household and family", 0.01),
        _level(SAME_HOUSEHOLD, "same household, other family", 0.02),
    ]
    across = [
        _level(_FAMILY_SAME, "other household, same family", 0.17),
        _level(
            f"{_ELSEWHERE['family']} OR damerau_levenshtein(family_latin_l, family_latin_r) <= 1",
            "other household, family elsewhere or mistyped",
            0.03,
        ),
        _level(
            "jaro_winkler_similarity(family_latin_l, family_latin_r) >= 0.9 "
            "AND (family_arabic_l IS NULL OR family_arabic_r IS NULL)",
            "other household, close Latin spelling",
            0.01,
        ),
        _level("ELSE", "different", 0.01),
    ]
    if not households:
        total = sum(level["m_probability"] for level in across)
        for level in across:
            level["m_probability"] /= total
        within = []
    return [_null("family_keys_l IS NULL OR family_keys_r IS NULL"), *within, *across]


def _birth_levels() -> list[dict[str, Any]]:
    """A 1 January date stands for an unknown day (``birth_digits`` is empty for it). A date
    keyed or read wrong differs by a digit changed, two digits transposed, or day and month
    swapped; those come first, before the year-by-year levels, or a typo in the year would
    count as a generation apart. When the year is misremembered the day usually is not, so a
    year apart on different known days is a different person; an age guessed a few years off
    happens, a generation off does not."""
    same_year = "birth_year_l = birth_year_r"
    year_apart = "abs(birth_year_l - birth_year_r) = 1"
    digits = "birth_digits_l, birth_digits_r"
    return [
        _null("birth_year_l IS NULL OR birth_year_r IS NULL"),
        _level("birth_digits_l = birth_digits_r", "same date", 0.56),
        _level(
            f"{same_year} AND {_DAYS_KNOWN} "
            "AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
            "AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
            "day and month swapped",
            0.02,
        ),
        _level(f"levenshtein({digits}) = 1", "one digit changed", 0.05),
        _level(f"damerau_levenshtein({digits}) = 1", "two digits transposed", 0.02),
        _level(f"{same_year} AND {_DAY_UNKNOWN}", "same year, day unknown", 0.2),
        _level(same_year, "same year, other day", 0.01),
        _level(f"{year_apart} AND {_SAME_DAY}", "a year apart, same day", 0.03),
        _level(f"{year_apart} AND {_DAY_UNKNOWN}", "a year apart, day unknown", 0.07),
        _level(year_apart, "a year apart, other day", 0.01),
        _level(
            f"abs(birth_year_l - birth_year_r) <= 5 AND {_DAY_UNKNOWN}",
            "2 to 5 years apart, day unknown",
            0.03,
        ),
        _level("abs(birth_year_l - birth_year_r) <= 5", "2 to 5 years apart", 0.005),
        _level("ELSE", "further apart", 0.005),
    ]


def _document_levels() -> list[dict[str, Any]]:
    """Any document of one registration against any of the other. The same number from
    another issuing country is another document; one character off is a keying error. A
    different number is weak evidence against: people flee with a new passport, an old
    identity card or a family booklet."""
    one_off = (
        "list_min(list_transform(doc_numbers_l, lambda a: list_min(list_transform("
        "doc_numbers_r, lambda b: damerau_levenshtein(a, b))))) <= 1"
    )
    return [
        _null("doc_numbers_l IS NULL OR doc_numbers_r IS NULL"),
        _fixed(
            "list_has_any(doc_ids_l, doc_ids_r) OR list_has_any(doc_uncountried_l, doc_numbers_r) "
            "OR list_has_any(doc_numbers_l, doc_uncountried_r)",
            "same number and country (or a country unknown)",
            0.85,
            DOCUMENT_SHARED_U,
        ),
        _level("list_has_any(doc_numbers_l, doc_numbers_r)", "same number, other country", 0.01),
        _level(one_off, "one character off", 0.06),
        _level("ELSE", "different", 0.08),
    ]


def _phone_levels() -> list[dict[str, Any]]:
    """Said nothing within a household, which shares one phone."""
    return [
        _null(f"phone_key_l IS NULL OR phone_key_r IS NULL OR {SAME_HOUSEHOLD}"),
        _fixed("phone_key_l = phone_key_r", "same", 0.5, PHONE_SHARED_U),
        _level("damerau_levenshtein(phone_key_l, phone_key_r) <= 1", "one digit off", 0.05),
        _level("ELSE", "different", 0.45),
    ]


def _sex_levels() -> list[dict[str, Any]]:
    return [
        _null("sex_l IS NULL OR sex_r IS NULL"),
        _level("sex_l = sex_r", "same", 0.98),
        _level("ELSE", "different", 0.02),
    ]


def _place_levels() -> list[dict[str, Any]]:
    """Where a person registered. In a registry of households the store knows only the
    household's place (where it leaves from), so the place of a person registered again by a
    relative is the relative's: within one household it says nothing more, and across
    households it says where the other household lives, not who the person is, so it is left
    out. Only a registry without households gives each registration a place of its own."""
    return [
        _null(f"place_l IS NULL OR place_r IS NULL OR {SAME_HOUSEHOLD}"),
        _level("place_l = place_r", "same", 0.6),
        _level("ELSE", "different", 0.4),
    ]


def settings(
    *, unseen_u: float, prior: float, blocking_rules: list[Any], households: bool = True
) -> dict[str, Any]:
    """The Splink settings: comparisons, prior and the blocking rules given; ``households``
    says whether any two registrations share one.

    The m probabilities (how often a duplicate registration shows each level) are set here
    rather than learnt: in every block where expectation maximisation could learn them,
    relatives outnumber duplicates and EM takes them for the matching class (tried: it put the
    chance that a duplicate has another given name at 0.43), and variants that block rarely
    catches (written family name first, say) come out with m near zero, which vetoes them.
    A level that no random pair reaches gets ``unseen_u`` until the u are learnt.
    """
    comparisons: list[dict[str, Any]] = [
        {"output_column_name": "given", "comparison_levels": _part_levels("given")},
        {
            "output_column_name": "father",
            "comparison_levels": _part_levels("father", unless=SAME_HOUSEHOLD),
        },
        {
            "output_column_name": "family_household",
            "comparison_levels": _family_household_levels(households),
        },
        {"output_column_name": "birth", "comparison_levels": _birth_levels()},
        {"output_column_name": "document", "comparison_levels": _document_levels()},
        {"output_column_name": "phone", "comparison_levels": _phone_levels()},
        {"output_column_name": "sex", "comparison_levels": _sex_levels()},
    ]
    if not households:
        comparisons.append({"output_column_name": "place", "comparison_levels": _place_levels()})
    for comparison in comparisons:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                level.setdefault("u_probability", unseen_u)
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": blocking_rules,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }
