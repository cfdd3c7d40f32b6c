"""Every input format and failure the issue lists, in one folder: each row's status, and rows == inputs."""

import gzip
import re
import io
import zipfile

import pandas as pd
import pytest

from make_inputs import every_kind, story, warc
from pipeline.ingest import Limits, read_bytes, read_file

LIMITS = Limits(max_bytes=100_000)


@pytest.fixture(scope="module")
def every_kind_run(tmp_path_factory):
    from pipeline.run import run

    root = tmp_path_factory.mktemp("every_kind")
    d = root / "in"
    expected = every_kind(d)
    out = d / "out"  # the output folder inside the input folder: never read back as input
    summary = run([d], out, limits=LIMITS)
    summary2 = run([d], out, limits=LIMITS)  # a second run into the same folder must not read its outputs
    arts = pd.read_parquet(out / "articles.parquet")
    arts["rel"] = arts.source.str.slice(len(str(d)) + 1)
    return expected, arts, summary, summary2, out


def test_every_input_is_one_row_with_the_expected_status(every_kind_run):
    expected, arts, summary, summary2, _ = every_kind_run
    got = dict(zip(arts.rel, arts.status, strict=True))
    assert got == expected
    assert len(arts) == len(expected) == summary.inputs == summary2.inputs
    # only the unreadable file is tried again: it has no bytes to fingerprint, it may be readable next time
    assert summary2.read_files == 1 and summary2.reused_files == summary.input_files - 1
    assert arts.source.is_unique and arts.article_id.is_unique


def test_every_rejection_says_where_and_why(every_kind_run):
    _, arts, *_ = every_kind_run
    err = dict(zip(arts.rel, arts.error, strict=True))
    assert arts[arts.status != "ok"].error.notna().all()
    assert "line 3 is not valid JSON" in err["feed.jsonl:3"]
    assert "JSON list, not an object" in err["feed.jsonl:4"]
    assert "truncated gzip" in err["cut.jsonl.gz:2"]
    assert "100000-byte limit" in err["big.txt"]
    assert "'fr'" in err["french.txt"]
    assert "WARC request record" in err["crawl.warc:2"] and "image/png" in err["crawl.warc:5"]
    assert "not a readable zip" in err["broken.zip"] and "cannot be opened" in err["broken.pdf"]
    assert "no text layer" in err["scanned.pdf"]
    assert "b_copy.txt" not in err["b_copy.txt"] and "a_good.txt" in err["b_copy.txt"]
    assert "FileNotFoundError" in err["gone.txt"]


def test_encodings_languages_and_metadata_are_recorded(every_kind_run):
    _, arts, *_ = every_kind_run
    row = arts.set_index("rel")
    assert row.at["bom.txt", "encoding"] == "utf-8-sig"
    assert row.at["utf16.txt", "encoding"] == "utf-16"
    assert row.at["cp1252.txt", "encoding"] == "cp1252"
    assert row.at["mojibake.txt", "encoding"] == "utf-8+ftfy" and "café chain" in row.at["mojibake.txt", "title"]
    assert row.at["french.txt", "language"] == "fr"
    ok = arts[arts.status == "ok"]
    assert (ok.language == "en").all()
    assert row.at["crawl.warc:3", "url"] == "https://example.org/n17"
    assert str(row.at["crawl.warc:3", "published"])[:10] == "2023-03-04"
    assert row.at["release.pdf", "title"] == "Press release"
    assert row.at["newsletter.eml", "title"] == "Weekly enforcement roundup"
    assert str(row.at["newsletter.eml", "published"])[:10] == "2023-03-07"
    assert row.at["bundle.zip!inside/a.txt", "container"].endswith("bundle.zip")
    assert pd.isna(row.at["a_good.txt", "container"])
    assert row.at["b_copy.txt", "duplicate_of"] == row.at["a_good.txt", "article_id"]


def test_actions_come_from_every_readable_format(every_kind_run):
    _, arts, _, _, out = every_kind_run
    acts = pd.read_parquet(out / "actions.parquet")
    sources = set(arts.set_index("article_id").loc[acts.article_id.unique(), "rel"])
    for s in ("a_good.txt", "utf16.txt", "page.html", "story.txt.gz", "bundle.zip!inside/a.txt", "crawl.warc:3",
              "crawl.warc.gz:3", "release.pdf", "newsletter.eml"):
        assert s in sources, s


def test_status_command_reconciles_with_the_table(every_kind_run):
    from typer.testing import CliRunner

    from pipeline.cli import app

    expected, _, _, _, out = every_kind_run
    result = CliRunner().invoke(app, ["status", str(out)])
    assert result.exit_code == 0, result.output
    assert f"articles: {len(expected)} rows" in result.output
    assert re.search(r"too_large +1\n", result.output) and re.search(r"ok +18\n", result.output)


@pytest.mark.parametrize("data,status", [
    (gzip.compress(b"x" * 200_000), "too_large"),  # a gzip bomb in miniature: never inflated past the limit
    (b"\x1f\x8b\x08\x00garbage", "malformed"),
])
def test_gzip_limits_and_corruption(data, status):
    (art,) = read_bytes("f.txt.gz", "f.txt.gz", data, LIMITS)
    assert art.status == status


def test_zip_bomb_and_nesting_are_bounded():
    def zipped(name, data):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, data)
        return buf.getvalue()

    bomb = zipped("zeros.txt", b"0" * 5_000_000)  # 5 MB of zeros in ~5 kB
    (art,) = read_bytes("b.zip", "b.zip", bomb, LIMITS)
    assert art.status == "too_large" and art.source == "b.zip!zeros.txt"
    nested = zipped("a.zip", zipped("b.zip", zipped("c.zip", zipped("d.txt", story(1)))))
    (art,) = read_bytes("n.zip", "n.zip", nested, LIMITS)
    assert art.status == "unsupported_format" and "nested more than 3 deep" in art.error


@pytest.mark.parametrize("gz", [True, False])
def test_a_cut_warc_keeps_the_records_before_the_cut(tmp_path, gz):
    page = b"<html><body><p>" + story(1).encode() + b"</p></body></html>"
    data = warc([("response", "https://e.org/1", "text/html", page)] * 2, gz=gz)
    p = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    p.write_bytes(data[: len(data) - 40])
    rows = list(read_file(p, limits=LIMITS))
    assert [r.status for r in rows] == ["unsupported_format"] * 2 + ["ok", "unsupported_format", "malformed"]
    assert "record 5 is cut short" in rows[-1].error


def test_status_needs_an_output_folder(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    assert CliRunner().invoke(app, ["status", str(tmp_path)]).exit_code == 2


def test_limits_are_strict(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--max-bytes", "0"])
    assert result.exit_code == 2 and "max_bytes must be a positive integer" in result.output


def test_a_text_longer_than_the_model_takes_is_too_large():
    (art,) = read_bytes("long.txt", "long.txt", story(1).encode(), Limits(max_chars=100))
    assert art.status == "too_large" and "100-character limit" in art.error and art.text == ""
