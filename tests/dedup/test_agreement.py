"""What a reviewer is told about each field of a candidate pair."""

from __future__ import annotations

from safepassage.dedup import DedupRecord
from safepassage.dedup.agreement import Agreement, field_agreement


def record(**changes: object) -> DedupRecord:
    fields: dict[str, object] = {
        "id": "L",
        "name_arabic": "محمد أحمد الحريري",
        "name_latin": "MOHAMMAD AHMAD AL HARIRI",
        "birth_year": 1975,
        "birth_date": "1975-09-04",
        "sex": "M",
        "household_id": "H1",
        "place": "nawa",
        "documents": (("SYR", "N1234567"),),
        "phone": "+963 944 123 456",
    }
    fields.update(changes)
    return DedupRecord(**fields)  # type: ignore[arg-type]


def test_fields_agree_are_close_disagree_or_are_missing() -> None:
    left = record()
    right = record(
        id="R",
        name_arabic="",
        name_latin="El-Hariri Muhammad Ahmed",
        birth_date="1975-04-09",
        documents=(("SYR", "N1234667"),),
        phone="0944123456",
        sex="X",
        household_id="H2",
    )
    assert dict(field_agreement(left, right)) == {
        "given name": Agreement.CLOSE,
        "family name": Agreement.CLOSE,
        "date of birth": Agreement.CLOSE,
        "document": Agreement.CLOSE,
        "phone": Agreement.AGREE,
        "sex": Agreement.MISSING,
        "household": Agreement.DISAGREE,
        "place": Agreement.AGREE,
    }


def test_one_digit_and_the_same_document_from_an_unknown_country() -> None:
    left = record()
    right = record(
        id="R",
        name_latin="MOHAMAD AHMAD AL HARIRY",
        birth_date="1975-09-14",
        documents=(("", "n-1234567"),),
        phone="",
    )
    found = dict(field_agreement(left, right))
    assert found["given name"] == found["family name"] == Agreement.AGREE
    assert found["date of birth"] == Agreement.CLOSE
    assert found["document"] == Agreement.AGREE
    assert found["phone"] == Agreement.MISSING


def test_strangers_disagree() -> None:
    left = record()
    right = record(
        id="R",
        name_arabic="سامر فادي الحمصي",
        name_latin="SAMER FADI AL HOMSI",
        birth_year=1950,
        birth_date="1950-01-30",
        documents=(("JOR", "K99887766"),),
        phone="+962 7 9000 1111",
        sex="F",
        household_id="H9",
        place="daraa",
    )
    assert {agreement for _, agreement in field_agreement(left, right)} == {Agreement.DISAGREE}
