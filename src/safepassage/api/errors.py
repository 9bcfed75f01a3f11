"""Answers to requests that do not fit the schema, for the API and the pages alike."""

from __future__ import annotations

from fastapi import Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def invalid_request(_request: Request, error: Exception) -> Response:
    """Where and what is wrong, never the value: FastAPI's default echoes it, and a name typed
    into an id field would travel on into the client's logs."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type")}
        for item in error.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
