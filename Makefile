# Every target sets up .venv itself, so a fresh clone needs nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= outputs
CORPUS ?= corpus/articles
EXTERNAL ?= ../shared/eval/gdpr_fines_privacyaffairs/gdpr_violations.tsv
MONEY    ?= ../shared/eval/duckling_money/amountofmoney_en.jsonl
WIRE     ?= ../shared/eval/reuters_dev
N ?= 2000
SEED ?= 1
SHARE ?= 0.5
REPEAT ?= 1

.DEFAULT_GOAL := help
.PHONY: help run test lint eval bench bench-memory fuzz export report docs lock clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# constraints.txt is the lock (`make lock`): every package, pip and the build backend included, with its hashes.
# pip installs exactly it and checks every file's hash; then this project, editable, from the folder alone
# (--no-index: nothing else is fetched; --no-build-isolation: with the locked setuptools).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r constraints.txt
	$(PY) -m pip check
	$(PY) -m pip install -qq --no-index --no-deps --no-build-isolation -e .
	@touch $@

# What `make run` prints last: where the tables are and what to do next (the one-liner is README.md's sample).
define NEXT_STEPS

The tables are in $(OUT)/: actions.parquet (one row per enforcement action), events.parquet (each action once,
however many articles report it), articles.parquet (every input and its status), mentions.parquet, errors.parquet.
Their columns: docs/outputs.md. Next:
  make export    # $(OUT)/enforcement.xlsx and $(OUT)/csv/*.csv, for spreadsheets
  make report    # $(OUT)/report.html, one page of charts and tables
  $(PY) -c "import duckdb; duckdb.sql(\"SELECT regulator_id, target, action_type, status, amount, currency, decision_date FROM '$(OUT)/actions.parquet' ORDER BY amount_eur DESC NULLS LAST, action_id LIMIT 5\").show()"
endef
export NEXT_STEPS

run: $(STAMP) ## Set up .venv and run the pipeline on corpus/ into outputs/
	$(PY) -m pipeline run $(CORPUS) --out $(OUT)
	@printf '%s\n' "$$NEXT_STEPS"

# The tables export and report read; rebuilt when the corpus, the rules or the code change.
TABLES := $(OUT)/events.parquet
$(TABLES): $(STAMP) $(wildcard rules/*) $(wildcard pipeline/*.py) $(shell find $(CORPUS) -type f 2>/dev/null)
	$(PY) -m pipeline run $(CORPUS) --out $(OUT)

export: $(TABLES) ## Write outputs/enforcement.xlsx and outputs/csv/*.csv from the run's tables (runs it if stale)
	$(PY) -m pipeline export $(OUT)

report: $(TABLES) ## Write outputs/report.html (self-contained charts and tables) from the run's tables
	$(PY) -m pipeline report $(OUT)

test: $(STAMP) lint ## Set up .venv, run `make lint`, then the tests (unit, doctest, end-to-end)
	$(PY) -m pytest

# Both are configured in pyproject.toml: the rules, the line length, the strictness, and why a package goes unchecked.
lint: $(STAMP) ## Check the code: ruff over pipeline/ and tests/, mypy (the type hints) over pipeline/
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy

eval: $(STAMP) ## Score the team corpus and the real sets in ../shared/eval; fails below any floor
	$(PY) -m pipeline eval corpus --out $(OUT)/eval $(if $(wildcard $(EXTERNAL)),--external $(EXTERNAL)) \
	  $(if $(wildcard $(WIRE)),--wire $(WIRE)) $(if $(wildcard $(MONEY)),--money $(MONEY))

bench: $(STAMP) ## Time the pipeline against bare spaCy NER on N synthetic articles (N=2000 SEED=1 SHARE=0.5 REPEAT=1)
	$(PY) -m pipeline.bench --n $(N) --seed $(SEED) --share $(SHARE) --repeat $(REPEAT) --json $(OUT)/bench/bench.json

docs: $(TABLES) ## Regenerate docs/outputs.md's column lists and README.md's sample (from the run's tables)
	$(PY) -m pipeline.docs $(OUT)

bench-memory: $(STAMP) ## Peak RSS of the pipeline (2 workers) on 1,000 and on 20,000 synthetic articles (~15 min)
	$(PY) -m pipeline.bench --scale 1000,20000 --seed $(SEED) --share $(SHARE) --json $(OUT)/bench/scale.json

# uv resolves for Python 3.11+ on every platform (--universal) and records each file's hash; the pins already in
# constraints.txt are kept unless LOCK_ARGS says otherwise (--upgrade, or --upgrade-package NAME). Needs PyPI.
LOCK_ARGS ?=
lock: $(STAMP) ## Regenerate constraints.txt, the hash-pinned lock, from pyproject.toml with uv (LOCK_ARGS=--upgrade)
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra dask --group pyproject.toml:build \
		--group pyproject.toml:dev --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o constraints.txt

fuzz: $(STAMP) ## N inputs of every format from corpus stories, mutated, through run --strict; checks and counts (N=2000 SEED=1)
	$(PY) -m pipeline.fuzz --n $(N) --seed $(SEED) --folder $(OUT)/fuzz

clean: ## Remove outputs and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
