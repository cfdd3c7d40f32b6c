"""Extraction cases caught while tuning on the team corpus, each reduced to a few sentences of our own.

Every case states what a careful reader gets from the text (must find) and what it must not produce. They run the
real model and rules, one short story at a time.
"""

from datetime import date
from decimal import Decimal

import pytest

from pipeline.extract import Extractor
from pipeline.nlp import build_nlp
from pipeline.records import OK, Article
from pipeline.rules import load_rules


@pytest.fixture(scope="module")
def extract():
    rules = load_rules()
    nlp, extractor = build_nlp(rules), Extractor(rules)

    def run(text: str, title: str | None = None, published: date | None = date(2023, 5, 22)):
        body = f"{title}\n\n{text}" if title else text
        art = Article(article_id="t", source="t.txt", status=OK, text=body, title=title, published=published)
        return extractor(nlp(body), art)[0]

    return run


def _key(a):
    amount = None if a.amount is None else Decimal(a.amount).normalize()
    return (a.action_type, a.status, a.regulator_id or a.regulator_country, a.target, amount, a.currency,
            a.per_period, a.decision_date, a.deadline)


CASES = [
    # (why, text, title, must find: subsets of _key fields as dicts, must not find: dicts)
    ("a line break inside a sentence is not a sentence end",
     "In December 2020, the AEPD fined Banco Bilbao Vizcaya Argentaria (BBVA) EUR 5 million for processing data "
     "without a legal basis.", None,
     [dict(action_type="fine", regulator_id="es-aepd", amount=Decimal("5E+6"), currency="EUR",
           decision_date="2020-12")], []),
    ("an ambiguous 'kroner' takes the code the same story writes",
     "Datatilsynet fined Grindr NOK 65,000,000. The 65 million kroner penalty is the largest it has imposed.", None,
     [dict(amount=Decimal("6.5E+7"), currency="NOK")], [dict(currency=None)]),
    ("a state's commissioner resolves to the state body, not the federal one",
     "Hamburg's data protection commissioner on Thursday fined H&M €35.3 million for recording staff's private "
     "lives.", None,
     [dict(regulator_id="de-hh-dpa", target="H&M", amount=Decimal("3.53E+7"))], []),
    ("a court is never the party sanctioned",
     "The EU's General Court reduced the fine on Google to 4.125 billion euros on Wednesday.", None,
     [dict(status="reduced", target="Google")], [dict(target="General")]),
    ("'both companies' are the two parties of the story, each ordered",
     "The PIPC fined Google 69.2 billion won and Meta 30.8 billion won. The commission also ordered both companies "
     "to obtain consent before using behavioural data for ads.", None,
     [dict(action_type="order", target="Google"), dict(action_type="order", target="Meta")], []),
    ("a daily penalty backing an order on two companies is one threat per company",
     "The CNIL ordered both Google and Facebook to offer a simple way to refuse cookies within three months, on "
     "pain of a penalty of €100,000 for each day of delay.", None,
     [dict(action_type="penalty", status="threatened", target="Google", per_period="day"),
      dict(action_type="penalty", status="threatened", target="Facebook", per_period="day"),
      dict(action_type="order", target="Facebook", deadline="P3M")], []),
    ("a year that qualifies something else is not the decision date",
     "British Airways has been fined £20m by the Information Commissioner's Office over a 2018 cyber attack. "
     "The watchdog announced the penalty on Friday.", None,
     [dict(amount=Decimal("2E+7"), currency="GBP", decision_date="2023-05-19")], [dict(decision_date="2018")]),
    ("money set aside to cover a settlement is a provision, not a sanction",
     "Facebook set aside $3 billion in April to cover a possible settlement with the FTC.", None,
     [], [dict(amount=Decimal("3E+9"))]),
    ("a party's duty after 'must' is an order; 'regulators must' is not",
     "Under the new order announced by the FTC on Wednesday, Facebook must create an independent privacy "
     "committee. Regulators must ensure that penalties are dissuasive.", None,
     [dict(action_type="order", target="Facebook")], [dict(target=None, action_type="order")]),
    ("a periodic penalty threatened without an amount",
     "The European Commission ordered Google to end the conduct within 90 days and warned that it would otherwise face "
     "penalty payments of up to 5% of its average daily turnover.", None,
     [dict(action_type="penalty", status="threatened", regulator_id="eu-commission"),
      dict(action_type="order", deadline="P90D")], []),
    ("weighing an appeal is not appealing",
     "The CMA ordered Meta to sell Giphy on Tuesday. Meta said it was reviewing the decision, including the option "
     "of a further appeal.", None,
     [dict(action_type="order", status="imposed", target="Meta")], [dict(status="appealed")]),
    ("fines without an amount on each party listed after 'against', not on a weekday",
     "Japan's Fair Trade Commission also issued surcharge orders on Thursday against Chubu Electric Power and "
     "Kyushu Electric Power over the same cartel.", None,
     [dict(action_type="fine", regulator_id="jp-jftc", target="Chubu Electric Power"),
      dict(action_type="fine", regulator_id="jp-jftc", target="Kyushu Electric Power")], [dict(target="Thursday")]),
    ("a cease-and-desist order names its measure; being censured is a reprimand",
     "The SEC fined Morgan Stanley Smith Barney $35 million. Without admitting or denying the findings, Morgan "
     "Stanley Smith Barney agreed to a cease-and-desist order and to be censured.", None,
     [dict(action_type="order", regulator_id="us-sec"), dict(action_type="reprimand", regulator_id="us-sec")], []),
    ("the party named between the verb and the amount wins over an 'on' in the reason",
     "The European Commission fined Google 4.34 billion euros in July 2018 for imposing similar restrictions on "
     "Android device makers.", None,
     [dict(action_type="fine", target="Google", decision_date="2018-07")], [dict(target="Android")]),
    ("money to refund customers is redress, not a sanction, even after 'will pay'",
     "The FTC fined Epic Games $275 million. Epic will pay $245 million to refund affected customers.", None,
     [dict(action_type="fine", amount=Decimal("2.75E+8"))], [dict(amount=Decimal("2.45E+8"))]),
    ("a penalty that starts on a date was decided on another",
     "Meta faces a fine of NOK 1,000,000 a day from 14 August if it keeps showing such ads, Norway's data "
     "protection authority said on Monday.", None,
     [dict(action_type="penalty", status="threatened", per_period="day", decision_date="2023-05-22")],
     [dict(decision_date="2023-08-14")]),
    ("an appeal against 'both fines' leaves the order of the same decision alone",
     "The DPC fined Meta €390 million on Wednesday and ordered it to bring its processing into line within three "
     "months. Meta is appealing against both fines.", None,
     [dict(action_type="fine", status="appealed"), dict(action_type="order", status="imposed")], []),
    ("a valuation is not a fine",
     "The CNIL fined Clearview AI €20 million. Clearview was valued at about $130 million in a 2021 funding round.",
     None,
     [dict(action_type="fine", amount=Decimal("2E+7"))], [dict(amount=Decimal("1.3E+8"))]),
]


@pytest.mark.parametrize("why,text,title,must,must_not", CASES, ids=[c[0] for c in CASES])
def test_extraction_case(extract, why, text, title, must, must_not):
    actions = extract(text, title)
    rows = [dict(zip(("action_type", "status", "regulator_id", "target", "amount", "currency", "per_period",
                      "decision_date", "deadline"), _key(a), strict=True)) for a in actions]
    for want in must:
        assert any(all(r[k] == v for k, v in want.items()) for r in rows), (want, rows)
    for bad in must_not:
        assert not any(all(r[k] == v for k, v in bad.items()) for r in rows), (bad, rows)
