"""Golden end-to-end articles from the team corpus: must-find and must-not-find facts, and the tables' schemas."""

from decimal import Decimal

import pandas as pd
import pytest


def _amounts(df):
    return {Decimal(str(a)).normalize() for a in df.amount.dropna()}


def test_corpus_runs_clean(corpus_run):
    summary, t = corpus_run
    assert summary.by_status["ok"] == len(t["articles"]) >= 30
    assert len(t["errors"]) == 0


@pytest.mark.parametrize("stem,must_find,must_not_find", [
    ("002_dpc_meta", [("ie-dpc", "1.2E+9", "EUR")], ["1.166E+11"]),
    ("003_cnpd_amazon", [("lu-cnpd", "7.46E+8", "EUR")], ["1.131E+11"]),
    ("013_ico_british_airways", [("gb-ico", "2E+7", "GBP")], []),
    ("015_ftc_facebook", [("us-ftc", "5E+9", "USD")], ["1.69E+10"]),
    ("016_ec_google_android", [("eu-commission", "4.125E+9", "EUR")], ["2.576E+11"]),  # the fine as the court cut it
    ("047_sec_boesky_1986_wire", [("us-sec", "1E+8", "USD")], []),
    ("048_sec_kidder_peabody_1987_wire", [("us-sec", "2.53E+7", "USD")], ["6E+8"]),  # not the purchase price
    ("049_ec_facebook_whatsapp_misleading", [("eu-commission", "1.1E+8", "EUR"), ("it-agcm", "3E+6", "EUR")],
     ["1.9E+10", "2.76E+10"]),  # not what Facebook paid for WhatsApp, nor its revenue
    ("050_se_datainspektionen_google_delisting", [("se-imy", "7.5E+7", "SEK")], ["7E+6", "1.619E+11"]),
])
def test_golden_articles(corpus_run, stem, must_find, must_not_find):
    _, t = corpus_run
    arts = t["articles"]
    aid = arts[arts.source.str.contains(stem)].article_id.iloc[0]
    acts = t["actions"][t["actions"].article_id == aid]
    found = {(r.regulator_id, Decimal(str(r.amount)).normalize(), r.currency) for r in acts.itertuples()
             if not pd.isna(r.amount)}
    for reg, amount, cur in must_find:
        assert (reg, Decimal(amount), cur) in found
    for amount in must_not_find:
        assert Decimal(amount) not in _amounts(acts)


def test_action_columns_are_the_contract(corpus_run):
    _, t = corpus_run
    contract = ["action_id", "article_id", "action_type", "status", "regulator_id", "regulator", "regulator_country",
                "target", "amount", "currency", "amount_text", "amount_min", "amount_max", "per_period", "amount_eur",
                "fx_date", "decision_date", "date_precision", "order_text", "deadline", "deadline_date", "legal_basis",
                "evidence", "char_start", "char_end", "confidence"]
    assert list(t["actions"].columns)[:len(contract)] == contract
    assert {"article_id", "source", "external_id", "url", "title", "published", "language", "n_chars", "status",
            "error"} <= set(t["articles"].columns)
    assert {"mention_id", "article_id", "action_id", "kind", "text", "char_start", "char_end", "normalized", "role",
            "amount", "currency"} <= set(t["mentions"].columns)


def test_evidence_offsets_point_into_the_text(corpus_run):
    from pipeline.ingest import read_paths
    from conftest import ROOT

    _, t = corpus_run
    texts = {a.article_id: a.text for a in read_paths([ROOT / "corpus" / "articles"])}
    for r in t["actions"].itertuples():
        assert texts[r.article_id][r.char_start:r.char_end].strip() == r.evidence


def test_schema_rejects_bad_rows_into_errors():
    from pipeline.records import Action
    from pipeline.validate import split_valid
    from pipeline.write import actions_frame

    good = Action("0" * 16, "fine", "imposed", "x fined y", 0, 9, amount=Decimal("5"), currency="EUR", confidence=0.5)
    bad = Action("0" * 16, "fine", "imposed", "x fined y", 0, 9, amount=Decimal("-5"), currency="EURO",
                 confidence=0.5, anchor_start=3)
    df, errors = split_valid("actions", actions_frame([good, bad], {"0" * 16: 20}))
    assert len(df) == 1 and {e["column"] for e in errors} >= {"amount", "currency"}
    assert all(e["row_id"] == bad.action_id for e in errors)
