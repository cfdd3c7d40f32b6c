# Every target sets up .venv itself, so a fresh clone needs nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= outputs
CORPUS ?= corpus/articles
EXTERNAL ?= ../shared/eval/gdpr_fines_privacyaffairs/gdpr_violations.tsv
MONEY    ?= ../shared/eval/duckling_money/amountofmoney_en.jsonl
N ?= 2000
SEED ?= 1
SHARE ?= 0.5
REPEAT ?= 1

.DEFAULT_GOAL := help
.PHONY: help run test eval bench bench-memory fuzz export report clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,dask]"
	@touch $@

run: $(STAMP) ## Set up .venv and run the pipeline on corpus/ into outputs/
	$(PY) -m pipeline run $(CORPUS) --out $(OUT)

# The tables export and report read; rebuilt when the corpus, the rules or the code change.
TABLES := $(OUT)/events.parquet
$(TABLES): $(STAMP) $(wildcard rules/*.tsv) $(wildcard pipeline/*.py) $(shell find $(CORPUS) -type f 2>/dev/null)
	$(PY) -m pipeline run $(CORPUS) --out $(OUT)

export: $(TABLES) ## Write outputs/enforcement.xlsx and outputs/csv/*.csv from the run's tables (runs it if stale)
	$(PY) -m pipeline export $(OUT)

report: $(TABLES) ## Write outputs/report.html (self-contained charts and tables) from the run's tables
	$(PY) -m pipeline report $(OUT)

test: $(STAMP) ## Set up .venv and run the tests (unit, doctest, end-to-end)
	$(PY) -m pytest

eval: $(STAMP) ## Score against corpus/gold (fails below the floors); also the external GDPR table when present
	$(PY) -m pipeline eval corpus --out $(OUT)/eval $(if $(wildcard $(EXTERNAL)),--external $(EXTERNAL)) $(if $(wildcard $(MONEY)),--money $(MONEY))

bench: $(STAMP) ## Time the pipeline against bare spaCy NER on N synthetic articles (N=2000 SEED=1 SHARE=0.5 REPEAT=1)
	$(PY) -m pipeline.bench --n $(N) --seed $(SEED) --share $(SHARE) --repeat $(REPEAT) --json $(OUT)/bench/bench.json

bench-memory: $(STAMP) ## Peak RSS of the pipeline (2 workers) on 1,000 and on 20,000 synthetic articles (~15 min)
	$(PY) -m pipeline.bench --scale 1000,20000 --seed $(SEED) --share $(SHARE) --json $(OUT)/bench/scale.json

fuzz: $(STAMP) ## N inputs of every format from corpus stories, mutated, through run --strict; checks and counts (N=2000 SEED=1)
	$(PY) -m pipeline.fuzz --n $(N) --seed $(SEED) --folder $(OUT)/fuzz

clean: ## Remove outputs and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
