"""A SYNTHETIC registry of Latin-script registrations typed from paper, with duplicates planted.

The first generator (:mod:`safepassage.synthetic.duplicates`) knows the registry it was built
for: Arabic names in two scripts, households, transliteration variants. A deduplication tuned on
it alone may learn that registry rather than duplicates. This one is built the way public
record-linkage benchmarks are (FEBRL, the North Carolina voter files): names of many origins in
Latin letters only, no households, and each duplicate a copy of an original with errors put in
field by field: keyboard typos (a neighbouring key), OCR confusions (rn/m, cl/d, l/i, 0/O),
letters dropped, doubled or transposed; given and family names swapped; a name part, the date of
birth, the document or the phone left out; a digit of the date, the document or the phone
changed or two transposed; day and month swapped; the year off by one; the place changed.

Originals carry a full date of birth, an identity document (most of them), a phone (most of
them), sex and a place. All random draws are made up front with numpy from the seed, so a
registry regenerates byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safepassage.dedup.matching import DedupRecord

_GIVEN_NAMES = (
    "james john robert michael william david richard joseph thomas charles daniel matthew "
    "anthony mark paul steven andrew joshua kevin brian george timothy ronald jason edward "
    "jacob ryan gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel "
    "gregory alexander patrick frank raymond jack dennis jerry tyler aaron jose adam nathan "
    "henry peter zachary douglas harold kyle noah carl arthur gerald roger keith jeremy lawrence "
    "sean christian albert joe ethan austin jesse willie billy bryan bruce jordan ralph roy "
    "mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty "
    "sandra margaret ashley kimberly emily donna michelle carol amanda melissa deborah "
    "stephanie dorothy rebecca sharon laura cynthia amy kathleen angela shirley brenda emma "
    "anna pamela nicole samantha katherine christine helen debra rachel carolyn janet maria "
    "catherine heather diane olivia julie joyce victoria ruth virginia lauren kelly christina "
    "joan evelyn judith andrea hannah megan cheryl jacqueline martha madison teresa gloria "
    "sara janice ann kathryn abigail sophia frances jean alice judy isabella julia grace amber "
    "denise danielle marilyn beverly charlotte natalie theresa diana brittany doris kayla "
    "alexis lori marie ahmed fatima ali aisha omar leila yusuf amina ivan olga dmitri natasha "
    "pierre sophie jean luc marco giulia lukas lena jan anja pedro lucia chen wei mei kenji "
    "yuki amir nadia hassan zainab tariq samira"
)
GIVEN_NAMES = tuple(_GIVEN_NAMES.split())

_FAMILY_ROOTS = (
    "smith john william brown jones miller davis garcia rodrigu wilson martin anders taylor "
    "thomas moore jackson white harris clark lewis robin walker young allen king wright scott "
    "hill green adams baker nelson carter mitchell roberts turner phillips campbell parker "
    "evans edwards collins stewart morris murphy cook rogers morgan peters cooper reed bailey "
    "bell kelly howard ward cox richard wood watson brooks bennett gray hughes price sanders "
    "myers long ross foster powell jenkins perry russell sullivan fisher hender cole west "
    "jordan owens reyn fernan mcdon marsh kowal nowak petro ivanov schmidt schneider weber "
    "becker hoffman schulz koch richter klein wolf neumann braun zimmer kruger hartman lange "
    "haddad khoury nasser saleh rahman hussein karim aziz farah mansour"
)
FAMILY_ROOTS = tuple(_FAMILY_ROOTS.split())

FAMILY_ENDINGS = ("", "", "", "s", "son", "er", "ez", "ski", "ov", "mann", "ton", "ley", "berg")
"""Roots and endings combine into about 1,700 family names: common and rare ones, and
near-namesakes (Peters, Peterson, Petersen) that a typo can turn into each other."""

PLACES = tuple(f"town-{number:03d}" for number in range(1, 201))
COUNTRIES = ("SYR", "SYR", "SYR", "JOR", "LBN", "TUR", "IRQ", "XXA")

DUPLICATE_SHARE = 0.2
EXTRA_COPIES = 0.3
"""Share of persons registered again, and of those the share registered a third (and, by the
same chance again, a fourth...) time."""

ORIGINAL_DOCUMENT = 0.8
ORIGINAL_PHONE = 0.7
ORIGINAL_SEX = 0.95
"""Of the originals: a document, a phone, a recorded sex."""

ERRORS_PER_DUPLICATE = (0.35, 0.4, 0.25)
"""Chance that a duplicate carries 1, 2 or 3 errors, each drawn from :data:`ERRORS` (public
benchmarks cap a record at a few modifications too)."""

ERRORS = (
    ("given typo", 0.16),
    ("family typo", 0.16),
    ("given missing", 0.04),
    ("family missing", 0.04),
    ("names swapped", 0.05),
    ("date digit", 0.08),
    ("date transposed", 0.04),
    ("day month swapped", 0.03),
    ("year off", 0.04),
    ("date missing", 0.05),
    ("document digit", 0.06),
    ("document missing", 0.06),
    ("phone digit", 0.04),
    ("phone missing", 0.05),
    ("place changed", 0.04),
    ("sex missing", 0.02),
)
"""Kinds of error and their relative frequency (normalised)."""

KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
OCR_CONFUSIONS = (
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("d", "cl"),
    ("l", "i"),
    ("i", "l"),
    ("o", "0"),
    ("vv", "w"),
    ("w", "vv"),
    ("e", "c"),
    ("h", "b"),
    ("u", "v"),
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_DRAWS = 6


@dataclass(frozen=True)
class TypedRegistry:
    """The records, originals first, and the truth as ``(original id, copy id)`` pairs."""

    records: tuple[DedupRecord, ...]
    truth: tuple[tuple[str, str], ...]


def generate_typed_registry(persons: int, *, seed: int) -> TypedRegistry:
    """``persons`` originals and their duplicates (:data:`DUPLICATE_SHARE` of them copied)."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    rng = np.random.default_rng(seed)
    families = [root + ending for root in FAMILY_ROOTS for ending in FAMILY_ENDINGS]
    family_weights = _zipf(len(families), rng)
    given_weights = _zipf(len(GIVEN_NAMES), rng)
    given = rng.choice(len(GIVEN_NAMES), persons, p=given_weights)
    family = rng.choice(len(families), persons, p=family_weights)
    days = rng.integers(0, 365 * 85, persons)  # born 1935 to 2019
    births = (np.datetime64("1935-01-01") + days.astype("timedelta64[D]")).astype(str)
    sexes = np.where(rng.random(persons) < 0.5, "F", "M")
    has_sex = rng.random(persons) < ORIGINAL_SEX
    document = rng.random(persons) < ORIGINAL_DOCUMENT
    countries = rng.integers(0, len(COUNTRIES), persons)
    numbers = rng.integers(10**7, 10**8, persons)
    letters = rng.integers(0, 26, persons)
    phone = rng.random(persons) < ORIGINAL_PHONE
    phones = rng.integers(10**8, 10**9, persons)
    places = rng.integers(0, len(PLACES), persons)

    width = len(str(persons))
    originals = [
        DedupRecord(
            id=f"P{index:0{width}d}",
            name_arabic="",
            name_latin=f"{GIVEN_NAMES[given[index]]} {families[family[index]]}".upper(),
            birth_year=int(births[index][:4]),
            birth_date=str(births[index]),
            sex=str(sexes[index]) if has_sex[index] else "",
            household_id=f"P{index:0{width}d}",
            place=PLACES[places[index]],
            documents=(
                (
                    (
                        COUNTRIES[countries[index]],
                        f"{_LETTERS[letters[index]].upper()}{numbers[index]}",
                    ),
                )
                if document[index]
                else ()
            ),
            phone=f"+9639{phones[index]}" if phone[index] else "",
        )
        for index in range(persons)
    ]

    copied = np.flatnonzero(rng.random(persons) < DUPLICATE_SHARE)
    copies = 1 + rng.geometric(1 - EXTRA_COPIES, len(copied)) - 1
    sources = np.repeat(copied, copies)
    error_counts = 1 + rng.choice(
        len(ERRORS_PER_DUPLICATE), len(sources), p=np.array(ERRORS_PER_DUPLICATE)
    )
    kinds = np.array([weight for _, weight in ERRORS])
    picked = [
        rng.choice(len(ERRORS), count, replace=False, p=kinds / kinds.sum()).tolist()
        for count in error_counts.tolist()
    ]
    draws = rng.random((len(sources), len(ERRORS), _DRAWS))
    new_places = rng.integers(0, len(PLACES), len(sources))

    copy_width = len(str(len(sources)))
    records = list(originals)
    truth: list[tuple[str, str]] = []
    for index, source in enumerate(sources.tolist()):
        record = _with_errors(
            originals[source],
            [ERRORS[kind][0] for kind in picked[index]],
            draws[index],
            PLACES[new_places[index]],
        )
        copy_id = f"C{index:0{copy_width}d}"
        records.append(_renamed(record, copy_id))
        truth.append((originals[source].id, copy_id))
    return TypedRegistry(tuple(records), tuple(truth))


def _zipf(count: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Name frequencies as in real populations: a few very common, a long tail."""
    weights: npt.NDArray[np.float64] = 1 / np.arange(1, count + 1) ** 0.9
    rng.shuffle(weights)
    shares: npt.NDArray[np.float64] = weights / float(weights.sum())
    return shares


def _renamed(record: DedupRecord, new_id: str) -> DedupRecord:
    return DedupRecord(
        new_id,
        record.name_arabic,
        record.name_latin,
        record.birth_year,
        record.birth_date,
        record.sex,
        new_id,
        record.place,
        record.documents,
        record.phone,
    )


def _with_errors(
    original: DedupRecord, errors: list[str], draws: np.ndarray, new_place: str
) -> DedupRecord:
    given, family = original.name_latin.lower().split(" ", 1)
    date = original.birth_date
    documents, phone = original.documents, original.phone
    sex, place = original.sex, original.place
    for slot, error in enumerate(errors):
        draw = draws[slot].tolist()
        if error == "given typo":
            given = _typo(given, draw)
        elif error == "family typo":
            family = _typo(family, draw)
        elif error == "given missing":
            given = ""
        elif error == "family missing":
            family = ""
        elif error == "names swapped":
            given, family = family, given
        elif error == "date digit" and date:
            date = _date_or(date, _digit_changed(date.replace("-", ""), draw))
        elif error == "date transposed" and date:
            date = _date_or(date, _transposed(date.replace("-", ""), draw))
        elif error == "day month swapped" and date:
            date = _date_or(date, date[:4] + date[8:] + date[5:7])
        elif error == "year off" and date:
            shifted = int(date[:4]) + (1 if draw[0] < 0.5 else -1)
            date = _date_or(date, f"{shifted}{date[5:7]}{date[8:]}")
        elif error == "date missing":
            date = None
        elif error == "document digit" and documents:
            country, number = documents[0]
            changed = number[0] + _digit_changed(number[1:], draw)
            if draw[3] < 0.5:
                changed = number[0] + _transposed(number[1:], draw)
            documents = ((country, changed),)
        elif error == "document missing":
            documents = ()
        elif error == "phone digit" and phone:
            phone = "+" + _digit_changed(phone[1:], draw)
        elif error == "phone missing":
            phone = ""
        elif error == "place changed":
            place = new_place
        elif error == "sex missing":
            sex = ""
    name = " ".join(part for part in (given, family) if part).upper()
    if not name:
        name = original.name_latin
    year = int(date[:4]) if date else None
    return DedupRecord(
        original.id, "", name, year, date, sex, original.household_id, place, documents, phone
    )


def _typo(word: str, draw: list[float]) -> str:
    """One keyboard or OCR error: a neighbouring key, a confusion, a letter dropped, doubled
    or two transposed."""
    if len(word) < 2:
        return word
    at = int(draw[1] * len(word))
    kind = draw[0]
    if kind < 0.3:
        return word[:at] + _neighbour(word[at], draw[2]) + word[at + 1 :]
    if kind < 0.45:
        applicable = [pair for pair in OCR_CONFUSIONS if pair[0] in word]
        if applicable:
            wrong, right = applicable[int(draw[2] * len(applicable))]
            return word.replace(wrong, right, 1)
        return word[:at] + word[at + 1 :]
    if kind < 0.65:
        return word[:at] + word[at + 1 :]
    if kind < 0.8:
        return word[:at] + word[at] + word[at:]
    at = min(at, len(word) - 2)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def _neighbour(letter: str, draw: float) -> str:
    for row in KEYBOARD:
        if letter in row:
            at = row.index(letter)
            options = [row[i] for i in (at - 1, at + 1) if 0 <= i < len(row)]
            return options[int(draw * len(options))]
    return letter


def _digit_changed(digits: str, draw: list[float]) -> str:
    at = int(draw[1] * len(digits))
    new = str((int(digits[at]) + 1 + int(draw[2] * 9)) % 10)
    return digits[:at] + new + digits[at + 1 :]


def _transposed(digits: str, draw: list[float]) -> str:
    at = int(draw[4] * (len(digits) - 1))
    return digits[:at] + digits[at + 1] + digits[at] + digits[at + 2 :]


LATEST_YEAR = 2025


def _date_or(date: str, digits: str) -> str:
    """The changed date if it is still a calendar date of a living person (a form refuses
    others), else the date unchanged."""
    text = f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    try:
        day = np.datetime64(text)
    except ValueError:
        return date
    if not np.datetime64("1900-01-01") <= day <= np.datetime64(f"{LATEST_YEAR}-12-31"):
        return date
    return text
