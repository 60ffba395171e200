"""Loaders that turn Reuters-21578 SGML, JSON Lines and plain-text wire stories into document dicts."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from searchcore.errors import LoaderError

__all__ = [
    "PAGE_FURNITURE_MARKERS",
    "count_documents",
    "iter_documents",
    "load_jsonl",
    "load_reuters",
    "load_text",
    "load_text_folder",
]

# A document: str keys among id, title, body, dateline, byline, agency (str), date (ISO 8601 "YYYY-MM-DD" or
# "YYYY-MM-DDTHH:MM:SS"), topics, places (list[str]) and source (the file path, "path#NEWID" for Reuters).
# A key without a value is left out, never None or "". load_jsonl passes its objects through unchecked.
Document = dict[str, object]

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
# English month names and their abbreviations, lower case: "august" -> 8, "aug" -> 8, "sept" -> 9.
_MONTHS: dict[str, int] = {
    name: number for number, full in enumerate(_MONTH_NAMES, start=1) for name in (full, full[:3])
} | {"sept": 9}

# C0 controls except tab and newline, DEL and the C1 controls: dropped from every loaded text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])  # the same, as latin-1

_SGML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_CHAR_REF_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot|apos));")


def _replace_char_ref(match: re.Match[str]) -> str:
    decimal, hexadecimal, name = match.groups()
    if name:
        return _SGML_ENTITIES[name]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code > 0x10FFFF or _CONTROL_RE.match(chr(code)):
        return ""
    return chr(code)


def _drop_controls(text: str) -> str:
    """Remove control characters, keeping newlines and tabs; a CR or CRLF becomes a newline."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)


def _unescape(text: str) -> str:
    """Resolve character references (``&lt;``, ``&amp;``, ``&#3;`` ...); references to controls vanish."""
    if "&" not in text:
        return text
    if "&#" in text:
        return _CHAR_REF_RE.sub(_replace_char_ref, text)
    # Named references only (the common case): five C-level scans beat a regex with a callback.
    for reference in ("&lt;", "&gt;", "&quot;", "&apos;", "&amp;"):  # "&amp;" last: "&amp;lt;" -> "&lt;"
        text = text.replace(reference, _SGML_ENTITIES[reference[1:-1]])
    return text


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _iso_date(year: int, month: int, day: int) -> str | None:
    """``YYYY-MM-DD``, or None for a day that does not exist (30 February, month 13)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not (1 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
        return None
    if month == 2 and day == 29 and not leap:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _put(doc: Document, key: str, value: str | list[str] | None) -> None:
    """Set ``doc[key]`` only when there is a value: no None, no empty string, no empty list."""
    if value:
        doc[key] = value


_REUTERS_OPEN_RE = re.compile(r"<REUTERS\b([^>]*)>")
_NEWID_RE = re.compile(r'\bNEWID\s*=\s*"?(\d+)"?')
_TEXT_TYPE_RE = re.compile(r'\bTYPE\s*=\s*"?(\w+)')
# "26-FEB-1987 15:01:01.79", sometimes with leading blanks or trailing junk; the time can be garbled.
_REUTERS_DATE_RE = re.compile(r"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?")


def _between(text: str, open_tag: str, close_tag: str) -> str | None:
    """The text between the first ``open_tag`` and the next ``close_tag``, or None when either is missing.

    ``str.find`` instead of a regex with a lazy ``.*?``: this runs several times per Reuters record.
    """
    start = text.find(open_tag)
    if start < 0:
        return None
    start += len(open_tag)
    end = text.find(close_tag, start)
    return None if end < 0 else text[start:end]


@functools.lru_cache(maxsize=1024)
def _reuters_day(day: str, month_name: str, year: str) -> str | None:
    """``("26", "FEB", "1987")`` -> ``"1987-02-26"``; cached, as the corpus spans a few hundred days."""
    month = _MONTHS.get(month_name.lower())
    return None if month is None else _iso_date(int(year), month, int(day))


def _reuters_date(raw: str) -> str | None:
    """``"26-FEB-1987 15:01:01.79"`` -> ``"1987-02-26T15:01:01"``; the date alone when the time is garbled."""
    match = _REUTERS_DATE_RE.match(raw)
    if match is None:
        return None
    day, month_name, year, hour, minute, second = match.groups()
    date = _reuters_day(day, month_name, year)
    if date is None or hour is None or int(hour) > 23 or minute > "59" or second > "59":
        return date
    return f"{date}T{hour:0>2}:{minute}:{second}"


def _reuters_body(raw: str) -> str:
    """Body text without control characters and without the "Reuter" sign-off on its own last line."""
    body = _unescape(raw.rstrip().removesuffix("&#3;")).rstrip()
    # Usually " Reuter" on its own line; sometimes "REUTER" after the last sentence, or twice.
    while body[-6:].lower() == "reuter" and (len(body) == 6 or body[-7].isspace()):
        body = body[:-6].rstrip()
    return body.strip()


def _d_values(content: str) -> list[str]:
    """The values of a ``<D>a</D><D>b</D>`` list, in order."""
    return [value for raw in content.split("</D>") if (value := _unescape(raw.replace("<D>", "")).strip())]


def _parse_reuters_record(record: str, newid: str, source: str) -> Document:
    """One record (the text between ``<REUTERS ...>`` and ``</REUTERS>``, controls removed) as a document."""
    title = dateline = body = None
    text = _between(record, "<TEXT", "</TEXT>")
    if text is not None:
        attributes, _, content = text.partition(">")
        type_match = _TEXT_TYPE_RE.search(attributes)
        text_type = type_match.group(1).upper() if type_match else "NORM"
        if text_type == "UNPROC":
            body = _reuters_body(content)
            title = next((line.strip() for line in body.splitlines() if line.strip()), None)
        else:
            if (raw := _between(content, "<TITLE>", "</TITLE>")) is not None:
                title = " ".join(_unescape(raw).split())
            if (raw := _between(content, "<DATELINE>", "</DATELINE>")) is not None:
                dateline = _unescape(raw).strip().removesuffix("-").rstrip(" ,")
            # BRIEF records carry placeholder text ("Blah blah blah.") after the title, not a body.
            if text_type != "BRIEF" and (raw := _between(content, "<BODY>", "</BODY>")) is not None:
                body = _reuters_body(raw)

    # Inline "if value" tests rather than _put(): this runs 21,578 times for the full corpus.
    doc: Document = {"id": newid}
    if title:
        doc["title"] = title
    if body:
        doc["body"] = body
    if dateline:
        doc["dateline"] = dateline
    doc["agency"] = "Reuters"
    if (raw := _between(record, "<DATE>", "</DATE>")) and (date := _reuters_date(raw)):
        doc["date"] = date
    if (raw := _between(record, "<TOPICS>", "</TOPICS>")) and (topics := _d_values(raw)):
        doc["topics"] = topics
    if (raw := _between(record, "<PLACES>", "</PLACES>")) and (places := _d_values(raw)):
        doc["places"] = places
    doc["source"] = f"{source}#{newid}"
    return doc


def _reuters_files(path: Path) -> list[Path]:
    """The ``reut2-*.sgm`` files of a Reuters-21578 folder, sorted, or ``[path]`` for a single file."""
    if path.is_dir():
        files = sorted(path.glob("reut2-*.sgm"))
        if not files:
            raise LoaderError("no reut2-*.sgm files in this folder (expected a Reuters-21578 folder)", str(path))
        return files
    if not path.is_file():
        raise LoaderError("no such file or folder (expected a Reuters-21578 folder or .sgm file)", str(path))
    return [path]


def _load_reuters_file(path: Path) -> Iterator[Document]:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(f"cannot read file: {exc.strerror or exc}", source) from exc
    # Dropping control bytes before decoding is ~10x faster than a regex over the decoded text.
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text = data.translate(None, _CONTROL_BYTES).decode("latin-1")
    opens = list(_REUTERS_OPEN_RE.finditer(text))
    if not opens:
        raise LoaderError("no <REUTERS> records found (expected Reuters-21578 SGML)", source)
    for position, match in enumerate(opens, start=1):
        # A record ends at its </REUTERS>, which must come before the next <REUTERS (or the end of file).
        stop = opens[position].start() if position < len(opens) else len(text)
        close = text.find("</REUTERS>", match.end(), stop)
        newid_match = _NEWID_RE.search(match.group(1))
        if newid_match is None or close < 0:
            line = text.count("\n", 0, match.start()) + 1
            if newid_match is None:
                problem = f"record {position} (line {line}) has no numeric NEWID attribute"
            else:
                where = f"record {position} (NEWID={newid_match.group(1)}, line {line})"
                problem = f"{where} is truncated: no closing </REUTERS>"
            raise LoaderError(problem, source, detail=match.group(0))
        yield _parse_reuters_record(text[match.end() : close], str(int(newid_match.group(1))), source)


def load_reuters(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield the records of a Reuters-21578 folder (its ``reut2-*.sgm`` files, sorted) or of one ``.sgm`` file.

    Files are read as latin-1 and parsed with regular expressions (the SGML is not XML). Character
    references are resolved and control characters dropped. ``TYPE="BRIEF"`` records give a title only;
    ``TYPE="UNPROC"`` records have their whole text as body and its first non-empty line as title.

    Args:
        path: a folder holding ``reut2-*.sgm`` files, or one ``.sgm`` file.

    Returns:
        An iterator of documents with ``id`` (the NEWID), ``title``, ``body``, ``dateline``, ``date``
        (``YYYY-MM-DDTHH:MM:SS``), ``topics``, ``places``, ``agency`` ("Reuters") and ``source``
        (``file#NEWID``), each key present only when it has a value.

    Raises:
        LoaderError: the path is missing, a folder has no ``reut2-*.sgm`` file, a file holds no record,
            or a record has no NEWID or no closing ``</REUTERS>`` (the message names the file and the
            record's position, line and NEWID).
    """
    for file in _reuters_files(Path(path)):
        yield from _load_reuters_file(file)



def load_jsonl(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield one document per line of a JSON Lines file; blank lines are skipped.

    Keys pass through unchanged (the schema checks them when the document is added), except that an
    integer ``id`` becomes a string.

    Args:
        path: a ``.jsonl`` / ``.ndjson`` file in UTF-8.

    Returns:
        An iterator of the JSON objects, in file order.

    Raises:
        LoaderError: the file cannot be read, or a line is not UTF-8, not valid JSON or not a JSON
            object (the message gives the line number).
    """
    source = str(path)
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise LoaderError(f"cannot read file: {exc.strerror or exc}", source) from exc
    lone_crs = 0  # line breaks an editor sees that splitting on \n does not: a CR without its LF
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            first_line = line_number + lone_crs
            if b"\r" in raw:
                lone_crs += raw.count(b"\r") - raw.count(b"\r\n")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                before = raw[: exc.start].decode("utf-8").removeprefix("\ufeff" if line_number == 1 else "")
                where = _where(before, len(before), first_line)
                problem = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at {where})"
                raise LoaderError(problem, source, detail=exc.reason) from exc
            if line_number == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                # At the end of the data (a truncated object) json points past the line's own \n: the
                # editor's place is the end of the line.
                where = _where(line, min(exc.pos, len(line.rstrip("\r\n"))), first_line)
                raise LoaderError(f"not valid JSON ({exc.msg} at {where})", source, detail=exc.msg) from exc
            except (ValueError, RecursionError) as exc:  # an integer of over 4,300 digits; nesting too deep
                problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise LoaderError(f"line {first_line}: not valid JSON here ({problem})", source,
                                  detail=problem) from None
            if not isinstance(value, dict):
                raise LoaderError(
                    f"line {first_line}: expected a JSON object, got {type(value).__name__}",
                    source,
                    detail=line.strip()[:80],
                )
            doc_id = value.get("id")
            if isinstance(doc_id, int) and not isinstance(doc_id, bool):
                value["id"] = str(doc_id)
            yield value


#: Lines that start the page around a story (matched case-insensitively against the whole stripped line).
#: The story body stops at the first of them.
PAGE_FURNITURE_MARKERS: tuple[str, ...] = (
    r"related links?",
    r"related (?:content|stories|articles|news|coverage|topics)",
    r"more (?:news|stories) (?:from|on|about)\b.*",
    r"subscribe free\b.*",
    r"subscribe to our\b.*",
    r"(?:tweet|share|email|print)(?: this(?: article| story| page)?)?",
    r"comment on this article",
    r"follow us on\b.*",
    r"(?:copyright|\(c\)|©)\s*(?:©\s*)?(?:\d{4}\b.*)?",
    r"the content herein\b.*",
    r".*\ball rights reserved\b.*",
)
_FURNITURE_RE = re.compile("|".join(f"(?:{marker})" for marker in PAGE_FURNITURE_MARKERS), re.I)

_MONTH_PATTERN = "|".join(sorted(_MONTHS, key=len, reverse=True))
# "<Place> (<AGENCY>) <Mon> <day>, <year>", e.g. "Beijing (AFP) Aug 14, 2023".
_WIRE_DATELINE_RE = re.compile(
    r"(?P<place>[^()\n]{1,80}?)\s*\((?P<agency>[A-Za-z][A-Za-z0-9.&/' -]{0,30})\)\s+"
    rf"(?P<month>{_MONTH_PATTERN})\.?\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})",
    re.I,
)
# "By Peter CATTERALL", "BY STAFF WRITERS": a name, not a sentence (no ":", "?" or "!").
_BYLINE_RE = re.compile(r"(?:By|BY)\s+(?P<name>[^\s:?!][^:?!]{0,79})")
# A section label such as "SUPERPOWERS": a short line in capitals without sentence punctuation.
_SECTION_LABEL_RE = re.compile(r"(?=.*[A-Z])[A-Z0-9&/' -]{2,40}")


def _where(text: str, pos: int, first_line: int = 1) -> str:
    """"line L, column C" of offset ``pos`` in ``text`` (whose first line is ``first_line``), 1-based, as an
    editor shows them: LF, CRLF and a lone CR each end a line, and a column counts characters, not bytes.

    >>> _where("a\\r\\nbé\\rcd", 7, first_line=3)
    'line 5, column 2'
    """
    before = text[:pos]
    line = first_line + before.count("\n") + before.count("\r") - before.count("\r\n")
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return f"line {line}, column {pos - start + 1}"


def _decode_utf8(data: bytes, source: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8").removeprefix("\ufeff")
        raise LoaderError(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at {_where(before, len(before))} (byte offset {exc.start})",
            source,
            detail=exc.reason,
        ) from exc
    return text.removeprefix("\ufeff")


def _previous_nonblank(lines: list[str], index: int) -> int | None:
    """Index of the last non-blank line before ``lines[index]``, or None."""
    for candidate in range(index - 1, -1, -1):
        if lines[candidate].strip():
            return candidate
    return None


def _is_dateline(line: str) -> re.Match[str] | None:
    match = _WIRE_DATELINE_RE.fullmatch(line.strip())
    if match is None or match.group("place").strip(" ,") == "":
        return None
    return match


def _block_start(lines: list[str], dateline_index: int, lower: int) -> int:
    """First line of the headline block (section label, headline, byline) that ends at a dateline line."""
    start = dateline_index
    previous = _previous_nonblank(lines, start)
    if previous is not None and previous >= lower and _BYLINE_RE.fullmatch(lines[previous].strip()):
        start = previous
        previous = _previous_nonblank(lines, start)
    if previous is not None and previous >= lower:
        headline = lines[previous].strip()
        start = previous
        previous = _previous_nonblank(lines, start)
        while previous is not None and previous >= lower and lines[previous].strip() == headline:
            start = previous
            previous = _previous_nonblank(lines, start)
    return start


def _story_end(lines: list[str], first: int) -> int:
    """Index just past the last story line: the first page-furniture line or the next dateline block."""
    for index in range(first, len(lines)):
        stripped = lines[index].strip()
        if not stripped:
            continue
        if _FURNITURE_RE.fullmatch(stripped):
            return index
        if _is_dateline(stripped):
            return _block_start(lines, index, first)
    return len(lines)


def _join_body(lines: list[str]) -> str:
    """Story lines as text: trailing blanks and section labels dropped, runs of blank lines collapsed."""
    kept = [line.rstrip() for line in lines]
    while kept and (not kept[-1].strip() or _SECTION_LABEL_RE.fullmatch(kept[-1].strip())):
        kept.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _parse_wire_story(text: str, doc: Document) -> None:
    lines = text.splitlines()
    dateline_index, match = None, None
    for index, line in enumerate(lines):
        if match := _is_dateline(line):
            dateline_index = index
            break
    if dateline_index is None or match is None:
        stripped = text.strip()
        title, _, body = stripped.partition("\n")
        _put(doc, "title", title.strip())
        _put(doc, "body", body.strip())
        return

    byline = None
    headline_index = _previous_nonblank(lines, dateline_index)
    if headline_index is not None and (by := _BYLINE_RE.fullmatch(lines[headline_index].strip())):
        byline = by.group("name").strip()
        headline_index = _previous_nonblank(lines, headline_index)
    body_first = dateline_index + 1
    if byline is None:
        after = next((i for i in range(body_first, len(lines)) if lines[i].strip()), None)
        if after is not None and (by := _BYLINE_RE.fullmatch(lines[after].strip())):
            byline = by.group("name").strip()
            body_first = after + 1

    month = _MONTHS[match.group("month").lower()]
    _put(doc, "title", lines[headline_index].strip() if headline_index is not None else None)
    _put(doc, "body", _join_body(lines[body_first:_story_end(lines, body_first)]))
    _put(doc, "dateline", " ".join(match.group(0).split()))
    _put(doc, "byline", byline)
    _put(doc, "agency", match.group("agency").strip())
    _put(doc, "date", _iso_date(int(match.group("year")), month, int(match.group("day"))))


def load_text(path: str | os.PathLike[str]) -> Document:
    """Read one plain-text wire story, as saved from a news site, into a document.

    The story's dateline line (``<Place> (<AGENCY>) <Mon> <day>, <year>``, e.g. ``Beijing (AFP) Aug 14,
    2023``) anchors the parse: the non-blank line before it (or before its ``By ...`` byline) is the
    headline, lines above the headline (site and section names, a repeated headline) are dropped, and the
    body runs from the dateline to the first page-furniture line (:data:`PAGE_FURNITURE_MARKERS`) or the
    next headline/dateline block. A file without a dateline line gives title = first non-empty line and
    body = the rest.

    Args:
        path: a UTF-8 text file.

    Returns:
        A document with ``id`` (the file stem), ``source`` (the path) and, when found, ``title``, ``body``,
        ``dateline``, ``byline`` (without "By "), ``agency`` and ``date`` (``YYYY-MM-DD``).

    Raises:
        LoaderError: the file cannot be read, is not valid UTF-8 (the message gives the byte offset of the
            first bad byte) or is empty.
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise LoaderError(f"cannot read file: {exc.strerror or exc}", source) from exc
    text = _drop_controls(_decode_utf8(data, source))
    if not text.strip():
        raise LoaderError("empty document", source)
    doc: Document = {"id": Path(path).stem}
    _parse_wire_story(text, doc)
    doc["source"] = source
    return doc


def load_text_folder(path: str | os.PathLike[str]) -> Iterator[Document]:
    """Yield :func:`load_text` for every ``*.txt`` file under a folder, recursively, in sorted path order.

    Args:
        path: a folder.

    Returns:
        An iterator of documents, one per text file.

    Raises:
        LoaderError: the folder does not exist, or a file fails as in :func:`load_text`.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise LoaderError("no such folder (expected a folder of .txt wire stories)", str(path))
    for file in sorted(folder.rglob("*.txt")):
        if file.is_file():
            yield load_text(file)


_LOADER_KINDS = {".sgm": "reuters", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text"}
_EXPECTED = "a Reuters-21578 folder, a .sgm, .jsonl, .ndjson or .txt file, or a folder holding such files"


def _walk_folder(folder: Path) -> list[tuple[str, Path]]:
    """Loadable files under a folder, sorted; hidden entries and the non-reut2 files beside reut2-*.sgm skipped."""
    reuters_folders = {file.parent for file in folder.rglob("reut2-*.sgm")}
    if folder in reuters_folders:
        return [("reuters", file) for file in _reuters_files(folder)]
    planned: list[tuple[str, Path]] = []
    for file in sorted(folder.rglob("*")):
        kind = _LOADER_KINDS.get(file.suffix.lower())
        if kind is None or any(part.startswith(".") for part in file.relative_to(folder).parts):
            continue
        # The category lists (.txt) and other files in a Reuters folder are not documents.
        if file.is_file() and (file.parent not in reuters_folders or file.match("reut2-*.sgm")):
            planned.append((kind, file))
    return planned


def _plan(sources: Iterable[str | os.PathLike[str]]) -> list[tuple[str, Path]]:
    """Resolve sources into ``(kind, path)`` pairs, kind being "reuters", "jsonl" or "text"."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    planned: list[tuple[str, Path]] = []
    for source in sources:
        path = Path(source)
        if path.is_file():
            kind = _LOADER_KINDS.get(path.suffix.lower())
            if kind is None:
                raise LoaderError(f"unknown file type {path.suffix or '(none)'!r} (expected {_EXPECTED})", str(source))
            planned.append((kind, path))
        elif path.is_dir():
            found = _walk_folder(path)
            if not found:
                raise LoaderError(f"folder holds no loadable file (expected {_EXPECTED})", str(source))
            planned.extend(found)
        else:
            raise LoaderError(f"no such file or folder (expected {_EXPECTED})", str(source))
    return planned


def iter_documents(sources: Iterable[str | os.PathLike[str]]) -> Iterator[Document]:
    """Yield the documents of every source, choosing the loader from what each source is.

    A folder holding ``reut2-*.sgm`` and a ``.sgm`` file go to :func:`load_reuters`, ``.jsonl`` and
    ``.ndjson`` files to :func:`load_jsonl`, ``.txt`` files to :func:`load_text`; any other folder is
    searched recursively for those files (sorted; hidden entries skipped). A single path is accepted too.

    Args:
        sources: paths to files or folders.

    Returns:
        An iterator of documents, source by source.

    Raises:
        LoaderError: a source is missing, of an unknown file type or a folder with nothing to load (all
            checked before the first document is yielded), or a file fails to load.
    """
    for kind, path in _plan(sources):
        if kind == "reuters":
            yield from _load_reuters_file(path)
        elif kind == "jsonl":
            yield from load_jsonl(path)
        else:
            yield load_text(path)


def count_documents(sources: Iterable[str | os.PathLike[str]]) -> int | None:
    """Estimate how many documents :func:`iter_documents` will yield, for a progress bar.

    Counts ``<REUTERS`` tags in SGML files, non-blank lines in JSON Lines files and text files, without
    parsing anything.

    Args:
        sources: the same sources as for :func:`iter_documents`.

    Returns:
        The estimate, or None when a source cannot be resolved or read (iter_documents will say why).
    """
    try:
        total = 0
        for kind, path in _plan(sources):
            if kind == "reuters":
                total += path.read_bytes().count(b"<REUTERS")
            elif kind == "jsonl":
                with open(path, "rb") as handle:
                    total += sum(1 for line in handle if not line.isspace())
            else:
                total += 1
    except (LoaderError, OSError):
        return None
    return total
