"""The contract every registered check keeps (STYLE.md: ruff/pylint's bad.py/good.py habit).

Each check is documented, fires on a broken sample built for it, stays quiet on every healthy
sample, and its finding serializes to strict JSON; running a sample never changes the model the
recipe built.
"""

from __future__ import annotations

import copy
import functools
import json
import runpy
import sys
from pathlib import Path

import pytest
import torch
from helpers import load, run

from nndoctor.catalogue import explain_text
from nndoctor.check import DOC_SECTIONS
from nndoctor.registry import load_registry
from nndoctor.report.model import Outcome

ROOT = Path(__file__).resolve().parent.parent
HEALTHY = sorted((ROOT / "sample_models" / "healthy").glob("*.py"))
BROKEN = sorted((ROOT / "sample_models" / "broken").glob("*.py"))
# the live checks (ND5xx) judge a watched training script: their broken samples are scripts
BROKEN_SCRIPTS = sorted((ROOT / "sample_models" / "scripts" / "broken").glob("*.py"))
SEVERITY = {"pass": 0, "skip": 0, "warn": 1, "fail": 2, "error": 3}
REGISTRY = load_registry()
SPECS = REGISTRY.sorted_checks()


def _fires(path: Path) -> dict[str, str]:
    target = load(path)  # importing the recipe registers its module
    module = next(
        m
        for name, m in reversed(list(sys.modules.items()))
        if name.startswith("nndoctor_recipe_") and getattr(m, "__file__", None) == str(path)
    )
    del target
    return dict(module.FIRES)


@functools.cache
def run_sample(path: Path) -> tuple[dict, dict[str, str]]:
    """One default-profile run per sample, shared by every test below."""
    target = load(path, profile="default", seed=0)
    before = copy.deepcopy(target.model.state_dict())
    report = run(target, profile="default", seed=0)
    after = target.model.state_dict()
    untouched = before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    return {"report": report, "untouched": untouched}, _fires(path)


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_check_is_documented(spec):
    for section in DOC_SECTIONS:
        assert len(spec.sections[section]) > 40, f"{spec.id}: section {section!r} is too thin"
    text = explain_text(spec.id)
    assert spec.id in text and spec.name in text
    assert all(isinstance(v, (int, float)) for v in spec.thresholds.values())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_check_has_a_broken_sample_that_fires_it(spec):
    if spec.id.startswith("ND5"):  # tests/test_watch.py runs them under `nndoctor watch`
        named = [p for p in BROKEN_SCRIPTS if spec.id in runpy.run_path(str(p), run_name="not_main")["FIRES"]]
        assert named, f"no script in sample_models/scripts/broken names {spec.id} in FIRES"
        return
    named = [p for p in BROKEN if spec.id in _fires(p)]
    assert named, f"no sample in sample_models/broken names {spec.id} in FIRES"


@pytest.mark.parametrize("path", HEALTHY, ids=_name)
def test_healthy_sample_stays_quiet(path):
    result, _ = run_sample(path)
    loud = [
        f"{f.check_id} {f.outcome.value}: {f.message}"
        for f in result["report"].findings
        if f.outcome in (Outcome.WARN, Outcome.FAIL, Outcome.ERROR)
    ]
    assert not loud, "\n".join(loud)


@pytest.mark.parametrize("path", BROKEN, ids=_name)
def test_broken_sample_fires_what_it_names(path):
    result, fires = run_sample(path)
    assert fires, f"{path.name} names no check in FIRES"
    outcomes = {f.check_id: f for f in result["report"].findings}
    for check_id, minimum in fires.items():
        finding = outcomes[check_id]
        assert SEVERITY[finding.outcome.value] >= SEVERITY[minimum], (
            f"{check_id}: {finding.outcome.value} ({finding.message}), expected {minimum} or worse"
        )
        assert finding.outcome != Outcome.ERROR, finding.message
        assert finding.recommendation, f"{check_id} fired without a recommendation"


@pytest.mark.parametrize("path", HEALTHY + BROKEN, ids=_name)
def test_every_selected_check_yields_one_strict_json_finding(path):
    result, _ = run_sample(path)
    report = result["report"]
    assert sorted(f.check_id for f in report.findings) == sorted(c for c in REGISTRY.checks if not c.startswith("ND5"))
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert json.loads(text)["schema_version"] == 1


@pytest.mark.parametrize("path", HEALTHY + BROKEN, ids=_name)
def test_the_recipes_model_is_untouched(path):
    result, _ = run_sample(path)
    assert result["untouched"]
