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


def test_a_run_with_workers_keeps_spacy_out_of_the_main_process():
    # With workers, the main process only reads and writes: spaCy's modules would be 44 MB of it for nothing.
    import subprocess
    import sys

    code = ("import sys, pipeline.cli, pipeline.run; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('spacy', 'thinc')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_rule_matcher_refuses_patterns_it_cannot_match_exactly():
    import spacy

    from pipeline.nlp import RuleMatcher

    with pytest.raises(ValueError, match="plain ORTH or LOWER"):
        RuleMatcher(spacy.blank("en")).add_patterns([{"label": "X", "pattern": [{"LOWER": "a", "OP": "?"}]}])


@pytest.mark.parametrize("batch_tokens", [None, 1])  # the default bound on a model call; every run alone
def test_focused_ner_finds_the_full_texts_entities_inside_its_runs(texts, batch_tokens):
    from pipeline.nlp import FocusedNER, build_nlp

    full = build_nlp()
    nlp = build_nlp(defer_ner=True)
    focused = FocusedNER(nlp.get_pipe("ner"), context=1)
    if batch_tokens:
        focused.BATCH_TOKENS = batch_tokens
    docs = list(focused.pipe(nlp.pipe(texts)))
    for doc, ref in zip(docs, full.pipe(texts), strict=True):
        runs = focused.candidates(doc)
        inside = {(e.start, e.end, e.label_) for e in ref.ents if any(s <= e.start and e.end <= t for s, t in runs)}
        assert {(e.start, e.end, e.label_) for e in doc.ents} == inside
    assert 0 < focused.words_run < focused.words_seen * 1.2


@pytest.mark.parametrize("scope", ["all", "stories"])
def test_ner_scopes_keep_the_actions(texts, scope):
    from pipeline.extract import Extractor
    from pipeline.ingest import read_paths
    from pipeline.nlp import build_nlp
    from pipeline.rules import load_rules
    from pipeline.run import extract_articles

    arts = [a for a in read_paths([ROOT / "corpus" / "articles"]) if a.status == "ok"][:12]
    ex, nlp = Extractor(load_rules()), build_nlp()
    ref = [ex(doc, a) for doc, a in zip(nlp.pipe([a.text for a in arts]), arts, strict=True)]
    actions, mentions = extract_articles(arts, ner_scope=scope)
    assert actions == [x for acts, _ in ref for x in acts]
    if scope == "all":
        assert mentions == [m for _, ms in ref for m in ms]
