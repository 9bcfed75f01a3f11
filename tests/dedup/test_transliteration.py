"""Spellings of one name fall under one key, in Latin letters and in Arabic script alike."""

from __future__ import annotations

import pytest

from safepassage.dedup.transliteration import (
    arabic_tokens,
    keys_of_names,
    latin_tokens,
    name_keys,
    set_key,
    token_key,
)
from safepassage.synthetic.names import FAMILY, FEMALE_GIVEN, MALE_GIVEN, passport_latin

SAME_NAME = [
    ["Mohammad", "Muhammad", "Mohamed", "Mohamad", "Mohammed", "MOHAMMAD", "محمد", "مُحَمَّد"],
    ["Abdulrahman", "Abd al-Rahman", "Abdel Rahman", "ABD AL RAHMAN", "Abdurrahman", "عبد الرحمن"],
    ["عبدالرحمن", "Abdul Rahman", "Abd ar-Rahman"],
    ["Abdullah", "Abdallah", "Abd Allah", "Abdulla", "عبد الله", "عبدالله"],
    ["al-Hariri", "El Hariri", "EL-HARIRI", "AL HARIRI", "Hariri", "الحريري", "حريري"],
    ["Yousef", "Youssef", "Yusuf", "Yousif", "يوسف"],
    ["Hussein", "Husain", "Hussain", "Hossein", "حسين"],
    ["Khaled", "Khalid", "Haled", "خالد"],
    ["Qasem", "Kasem", "Gasem", "Qasim", "قاسم"],
    ["Nour al-Din", "Noureddine", "Nuruddin", "نور الدين"],
    ["Abu Zeid", "Abazeid", "أبو زيد", "أبازيد"],
    ["Fatima", "Fatimah", "فاطمة", "فاطمه"],
    ["Mustafa", "Mostafa", "مصطفى", "مصطفي"],
    ["Ibrahim", "Ibraheem", "إبراهيم", "ابراهيم"],
    ["Reem", "Rim", "ريم"],
    ["Shadi", "Chadi", "شادي"],
    ["Jamal", "Djamal", "جمال"],
]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda spellings: spellings[0])
def test_spellings_of_one_name_share_a_key(spellings: list[str]) -> None:
    keys = {name_keys(spelling).keys for spelling in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(
    ("one", "other"),
    [("Khaled", "Walid"), ("Ahmad", "Mohammad"), ("Omar", "Ali"), ("Samer", "Maher")],
)
def test_different_names_keep_apart(one: str, other: str) -> None:
    assert token_key(one) != token_key(other)


def test_every_synthetic_name_has_one_key_in_both_scripts() -> None:
    for table in (MALE_GIVEN, FEMALE_GIVEN, FAMILY):
        for arabic, latin in table:
            assert name_keys(arabic).keys == name_keys(passport_latin(latin)).keys, latin


def test_a_full_name_splits_into_given_middle_and_family() -> None:
    keys = name_keys("MOHAMMAD ABDULRAHMAN AL HARIRI")
    assert keys.forms == ("mohammad", "abdulrahman", "hariri")
    assert (keys.given, keys.middle, keys.family) == ("MHMD", ("ABDRHMN",), "HR")
    assert name_keys("محمد عبد الرحمن الحريري").keys == keys.keys


def test_forms_fold_case_accents_diacritics_and_spelling_variants() -> None:
    assert latin_tokens("Muḥammad  al-Ḥarīrī") == ("muhammad", "hariri")
    assert arabic_tokens("أَحْمَد") == arabic_tokens("احمد") == ("احمد",)
    assert arabic_tokens("مصطفى") == arabic_tokens("مصطفي")
    assert arabic_tokens("فاطمة") == arabic_tokens("فاطمه")


def test_order_does_not_matter_to_the_set_key() -> None:
    one = name_keys("AL HARIRI MOHAMMAD AHMAD").keys
    other = name_keys("Muhammad Ahmed el-Hariri").keys
    assert one != other
    assert set_key(one) == set_key(other)


def test_a_name_with_no_letters_has_no_keys() -> None:
    assert name_keys("").keys == ()
    assert name_keys(" - ").keys == ()
    assert name_keys("").given is None
    assert name_keys("AHMAD").family is None


def test_many_names_at_once_give_what_one_at_a_time_gives() -> None:
    names = ["Mohammad Ahmad", "محمد أحمد", "Mohammad Ahmad", ""]
    assert keys_of_names(names) == [name_keys(name) for name in names]
