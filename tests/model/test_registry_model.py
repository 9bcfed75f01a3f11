import itertools

import pytest

from safepassage.model.registry import (
    PIPELINE,
    PartialDate,
    Status,
    StatusChangeRefused,
    allowed_next,
    check_status_change,
)


def test_every_pipeline_step_leads_to_the_next() -> None:
    for current, following in itertools.pairwise(PIPELINE):
        check_status_change(current, following, None)


def test_nobody_crosses_before_departing() -> None:
    with pytest.raises(StatusChangeRefused, match="crossed comes after departed"):
        check_status_change(Status.ASSEMBLED, Status.CROSSED, None)


def test_the_refusal_lists_what_is_allowed() -> None:
    with pytest.raises(StatusChangeRefused, match=r"allowed next: verified, on_hold, missing"):
        check_status_change(Status.REGISTERED, Status.CLEARED, None)


def test_a_person_found_again_resumes_where_they_were() -> None:
    assert allowed_next(Status.MISSING, Status.DEPARTED)[0] is Status.DEPARTED
    check_status_change(Status.MISSING, Status.DEPARTED, Status.DEPARTED)
    with pytest.raises(StatusChangeRefused, match="resumes only at departed"):
        check_status_change(Status.MISSING, Status.CROSSED, Status.DEPARTED)


def test_a_withdrawn_clearance_goes_back_to_verified_only_before_departure() -> None:
    check_status_change(Status.ASSEMBLED, Status.VERIFIED, None)
    with pytest.raises(StatusChangeRefused, match="does not go back"):
        check_status_change(Status.DEPARTED, Status.VERIFIED, None)


def test_resettled_is_the_end_but_a_person_can_still_go_missing() -> None:
    assert allowed_next(Status.RESETTLED, None) == (Status.ON_HOLD, Status.MISSING)
    with pytest.raises(StatusChangeRefused, match="end of the pipeline"):
        check_status_change(Status.RESETTLED, Status.MATCHED, None)


@pytest.mark.parametrize("text", ["1980", "1980-07", "1980-07-21"])
def test_partial_dates_keep_their_precision(text: str) -> None:
    assert PartialDate.parse(text).iso() == text


@pytest.mark.parametrize("text", ["1980-02-30", "80", "1980-13", "21/07/1980", "1700"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.parse(text)
