"""Recipe for broken/lr_too_high_diverges.py: linear regression, plain SGD at lr=0.16 (limit 0.151).

The bug is in the optimizer's settings, which a recipe hands over: nndoctor's short training run
sees the loss grow under lr=0.16 without running the user's loop. Model PriceModel (one nn.Linear),
MSELoss, training batch 100 shuffled, validation batch 100.

Must fire: ND404 unhealthy-loss-curve fail (the pre-flight short run diverges), the counterpart of
ND504 unhealthy-training-curve (diverging) on the running script. Measured with nndoctor at this
commit: ND404 fail ("the loss diverges: 1.362 at the start, 29.96 after 50 steps"), ND303 warn
(one step changes the weights by 1.2x their size); ND403 passes ("above the recommended range but
below divergence": the range test's short exposure to each LR puts divergence at 0.61, well above
the 0.151 stability limit of sustained training).
"""

import importlib.util
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

SCRIPT = Path(__file__).resolve().parent.parent / "broken" / "lr_too_high_diverges.py"
NNDOCTOR = {"task": "regression"}
FIRES = {"ND404": "fail", "ND303": "warn"}


def _script():
    spec = importlib.util.spec_from_file_location("lr_too_high_diverges_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_script = _script()


def build_model() -> nn.Module:
    return train_script.PriceModel()


def build_data() -> tuple[DataLoader, DataLoader]:
    train_set, val_set = train_script.make_data(seed=0)
    return DataLoader(train_set, batch_size=100, shuffle=True), DataLoader(val_set, batch_size=100)


def build_loss() -> nn.Module:
    return nn.MSELoss()


def build_optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.16)
