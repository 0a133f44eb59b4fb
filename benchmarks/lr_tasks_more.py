"""More tasks for benchmarks/lr_oracle.py: 24 setups beyond the default ten.

    python benchmarks/lr_oracle.py --task-file benchmarks/lr_tasks_more.py --only-task-files

The first twelve (DESIGN) were used while calibrating nndoctor's rule; the other twelve (HOLDOUT:
recurrent, attention, 1-D conv, multilabel, autoencoder, Huber, NAdam, Adagrad, ...) were written
afterwards and only scored. Data are scikit-learn's bundled sets or seeded synthetic generators.
"""

from __future__ import annotations

import torch
from lr_tasks import Task, _adam, _mlp, _recipe, _sgdm
from torch import nn

from nndoctor.samples import datasets


def sgd(p, lr):
    return torch.optim.SGD(p, lr=lr)


def nesterov(p, lr):
    return torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True)


def adagrad(p, lr):
    return torch.optim.Adagrad(p, lr=lr)


def adamw_wd05(p, lr):
    return torch.optim.AdamW(p, lr=lr, weight_decay=0.05)


def adamw(p, lr):
    return torch.optim.AdamW(p, lr=lr, weight_decay=0.01)


def rmsprop(p, lr):
    return torch.optim.RMSprop(p, lr=lr)


def nadam(p, lr):
    return torch.optim.NAdam(p, lr=lr)


def teacher_data(batch_size=32, n=2000, d=20, seed=0):

    g = torch.Generator().manual_seed(123)
    x = torch.randn(n, d, generator=g)
    w1 = torch.randn(d, 32, generator=g) / d**0.5
    w2 = torch.randn(32, 1, generator=g) / 32**0.5
    y = torch.tanh(x @ w1) @ w2 * 3 + 0.1 * torch.randn(n, 1, generator=g)
    return datasets.split_loaders(x.numpy(), y.numpy().astype("float64"), batch_size, seed=seed)


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


def seq_data(batch_size=32, n=1200, steps=12, seed=0):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(n, steps, 4, generator=g)
    y = (x[:, :, 0].cumsum(1)[:, -1] > 0).long() + (x[:, -3:, 1].mean(1) > 0.3).long()
    return datasets.split_loaders(
        x.reshape(n, -1).numpy(), y.numpy(), batch_size, feature_shape=(steps, 4), standardize=False, seed=seed
    )


class GRUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 32)
        self.enc = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        return self.head(self.enc(self.inp(x)).mean(1))


class Conv1D(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(4, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv1d(16, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(16, 3),
        )

    def forward(self, x):
        return self.net(x.transpose(1, 2))


def multilabel_data(batch_size=32, seed=0):
    g = torch.Generator().manual_seed(11)
    x = torch.randn(1500, 16, generator=g)
    w = torch.randn(16, 5, generator=g)
    y = ((x @ w + 0.5 * torch.randn(1500, 5, generator=g)) > 0).double()
    return datasets.split_loaders(x.numpy(), y.numpy(), batch_size, stratify=False, seed=seed)


class AutoEnc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = _mlp([64, 32, 8, 32, 64])

    def forward(self, x):
        return self.net(x)


def ae_data(batch_size=64, seed=0):
    x, _ = datasets.load_bundled("digits")

    xs = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return datasets.split_loaders(xs, xs.astype("float64"), batch_size, standardize=False, stratify=False, seed=seed)


def gelu_ln_mlp():
    return nn.Sequential(
        nn.Linear(30, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, 64), nn.LayerNorm(64), nn.GELU(), nn.Linear(64, 1)
    )


DESIGN = [
    Task(
        "digits-mlp / SGD",
        lambda: _mlp([64, 128, 64, 10]),
        lambda: datasets.digits_loaders(64),
        nn.CrossEntropyLoss,
        sgd,
        0.01,
        300,
        False,
    ),
    Task(
        "digits-mlp b16 / Adam",
        lambda: _mlp([64, 128, 64, 10]),
        lambda: datasets.digits_loaders(16),
        nn.CrossEntropyLoss,
        _adam,
        1e-3,
        300,
        False,
    ),
    Task(
        "digits-mlp b256 / Adam",
        lambda: _mlp([64, 128, 64, 10]),
        lambda: datasets.digits_loaders(256),
        nn.CrossEntropyLoss,
        _adam,
        1e-3,
        200,
        False,
    ),
    Task(
        "breast-logreg / SGD",
        lambda: nn.Linear(30, 1),
        lambda: datasets.breast_cancer_loaders(32),
        nn.BCEWithLogitsLoss,
        sgd,
        0.01,
        200,
        False,
    ),
    Task(
        "diabetes-linear / SGD+m",
        lambda: nn.Linear(10, 1),
        lambda: datasets.diabetes_loaders(32),
        nn.MSELoss,
        _sgdm,
        0.01,
        200,
        False,
    ),
    Task(
        "spirals-mlp / Nesterov",
        lambda: _mlp([2, 64, 64, 3]),
        lambda: datasets.spirals_loaders(32),
        nn.CrossEntropyLoss,
        nesterov,
        0.01,
        400,
        False,
    ),
    Task(
        "wine-mlp / Adagrad",
        lambda: _mlp([13, 32, 3]),
        lambda: datasets.wine_loaders(16),
        nn.CrossEntropyLoss,
        adagrad,
        0.01,
        200,
        False,
    ),
    Task(
        "teacher-mlp / AdamW",
        lambda: _mlp([20, 64, 64, 1]),
        lambda: teacher_data(32),
        nn.MSELoss,
        adamw_wd05,
        1e-3,
        300,
        False,
    ),
    Task(
        "teacher-tanh / SGD+m",
        lambda: _mlp([20, 64, 64, 1], act=nn.Tanh),
        lambda: teacher_data(32),
        nn.MSELoss,
        _sgdm,
        0.01,
        300,
        False,
    ),
    Task(
        "digits-small-cnn / SGD+m",
        small_cnn,
        lambda: datasets.digits_loaders(64, images=True),
        nn.CrossEntropyLoss,
        _sgdm,
        0.01,
        150,
        False,
    ),
    Task(
        "circles-mlp / RMSprop",
        lambda: _mlp([2, 32, 32, 1]),
        lambda: datasets.circles_loaders(64),
        nn.BCEWithLogitsLoss,
        rmsprop,
        1e-3,
        200,
        False,
    ),
    Task(
        "digits-resmlp / Adam",
        lambda: _recipe("sample_models/healthy/deep_residual_mlp.py").build_model(),
        lambda: datasets.digits_loaders(64),
        nn.CrossEntropyLoss,
        _adam,
        1e-3,
        150,
        True,
    ),
]

HOLDOUT = [
    Task("seq-gru / Adam", GRUNet, lambda: seq_data(32), nn.CrossEntropyLoss, _adam, 1e-3, 200, False),
    Task(
        "seq-transformer / AdamW", TinyTransformer, lambda: seq_data(32), nn.CrossEntropyLoss, adamw, 1e-3, 150, False
    ),
    Task("seq-conv1d / SGD+m", Conv1D, lambda: seq_data(32), nn.CrossEntropyLoss, _sgdm, 0.01, 200, False),
    Task(
        "multilabel-mlp / Adam",
        lambda: _mlp([16, 64, 5]),
        lambda: multilabel_data(32),
        nn.BCEWithLogitsLoss,
        _adam,
        1e-3,
        200,
        False,
    ),
    Task("digits-autoenc / Adam", AutoEnc, lambda: ae_data(64), nn.MSELoss, _adam, 1e-3, 200, False),
    Task(
        "breast-gelu-ln / NAdam",
        gelu_ln_mlp,
        lambda: datasets.breast_cancer_loaders(32),
        nn.BCEWithLogitsLoss,
        nadam,
        1e-3,
        200,
        False,
    ),
    Task(
        "digits-logreg / Adam",
        lambda: nn.Linear(64, 10),
        lambda: datasets.digits_loaders(64),
        nn.CrossEntropyLoss,
        _adam,
        1e-3,
        200,
        False,
    ),
    Task(
        "iris-mlp / SGD",
        lambda: _mlp([4, 32, 3]),
        lambda: datasets.split_loaders(*datasets.load_bundled("iris"), batch_size=16),
        nn.CrossEntropyLoss,
        sgd,
        0.01,
        200,
        False,
    ),
    Task(
        "diabetes-huber / RMSprop",
        lambda: _mlp([10, 64, 1]),
        lambda: datasets.diabetes_loaders(32),
        nn.SmoothL1Loss,
        rmsprop,
        1e-3,
        200,
        False,
    ),
    Task(
        "digits-dropout / Adam",
        lambda: _recipe("sample_models/healthy/digits_dropout_mlp.py").build_model(),
        lambda: datasets.digits_loaders(64),
        nn.CrossEntropyLoss,
        _adam,
        1e-3,
        200,
        True,
    ),
    Task(
        "digits-wide / SGD+m b32",
        lambda: _mlp([64, 512, 10]),
        lambda: datasets.digits_loaders(32),
        nn.CrossEntropyLoss,
        _sgdm,
        0.01,
        200,
        False,
    ),
    Task(
        "spirals-deep / Adagrad",
        lambda: _mlp([2, 64, 64, 64, 64, 3]),
        lambda: datasets.spirals_loaders(64),
        nn.CrossEntropyLoss,
        adagrad,
        0.01,
        300,
        False,
    ),
]

TASKS = DESIGN + HOLDOUT
