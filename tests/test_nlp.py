"""The speed changes to the spaCy pipeline keep its output: same rule spans, same entities where the model ran."""


import pytest

from conftest import ROOT, SEED


@pytest.fixture(scope="module")
def texts():
    from pipeline.ingest import read_paths

    return [a.text for a in read_paths([ROOT / "corpus" / "articles", SEED]) if a.status == "ok"][:12]


def test_rule_matcher_finds_what_span_ruler_found(texts):
    # The PhraseMatcher pair must give SpanRuler's spans, in SpanRuler's order, for the project's own patterns.
    import spacy

    from pipeline.nlp import build_nlp, rule_patterns
    from pipeline.rules import load_rules

    nlp = build_nlp()
    ruler_nlp = spacy.blank("en")
    ruler = ruler_nlp.add_pipe("span_ruler", config={"spans_key": "rules", "validate": True, "overwrite": False})
    ruler.add_patterns(rule_patterns(ruler_nlp, load_rules()))
    for text in texts:
        ours, theirs = nlp(text), ruler_nlp(text)
        assert [(s.start, s.end, s.label_, s.id_) for s in ours.spans["rules"]] == \
               [(s.start, s.end, s.label_, s.id_) for s in theirs.spans["rules"]]


def test_rule_matcher_refuses_patterns_it_cannot_match_exactly():
    import spacy

    from pipeline.nlp import RuleMatcher

    with pytest.raises(ValueError, match="plain ORTH or LOWER"):
        RuleMatcher(spacy.blank("en")).add_patterns([{"label": "X", "pattern": [{"LOWER": "a", "OP": "?"}]}])
