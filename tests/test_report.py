"""The HTML report: one self-contained file with the charts and tables the issue asks for."""

import re
from decimal import Decimal

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.report import counted_money, render


@pytest.fixture(scope="module")
def page(corpus_run):
    """The report as the command writes it over the corpus run's folder."""
    summary, _ = corpus_run
    folder = summary.files[0].parent
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 0
    return (folder / "report.html").read_text(encoding="utf-8")


def test_report_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    sources = re.findall(r'\bsrc="([^"]*)"', page)
    assert len(sources) == 4 and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    assert not re.search(r"url\(\s*['\"]?https?:", page)
    # the only http(s) references are links to the articles, which a reader follows by choice
    assert all(m.startswith("https://") for m in re.findall(r'\bhref="([^"]*)"', page))


def test_report_has_every_section(page):
    for heading in ("Money owed", "largest", "by type and status", "Articles rejected"):
        assert heading in page
    for chart in ("by regulator", "By year", "By country", "by action type"):
        assert re.search(rf'alt="[^"]*{chart}', page), chart


def test_largest_actions_come_with_their_evidence(corpus_run, page):
    _, t = corpus_run
    biggest = counted_money(t["events"]).sort_values("amount_eur", key=lambda s: s.map(float)).iloc[-1]
    import html
    assert html.escape(biggest.evidence) in page


def test_rejected_articles_are_counted_by_reason():
    arts = pd.DataFrame({"article_id": ["a", "b", "c"], "status": ["ok", "empty", "empty"],
                         "published": [None] * 3})
    empty_events = pd.DataFrame(columns=["event_id", "case_id", "case_seq", "action_type", "status", "per_period",
                                         "amount_eur", "amount", "currency", "regulator", "regulator_country",
                                         "target", "decision_date", "first_seen", "n_articles", "evidence", "urls",
                                         "conflicts"])
    page = render({"events": empty_events, "actions": pd.DataFrame(columns=["action_id"]), "articles": arts})
    assert "<td>empty</td><td>2</td>" in page


def test_text_from_articles_is_escaped():
    ev = pd.DataFrame([{"event_id": "e", "case_id": "c", "case_seq": 1, "action_type": "fine", "status": "imposed",
                        "per_period": None, "amount_eur": Decimal(5), "amount": Decimal(5), "currency": "EUR",
                        "regulator": "<b>R</b>", "regulator_country": "FR", "target": "T",
                        "decision_date": "2020", "first_seen": None, "n_articles": 1,
                        "evidence": "<script>alert(1)</script>", "urls": ["javascript:alert(1)"], "conflicts": []}])
    page = render({"events": ev, "actions": pd.DataFrame(columns=["action_id"]),
                   "articles": pd.DataFrame({"article_id": ["a"], "status": ["ok"]})})
    assert "<script>" not in page and "&lt;script&gt;" in page and 'href="javascript' not in page


def test_report_without_a_run_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "run the pipeline first" in result.output
