"""Keys under which the spellings of one Arabic name fall together, in either script.

A person registered twice is rarely written the same way twice: Mohammad, Muhammad, Mohamed and
محمد are one name; Abdulrahman, Abd al-Rahman and Abdel Rahman are one name; al-Hariri, El Hariri
and الحريري are one family. Transliteration varies mostly in the vowels (Arabic does not write
short vowels; every Latin scheme guesses them differently), in doubled letters, in the article and
in a few consonants that have no single Latin letter (kh, q, gh, dh, th, sh, ayn, hamza).

So the key of a name token is its *consonant skeleton*: vowels, hamza and ayn dropped, letters
folded into classes that transliterations confuse (q/k/g, kh/h, dh/z, ...), repeats collapsed,
the article removed, compound names (Abd ..., Abu ..., ... al-Din) joined into one token. Arabic
script maps onto the same classes, so a Latin and an Arabic rendering of a name usually give
the same key. Keys are coarse on purpose (Hasan and Hussein share one): they are for blocking
and for one level of evidence; the exact forms (:func:`latin_tokens`, :func:`arabic_tokens`)
stay available for finer comparison.

Everything here is a pure function of its input; the per-token work is cached, because a
registry of a hundred thousand people uses a few thousand distinct name tokens.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

VOWEL_MARK = "A"
"""Written for a token that begins with a vowel, hamza or ayn, so that Ali/علي (``AL``) keeps
apart from Lulu (``L``); medial vowels leave no trace."""

LATIN_ARTICLES = frozenset(
    (
        "al",
        "el",
        "ul",
        "il",
        "ad",
        "ed",
        "an",
        "en",
        "ar",
        "er",
        "as",
        "es",
        "ash",
        "esh",
        "at",
        "et",
        "az",
        "ez",
        "ath",
        "adh",
    )
)
"""The article written as its own token (hyphens count as spaces), plain or assimilated to a
following sun letter (ash-Shami, ad-Din, ar-Rahman)."""

LATIN_JOINING = frozenset(
    ("abd", "abu", "abou", "abo", "bin", "ben", "ibn", "bint", "bani", "beni")
)
"""First parts of compound names: Abd al-Rahman is one given name, Abu Zeid one family name."""

LATIN_DIN = frozenset(
    ("din", "deen", "dine", "eddin", "eddine", "uddin", "uddeen", "addin", "aldin")
)
"""Second parts of ``... al-Din`` names (Nour al-Din, Noureddine, Salah Uddin)."""

_ABD_PREFIX = re.compile(r"^abd(?:[aeiou]{1,2}l(?=[a-z]{2})|[aeiou]{1,2}(?=([a-z])\1))?")
"""Abdul-, Abdel-, Abdal-, Abdu(r)r-: the article glued inside a compound with Abd."""

_ABD_ALONE = re.compile(r"abd(?:[aeiou]{1,2}l)?")
"""Abd, Abdul, Abdel written apart from the rest of the name (Abdul Rahman)."""

_LATIN_DIGRAPHS = (
    ("sch", "X"),
    ("sh", "X"),
    ("ch", "X"),
    ("kh", "H"),
    ("gh", "K"),
    ("ph", "F"),
    ("dj", "J"),
    ("ck", "K"),
)
_LATIN_CLASS = str.maketrans(
    {
        "b": "B",
        "p": "B",
        "t": "T",
        "d": "D",
        "j": "J",
        "h": "H",
        "r": "R",
        "z": "Z",
        "s": "S",
        "c": "K",
        "k": "K",
        "q": "K",
        "g": "K",
        "f": "F",
        "v": "F",
        "l": "L",
        "m": "M",
        "n": "N",
        "x": "KS",
    }
)

ALEF = "\u0627"
HEH = "\u0647"
"""Written as escapes: on their own they look like the Latin l and o."""

ARABIC_ARTICLE = "ال"
ARABIC_ABD = "عبد"
ARABIC_ABD_JOINED = ARABIC_ABD + ARABIC_ARTICLE
ARABIC_JOINING = frozenset(("عبد", "ابو", "ابن", "بن", "بنت", "بني"))
ARABIC_DIN = "دين"

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
"""Harakat, shadda, sukun, superscript alef, Quranic marks and the tatweel: optional in writing,
so they must not make two spellings differ."""

_ARABIC_ORTHOGRAPHY = str.maketrans(
    {
        "أ": ALEF,
        "إ": ALEF,
        "آ": ALEF,
        "ٱ": ALEF,
        "ة": HEH,
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",
        "ک": "ك",
        "گ": "ك",
        "پ": "ب",
        "چ": "ج",
        "ژ": "ز",
    }
)
"""Spellings that Arabic writers themselves interchange: hamza seats, taa marbuta written as haa,
alef maqsura written as yaa, Persian letter forms."""

_ARABIC_CLASS = {
    "ب": "B",
    "ت": "T",
    "ث": "TH",
    "ج": "J",
    "ح": "H",
    "خ": "H",
    "د": "D",
    "ذ": "Z",
    "ر": "R",
    "ز": "Z",
    "س": "S",
    "ش": "X",
    "ص": "S",
    "ض": "D",
    "ط": "T",
    "ظ": "Z",
    "غ": "K",
    "ف": "F",
    "ق": "K",
    "ك": "K",
    "ل": "L",
    "م": "M",
    "ن": "N",
    HEH: "H",
}
"""Arabic consonants onto the classes the Latin letters fold into: th stays T+H as Latin writes
it, the emphatic consonants join their plain ones, ghayn joins q/k/g."""

_ARABIC_VOWEL_START = frozenset("اءع")
_ARABIC_LETTERS = re.compile("[\u0621-\u064a]+")
_LATIN_LETTERS = re.compile("[a-z]+")


@dataclass(frozen=True, slots=True)
class NameKeys:
    """One name split into its parts, as spelled (``forms``) and as skeleton keys (``keys``).

    The first part is the given name and the last the family name when the name is written in
    the usual order; nothing here can tell when it is not, which is why matching also compares
    the parts regardless of position.
    """

    forms: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def given(self) -> str | None:
        return self.keys[0] if self.keys else None

    @property
    def family(self) -> str | None:
        return self.keys[-1] if len(self.keys) > 1 else None

    @property
    def middle(self) -> tuple[str, ...]:
        return self.keys[1:-1]


def latin_tokens(name: str) -> tuple[str, ...]:
    """The parts of a Latin-script name, lower case ASCII, articles gone, compounds joined."""
    return _latin_tokens(name)


def arabic_tokens(name: str) -> tuple[str, ...]:
    """The parts of an Arabic-script name, diacritics and spelling variants folded, articles gone,
    compounds joined."""
    return _arabic_tokens(name)


def latin_keys(name: str) -> NameKeys:
    tokens = _latin_tokens(name)
    return NameKeys(tokens, tuple(_latin_skeleton(token) for token in tokens))


def arabic_keys(name: str) -> NameKeys:
    tokens = _arabic_tokens(name)
    return NameKeys(tokens, tuple(_arabic_skeleton(token) for token in tokens))


def name_keys(name: str) -> NameKeys:
    """Keys of a name in either script: a name with any Arabic letter is read as Arabic."""
    return arabic_keys(name) if _ARABIC_LETTERS.search(name) else latin_keys(name)


def token_key(token: str) -> str:
    """The skeleton key of a single word, in either script (no compound joining)."""
    if _ARABIC_LETTERS.search(token):
        forms = _arabic_tokens(token)
        return _arabic_skeleton(forms[0]) if forms else ""
    forms = _latin_tokens(token)
    return _latin_skeleton(forms[0]) if forms else ""


def keys_of_names(names: Iterable[str]) -> list[NameKeys]:
    """:func:`name_keys` over many names; names repeat, so each distinct one is worked once."""
    return [_cached_name_keys(name) for name in names]


def set_key(keys: Sequence[str]) -> str:
    """The parts of a name regardless of order: equal for FAMILY GIVEN FATHER and
    GIVEN FATHER FAMILY."""
    return " ".join(sorted(set(keys)))


@lru_cache(maxsize=1 << 18)
def _cached_name_keys(name: str) -> NameKeys:
    return name_keys(name)


@lru_cache(maxsize=1 << 16)
def _latin_tokens(name: str) -> tuple[str, ...]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = _LATIN_LETTERS.findall(folded.replace("'", "").replace("`", ""))
    tokens: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        rest = words[index + 1 :]
        if word in LATIN_ARTICLES and (rest or tokens):
            index += 1
            continue
        if (word in LATIN_JOINING or _ABD_ALONE.fullmatch(word)) and rest:
            follow = 1 + (rest[0] in LATIN_ARTICLES and len(rest) > 1)
            tokens.append(word + _strip_latin_article(rest[follow - 1]))
            index += 1 + follow
            continue
        if tokens and word in LATIN_DIN:
            tokens[-1] += "din"
            index += 1
            continue
        tokens.append(word)
        index += 1
    return tuple(tokens)


def _strip_latin_article(word: str) -> str:
    """The second part of a compound without a glued article: Abd Allah is Abd + lah, like
    Abdullah and عبد الله."""
    for article in ("al", "el", "ul"):
        if word.startswith(article) and len(word) > len(article) + 1:
            return word[len(article) :]
    return word


@lru_cache(maxsize=1 << 16)
def _latin_skeleton(token: str) -> str:
    if not token:
        return ""
    word = _ABD_PREFIX.sub("abd", token, count=1) if token.startswith("abd") else token
    word = re.sub(r"(?:^dh|dh$)", "z", word)
    for digraph, cls in _LATIN_DIGRAPHS:
        word = word.replace(digraph, cls)
    head = VOWEL_MARK if word[0] in "aeiou" else ""
    if word[0] in "wy":
        head, word = word[0].upper(), word[1:]
    consonants = word.translate(_LATIN_CLASS)
    return _collapse(head + "".join(ch for ch in consonants if ch.isupper()))


@lru_cache(maxsize=1 << 16)
def _arabic_tokens(name: str) -> tuple[str, ...]:
    text = _TASHKEEL.sub("", unicodedata.normalize("NFC", name)).translate(_ARABIC_ORTHOGRAPHY)
    words = _ARABIC_LETTERS.findall(text)
    tokens: list[str] = []
    index = 0
    while index < len(words):
        word = _strip_arabic_article(words[index])
        if word.startswith(ARABIC_ABD_JOINED) and len(word) > len(ARABIC_ABD_JOINED) + 1:
            word = ARABIC_ABD + word[len(ARABIC_ABD_JOINED) :]
        if word in ARABIC_JOINING and index + 1 < len(words):
            tokens.append(word + _strip_arabic_article(words[index + 1]))
            index += 2
            continue
        if tokens and word == ARABIC_DIN:
            tokens[-1] += word
            index += 1
            continue
        tokens.append(word)
        index += 1
    return tuple(token for token in tokens if token)


def _strip_arabic_article(word: str) -> str:
    """Without the article, which Arabic always joins to the word (الحريري, الله)."""
    if word.startswith(ARABIC_ARTICLE) and len(word) > len(ARABIC_ARTICLE) + 1:
        return word[len(ARABIC_ARTICLE) :]
    return word


@lru_cache(maxsize=1 << 16)
def _arabic_skeleton(token: str) -> str:
    if not token:
        return ""
    head = ""
    body = token
    if token[0] in _ARABIC_VOWEL_START:
        head = VOWEL_MARK
    elif token[0] == "و":
        head, body = "W", token[1:]
    elif token[0] == "ي":
        head, body = "Y", token[1:]
    return _collapse(head + "".join(_ARABIC_CLASS.get(letter, "") for letter in body))


def _collapse(skeleton: str) -> str:
    """Doubled letters once (Mohammad/Mohamad, shadda never written), and no final H: ة is
    written -a, -ah or -eh, and a final h after a vowel is as often left out as written."""
    collapsed = re.sub(r"(.)\1+", r"\1", skeleton)
    return collapsed[:-1] if len(collapsed) > 1 and collapsed.endswith("H") else collapsed
