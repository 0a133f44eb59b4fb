"""An nndoctor recipe for any oracle task: the task and seed come from the environment.

    LR_ORACLE_TASK="race-lstm/adam" LR_ORACLE_SEED=1 nndoctor lr-find benchmarks/lr_oracle2/recipe.py --seed 1

Pass the same seed to `--seed`. `build_model()` seeds torch with LR_ORACLE_SEED itself, so the
model starts from the ground truth's initial weights (`torch.manual_seed(seed)` then the task's
`build_model()`) whatever nndoctor seeded before calling it: `nndoctor lr-find` (at the time of
writing) builds the recipe with seed 0 whatever `--seed` says. The seed also drives the training
loader's shuffling, as in the ground truth.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch

from benchmarks.lr_oracle2.tasks import BY_NAME

TASK = BY_NAME[os.environ["LR_ORACLE_TASK"]]
SEED = int(os.environ.get("LR_ORACLE_SEED", "0"))
NNDOCTOR = dict(TASK.hints)


def build_model():
    torch.manual_seed(SEED)
    return TASK.build_model()


def build_data():
    return TASK.build_data(SEED)


def build_loss():
    return TASK.build_loss()


def build_optimizer(params):
    return TASK.build_optimizer(params, TASK.lr)
