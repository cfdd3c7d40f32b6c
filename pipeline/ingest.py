"""Read input paths into :class:`Article` records, one per file or per record inside a container.

Lenient about articles: a file that cannot be read becomes an Article with a status and a specific error, and the
run goes on. Every input is accounted for exactly once.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

from .records import OK, Article, stable_id

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
MAX_BYTES = 20_000_000  # one article; larger files are reported as too_large instead of stalling the run

_HEADER = re.compile(r"^(title|published|date|url|source|author|id)\s*:\s*(.*)$", re.I)
_TEXT_KEYS = ("text", "body", "content")
_DATE_KEYS = ("published", "date", "published_at", "publication_date")


def normalise_text(text: str) -> str:
    """Text as the extractor sees it: NFC, Unix newlines, no BOM or NULs, trailing spaces stripped.

    >>> normalise_text("\\ufeffA\\r\\nB  \\r\\n")
    'A\\nB'
    """
    text = unicodedata.normalize("NFC", text.replace("\ufeff", "").replace("\x00", ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def content_id(text: str) -> str:
    """The article id: a hash of the text with whitespace collapsed, so re-saved copies get the same id."""
    return stable_id(re.sub(r"\s+", " ", text).strip().casefold())


def parse_published(value: object) -> date | None:
    """A publication date from metadata, only when it names a day.

    >>> parse_published("2023-05-22"), parse_published("2023-05-22T09:30:00+02:00"), parse_published("May 2023")
    (datetime.date(2023, 5, 22), datetime.date(2023, 5, 22), None)
    """
    if value is None:
        return None
    s = str(value).strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    from .normalise import parse_date

    d = parse_date(s) if s else None
    return d.start_date if d is not None and d.precision == "day" else None


def decode(data: bytes) -> tuple[str, str] | None:
    """Bytes to text with the encoding used; ``None`` when no encoding fits (binary data)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    return str(best), best.encoding


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for c in text[:4096] if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    return bad > 0.05 * min(len(text), 4096)


def _english(text: str) -> str | None:
    """'en' when common English function words make up a plausible share of the words, else None."""
    words = re.findall(r"[a-z]+", text[:5000].lower())
    if len(words) < 5:
        return None
    common = {"the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "on", "was", "with", "by", "as", "its",
              "has", "be", "at", "from", "an", "said", "which", "have", "this", "were", "are", "or"}
    return "en" if sum(w in common for w in words) / len(words) > 0.12 else None


def _article(source: str, text: str, *, title=None, published=None, url=None, external_id=None,
             encoding=None) -> Article:
    text = normalise_text(text)
    if not text:
        return Article(stable_id("empty", source), source, "empty", title=title, published=published, url=url,
                       external_id=external_id, encoding=encoding, error="no text after extraction")
    language = _english(text)
    status, error = OK, None
    if language is None:
        status, error = "unsupported_language", "the text is not recognisably English; the English model was not run"
    return Article(content_id(text), source, status, text=text, title=title or _first_line(text),
                   published=published, url=url, external_id=external_id, language=language, encoding=encoding,
                   error=error)


def _first_line(text: str) -> str | None:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()[:300]
    return None


def read_text_file(source: str, text: str, encoding: str) -> Article:
    """A .txt/.md article: an optional ``Title:``/``Published:``/``URL:`` header block, then the story."""
    lines = text.lstrip("\ufeff").split("\n")
    meta: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _HEADER.match(lines[i].strip())
        if not m:
            break
        meta[m.group(1).lower()] = m.group(2).strip()
        i += 1
    if meta and (i == len(lines) or not lines[i].strip()):
        body = "\n".join(lines[i:])
    else:
        meta, body = {}, text  # a "Title:" line inside the story is not a header block
    published = parse_published(meta.get("published") or meta.get("date"))
    return _article(source, body, title=meta.get("title"), published=published, url=meta.get("url"),
                    external_id=meta.get("id"), encoding=encoding)


def read_html(source: str, html: str, encoding: str | None, url: str | None = None, **fields) -> Article:
    """Main text and metadata of a web page with trafilatura (no network: it only parses the string)."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False, favor_precision=True)
    except Exception as exc:  # lxml and friends raise many kinds on broken markup
        return Article(stable_id("malformed", source), source, "malformed", encoding=encoding,
                       error=f"HTML could not be parsed: {type(exc).__name__}: {exc}")
    if doc is None:
        return Article(stable_id("empty", source), source, "empty", encoding=encoding,
                       error="no main text found in the HTML page")
    d = doc if isinstance(doc, dict) else doc.as_dict()
    return _article(source, d.get("text") or "", title=fields.get("title") or d.get("title"),
                    published=fields.get("published") or parse_published(d.get("date")),
                    url=url or d.get("url"), external_id=fields.get("external_id"), encoding=encoding)


def _from_record(source: str, obj: object, encoding: str) -> Article:
    if not isinstance(obj, dict):
        return Article(stable_id("malformed", source), source, "malformed", encoding=encoding,
                       error=f"record is a JSON {type(obj).__name__}, not an object")
    text = next((obj[k] for k in _TEXT_KEYS if isinstance(obj.get(k), str)), None)
    external_id = None if obj.get("id") is None else str(obj.get("id"))
    title = obj.get("title") if isinstance(obj.get("title"), str) else None
    published = parse_published(next((obj[k] for k in _DATE_KEYS if obj.get(k)), None))
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    if text is None:
        return Article(stable_id("empty", source), source, "empty", title=title, published=published, url=url,
                       external_id=external_id, encoding=encoding,
                       error=f"record has no text field (looked for {', '.join(_TEXT_KEYS)})")
    if re.match(r"\s*<(!doctype|html|body|div|p|article)\b", text, re.I):
        return read_html(source, text, encoding, url=url, title=title, published=published, external_id=external_id)
    return _article(source, text, title=title, published=published, url=url, external_id=external_id,
                    encoding=encoding)


def read_json(source: str, text: str, encoding: str, lines: bool) -> Iterator[Article]:
    """Records of a .json (an object or a list) or .jsonl file; a bad line is one malformed record."""
    if lines:
        for n, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            where = f"{source}:{n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Article(stable_id("malformed", where), where, "malformed", encoding=encoding,
                              error=f"line {n} is not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield _from_record(where, obj, encoding)
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Article(stable_id("malformed", source), source, "malformed", encoding=encoding,
                      error=f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        return
    if isinstance(obj, list):
        if not obj:
            yield Article(stable_id("empty", source), source, "empty", encoding=encoding, error="empty JSON list")
        for n, item in enumerate(obj, 1):
            yield _from_record(f"{source}:{n}", item, encoding)
    else:
        yield _from_record(source, obj, encoding)


def read_file(path: Path, source: str | None = None) -> Iterator[Article]:
    """Every article in one file (several for JSON lists and JSONL)."""
    source = source or str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        yield Article(stable_id("unsupported", source), source, "unsupported_format",
                      error=f"file type {suffix or '(none)'!r} is not read (supported: {', '.join(sorted(SUPPORTED))})")
        return
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            yield Article(stable_id("too_large", source), source, "too_large",
                          error=f"{size} bytes is over the {MAX_BYTES}-byte limit for one file")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Article(stable_id("unreadable", source), source, "unreadable", error=f"{type(exc).__name__}: {exc}")
        return
    decoded = decode(data)
    if decoded is None or _looks_binary(decoded[0]):
        yield Article(stable_id("undecodable", source), source, "undecodable",
                      error="bytes are not text in any known encoding (binary file?)")
        return
    text, encoding = decoded
    if suffix in TEXT_SUFFIXES:
        yield read_text_file(source, text, encoding)
    elif suffix in HTML_SUFFIXES:
        yield read_html(source, text, encoding)
    else:
        yield from read_json(source, text, encoding, lines=suffix != ".json")


def discover(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Iterator[Path]:
    """Files under ``paths`` in a stable order, skipping hidden entries and the ``exclude`` folders (outputs)."""
    excluded = {p.resolve() for p in exclude}
    for root in paths:
        if root.is_file():
            yield root
            continue
        if not root.exists():
            continue
        seen: set[Path] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            real = Path(dirpath).resolve()
            if real in seen or real in excluded:
                dirnames[:] = []
                continue
            seen.add(real)  # a symlink loop visits a folder once
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.startswith("."):
                    yield Path(dirpath) / name


def read_paths(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Iterator[Article]:
    """Every article under ``paths``; a later copy of an already seen text is marked ``duplicate``."""
    first_source: dict[str, str] = {}
    for path in discover(paths, exclude):
        for art in read_file(path):
            if art.status == OK:
                if art.article_id in first_source:
                    art = replace(art, status="duplicate", article_id=stable_id(art.article_id, art.source),
                                  error=f"same text as {first_source[art.article_id]} (article_id {art.article_id})")
                else:
                    first_source[art.article_id] = art.source
            yield art
