"""Events (one action across articles) and cases (related actions), from rules/events.tsv.

Cases written by us: small tables that state one fine in different words; and the corpus articles that report
the same facts as another article (002/032 Meta, 004/033 OpenAI, 001/034 Clearview, 002/003/032 Amazon).
"""

import shutil
from decimal import Decimal

import pandas as pd
import pytest

from pipeline.events import build_events, link_events
from pipeline.rules import RULES_DIR, RulesError, load_event_rules, load_rules

RULES = load_rules().events


def _action(n, article, **kw):
    row = {"action_id": f"{n:016x}", "article_id": f"{article:016x}", "action_type": "fine", "status": "imposed",
           "regulator_id": "fr-cnil", "regulator": "CNIL", "regulator_country": "FR", "target": "Clearview AI",
           "amount": Decimal("20000000"), "currency": "EUR", "per_period": None, "amount_eur": None,
           "decision_date": "2022-10", "order_text": None, "deadline": None, "deadline_date": None,
           "legal_basis": [], "evidence": f"sentence {n}", "confidence": 0.8}
    row.update(kw)
    return row


def _articles(*published):
    return pd.DataFrame({"article_id": [f"{i + 1:016x}" for i in range(len(published))],
                         "published": pd.to_datetime(list(published)).astype("datetime64[ms]"),
                         "url": [f"https://example.org/{i + 1}" for i in range(len(published))]})


def _events(rows, published):
    events, links = build_events(pd.DataFrame(rows), _articles(*published), RULES)
    return events, links


def test_one_fine_in_three_wordings_is_one_event():
    # "€20m", "€20 million", "EUR 20,000,000": the extractor gives the same Decimal, with other amount_text
    rows = [_action(1, 1, decision_date="2022-10-17"), _action(2, 2, amount=Decimal("20000000.000000")),
            _action(3, 3, decision_date="2022", status="appealed", target="Clearview AI Inc.")]
    events, links = _events(rows, ["2022-10-20", "2022-10-21", "2023-01-05"])
    assert len(events) == 1
    e = events.iloc[0]
    assert e.n_articles == 3 and list(e.action_ids) == [f"{n:016x}" for n in (1, 2, 3)]
    assert (e.decision_date, e.date_precision) == ("2022-10-17", "day")  # the most precise agreeing date
    assert e.first_seen == pd.Timestamp("2022-10-20") and e.last_seen == pd.Timestamp("2023-01-05")
    assert list(e.urls) == ["https://example.org/1", "https://example.org/2", "https://example.org/3"]
    assert list(e.conflicts) == ["status"] and e.conflict_values == "status: imposed | appealed"
    assert e.status == "imposed"  # two articles against one
    assert len({v for v in links.values()}) == 1


def test_event_id_is_kept_when_a_later_article_joins():
    first, _ = _events([_action(1, 1), _action(2, 2)], ["2022-10-20", "2022-10-21"])
    more, _ = _events([_action(1, 1), _action(2, 2), _action(3, 3)], ["2022-10-20", "2022-10-21", "2022-11-02"])
    assert first.event_id.tolist() == more.event_id.tolist()


@pytest.mark.parametrize("change,why", [
    ({"amount": Decimal("25000000")}, "another amount"),
    ({"currency": "USD", "amount_eur": Decimal("18000000")}, "another currency, EUR value too far"),
    ({"regulator_id": "it-garante", "regulator_country": "IT"}, "another regulator"),
    ({"regulator_id": "gb-ico", "regulator_country": "GB", "regulator": "ICO"}, "another country"),
    ({"target": "Clearwater Analytics"}, "another target"),
    ({"action_type": "penalty"}, "another type"),
    ({"decision_date": "2023-10"}, "dates that disagree at their precision"),
    ({"target": None}, "no target to compare"),
])
def test_different_actions_stay_apart(change, why):
    events, _ = _events([_action(1, 1), _action(2, 2, **change)], ["2022-10-20", "2022-10-21"])
    assert len(events) == 2, why


@pytest.mark.parametrize("change,conflict", [
    ({"amount": Decimal("20050000")}, None),  # "€20m" is a rounding of €20.05m
    ({"amount": Decimal("21600000"), "currency": "USD", "amount_eur": Decimal("20300000")}, "currency"),
    ({"regulator_id": None, "regulator": None}, None),  # a country alone matches its regulator
    ({"decision_date": "2022-10-24"}, None),  # day within date_slack_days of the other's month: agrees
    ({"target": "Clearview"}, None),
])
def test_same_action_in_other_words(change, conflict):
    events, _ = _events([_action(1, 1, amount_eur=Decimal("20000000")), _action(2, 2, **change)],
                        ["2022-10-20", "2022-10-21"])
    assert len(events) == 1
    assert list(events.iloc[0].conflicts) == ([conflict] if conflict else [])


def test_close_amounts_that_are_not_a_rounding_are_a_conflict():
    rows = [_action(1, 1, amount=Decimal("746000000")), _action(2, 2, amount=Decimal("747500000"))]
    events, _ = _events(rows, ["2022-10-20", "2022-10-21"])
    assert len(events) == 1 and list(events.iloc[0].conflicts) == ["amount"]
    assert events.iloc[0].conflict_values == "amount: 746000000 EUR | 747500000 EUR"


def test_two_actions_of_one_article_are_never_one_event():
    events, _ = _events([_action(1, 1), _action(2, 1)], ["2022-10-20"])
    assert len(events) == 2


def test_case_links_decision_and_follow_ups_in_time_order():
    rows = [_action(1, 1, action_type="penalty", status="imposed", amount=Decimal("5200000"),
                    decision_date="2023-04-17"),
            _action(2, 2, decision_date="2022-10-17"),
            _action(3, 2, action_type="order", amount=None, currency=None, order_text="delete the data",
                    deadline="P2M"),
            _action(4, 2, action_type="penalty", status="threatened", amount=Decimal("100000"), per_period="day"),
            _action(5, 3, amount=Decimal("9000000"), decision_date="2026-01"),  # a later fine: a new decision
            _action(6, 4, regulator_id="it-garante", regulator_country="IT", decision_date="2022-03")]
    events, links = _events(rows, ["2023-05-10", "2022-10-20", "2026-02-01", "2022-03-09"])
    case = {a: c for a, (_, c) in links.items()}
    first = case[f"{2:016x}"]
    assert [case[f"{n:016x}"] == first for n in range(1, 7)] == [True, True, True, True, False, False]
    seq = events[events.case_id == first].sort_values("case_seq")
    assert seq.action_type.iloc[0] == "fine" and seq.case_seq.tolist() == [1, 2, 3, 4]
    assert (seq.action_type.iloc[-1], seq.status.iloc[-1]) == ("penalty", "imposed")  # months later


def test_proposed_then_imposed_fine_is_one_case_but_a_second_imposed_fine_is_not():
    rows = [_action(1, 1, status="proposed", amount=Decimal("183390000"), decision_date="2019-07"),
            _action(2, 2, amount=Decimal("20000000"), decision_date="2020-10"),
            _action(3, 3, amount=Decimal("1000000"), decision_date="2021-03")]
    _, links = _events(rows, ["2019-07-08", "2020-10-16", "2021-03-02"])
    cases = [links[f"{n:016x}"][1] for n in (1, 2, 3)]
    assert cases[0] == cases[1] != cases[2]


def test_a_court_cutting_a_fine_years_later_joins_its_case():
    rows = [_action(1, 1, regulator_id="eu-commission", regulator_country="EU", target="Google",
                    amount=Decimal("4340000000"), decision_date="2018-07"),
            _action(2, 2, regulator_id="eu-commission", regulator_country="EU", target="Google", status="reduced",
                    amount=Decimal("4125000000"), decision_date=None)]
    _, links = _events(rows, ["2018-07-18", "2022-09-14"])
    assert links[f"{1:016x}"][1] == links[f"{2:016x}"][1]


def test_a_cut_fine_joins_the_decision_it_cut_not_the_latest():
    google = {"regulator_id": "eu-commission", "regulator_country": "EU", "target": "Google"}
    rows = [_action(1, 1, amount=Decimal("2420000000"), decision_date="2017-06", **google),
            _action(2, 2, amount=Decimal("4340000000"), decision_date="2018-07", **google),
            _action(3, 3, amount=Decimal("1490000000"), decision_date="2019-03", **google),
            _action(4, 4, status="reduced", amount=Decimal("4125000000"), decision_date=None, **google)]
    _, links = _events(rows, ["2017-06-27", "2018-07-18", "2019-03-20", "2022-09-14"])
    case = [links[f"{n:016x}"][1] for n in (1, 2, 3, 4)]
    assert len(set(case[:3])) == 3 and case[3] == case[1]


def test_empty_actions_give_an_empty_events_table():
    actions = pd.DataFrame(columns=list(_action(1, 1)))
    linked, events, errors = link_events(actions, _articles(), RULES)
    assert events.empty and not errors and {"event_id", "case_id"} <= set(linked.columns)


def test_an_event_failing_its_schema_is_reported_and_its_actions_unlinked():
    # a currency the actions schema would have refused: the events schema refuses it too
    rows = [_action(1, 1), _action(2, 2, action_type="penalty", currency="EURO")]
    linked, events, errors = link_events(pd.DataFrame(rows), _articles("2022-10-20", "2022-10-21"), RULES)
    assert len(events) == 1 and errors and errors[0]["table"] == "events"
    assert linked.event_id.isna().tolist() == [False, True]


# ----------------------------------------------------------------------------------------- the corpus, end to end

def _by_source(t, stem):
    arts = t["articles"]
    return arts[arts.source.str.contains(stem)].article_id.iloc[0]


@pytest.mark.parametrize("stems,regulator,amount", [
    (("002_dpc_meta", "032_meta_transfers"), "ie-dpc", "1.2E+9"),        # "1.2 billion euros" / "EUR 1.2 billion"
    (("004_garante_openai", "033_openai_italy"), "it-garante", "1.5E+7"),  # "15 million euros" / "€15m"
    (("001_cnil_clearview", "034_cnil_clearview"), "fr-cnil", "2E+7"),    # "€20 million" / "20 million euros"
    (("002_dpc_meta", "003_cnpd_amazon", "032_meta_transfers"), "lu-cnpd", "7.46E+8"),
])
def test_corpus_articles_reporting_one_fine_give_one_event(corpus_run, stems, regulator, amount):
    _, t = corpus_run
    ev = t["events"]
    ids = {_by_source(t, s) for s in stems}
    hit = ev[(ev.regulator_id == regulator)
             & ev.amount.map(lambda a: a is not None and Decimal(str(a)) == Decimal(amount))]
    together = [e for e in hit.itertuples() if ids <= set(e.article_ids)]
    assert len(together) == 1 and together[0].n_articles >= len(stems)


def test_corpus_amazon_fine_keeps_the_disagreement_visible(corpus_run):
    _, t = corpus_run
    ev = t["events"]
    amazon = ev[(ev.regulator_id == "lu-cnpd")].iloc[0]
    assert "status" in list(amazon.conflicts) and "appealed" in amazon.conflict_values


def test_corpus_cnil_clearview_is_one_case_across_two_articles(corpus_run):
    _, t = corpus_run
    acts = t["actions"]
    cnil = acts[(acts.regulator_id == "fr-cnil") & (acts.target == "Clearview AI")]
    assert {"fine", "order", "penalty"} <= set(cnil.action_type)
    assert cnil.case_id.nunique() == 1
    assert {_by_source(t, "001_cnil"), _by_source(t, "034_cnil")} <= set(cnil.article_id)
    case = t["events"][t["events"].case_id == cnil.case_id.iloc[0]].sort_values("case_seq")
    # In time order: the 2021 formal notice (an order), then the 2022 decision with its fine, then the penalties.
    monetary = case[case.amount.notna()]
    assert monetary.action_type.iloc[0] == "fine"
    assert list(case.action_type).index("fine") < list(case.action_type).index("penalty")


def test_corpus_every_action_has_its_event_and_case(corpus_run):
    _, t = corpus_run
    acts, ev = t["actions"], t["events"]
    assert acts.event_id.notna().all() and acts.case_id.notna().all()
    assert set(acts.event_id) == set(ev.event_id)
    assert sum(len(x) for x in ev.action_ids) == len(acts)
    pairs = set(zip(acts.event_id, acts.case_id, strict=True))
    assert pairs == set(zip(ev.event_id, ev.case_id, strict=True))
    assert (ev.first_seen.isna() | (ev.first_seen <= ev.last_seen)).all()


# ------------------------------------------------------------------------------------------------ the rule file

@pytest.mark.parametrize("bad_line,message", [
    ("amount_tolerance\tabout five\tx", "must be a decimal"),
    ("amount_tolerance\t0.01\tx", "given twice"),
    ("date_slack_days\t-3\tx", None),
    ("case_head_types\tfine|flogging\tx", "unknown values"),
    ("window\t30\tx", "unknown setting"),
    ("eur_tolerance\t0.05", "expected 3 fields"),
])
def test_bad_events_rule_file_stops_with_clear_error(tmp_path, bad_line, message):
    for p in RULES_DIR.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    with (tmp_path / "events.tsv").open("a", encoding="utf-8") as fh:
        fh.write(bad_line + "\n")
    with pytest.raises(RulesError, match=message or "given twice|whole number"):
        load_rules.__wrapped__(tmp_path)


def test_missing_setting_is_named(tmp_path):
    text = (RULES_DIR / "events.tsv").read_text(encoding="utf-8")
    path = tmp_path / "events.tsv"
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("case_window_days")),
                    encoding="utf-8")
    with pytest.raises(RulesError, match="'case_window_days' is missing"):
        load_event_rules(path)
