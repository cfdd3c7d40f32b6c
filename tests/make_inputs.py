"""Builders for test inputs of every format, good and bad: the tests make their files instead of shipping binaries."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from email.message import EmailMessage
from pathlib import Path


def story(n: int, regulator: str = "The Dutch data protection authority") -> str:
    """A short English enforcement story, different for each ``n``."""
    return (f"{regulator} fined the retailer Store{n} Holdings €{n + 1} million on 3 March 2023, saying the company "
            f"had kept the data of its customers for far too long. It is the {n}th fine of the year, and the "
            "regulator said that the company has three months to delete the records.")


def pdf(lines: list[str] | None, title: str | None = None) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (none: a page with no text, like a scan)."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = ("BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({esc(x)}) '" for x in lines) + " ET") if lines else ""
    info = f"<< /Title ({esc(title)}) >>" if title else "<< >>"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", info]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode("cp1252")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def warc(records: list[tuple[str, str, str, bytes]], gz: bool) -> bytes:
    """A WARC file: a warcinfo record, then per (type, uri, content_type, body) a request and a response."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    w.write_record(w.create_warcinfo_record("crawl.warc", {"software": "tests"}))
    for rec_type, uri, ctype, body in records:
        req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
        w.write_record(w.create_warc_record(uri, "request", http_headers=req))
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(uri, rec_type, payload=io.BytesIO(body), http_headers=http,
                                            warc_headers_dict={"WARC-Date": "2023-03-04T10:00:00Z"}))
    return buf.getvalue()


def html_page(body: str, title: str, published: str = "2023-03-04") -> str:
    return (f"<html><head><title>{title}</title><meta property=\"article:published_time\" content=\"{published}\">"
            f"</head><body><article><h1>{title}</h1><p>{body}</p><p>{body.replace('fined', 'also fined')}</p>"
            "</article></body></html>")


def email_bytes(subject: str, body: str, html: bool = False) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "news@example.org"
    msg["Date"] = "Tue, 07 Mar 2023 10:00:00 +0000"
    msg["Message-ID"] = f"<{abs(hash(subject))}@example.org>"
    if html:
        msg.set_content(html_page(body, subject), subtype="html")
    else:
        msg.set_content(body)
    return bytes(msg)


def every_kind(d: Path) -> dict[str, str]:
    """Write one file of every kind, good and bad, into ``d``; return the expected status of every row's source
    (relative to ``d``). ``max_bytes`` for the run must be 100_000 (``big.txt`` is over it)."""
    d.mkdir(parents=True, exist_ok=True)
    exp: dict[str, str] = {}

    def put(name: str, data: bytes | str, status: str | dict[str, str]):
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        exp.update({name: status} if isinstance(status, str) else status)

    put("a_good.txt", f"Title: Store fined\nPublished: 2023-03-05\n\n{story(1)}\n", "ok")
    put("b_copy.txt", f"Title: Store fined\nPublished: 2023-03-05\n\n{story(1)}\n", "duplicate")
    put("bom.txt", b"\xef\xbb\xbf" + story(2).encode(), "ok")
    put("utf16.txt", story(3).encode("utf-16"), "ok")
    put("cp1252.txt", story(4).replace("€", "£").replace("retailer", "café operator").encode("cp1252"), "ok")
    put("mojibake.txt", story(5).replace("retailer", "café chain").encode("utf-8").decode("cp1252").encode("utf-8"),
        "ok")
    put("empty.txt", "  \n\n", "empty")
    put("binary.txt", bytes(range(256)) * 40, "undecodable")
    put("french.txt", "La CNIL a infligé une amende de 20 millions d'euros à la société Clearview AI pour avoir "
        "collecté des données biométriques sans base légale, a indiqué l'autorité dans un communiqué.",
        "unsupported_language")
    put("notes.docx", b"PK\x03\x04 not really", "unsupported_format")
    put("big.txt", story(6) + " padding" * 20_000, "too_large")
    put("page.html", html_page(story(7), "Regulator fines Store7"), "ok")
    lines = [json.dumps({"id": "r1", "title": "t", "text": story(8), "published": "2023-03-05"}),
             json.dumps({"id": "r2", "title": "no text"}), "{not json", json.dumps([1, 2])]
    put("feed.jsonl", "\n".join(lines) + "\n", {"feed.jsonl:1": "ok", "feed.jsonl:2": "empty",
                                                "feed.jsonl:3": "malformed", "feed.jsonl:4": "malformed"})
    put("list.json", json.dumps([{"text": story(9)}, {"text": ""}]), {"list.json:1": "ok", "list.json:2": "empty"})
    put("bad.json", '{"text": "unterminated', "malformed")
    put("story.txt.gz", gzip.compress(story(10).encode()), "ok")
    jl = "\n".join(json.dumps({"text": story(n)}) for n in (11, 12, 13)).encode()
    # cut inside the third line's compressed bytes: two whole lines, the third is lost with the cut
    put("cut.jsonl.gz", gzip.compress(jl)[:-30], {"cut.jsonl.gz:1": "ok", "cut.jsonl.gz:2": "malformed"})
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inside/a.txt", story(14))
        zf.writestr("inside/b.html", html_page(story(15), "Store15 fined"))
        zf.writestr("inside/c.bin", b"\x00\x01")
        zf.writestr("__MACOSX/._a.txt", b"resource fork")
        zf.writestr("feed.jsonl", json.dumps({"text": story(16)}) + "\n{bad\n")
    put("bundle.zip", zbuf.getvalue(), {"bundle.zip!inside/a.txt": "ok", "bundle.zip!inside/b.html": "ok",
                                        "bundle.zip!inside/c.bin": "unsupported_format",
                                        "bundle.zip!feed.jsonl:1": "ok", "bundle.zip!feed.jsonl:2": "malformed"})
    put("broken.zip", b"PK\x03\x04" + os.urandom(64), "malformed")
    records = [("response", "https://example.org/n17", "text/html; charset=utf-8",
                html_page(story(17), "Store17 fined").encode()),
               ("response", "https://example.org/logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]
    put("crawl.warc", warc(records, gz=False), {"crawl.warc:1": "unsupported_format",
                                                "crawl.warc:2": "unsupported_format", "crawl.warc:3": "ok",
                                                "crawl.warc:4": "unsupported_format",
                                                "crawl.warc:5": "unsupported_format"})
    records = [("response", "https://example.org/n18", "text/html", html_page(story(18), "Store18 fined").encode())]
    put("crawl.warc.gz", warc(records, gz=True), {"crawl.warc.gz:1": "unsupported_format",
                                                  "crawl.warc.gz:2": "unsupported_format", "crawl.warc.gz:3": "ok"})
    put("release.pdf", pdf(story(19).split(". "), title="Press release"), "ok")
    put("scanned.pdf", pdf(None), "empty")
    put("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\ntruncated", "malformed")
    put("newsletter.eml", email_bytes("Weekly enforcement roundup", story(20)), "ok")
    put("html_mail.eml", email_bytes("Store21 fined", story(21), html=True), "ok")
    (d / ".hidden.txt").write_text(story(22))  # hidden: not an input
    (d / "gone.txt").symlink_to(d / "no-such-file.txt")  # a file that vanished
    exp["gone.txt"] = "unreadable"
    (d / "loop").mkdir()
    (d / "loop" / "again").symlink_to(d)  # a symlink loop back to the top
    return exp
