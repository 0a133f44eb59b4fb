"""The training-dynamics experiments (ND401, ND402, ND404, ND405) and the probes behind them.

Sample runs select only these checks (not the whole default profile) to keep the suite fast;
branch tests feed hand-made probe results to the pure check functions.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
from pathlib import Path

import pytest
import torch
from helpers import run
from torch import nn

from nndoctor.api import diagnose
from nndoctor.batches import take_samples
from nndoctor.check import Thresholds
from nndoctor.checks.training import generalization_gap, loss_dynamics, overfit_small_batch
from nndoctor.errors import Skip
from nndoctor.probes.data import DataStats
from nndoctor.probes.training import EvalPoint, LayerTrack, OverfitRun, ShortRun
from nndoctor.registry import load_registry
from nndoctor.report.model import Outcome
from nndoctor.samples.datasets import digits_loaders
from nndoctor.setup import Setup
from nndoctor.tasks import TaskInfo, infer_task

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ("ND401", "ND402", "ND404", "ND405")
NEW_BROKEN = (
    "overfitting_gap",
    "underfitting_small_model",
    "lr_far_too_high",
    "lr_far_too_low",
    "loss_ignores_labels",
    "dropout_not_applied",
)
HEALTHY = sorted((ROOT / "sample_models" / "healthy").glob("*.py"))
SEVERITY = {"pass": 0, "skip": 0, "warn": 1, "fail": 2, "error": 3}
REGISTRY = load_registry()


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small models train fastest on one thread; two threads on a busy CI runner thrash."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@functools.cache
def sample_report(path: Path):
    """One run of the training checks on a sample (default profile budgets, CPU, seed 0)."""
    return run(path, profile="default", select=TRAINING, device="cpu", seed=0)


def _fires(path: Path) -> dict[str, str]:
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own sample recipe
    return namespace["FIRES"]


def _check(check_id: str, limits: dict | None = None):
    spec = REGISTRY.checks[check_id]
    return spec, Thresholds({**spec.thresholds, **(limits or {})})


# -- samples ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NEW_BROKEN)
def test_new_broken_sample_fires_what_it_names(name):
    path = ROOT / "sample_models" / "broken" / f"{name}.py"
    fires = {check_id: minimum for check_id, minimum in _fires(path).items() if check_id in TRAINING}
    assert fires, f"{name} names none of {TRAINING} in FIRES"
    report = sample_report(path)
    json.dumps(report.to_dict(), allow_nan=False)  # strict JSON, and schema-checked by conftest
    findings = {f.check_id: f for f in report.findings}
    for check_id, minimum in fires.items():
        finding = findings[check_id]
        assert SEVERITY[finding.outcome.value] >= SEVERITY[minimum], f"{check_id}: {finding.message}"
        assert finding.outcome != Outcome.ERROR, finding.message
        assert finding.recommendation


@pytest.mark.parametrize("path", HEALTHY, ids=lambda p: p.stem)
def test_healthy_samples_stay_quiet_on_training_checks(path):
    loud = [
        f"{f.check_id} {f.outcome.value}: {f.message}"
        for f in sample_report(path).findings
        if f.outcome in (Outcome.WARN, Outcome.FAIL, Outcome.ERROR)
    ]
    assert not loud, "\n".join(loud)
    json.dumps(sample_report(path).to_dict(), allow_nan=False)


def test_diagnoses_name_the_cause():
    """Each broken sample fails for its own reason, not just for some reason."""
    broken = ROOT / "sample_models" / "broken"
    by = {name: {f.check_id: f for f in sample_report(broken / f"{name}.py").findings} for name in NEW_BROKEN}
    assert "NaN/Inf" in by["lr_far_too_high"]["ND404"].message
    assert "flat" in by["lr_far_too_low"]["ND404"].message and "too low" in by["lr_far_too_low"]["ND404"].message
    assert "not measuring agreement" in by["loss_ignores_labels"]["ND402"].message
    assert by["underfitting_small_model"]["ND405"].message.startswith("underfitting")
    assert by["overfitting_gap"]["ND405"].message.startswith("overfitting")
    assert by["overfitting_gap"]["ND402"].outcome == Outcome.PASS  # a big model can memorize 20 samples
    assert "dropout" in by["dropout_not_applied"]["ND401"].message
    assert by["lr_far_too_high"]["ND405"].outcome == Outcome.SKIP  # no gap verdict on a diverged run


# -- determinism and leaving the user's objects alone -----------------------------------------
def _stable(report) -> list[tuple]:
    drop = {"seconds"}
    return [
        (f.check_id, f.outcome, f.message, {k: v for k, v in f.evidence.items() if k not in drop}, f.tables)
        for f in report.findings
    ]


def test_same_seed_gives_the_same_results_on_cpu():
    path = str(ROOT / "sample_models" / "broken" / "overfitting_gap.py")
    first = run(path, profile="default", select=TRAINING, device="cpu", seed=3)
    second = run(path, profile="default", select=TRAINING, device="cpu", seed=3)
    assert _stable(first) == _stable(second)


class _BnDropoutNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(64, 32)
        self.bn = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(torch.relu(self.bn(self.fc(x)))))


def _equal_nested(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal_nested(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal_nested(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_user_model_optimizer_loader_and_rng_are_untouched():
    torch.manual_seed(0)
    model = _BnDropoutNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    train, val = digits_loaders(batch_size=64, train_size=256)
    x, y = next(iter(train))
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()  # the optimizer now has momentum buffers to protect
    model.eval()
    state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(optimizer.state_dict())
    loader_state = train.generator.get_state().clone()
    rng = torch.get_rng_state().clone()

    report = diagnose(model, train, val, nn.CrossEntropyLoss(), optimizer, select=TRAINING, device="cpu")

    assert {f.check_id for f in report.findings} == set(TRAINING)
    assert all(f.outcome != Outcome.ERROR for f in report.findings), [f.message for f in report.findings]
    assert _equal_nested(state, model.state_dict())  # parameters and BN buffers, bit for bit
    assert _equal_nested(opt_state, optimizer.state_dict())
    assert torch.equal(loader_state, train.generator.get_state())  # next epoch shuffles as before
    assert torch.equal(rng, torch.get_rng_state())
    assert not model.training  # the mode the user left it in
    assert model.drop.p == 0.2


# -- budgets, interruption, missing validation data ------------------------------------------------
def test_an_exhausted_safety_cap_makes_training_checks_not_judged():
    train, val = digits_loaders(batch_size=64, train_size=256)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    report = diagnose(model, train, val, select=TRAINING, device="cpu", budget_s=1e-9)
    outcomes = {f.check_id: f for f in report.findings}
    for check_id in ("ND402", "ND404", "ND405"):
        assert outcomes[check_id].outcome == Outcome.NOT_JUDGED, outcomes[check_id].message
        assert "safety cap" in outcomes[check_id].message
    assert report.counts["not_judged"] == 3


def test_a_cut_experiment_is_never_judged_from_its_partial_result(tmp_path):
    profile = tmp_path / "tight.yaml"
    profile.write_text("extends: default\nprobes:\n  short_run: {steps: 1000000, check_every: 5}\n", encoding="utf-8")
    path = ROOT / "sample_models" / "healthy" / "digits_mlp.py"
    report = run(path, profile=str(profile), select=["ND404"], device="cpu", budget_s=0.5)
    finding = report.findings[0]
    assert finding.outcome == Outcome.NOT_JUDGED, finding.message
    assert "cut the short training run after" in finding.message and finding.evidence == {}


def test_verdicts_do_not_depend_on_a_generous_safety_cap():
    path = ROOT / "sample_models" / "healthy" / "digits_mlp.py"
    plain = run(path, select=TRAINING, device="cpu")
    capped = run(path, select=TRAINING, device="cpu", budget_s=3600)
    assert [(f.check_id, f.outcome, f.message, f.evidence) for f in plain.findings] == [
        (f.check_id, f.outcome, f.message, f.evidence) for f in capped.findings
    ]


def test_generalization_gap_skips_without_validation_data():
    train, _ = digits_loaders(batch_size=64, train_size=256)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    report = diagnose(model, train, None, select=["ND405"], device="cpu")
    finding = report.findings[0]
    assert finding.outcome == Outcome.SKIP
    assert "no validation data" in finding.message


def test_ctrl_c_during_a_training_probe_keeps_what_finished():
    train, val = digits_loaders(batch_size=64, train_size=512)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10))
    calls = {"n": 0}

    def forward(m: nn.Module, batch):
        calls["n"] += 1
        if calls["n"] == 40:  # setup and ND401's few passes are done; ND402's overfit run is under way
            raise KeyboardInterrupt
        x, y = batch
        return m(x), y

    report = diagnose(model, train, val, forward_fn=forward, select=TRAINING, device="cpu")
    outcomes = {f.check_id: f for f in report.findings}
    assert report.interrupted
    assert outcomes["ND401"].outcome == Outcome.PASS
    assert outcomes["ND402"].outcome == Outcome.NOT_JUDGED and "interrupted" in outcomes["ND402"].message
    assert outcomes["ND404"].outcome == Outcome.NOT_JUDGED and "before it ran" in outcomes["ND404"].message
    assert outcomes["ND405"].message == outcomes["ND404"].message
    assert model[2].p == 0.1


# -- ND401 branches ----------------------------------------------------------------------------
def test_nd401_warns_when_weight_decay_swamps_the_loss():
    train, val = digits_loaders(batch_size=64, train_size=256)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    strong = diagnose(
        model,
        train,
        val,
        optimizer_fn=lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.5),
        select=["ND401"],
        device="cpu",
    ).findings[0]
    assert strong.outcome == Outcome.WARN and "weight_decay 0.5" in strong.message
    assert strong.evidence["penalty_share"] > 1
    usual = diagnose(
        model,
        train,
        val,
        optimizer_fn=lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=5e-4),
        select=["ND401"],
        device="cpu",
    ).findings[0]
    assert usual.outcome == Outcome.PASS and usual.evidence["l2_source"] == "optimizer weight_decay"
    assert usual.evidence["penalized_loss"] > usual.evidence["data_loss"]


# -- ND404 / ND405 / ND402 branches on hand-made probe results ------------------------------------
def _setup(loss_kind: str | None = "cross_entropy") -> Setup:
    task = TaskInfo("classification", 10, loss_kind, False, False, (64, 10), (64,), "torch.int64")
    return Setup(task, 64, 8, 2, 2.3, loss_kind or "custom", lambda o, t: o.sum())


def _run(losses: list[float], evals: list[tuple[int, float, float, float, float]], **kw) -> ShortRun:
    return ShortRun(
        steps_planned=kw.pop("steps_planned", len(losses)),
        steps_run=len(losses),
        stop_reason=kw.pop("stop_reason", "completed"),
        losses=losses,
        evals=[EvalPoint(*e) for e in evals],
        metric="accuracy",
        chance=0.1,
        layers=[LayerTrack("fc", "Linear", [1.0, 0.5], [1e-3, 1e-3])],
        tracked_steps=[0, 100],
        optimizer="SGD",
        lr=0.5,
        precision="fp32",
        seconds=0.1,
        has_val=True,
        **kw,
    )


def test_nd404_classifies_oscillation_and_divergence():
    _, limits = _check("ND404")
    bouncing = [2.3 - 1.5 * (i % 40) / 40 + (0.6 if (i // 20) % 2 else 0.0) for i in range(200)]
    bouncing = [2.3 if i < 20 else v for i, v in enumerate(bouncing)]
    verdict = loss_dynamics(
        _run(bouncing, [(0, 2.3, 0.1, 2.3, 0.1), (100, 0.8, 0.7, 0.9, 0.6), (200, 1.9, 0.3, 2.0, 0.3)]), limits
    )
    assert verdict.outcome == Outcome.WARN and "oscillates" in verdict.message
    rising = [2.3 + 0.02 * i for i in range(200)]
    verdict = loss_dynamics(_run(rising, [(0, 2.3, 0.1, 2.3, 0.1), (200, 6.3, 0.1, 6.4, 0.1)]), limits)
    assert verdict.outcome == Outcome.FAIL and "diverges" in verdict.message
    smooth = [2.3 * math.exp(-i / 50) + 0.05 for i in range(200)]
    verdict = loss_dynamics(_run(smooth, [(0, 2.3, 0.1, 2.3, 0.1), (200, 0.1, 0.98, 0.2, 0.95)]), limits)
    assert verdict.outcome == Outcome.PASS and verdict.tables


def test_nd404_and_nd405_skip_runs_cut_short_by_time():
    _, limits404 = _check("ND404")
    _, limits405 = _check("ND405")
    cut = _run(
        [2.3, 2.2, 2.1], [(0, 2.3, 0.1, 2.3, 0.1), (3, 2.1, 0.2, 2.1, 0.2)], stop_reason="time", steps_planned=200
    )
    with pytest.raises(Skip, match="time budget"):
        loss_dynamics(cut, limits404)
    with pytest.raises(Skip, match="time budget"):
        generalization_gap(cut, _setup(), limits405)


def test_nd405_reports_a_rising_validation_loss_as_overfitting():
    _, limits = _check("ND405")
    losses = [2.3 * math.exp(-i / 30) for i in range(200)]
    evals = [(0, 2.3, 0.1, 2.3, 0.1), (100, 0.3, 0.9, 0.5, 0.86), (200, 0.05, 0.95, 1.5, 0.88)]
    verdict = generalization_gap(_run(losses, evals), _setup(), limits)
    assert verdict.outcome == Outcome.WARN and "validation loss rose" in verdict.message


def test_nd405_does_not_read_a_custom_losss_poor_argmax_accuracy_as_underfitting():
    _, limits = _check("ND405")
    losses = [2.3 * math.exp(-i / 30) + 0.02 for i in range(200)]
    evals = [(0, 2.3, 0.1, 2.3, 0.1), (100, 0.1, 0.11, 0.12, 0.1), (200, 0.03, 0.11, 0.04, 0.1)]
    stock = generalization_gap(_run(losses, evals), _setup(), limits)
    assert stock.outcome == Outcome.WARN and "underfitting" in stock.message
    custom = generalization_gap(_run(losses, evals), _setup(loss_kind=None), limits)
    assert custom.outcome == Outcome.PASS and "accuracy is not what this loss optimizes" in custom.message


def test_nd405_does_not_call_a_language_models_next_token_accuracy_underfitting():
    from nndoctor.setup import _next_token_targets

    _, limits = _check("ND405")
    losses = [2.3 * math.exp(-i / 30) + 0.02 for i in range(200)]
    evals = [(0, 2.3, 0.1, 2.3, 0.1), (100, 0.1, 0.11, 0.12, 0.1), (200, 0.03, 0.11, 0.04, 0.1)]
    lm = dataclasses.replace(_setup(), next_token_targets=True)
    verdict = generalization_gap(_run(losses, evals), lm, limits)
    assert verdict.outcome == Outcome.PASS and "language model" in verdict.message
    ids = torch.randint(0, 50, (8, 33), generator=torch.Generator().manual_seed(0))
    assert _next_token_targets((ids[:, :-1], ids[:, 1:]))  # targets shifted by one
    assert _next_token_targets({"input_ids": ids, "labels": ids.clone()})  # HF: shifted inside the model
    tags = torch.randint(0, 5, (8, 33), generator=torch.Generator().manual_seed(1))
    assert not _next_token_targets((ids, tags))  # a tagger's labels are not its tokens
    assert not _next_token_targets((ids,))


def test_nd405_judges_a_custom_loss_on_the_losses_when_r2_of_the_output_is_below_zero():
    # zoo3's VAE: Bernoulli logits against pixels, R^2 -257 (train) vs -270 (validation) while the
    # negative ELBO fell 80% and the two losses stay 3% apart
    _, limits = _check("ND405")
    losses = [700 * math.exp(-i / 40) + 140 for i in range(200)]
    evals = [(0, 718.0, -0.7, 720.0, -0.7), (100, 150.0, -120.0, 155.0, -125.0), (200, 139.5, -256.9, 144.0, -269.8)]
    run = dataclasses.replace(_run(losses, evals), metric="r2", chance=None)
    custom = generalization_gap(run, _setup(loss_kind=None), limits)
    assert custom.outcome == Outcome.PASS and custom.evidence["judged_on"] == "loss", custom.message
    stock = generalization_gap(run, _setup(loss_kind="mse"), limits)
    assert stock.outcome == Outcome.WARN


def _overfit(**kw) -> OverfitRun:
    base = dict(
        samples=20,
        steps_planned=300,
        steps_run=300,
        stop_reason="completed",
        metric="accuracy",
        goal=1.0,
        goal_step=None,
        initial_loss=2.3,
        final_loss=1.2,
        best_loss=1.2,
        initial_metric=0.1,
        final_metric=0.6,
        best_metric=0.6,
        losses=[2.3, 1.2],
        checked_steps=[0, 299],
        weight_decay_removed=[],
        dropout_disabled=0,
        frozen_params=[],
        not_in_optimizer=[],
        chance=0.15,
        chance_loss=math.log(10),
        trainable=True,
        optimizer="Adam",
        lr=1e-3,
        seconds=0.5,
    )
    base.update(kw)
    return OverfitRun(**base)


UNIT_DATA = DataStats(batches=1, samples=20, input_float=True, input_shape=(4,), input_nonfinite=0, target_nonfinite=0)


def test_nd402_does_not_read_a_negative_loss_as_a_share_of_its_start():
    _, limits = _check("ND402")
    # a Poisson NLL on log-rates: -618.7 -> -624.3 is "101% of its start", and R^2 of the log-rate is not
    # what the loss optimizes; nothing here says the model cannot fit
    poisson = _overfit(
        metric="r2",
        goal=0.99,
        initial_loss=-618.7,
        final_loss=-624.3,
        best_loss=-624.3,
        initial_metric=-11.0,
        final_metric=-10.1,
        best_metric=-10.1,
        losses=[-618.7, -624.3],
    )
    with pytest.raises(Skip, match="negative"):
        overfit_small_batch(poisson, UNIT_DATA, limits)
    fits = dataclasses.replace(poisson, best_metric=1.0, final_metric=1.0)
    assert overfit_small_batch(fits, UNIT_DATA, limits).outcome == Outcome.PASS
    # a positive loss that barely moves still fails
    stuck = _overfit(final_loss=2.29, best_loss=2.29, best_metric=0.15, final_metric=0.15, losses=[2.3, 2.29])
    assert overfit_small_batch(stuck, UNIT_DATA, limits).outcome == Outcome.FAIL


def test_nd402_branches():
    _, limits = _check("ND402")
    assert overfit_small_batch(_overfit(goal_step=40, best_metric=1.0), UNIT_DATA, limits).outcome == Outcome.PASS
    assert "stalls" in overfit_small_batch(_overfit(), UNIT_DATA, limits).message
    near = overfit_small_batch(_overfit(best_metric=0.95), UNIT_DATA, limits)
    assert near.outcome == Outcome.PASS and near.message.startswith("note: nearly overfit")
    detached = overfit_small_batch(_overfit(trainable=False, final_loss=2.3, best_loss=2.3), UNIT_DATA, limits)
    assert detached.outcome == Outcome.FAIL and "detached" in detached.message
    frozen = overfit_small_batch(
        _overfit(final_loss=2.29, best_loss=2.29, frozen_params=["0.weight"]), UNIT_DATA, limits
    )
    assert "barely moves" in frozen.message and "frozen" in frozen.message
    # a loss far below a uniform guess with accuracy at chance: the loss ignores the labels
    ignored = _overfit(final_loss=0.5, best_loss=0.5, best_metric=0.2)
    assert "not measuring agreement" in overfit_small_batch(ignored, UNIT_DATA, limits).message
    # a model with fewer parameters than target values is not expected to memorize: its best fit passes
    small = overfit_small_batch(_overfit(trainable_params=33, outputs_per_sample=10), UNIT_DATA, limits)
    assert small.outcome == Outcome.PASS and "cannot be expected to memorize" in small.message
    # close to the goal and still improving when the budget ended: a note, not a warning
    improving = _overfit(best_metric=0.95, losses=[2.3, 1.9, 1.6, 1.4, 1.2, 1.0, 0.8, 0.6])
    assert overfit_small_batch(improving, UNIT_DATA, limits).outcome == Outcome.PASS
    # close to the goal and leveled off: still a note (nothing confirms a problem); far from it, a failure
    leveled = _overfit(best_metric=0.95, losses=[2.3, 1.0, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6])
    assert overfit_small_batch(leveled, UNIT_DATA, limits).outcome == Outcome.PASS
    far = _overfit(best_metric=0.5, losses=[2.3, 1.0, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6])
    assert overfit_small_batch(far, UNIT_DATA, limits).outcome == Outcome.FAIL
    # a fast first fall, then a steady descent (a low learning rate): the last quarter brings only 5% of
    # the fall but 5% of the loss, so it is slow, not stalled; the same curve leveling off fails
    head = [2.3, 1.6, 1.45, 1.40, 1.36, 1.33, 1.30, 1.28, 1.26]
    slow = overfit_small_batch(_overfit(best_metric=0.6, losses=[*head, 1.23, 1.20, 1.17]), UNIT_DATA, limits)
    assert slow.outcome == Outcome.PASS and "still improving steadily" in slow.message
    assert slow.evidence["late_fall"] < limits.still_falling < 0.1 + 1e-9
    flat = overfit_small_batch(_overfit(best_metric=0.6, losses=[*head, 1.20, 1.195, 1.19]), UNIT_DATA, limits)
    assert flat.outcome == Outcome.FAIL and "stalls" in flat.message


def test_nd402_names_unscaled_regression_targets():
    _, limits = _check("ND402")
    stalled = _overfit(
        metric="r2",
        goal=0.95,
        initial_metric=-5.0,
        final_metric=-2.0,
        best_metric=-2.0,
        initial_loss=3e4,
        final_loss=2e4,
        best_loss=2e4,
    )
    large = DataStats(
        batches=1,
        samples=20,
        input_float=True,
        input_shape=(4,),
        input_nonfinite=0,
        target_nonfinite=0,
        target_float=True,
        target_mean_sq=150.0**2,
    )
    verdict = overfit_small_batch(stalled, large, limits)
    assert verdict.outcome == Outcome.FAIL and "targets are large" in verdict.message
    assert "Standardize the targets" in verdict.recommendation
    unit = DataStats(
        batches=1,
        samples=20,
        input_float=True,
        input_shape=(4,),
        input_nonfinite=0,
        target_nonfinite=0,
        target_float=True,
        target_mean_sq=1.0,
    )
    assert "stalls" in overfit_small_batch(stalled, unit, limits).message


def test_take_samples_slices_nested_batches():
    batches = [({"a": torch.arange(8).reshape(8, 1), "b": torch.ones(8, 2)}, torch.arange(8)) for _ in range(3)]
    inputs, target = take_samples(batches, 20)
    assert inputs["a"].shape == (20, 1) and inputs["b"].shape == (20, 2) and target.shape == (20,)
    inputs, target = take_samples(batches, 5)
    assert target.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_runs_on_cpu(precision, tmp_path):
    profile = tmp_path / "short.yaml"
    profile.write_text(
        "extends: default\nprobes:\n  short_run: {steps: 40}\n  overfit_tiny: {steps: 40}\n", encoding="utf-8"
    )
    path = str(ROOT / "sample_models" / "healthy" / "digits_mlp.py")
    report = run(path, profile=str(profile), select=TRAINING, device="cpu", precision=precision)
    assert report.environment["precision"] == precision
    assert all(f.outcome != Outcome.ERROR for f in report.findings), [f.message for f in report.findings]
    assert report.finding("ND404").evidence["precision"] == precision


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_training_checks_on_cuda(precision):
    path = str(ROOT / "sample_models" / "healthy" / "digits_mlp.py")
    report = run(path, select=TRAINING, device="cuda", precision=precision)
    assert report.environment["device"].startswith("cuda")
    assert all(f.outcome in (Outcome.PASS, Outcome.SKIP) for f in report.findings), [f.message for f in report.findings]


def test_nd404_tells_a_slow_fall_under_batch_noise_from_a_flat_curve():
    _, limits = _check("ND404")
    # fresh batches: per-step losses noisier than the fall (trend far below 3 noise levels)
    noisy = [3.3 - 0.0006 * i + 0.4 * math.sin(i * 2.7) for i in range(200)]
    steady = [(0, 3.29, 0.03, 3.30, 0.03), (100, 3.23, 0.13, 3.25, 0.09), (200, 3.17, 0.16, 3.23, 0.10)]
    slow = loss_dynamics(_run(noisy, steady), limits)
    assert slow.outcome == Outcome.PASS and "lower at every evaluation" in slow.message
    # the same drop with an evaluation that went back up: not shown to fall, so flat
    bumpy = [(0, 3.29, 0.03, 3.30, 0.03), (100, 3.31, 0.03, 3.33, 0.03), (200, 3.17, 0.04, 3.28, 0.04)]
    flat = [3.3 + 0.12 * math.sin(i * 2.7) for i in range(200)]
    assert loss_dynamics(_run(flat, bumpy), limits).outcome == Outcome.WARN


def test_nd402_judges_a_custom_loss_near_zero_on_the_loss_not_a_guessed_r2():
    _, limits = _check("ND402")
    # a KL divergence to a teacher's logits: 0.5% of its start, while R^2 of the raw logits against the
    # teacher's (which the KL ignores a per-row shift of) is 0.73
    kd = _overfit(
        metric="r2",
        goal=0.99,
        initial_loss=4.849,
        final_loss=0.0248,
        best_loss=0.0248,
        initial_metric=-0.5,
        final_metric=0.73,
        best_metric=0.73,
        losses=[4.849, 1.0, 0.3, 0.0248, 0.0248, 0.0248, 0.0248, 0.0248],
        custom_loss=True,
    )
    verdict = overfit_small_batch(kd, UNIT_DATA, limits)
    assert verdict.outcome == Outcome.PASS and "the loss is what is judged" in verdict.message
    # the same numbers under a stock regression loss are a stall
    assert overfit_small_batch(dataclasses.replace(kd, custom_loss=False), UNIT_DATA, limits).outcome == Outcome.FAIL
    # a contrastive loss on a pair distance with 0/1 labels (fresh5 siamese case): 7.8e-8% of its start,
    # while the accuracy read as "logit > 0" stays at 60%
    pairs = dataclasses.replace(
        kd,
        metric="accuracy",
        goal=1.0,
        initial_loss=0.7723,
        final_loss=6e-10,
        best_loss=6e-10,
        initial_metric=0.6,
        final_metric=0.6,
        best_metric=0.6,
        chance=None,
        losses=[0.7723, 0.1, 1e-3, 1e-6, 6e-10, 6e-10, 6e-10, 6e-10],
    )
    verdict = overfit_small_batch(pairs, UNIT_DATA, limits)
    assert verdict.outcome == Outcome.PASS and "the accuracy read from the output" in verdict.message
    # zoo3's VAE, hinted "regression": its own loss at 3.8% of its start, R^2 of the logits -0.74 at best
    vae = dataclasses.replace(
        kd,
        custom_loss=False,
        own_loss=True,
        initial_loss=716.2,
        final_loss=27.11,
        best_loss=27.11,
        initial_metric=-0.74,
        final_metric=-0.9,
        best_metric=-0.74,
        losses=[716.2, 100.0, 40.0, 27.11, 27.11],
    )
    assert overfit_small_batch(vae, UNIT_DATA, limits).outcome == Outcome.PASS
    assert overfit_small_batch(dataclasses.replace(vae, own_loss=False), UNIT_DATA, limits).outcome == Outcome.FAIL


@pytest.mark.parametrize(
    ("output", "target", "kind"),
    [
        (torch.zeros(8, 1), torch.tensor([[0.0], [1.0]] * 4), "binary"),  # a focal loss on 0/1 floats
        (torch.zeros(8, 3), (torch.arange(24).reshape(8, 3) % 2).float(), "multilabel"),
        (torch.zeros(8, 32), torch.arange(8) * 25, "unknown"),  # sample ids of a contrastive loss
        (torch.zeros(8, 5), torch.arange(8) % 5, "classification"),
        (torch.zeros(8, 1), torch.rand(8, 1) * 3, "regression"),
    ],
    ids=["binary", "multilabel", "ids", "classes", "regression"],
)
def test_a_custom_losss_task_is_read_from_its_targets(output, target, kind):
    assert infer_task(None, output, target, {}, loss_inferred=False).kind == kind


def test_nd402_names_a_loss_that_falls_without_bound_or_below_chance():
    _, limits = _check("ND402")
    # a log-likelihood minimized without its minus sign: -1.66 -> -3155 on 20 samples
    unbounded = _overfit(
        initial_loss=-1.66,
        final_loss=-3154.9,
        best_loss=-3154.9,
        initial_metric=0.25,
        final_metric=0.1,
        best_metric=0.25,
        chance=0.25,
        losses=[-1.66, -3154.9],
    )
    verdict = overfit_small_batch(unbounded, UNIT_DATA, limits)
    assert verdict.outcome == Outcome.FAIL and "falls without bound" in verdict.message
    # a positive loss that falls while the accuracy drops well below always guessing the majority class
    reversed_margin = _overfit(final_loss=0.4, best_loss=0.4, final_metric=0.0, best_metric=0.3, chance=0.3)
    verdict = overfit_small_batch(reversed_margin, UNIT_DATA, limits)
    assert verdict.outcome == Outcome.FAIL and "rewards the wrong answer" in verdict.message
    # the same end where the accuracy was already that low at the start (a model that barely moved at
    # a tiny learning rate: dlrm_adagrad_lr_too_low) says nothing about what the loss rewards
    still = dataclasses.replace(reversed_margin, initial_metric=0.05, final_loss=0.69, initial_loss=0.6976)
    assert "rewards the wrong answer" not in overfit_small_batch(still, UNIT_DATA, limits).message
    # a bounded negative loss (a likelihood with a constant offset) is still not judged on its fall
    with pytest.raises(Skip, match="negative"):
        overfit_small_batch(
            dataclasses.replace(unbounded, final_loss=-2.5, best_loss=-2.5, final_metric=0.3), UNIT_DATA, limits
        )


def _deep_linear_plateau(extra: int):
    """A 3-layer linear net from a small init: the loss sits on a saddle, then falls off it (the
    sigmoidal curves of deep linear nets). At SGD 0.006 it breaks after ~130 steps."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = x @ torch.randn(8, 1, generator=g)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.Linear(16, 16, bias=False), nn.Linear(16, 1, bias=False))
    with torch.no_grad():
        for layer in model:
            layer.weight.copy_(torch.randn_like(layer.weight) * 0.05)
    return diagnose(
        model,
        [(x[i : i + 64], y[i : i + 64]) for i in range(0, 512, 64)],
        select=["ND404"],
        device="cpu",
        loss_fn=nn.MSELoss(),
        optimizer=lambda params: torch.optim.SGD(params, lr=0.006),
        probes={"short_run": {"steps": 100, "plateau_steps": extra}},
    ).finding("ND404")


def test_nd404_runs_on_past_a_plateau_and_tells_it_from_a_flat_curve():
    broke = _deep_linear_plateau(200)
    assert broke.outcome == Outcome.PASS and "after a plateau" in broke.message
    assert broke.evidence["steps"] == 300 and broke.evidence["plateau_steps_added"] == 200
    cut = _deep_linear_plateau(0)  # without the extra steps the plateau's 3% fall is all there is to read
    assert "slowly" in cut.message and "plateau" not in cut.message and cut.evidence["steps"] == 100
    # a curve the extra steps do not break is judged on the planned steps, and says so
    _, limits = _check("ND404")
    flat = [3.3 + 0.12 * math.sin(i * 2.7) for i in range(200)]
    bumpy = [(0, 3.29, 0.03, 3.30, 0.03), (100, 3.31, 0.03, 3.33, 0.03), (200, 3.28, 0.04, 3.28, 0.04)]
    verdict = loss_dynamics(dataclasses.replace(_run(flat, bumpy), plateau_tried=200), limits)
    assert verdict.outcome == Outcome.WARN and "200 more steps did not break it" in verdict.message
