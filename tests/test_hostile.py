"""Input written to hurt: no network, bounded time and memory on bombs and monsters, arbitrary bytes never crash."""

import json
import os
import socket
import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from make_inputs import html_page, story, warc
from pipeline.ingest import Limits, decode, discover, normalise_text, read_bytes
from pipeline.records import STATUSES


@pytest.fixture
def no_network(monkeypatch):
    """Every way out of the machine raises, and is recorded."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access during a run")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_a_run_opens_no_socket(tmp_path, no_network):
    from pipeline.run import run

    d = tmp_path / "in"
    d.mkdir()
    # pages that would tempt a fetcher: external images, a canonical link, a redirect, a feed URL
    page = html_page(story(1), "Store1 fined").replace(
        "<head>", '<head><link rel="canonical" href="https://example.org/a"><meta http-equiv="refresh" '
                  'content="0;url=https://example.org/b"><link rel="alternate" href="https://example.org/feed">')
    (d / "page.html").write_text(page.replace("<p>", '<p><img src="https://example.org/x.png">', 1))
    (d / "crawl.warc").write_bytes(warc([("response", "https://example.org/n2", "text/html",
                                          html_page(story(2), "Store2 fined").encode())], gz=False))
    summary = run([d], tmp_path / "out")
    assert summary.by_status["ok"] == 2 and summary.actions >= 2
    assert no_network == []


def _timed(fn, limit_s):
    t = time.monotonic()
    result = fn()
    assert time.monotonic() - t < limit_s
    return result


def test_entity_expansion_and_deep_nesting_are_bounded():
    lol = ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "' + "lol" * 10 + '">'
           + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
           + ']><html><body><p>&i;</p><p>' + story(1) + "</p></body></html>")
    (art,) = _timed(lambda: list(read_bytes("lol.html", "lol.html", lol.encode(), Limits())), 10)
    assert art.status in STATUSES and art.n_chars < 100_000  # the entities were not expanded
    deep = "<html><body>" + "<div>" * 50_000 + story(2) + "</div>" * 50_000 + "</body></html>"
    (art,) = _timed(lambda: list(read_bytes("deep.html", "deep.html", deep.encode(), Limits())), 20)
    assert art.status in STATUSES and (art.status == "ok") == (art.error is None)


def test_a_50_mb_page_is_too_large_without_being_read(tmp_path):
    from pipeline.ingest import read_file

    p = tmp_path / "huge.html"
    with open(p, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # a sparse file: 50 MB to the reader, nothing on disk
    (art,) = _timed(lambda: list(read_file(p)), 2)
    assert art.status == "too_large" and "52428800 bytes" in art.error


def test_a_100k_line_jsonl_is_read_line_by_line(tmp_path):
    from pipeline.run import run

    d = tmp_path / "in"
    d.mkdir()
    lines = [json.dumps({"id": i}) if i % 1000 else "{broken" for i in range(100_000)]
    (d / "big.jsonl").write_text("\n".join(lines))
    summary = _timed(lambda: run([d], tmp_path / "out"), 60)
    assert summary.inputs == 100_000
    assert summary.by_status == {"empty": 99_900, "malformed": 100}
    arts = pd.read_parquet(tmp_path / "out" / "articles.parquet", columns=["source", "status"])
    assert len(arts) == 100_000 and arts.source.is_unique


def test_special_files_are_not_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # reading a FIFO would block the run forever
    (tmp_path / "a.txt").write_text("x")
    assert [p.name for p in discover([tmp_path])] == ["a.txt"]


# Derandomized: the same examples on every run, so `make test` is green or red for a reason; explore with
# more examples and a random seed by hand when the readers change (1 500 examples of the reader test passed).
NAMES = ["a.txt", "a.html", "a.json", "a.jsonl", "a.pdf", "a.eml", "a.warc", "a.warc.gz", "a.txt.gz", "a.zip",
         "a.jsonl.gz", "a.bin"]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=3000),
                      st.sampled_from([b"\x1f\x8b\x08", b"PK\x03\x04", b"%PDF-1.4", b"WARC/1.0\r\n", b"\xff\xfe",
                                       b"\xef\xbb\xbf", b"{", b"<html>"]).flatmap(
                          lambda head: st.binary(max_size=2000).map(lambda tail: head + tail))),
       name=st.sampled_from(NAMES))
def test_arbitrary_bytes_never_crash_a_reader_and_are_accounted_for(data, name):
    arts = list(read_bytes(name, name, data, Limits(max_bytes=5000, max_container_bytes=20_000)))
    assert arts, "every input gives at least one row"
    assert len({a.source for a in arts}) == len(arts)
    for a in arts:
        assert a.status in STATUSES
        assert (a.status == "ok") == (a.error is None)
        assert a.source == name or a.source.startswith((name + ":", name + "!"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=2000))
def test_decode_and_normalise_accept_any_bytes(data):
    decoded = decode(data)
    if decoded is not None:
        text, encoding = decoded
        assert isinstance(text, str) and encoding
        norm = normalise_text(text)
        assert normalise_text(norm) == norm  # idempotent
        assert "\r" not in norm and "\x00" not in norm


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.text(max_size=300))
def test_utf8_text_comes_back_as_written(text):
    decoded = decode(text.encode("utf-8"))
    assert decoded is not None
    # only text that looks like mojibake itself ("Ã©") may be repaired, and then the encoding says so
    assert decoded == (text, "utf-8") or decoded[1] == "utf-8+ftfy"


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(files=st.lists(st.tuples(st.sampled_from(NAMES), st.binary(max_size=1500)), min_size=1, max_size=6))
def test_a_run_over_arbitrary_files_accounts_for_every_file(tmp_path_factory, files):
    from pipeline.run import run

    d = tmp_path_factory.mktemp("arbitrary")
    for i, (name, data) in enumerate(files):
        (d / f"{i}{name}").write_bytes(data)
    run([d], d / "out", limits=Limits(max_bytes=5000, max_container_bytes=20_000))
    arts = pd.read_parquet(d / "out" / "articles.parquet", columns=["source", "container", "status"])
    owners = arts.container.fillna(arts.source)
    assert set(owners) == {str(d / f"{i}{name}") for i, (name, _) in enumerate(files)}
    assert arts.source.is_unique


def test_what_counts_as_binary_is_exactly_the_unicode_categories_it_names():
    # _NOT_TEXT spells the categories Cc (minus \t \n \f \r), Cs and Co out as ranges, for speed; unicodedata
    # is the reference, over every code point.
    import sys
    import unicodedata

    from pipeline.ingest import _NOT_TEXT

    expected = {c for c in map(chr, range(sys.maxunicode + 1))
                if (unicodedata.category(c) in ("Cc", "Cs", "Co") and c not in "\n\r\t\f") or c == "\ufffd"}
    found = {c for c in map(chr, range(sys.maxunicode + 1)) if _NOT_TEXT.fullmatch(c)}
    assert found == expected
