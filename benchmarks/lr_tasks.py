"""Small training tasks for the LR benchmarks: the sample models plus tasks outside the sample set.

Each task is a recipe-like bundle (model, data, loss, optimizer with its configured lr) and the
step budget the oracle trains it for. Tasks marked `sample=True` are built from the recipes in
`sample_models/`; the others exist only here, so a suggestion rule tuned on the samples is also
scored on setups it was not written against.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nndoctor.samples import datasets

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Task:
    name: str
    model: Callable[[], nn.Module]
    data: Callable[[], tuple[Any, Any]]
    loss: Callable[[], nn.Module]
    optimizer: Callable[[Iterable[nn.Parameter], float], torch.optim.Optimizer]
    lr: float  # the configured lr (the sweep keeps param-group ratios relative to it)
    budget: int  # optimizer steps the oracle trains for
    sample: bool  # built from sample_models/ (True) or only defined here (False)

    def optimizer_factory(self) -> Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]:
        return lambda params: self.optimizer(params, self.lr)


def _recipe(path: str) -> Any:
    from nndoctor.target import _import_file

    return _import_file(ROOT / path)


def _adam(params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr)


def _sgdm(params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def _sample_task(name: str, path: str, budget: int, optimizer: Any = None, lr: float | None = None) -> Task:
    recipe = _recipe(path)
    return Task(
        name=name,
        model=recipe.build_model,
        data=recipe.build_data,
        loss=recipe.build_loss,
        optimizer=optimizer or _adam,
        lr=lr if lr is not None else 1e-3,
        budget=budget,
        sample=True,
    )


def _mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU, norm: type[nn.Module] | None = None) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if norm is not None:
                layers.append(norm(b))
            layers.append(act())
    return nn.Sequential(*layers)


def deep_tanh() -> nn.Module:
    """Eight tanh hidden layers of 64 with PyTorch's default init: trainable, but touchy."""
    return _mlp([64] + [64] * 8 + [10], act=nn.Tanh)


def sample_tasks() -> list[Task]:
    return [
        _sample_task("digits-mlp / Adam", "sample_models/healthy/digits_mlp.py", 300),
        _sample_task("digits-cnn / Adam", "sample_models/healthy/digits_cnn.py", 150),
        _sample_task("diabetes-mlp / Adam", "sample_models/healthy/diabetes_regression.py", 300),
        _sample_task("breast-cancer / Adam", "sample_models/healthy/breast_cancer_binary.py", 200),
        _sample_task("digits-mlp / SGD+momentum", "sample_models/healthy/digits_mlp.py", 300, _sgdm, 0.01),
        Task(
            name="deep-tanh / SGD+momentum",
            model=deep_tanh,
            data=lambda: datasets.digits_loaders(batch_size=64),
            loss=nn.CrossEntropyLoss,
            optimizer=_sgdm,
            lr=0.01,
            budget=300,
            sample=False,
        ),
    ]


def extra_tasks() -> list[Task]:
    """Setups outside the sample set: other data, optimizers, batch sizes and architectures."""
    return [
        Task(
            "wine-mlp / SGD+momentum",
            lambda: _mlp([13, 32, 3]),
            lambda: datasets.wine_loaders(batch_size=16),
            nn.CrossEntropyLoss,
            _sgdm,
            0.01,
            200,
            False,
        ),
        Task(
            "spirals-mlp / Adam",
            lambda: _mlp([2, 64, 64, 3]),
            lambda: datasets.spirals_loaders(batch_size=32),
            nn.CrossEntropyLoss,
            _adam,
            1e-3,
            400,
            False,
        ),
        Task(
            "circles-bn-mlp / AdamW",
            lambda: _mlp([2, 32, 32, 1], norm=nn.BatchNorm1d),
            lambda: datasets.circles_loaders(batch_size=64),
            nn.BCEWithLogitsLoss,
            lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=0.01),
            1e-3,
            200,
            False,
        ),
        Task(
            "iris-mlp / RMSprop",
            lambda: _mlp([4, 16, 3]),
            lambda: datasets.split_loaders(*datasets.load_bundled("iris"), batch_size=16),
            nn.CrossEntropyLoss,
            lambda p, lr: torch.optim.RMSprop(p, lr=lr),
            1e-3,
            200,
            False,
        ),
    ]


def all_tasks() -> list[Task]:
    return sample_tasks() + extra_tasks()
