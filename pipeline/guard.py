"""Per-article isolation: an unexpected exception while one article goes through a stage makes that article a
``failed`` row that names the stage, the exception and the source, and the run goes on with the next one.

Guards wrap an article, a record or a batch, never a token: the happy path costs one ``try`` per article. Expected
trouble (bad bytes, broken containers, foreign languages) has its own statuses; ``failed`` is for the rest, the
bugs a run over 100,000 crawled files must survive, as Scrapy does per response and trafilatura per document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .records import Article, stable_id

FAILED = "failed"
MAX_MESSAGE = 500  # characters of an exception's message kept in ``error``: a message can quote a whole article

# The innermost module of the pipeline an exception passed through names the stage more precisely than the call
# site: the extractor calls the normalisers, the readers call the decoders.
_MODULE_STAGES = {"normalise": "normalisation", "formats": "reading"}


class StageError(Exception):
    """An unexpected exception, with the stage it happened in."""

    def __init__(self, stage: str, exc: BaseException):
        super().__init__(f"{stage}: {type(exc).__name__}: {exc}")
        self.stage, self.exc = stage, exc


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Label what goes wrong inside with the stage ``name`` (an outer label never overrides an inner one).

    >>> try:
    ...     with stage("reading"):
    ...         with stage("decoding"):
    ...             int("x")
    ... except StageError as e:
    ...     e.stage, type(e.exc).__name__
    ('decoding', 'ValueError')
    """
    try:
        yield
    except StageError:
        raise
    except Exception as exc:
        raise StageError(name, exc) from exc


def describe(exc: BaseException, default_stage: str, source: str) -> str:
    """The ``error`` of a failed article: stage, exception type and message, source.

    >>> describe(ValueError("invalid literal for int() with base 10: '¹'"), "extraction", "a.txt")
    "extraction failed: ValueError: invalid literal for int() with base 10: '¹' (source: a.txt)"
    """
    stage_name = default_stage
    if isinstance(exc, StageError):
        stage_name, exc = exc.stage, exc.exc
    stage_name = _MODULE_STAGES.get(_innermost_module(exc), stage_name)
    message = clean(str(exc))
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "…"
    return f"{stage_name} failed: {type(exc).__name__}: {message} (source: {source})"


def _innermost_module(exc: BaseException) -> str:
    """The last module of this package in the exception's traceback, without the package name."""
    found, tb = "", exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name.startswith(f"{__package__}."):
            found = name[len(__package__) + 1:]
        tb = tb.tb_next
    return found


def failed(source: str, exc: BaseException, default_stage: str, **fields: Any) -> Article:
    """A ``failed`` row for ``source``: its id hashes the source, as every rejected row's does."""
    return Article(stable_id(FAILED, source), source, FAILED, error=describe(exc, default_stage, source), **fields)


def guarded(source: str, rows: Iterator[Article], default_stage: str = "reading") -> Iterator[Article]:
    """``rows`` as they come; when producing them raises, a ``failed`` row for ``source`` ends them.

    What was yielded before the exception stays: a JSONL file whose 51st record breaks a reader keeps its first 50.
    """
    seen: set[str] = set()
    try:
        for art in rows:
            seen.add(art.source)
            yield art
    except Exception as exc:
        # the row for the source itself may be out already (a reader that raised after yielding it)
        yield failed(source if source not in seen else f"{source}#failed", exc, default_stage)


_SURROGATES = re.compile("[\ud800-\udfff]")


def writable(text: str) -> bool:
    """No lone surrogates: UTF-8 and Arrow can hold it (a file name of bytes that are not UTF-8 cannot be)."""
    return text.isascii() or not _SURROGATES.search(text)


def clean(text: str) -> str:
    r"""Text that can be written: lone surrogates (JSON's "\ud800" escapes decode to them, and neither UTF-8 nor
    Arrow can hold them) become U+FFFD.

    >>> clean("a\ud800b")
    'a\ufffdb'
    """
    return _SURROGATES.sub("\ufffd", text) if not text.isascii() else text
