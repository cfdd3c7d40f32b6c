"""``make fuzz``: N inputs of every supported format, made from the team's own stories and mutated, through the
pipeline with ``--strict``. No input may stop the run or vanish.

Each input is one of the formats the readers take (``FORMATS``), built from a window of paragraphs of a story in
``corpus/articles`` and then hurt at random: digits and marks of other scripts, zero-width and direction marks and
other Unicode in the text (before dates and amounts too); wrong encodings and byte-order marks; broken JSON lines,
JSON nested too deep, lone surrogate escapes, records that are not objects; oversized fields; zip members with no
name, one name twice, a compression method or a version ``zipfile`` does not implement; cut gzip, zip, WARC and PDF
streams; and byte flips, insertions and deletions anywhere. Everything is drawn from ``random.Random(seed)``: a
seed gives the same files every time.

The run (a real ``python -m pipeline run ... --strict``) must then pass four checks: exit status 0 (so no article
``failed``); every input file has at least one row in articles.parquet; every row has a status, and an error
unless it is ok; and every table passes its schema (pipeline.validate) when read back. The report gives the counts
by status and the times.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import shutil
import struct
import subprocess
import sys
import time
import uuid
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "articles"
FORMATS = ("txt", "md", "html", "htm", "json", "jsonl", "ndjson", "pdf", "eml", "warc", "warc.gz", "txt.gz",
           "jsonl.gz", "html.gz", "zip")

# Characters that are digits to str.isdigit() but not to int() or not ASCII, marks of other scripts, invisible
# format characters, and other text a crawl brings.
OTHER_DIGITS = "¹²³⁴⁵⁶⁷⁸⁹⁰₁₂₃٠١٢٣٤٥٦٧٨٩۰۴۵۶०१२३४५६७८९০১২৩৪੧੨૧૨௧௨౧౨೧೨൧൨๑๒๓໑໒༡༢၁၂០១᠑᠒０１２３４５６７８９𝟎𝟏𝟐𝟙𝟚"
MARKS = "\u0300\u0301\u0308\u0327\u0338\u064b\u0651\u0670\u05b7\u0e31\u0e34\u0e48\u093f\u094d\u09bc\u0f71\u20dd"
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202e\u2066\u2069\ufeff\u00ad\u2028\u2029\u180e\u061c"
OTHER = "ßøĳǅΩЖжѣ中文日本語한국어עבריתالعربيةहिन्दीไทย€£¥₩₹₿§¶†‰™🙂🇪🇺👩‍⚖️\ufffd\u00a0\u202f\u3000"
ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252",
             "latin-1", "mac_roman", "cp437", "koi8-r", "shift_jis", "mojibake", "bom-mismatch")


@dataclass
class Stories:
    """The team's own stories, as plain paragraphs and as whole HTML pages."""

    texts: list[list[str]]  # each story's paragraphs
    pages: list[str]

    @classmethod
    def load(cls, corpus: Path = CORPUS) -> Stories:
        texts, pages = [], []
        for path in sorted(corpus.iterdir()):
            raw = path.read_text(encoding="utf-8")
            if path.suffix == ".txt":
                body = raw.split("\n\n", 1)[1] if raw.startswith("Title:") else raw
                texts.append([p.strip() for p in body.split("\n\n") if p.strip()])
            elif path.suffix == ".jsonl":
                texts += [[p for p in json.loads(line)["text"].split("\n\n") if p.strip()]
                          for line in raw.splitlines() if line.strip()]
            elif path.suffix == ".html":
                pages.append(raw)
        return cls(texts, pages)


class Texts:
    """Story text, HTML and JSON records, hurt at random: what goes inside the files :class:`Maker` makes."""

    def __init__(self, stories: Stories, rng: random.Random):
        self.stories, self.rng = stories, rng

    def text(self) -> str:
        """One to four paragraphs of a story, hurt in some of the ways a crawl hurts text."""
        r = self.rng
        paras = r.choice(self.stories.texts)
        start = r.randrange(len(paras))
        text = "\n\n".join(paras[start:start + r.randint(1, 4)])
        for _ in range(r.choice((0, 0, 1, 2, 5))):
            text = self._unicode(text)
        roll = r.random()
        if roll < 0.01:
            text = text * (310_000 // max(1, len(text)) + 1)  # over the 300,000-character limit of an article
        elif roll < 0.02:
            text += " " + "".join(r.choice("abcdefghij0123456789") for _ in range(r.randint(5_000, 50_000)))
        elif roll < 0.03:
            text = ""
        return text

    def _unicode(self, text: str) -> str:
        r = self.rng
        how = r.randrange(6)
        if how == 0:  # a digit of another script before a day, a month or an amount ("¹ October", "٣ million")
            targets = [i for i, c in enumerate(text) if c.isdigit() or c in "JFMASOND€£$"]
            if targets:
                i = r.choice(targets)
                return text[:i] + r.choice(OTHER_DIGITS) + r.choice(("", " ")) + text[i:]
        if how == 1:  # ASCII digits swapped for another script's
            return "".join(r.choice(OTHER_DIGITS) if c.isdigit() and r.random() < 0.5 else c for c in text)
        if how == 2:  # combining marks after letters
            return "".join(c + r.choice(MARKS) if c.isalpha() and r.random() < 0.05 else c for c in text)
        i = r.randrange(len(text) + 1)
        if how == 3:
            return text[:i] + "".join(r.choice(INVISIBLE) for _ in range(r.randint(1, 5))) + text[i:]
        if how == 4:
            return text[:i] + "".join(r.choice(OTHER) for _ in range(r.randint(1, 20))) + text[i:]
        junk = "".join(chr(r.choice((r.randint(0x20, 0xD7FF), r.randint(0xE000, 0x10FFFF), r.randint(0x80, 0x2FFF))))
                       for _ in range(r.randint(1, 30)))
        return text[:i] + junk + text[i:]

    def encode(self, text: str) -> bytes:
        r = self.rng
        name = r.choice(ENCODINGS)
        if name == "mojibake":  # UTF-8 read as cp1252 and saved again
            return (text.encode("utf-8", errors="replace").decode("cp1252", errors="replace")
                    .encode("utf-8", errors="replace"))
        if name == "bom-mismatch":
            return b"\xef\xbb\xbf" + text.encode("utf-16-le", errors="surrogatepass")
        return text.encode(name,
                           errors=r.choice(("replace", "ignore", "surrogatepass" if "utf" in name else "replace")))

    def _header(self) -> str:
        r = self.rng
        if r.random() < 0.5:
            return ""
        lines = [f"Title: {r.choice(self.rng.choice(self.stories.texts))[:120]}"]
        lines.append(f"Published: {r.choice(('2023-03-07', '2021-13-45', '7 March 2023', '²⁰²³-03-07', 'yesterday'))}")
        if r.random() < 0.3:
            lines.append("URL: https://example.org/" + "a" * r.choice((5, 5000)))
        return "\n".join(lines) + "\n\n"

    def html(self) -> str:
        r = self.rng
        roll = r.random()
        if roll < 0.25 and self.stories.pages:
            page = r.choice(self.stories.pages)
            i = r.randrange(len(page))
            return page[:i] + self._unicode(page[i:i + 200]) + page[i + 200:]
        text = self.text()
        paras = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        if roll < 0.5:  # a fragment: what a feed's text field or a one-paragraph brief holds
            return r.choice((paras, paras[:300], f"<div>{paras}</div>", f"<table><tr><td>{text}</td></tr></table>"))
        if roll < 0.6:
            return f"<html><body><script>var a = '{text[:50]}';</script><style>p {{}}</style>{'<div>' * 3000}" \
                   f"{paras}{'</div>' * 10}"  # unclosed, deep
        return (f"<!DOCTYPE html><html><head><title>{text[:80]}</title><meta property=\"article:published_time\" "
                f"content=\"2023-03-0{r.randint(1, 9)}\"></head><body><nav>Home | News</nav><article><h1>"
                f"{text[:80]}</h1>{paras}</article><footer>© Example</footer></body></html>")

    def record(self) -> object:
        r = self.rng
        roll = r.random()
        if roll < 0.05:
            return r.choice(([1, 2], "a string", None, 3.5, {"text": None}, {"text": ["a", "b"]}, {}))
        text = self.text()
        if roll < 0.3:
            text = r.choice((f"<p>{text}</p>", f"<p>{text[:200]}</p>", f"{text[:100]} <b>bold</b> {text[100:]}"))
        rec: dict[str, Any] = {r.choice(("text", "text", "content", "body")): text}
        if r.random() < 0.7:
            rec["title"] = text[:60] if r.random() < 0.9 else "x" * 100_000
        if r.random() < 0.6:
            rec[r.choice(("published", "date", "published_at"))] = r.choice(
                ("2023-03-07", "2023-03-07T10:00:00+01:00", "March 2023", "٢٠٢٣-٠٣-٠٧", 20230307, "n" * 10_000, None))
        if r.random() < 0.5:
            rec["id"] = r.choice((r.randrange(10**9), "id-" + str(r.randrange(100)), 10**40, {"nested": [1]}))
        if r.random() < 0.3:
            rec["url"] = "https://example.org/" + r.choice(("a", "é" * 10, "\ud800"))
        return rec

    def _dump(self, obj: object) -> str:
        # json.dumps escapes lone surrogates ("\ud800"), as real feeds do: json.loads gives them back
        return json.dumps(obj, ensure_ascii=self.rng.random() < 0.5)


class Maker(Texts):
    """Input files of every format, each drawn from ``rng``."""

    def make(self, fmt: str, depth: int = 0) -> bytes:
        """The bytes of one input of format ``fmt`` (``FORMATS``), already hurt or not."""
        r = self.rng
        if fmt in ("txt", "md"):
            data = self.encode(self._header() + self.text())
        elif fmt in ("html", "htm"):
            data = self.encode(self.html())
        elif fmt == "json":
            data = self.json_doc()
        elif fmt in ("jsonl", "ndjson"):
            data = self.json_lines()
        elif fmt == "pdf":
            data = self.pdf()
        elif fmt == "eml":
            data = self.email()
        elif fmt in ("warc", "warc.gz"):
            data = self.warc(fmt == "warc.gz")
        elif fmt.endswith(".gz"):
            # mtime=0: no clock in the bytes, so a seed makes the same file every time
            data = gzip.compress(self.make(fmt[:-3], depth + 1), mtime=0)
            if r.random() < 0.15:
                data = data[:r.randrange(len(data))]  # a cut gzip stream
        else:
            data = self.zip(depth)
        return self.damage(data) if r.random() < 0.25 else data

    def damage(self, data: bytes) -> bytes:
        """Byte flips, insertions, deletions or a cut, anywhere."""
        r = self.rng
        out = bytearray(data)
        for _ in range(r.randint(1, 8)):
            how = r.randrange(4)
            i = r.randrange(len(out) + 1)
            if how == 0 and out:
                j = min(i, len(out) - 1)
                out[j] ^= 1 << r.randrange(8)
            elif how == 1:
                out[i:i] = bytes(r.randrange(256) for _ in range(r.randint(1, 64)))
            elif how == 2:
                del out[i:i + r.randint(1, 256)]
            else:
                del out[i:]
        return bytes(out)

    def json_doc(self) -> bytes:
        r = self.rng
        roll = r.random()
        if roll < 0.05:
            text = "[" * r.choice((100, 5_000, 50_000)) + "]" * r.choice((0, 100))
        elif roll < 0.5:
            text = self._dump(self.record())
        else:
            text = self._dump([self.record() for _ in range(r.randint(0, 3))])
        if r.random() < 0.1:
            text = text[:r.randrange(len(text) + 1)]  # cut
        return self.encode_json(text)

    def json_lines(self) -> bytes:
        r = self.rng
        lines = []
        for _ in range(r.randint(1, 4)):
            roll = r.random()
            if roll < 0.08:
                lines.append("{broken json " + self.text()[:50])
            elif roll < 0.12:
                lines.append("[" * 5_000)
            elif roll < 0.15:
                lines.append("")
            else:
                lines.append(self._dump(self.record()))
        return self.encode_json("\n".join(lines) + r.choice(("\n", "", "\r\n")))

    def encode_json(self, text: str) -> bytes:
        r = self.rng
        if r.random() < 0.8:
            return text.encode("utf-8", errors="surrogatepass" if r.random() < 0.5 else "replace")
        return self.encode(text)

    def pdf(self) -> bytes:
        """A one-page PDF whose text layer holds a few lines of a story (cp1252, as the base fonts take)."""
        r = self.rng
        lines = [line[:90] for line in self.text().replace("\n", " ").split(". ") if line][:12]

        def esc(s: str) -> str:
            s = s.encode("cp1252", errors="replace").decode("cp1252")
            return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

        content = ("BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({esc(x)}) '" for x in lines) + " ET") if lines else ""
        objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                "/Resources << /Font << /F1 5 0 R >> >> >>",
                f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                f"<< /Title ({esc(lines[0][:40] if lines else 'untitled')}) >>"]
        out = b"%PDF-1.4\n"
        offsets = []
        for i, o in enumerate(objs, 1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n{o}\nendobj\n".encode("cp1252", errors="replace")
        xref = len(out)
        out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
        out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        if r.random() < 0.2:
            out = out[:r.randrange(len(out))]  # a cut PDF
        return out

    def email(self) -> bytes:
        r = self.rng
        msg = EmailMessage()
        msg["Subject"] = " ".join(self.text()[:80].split()) or "no subject"
        msg["From"] = "news@example.org"
        msg["Date"] = r.choice(("Tue, 07 Mar 2023 10:00:00 +0000", "not a date", "Tue, 45 Foo 2023 99:00:00"))
        msg["Message-ID"] = f"<{r.randrange(10**9)}@example.org>"
        body = self.text()
        charset = r.choice(("utf-8", "utf-8", "latin-1", "utf-16"))
        try:
            if r.random() < 0.3:
                msg.set_content(f"<html><body><p>{body}</p></body></html>", subtype="html", charset=charset)
            else:
                msg.set_content(body, charset=charset)
            data = bytes(msg)
        except (UnicodeError, ValueError):  # a charset that cannot hold the body: the plain UTF-8 message
            msg.set_content(body.encode("utf-8", errors="replace").decode("utf-8"))
            data = bytes(msg)
        if r.random() < 0.1:
            data = data.replace(b"Subject: ", b"Subject: \xff\xfe\xc3", 1)  # raw bytes in a header
        return data

    def warc(self, gz: bool) -> bytes:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        r = self.rng
        buf = io.BytesIO()
        w = WARCWriter(buf, gzip=gz)
        records = [w.create_warcinfo_record("crawl.warc", {"software": "pipeline.fuzz"})]
        for k in range(r.randint(1, 3)):
            ctype, body = r.choice((("text/html; charset=utf-8", lambda: self.html().encode("utf-8", "replace")),
                                    ("text/html", lambda: self.encode(self.html())),
                                    ("text/plain", lambda: self.encode(self.text())),
                                    ("image/png",
                                     lambda: b"\x89PNG\r\n\x1a\n" + bytes(r.randrange(256) for _ in range(64))),
                                    ("text/html; charset=klingon", lambda: self.html().encode("utf-8", "replace"))))
            uri = f"https://example.org/{k}/" + r.choice(("a", "é", "%ff"))
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            records.append(w.create_warc_record(uri, "response", payload=io.BytesIO(body()), http_headers=http))
        for rec in records:  # ids and dates from the seed, not from the clock: a seed gives the same bytes
            rec.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=r.getrandbits(128))}>")
            rec.rec_headers.replace_header("WARC-Date", "2023-03-04T10:00:00Z")
            w.write_record(rec)
        data = buf.getvalue()
        if r.random() < 0.2:
            data = data[:r.randrange(len(data))]  # a cut crawl
        return data

    def zip(self, depth: int) -> bytes:
        r = self.rng
        buf = io.BytesIO()
        names: list[str] = []
        with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", r.choice((
                zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA))) as zf:
            warnings.simplefilter("ignore")  # "Duplicate name": one name twice is one of the hurts
            for _ in range(r.randint(0, 4)):
                fmt = r.choice([f for f in FORMATS if depth < 1 or f not in ("zip", "txt.gz", "jsonl.gz", "html.gz")])
                name = r.choice((f"inside/m{len(names)}.{fmt}", f"m{len(names)}.{fmt}", "", f".hidden.{fmt}",
                                 f"__MACOSX/._m.{fmt}", names[-1] if names else "dup.txt", "folder/"))
                names.append(name)
                info = zipfile.ZipInfo(name)
                info.compress_type = zf.compression
                zf.writestr(info, b"" if name.endswith("/") else self.make(fmt, depth + 1))
        data = buf.getvalue()
        roll = r.random()
        if roll < 0.08:
            data = _patch_zip(data, r, method=True)  # a compression method zipfile does not implement
        elif roll < 0.16:
            data = _patch_zip(data, r, method=False)  # "zip file version 25.5": a version it does not implement
        elif roll < 0.26:
            data = data[:r.randrange(len(data))]  # a cut archive
        return data


def _patch_zip(data: bytes, r: random.Random, method: bool) -> bytes:
    """The archive with one central directory entry asking for what zipfile cannot do."""
    entries = [i for i in range(len(data)) if data.startswith(b"PK\x01\x02", i)]
    if not entries:
        return data
    i = r.choice(entries)
    out = bytearray(data)
    if method:
        out[i + 10:i + 12] = struct.pack("<H", r.choice((99, 7, 15, 97)))
    else:
        out[i + 6:i + 8] = struct.pack("<H", r.choice((64, 255, 1000)))
    return bytes(out)


def generate(folder: Path, n: int, seed: int, corpus: Path = CORPUS) -> list[Path]:
    """Write ``n`` inputs into ``folder`` (emptied first); the same seed writes the same bytes."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    maker = Maker(Stories.load(corpus), random.Random(seed))
    paths = []
    for i in range(n):
        # every format, at least once
        fmt = FORMATS[i % len(FORMATS)] if i < len(FORMATS) else maker.rng.choice(FORMATS)
        path = folder / f"{i:05d}.{fmt}"
        path.write_bytes(maker.make(fmt))
        paths.append(path)
    return paths


@dataclass
class Report:
    """What a fuzz run found: the checks that failed (none is a pass), counts and times."""

    inputs: int
    exit_code: int
    rows: int = 0
    by_status: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    generate_s: float = 0.0
    run_s: float = 0.0
    check_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        counts = ", ".join(f"{k} {v:,}" for k, v in self.by_status.most_common())
        lines = [f"inputs: {self.inputs:,} files; articles.parquet: {self.rows:,} rows ({counts})",
                 f"time: generation {self.generate_s:.1f} s, pipeline run {self.run_s:.1f} s, "
                 f"checks {self.check_s:.1f} s",
                 f"exit status: {self.exit_code}"]
        lines += [f"PROBLEM: {p}" for p in self.problems] or ["checks passed: exit 0, every input has a row, every "
                                                               "row a status (and an error unless ok), tables valid"]
        return "\n".join(lines)


def check(paths: list[Path], out: Path, exit_code: int, stderr: str = "") -> Report:
    """The four checks of a run over ``paths`` that wrote into ``out`` and exited with ``exit_code``."""
    import pandas as pd

    from .records import OK, STATUSES

    report = Report(len(paths), exit_code)
    if exit_code != 0:
        report.problems.append(f"the run exited {exit_code}: {stderr.strip()[-2000:]}")
    try:
        arts = pd.read_parquet(out / "articles.parquet")
    except (OSError, ValueError) as exc:
        report.problems.append(f"articles.parquet cannot be read: {exc}")
        return report
    report.rows, report.by_status = len(arts), Counter(arts["status"])
    owners = set(arts["container"].fillna(arts["source"]))
    missing = [str(p) for p in paths if str(p) not in owners]
    if missing:
        report.problems.append(f"{len(missing)} input files have no row, e.g. {missing[:5]}")
    bad_status = arts[~arts["status"].isin(STATUSES)]
    if len(bad_status):
        report.problems.append(f"{len(bad_status)} rows have no known status, "
                               f"e.g. {bad_status['source'].head(3).tolist()}")
    no_error = arts[(arts["status"] != OK) & arts["error"].isna()]
    if len(no_error):
        report.problems.append(f"{len(no_error)} rejected rows have no error, "
                               f"e.g. {no_error['source'].head(3).tolist()}")
    for row in arts[arts["status"] == "failed"].head(20).itertuples():
        report.problems.append(f"failed: {row.error}")
    report.problems += validate_tables(out, arts)
    return report


def validate_tables(out: Path, arts: pd.DataFrame | None = None) -> list[str]:
    """Every table of ``out`` read back and checked against its schema; one line per failure."""
    import pandas as pd

    from .validate import SCHEMAS, split_valid
    from .write import articles_frame

    def typed(df: pd.DataFrame, dates: tuple[str, ...]) -> pd.DataFrame:
        for c in df.columns:
            if c in dates:
                df[c] = pd.to_datetime(df[c]).astype("datetime64[ms]")
            elif df[c].dtype != "int64" and df[c].dtype != "float64":
                df[c] = df[c].astype(object).where(df[c].notna(), None)
        return df

    arts = pd.read_parquet(out / "articles.parquet") if arts is None else arts
    problems = []
    n_chars = dict(zip(arts["article_id"], arts["n_chars"], strict=True))
    frames = {"articles": articles_frame(arts.to_dict("records"))}
    for name, dates in (("actions", ("fx_date", "deadline_date")), ("mentions", ()),
                        ("events", ("deadline_date", "first_seen", "last_seen"))):
        df = typed(pd.read_parquet(out / f"{name}.parquet"), dates)
        if name != "events":
            df["n_chars"] = df["article_id"].map(n_chars).fillna(-1).astype("int64")
        frames[name] = df
    for name, df in frames.items():
        assert name in SCHEMAS
        _, errors = split_valid(name, df)
        problems += [f"{name}.parquet: row {e['row_id']} fails {e['check']} on {e['column']}: {e['failure']}"
                     for e in errors[:10]]
    return problems


def fuzz(n: int, seed: int, folder: Path, workers: int = 1, corpus: Path = CORPUS) -> Report:
    """Generate ``n`` inputs into ``folder/inputs``, run the pipeline on them with ``--strict`` into ``folder/out``,
    and check what it wrote."""
    t = time.monotonic()
    paths = generate(folder / "inputs", n, seed, corpus)
    generated = time.monotonic() - t
    out = folder / "out"
    shutil.rmtree(out, ignore_errors=True)
    t = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", __package__, "run", str(folder / "inputs"), "--out", str(out),
                           "--strict", "--quiet", "--workers", str(workers)], capture_output=True, text=True)
    ran = time.monotonic() - t
    report = check(paths, out, proc.returncode, proc.stderr)
    report.generate_s, report.run_s, report.check_s = generated, ran, time.monotonic() - t - ran
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="how many input files to make")
    ap.add_argument("--seed", type=int, default=1, help="the seed everything is drawn from")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the run")
    ap.add_argument("--folder", type=Path, default=Path("outputs/fuzz"), help="where inputs/ and out/ go")
    args = ap.parse_args(argv)
    print(f"fuzz: {args.n:,} inputs, seed {args.seed}, {args.workers} workers, in {args.folder}", flush=True)
    report = fuzz(args.n, args.seed, args.folder / f"seed-{args.seed}", args.workers)
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
