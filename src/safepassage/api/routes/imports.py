"""Registry files in (CSV or XLSX, uploaded), and the rows kept back in quarantine.

The file is the request's body, typed ``text/csv`` or as XLSX, not a multipart form: a form
parser spools large uploads to a temporary file on disk, in clear. The reader takes a path,
so the body goes to a private temporary folder, on the memory-backed ``/dev/shm`` where there
is one, only for the time it takes to read it. The client's file name is never asked for: it
may name the people in it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from safepassage.api.deps import OperatorDep, Server, ServerDep, SessionDep, permit
from safepassage.formats.problems import InputError, Problem
from safepassage.formats.registry_rows import ColumnMapping, RawTable, read_table
from safepassage.policy import Action
from safepassage.services.database import Session
from safepassage.services.importing import (
    ImportSummary,
    import_rows,
    list_quarantine,
    retry_quarantine,
)
from safepassage.services.registry import Operator

router = APIRouter(prefix="/imports", tags=["imports"])

SUFFIXES = {
    "text/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
MEMORY_FOLDER = Path("/dev/shm")


class ProblemOut(BaseModel):
    row: int | None
    field: str | None
    message: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(row=problem.row, field=problem.field, message=problem.message)


class SummaryOut(BaseModel):
    rows: int
    added: int
    updated: int
    unchanged: int
    quarantined: int
    already_quarantined: int
    resolved: int
    households_added: int
    households_updated: int
    problems: list[ProblemOut]

    @classmethod
    def of(cls, summary: ImportSummary) -> SummaryOut:
        return cls(
            rows=summary.rows,
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
            quarantined=summary.quarantined,
            already_quarantined=summary.already_quarantined,
            resolved=summary.resolved,
            households_added=summary.households_added,
            households_updated=summary.households_updated,
            problems=[ProblemOut.of(problem) for problem in summary.problems],
        )


class RefusedDetail(BaseModel):
    message: str
    problems: list[ProblemOut]


class RefusedOut(BaseModel):
    detail: RefusedDetail


class QuarantineOut(BaseModel):
    id: int
    row_number: int
    reason: str
    created_at: datetime
    resolved_at: datetime | None


def _mapping(server: Server) -> ColumnMapping:
    mapping = server.settings.import_mapping
    return ColumnMapping.default() if mapping is None else ColumnMapping.from_yaml(mapping)


def _refuse(problems: tuple[Problem, ...]) -> HTTPException:
    return HTTPException(
        status.HTTP_400_BAD_REQUEST,
        RefusedDetail(
            message=f"{len(problems)} problem(s); nothing was imported",
            problems=[ProblemOut.of(problem) for problem in problems],
        ).model_dump(),
    )


async def _read_body(request: Request, limit: int, suffix: str) -> RawTable:
    folder = MEMORY_FOLDER if MEMORY_FOLDER.is_dir() else None
    with tempfile.TemporaryDirectory(dir=folder) as private:
        path = Path(private) / f"upload{suffix}"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        size = 0
        with os.fdopen(descriptor, "wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        f"the file is larger than {limit >> 20} MiB",
                    )
                handle.write(chunk)
        try:
            return await run_in_threadpool(read_table, path)
        except InputError as error:
            raise _refuse(error.problems) from None


def _import(server: Server, session: Session, operator: Operator, table: RawTable) -> ImportSummary:
    columns = _mapping(server)
    try:
        columns.check_headers("upload", table.headers)
    except InputError as error:
        raise _refuse(error.problems) from None
    return import_rows(session, operator, "upload", table.rows, columns)


@router.post(
    "",
    summary="Import a CSV or XLSX registry file; rows that fail their checks go to quarantine",
    dependencies=[permit(Action.IMPORT)],
    responses={400: {"model": RefusedOut, "description": "The file cannot be used at all."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in SUFFIXES
            },
        }
    },
)
async def import_file(
    request: Request, server: ServerDep, session: SessionDep, operator: OperatorDep
) -> SummaryOut:
    """The database work runs on the thread pool like every other route's: the event loop
    only receives the body."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().casefold()
    suffix = SUFFIXES.get(media_type)
    if suffix is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send the file as the body, typed text/csv or as XLSX",
        )
    table = await _read_body(request, server.settings.upload_megabytes << 20, suffix)
    summary = await run_in_threadpool(_import, server, session, operator, table)
    return SummaryOut.of(summary)


@router.get(
    "/quarantine",
    summary="Rows kept back: where they were and why, not what they hold",
    dependencies=[permit(Action.QUARANTINE)],
)
def quarantine(
    session: SessionDep, include_resolved: Annotated[bool, Query()] = False
) -> list[QuarantineOut]:
    return [
        QuarantineOut(
            id=entry.id,
            row_number=entry.row_number,
            reason=entry.reason,
            created_at=entry.created_at,
            resolved_at=entry.resolved_at,
        )
        for entry in list_quarantine(session, include_resolved=include_resolved)
    ]


@router.post(
    "/quarantine/retry",
    summary="Check quarantined rows again and take in those that now pass",
    dependencies=[permit(Action.QUARANTINE)],
)
def retry(server: ServerDep, session: SessionDep, operator: OperatorDep) -> SummaryOut:
    return SummaryOut.of(retry_quarantine(session, operator, _mapping(server)))
