"""A file's bytes and its UTF-8 text, with the troubles of the whole file reported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from safepassage.formats.problems import Problem
from safepassage.formats.tables.limits import MAX_FILE_BYTES

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Wording:
    """How a reader words what is wrong with a whole file. ``missing`` and ``unreadable`` take
    ``{expected}`` and ``{reason}``; ``not_utf8`` None means bad bytes are reported line by
    line and reading goes on; ``bad_csv`` takes ``{error}`` (not a value from the file: the
    csv module names only what it expected) and is reported at the row reading stopped at,
    unless ``bad_csv_whole`` (the file is refused as one)."""

    unreadable: str
    not_utf8: str | None
    bad_csv: str
    missing: str | None = None
    bad_csv_whole: bool = False


def read_bytes(
    path: Path, file: str, wording: Wording, problems: list[Problem], *, expected: str = ""
) -> bytes | None:
    """The file's bytes, or None with its problem reported; never more than
    :data:`MAX_FILE_BYTES`, checked before reading."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    f"is larger than {MAX_FILE_BYTES >> 20} MiB: split it into smaller files",
                )
            )
            return None
        return path.read_bytes()
    except FileNotFoundError as error:
        if wording.missing is None:
            message = wording.unreadable.format(reason=error.strerror)
        else:
            message = wording.missing.format(expected=expected)
        problems.append(Problem(file, None, None, message))
    except OSError as error:
        problems.append(Problem(file, None, None, wording.unreadable.format(reason=error.strerror)))
    return None


def decode(file: str, data: bytes, wording: Wording, problems: list[Problem]) -> str | None:
    """UTF-8 text without its byte order mark. Under a ``not_utf8`` wording bad bytes refuse
    the file; otherwise each line holding them is reported and read with them replaced."""
    offset = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError:
        if wording.not_utf8 is not None:
            problems.append(Problem(file, None, None, wording.not_utf8))
            return None
    pieces = []
    # Only \n, \r and \r\n split bytes, as they split the text the csv module reads.
    for line_number, line in enumerate(data[offset:].splitlines(keepends=True), start=1):
        try:
            pieces.append(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    file,
                    line_number,
                    None,
                    f"byte {offset + error.start} of the file is not UTF-8: save the file as "
                    'UTF-8 ("CSV UTF-8" in spreadsheet programs)',
                )
            )
            pieces.append(line.decode("utf-8", errors="replace"))
        offset += len(line)
    return "".join(pieces)


def read_text(
    path: Path, file: str, wording: Wording, problems: list[Problem], *, expected: str = ""
) -> str | None:
    data = read_bytes(path, file, wording, problems, expected=expected)
    return None if data is None else decode(file, data, wording, problems)
