"""The plain training scripts in sample_models/scripts keep their contract (read statically; one pair runs).

Every script is an ordinary training script (argparse, `def main()`, a `__main__` guard, no nndoctor
import, no torch.set_num_threads) with a docstring, `FIRES` (ND5xx ids, `{}` for healthy ones) and
`EXPECT_CAPTURE`. Every recipe defines the recipe functions and `FIRES`. The full behavioural check
is `python benchmarks/scripts_verify.py` (minutes); one healthy script and its broken twin run here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "sample_models" / "scripts"
HEALTHY = sorted((SCRIPTS / "healthy").glob("*.py"))
BROKEN = sorted((SCRIPTS / "broken").glob("*.py"))
RECIPES = sorted((SCRIPTS / "recipes").glob("*.py"))
LIVE_IDS = {f"ND5{n:02d}" for n in range(1, 12)}
CAPTURE_KEYS = {"model", "optimizer", "loss", "val_loader"}


def _module_constants(path: Path) -> dict[str, object]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants: dict[str, object] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None and target.id in {"FIRES", "EXPECT_CAPTURE"}:
            constants[target.id] = ast.literal_eval(value)
    constants["__doc__"] = ast.get_docstring(tree)
    return constants


def test_there_are_enough_scripts():
    assert len(HEALTHY) >= 6
    assert len(BROKEN) >= 12
    assert len(RECIPES) >= 4


@pytest.mark.parametrize("path", HEALTHY + BROKEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_script_is_a_plain_training_script(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "import argparse" in text and "def main(" in text
    assert re.search(r'^if __name__ == "__main__":\n    main\(\)$', text, re.M)
    assert "set_num_threads" not in text, "scripts must not pin threads; the tests set OMP_NUM_THREADS"
    assert "nndoctor" not in re.sub(r'""".*?"""', "", text, count=1, flags=re.S), "scripts must not import nndoctor"
    for call in ("zero_grad", ".backward()", ".step()", "DataLoader("):
        assert call in text, f"{path.name} has no {call}"
    assert "final " in text, "the last printed line starts with `final` (scripts_verify parses it)"


@pytest.mark.parametrize("path", HEALTHY + BROKEN, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_script_declares_fires_and_capture(path: Path):
    constants = _module_constants(path)
    fires, capture, doc = constants.get("FIRES"), constants.get("EXPECT_CAPTURE"), constants["__doc__"]
    assert doc and len(doc.splitlines()) > 3
    assert isinstance(capture, dict) and set(capture) == CAPTURE_KEYS
    assert isinstance(capture["model"], str) and isinstance(capture["optimizer"], str)
    assert capture["loss"] is None or isinstance(capture["loss"], str)
    assert f"class {capture['model']}(" in path.read_text(encoding="utf-8")
    if path.parent.name == "healthy":
        assert fires == {}
    else:
        assert isinstance(fires, dict) and fires
        assert set(fires) <= LIVE_IDS, f"{path.name}: broken scripts fire live checks (ND5xx)"
        assert set(fires.values()) <= {"warn", "fail"}
        assert "Public report" in doc, "the docstring names the public reports of the bug"


def test_every_live_check_has_a_broken_script():
    fired = set().union(*(_module_constants(p)["FIRES"] for p in BROKEN))
    assert fired >= LIVE_IDS - {"ND505"}  # ND505 (gradient drift) has no script yet


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_defines_the_recipe_functions(path: Path):
    spec = importlib.util.spec_from_file_location(f"recipe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("build_model", "build_data", "build_loss", "build_optimizer"):
        assert callable(getattr(module, name, None)), f"{path.name} has no {name}()"
    assert isinstance(module.FIRES, dict)
    assert (SCRIPTS / "healthy" / f"{path.stem}.py").exists() or (SCRIPTS / "broken" / f"{path.stem}.py").exists()


@pytest.mark.slow
def test_a_healthy_script_and_its_broken_twin_show_it():
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scripts_verify.py"), "--only", "scheduler_stepped_per_batch"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1/1 scripts show what they should" in proc.stdout
