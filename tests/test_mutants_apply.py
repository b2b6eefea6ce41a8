"""``make mutants`` stays usable: each planted bug still finds the one place it plants into
(a refactor that moves the code must move the mutant too, or CI says so)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _mutants() -> list:
    spec = importlib.util.spec_from_file_location("mutants_run", ROOT / "tests/mutants/run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutants_run"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return list(module.MUTANTS)


MUTANTS = _mutants()


def test_every_listed_mutant_is_there() -> None:
    assert len(MUTANTS) >= 12


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_applies_once_and_names_existing_tests(mutant) -> None:
    assert (ROOT / mutant.file).read_text().count(mutant.old) == 1, mutant.file
    for test in mutant.tests:
        assert (ROOT / test.split("::")[0]).is_file(), test
        if "::" in test:
            name = test.split("::")[1]
            assert f"def {name}(" in (ROOT / test.split("::")[0]).read_text(), test
