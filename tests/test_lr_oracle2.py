"""The second LR oracle's tasks, split, recipe and stored ground truth stay consistent."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
from torch.utils.data import DataLoader

from benchmarks.lr_oracle2 import ground_truth as gt
from benchmarks.lr_oracle2.tasks import (
    BY_NAME,
    HOLDOUT,
    HOLDOUT_NAMES,
    NEW_HOLDOUT_NAMES,
    NEW_SPLIT_SEED,
    NEW_TASKS,
    ORIGINAL_HOLDOUT_NAMES,
    TASKS,
    TUNING,
    draw_split,
)


def test_new_tasks_are_other_families_with_more_than_32_batches():
    old = {t.family for t in TASKS if t not in NEW_TASKS}
    assert len(NEW_TASKS) >= 4
    assert all(t.batches_per_epoch > 32 for t in NEW_TASKS)
    assert all(t.family not in old for t in NEW_TASKS)
    assert {t.kind for t in NEW_TASKS} == {"classification", "regression"}
    assert {t.kind for t in NEW_TASKS if t.name in NEW_HOLDOUT_NAMES} == {"classification", "regression"}


def test_task_set_is_large_and_diverse():
    assert len(TASKS) >= 24
    assert sum(t.batches_per_epoch > 32 for t in TASKS) >= 8
    families = {t.family for t in TASKS}
    assert {"mlp", "cnn", "lstm", "gru", "transformer", "autoencoder", "linear"} <= families
    optimizers = {type(t.build_optimizer([torch.nn.Parameter(torch.zeros(1))])).__name__ for t in TASKS}
    assert {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam"} <= optimizers
    assert any(t.build_optimizer([torch.nn.Parameter(torch.zeros(1))]).defaults.get("nesterov") for t in TASKS)
    losses = {type(t.build_loss()).__name__ for t in TASKS}
    assert {"CrossEntropyLoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss"} <= losses
    assert losses & {"HuberLoss", "SmoothL1Loss"}
    assert {t.metric for t in TASKS} == {"accuracy", "loss"}


def test_split_is_the_drawn_one_and_stratified():
    assert draw_split() == sorted(ORIGINAL_HOLDOUT_NAMES)
    assert draw_split(NEW_TASKS, NEW_SPLIT_SEED) == sorted(NEW_HOLDOUT_NAMES)
    assert sorted(HOLDOUT_NAMES) == sorted(ORIGINAL_HOLDOUT_NAMES + NEW_HOLDOUT_NAMES)
    assert len(TUNING) + len(HOLDOUT) == len(TASKS)
    assert 0.3 <= len(HOLDOUT) / len(TASKS) <= 0.5
    for part in (TUNING, HOLDOUT):
        assert any(t.batches_per_epoch > 32 for t in part)
        assert any(t.kind == "regression" for t in part)


@pytest.mark.parametrize("name", ["race-lstm/adam", "noisy-wide/nadam"])
def test_loaders_are_real_and_seeded(name):
    task = BY_NAME[name]
    a, val = task.build_data(0)
    assert isinstance(a, DataLoader) and isinstance(val, DataLoader)
    assert len(a) == task.batches_per_epoch
    first = [b[1] for b in a][:3]
    again = [b[1] for b in task.build_data(0)[0]][:3]
    other = [b[1] for b in task.build_data(1)[0]][:3]
    assert all(torch.equal(x, y) for x, y in zip(first, again, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(first, other, strict=True))


def test_recipe_starts_from_the_ground_truth_weights(monkeypatch):
    from nndoctor.targets.recipe import load_recipe

    monkeypatch.setenv("LR_ORACLE_TASK", "bars-cnn-bn/sgdm")
    monkeypatch.setenv("LR_ORACLE_SEED", "2")
    target = load_recipe("benchmarks/lr_oracle2/recipe.py", seed=0)  # the recipe seeds itself
    expected = gt.weights_sha(gt.initial_model(BY_NAME["bars-cnn-bn/sgdm"], 2))
    assert gt.weights_sha(target.model) == expected


def test_good_sets_follow_the_definition():
    assert gt.good_indices([0.5, 0.9, 0.885, 0.87, None], "accuracy") == ([1, 2], 1)
    assert gt.good_indices([2.0, 1.0, 1.09, 1.2, None], "loss") == ([1, 2], 1)
    assert gt.good_indices([None, None], "loss") == ([], None)


def test_stored_ground_truth_is_complete_and_consistent():
    data = json.loads(gt.OUT.read_text())
    assert data["grid"] == pytest.approx(gt.GRID)
    for task in TASKS:
        record = data["tasks"][task.name]
        assert gt.same_fingerprint(record["fingerprint"], gt.fingerprint(task)), task.name
        assert sorted(record["seeds"]) == ["0", "1", "2"]
        stored = copy.deepcopy(record["good"])
        gt.summarize(record)
        assert record["good"] == stored
        for entry in record["seeds"].values():
            assert len(entry["metric"]) == len(gt.GRID)
            assert all(v is None or math.isfinite(v) for v in entry["metric"])


def test_tune_spread_scores_the_shipped_rule_as_tune_does():
    from benchmarks.lr_oracle2 import tune, tune_spread
    from nndoctor.lr_suggest import BLEND, CHOICE_TOLERANCE

    sim = json.loads((tune.HERE / "confirm_sim.json").read_text())
    assert (CHOICE_TOLERANCE, BLEND) == (0.05, 0.5)  # the defaults of tune_spread.suggestion
    for call in sim.values():
        a, b = tune_spread.suggestion(call), tune.pick(call, 0.0, 0.5, "loss", 0.05, "blend")
        assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-12)
