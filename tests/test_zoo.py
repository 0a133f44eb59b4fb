"""Stock architectures trained sensibly must get a clean bill of health.

Each recipe in sample_models/zoo/ is a standard model (ResNet-18, MobileNetV2, ViT, BERT, GPT-2
from Hugging Face transformers; an LSTM and a U-Net in plain PyTorch) with its usual optimizer and
a small learnable synthetic task (benchmarks/zoo_learns.py shows each one learns). nndoctor's
default profile must raise no warn, fail or error on any of them: a finding there is a false
alarm. Recipes that import transformers are skipped when it is not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZOO = sorted(p for p in (ROOT / "sample_models" / "zoo").glob("*.py") if not p.name.startswith("_"))
# the two transformer recipes take about as long as the rest: tests/test_zoo_text.py runs them, so
# that the suite's two workers (one file each, `--dist loadfile`) share the zoo
TEXT = {"bert_classifier", "gpt2_lm"}
LOUD = ("warn", "fail", "error")


def run_default_profile(path: Path):
    """The one place this file calls nndoctor: load the recipe, run the default profile, return the report."""
    from helpers import run

    return run(path, profile="default", seed=0)


def _needs_transformers(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return "from transformers import" in text or "import transformers" in text


def test_the_zoo_is_complete():
    names = {p.stem for p in ZOO}
    expected = {"resnet18", "mobilenet_v2", "vit_tiny", "bert_classifier", "gpt2_lm", "lstm_classifier", "unet"}
    assert expected <= names, f"missing zoo recipes: {sorted(expected - names)}"


def assert_no_alarm(path: Path) -> None:
    if _needs_transformers(path):
        pytest.importorskip("transformers")
    report = run_default_profile(path)
    loud = {
        f.check_id: f"{f.check_id} {f.outcome.value}: {f.message}" for f in report.findings if f.outcome.value in LOUD
    }
    assert not loud, f"{path.stem}: {len(loud)} false alarm(s)\n" + "\n".join(loud.values())


@pytest.mark.parametrize("path", [p for p in ZOO if p.stem not in TEXT], ids=lambda p: p.stem)
def test_stock_architecture_raises_no_alarm(path: Path):
    assert_no_alarm(path)
