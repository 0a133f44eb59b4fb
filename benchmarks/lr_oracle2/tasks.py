"""Tasks for the second LR oracle: small plain-PyTorch setups in one uniform format.

Every task is a `Task` with

- `name`, `family` (the kind of model: mlp, linear, cnn, lstm, gru, transformer, autoencoder, ...),
- `build_model()` (call it after `torch.manual_seed(seed)`: the seed fixes the initial weights),
- `build_data(seed)` -> (train_loader, val_loader): real `torch.utils.data.DataLoader`s; the data
  set itself is fixed per task (its own generator, `data_seed`), `seed` only drives the training
  loader's shuffling,
- `build_loss()`, `build_optimizer(params, lr)` and the task's configured `lr`,
- `budget_steps` (the fixed training budget in optimizer steps) and `metric` ("accuracy" or "loss",
  always measured on the validation set).

Data are seeded synthetic generators only (no downloads, no scikit-learn). Every task is cheap: one
training run at one lr takes well under 2 s on one CPU thread (`python -m benchmarks.lr_oracle2.tasks`
`python -m benchmarks.lr_oracle2.ground_truth --describe`
prints batches per epoch, epochs and the time of one run for each task).

Split: `HOLDOUT` (11 of 27 tasks, about 40%) and `TUNING` (the other 16). The held-out tasks were
drawn by `draw_split()` with `random.Random(SPLIT_SEED)`, stratified on (regression or classification)
x (more or fewer than 32 batches per epoch): in each of the four strata, round(0.4 * size) tasks,
at least one, are held out. The names are frozen in `HOLDOUT_NAMES` so adding a task later does not
reshuffle the split; `draw_split()` reproduces them (tests/test_lr_oracle2.py checks it). Rule
tuning may look at TUNING only; HOLDOUT is scored, never tuned on.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

Tensors = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # x_train, y_train, x_val, y_val


# -- loaders -----------------------------------------------------------------------------------
class ArrayDataset(Dataset):
    """(x, y) pairs held in two tensors; `__getitems__` lets the DataLoader fetch a batch in one index."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.as_tensor(indices)
        return self.x[idx], self.y[idx]


def keep_batch(batch: Any) -> Any:
    """collate_fn for ArrayDataset: the batch is already stacked (a list of pairs is stacked here)."""
    if isinstance(batch, tuple):
        return list(batch)
    return torch.utils.data.default_collate(batch)


def make_loaders(tensors: Tensors, batch_size: int, seed: int) -> tuple[DataLoader, DataLoader]:
    xt, yt, xv, yv = tensors
    gen = torch.Generator().manual_seed(1000 + seed)
    train = DataLoader(ArrayDataset(xt, yt), batch_size=batch_size, shuffle=True, generator=gen, collate_fn=keep_batch)
    val = DataLoader(ArrayDataset(xv, yv), batch_size=500, shuffle=False, collate_fn=keep_batch)
    return train, val


# -- synthetic data (each generator takes its own torch.Generator) -----------------------------
def _standardize(xt: torch.Tensor, xv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean, std = xt.mean(0, keepdim=True), xt.std(0, keepdim=True) + 1e-6
    return (xt - mean) / std, (xv - mean) / std


def _split(x: torch.Tensor, y: torch.Tensor, n_train: int) -> Tensors:
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def blobs(g, n_train, n_val, d=32, k=10, spread=1.0, warp=True, label_noise=0.0, scales=None) -> Tensors:
    """k Gaussian clusters in a d-dim latent space, optionally warped by a random tanh layer.

    `scales` (lo, hi): after standardizing, feature j is multiplied by a log-spaced factor from lo to hi
    (raw features on very different scales: an ill-conditioned problem).
    """
    n = n_train + n_val
    centers = torch.randn(k, d, generator=g) * 1.2
    y = torch.randint(0, k, (n,), generator=g)
    x = centers[y] + spread * torch.randn(n, d, generator=g)
    if warp:
        a = torch.randn(d, d, generator=g) / math.sqrt(d)
        x = torch.tanh(x @ a) * 2 + 0.3 * x
    if label_noise:
        flip = torch.rand(n_train, generator=g) < label_noise
        y[:n_train][flip] = torch.randint(0, k, (int(flip.sum()),), generator=g)
    xt, yt, xv, yv = _split(x, y, n_train)
    xt, xv = _standardize(xt, xv)
    if scales is not None:
        factor = torch.logspace(math.log10(scales[0]), math.log10(scales[1]), d)
        factor = factor[torch.randperm(d, generator=g)]
        xt, xv = xt * factor, xv * factor
    return xt, yt, xv, yv


def checkerboard(g, n_train, n_val, d=8) -> Tensors:
    """XOR of the signs of the first two coordinates, plus d-2 distractor dimensions; BCE targets."""
    n = n_train + n_val
    x = torch.rand(n, d, generator=g) * 2 - 1
    y = ((x[:, 0] * x[:, 1]) > 0).float().unsqueeze(1)
    return _split(x * 1.7, y, n_train)


def spirals(g, n_train, n_val, k=3, noise=0.25) -> Tensors:
    n = n_train + n_val
    y = torch.randint(0, k, (n,), generator=g)
    t = torch.rand(n, generator=g) * 3.5 + 0.3
    angle = t * 1.6 + y * (2 * math.pi / k)
    x = torch.stack([t * torch.cos(angle), t * torch.sin(angle)], 1) + noise * torch.randn(n, 2, generator=g)
    return _split(x / 2.0, y, n_train)


def teacher(g, n_train, n_val, d=16, hidden=32, scale=1.0, offset=0.0, noise=0.1) -> Tensors:
    """y = scale * (random tanh MLP of x) + offset + noise; `scale`/`offset` leave targets unscaled."""
    n = n_train + n_val
    x = torch.randn(n, d, generator=g)
    w1 = torch.randn(d, hidden, generator=g) / math.sqrt(d)
    w2 = torch.randn(hidden, 1, generator=g) / math.sqrt(hidden)
    f = torch.tanh(x @ w1 * 1.5) @ w2
    f = f / f.std()
    y = scale * (f + noise * torch.randn(n, 1, generator=g)) + offset
    return _split(x, y, n_train)


def linear_targets(g, n_train, n_val, d=10, scale=25.0, offset=60.0, noise=0.3) -> Tensors:
    n = n_train + n_val
    mix = torch.randn(d, d, generator=g) / math.sqrt(d) + torch.eye(d)
    x = torch.randn(n, d, generator=g) @ mix  # correlated, not standardized
    w = torch.randn(d, 1, generator=g)
    f = x @ w
    y = scale * (f / f.std() + noise * torch.randn(n, 1, generator=g)) + offset
    return _split(x, y, n_train)


def outlier_regression(g, n_train, n_val, d=12) -> Tensors:
    """A smooth target with heavy-tailed noise: 5% of the training targets are far-off outliers."""
    xt, yt, xv, yv = teacher(g, n_train, n_val, d=d, scale=3.0, noise=0.1)
    mask = torch.rand(n_train, 1, generator=g) < 0.05
    yt = yt + mask * torch.randn(n_train, 1, generator=g) * 30.0
    return xt, yt, xv, yv


def sine_targets(g, n_train, n_val) -> Tensors:
    n = n_train + n_val
    x = torch.rand(n, 1, generator=g) * 6 - 3
    y = 4 * torch.sin(2 * x) + x**2 + 0.5 * torch.randn(n, 1, generator=g)
    return _split(x, y, n_train)


def low_rank(g, n_train, n_val, d=32, r=4) -> Tensors:
    """Points near an r-dim curved manifold in d dims; autoencoder data (target = input)."""
    n = n_train + n_val
    z = torch.randn(n, r, generator=g)
    w = torch.randn(r, d, generator=g)
    x = torch.tanh(z @ w / math.sqrt(r)) * 2 + 0.1 * torch.randn(n, d, generator=g)
    xt, _, xv, _ = _split(x, x, n_train)
    xt, xv = _standardize(xt, xv)
    return xt, xt.clone(), xv, xv.clone()


def bars(g, n_train, n_val, size=12) -> Tensors:
    """1 x size x size noisy images with one bar: horizontal, vertical, diagonal or anti-diagonal."""
    n = n_train + n_val
    y = torch.randint(0, 4, (n,), generator=g)
    img = 0.6 * torch.randn(n, 1, size, size, generator=g)
    length = torch.randint(5, 9, (n,), generator=g)
    r0 = torch.randint(0, size, (n,), generator=g)
    c0 = torch.randint(0, size, (n,), generator=g)
    for i in range(n):
        cls, ln, r, c = int(y[i]), int(length[i]), int(r0[i]), int(c0[i])
        dr, dc = [(0, 1), (1, 0), (1, 1), (1, -1)][cls]
        for s in range(ln):
            rr, cc = (r + dr * s) % size, (c + dc * s) % size
            img[i, 0, rr, cc] += 2.0
    return _split(img, y, n_train)


def channel_race(g, n_train, n_val, steps=20, channels=3) -> Tensors:
    """Sequences (steps x channels); the class is the channel with the largest sum over time."""
    n = n_train + n_val
    x = torch.randn(n, steps, channels, generator=g) + 0.15 * torch.randn(n, 1, channels, generator=g)
    y = x.sum(1).argmax(1)
    return _split(x, y, n_train)


def two_bits(g, n_train, n_val, steps=16) -> Tensors:
    """4 classes from two bits: sign of channel 0's total, sign of channel 1 over the last 4 steps."""
    n = n_train + n_val
    x = torch.randn(n, steps, 3, generator=g)
    b0 = (x[:, :, 0].sum(1) > 0).long()
    b1 = (x[:, -4:, 1].sum(1) > 0).long()
    return _split(x, 2 * b0 + b1, n_train)


def seq_recall(g, n_train, n_val, steps=12) -> Tensors:
    """Regression: y = 5 * x[-1, 0] + 1.7 * 3 * mean(x[-3:, 1]) + 20 + noise (unscaled: ~ 20 +- 6)."""
    n = n_train + n_val
    x = torch.randn(n, steps, 2, generator=g)
    y = 5 * x[:, -1:, 0] + 5.1 * x[:, -3:, 1].mean(1, keepdim=True) + 20 + 0.3 * torch.randn(n, 1, generator=g)
    return _split(x, y, n_train)


def token_topics(g, n_train, n_val, steps=16, vocab=60, k=4) -> Tensors:
    """Token sequences; each class has 6 marker tokens, 3 of which are planted in each sequence."""
    n = n_train + n_val
    y = torch.randint(0, k, (n,), generator=g)
    x = torch.randint(k * 6, vocab, (n, steps), generator=g)  # background tokens
    for i in range(n):
        pos = torch.randperm(steps, generator=g)[:3]
        x[i, pos] = int(y[i]) * 6 + torch.randint(0, 6, (3,), generator=g)
    flip = torch.rand(n, generator=g) < 0.05
    y[flip] = torch.randint(0, k, (int(flip.sum()),), generator=g)
    return _split(x, y, n_train)


def frequencies(g, n_train, n_val, length=64, k=4) -> Tensors:
    """1-channel signals: a sine whose frequency band gives the class, in strong noise."""
    n = n_train + n_val
    y = torch.randint(0, k, (n,), generator=g)
    freq = 0.05 + 0.06 * y + 0.03 * torch.rand(n, generator=g)
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    t = torch.arange(length).float()
    x = torch.sin(2 * math.pi * freq[:, None] * t + phase) + 1.3 * torch.randn(n, length, generator=g)
    return _split(x.unsqueeze(1), y, n_train)


def multilabel(g, n_train, n_val, d=24, labels=6) -> Tensors:
    n = n_train + n_val
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, labels, generator=g)
    hidden = torch.tanh(x @ torch.randn(d, d, generator=g) / math.sqrt(d))
    logits = (x @ w) / math.sqrt(d) * 2 + hidden @ torch.randn(d, labels, generator=g) / math.sqrt(d) * 2
    y = ((logits + 0.3 * torch.randn(n, labels, generator=g)) > 0).float()
    return _split(x, y, n_train)


def logistic(g, n_train, n_val, d=20) -> Tensors:
    n = n_train + n_val
    x = torch.randn(n, d, generator=g) * torch.linspace(0.3, 3, d)  # features on different scales
    w = torch.randn(d, generator=g) / torch.linspace(0.3, 3, d)
    p = torch.sigmoid(x @ w * 1.5)
    y = (torch.rand(n, generator=g) < p).float().unsqueeze(1)
    return _split(x, y, n_train)


def poisson_counts(g, n_train, n_val, d=8) -> Tensors:
    """Count targets: y ~ Poisson(exp(0.8 + x . w)), raw correlated features (a GLM with a log link)."""
    n = n_train + n_val
    mix = torch.randn(d, d, generator=g) / math.sqrt(d) + torch.eye(d)
    x = torch.randn(n, d, generator=g) @ mix
    w = torch.randn(d, 1, generator=g)
    eta = x @ w
    rate = torch.exp(0.8 + 0.6 * eta / eta.std())
    y = torch.poisson(rate, generator=g)
    return _split(x, y, n_train)


def spots(g, n_train, n_val, size=12) -> Tensors:
    """1 x size x size noisy images with one faint 3x3 spot; the class is the quadrant it lies in."""
    n = n_train + n_val
    y = torch.randint(0, 4, (n,), generator=g)
    img = torch.randn(n, 1, size, size, generator=g)
    half = size // 2
    r = torch.randint(0, half - 2, (n,), generator=g) + (y // 2) * half
    c = torch.randint(0, half - 2, (n,), generator=g) + (y % 2) * half
    for i in range(n):
        img[i, 0, int(r[i]) : int(r[i]) + 3, int(c[i]) : int(c[i]) + 3] += 1.2
    return _split(img, y, n_train)


def marked_sum(g, n_train, n_val, steps=10) -> Tensors:
    """Sequences of (value, mark) pairs; the target is the sum of the marked values plus 3 (regression)."""
    n = n_train + n_val
    values = torch.randn(n, steps, generator=g)
    marks = (torch.rand(n, steps, generator=g) < 0.3).float()
    x = torch.stack([values, marks], dim=2)
    y = (values * marks).sum(1, keepdim=True) + 3.0 + 0.1 * torch.randn(n, 1, generator=g)
    return _split(x, y, n_train)


# -- models ------------------------------------------------------------------------------------
def mlp(
    sizes: list[int],
    act: Callable[[], nn.Module] = nn.ReLU,
    norm: Callable[[int], nn.Module] | None = None,
    dropout: float = 0.0,
) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            if norm is not None:
                layers.append(norm(sizes[i + 1]))
            layers.append(act())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    def __init__(self, bn: bool, classes: int = 4) -> None:
        super().__init__()
        norm = nn.BatchNorm2d if bn else (lambda c: nn.Identity())
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            norm(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            norm(16),
            nn.ReLU(),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
            nn.Linear(16, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class RNNHead(nn.Module):
    """LSTM or GRU over (batch, time, features); a linear head on the last hidden state."""

    def __init__(self, cell: str, inputs: int, hidden: int, outputs: int) -> None:
        super().__init__()
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class TinyTransformer(nn.Module):
    def __init__(self, vocab: int = 60, steps: int = 16, width: int = 32, classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(1, steps, width) * 0.02)
        self.enc = nn.TransformerEncoderLayer(width, 4, 64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.enc(self.embed(x) + self.pos).mean(1))


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab: int = 60, width: int = 16, classes: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x).mean(1))


class Conv1DNet(nn.Module):
    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, 16, 7, padding=3),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 16, 5, padding=2),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Linear(16, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ResMLP(nn.Module):
    def __init__(self, inputs: int = 32, width: int = 64, blocks: int = 3, classes: int = 10) -> None:
        super().__init__()
        self.inp = nn.Linear(inputs, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(), nn.Linear(width, width))
            for _ in range(blocks)
        )
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class GLUNet(nn.Module):
    """Two gated-linear-unit blocks (Linear -> GLU) and a linear head."""

    def __init__(self, inputs: int = 32, width: int = 64, classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(inputs, 2 * width), nn.GLU(), nn.Linear(width, 2 * width), nn.GLU(), nn.Linear(width, classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TinyMixer(nn.Module):
    """An MLP-Mixer on 3x3 patches of a 12x12 image: token mixing across patches, channel mixing within."""

    def __init__(self, size: int = 12, patch: int = 3, width: int = 24, classes: int = 4) -> None:
        super().__init__()
        self.patch = patch
        tokens = (size // patch) ** 2
        self.embed = nn.Linear(patch * patch, width)
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.tokens = nn.Sequential(nn.Linear(tokens, 32), nn.GELU(), nn.Linear(32, tokens))
        self.channels = nn.Sequential(nn.Linear(width, 48), nn.GELU(), nn.Linear(48, width))
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patch
        b = x.shape[0]
        patches = x.unfold(2, p, p).unfold(3, p, p).reshape(b, -1, p * p)  # (batch, tokens, p*p)
        h = self.embed(patches)
        h = h + self.tokens(self.norm1(h).transpose(1, 2)).transpose(1, 2)
        h = h + self.channels(self.norm2(h))
        return self.head(h.mean(1))


class AttentionPool(nn.Module):
    """One self-attention layer over the sequence, mean-pooled, and a linear head (regression)."""

    def __init__(self, inputs: int = 2, width: int = 16) -> None:
        super().__init__()
        self.inp = nn.Linear(inputs, width)
        self.attn = nn.MultiheadAttention(width, 2, batch_first=True)
        self.head = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        a, _ = self.attn(h, h, h, need_weights=False)
        return self.head((h + a).sum(1))


# -- optimizers --------------------------------------------------------------------------------
Params = Iterable[nn.Parameter]


def sgd(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(p, lr=lr)


def sgd_momentum(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(p, lr=lr, momentum=0.9)


def nesterov(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True)


def adam(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(p, lr=lr)


def adamw(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.AdamW(p, lr=lr, weight_decay=0.01)


def rmsprop(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(p, lr=lr)


def adagrad(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adagrad(p, lr=lr)


def nadam(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.NAdam(p, lr=lr)


def asgd(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.ASGD(p, lr=lr)


def radam(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.RAdam(p, lr=lr)


def nesterov_wd(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)


def adamax(p: Params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adamax(p, lr=lr)


# -- the task format ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    name: str
    family: str  # mlp | linear | cnn | lstm | gru | transformer | embedding | conv1d | autoencoder | resmlp
    model: Callable[[], nn.Module]
    data: Callable[[torch.Generator], Tensors]  # the fixed data set, from the task's own generator
    loss: Callable[[], nn.Module]
    optimizer: Callable[[Params, float], torch.optim.Optimizer]
    lr: float  # the configured lr
    batch_size: int
    budget_steps: int  # the fixed training budget, in optimizer steps
    metric: str  # accuracy | loss (on the validation set)
    data_seed: int
    notes: str = ""
    hints: dict[str, Any] = field(default_factory=dict)  # NNDOCTOR hints for the recipe

    def build_model(self) -> nn.Module:
        return self.model()

    def tensors(self) -> Tensors:
        return _tensors(self.name)

    def build_data(self, seed: int = 0) -> tuple[DataLoader, DataLoader]:
        return make_loaders(self.tensors(), self.batch_size, seed)

    def build_loss(self) -> nn.Module:
        return self.loss()

    def build_optimizer(self, params: Params, lr: float | None = None) -> torch.optim.Optimizer:
        return self.optimizer(params, self.lr if lr is None else lr)

    @property
    def kind(self) -> str:
        return "classification" if self.metric == "accuracy" else "regression"

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.tensors()[0]) / self.batch_size)

    @property
    def epochs(self) -> float:
        return self.budget_steps / self.batches_per_epoch

    @property
    def stratum(self) -> tuple[str, bool]:
        return self.kind, self.batches_per_epoch > 32


def _t(name, family, model, data, loss, opt, lr, bs, budget, metric, data_seed, notes="", **hints) -> Task:
    hints = hints or ({"task": "classification"} if metric == "accuracy" else {"task": "regression"})
    return Task(name, family, model, data, loss, opt, lr, bs, budget, metric, data_seed, notes, hints)


def _p(fn: Callable[..., Tensors], *args: Any, **kwargs: Any) -> Callable[[torch.Generator], Tensors]:
    def build(g: torch.Generator) -> Tensors:
        return fn(g, *args, **kwargs)

    return build


ACC, LOSS = "accuracy", "loss"
CE, BCE, MSE = nn.CrossEntropyLoss, nn.BCEWithLogitsLoss, nn.MSELoss

# One row per task: name, family, model, data, loss, optimizer, configured lr, batch size, budget (steps),
# metric, data seed, notes, [NNDOCTOR hints].
# fmt: off
TASKS: list[Task] = [
    _t("blobs-mlp/sgd", "mlp", lambda: mlp([32, 64, 10]), _p(blobs, 2400, 1200, spread=1.8), CE, sgd, 0.01, 32,
       225, ACC, 1),
    _t("blobs-linear/sgdm-b256", "linear", lambda: nn.Linear(32, 10), _p(blobs, 4096, 1200, spread=1.5, scales=(0.1, 10.0)),
       CE, sgd_momentum, 0.01, 256, 160, ACC, 2, "large batch, softmax regression, features on scales 0.1..10"),
    _t("checker-mlp/nesterov", "mlp", lambda: mlp([8, 64, 64, 1]), _p(checkerboard, 2048, 1000), BCE, nesterov,
       0.01, 64, 256, ACC, 3, "XOR with distractors", task="binary"),
    _t("spirals-mlp/adam", "mlp", lambda: mlp([2, 64, 64, 3]), _p(spirals, 1200, 900), CE, adam, 1e-3, 32, 300,
       ACC, 4),
    _t("teacher-unscaled/adam", "mlp", lambda: mlp([16, 64, 64, 1]), _p(teacher, 2048, 1000, scale=40.0,
       offset=100.0), MSE, adam, 1e-3, 64, 320, LOSS, 5, "targets ~ 100 +- 40, unscaled"),
    _t("linreg-unscaled/sgd", "linear", lambda: nn.Linear(10, 1), _p(linear_targets, 3200, 1000), MSE, sgd, 1e-3,
       32, 300, LOSS, 6, "correlated raw features, targets ~ 60 +- 25"),
    _t("huber-outliers/rmsprop", "mlp", lambda: mlp([12, 64, 1]), _p(outlier_regression, 2400, 1000),
       lambda: nn.HuberLoss(delta=1.0), rmsprop, 1e-3, 32, 225, LOSS, 7, "5% outlier targets"),
    _t("l1-teacher/adagrad", "mlp", lambda: mlp([8, 32, 1]), _p(teacher, 1000, 1000, d=8, scale=5.0, noise=0.2),
       nn.L1Loss, adagrad, 0.01, 16, 190, LOSS, 8),
    _t("lowrank-autoenc/adam", "autoencoder", lambda: mlp([32, 16, 4, 16, 32]), _p(low_rank, 3000, 1000), MSE,
       adam, 1e-3, 64, 235, LOSS, 9),
    _t("bars-cnn-bn/sgdm", "cnn", lambda: SmallCNN(bn=True), _p(bars, 2000, 1000), CE, sgd_momentum, 0.01, 32,
       189, ACC, 10, "BatchNorm"),
    _t("bars-cnn/adam", "cnn", lambda: SmallCNN(bn=False), _p(bars, 1600, 1000), CE, adam, 1e-3, 64, 150, ACC, 11),
    _t("race-lstm/adam", "lstm", lambda: RNNHead("lstm", 3, 32, 3), _p(channel_race, 1600, 1000), CE, adam, 1e-3,
       32, 200, ACC, 12),
    _t("bits-gru/rmsprop", "gru", lambda: RNNHead("gru", 3, 32, 4), _p(two_bits, 1536, 1000), CE, rmsprop, 1e-3,
       64, 150, ACC, 13),
    _t("recall-lstm/nadam", "lstm", lambda: RNNHead("lstm", 2, 32, 1), _p(seq_recall, 1280, 1000), MSE, nadam,
       2e-3, 32, 200, LOSS, 14, "targets ~ 20 +- 6"),
    _t("topics-transformer/adamw", "transformer", TinyTransformer, _p(token_topics, 1600, 1000), CE, adamw, 1e-3,
       32, 150, ACC, 15),
    _t("topics-bag/adagrad", "embedding", BagOfEmbeddings, _p(token_topics, 3200, 1000), CE, adagrad, 0.01, 64,
       150, ACC, 16),
    _t("blobs-bn-mlp/sgd-b512", "mlp", lambda: mlp([32, 128, 128, 10], norm=nn.BatchNorm1d),
       _p(blobs, 8192, 1200, spread=1.3), CE, sgd, 0.01, 512, 80, ACC, 17, "BatchNorm, large batch"),
    _t("deep-tanh/sgdm", "mlp", lambda: mlp([32] + [64] * 8 + [10], act=nn.Tanh), _p(blobs, 2048, 1000), CE,
       sgd_momentum, 0.01, 64, 200, ACC, 18, "8 tanh layers, default init"),
    _t("noisy-wide/nadam", "mlp", lambda: mlp([32, 512, 10]), _p(blobs, 4000, 1200, spread=1.2, label_noise=0.3),
       CE, nadam, 1e-3, 32, 250, ACC, 19, "30% label noise in training: memorizable"),
    _t("multilabel-mlp/adam", "mlp", lambda: mlp([24, 64, 6]), _p(multilabel, 2400, 1000), BCE, adam, 1e-3, 32,
       225, ACC, 20, "6 independent labels", task="multilabel"),
    _t("logreg-scales/adagrad", "linear", lambda: nn.Linear(20, 1), _p(logistic, 1600, 1000), BCE, adagrad, 0.01,
       16, 200, ACC, 21, "raw features on scales 0.3..3", task="binary"),
    _t("resmlp-ln/adamw", "resmlp", ResMLP, _p(blobs, 3072, 1200, spread=1.4), CE, adamw, 1e-3, 128, 120, ACC, 22,
       "residual, LayerNorm"),
    _t("teacher-smoothl1/sgdm-b256", "mlp", lambda: mlp([16, 64, 1]), _p(teacher, 4096, 1000, scale=8.0,
       offset=-15.0, noise=0.2), nn.SmoothL1Loss, sgd_momentum, 0.01, 256, 120, LOSS, 23, "targets ~ -15 +- 8"),
    _t("freq-conv1d/nesterov", "conv1d", Conv1DNet, _p(frequencies, 1920, 1000), CE, nesterov, 0.01, 32, 180, ACC,
       24),
    _t("dropout-mlp/adam-b8", "mlp", lambda: mlp([32, 128, 128, 10], dropout=0.3), _p(blobs, 800, 1200, spread=1.3),
       CE, adam, 1e-3, 8, 200, ACC, 25, "dropout, batch 8"),
    _t("overfit-regress/adam", "mlp", lambda: mlp([30, 256, 256, 1]), _p(teacher, 1600, 1000, d=30, noise=0.7),
       MSE, adam, 1e-3, 32, 200, LOSS, 26, "noisy targets, wide net"),
    _t("sine-mlp/rmsprop", "mlp", lambda: mlp([1, 64, 64, 1], act=nn.Tanh), _p(sine_targets, 1024, 1000), MSE,
       rmsprop, 1e-3, 16, 192, LOSS, 27, "1-d curve, targets in -4 .. 13"),
]

# Added later (issue 11), all with more than 32 batches per epoch, other model families, optimizers and
# losses; split on their own (NEW_HOLDOUT_NAMES) so the original split stays as it was drawn.
NEW_TASKS: list[Task] = [
    _t("poisson-glm/asgd", "glm", lambda: nn.Linear(8, 1), _p(poisson_counts, 2400, 1000),
       lambda: nn.PoissonNLLLoss(log_input=True, full=True), asgd, 1e-3, 32, 200, LOSS, 28,
       "count targets, log link, raw correlated features"),
    _t("glu-blobs/radam", "glu", GLUNet, _p(blobs, 1600, 1000, spread=1.6), lambda: nn.CrossEntropyLoss(
       label_smoothing=0.1), radam, 1e-3, 32, 200, ACC, 29, "gated linear units, label smoothing"),
    _t("mixer-spots/nesterov-wd", "mixer", TinyMixer, _p(spots, 1600, 1000), CE, nesterov_wd, 0.01, 32, 150, ACC,
       30, "MLP-Mixer on 3x3 patches, faint spot, weight decay"),
    _t("attn-sum/adamax", "attention", AttentionPool, _p(marked_sum, 1600, 1000), MSE, adamax, 2e-3, 32, 200,
       LOSS, 31, "self-attention, target = sum of marked values + 3"),
]
ORIGINAL_TASKS: list[Task] = list(TASKS)
TASKS = ORIGINAL_TASKS + NEW_TASKS
# fmt: on

BY_NAME: dict[str, Task] = {t.name: t for t in TASKS}
assert len(BY_NAME) == len(TASKS), "task names must be unique"


@functools.cache
def _tensors(name: str) -> Tensors:
    task = BY_NAME[name]
    return task.data(torch.Generator().manual_seed(task.data_seed))


# -- the split ---------------------------------------------------------------------------------
SPLIT_SEED = 20250611
HOLDOUT_SHARE = 0.4


def draw_split(tasks: list[Task] | None = None, seed: int = SPLIT_SEED) -> list[str]:
    """Names of the held-out tasks: round(40%) of each (kind, >32 batches) stratum, at least one.

    Without `tasks`: the original 27 tasks (the new ones are drawn on their own, NEW_SPLIT_SEED).
    """
    tasks = ORIGINAL_TASKS if tasks is None else tasks
    rng = random.Random(seed)
    strata: dict[tuple[str, bool], list[str]] = {}
    for task in tasks:
        strata.setdefault(task.stratum, []).append(task.name)
    held: list[str] = []
    for key in sorted(strata):
        names = sorted(strata[key])
        held.extend(rng.sample(names, max(1, round(HOLDOUT_SHARE * len(names)))))
    return sorted(held)


# draw_split() with SPLIT_SEED, frozen: 4 of 11 classification tasks with > 32 batches per epoch, 3 of 7 with
# <= 32, 3 of 7 regression tasks with > 32 and 1 of 2 with <= 32.
HOLDOUT_NAMES: list[str] = [
    "blobs-bn-mlp/sgd-b512",
    "blobs-mlp/sgd",
    "checker-mlp/nesterov",
    "huber-outliers/rmsprop",
    "linreg-unscaled/sgd",
    "logreg-scales/adagrad",
    "noisy-wide/nadam",
    "resmlp-ln/adamw",
    "sine-mlp/rmsprop",
    "teacher-smoothl1/sgdm-b256",
    "topics-transformer/adamw",
]
NEW_SPLIT_SEED = 20261201
# draw_split(NEW_TASKS, NEW_SPLIT_SEED), frozen: 1 of 2 regression and 1 of 2 classification tasks
NEW_HOLDOUT_NAMES: list[str] = ["attn-sum/adamax", "glu-blobs/radam"]
ORIGINAL_HOLDOUT_NAMES: list[str] = list(HOLDOUT_NAMES)
HOLDOUT_NAMES = ORIGINAL_HOLDOUT_NAMES + NEW_HOLDOUT_NAMES
TUNING: list[Task] = []
HOLDOUT: list[Task] = []


def _freeze() -> None:
    HOLDOUT[:] = [BY_NAME[n] for n in HOLDOUT_NAMES]
    TUNING[:] = [t for t in TASKS if t.name not in HOLDOUT_NAMES]


_freeze()


def split_of(name: str) -> str:
    return "HOLDOUT" if name in HOLDOUT_NAMES else "TUNING"
