"""Read input paths into :class:`Article` records, one per file or per record inside a container.

Lenient about articles: a file that cannot be read becomes an Article with a status and a specific error, and the
run goes on. Every input is accounted for exactly once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .formats import WarcRecord, gunzip, parse_email, pdf_text, warc_records, zip_members
from .guard import clean, failed, guarded, stage
from .records import OK, Article, stable_id

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}

_HEADER = re.compile(r"^(title|published|date|url|source|author|id)\s*:\s*(.*)$", re.I)
_TEXT_KEYS = ("text", "body", "content")
_DATE_KEYS = ("published", "date", "published_at", "publication_date")


def normalise_text(text: str) -> str:
    """Text as the extractor sees it: NFC, Unix newlines, no BOM or NULs, trailing spaces stripped.

    >>> normalise_text("\\ufeffA\\r\\nB  \\r\\n")
    'A\\nB'
    """
    text = unicodedata.normalize("NFC", clean(text).replace("\ufeff", "").replace("\x00", ""))
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
    if len(s) > 100:  # no date is written that long; an oversized field is not handed to dateparser
        return None
    m = re.match(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", s)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    from .normalise import parse_date

    d = parse_date(s) if s else None
    return d.start_date if d is not None and d.precision == "day" else None


# Byte-order marks, longest first so UTF-32 LE is not taken for UTF-16 LE.
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac|\u00c3\u00a9|\u00c2\u00a0")


def _utf16_without_bom(data: bytes) -> str | None:
    head = data[:4000]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode(data: bytes, hint: str | None = None) -> tuple[str, str] | None:
    """Bytes to text with the encoding used; ``None`` when no encoding fits (binary data).

    Order: a byte-order mark; UTF-16 without one (every other byte NUL); strict UTF-8; the ``hint`` a container
    declared (HTTP or MIME charset); else charset-normalizer's best guess. Text that still shows UTF-8 read as
    cp1252 (mojibake such as ``cafÃ©``) is repaired with ftfy and the encoding says so.

    >>> decode("The CNIL fined the café €50,000.".encode("cp1252")), decode("café".encode("utf-16"))
    (('The CNIL fined the café €50,000.', 'cp1252'), ('café', 'utf-16'))
    >>> decode("café".encode("utf-8").decode("cp1252").encode("utf-8"))
    ('café', 'utf-8+ftfy')
    >>> decode("The FCA fined a bank.".encode("utf-16-le"))
    ('The FCA fined a bank.', 'utf-16-le')
    """
    found = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                found = data.decode(name, errors="strict" if name != "utf-8-sig" else "replace"), name
            except UnicodeDecodeError:
                found = data.decode(name, errors="replace"), name
            break
    if found is None and (utf16 := _utf16_without_bom(data)):
        try:
            found = data.decode(utf16), utf16
        except UnicodeDecodeError:
            found = None
    if found is None:
        with contextlib.suppress(UnicodeDecodeError):
            found = data.decode("utf-8"), "utf-8"
    if found is None and hint:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            found = data.decode(hint), hint.lower()
    if found is None:
        from charset_normalizer import from_bytes

        matches = from_bytes(data)
        best = matches.best()
        try:
            western = data.decode("cp1252")  # latin-1's printable superset, the commonest legacy news encoding
        except UnicodeDecodeError:
            western = None
        # charset-normalizer judges the language from the accented letters alone, so English with one "café £5"
        # may come out as Polish cp1250 (Ł5), and a short text as cp775. cp1252 wins when it reads the bytes as
        # cleanly as the best guess, or the guess found no language at all.
        clean = [m.chaos for m in matches if m.encoding in ("cp1252", "latin_1", "iso8859_15")]
        if western is not None and (best is None or best.coherence < 0.1 or str(best) == western
                                    or (clean and min(clean) <= best.chaos + 0.01)):
            found = western, "cp1252"
        elif best is None:
            return None
        else:
            found = str(best), best.encoding
    text, encoding = found
    if _MOJIBAKE.search(text[:200_000]):
        import ftfy

        fixed = ftfy.fix_encoding(text)
        if fixed != text:
            return fixed, encoding + "+ftfy"
    return text, encoding


# What binary bytes decode to: control characters (Unicode category Cc) other than the whitespace ones, surrogates
# (Cs), private-use characters (Co) and the replacement character. The ranges of these three categories are
# fixed by Unicode's stability policy (a test checks them against unicodedata over every code point); one regex
# scan costs a fiftieth of asking unicodedata character by character, which was 1.8 ms an article (measured).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd"
                       r"\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


def _looks_binary(text: str) -> bool:
    r"""More than 5 % of the first 4,096 characters are not text.

    >>> _looks_binary("plain text\twith tabs\nand lines"), _looks_binary("\x00\x01\x02 abc"), _looks_binary("")
    (False, True, False)
    """
    if not text:
        return False
    sample = text[:4096]
    return len(_NOT_TEXT.findall(sample)) > 0.05 * len(sample)


_LETTERS = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
# Fewer words than this is a short text (a headline, a wire brief, a caption): py3langid's guess alone does not
# reject it, since on a few words it often names the wrong language ("Société Générale fined €5m by AMF" reads as
# French at p=0.5).
_SHORT_WORDS = 20


@lru_cache(maxsize=1)
def _function_word_index() -> dict[str, tuple[str, ...]]:
    """Each function word of ``rules/languages.tsv`` and the languages it belongs to."""
    from .rules import load_rules

    index: dict[str, tuple[str, ...]] = {}
    for lang, words in load_rules().function_words.items():
        for w in words:
            index[w] = index.get(w, ()) + (lang,)
    return index


def _function_word_counts(words: list[str]) -> Counter:
    index = _function_word_index()
    counts: Counter = Counter()
    for w, n in Counter(words).items():
        for lang in index.get(w, ()):
            counts[lang] += n
    return counts


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    # py3langid's model loads in ~1.4 s and ~77 MB beyond numpy: only when an article is not plainly English.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float | None]:
    """The text's language and py3langid's probability for it when the model took part in the decision.

    Returns an ISO 639-1 code; ``"und"`` (undetermined, ISO 639-2) for a text that shows no language, such as
    "$35" or a line of names and figures, and no sign of one other than English; ``None`` for text in another
    script whose language the model cannot name. ``"en"`` and ``"und"`` go through the English pipeline: short
    texts are English until shown otherwise.

    - English: its function words (``rules/languages.tsv``) make up a plausible share of the words (cheap, and
      exact on news prose); or py3langid names English; or, when nothing names another language, the text holds
      any English function word.
    - Another language: at least two of its function words, more than the English ones (py3langid breaks a tie
      between languages); or py3langid names it first and the text holds more of its function words than English
      ones, or at least one of them and p >= 0.5 ("a" is also a Spanish word); or py3langid names it with
      p >= 0.5 and the text is long (20 words or more); or the text's letters are mostly of another script.

    >>> detect_language("The regulator fined the company for failing to protect the data of its customers.")
    ('en', None)
    >>> detect_language("Die Datenschutzbehörde hat gegen das Unternehmen eine Geldbuße verhängt.")[0]
    'de'
    >>> detect_language("Pay me 7 dollars"), detect_language("$35"), detect_language("1234 5678")
    (('en', None), ('und', None), ('und', None))
    >>> detect_language("Watchdog fines bank over data breach")[0], detect_language("Société Générale fined by AMF")[0]
    ('en', 'en')
    """
    sample = text[:5000]
    words = _LETTERS.findall(sample.casefold())
    counts = _function_word_counts(words)
    en = counts.pop("en", 0)
    other_n = max(counts.values(), default=0)
    if len(words) >= 5 and en / len(words) > 0.12 and en >= other_n:
        return "en", None
    if other_n >= 2 and other_n > en:
        rank = {lang: round(float(p), 3) for lang, p in _identifier().rank(sample)}
        other = max((lang for lang, n in counts.items() if n == other_n), key=lambda lang: rank.get(lang, 0.0))
        return other, rank.get(other)
    if not words:
        return "und", None
    letters = sum(len(w) for w in words)
    non_latin = len(_LATIN.findall(sample)) < letters / 2
    code, prob = _identifier().classify(sample)
    prob = round(float(prob), 3)
    iso = re.fullmatch(r"[a-z]{2}", code) is not None
    if non_latin:
        return (code if iso else None), prob
    if code == "en" and prob >= 0.5:
        return "en", prob
    own = counts.get(code, 0)  # the named language's function words in the text
    if iso and (own > en or own and prob >= 0.5 or prob >= 0.5 and len(words) >= _SHORT_WORDS):
        return code, prob
    return ("en" if en else "und"), None


def _meta(value: str | None) -> str | None:
    return clean(value) if value else value  # an e-mail header or a JSON string can hold lone surrogates


def _article(source: str, text: str, *, title: str | None = None, published: date | None = None,
             url: str | None = None, external_id: str | None = None, encoding: str | None = None,
             extraction: str | None = None) -> Article:
    title, url, external_id = _meta(title), _meta(url), _meta(external_id)
    text = normalise_text(text)
    if not text:
        return Article(stable_id("empty", source), source, "empty", title=title, published=published, url=url,
                       external_id=external_id, encoding=encoding, error="no text after extraction",
                       extraction=extraction)
    with stage("language detection"):
        language, prob = detect_language(text)
    status, error = OK, None
    if language is None:
        status, error = ("unsupported_language", f"the text is mostly in another script than the Latin (p={prob}) "
                         "and its language could not be named; the English model was not run")
    elif language not in ("en", "und"):
        status, error = ("unsupported_language",
                         f"the text is in {language!r} (p={prob}), not English; the English model was not run")
    # Only an ok article's id is its text's: two identical foreign texts are two rows, and ids must be unique.
    article_id = content_id(text) if status == OK else stable_id(status, source)
    return Article(article_id, source, status, text=text, title=title or _first_line(text),
                   published=published, url=url, external_id=external_id, language=language, encoding=encoding,
                   error=error, extraction=extraction)


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


# A page: anything that names the document or its body. Anything else is a fragment (a feed's HTML text field, a
# one-paragraph .html brief), which trafilatura refuses to parse as it stands: it is read as the body of a page.
_DOCUMENT = re.compile(r"<(?:!doctype|html|body)\b", re.I)
# trafilatura drops text it judges too short to be an article body. When its main text is shorter than this, the
# page's visible text is measured too, and taken instead when the main text is empty, or is less than half of a
# visible text itself short enough to be a brief (a longer page's extra text is its menus and footers).
SHORT_MAIN = 1_000
SHORT_PAGE = 2_000


def read_html(source: str, html: str, encoding: str | None, url: str | None = None,
              fallback_published: date | None = None, **fields: Any) -> Article:
    """Main text and metadata of a web page with trafilatura (no network: it only parses the string); its visible
    text when the main text is missing or much shorter (see :data:`SHORT_MAIN`), so a short brief is not lost.
    ``extraction`` says which: ``main`` or ``plain``; ``empty`` is left for pages with no visible text at all."""
    import trafilatura

    if not _DOCUMENT.search(html, 0, 4096):
        html = f"<html><body>{html}</body></html>"
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False, favor_precision=True)
    except Exception:  # lxml and friends raise many kinds on broken markup: the visible text may still be there
        doc = None
    d = {} if doc is None else doc if isinstance(doc, dict) else doc.as_dict()
    text, how = d.get("text") or "", "main"
    if len(text) < SHORT_MAIN:
        try:
            with stage("HTML extraction"):
                plain = visible_text(html)
        except Exception as exc:
            if not text:
                return Article(stable_id("malformed", source), source, "malformed", encoding=encoding,
                               error=f"HTML could not be parsed: {type(exc).__name__}: {clean(str(exc))[:300]}")
            plain = ""
        if plain and (not text or (len(plain) <= SHORT_PAGE and len(text) < len(plain) / 2)):
            text, how = plain, "plain"
            if doc is None:  # the page's own metadata still counts (title, date, canonical URL)
                d = _metadata(html, url)
    if not text.strip():
        return Article(stable_id("empty", source), source, "empty", encoding=encoding,
                       error="no visible text in the HTML page")
    return _article(source, text, title=fields.get("title") or d.get("title"),
                    published=fields.get("published") or parse_published(d.get("date")) or fallback_published,
                    url=url or d.get("url"), external_id=fields.get("external_id"), encoding=encoding,
                    extraction=how)


def _metadata(html: str, url: str | None) -> dict:
    import trafilatura

    try:
        return trafilatura.extract_metadata(html, default_url=url).as_dict()
    except Exception:  # metadata is a bonus: the text is read without it
        return {}


# Elements whose text a browser does not show, and those that start a new line.
_HIDDEN = ("script", "style", "noscript", "template", "head")
_BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
           "header", "footer", "main", "aside", "nav", "blockquote", "pre", "ul", "ol", "dl", "dt", "dd", "table",
           "figure", "figcaption", "hr", "form", "address")


def visible_text(html: str) -> str:
    r"""The text a browser shows, a line per block: trafilatura's own ``html2txt`` runs paragraphs into one line
    (and drops footers), which would glue a headline to the story's first sentence.

    >>> visible_text("<h1>FTC fines Gamma</h1><script>x=1</script><p>The FTC fined Gamma Inc $3 million.</p>")
    'FTC fines Gamma\nThe FTC fined Gamma Inc $3 million.'
    >>> visible_text("<html><body><!-- note --><style>p {}</style> </body></html>")
    ''
    """
    import lxml.etree
    import lxml.html

    if not html.strip():
        return ""
    root = lxml.html.document_fromstring(html)
    lxml.etree.strip_elements(root, *_HIDDEN, with_tail=False)
    for el in root.iter(*_BLOCKS):
        el.tail = "\n" + (el.tail or "")
        el.text = "\n" + (el.text or "")
    lines = (re.sub(r"\s+", " ", line).strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


# A text field holds HTML when it starts with a tag HTML defines, or closes one ("</p>", "<br>") further on.
_OPENING = re.compile(r"\s*<(!doctype|[a-z][a-z0-9]*)\b", re.I)
_CLOSING = re.compile(r"</([a-z][a-z0-9]*)\s*>|<(br)\s*/?>", re.I)


def _is_html(text: str) -> bool:
    """
    >>> _is_html("<p>The FTC fined Gamma Inc.</p>"), _is_html("The FTC fined <b>Gamma</b>."), _is_html("a <b> c")
    (True, True, False)
    >>> _is_html("<Reuters> The FCA fined a bank."), _is_html("Profits rose 5% (<10% expected).")
    (False, False)
    """
    from lxml.html.defs import tags

    m = _OPENING.match(text)
    if m and (m.group(1).lower() == "!doctype" or m.group(1).lower() in tags):
        return True
    return any((m.group(1) or m.group(2)).lower() in tags for m in _CLOSING.finditer(text, 0, 20_000))


def _from_record(source: str, obj: object, encoding: str) -> Article:
    if not isinstance(obj, dict):
        return Article(stable_id("malformed", source), source, "malformed", encoding=encoding,
                       error=f"record is a JSON {type(obj).__name__}, not an object")
    text = next((obj[k] for k in _TEXT_KEYS if isinstance(obj.get(k), str)), None)
    external_id = None if obj.get("id") is None else _meta(str(obj.get("id")))
    title = _meta(obj.get("title")) if isinstance(obj.get("title"), str) else None
    published = parse_published(next((obj[k] for k in _DATE_KEYS if obj.get(k)), None))
    url = _meta(obj.get("url")) if isinstance(obj.get("url"), str) else None
    if text is None:
        return Article(stable_id("empty", source), source, "empty", title=title, published=published, url=url,
                       external_id=external_id, encoding=encoding,
                       error=f"record has no text field (looked for {', '.join(_TEXT_KEYS)})")
    if _is_html(text):
        return read_html(source, text, encoding, url=url, title=title, published=published, external_id=external_id)
    return _article(source, text, title=title, published=published, url=url, external_id=external_id,
                    encoding=encoding)


def read_json(source: str, text: str, encoding: str, lines: bool) -> Iterator[Article]:
    """Records of a .json (an object or a list) or .jsonl file; a bad line is one malformed record."""
    if lines:
        for n, line in enumerate(io.StringIO(text, newline="\n"), 1):  # lazily: no second copy of a big file
            if not line.strip():
                continue
            where = f"{source}:{n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Article(stable_id("malformed", where), where, "malformed", encoding=encoding,
                              error=f"line {n} is not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            except RecursionError:
                yield _reject(where, "malformed", f"line {n} nests JSON too deep to be read", encoding=encoding)
                continue
            yield _record(where, obj, encoding)
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Article(stable_id("malformed", source), source, "malformed", encoding=encoding,
                      error=f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        return
    except RecursionError:
        yield _reject(source, "malformed", "the JSON nests too deep to be read", encoding=encoding)
        return
    if isinstance(obj, list):
        if not obj:
            yield Article(stable_id("empty", source), source, "empty", encoding=encoding, error="empty JSON list")
        for n, item in enumerate(obj, 1):
            yield _record(f"{source}:{n}", item, encoding)
    else:
        yield _record(source, obj, encoding)


def _record(source: str, obj: object, encoding: str) -> Article:
    try:  # one record's trouble is that record's row: the file's other records are still read
        return _from_record(source, obj, encoding)
    except Exception as exc:
        return failed(source, exc, "reading")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input may cost; strict: a bound that is not a positive integer stops the run.

    >>> Limits(max_bytes=0)
    Traceback (most recent call last):
    ...
    ValueError: max_bytes must be a positive integer, not 0
    """

    max_bytes: int = 20_000_000  # one article, record or archive member, once unpacked
    max_container_bytes: int = 200_000_000  # one JSON/JSONL file or gzip stream unpacked; WARC files are streamed
    max_depth: int = 3  # containers inside containers (a .jsonl in a .zip in a .gz is depth 3)
    # One article's text. spaCy refuses texts over 1 M characters and its NER needs about 1 GB of working memory
    # per 100 k; the longest news stories and press releases are well under 300 k.
    max_chars: int = 300_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_container_bytes", "max_depth", "max_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")


SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | {".pdf", ".eml", ".warc", ".warc.gz", ".gz", ".zip"}


def _kind(name: str) -> str:
    """The reader a file name calls for.

    >>> [_kind(n) for n in ("a.TXT", "b.warc.gz", "c.jsonl.gz", "d.zip", "e.docx", "f")]
    ['text', 'warc', 'gzip', 'zip', 'unsupported', 'unsupported']
    """
    low = name.lower()
    if low.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
        return "warc"
    suffix = Path(low).suffix
    return {**{s: "text" for s in TEXT_SUFFIXES}, **{s: "html" for s in HTML_SUFFIXES},
            ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".pdf": "pdf", ".eml": "eml", ".gz": "gzip",
            ".zip": "zip"}.get(suffix, "unsupported")


def _reject(source: str, status: str, error: str | None, **fields: Any) -> Article:
    meta: dict[str, Any] = {k: _meta(v) if isinstance(v, str) else v for k, v in fields.items()}
    return Article(stable_id(status, source), source, status, error=error, **meta)


def _decoded(source: str, data: bytes, hint: str | None = None) -> tuple[str, str] | Article:
    with stage("decoding"):
        decoded = decode(data, hint)
        binary = decoded is not None and _looks_binary(decoded[0])
    if decoded is None or binary:
        return _reject(source, "undecodable", "bytes are not text in any known encoding (binary file?)",
                       encoding=None if decoded is None else decoded[1])
    return decoded


def read_bytes(source: str, name: str, data: bytes, limits: Limits = Limits(), depth: int = 0) -> Iterator[Article]:
    """Every article in ``data``, the content of a file or archive member called ``name``.

    Containers are opened recursively up to ``limits.max_depth``; records get ``source`` plus ``:N`` (JSON, JSONL,
    WARC) or ``!member`` (zip). Never raises on bad content: what cannot be read is a row with a status, and a
    container with no record in it is one ``empty`` row, so that every input is a row.

    >>> [(a.source, a.status) for a in read_bytes("f.jsonl", "f.jsonl", b"\\n\\n")]
    [('f.jsonl', 'empty')]
    """
    n = 0
    for art in _read_bytes(source, name, data, limits, depth):
        n += 1
        yield _within(art, limits)
    if n == 0:
        yield _reject(source, "empty", "the container holds no record")


def _within(art: Article, limits: Limits) -> Article:
    """The article, or ``too_large`` (text dropped) when its text is longer than the model can take."""
    if art.n_chars <= limits.max_chars:
        return art
    return replace(art, status="too_large", article_id=stable_id("too_large", art.source), text="",
                   error=f"{art.n_chars} characters of text is over the {limits.max_chars}-character limit for one "
                   "article")


def _read_bytes(source: str, name: str, data: bytes, limits: Limits, depth: int) -> Iterator[Article]:
    kind = _kind(name)
    if kind == "unsupported":
        yield _reject(source, "unsupported_format", f"file type {Path(name).suffix or '(none)'!r} is not read "
                      f"(supported: {', '.join(sorted(SUPPORTED))})")
        return
    if kind in ("gzip", "zip", "warc") and depth >= limits.max_depth:
        yield _reject(source, "unsupported_format",
                      f"containers nested more than {limits.max_depth} deep are not opened")
        return
    single = kind in ("text", "html", "pdf", "eml")
    limit = limits.max_bytes if single else limits.max_container_bytes
    if len(data) > limit:
        yield _reject(source, "too_large", f"{len(data)} bytes is over the {limit}-byte limit for "
                      + ("one article" if single else "one container"))
        return
    if kind == "gzip":
        inner = name[:-3]
        unpacked = gunzip(data, limits.max_bytes if _kind(inner) in ("text", "html", "pdf", "eml")
                          else limits.max_container_bytes)
        if unpacked.too_large:
            yield _reject(source, "too_large", "the gzip stream unpacks to more than the limit "
                          f"({limits.max_bytes} bytes for one article, {limits.max_container_bytes} for a container)")
            return
        arts = list(read_bytes(source, inner, unpacked.data, limits, depth + 1))
        if unpacked.error:
            if not arts:
                arts = [_reject(source, "malformed", f"{unpacked.error}; nothing could be read before the break")]
            else:  # the record the break went through may be cut short; the ones before it are whole
                last = arts[-1]
                arts[-1] = replace(last, status="malformed", article_id=stable_id("malformed", last.source),
                                   error=f"{unpacked.error}; this last record may be cut short"
                                   + (f" ({last.error})" if last.error else ""))
        yield from arts
        return
    if kind == "zip":
        try:
            members = list(zip_members(data, limits.max_bytes, limits.max_container_bytes))
        except ValueError as exc:  # zip_members turns every error of the archive itself into this
            yield _reject(source, "malformed", f"not a readable zip archive: {exc}")
            return
        if not members:
            yield _reject(source, "empty", "the zip archive holds no files")
        for m in members:
            where = f"{source}!{m.name}"
            if m.status:
                yield _reject(where, m.status, m.error)
            else:
                yield from guarded(where, read_bytes(where, m.stored, m.data, limits, depth + 1))
        return
    if kind == "warc":
        yield from read_warc(source, io.BytesIO(data), limits)
        return
    if kind == "pdf":
        yield read_pdf(source, data, limits)
        return
    if kind == "eml":
        yield read_email(source, data)
        return
    decoded = _decoded(source, data)
    if isinstance(decoded, Article):
        yield decoded
        return
    text, encoding = decoded
    if kind == "text":
        yield read_text_file(source, text, encoding)
    elif kind == "html":
        yield read_html(source, text, encoding)
    else:
        yield from read_json(source, text, encoding, lines=kind == "jsonl")


def read_warc(source: str, stream: io.BufferedIOBase, limits: Limits = Limits()) -> Iterator[Article]:
    """One row per WARC record: HTML responses are articles (URL from WARC-Target-URI, date from the page, else
    WARC-Date); request, metadata and warcinfo records are rows marked ``unsupported_format`` so that the row count
    matches the record count."""
    n = 0
    for rec in warc_records(stream, limits.max_bytes):
        n += 1
        where = f"{source}:{rec.number}"
        try:  # one record's trouble is that record's row: the crawl's other records are still read
            yield _warc_record(where, rec, limits)
        except Exception as exc:
            yield failed(where, exc, "reading", url=_meta(rec.uri))
    if n == 0:
        yield _reject(source, "empty", "the WARC file holds no record")


def _warc_record(where: str, rec: WarcRecord, limits: Limits) -> Article:
    if rec.error:
        return _reject(where, "malformed", rec.error)
    if rec.rec_type not in ("response", "resource", "conversion"):
        return _reject(where, "unsupported_format", f"WARC {rec.rec_type} record: describes a capture, holds no page",
                       url=rec.uri)
    if rec.too_large:
        return _reject(where, "too_large", f"record payload is over the {limits.max_bytes}-byte limit", url=rec.uri)
    if rec.content_type and "html" not in rec.content_type and not rec.content_type.startswith("text/"):
        return _reject(where, "unsupported_format", f"WARC record of type {rec.content_type!r} is not a page",
                       url=rec.uri)
    if not rec.payload.strip():
        return _reject(where, "empty", "WARC record with an empty payload", url=rec.uri)
    decoded = _decoded(where, rec.payload, rec.charset)
    if isinstance(decoded, Article):
        return replace(decoded, url=_meta(rec.uri))
    text, encoding = decoded
    if rec.content_type == "text/plain":
        art = read_text_file(where, text, encoding)
        return replace(art, url=art.url or _meta(rec.uri), published=art.published or parse_published(rec.warc_date))
    return read_html(where, text, encoding, url=_meta(rec.uri), fallback_published=parse_published(rec.warc_date))


def read_pdf(source: str, data: bytes, limits: Limits = Limits()) -> Article:
    """A press release with a text layer; pages that fail are named in ``error`` and the others still read."""
    try:
        pdf = pdf_text(data, limits.max_chars)
    except ValueError as exc:
        return _reject(source, "malformed", f"the PDF cannot be opened: {exc}")
    if not pdf.text.strip():
        why = "; ".join(pdf.bad_pages) if pdf.bad_pages else f"no text layer on any of its {pdf.pages} pages (scanned?)"
        return _reject(source, "malformed" if pdf.bad_pages else "empty", why, title=pdf.title)
    art = _article(source, pdf.text, title=pdf.title, encoding="pdf")
    if pdf.bad_pages:
        art = replace(art, status="malformed", article_id=stable_id("malformed", source),
                      error=f"{len(pdf.bad_pages)} of {pdf.pages} pages could not be read: " + "; ".join(pdf.bad_pages))
    return art


def read_email(source: str, data: bytes) -> Article:
    """A newsletter: subject as title, Date header as publication date, Message-ID as external id."""
    try:
        msg = parse_email(data)
    except Exception as exc:  # the stdlib parser is lenient; this guards what it still raises
        return _reject(source, "malformed", f"the e-mail cannot be parsed: {type(exc).__name__}: {exc}")
    fields: dict[str, Any] = dict(title=msg.subject, published=msg.published, external_id=msg.message_id)
    if msg.text is not None:
        return _article(source, msg.text, encoding=msg.charset or "utf-8", **fields)
    if msg.html is not None:
        return read_html(source, msg.html, msg.charset or "utf-8", **fields)
    return _reject(source, "empty", "the e-mail has no text or HTML body", title=msg.subject)


def read_file(path: Path, source: str | None = None, limits: Limits = Limits()) -> Iterator[Article]:
    """Every article in one input file (several for containers), each tagged with the file as its ``container``.

    Never raises on content: an unexpected exception while reading ends the file's rows with a ``failed`` one
    (:mod:`pipeline.guard`), after whatever was read before it; inside a container it costs only its record.
    """
    source = source or str(path)
    for art in guarded(source, _read_file(path, source, limits)):
        if art.source != source:
            # The rows were just built here and are not shared yet, so the field is set in place:
            # dataclasses.replace costs ~35 µs a row, a third of the cost of reading a JSONL line.
            object.__setattr__(art, "container", source)
        yield art


def _read_file(path: Path, source: str, limits: Limits) -> Iterator[Article]:
    kind = _kind(path.name)
    try:
        if kind == "warc":  # streamed: a crawl file is often far larger than any limit on one article
            with open(path, "rb") as fh:
                arts = [_within(a, limits) for a in read_warc(source, fh, limits)]
        elif kind == "unsupported":
            arts = list(read_bytes(source, path.name, b"", limits))
        else:
            size = path.stat().st_size
            single = kind in ("text", "html", "pdf", "eml")
            limit = limits.max_bytes if single else limits.max_container_bytes
            if size > limit:  # checked before reading, so a 50 GB file costs nothing
                arts = [_reject(source, "too_large", f"{size} bytes is over the {limit}-byte limit for "
                                + ("one article" if single else "one container"))]
            else:
                with open(path, "rb") as fh:
                    data = fh.read(limit + 1)
                arts = list(read_bytes(source, path.name, data, limits))
    except OSError as exc:
        arts = [_reject(source, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}")]
    yield from arts


def discover(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> Iterator[Path]:
    """Files under ``paths`` in a stable order, skipping hidden entries and the ``exclude`` folders (outputs).

    Symbolic links are followed, but a folder reached twice (a link loop, or two links to one place) is read once,
    and special files (FIFOs, sockets, devices) are never opened: a FIFO would block the run forever.
    """
    excluded = {p.resolve() for p in exclude}
    given: set[Path] = set()
    for root in paths:
        if root in given:  # the same path named twice is one input
            continue
        given.add(root)
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
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                try:
                    if not stat.S_ISREG(p.stat().st_mode):
                        continue
                except OSError:
                    pass  # a dangling link or a file that vanished: read_file reports it as unreadable
                yield p


class SeenTexts(Protocol):
    """Where :func:`mark_duplicates` keeps the texts seen, article_id -> its first source: a dict, or the run's
    table on disk (``pipeline.state.Seen``)."""

    def __contains__(self, article_id: str, /) -> bool: ...

    def __getitem__(self, article_id: str, /) -> str: ...

    def __setitem__(self, article_id: str, source: str, /) -> None: ...


def mark_duplicates(articles: Iterable[Article], first_source: SeenTexts | None = None) -> Iterator[Article]:
    """A later copy of an already seen text becomes ``duplicate``, pointing at the first (``duplicate_of``).

    >>> a = Article("abc", "one.txt", OK, text="x"); b = Article("abc", "two.txt", OK, text="x")
    >>> [(x.status, x.duplicate_of) for x in mark_duplicates([a, b])]
    [('ok', None), ('duplicate', 'abc')]
    """
    first_source = {} if first_source is None else first_source
    for art in articles:
        if art.status == OK:
            if art.article_id in first_source:
                art = replace(art, status="duplicate", article_id=stable_id(art.article_id, art.source),
                              duplicate_of=art.article_id,
                              error=f"same text as {first_source[art.article_id]} (article_id {art.article_id})")
            else:
                first_source[art.article_id] = art.source
        yield art


def read_paths(paths: Iterable[Path], exclude: Iterable[Path] = (), limits: Limits = Limits()) -> Iterator[Article]:
    """Every article under ``paths``; a later copy of an already seen text is marked ``duplicate``."""
    first_source: dict[str, str] = {}
    for path in discover(paths, exclude):
        yield from mark_duplicates(read_file(path, limits=limits), first_source)
