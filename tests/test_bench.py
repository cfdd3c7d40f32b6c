"""The benchmark's corpus generator: deterministic, varied, the asked-for mix. (No timing is asserted anywhere.)"""

import re

from pipeline.bench import generate, load_templates


def _has_sanction_paragraph(text: str) -> bool:
    templates, _ = load_templates()
    # the longest fixed stretch of each sanction template identifies it whatever fills its slots
    return any(max(re.split(r"\{\w+\}", t), key=len) in text for t in templates["action"])


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a = [p.read_text() for p in generate(tmp_path / "a", n=6, seed=3)]
    b = [p.read_text() for p in generate(tmp_path / "b", n=6, seed=3)]
    c = [p.read_text() for p in generate(tmp_path / "c", n=6, seed=4)]
    assert a == b and a != c


def test_corpus_is_a_mix_of_about_800_word_articles(tmp_path):
    from pipeline.ingest import read_paths
    from pipeline.rules import load_rules

    generate(tmp_path, n=40, seed=2)
    arts = [a for a in read_paths([tmp_path]) if a.status == "ok"]
    assert len(arts) == 40 and len({a.article_id for a in arts}) == 40  # no duplicates: nothing to cache
    words = [len(a.text.split()) for a in arts]
    assert 650 < sum(words) / len(words) < 950
    assert 8 <= sum(_has_sanction_paragraph(a.text) for a in arts) <= 32
    regulators = {r.name for r in load_rules().regulators}
    assert all(any(r in a.text for r in regulators) for a in arts)  # business news names regulators too
    assert all(a.published is not None for a in arts)


def test_no_enforcement_share_means_no_sanction_paragraphs(tmp_path):
    texts = [p.read_text() for p in generate(tmp_path, n=10, seed=1, enforcement_share=0.0)]
    assert not any(_has_sanction_paragraph(t) for t in texts)


def test_a_smaller_corpus_is_the_start_of_a_larger_one(tmp_path):
    # `make bench-memory` compares 1,000 articles with 20,000 by taking the first files of one corpus
    small = [p.read_text() for p in generate(tmp_path / "s", n=4, seed=5)]
    large = [p.read_text() for p in generate(tmp_path / "l", n=9, seed=5)]
    assert large[:4] == small


def test_bench_step_counts_the_workers_and_the_main_process_apart(tmp_path):
    # A run with 2 workers: the step's peak is the largest process, a worker or the fork server holding the model;
    # the main process, which only reads and writes (no spaCy), is reported on its own and is the smaller.
    # Measured from a small process, as make bench does: Linux counts the parent's RSS at the fork in a child's peak.
    import json
    import subprocess
    import sys

    generate(tmp_path / "corpus", n=6, seed=5)
    code = ("import dataclasses, json, sys; from pipeline.bench import _measure; "
            "print(json.dumps(dataclasses.asdict(_measure('two_workers', sys.argv[1:], words=1))))")
    out = subprocess.run([sys.executable, "-c", code, "_run", str(tmp_path / "corpus"), str(tmp_path / "out"), "2"],
                         capture_output=True, text=True, check=True)
    step = json.loads(out.stdout.strip().splitlines()[-1])
    assert step["articles"] == 6 and (tmp_path / "out" / "actions.parquet").exists()
    assert 0 < step["main_rss_mb"] < step["peak_rss_mb"]
    assert step["peak_rss_mb"] - step["main_rss_mb"] > 20  # the model is in the workers only
