"""ND501-ND511 on synthetic recorded runs: each check fires on the pattern it names and stays quiet
on a healthy run (no torch, no script: the checks only read a `WatchedRun`)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from nndoctor.check import Skip, Thresholds
from nndoctor.checks import live
from nndoctor.engine import run_checks_on_values
from nndoctor.observe.series import LabelRuns, NonFinite, Sample, ValPass, WatchedRun, label_runs
from nndoctor.registry import load_registry
from nndoctor.report.model import Outcome
from nndoctor.settings import SettingsRequest, resolve_settings

LOUD = (Outcome.WARN, Outcome.FAIL)


def healthy(steps: int = 200, every: int = 10, epochs: int = 8) -> WatchedRun:
    """A run that trains normally: a falling loss, cleared gradients, shuffled labels."""
    per_epoch = steps // epochs
    run = WatchedRun(script="train.py", every=every, model="Net", optimizer="SGD", scheduler="StepLR")
    run.params = ["fc1.weight", "fc1.bias", "fc2.weight"]
    run.param_sizes = [200, 20, 40]
    run.steps = steps
    run.losses = [2.0 * math.exp(-3 * i / steps) + 0.05 * ((i * 7919) % 13) / 13 for i in range(steps)]
    run.lrs = [[0.1 * (0.5 ** (i // (per_epoch * 3)))] for i in range(steps)]
    run.zero_grads = [1] * steps
    run.backwards = [1] * steps
    run.batches = [1] * steps
    run.scheduler_calls = [1 if i and i % per_epoch == 0 else 0 for i in range(steps)]
    run.grad_pattern = ["unknown"] + ["fresh"] * (steps - 1)
    run.epoch_starts = list(range(0, steps, per_epoch))
    for s in range(0, steps, every):
        run.samples.append(
            Sample(
                step=s,
                grad_norms=[1.0, 0.1, 0.5],
                param_norms=[5.0, 1.0, 3.0],
                update_norms=[0.005, 0.001, 0.003],
                dead={"train.py:20": 0.05},
                fingerprint=float(s * 31 % 97),
            )
        )
    for epoch in range(1, epochs + 1):
        run.val_passes.append(
            ValPass(
                after_step=epoch * per_epoch,
                epoch=epoch,
                loader="train.py:12",
                batches=4,
                model_calls=4,
                loss=1.5 * math.exp(-epoch / 3) + 0.1,
            )
        )
    run.label_runs = LabelRuns(labels=1000, classes=10, mean_run=1.1, longest_run=4, first=[3, 1, 4])
    run.mode_sensitive = True
    return run


def judge(check_id: str, run: WatchedRun):
    spec = load_registry(plugins=False).checks[check_id]
    limits = Thresholds(dict(spec.thresholds))
    kwargs = {"watched_run": run}
    if spec.wants_limits:
        kwargs["limits"] = limits
    return spec.func(**kwargs)


ALL = [f"ND5{n:02d}" for n in range(1, 12)]


@pytest.mark.parametrize("check_id", ALL)
def test_a_healthy_run_is_quiet(check_id):
    try:
        verdict = judge(check_id, healthy())
    except Skip:  # a skip is quiet too
        return
    assert verdict.outcome not in LOUD, verdict.message


def test_nd501_never_zeroed_fails_and_accumulation_passes():
    run = healthy()
    run.zero_grads = [0] * run.steps
    run.grad_pattern = ["unknown"] + ["kept"] * (run.steps - 1)
    assert judge("ND501", run).outcome == Outcome.FAIL
    acc = healthy()
    acc.backwards = [8] * acc.steps
    verdict = judge("ND501", acc)
    assert verdict.outcome == Outcome.PASS and "accumulation" in verdict.message
    cleared_late = healthy()
    cleared_late.grad_pattern = ["unknown"] + ["none"] * (cleared_late.steps - 1)
    cleared_late.grad_pattern[0] = "none"
    assert judge("ND501", cleared_late).outcome == Outcome.WARN


def test_nd502_per_batch_step_lr_and_early_decay():
    run = healthy()
    run.scheduler_calls = [0] + [1] * (run.steps - 1)
    run.lrs = [[0.1 * 0.5 ** (i // 5)] for i in range(run.steps)]  # StepLR(step_size=5) meant in epochs
    assert judge("ND502", run).outcome == Outcome.WARN
    # milestones in iterations (the first at 80% of the run), stepped per batch on purpose
    iterations = healthy()
    iterations.scheduler, iterations.scheduler_calls = "MultiStepLR", [0] + [1] * (iterations.steps - 1)
    iterations.lrs = [[0.1 if i < 0.8 * iterations.steps else 0.01] for i in range(iterations.steps)]
    verdict = judge("ND502", iterations)
    assert verdict.outcome == Outcome.PASS and "written in iterations" in verdict.message
    tiny = healthy()
    tiny.scheduler = "LambdaLR"
    tiny.lrs = [[0.1 * 0.01 ** (i // 25)] for i in range(tiny.steps)]
    verdict = judge("ND502", tiny)
    assert verdict.outcome == Outcome.WARN and "fell to" in verdict.message
    # sized in iterations: PolynomialLR over the run's steps, ExponentialLR with gamma 0.9995
    for name, lr_at in (
        ("PolynomialLR", lambda i, n: 0.1 * (1 - i / n)),
        ("ExponentialLR", lambda i, n: 0.1 * 0.9995**i),
    ):
        sized = healthy()
        sized.scheduler, sized.scheduler_calls = name, [0] + [1] * (sized.steps - 1)
        sized.lrs = [[lr_at(i, sized.steps)] for i in range(sized.steps)]
        verdict = judge("ND502", sized)
        assert verdict.outcome == Outcome.PASS and "sized in iterations" in verdict.message, (name, verdict.message)
    one_cycle = healthy()
    one_cycle.scheduler = "OneCycleLR"
    one_cycle.scheduler_calls = [0] + [1] * (one_cycle.steps - 1)
    assert judge("ND502", one_cycle).outcome == Outcome.PASS


def test_nd503_names_where_and_step():
    run = healthy()
    run.nonfinite = NonFinite(step=99, where="loss", module="NegBackward0", detail="d", loss_before=0.2)
    verdict = judge("ND503", run)
    assert verdict.outcome == Outcome.FAIL
    assert "step 100" in verdict.message and verdict.evidence["epoch"] == 4


def test_nd504_diverging_flat_oscillating_and_frozen_weights():
    run = healthy()
    run.losses = [1.0 * 1.05**i for i in range(run.steps)]
    assert "diverging" in judge("ND504", run).message
    flat = healthy()
    flat.losses = [0.7 + 0.001 * ((i * 37) % 5) for i in range(flat.steps)]
    assert "flat" in judge("ND504", flat).message
    swing = healthy()
    swing.losses = [1.0 + 0.8 * (1 if (i // 20) % 2 else 0) for i in range(swing.steps)]
    assert "oscillating" in judge("ND504", swing).message
    frozen = healthy()
    for s in frozen.samples:
        s.update_norms = [0.0, 0.0, 0.0]
    assert "weights did not change" in judge("ND504", frozen).message


def test_nd505_exploding_and_vanishing():
    run = healthy()
    for i, s in enumerate(run.samples):
        s.grad_norms = [10.0**i, 1.0, 1.0]
    assert "exploding" in judge("ND505", run).message
    still = healthy()
    for s in still.samples[len(still.samples) // 2 :]:
        s.update_norms = [1e-12, 1e-12, 1e-12]
    assert "vanishing" in judge("ND505", still).message


def test_nd506_units_that_die():
    run = healthy()
    for i, s in enumerate(run.samples):
        s.dead = {"train.py:20": min(0.95, 0.05 * i)}
    verdict = judge("ND506", run)
    assert verdict.outcome == Outcome.WARN and "train.py:20" in verdict.message


def test_nd507_validation_turns_up_while_training_falls():
    run = healthy()
    for vp in run.val_passes:
        vp.loss = 1.0 - 0.1 * vp.epoch if vp.epoch <= 3 else 0.7 + 0.15 * (vp.epoch - 3)
    verdict = judge("ND507", run)
    assert verdict.outcome == Outcome.WARN and verdict.evidence["best_val_epoch"] == 3


def run_with_gap(scale: float) -> WatchedRun:
    """A healthy run whose validation loss is best at epoch 3, then 5% and at the end 12% above it
    (below max_val_rise), ending `scale` times the last epoch's training loss."""
    run = healthy()
    final = run.epoch_losses()[-1] * scale
    best = final / 1.12
    for vp in run.val_passes:
        vp.loss = best * 1.5 if vp.epoch < 3 else best if vp.epoch == 3 else best * 1.05
    run.val_passes[-1].loss = final
    return run


def test_nd507_a_small_rise_warns_only_when_the_gap_is_wide():
    """A wide gap (validation over 2x the training loss at the end, as a split with its fractions
    swapped gives) makes a 12% rise a warning; the same rise near the training loss passes."""
    for scale, outcome in ((3.0, Outcome.WARN), (1.3, Outcome.PASS)):
        verdict = judge("ND507", run_with_gap(scale))
        assert verdict.outcome == outcome, (scale, verdict.message)
        assert verdict.evidence["last_val_over_train"] == pytest.approx(scale, rel=1e-3)
        assert verdict.evidence["best_val_epoch"] == 3
    assert "the gap keeps opening" in judge("ND507", run_with_gap(3.0)).message


def test_nd502_a_hand_written_lr_range_test_before_training_is_not_the_schedule():
    """A script's own LR sweep (1e-4 up to 10 over 40 steps), then training from 0.05: the sweep's
    top is no peak the schedule fell from. The same sweep before a schedule that does decay to
    nothing still warns."""
    sweep = [1e-4 * (1e5 ** (i / 39)) for i in range(40)]
    run = healthy()
    run.lrs = [[lr] for lr in sweep] + [[0.05 * 0.5 ** (i // 60)] for i in range(run.steps - 40)]
    verdict = judge("ND502", run)
    assert verdict.outcome == Outcome.PASS, verdict.message
    assert verdict.evidence["lr_range_test"]["steps"] == 40
    dying = healthy()
    dying.lrs = [[lr] for lr in sweep] + [[0.05 * 0.01 ** (i // 10)] for i in range(dying.steps - 40)]
    assert judge("ND502", dying).outcome == Outcome.WARN
    warmup = healthy()  # a warm-up rises too, then decays smoothly: its top is the peak
    warmup.lrs = [[0.1 * (i + 1) / 40] for i in range(40)] + [
        [0.1 * 0.001 ** (i / 40)] for i in range(warmup.steps - 40)
    ]
    assert "lr_range_test" not in judge("ND502", warmup).evidence


def test_nd502_a_schedule_that_never_comes_near_the_optimizers_lr():
    """A LambdaLR whose lambda returns lr * factor: the LR is the base lr squared from the first
    step. A warm-up from near zero that reaches the base lr passes."""
    run = healthy()
    run.scheduler = "LambdaLR"
    run.base_lr = 2e-3
    run.lrs = [[2e-3 * 2e-3 * min(1.0, (i + 1) / 50)] for i in range(run.steps)]
    verdict = judge("ND502", run)
    assert verdict.outcome == Outcome.WARN and "never let the learning rate come near" in verdict.message
    assert verdict.evidence["lr_base"] == 2e-3 and "factor" in verdict.recommendation
    warmup = healthy()
    warmup.scheduler, warmup.base_lr = "LambdaLR", 2e-3
    warmup.lrs = [[2e-3 * min(1.0, (i + 1) / 150)] for i in range(warmup.steps)]
    assert judge("ND502", warmup).outcome == Outcome.PASS
    no_base = healthy()  # no scheduler recorded an initial_lr: nothing to compare with
    no_base.lrs = [[4e-6]] * no_base.steps
    assert judge("ND502", no_base).outcome == Outcome.PASS


def test_nd501_names_backward_passes_whose_gradients_zero_grad_throws_away():
    run = healthy()  # optimizer.step() dedented out of the batch loop: 79 backward passes per step
    run.backwards = [79] * run.steps
    run.zero_grads = [79] * run.steps
    run.zeroed_after_backward = run.discarded_steps = run.steps
    verdict = judge("ND501", run)
    assert verdict.outcome == Outcome.WARN and "thrown away" in verdict.message
    assert "indentation" in verdict.recommendation
    accumulating = healthy()  # 8 micro-batches, zero_grad() after each step only: deliberate
    accumulating.backwards = [8] * accumulating.steps
    assert "deliberate gradient accumulation" in judge("ND501", accumulating).message


def test_nd508_train_mode_and_grad_in_validation():
    run = healthy()
    run.val_passes[0].training_calls = 4
    assert "training mode" in judge("ND508", run).message
    no_dropout = healthy()
    no_dropout.mode_sensitive = False
    for vp in no_dropout.val_passes:
        vp.training_calls = 4
    assert judge("ND508", no_dropout).outcome == Outcome.PASS
    grads = healthy()
    grads.val_passes[-1].grad_calls = 4
    assert "gradients enabled" in judge("ND508", grads).message


def test_nd509_class_sorted_labels():
    run = healthy()
    run.label_runs = label_runs([c for c in range(10) for _ in range(300)])
    assert run.label_runs is not None and run.label_runs.mean_run == 300
    assert judge("ND509", run).outcome == Outcome.WARN
    mixed = healthy()
    mixed.label_runs = label_runs([(i * 7) % 10 for i in range(3000)])
    assert judge("ND509", mixed).outcome == Outcome.PASS


def test_nd509_a_single_class_in_every_training_batch():
    run = healthy()  # a per-class weight list given to a WeightedRandomSampler: only class 0 is drawn
    run.label_runs = label_runs([0] * 2000)
    run.output_classes = 4
    verdict = judge("ND509", run)
    assert verdict.outcome == Outcome.WARN and "a single class" in verdict.message
    assert "WeightedRandomSampler" in verdict.recommendation
    binary = healthy()  # one logit: the width says nothing about the classes
    binary.label_runs, binary.output_classes = label_runs([0] * 2000), 1
    with pytest.raises(Skip):
        live.data_order(binary, Thresholds(dict(load_registry().checks["ND509"].thresholds)))


def test_nd510_same_batch_and_full_batch():
    run = healthy()
    run.batches = [1] + [0] * (run.steps - 1)
    for s in run.samples:
        s.fingerprint = 12.5
    assert judge("ND510", run).outcome == Outcome.WARN
    full = healthy()
    for s in full.samples:
        s.fingerprint = 12.5
    verdict = judge("ND510", full)
    assert verdict.outcome == Outcome.PASS and "full-batch" in verdict.message
    full.train_loader_length = 1  # a loader of one batch, fetched anew every step
    assert judge("ND510", full).outcome == Outcome.PASS
    # fetched every step from a loader of 50 batches, and still the same input: a stale variable
    stale_input = dataclasses.replace(full, train_loader_length=50)
    verdict = judge("ND510", stale_input)
    assert verdict.outcome == Outcome.WARN and "50 batches an epoch" in verdict.message


def test_nd511_unscaled_accumulation():
    run = healthy()
    run.backwards = [8] * run.steps
    run.accumulation_steps = run.steps
    run.accumulation_unscaled = run.steps
    assert judge("ND511", run).outcome == Outcome.WARN
    run.accumulation_unscaled, run.accumulation_scaled = 0, run.steps
    assert judge("ND511", run).outcome == Outcome.PASS


def test_a_recorded_run_round_trips_through_strict_json():
    run = healthy()
    run.losses[3] = float("nan")
    run.nonfinite = NonFinite(step=3, where="loss")
    text = json.dumps(run.to_dict(), allow_nan=False)
    back = WatchedRun.from_dict(json.loads(text))
    assert back.samples[0] == run.samples[0] and back.nonfinite == run.nonfinite
    assert back.losses[3] is None and back.epochs() == run.epochs()


def test_the_engine_judges_supplied_probe_values_into_a_report():
    registry = load_registry(plugins=False)
    settings = resolve_settings(SettingsRequest(profile="watch"))
    chosen = sorted(registry.resolve(settings.select, "--select"))
    assert chosen == ALL
    run = healthy()
    run.zero_grads = [0] * run.steps
    run.grad_pattern = ["unknown"] + ["kept"] * (run.steps - 1)
    report = run_checks_on_values(
        {"watched_run": run}, registry, [registry.checks[c] for c in chosen], settings, target="train.py (watched)"
    )
    outcomes = {f.check_id: f.outcome for f in report.findings}
    assert outcomes["ND501"] == Outcome.FAIL and report.profile == "watch"
    assert report.finding("ND501").recommendation
    json.dumps(report.to_dict(), allow_nan=False)
    missing = run_checks_on_values({}, registry, [registry.checks["ND501"]], settings, target="t")
    assert missing.findings[0].outcome == Outcome.SKIP


def test_the_live_checks_are_in_the_catalogue_and_out_of_the_default_profile():
    registry = load_registry(plugins=False)
    assert all(registry.checks[c].func.__module__ == live.__name__ for c in ALL)
    default = resolve_settings(SettingsRequest(profile="default"))
    chosen = registry.resolve(default.select, "--select") - registry.resolve(default.ignore, "--ignore")
    assert not any(c.startswith("ND5") for c in chosen)


def test_nd501_follows_a_second_optimizer():
    run = healthy()
    run.other_optimizers = [{"optimizer": "Adam", "site": "gan.py:73", "steps": 200, "kept": 199, "zero_grads": 0}]
    verdict = judge("ND501", run)
    assert verdict.outcome == Outcome.WARN and "second optimizer" in verdict.message
    assert verdict.evidence["other_optimizer"] == "Adam (created at gan.py:73)"
    zeroed = healthy()
    zeroed.other_optimizers = [{"optimizer": "Adam", "site": None, "steps": 200, "kept": 0, "zero_grads": 200}]
    assert judge("ND501", zeroed).outcome == Outcome.PASS


def test_nd502_cosine_stepped_past_t_max_climbs_back():
    period = 50  # T_max of 50 steps in a 200-step run: 0 at step 50, back at the base LR at 100
    run = healthy()
    run.scheduler = "CosineAnnealingLR"
    run.lrs = [[0.05 * (1 + math.cos(math.pi * i / period))] for i in range(run.steps)]
    verdict = judge("ND502", run)
    assert verdict.outcome == Outcome.WARN and "past its T_max" in verdict.message
    annealed = healthy()  # T_max = the whole run: the LR only falls
    annealed.scheduler = "CosineAnnealingLR"
    annealed.lrs = [[0.05 * (1 + math.cos(math.pi * i / annealed.steps))] for i in range(annealed.steps)]
    assert judge("ND502", annealed).outcome == Outcome.PASS
    warm = healthy()  # a hand-written warm-up from 1% of the LR, then the cosine over the rest
    warm.scheduler = "CosineAnnealingLR"
    warm.lrs = [
        [0.1 * (i + 1) / 20] if i < 20 else [0.05 * (1 + math.cos(math.pi * (i - 20) / 180))] for i in range(200)
    ]
    assert judge("ND502", warm).outcome == Outcome.PASS


def test_nd508_training_in_eval_mode():
    run = healthy()
    run.train_mode_steps, run.eval_mode_steps = 1, 199
    verdict = judge("ND508", run)
    assert verdict.outcome == Outcome.WARN and "eval mode" in verdict.message
    run.val_passes = []  # no validation pass at all: still judged
    assert judge("ND508", run).outcome == Outcome.WARN
    once = healthy()  # a few steps in eval mode are not "most steps"
    once.train_mode_steps, once.eval_mode_steps = 190, 10
    assert judge("ND508", once).outcome == Outcome.PASS
    plain = healthy()  # no dropout or batch norm: eval mode changes nothing
    plain.mode_sensitive = False
    plain.train_mode_steps, plain.eval_mode_steps = 0, 200
    assert judge("ND508", plain).outcome == Outcome.PASS
