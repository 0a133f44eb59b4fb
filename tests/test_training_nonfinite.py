"""ND204 on a short run that turns NaN/Inf: the replay localizes the first bad step to a module, the
loss, the backward pass or the optimizer update; a finite run, or a run without the short run
(quick), is judged from init alone."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nndoctor.api import diagnose
from nndoctor.check import Thresholds
from nndoctor.checks.init import nonfinite_localization
from nndoctor.probes.backward import BackwardStats
from nndoctor.probes.data import DataStats
from nndoctor.probes.forward import ForwardStats, Site
from nndoctor.probes.nonfinite import TrainingNonfinite
from nndoctor.report.model import Outcome


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _separable(n: int = 2000, features: int = 20, seed: int = 1) -> tuple[DataLoader, DataLoader]:
    w = torch.randn(features, generator=torch.Generator().manual_seed(3))
    x = torch.randn(n, features, generator=torch.Generator().manual_seed(seed))
    y = (x @ w > 0).float()
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(x[:400], y[:400]), batch_size=200)


class _Squeeze(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.squeeze(1)


def _mlp(features: int = 20) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1), _Squeeze())


def naive_bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """log(1 - sigmoid(z)) is log(0) once sigmoid rounds to 1 (z > ~17 in float32)."""
    p = torch.sigmoid(logits)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


def _findings(report) -> dict:
    return {f.check_id: f for f in report.findings}


def test_a_loss_that_turns_nan_in_training_is_traced_to_the_loss_not_the_step_size():
    train, val = _separable()
    report = diagnose(
        _mlp(),
        train,
        val,
        loss_fn=naive_bce,
        optimizer_fn=lambda p: torch.optim.Adam(p, lr=1e-2),
        select=["ND204", "ND303", "ND404"],
        device="cpu",
    )
    found = _findings(report)
    nd204 = found["ND204"]
    assert nd204.outcome == Outcome.FAIL, nd204.message
    assert nd204.evidence["where"] == "loss" and "from finite model outputs" in nd204.message
    assert nd204.evidence["training_step"] <= nd204.evidence["short_run_step"]
    assert f"step {nd204.evidence['short_run_step']}" in found["ND404"].message
    assert "BCEWithLogitsLoss" in (nd204.recommendation or "")
    assert found["ND404"].outcome == Outcome.FAIL and found["ND404"].explained_by == ["ND204"]
    # the update-ratio rule of thumb is not confirmed by a NaN that the loss function explains
    assert found["ND303"].outcome == Outcome.PASS and found["ND303"].evidence.get("unconfirmed")


def test_the_same_setup_with_a_stable_loss_stays_quiet_and_replays_nothing():
    train, val = _separable()
    report = diagnose(
        _mlp(),
        train,
        val,
        loss_fn=nn.BCEWithLogitsLoss(),
        optimizer_fn=lambda p: torch.optim.Adam(p, lr=1e-2),
        select=["ND204", "ND404"],
        device="cpu",
    )
    nd204 = _findings(report)["ND204"]
    assert nd204.outcome == Outcome.PASS and "training_step" not in nd204.evidence
    assert _findings(report)["ND404"].outcome != Outcome.FAIL


def test_quick_profile_does_not_run_the_short_run_for_nd204():
    train, val = _separable()
    report = diagnose(
        _mlp(), train, val, loss_fn=naive_bce, optimizer_fn=lambda p: torch.optim.Adam(p, lr=1e-2), profile="quick"
    )
    assert _findings(report)["ND204"].outcome == Outcome.PASS
    assert "short_run" not in report.timings.get("probes", {}) and "training_nonfinite" not in str(report.timings)


class _SqrtOfRelu(nn.Module):
    """The output sqrt(z * (z > 0)): finite everywhere, but once z < 0 its derivative is 0 * inf."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 1)
        nn.init.constant_(self.linear.bias, 2.0)  # every output starts positive: init is clean

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        return torch.sqrt(z * (z > 0)).squeeze(1)


def test_a_gradient_that_turns_nan_from_a_finite_loss_is_localized_to_the_backward_pass():
    torch.manual_seed(0)
    x = torch.randn(512, 8, generator=torch.Generator().manual_seed(4))
    y = torch.zeros(512)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    report = diagnose(
        _SqrtOfRelu(),
        train,
        loss_fn=lambda out, t: (out - t).abs().mean(),
        optimizer_fn=lambda p: torch.optim.SGD(p, lr=0.2),
        select=["ND204", "ND404"],
        device="cpu",
    )
    nd204 = _findings(report)["ND204"]
    assert nd204.outcome == Outcome.FAIL, nd204.message
    assert nd204.evidence["where"] == "gradient" and "the loss was finite" in nd204.message
    assert nd204.evidence["parameters"], nd204.evidence


def test_an_update_that_divides_by_zero_is_named_as_the_optimizers():
    torch.manual_seed(0)
    x = torch.randn(512, 6, generator=torch.Generator().manual_seed(5))
    x[:, 0] = 0.0  # a feature that is always zero: its weights' gradient is exactly 0
    y = torch.randint(0, 3, (512,), generator=torch.Generator().manual_seed(6))
    train = DataLoader(TensorDataset(x, y), batch_size=32)
    report = diagnose(
        nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)),
        train,
        optimizer_fn=lambda p: torch.optim.Adam(p, lr=1e-3, eps=0.0),  # 0 / (sqrt(0) + 0)
        select=["ND204", "ND404"],
        device="cpu",
    )
    nd204 = _findings(report)["ND204"]
    assert nd204.outcome == Outcome.FAIL, nd204.message
    assert nd204.evidence["where"] == "update" and nd204.evidence["training_step"] == 0
    assert nd204.evidence["parameters"][0] == "0.weight" and "eps" in (nd204.recommendation or "")


def test_nan_rows_past_the_held_batches_are_named_as_the_data():
    x = torch.randn(3200, 10, generator=torch.Generator().manual_seed(7))
    y = torch.randint(0, 4, (3200,), generator=torch.Generator().manual_seed(8))
    x[3100, 3] = float("nan")  # batch 48 of 50: past the 32 batches held and checked at init
    train = DataLoader(TensorDataset(x, y), batch_size=64)
    report = diagnose(
        nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4)),
        train,
        optimizer_fn=lambda p: torch.optim.SGD(p, lr=0.05),
        select=["ND102", "ND204", "ND404"],
        device="cpu",
    )
    found = _findings(report)
    assert found["ND102"].outcome == Outcome.PASS  # the held batches are clean
    nd204 = found["ND204"]
    assert nd204.outcome == Outcome.FAIL and nd204.evidence["where"] == "data", nd204.message
    assert nd204.evidence["training_step"] == 48 and nd204.evidence["batch_nonfinite"] == 1
    assert found["ND404"].explained_by == ["ND204"]


def _site(name: str, kind: str, order: int, mean: float, std: float, nonfinite: int = 0) -> Site:
    return Site(
        name=name,
        kind=kind,
        order=order,
        shape=(4,),
        weighted=kind == "Linear",
        bias=True,
        mean=mean,
        std=std,
        nonfinite=nonfinite,
    )


def _forward(sites: list[Site], low: float = -1.0, high: float = 1.0, first: Site | None = None) -> ForwardStats:
    return ForwardStats(
        sites=sites,
        batches=1,
        losses=[0.5],
        output_min=low,
        output_max=high,
        output_row_sum_dev=math.inf,
        output_logsumexp_dev=math.inf,
        output_std=1.0,
        output_mean=0.0,
        output_nonfinite=0,
        first_nonfinite=first,
    )


def _judge(found: TrainingNonfinite | None):
    clean = _forward([_site("fc", "Linear", 0, 0.0, 1.0)])
    backward = BackwardStats.__new__(BackwardStats)
    backward.grad_output_nonfinite, backward.params = [], []
    data = DataStats.__new__(DataStats)
    data.input_nonfinite = 0
    return nonfinite_localization(clean, backward, data, Thresholds({"grown_activation": 1e4}), found)


def test_nd204_branches_on_replay_results():
    assert _judge(None).outcome == Outcome.PASS
    culprit = _site("attn", "Softmax", 1, 0.0, 0.1, nonfinite=12)
    forward = TrainingNonfinite(
        40, 40, "forward", "SGD", 0.1, forward=_forward([_site("fc", "Linear", 0, 0.0, 3.0), culprit], first=culprit)
    )
    verdict = _judge(forward)
    assert verdict.outcome == Outcome.FAIL and "attn (Softmax)" in verdict.message and "step 40" in verdict.message
    # the same NaN after activations grew enormous is the step size's: ND404 and ND303 judge it
    grown = TrainingNonfinite(
        40, 40, "forward", "SGD", 10.0, forward=_forward([_site("fc", "Linear", 0, 5e5, 3e6), culprit], first=culprit)
    )
    verdict = _judge(grown)
    assert verdict.outcome == Outcome.PASS and "grew" in verdict.message
    lost = TrainingNonfinite(40, None, None, "SGD", 0.1)
    assert _judge(lost).outcome == Outcome.PASS and "did not recur" in _judge(lost).message
