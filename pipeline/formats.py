"""Bytes of the container and document formats to plain pieces: gzip, zip, WARC, PDF and e-mail.

These functions know nothing of articles: :mod:`pipeline.ingest` turns what they return into
:class:`~pipeline.records.Article` rows. Every one is bounded: no read is larger than the limit it is given, so a
zip bomb or a gzip bomb costs at most ``limit`` bytes of memory, and a broken stream yields what was read before
the break together with what broke.
"""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

CHUNK = 1 << 20


@dataclass(frozen=True)
class Unpacked:
    """The bytes of a decompressed stream, or as much of it as could be read."""

    data: bytes
    too_large: bool = False  # the stream holds more than the limit; ``data`` is then empty
    error: str | None = None  # why the stream ended early (truncated, corrupt); ``data`` holds what came before


def gunzip(data: bytes, limit: int) -> Unpacked:
    """Decompress gzip ``data`` without ever holding more than ``limit`` bytes of output.

    >>> import gzip
    >>> gunzip(gzip.compress(b"hello"), 100)
    Unpacked(data=b'hello', too_large=False, error=None)
    >>> gunzip(gzip.compress(b"x" * 1000), 100).too_large
    True
    >>> cut = gunzip(gzip.compress(b"hello world" * 50)[:-12], 10_000)
    >>> cut.data[:11], cut.error.startswith("truncated")
    (b'hello world', True)
    """
    out = bytearray()
    d = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    tail = data
    try:
        while tail:
            out += d.decompress(tail, limit + 1 - len(out))
            if len(out) > limit:
                return Unpacked(b"", too_large=True)
            if d.unconsumed_tail:
                tail = d.unconsumed_tail
                continue
            if d.eof:
                rest = d.unused_data
                if rest.strip(b"\x00"):  # another gzip member follows (concatenated gzip files are one stream)
                    d, tail = zlib.decompressobj(wbits=47), rest
                    continue
                return Unpacked(bytes(out))
            break
    except zlib.error as exc:
        return Unpacked(bytes(out), error=f"corrupt gzip data after {len(out)} bytes: {exc}")
    return Unpacked(bytes(out), error=f"truncated gzip stream: it ends after {len(out)} decompressed bytes")


@dataclass(frozen=True)
class Member:
    """One file inside a zip archive: its bytes, or why they were not read."""

    name: str  # unique in the archive: the stored name, with "(entry N)" added to a repeated or missing one
    data: bytes = b""
    status: str | None = None  # None when read; else too_large, malformed, unsupported_format
    error: str | None = None
    stored: str = ""  # the name as stored, whose extension says how to read the member


def zip_members(data: bytes, limit: int, total_limit: int) -> Iterator[Member]:
    """The files of a zip archive in stored order; folders and hidden or macOS resource entries are skipped.

    A member larger than ``limit`` (by its header or, for headers that lie, while reading), or one that would take
    the archive past ``total_limit`` bytes unpacked, is reported ``too_large`` and not inflated. Every member goes
    through one guarded path: whatever ``zipfile`` raises on it (a bad header, an empty name, a compression method
    or version it does not implement, a cut stream) makes that member a ``malformed`` row, and the next is read.
    Names are made unique (an archive may hold one name twice, or none): each is a row of its own. Raises
    ``ValueError``, naming the cause, when the archive itself cannot be opened.

    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as zf:
    ...     zf.writestr("dir/", ""); zf.writestr("dir/a.txt", "one"); zf.writestr(".DS_Store", "")
    >>> [(m.name, m.data) for m in zip_members(buf.getvalue(), 100, 1000)]
    [('dir/a.txt', b'one')]
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # BadZipFile, and NotImplementedError, struct, Unicode errors on odd central directories
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    unpacked = 0
    names: set[str] = set()
    for number, info in enumerate(infos, 1):
        name = info.filename or f"(entry {number})"
        if name in names:
            name = f"{name} (entry {number})"
        names.add(name)
        try:
            member, size = _zip_member(zf, info, name, limit, unpacked, total_limit)
        except Exception as exc:  # whatever zipfile, zlib, bz2 or lzma raise on this member: it is unreadable
            member, size = Member(name, status="malformed",
                                  error=f"the member could not be read: {type(exc).__name__}: {exc}"), 0
        unpacked += size
        if member is not None:
            yield replace(member, stored=info.filename)


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int, unpacked: int,
                total_limit: int) -> tuple[Member | None, int]:
    """One member and the bytes it unpacked to; None for what is not a file (folders, hidden, macOS forks)."""
    parts = info.filename.rstrip("/").split("/")
    if info.filename.endswith("/") or any(p.startswith(".") for p in parts) or parts[0] == "__MACOSX":
        return None, 0
    if info.flag_bits & 0x1:
        return Member(name, status="unreadable", error="the member is encrypted"), 0
    if info.file_size > limit:
        return Member(name, status="too_large",
                      error=f"{info.file_size} bytes unpacked is over the {limit}-byte limit"), 0
    if unpacked + info.file_size > total_limit:
        return Member(name, status="too_large",
                      error=f"the archive unpacks to more than {total_limit} bytes; this member was not inflated"), 0
    with zf.open(info) as fh:
        body = fh.read(limit + 1)
    if len(body) > limit:  # a header that understates the size
        return Member(name, status="too_large", error=f"over the {limit}-byte limit when unpacked"), 0
    return Member(name, body), len(body)


@dataclass(frozen=True)
class WarcRecord:
    """One WARC record: its type, target URI, date and (for responses) the HTTP payload, already de-chunked."""

    number: int
    rec_type: str
    uri: str | None = None
    warc_date: str | None = None
    content_type: str | None = None
    charset: str | None = None
    payload: bytes = b""
    too_large: bool = False
    error: str | None = None  # set on the record where the stream broke; no record follows it


def warc_records(stream: io.BufferedIOBase, limit: int) -> Iterator[WarcRecord]:
    """Every record of a (possibly gzipped) WARC stream, numbered from 1; a broken stream ends with an error record.

    Payloads over ``limit`` are not kept (``too_large``). warcio parses headers only: no URL is ever fetched.
    """
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    try:
        for rec in ArchiveIterator(stream, check_digests=False):
            n += 1
            headers = rec.rec_headers
            ctype = None
            if rec.http_headers is not None:
                ctype = rec.http_headers.get_header("Content-Type")
            elif rec.content_type:
                ctype = rec.content_type
            charset = None
            if ctype and "charset=" in ctype.lower():
                charset = ctype.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"\'') or None
            body, too_large, error = b"", False, None
            if rec.rec_type in ("response", "resource", "conversion"):
                body = rec.content_stream().read(limit + 1)
                if len(body) > limit:
                    body, too_large = b"", True
            else:
                while rec.raw_stream.read(CHUNK):  # drained here so that a cut inside it is seen below
                    pass
            # warcio stops quietly at a cut: a record whose block is shorter than its Content-Length was cut
            if rec.rec_type is None:
                error = f"record {n} has no WARC header: the stream is cut or corrupt here"
            elif not too_large and getattr(rec.raw_stream, "limit", 0) > 0:
                error = f"record {n} is cut short: {rec.raw_stream.limit} bytes of its block are missing"
            yield WarcRecord(n, rec.rec_type or "broken", headers.get_header("WARC-Target-URI"),
                             headers.get_header("WARC-Date"), (ctype or "").split(";")[0].strip().lower() or None,
                             charset, body, too_large, error)
            if error:
                return
    except Exception as exc:  # warcio raises ArchiveLoadFailed, zlib, EOF and value errors on broken streams
        yield WarcRecord(n + 1, "broken",
                         error=f"the WARC stream is broken after record {n}: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class PdfText:
    """The text layer of a PDF, page by page, and the pages that could not be read."""

    text: str
    title: str | None = None
    pages: int = 0
    bad_pages: list[str] = field(default_factory=list)


def pdf_text(data: bytes, max_chars: int | None = None) -> PdfText:
    """Text of every page that has a text layer; a page that fails is listed, the others are still read.

    Pages stop being read once the text is longer than ``max_chars``: a 10 000-page report costs no more than the
    pages that prove it too long. Raises ``ValueError`` (with pypdf's reason) when the document cannot be opened.
    pypdf itself bounds every decompressed stream (75 MB), so a PDF bomb is refused, not inflated.
    """
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken files are reported per page, not as log noise
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("the PDF is encrypted with a password")
        pages = list(reader.pages)
    except ValueError:
        raise
    except Exception as exc:  # pypdf raises its own errors and plain ones (KeyError, TypeError) on broken files
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    texts, bad, total = [], [], 0
    for i, page in enumerate(pages, 1):
        try:
            texts.append(page.extract_text() or "")
            total += len(texts[-1])
        except Exception as exc:
            bad.append(f"page {i}: {type(exc).__name__}: {exc}")
        if max_chars is not None and total > max_chars:
            break
    title = None
    try:
        meta = reader.metadata
        title = str(meta.title).strip() if meta is not None and meta.title else None
    except Exception:  # metadata is optional; a broken info dictionary does not lose the text
        title = None
    return PdfText("\n\n".join(t for t in texts if t.strip()), title, len(pages), bad)


@dataclass(frozen=True)
class Email:
    """The parts of an e-mail that make an article."""

    subject: str | None
    published: date | None
    message_id: str | None
    text: str | None  # the text/plain body, else None
    html: str | None  # the text/html body when there is no plain one
    charset: str | None


def parse_email(data: bytes) -> Email:
    """Subject, date, id and body of an RFC 822 message; attachments are ignored.

    >>> m = parse_email(b"Subject: Fine\\nDate: Tue, 07 Mar 2023 10:00:00 +0000\\nMessage-ID: <a@b>\\n\\n"
    ...                 b"The FCA fined X.")
    >>> m.subject, m.published, m.message_id, m.text.strip()
    ('Fine', datetime.date(2023, 3, 7), '<a@b>', 'The FCA fined X.')
    """
    from email.utils import parsedate_to_datetime

    msg = email.message_from_bytes(data, policy=email.policy.default)
    published = None
    try:
        when = msg["Date"]
        published = parsedate_to_datetime(str(when)).date() if when else None
    except (TypeError, ValueError, IndexError):
        published = None
    plain = html = None
    charset = None
    try:
        part = msg.get_body(preferencelist=("plain",))
        if part is not None:
            plain, charset = part.get_content(), part.get_content_charset()
        else:
            part = msg.get_body(preferencelist=("html",))
            if part is not None:
                html, charset = part.get_content(), part.get_content_charset()
    except (LookupError, ValueError, AttributeError):  # unknown charset or broken MIME: take the raw payload
        payload = msg.get_payload(decode=True)
        plain = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else None
    subject = str(msg["Subject"]).strip() if msg["Subject"] else None
    message_id = str(msg["Message-ID"]).strip() if msg["Message-ID"] else None
    return Email(subject, published, message_id, plain, html, charset)
