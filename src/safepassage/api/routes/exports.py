"""Aggregate counts for partners: HXL-tagged CSV, small counts suppressed."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Response

from safepassage.api.deps import OperatorDep, SessionDep, permit
from safepassage.policy import Action
from safepassage.services import operations

router = APIRouter(prefix="/exports", tags=["exports"])

CSV_TYPE = "text/csv; charset=utf-8"


@router.get(
    "/hxl",
    summary="Persons by place of origin and status as HXL CSV (no personal data)",
    dependencies=[permit(Action.COUNTS_EXPORT)],
    response_class=Response,
    responses={200: {"content": {CSV_TYPE: {}}, "description": "HXL-tagged CSV."}},
)
def hxl(
    session: SessionDep,
    operator: OperatorDep,
    min_count: Annotated[int, Query(ge=1, le=1000)] = operations.MIN_COUNT,
) -> Response:
    rows = operations.hxl_counts(session, operator, min_count=min_count)
    text = io.StringIO()
    operations.write_hxl_csv(rows, text)
    return Response(text.getvalue(), media_type=CSV_TYPE)
