"""Gradient clipping: a loop that clips (the `clip_grad_norm` / `clip_grad_value` hints, or a captured
script's own `clip_grad_norm_` call) is trained the same way by every probe that steps an
optimizer; the gradient statistics the checks read stay those of the raw gradients."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from nndoctor.api import diagnose
from nndoctor.errors import TargetError
from nndoctor.targets.model import validate_hints

STEPPED: list[float] = []  # the gradient norm each optimizer step saw


class RecordingSGD(torch.optim.SGD):
    def step(self, closure=None):  # type: ignore[override]
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        STEPPED.append(float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))
        return super().step(closure)


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(128, 8, generator=g) * 30  # large inputs: large gradients
    y = torch.arange(128) % 3
    return [(x[i : i + 16], y[i : i + 16]) for i in range(0, 128, 16)]


def _steps_seen(hints):
    STEPPED.clear()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
    report = diagnose(
        model,
        _data(),
        optimizer_fn=lambda params: RecordingSGD(params, lr=0.01),
        hints=hints,
        select=["ND303", "ND403", "ND404"],
        device="cpu",
        probes={"short_run": {"steps": 10}, "lr_range": {"steps": 20}},
    )
    return list(STEPPED), report


def test_every_probe_step_clips_the_gradient_norm_as_the_loop_does():
    raw, _ = _steps_seen(None)
    clipped, report = _steps_seen({"clip_grad_norm": 0.5})
    assert max(raw) > 5  # the setup's gradients are large
    assert len(clipped) > 30 and max(clipped) <= 0.5 * 1.001
    # ND303 still reads the raw gradient (its update ratio is the clipped step's)
    nd303 = next(f for f in report.findings if f.check_id == "ND303")
    assert nd303.outcome.value != "error"


def test_clip_grad_value_bounds_every_entry():
    STEPPED.clear()
    clipped, _ = _steps_seen({"clip_grad_value": 0.001})
    n_params = 8 * 32 + 32 + 32 * 3 + 3
    assert max(clipped) <= 0.001 * n_params**0.5 * 1.001


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        ({"clip_grad_norm": -1}, "positive number"),
        ({"clip_grad_norm": True}, "positive number"),
        ({"clip_grad_value": "1"}, "positive number"),
        ({"clip_grad_norm": 1.0, "clip_grad_value": 1.0}, "both"),
        ({"clip_norm": 1.0}, "did you mean 'clip_grad_norm'"),
    ],
)
def test_bad_clipping_hints_are_one_clear_error(hints, message):
    with pytest.raises(TargetError, match=message):
        validate_hints(hints, "recipe.py")


SCRIPT = """
import argparse
import torch
from torch import nn
from torch.nn.utils import clip_grad_norm_

def main():
    p = argparse.ArgumentParser(); p.add_argument("--clip", type=float, default=0.25); args = p.parse_args()
    torch.manual_seed(0)
    x, y = torch.randn(256, 8), torch.arange(256) % 3
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        clip_grad_norm_(model.parameters(), args.clip)
        opt.step()

if __name__ == "__main__":
    main()
"""


def test_a_scripts_clipping_is_captured_with_its_site(tmp_path: Path):
    from nndoctor.observe.capture import capture

    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    captured = capture(script, ["--clip", "0.5"])
    assert captured.target.hints["clip_grad_norm"] == 0.5
    line = next(n for n, text in enumerate(script.read_text().splitlines(), 1) if "clip_grad_norm_(model" in text)
    assert f"gradient clipping: clip_grad_norm_ (max_norm 0.5) ({script}:{line})" in captured.describe()
