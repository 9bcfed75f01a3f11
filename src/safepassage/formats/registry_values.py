"""The values of a registry row, each checked with what to write instead; never the value.

Every value here is personal data, so no message repeats one: the row and the column find
the cell. See :mod:`safepassage.formats.registry_rows` for the decisions these carry out.
"""

from __future__ import annotations

import re
from datetime import date

from safepassage.formats.tables import BadValueError, parsers
from safepassage.model.registry import PIPELINE, PartialDate, RiskLevel, Sex, Status

LONGEST_TEXT = 200

# fmt: off
ISO_COUNTRIES = frozenset({
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA",
    "ATF", "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR",
    "BHR", "BHS", "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN",
    "BVT", "BWA", "CAF", "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG",
    "COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU",
    "DJI", "DMA", "DNK", "DOM", "DZA", "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH",
    "FIN", "FJI", "FLK", "FRA", "FRO", "FSM", "GAB", "GBR", "GEO", "GGY", "GHA", "GIB",
    "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY",
    "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN",
    "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM",
    "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO",
    "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX", "MHL",
    "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR",
    "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL",
    "PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU",
    "SDN", "SEN", "SGP", "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM",
    "SRB", "SSD", "STP", "SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA",
    "TCD", "TGO", "THA", "TJK", "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV",
    "TWN", "TZA", "UGA", "UKR", "UMI", "URY", "USA", "UZB", "VAT", "VCT", "VEN", "VGB",
    "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF", "ZMB", "ZWE",
})
"""ISO 3166-1 alpha-3: host countries are states."""
# fmt: on

TRAVEL_DOCUMENT_CODES = ISO_COUNTRIES | {
    "XXA",
    "XXB",
    "XXC",
    "XXX",
    "UNO",
    "UNA",
    "UNK",
    "GBD",
    "GBN",
    "GBO",
    "GBP",
    "GBS",
}
"""Nationalities and issuers also take ICAO 9303's own codes: stateless (XXA), refugees (XXB,
XXC), unspecified (XXX), United Nations documents; many people at risk hold nothing else."""

_SEX = {"m": Sex.MALE, "male": Sex.MALE, "f": Sex.FEMALE, "female": Sex.FEMALE, "x": Sex.UNKNOWN}
_RISKS = {level.value: level for level in RiskLevel}
_STATUSES = {step.value: step for step in PIPELINE}
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_SEPARATORS = re.compile(r"[;\s]+")
_PLACE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_ICAO_NAME = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc\u2018`")
_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9/-]{0,29}")
_PHONE = re.compile(r"\+?[0-9]{6,15}")
_PHONE_PUNCTUATION = str.maketrans("", "", " -().")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL_DATE = re.compile(r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?")

DATE_FORMATS = "YYYY-MM-DD or DD/MM/YYYY"
BIRTH_FORMATS = "YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY"


def identifier(text: str) -> str:
    if len(text) > LONGEST_TEXT or not text.isprintable():
        raise BadValueError(f"is not an identifier: at most {LONGEST_TEXT} printable characters")
    return text


def place_id(text: str) -> str:
    if not _PLACE_ID.fullmatch(text):
        raise BadValueError(
            "is not a place id of the scenario: letters, digits, '-', '_', '.' or ':', "
            "at most 64 characters"
        )
    return text


def place_ids(text: str) -> tuple[str, ...]:
    return tuple(sorted({place_id(item) for item in _SEPARATORS.split(text) if item}))


def host_countries(text: str) -> tuple[str, ...]:
    codes = {item.upper() for item in _SEPARATORS.split(text) if item}
    if not codes <= ISO_COUNTRIES:
        raise BadValueError(
            "lists a code that is not an ISO 3166 alpha-3 country code (SYR, JOR, DEU...): "
            "separate codes with spaces or ';'"
        )
    return tuple(sorted(codes))


def priority(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if number not in (1, 2, 3):
        raise BadValueError("must be 1, 2 or 3 (3 the most urgent), or empty to follow risk")
    return int(number)


def name_arabic(text: str) -> str:
    if _LATIN_LETTER.search(text) or len(text) > LONGEST_TEXT:
        raise BadValueError(
            "is the name in Arabic script and holds Latin letters: put the Latin form in name_icao"
        )
    return " ".join(text.split())


def name_icao(text: str) -> str:
    name = " ".join(text.upper().replace("-", " ").translate(_APOSTROPHES).split())
    if not _ICAO_NAME.fullmatch(name) or len(name) > LONGEST_TEXT:
        raise BadValueError(
            "must be written as in the passport's machine-readable zone: letters A-Z and "
            "spaces only (hyphens become spaces, apostrophes are dropped); transliterate "
            "other letters as the passport does and write spaces, not '<'"
        )
    return name


def aliases_of(text: str) -> tuple[str, ...]:
    names = tuple(" ".join(item.split()) for item in text.split(";") if item.strip())
    if any(len(name) > LONGEST_TEXT or not name.isprintable() for name in names):
        raise BadValueError(f"names are separated by ';', each at most {LONGEST_TEXT} characters")
    return names


def birth(text: str, today: date) -> PartialDate:
    day_month_year = _DAY_MONTH_YEAR.fullmatch(text)
    try:
        if day_month_year:
            day, month, year = (int(part) for part in day_month_year.groups())
            birth = PartialDate(year, month, day)
        elif _PARTIAL_DATE.fullmatch(text):
            birth = PartialDate.parse(text)
        else:
            raise ValueError
    except ValueError:
        raise BadValueError(f"is not a date of birth: write {BIRTH_FORMATS}") from None
    if (birth.year, birth.month or 1, birth.day or 1) > (today.year, today.month, today.day):
        raise BadValueError("is in the future: check the year")
    return birth


def full_date(text: str) -> date:
    day_month_year = _DAY_MONTH_YEAR.fullmatch(text)
    try:
        if day_month_year:
            day, month, year = (int(part) for part in day_month_year.groups())
            return date(year, month, day)
        if _FULL_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise BadValueError(f"is not a date: write {DATE_FORMATS}")


def after(text: str, today: date) -> date:
    until = full_date(text)
    if until <= today:
        raise BadValueError("must be after today: a record past its retention date is purged")
    return until


def sex(text: str) -> Sex:
    return parsers.choice(
        text, _SEX, "must be M, F or X (unspecified); male and female are read too"
    )


def word(text: str) -> str:
    word = " ".join(text.casefold().split())
    if len(word) > 64 or not word.isprintable():
        raise BadValueError("must be a short word or phrase, at most 64 characters")
    return word


def travel_code(text: str) -> str:
    code = text.upper()
    if code not in TRAVEL_DOCUMENT_CODES:
        raise BadValueError(
            "must be a three-letter code as in passports: ISO 3166 alpha-3 (SYR, PSE...) or "
            "ICAO's XXA (stateless), XXB or XXC (refugee), XXX (unspecified)"
        )
    return code


def document_number(text: str) -> str:
    number = "".join(text.upper().split())
    if not _DOCUMENT_NUMBER.fullmatch(number):
        raise BadValueError(
            "must be letters A-Z, digits, '-' or '/' as printed on the document, at most 30"
        )
    return number


def needs(text: str) -> tuple[str, ...]:
    needs = tuple(dict.fromkeys(item.casefold() for item in _SEPARATORS.split(text) if item))
    if any(len(need) > 64 or not need.isprintable() for need in needs):
        raise BadValueError("must be words (medical, mobility...) separated by spaces or ';'")
    return needs


def risk(text: str) -> RiskLevel:
    return parsers.choice(text, _RISKS, "must be high, medium or low")


def free_text(text: str) -> str:
    if len(text) > LONGEST_TEXT or not text.isprintable():
        raise BadValueError(f"must be one line of at most {LONGEST_TEXT} characters")
    return text


def consent(text: str) -> bool:
    return parsers.boolean(
        text, "must be yes or no (true/false and 1/0 are read too)", yes=_YES, no=_NO
    )


def phone(text: str) -> str:
    number = text.translate(_PHONE_PUNCTUATION)
    if not _PHONE.fullmatch(number):
        raise BadValueError("must be a phone number: 6 to 15 digits, '+' and the country code")
    return number


def status(text: str) -> Status:
    return parsers.choice(
        text,
        _STATUSES,
        "must be a status of the pipeline a registration may start at: " + ", ".join(_STATUSES),
    )
