"""Reading what a page's form posts: from this site only, and no more than a form holds.

A session cookie rides along with any request the browser makes, including one a hostile page
sends, so a post that says it comes from another origin is refused before anything is read
(as the sign-in does). The body is read in pieces and given up past :data:`FORM_LIMIT`, so a
client cannot make the server hold a large body in memory just to refuse it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, HTTPException, Request, status

from safepassage.web.common import FORM_LIMIT


async def form_fields(request: Request) -> dict[str, str]:
    """The form's fields, first value of each, blank ones kept so that a field left empty is
    told apart from a field the form does not have."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a form posted from another site")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"a form of more than {FORM_LIMIT} bytes: the pages send nothing that large",
            )
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


FormFields = Annotated[dict[str, str], Depends(form_fields)]
