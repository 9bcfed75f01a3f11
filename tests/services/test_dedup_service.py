"""Deduplication in the store: the review queue, merges and their undoing, on both engines."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.dedup import DedupRecord, evaluate
from safepassage.dedup.agreement import FIELDS, Agreement
from safepassage.model.registry import (
    Household,
    IdentityDocument,
    PartialDate,
    Person,
    PersonalData,
    Sex,
    Status,
)
from safepassage.services import dedup, registry
from safepassage.services.registry import Operator
from safepassage.store import audit
from safepassage.store.tables import AuditRow, CandidatePairRow
from safepassage.synthetic.duplicates import plant_duplicates
from safepassage.synthetic.registry import generate_registry


def _load(session: Session, operator: Operator, records: list[DedupRecord]) -> None:
    for household_id in sorted({record.household_id for record in records}):
        registry.save_household(session, operator, Household(household_id, "nawa", 1))
    for number, record in enumerate(records):
        birth = (
            PartialDate.parse(record.birth_date)
            if record.birth_date
            else PartialDate(record.birth_year)
            if record.birth_year
            else None
        )
        personal = PersonalData(
            name_arabic=record.name_arabic,
            name_icao=record.name_latin,
            sex=Sex(record.sex),
            birth=birth,
            documents=(IdentityDocument("passport", f"N{number:06d}", "SYR"),),
        )
        registry.add_person(
            session,
            operator,
            Person(record.id, record.household_id, Status.REGISTERED, date(2031, 1, 1), personal),
        )
    session.flush()


@pytest.fixture
def planted(session: Session, operator: Operator) -> list[tuple[str, str]]:
    people = generate_registry(
        seed=4,
        persons=600,
        towns={"nawa": 1.0},
        cleared_share=0.8,
        clearance=None,
        not_cleared_for=(),
    ).persons
    records, truth = plant_duplicates(people, share=0.1, seed=4)
    _load(session, operator, records)
    return truth


def test_run_queues_the_planted_duplicates(
    session: Session, operator: Operator, planted: list[tuple[str, str]]
) -> None:
    summary = dedup.run_dedup(session, operator)
    queued = [
        (row.left_id, row.right_id) for row in session.execute(select(CandidatePairRow)).scalars()
    ]
    assert summary.new_pairs == len(queued) > 0
    quality = evaluate(queued, planted)
    assert quality.precision >= 0.9 and quality.recall >= 0.8, quality
    assert dedup.run_dedup(session, operator).new_pairs == 0


def test_a_merge_folds_the_duplicate_in_and_undo_restores_both(
    session: Session, operator: Operator, planted: list[tuple[str, str]]
) -> None:
    kept_id, merged_id = planted[0]
    [kept_before, merged_before] = registry.read_persons(
        session, operator, [kept_id, merged_id], purpose="test"
    )
    counted = sum(count for _, _, count in registry.counts_by_status_and_place(session))
    merge_id = dedup.merge(session, operator, kept_id, merged_id)

    [kept_after] = registry.read_persons(session, operator, [kept_id], purpose="test")
    assert merged_before.personal.documents[0] in kept_after.personal.documents
    assert sum(c for _, _, c in registry.counts_by_status_and_place(session)) == counted - 1
    assert registry.find_by(session, operator, "document", "N000000") != []
    with pytest.raises(dedup.MergeRefused, match="already merged"):
        dedup.merge(session, operator, kept_id, merged_id)

    dedup.unmerge(session, operator, merge_id)
    restored = registry.read_persons(session, operator, [kept_id, merged_id], purpose="test")
    assert restored == [kept_before, merged_before]
    assert sum(c for _, _, c in registry.counts_by_status_and_place(session)) == counted
    with pytest.raises(dedup.MergeRefused, match="already undone"):
        dedup.unmerge(session, operator, merge_id)
    actions = session.execute(select(AuditRow.action)).scalars().all()
    assert "dedup-merge" in actions and "dedup-unmerge" in actions
    assert audit.verify(session, operator.ring).intact


def test_a_pair_judged_distinct_is_not_asked_again(
    session: Session, operator: Operator, planted: list[tuple[str, str]]
) -> None:
    dedup.run_dedup(session, operator)
    [first, *_] = dedup.review_queue(session, operator, limit=5)
    dedup.mark_distinct(session, operator, first.pair_id)
    assert first.pair_id not in [item.pair_id for item in dedup.review_queue(session, operator)]
    dedup.run_dedup(session, operator)
    assert first.pair_id not in [item.pair_id for item in dedup.review_queue(session, operator)]
    with pytest.raises(dedup.MergeRefused, match="already judged"):
        dedup.mark_distinct(session, operator, first.pair_id)


def test_the_review_queue_says_which_fields_agree_without_values(
    session: Session, operator: Operator, planted: list[tuple[str, str]]
) -> None:
    dedup.run_dedup(session, operator)
    items = dedup.review_queue(session, operator, limit=50)
    assert items
    for item in items:
        fields = dict(item.fields)
        assert list(fields) == list(FIELDS)
        assert set(fields.values()) <= set(Agreement)
        # Every record here has a passport of its own number: a pair never shares one.
        assert fields["document"] in (Agreement.CLOSE, Agreement.DISAGREE)
        assert fields["place"] == Agreement.AGREE
    assert any(dict(item.fields)["given name"] == Agreement.AGREE for item in items)
