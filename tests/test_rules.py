"""The rule files load, satisfy their documented constraints, and compile into spaCy patterns."""

import json
import shutil

import pytest

from pipeline.rules import RULES_DIR, RulesError, load_rules

MANDATORY = [
    "fr-cnil", "ie-dpc", "lu-cnpd", "it-garante", "gr-hdpa", "es-aepd", "nl-ap", "de-hh-dpa", "no-datatilsynet",
    "se-imy", "dk-datatilsynet", "pl-uodo", "hu-naih", "ro-anspdcp", "cz-uoou", "gb-ico", "gb-fca", "gb-cma",
    "gb-ofcom", "eu-commission", "eu-edpb", "eu-edps", "us-ftc", "us-sec", "us-cfpb", "us-doj", "us-fcc", "us-epa",
    "us-faa", "us-occ", "us-fincen", "us-ofac", "us-frb", "us-nydfs", "us-ny-ag", "us-ca-ag", "us-tx-ag", "kr-pipc",
    "sg-pdpc", "tr-kvkk", "br-anpd", "au-oaic", "au-accc", "au-asic", "ca-opc", "ca-cb", "jp-ppc", "jp-jftc",
    "ch-fdpic", "ch-comco", "in-cci", "cn-samr",
]


def test_registry_covers_required_bodies():
    rules = load_rules()
    assert len(rules.regulators) >= 80
    assert set(MANDATORY) <= set(rules.regulator_by_id)
    dpa_countries = {r.country for r in rules.regulators
                     if r.domain == "data_protection" and r.jurisdiction == "national"}
    eea = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
           "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
    assert eea <= dpa_countries


def test_no_alias_names_two_regulators():
    rules = load_rules()
    owner = {}
    for r in rules.regulators:
        for name in {r.name, r.acronym, *r.aliases} - {""}:
            assert owner.setdefault(name.casefold(), r.id) == r.id, f"{name!r}: {owner[name.casefold()]} and {r.id}"


def test_every_rule_file_has_a_documented_header():
    for path in RULES_DIR.glob("*.*"):
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert head and all(line.startswith("#") for line in head[:2]), path.name


def test_patterns_compile_into_spacy():
    from pipeline.nlp import build_nlp

    nlp = build_nlp()
    doc = nlp("Italy's privacy watchdog, the Garante, fined OpenAI €15 million under the GDPR.")
    labels = {(s.label_, s.id_) for s in doc.spans["rules"]}
    assert ("REG", "it-garante") in labels and ("COUNTRY", "IT") in labels and ("LAW", "GDPR") in labels
    assert [s.text for s in doc.spans["money"]] == ["€15 million"]


def _pattern(**change) -> str:
    """A frames.jsonl line that is valid except for ``change``."""
    line = {"id": "verb.agent.test", "trigger": ["verb"], "voice": "active", "path": [[">", {"DEP": "nsubj"}]],
            "binds": "agent", "example": "The regulator fined the bank.", "expect": "regulator"}
    return json.dumps(line | change)


@pytest.mark.parametrize("file,bad_line,message", [
    ("regulators.tsv", "xx-bad\tBad\t\t\tZZ\t\tnational\tdata_protection\thttp://x", "unknown country"),
    ("regulators.tsv", "fr-cnil2\tX\t\t\tFR\t\tplanetary\tdata_protection\thttp://x", "jurisdiction"),
    ("triggers.tsv", "verb\tflogging\tflog", "unknown action type"),
    ("triggers.tsv", "whip\tfine\twhip", "unknown class"),
    ("triggers.tsv", "verb\tban\tfined", "already in"),
    ("currencies.tsv", "doubloon\tdbl\tbefore\tany", "ISO 4217"),
    ("currencies.tsv", "EUR\tEUR\tboth\texact", "listed twice"),
    ("numbers.tsv", "gazillion\tlots\tscale\tany", "not a decimal"),
    ("countries.tsv", "XX\tNowhere", "expected 4 fields"),
    ("cues.tsv", "lexicon\tmisc\t0\t0\tfoo", "unknown lexicon"),
    ("cues.tsv", "lexicon\teach\t0\t0\tboth", "exactly once"),
    ("frames.jsonl", '{"id": "verb.agent.half"', "not JSON"),
    ("frames.jsonl", _pattern(id="verb.agent.subject"), "used twice"),
    ("frames.jsonl", _pattern(binds="victim"), "not one of"),
    ("frames.jsonl", _pattern(trigger=["whip"]), "unknown trigger classes"),
    ("frames.jsonl", _pattern(voice="middle"), "voice must be"),
    ("frames.jsonl", _pattern(path=[]), "empty path"),
])
def test_bad_rule_file_stops_with_clear_error(tmp_path, file, bad_line, message):
    for p in RULES_DIR.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    with (tmp_path / file).open("a", encoding="utf-8") as fh:
        fh.write(bad_line + "\n")
    with pytest.raises(RulesError, match=message):
        load_rules.__wrapped__(tmp_path)
