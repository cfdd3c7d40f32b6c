"""Sanction frames read from the parse: every pattern binds its own example, and each sentence shape the frames
exist for gives the action a careful reader gets. Every sentence here is our own."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.extract import Extractor
from pipeline.ingest import read_paths
from pipeline.frames import FrameFinder, walk
from pipeline.nlp import build_nlp
from pipeline.records import OK, Article
from pipeline.rules import load_rules

RULES = load_rules()
CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "articles"


@pytest.fixture(scope="module")
def nlp():
    return build_nlp(RULES)


@pytest.fixture(scope="module")
def extract(nlp):
    extractor = Extractor(RULES)

    def run(text: str) -> list[dict]:
        art = Article(article_id="t", source="t.txt", status=OK, text=text, title=None, published=date(2023, 5, 22))
        return [vars(a) for a in extractor(nlp(text), art)[0]]

    return run


@pytest.mark.parametrize("pattern", RULES.frames, ids=lambda p: p.id)
def test_every_pattern_binds_the_word_its_example_names(nlp, pattern):
    doc = nlp(pattern.example)
    frames = FrameFinder(nlp.vocab, RULES)(doc)
    bound = [doc[max(0, i - 5):i + 1].text for f in frames if pattern.id in f.patterns
             for i in f.roles.get(pattern.binds, [])]
    assert any(doc_text.endswith(pattern.expect) or pattern.expect in doc_text.split() for doc_text in bound), \
        (pattern.example, [(doc[f.trigger].text, f.roles) for f in frames])


def test_the_walker_finds_what_spacys_dependency_matcher_finds(nlp):
    """frames.walk stands in for spaCy's DependencyMatcher (the patterns are compiled into one as the reference):
    on every pattern's example, every sentence shape below and the team corpus, both find the same paths for the
    same anchors."""
    finder = FrameFinder(nlp.vocab, RULES)
    corpus = [a.text for a in read_paths([CORPUS]) if a.status == OK and a.text]
    texts = [p.example for p in RULES.frames] + [shape[1] for shape in SHAPES] + corpus
    compared = 0
    for doc in nlp.pipe(texts):
        anchors = {t.i: finder._class(t) for t in doc if t.lower_ in finder.anchors and t.tag_}
        anchors = {i: cls for i, cls in anchors.items() if cls is not None}
        if not anchors:
            continue  # nothing was parsed: the matcher would refuse a Doc without tags
        for i, cls in anchors.items():
            doc[i]._.frame = cls
        patterns = {p.id: p for p in RULES.frames}
        expected = {(nlp.vocab.strings[key], tuple(ids[:1 + len(patterns[nlp.vocab.strings[key]].path)]))
                    for key, ids in finder.reference(doc)}
        walked = {(p.id, path) for i, cls in anchors.items() for p in RULES.frames if cls in p.trigger
                  for path in walk(doc, i, p)}
        assert walked == expected, doc.text
        compared += len(expected)
    assert compared > len(RULES.frames)  # every example matched its own pattern at least


DESC, ORG, PERSON = "description", "organisation", "person"
SHAPES = [
    # (shape, text, must find: dicts of Action fields, must not find)
    ("a generic body with its region after 'of'", "The data protection authority of Hamburg fined a hospital "
     "€50,000.", [dict(regulator_id="de-hh-dpa", target="hospital", target_kind=DESC, amount=Decimal(50000))], []),
    ("a region with no registry body of the domain stays a described regulator of its country",
     "The DPA of Brandenburg imposed a fine on a car dealer.",
     [dict(action_type="fine", regulator_id=None, regulator_country="DE", target="car dealer")], []),
    ("a country adjective before a generic body", "The Dutch DPA fined a travel agency €9,000.",
     [dict(regulator_id="nl-ap", target="travel agency", target_kind=DESC)], []),
    ("an all-caps name with a legal form, the sentence ending after its dot",
     "The Spanish DPA has imposed a fine of EUR 30,000 on COSTA SOL INMOBILIARIA, S.L.. The company had filmed its "
     "staff.", [dict(regulator_id="es-aepd", target="COSTA SOL INMOBILIARIA, S.L.", target_kind=ORG)], []),
    ("a lower-case legal form after a name the model does not tag", "The Italian DPA fined Delta Gamma s.r.l. EUR "
     "8,000.", [dict(regulator_id="it-garante", target="Delta Gamma s.r.l.", amount=Decimal(8000))], []),
    ("a multi-word legal form", "The Polish DPA has fined OMEGA Sp. z o.o. PLN 20,000 for losing customer records.",
     [dict(regulator_id="pl-uodo", target="OMEGA Sp. z o.o.", currency="PLN")], []),
    ("a person is the target, through a pronoun, not the company named beside him",
     "John Carter, former treasurer of Redwood Mills Inc, was sentenced to two years in prison on Monday. He was "
     "also fined 10,000 dlrs.", [dict(target="John Carter", target_kind=PERSON, amount=Decimal(10000), currency="USD")],
     [dict(target="Redwood Mills Inc")]),
    ("passive with no authority named: the target still", "After a complaint, an administrative fine of €6,000 was "
     "imposed on the pharmacy.", [dict(target="pharmacy", amount=Decimal(6000), regulator_id=None)], []),
    ("two amounts in one noun phrase are two fines", "The Greek DPA found two breaches. Two fines of €20,000 and "
     "€5,000 were imposed on the insurer.", [dict(amount=Decimal(20000), target="insurer"),
                                             dict(amount=Decimal(5000), target="insurer")], []),
    ("'each' gives every party the amount", "The Romanian DPA fined a notary and his assistant 2,000 lei each.",
     [dict(target="notary", currency="RON"), dict(target="his assistant", amount=Decimal(2000))], []),
    ("'a total of' is the amount, not a party", "The Hellenic DPA fined the hospital a total of €9,000.",
     [dict(target="hospital", amount=Decimal(9000))], [dict(target="total")]),
    ("the generic present, with a regulator and a party both indefinite, tells a kind of event, not one",
     "The ministry was fined €9,000 by the Polish DPA. It is a rare case where a DPA fines a public body.",
     [dict(target="ministry", amount=Decimal(9000))], [dict(target="public body")]),
    ("a judge named by title, then by surname alone, is a court of the title's country; a line wrapped inside the "
     "name does not cut it; a person named in full, then by surname, is one party",
     "NEW YORK, June 2 - U.S. District Judge Carla\nMendes granted a request by the "
     "Securities and Exchange\nCommission to extend the freeze on the accounts of a former\nbond trader, Omar "
     "Lintner, who is accused of insider trading.\n    Mendes also issued an injunction barring Lintner from\n"
     "further violations of the securities laws, the agency said in\na statement on Tuesday.\n    Lintner's lawyer "
     "declined to comment on the ruling.\n",
     [dict(action_type="ban", regulator="U.S. District Judge Carla Mendes", regulator_country="US",
           target="Omar Lintner", target_kind=PERSON)], [dict(regulator_country=None)]),
    ("'the antitrust regulator' after a named one is that one, with its country",
     "Japan's Fair Trade Commission fined Acme Corp 2 billion yen for rigging bids. The antitrust regulator also "
     "ordered Acme to stop the practice.", [dict(action_type="order", regulator_country="JP", target="Acme Corp")],
     [dict(action_type="order", regulator_country=None)]),
    ("a name inside a hyphenated modifier is not the party ('the Microsoft-backed company')",
     "Italy's privacy watchdog imposed an immediate temporary ban on OpenAI processing the data of Italian "
     "users, effectively blocking ChatGPT in the country, citing the mass collection of personal data to train "
     "its algorithms and the absence of age checks. The Garante gave the Microsoft-backed company, which "
     "received a reported $10 billion investment in January, 20 days to explain how it would address the "
     "concerns, warning that otherwise it could be fined. Under the GDPR, fines can reach EUR 20 million or 4% "
     "of annual global turnover.",
     [dict(action_type="fine", status="threatened", target="OpenAI")], [dict(target="Microsoft")]),
    ("two names sharing a first word are two parties; the one with a legal form is the company's own name",
     "ANCHORAGE, Oct 8 - A federal judge approved Exxon Corp's agreement to pay 900 mln dlrs over 10 years to "
     "settle civil claims brought by the United States and Alaska over the 1989 Exxon Valdez oil spill. Exxon "
     "also pleaded guilty to misdemeanor environmental charges and will pay a 25 mln dlr criminal fine. The "
     "company said cleanup had already cost it more than 2 bln dlrs.",
     [dict(target="Exxon Corp", amount=Decimal(900000000)), dict(target="Exxon Corp", amount=Decimal(25000000))],
     [dict(target="Exxon Valdez")]),
    ("a legal form in its own mixed case, after a name that starts with digits",
     "The Bavarian DPA fined 2&2 Nordwerk GmbH EUR 80,000 for an open customer database.",
     [dict(target="2&2 Nordwerk GmbH", amount=Decimal(80000), target_kind=ORG)], []),
    ("a passive under a control verb: who is barred is the subject of the verb that controls it",
     "WASHINGTON, May 3 - Martin Hale, a former bond trader, agreed to pay a 50,000 dlr civil fine and to be barred "
     "from the securities industry, settling SEC charges that he had misled clients.",
     [dict(action_type="ban", target="Martin Hale", regulator_id="us-sec")], [dict(action_type="ban", target=None)]),
    ("a tracker summary: the party's name run into the regulator's across a dash, 'Limited' written out, and a "
     "verbless fine decided by the one regulator the summary names (not by the country data went to)",
     "Meta Platforms Ireland Limited - Data Protection Commission (Ireland), 22 May 2023. Administrative fine of "
     "EUR 1.2 billion for transferring Facebook users' data to the US on the basis of standard contractual "
     "clauses. Meta was further ordered to suspend any future transfers within five months, and to bring its "
     "processing into compliance, including by ceasing the unlawful storage of EU users' data in the US, within "
     "six months.",
     [dict(action_type="fine", regulator_id="ie-dpc", target="Meta Platforms Ireland Limited",
           amount=Decimal(1200000000))], [dict(regulator_country="US")]),
    ("who pays is the subject of the verb that controls 'to pay', through a coordination, not the employer named "
     "beside it", "NEW YORK, May 2 - Laura Penn, a former trader at Alder Securities Inc, pleaded guilty to two "
     "felony counts and agreed to pay 12 mln dlrs in penalties, prosecutors said. Penn earned 9 mln dlrs at Alder "
     "Securities Inc in 1986.",
     [dict(target="Laura Penn", amount=Decimal(12000000))], [dict(target="Alder Securities Inc")]),
    ("an activity banned is no party ('banned any further collection'); an owner of one is ('a ban on X's "
     "processing')", "The Hellenic DPA fined Photon Labs Ltd EUR 50,000 and banned any further collection of the "
     "images. In May the Danish DPA imposed a ban on Kolding Municipality's processing of pupils' data.",
     [dict(action_type="fine", target="Photon Labs Ltd"), dict(action_type="ban", target="Kolding Municipality")],
     [dict(target="any further collection"), dict(target="Kolding Municipality's")]),
    ("'followed by X at €N': neither the amount nor X is the fine's; only an imposing participle binds ('a fine "
     "levied by', 'amounting to')",
     "Spain's consumer affairs ministry fined five low-cost airlines a combined EUR 179 million for practices "
     "including charging for carry-on bags and for printing boarding passes at the airport. Ryanair received the "
     "largest penalty, EUR 107.8 million, followed by Vueling at EUR 39.3 million and easyJet at EUR 29.1 "
     "million; Norwegian and Volotea were fined EUR 1.6 million and EUR 1.2 million. Ryanair said it would "
     "challenge the decision in court.",
     [], [dict(target="Ryanair", amount=Decimal(39300000)), dict(target="Ryanair", amount=Decimal(29100000))]),
    ("a name cut by a wrapped line is one line in the table",
     "WASHINGTON, March 9 - The Federal Aviation Administration said\nit fined Northway Regional Air\nLines Inc "
     "50,000 dlrs for flying aircraft that had\nmissed required inspections of their engines, the\nagency said "
     "in a statement issued on Monday.\n    The airline said it would pay the fine.\n",
     [dict(action_type="fine", target="Northway Regional Air Lines Inc")], []),
    ("a fine told before any body is named, in a story that names several of one country: that country, no "
     "guess at which body", "Kestrel Bank Corp was fined 40,000 dlrs on Tuesday for failing to report cash "
     "deposits. The U.S. Attorney in Boston brought the case, and the Securities and Exchange Commission is also "
     "investigating the bank.", [dict(action_type="fine", regulator_id=None, regulator_country="US")],
     [dict(regulator_country=None)]),
    ("a purchase is no settlement", "Acme Holdings agreed to pay 40 mln dlrs for the preferred shares of its rival.",
     [], [dict(amount=Decimal(40000000))]),
    ("'in order to' orders nothing", "The bank must raise more capital in order to meet the new rules.", [],
     [dict(action_type="order")]),
    ("a sentence still to come is a threat", "She faces up to three years in prison and a fine of 10,000 dlrs when "
     "she is sentenced.", [dict(action_type="fine", status="threatened")], [dict(status="imposed")]),
    ("a notice of intention is a proposal", "The ICO issued a notice of intention to fine the retailer £1.5 "
     "million.", [dict(regulator_id="gb-ico", status="proposed", amount=Decimal(1500000))], []),
    ("an authority seeking a penalty proposes it", "The SEC is seeking a civil penalty against the broker.",
     [dict(regulator_id="us-sec", status="proposed", target="broker")], []),
    ("a country inside a company's name is no regulator", "The refinery was bought by Norway's state oil company "
     "for 300 mln dlrs.", [], [dict(regulator_country="NO")]),
    ("an amount and its stated equivalent are one fine, decided in the regulator's currency",
     "The Norwegian DPA fined the municipality NOK 400,000 (about €36,000).",
     [dict(amount=Decimal(400000), currency="NOK", stated_amount=Decimal(36000), stated_currency="EUR",
           eur_source="ecb")], [dict(amount=Decimal(36000))]),
    ("a bare dollar is the regulator's country's", "The Australian Competition and Consumer Commission said the "
     "airline must pay a penalty of $2 million.", [dict(regulator_id="au-accc", currency="AUD")], []),
    ("'can' tells what the law allows, not what happened", "The regulator can also suspend or revoke a licence in "
     "serious cases.", [], [dict(action_type="ban")]),
    ("what rules allow an authority to do is no event", "EU rules allow the Commission to fine a company up to 1% "
     "of its turnover.", [], [dict(action_type="fine")]),
    ("a dateline is where the story was filed, not a party", "WASHINGTON, March 3 - Harbor Securities Inc agreed "
     "to pay 2 mln dlrs to settle charges brought by the Securities and Exchange Commission.",
     [dict(action_type="settlement", target="Harbor Securities Inc", regulator_id="us-sec")],
     [dict(target="WASHINGTON")]),
]


def _has(rows: list[dict], want: dict) -> bool:
    return any(all(_same(r.get(k), v) for k, v in want.items()) for r in rows)


def _same(got, want) -> bool:
    if isinstance(want, Decimal):
        return got is not None and Decimal(got) == want
    return got == want


@pytest.mark.parametrize("shape,text,must,must_not", SHAPES, ids=[s[0] for s in SHAPES])
def test_sentence_shape(extract, shape, text, must, must_not):
    rows = extract(text)
    for want in must:
        assert _has(rows, want), (want, rows)
    for bad in must_not:
        assert not _has(rows, bad), (bad, rows)
