"""Small, deterministic data loaders for the sample recipes.

Everything comes from the small data files shipped in `nndoctor/samples/data` (no downloads, no
scikit-learn) or from seeded synthetic generators, and is small enough that every nndoctor check
on a sample runs in seconds on a laptop CPU. Splits and shuffling depend only on `seed`, never on
the global RNG, so a sample's report is the same on every run.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

Loaders = tuple[DataLoader, DataLoader]

# Data set -> (file in nndoctor/samples/data, header lines); the last column is the class label.
# The files are the classic UCI toy sets as scikit-learn distributes them (see data/README.md).
_BUNDLED_CSV = {
    "digits": ("digits.csv.gz", 0),
    "breast_cancer": ("breast_cancer.csv.gz", 1),
    "wine": ("wine_data.csv.gz", 1),
    "iris": ("iris.csv.gz", 1),
}
_SHAPES = {
    "digits": (1797, 64),
    "breast_cancer": (569, 30),
    "wine": (178, 13),
    "iris": (150, 4),
    "diabetes": (442, 10),
}


@functools.cache
def load_bundled(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Features (float64) and targets of a bundled toy data set, read once per process.

    `name` is one of digits, breast_cancer, wine, iris (int64 class labels) or diabetes (float
    targets; the raw, unscaled features). The files ship inside the package, so the samples need
    neither a download nor scikit-learn. The arrays are cached, so they are returned read-only.
    """
    if name not in _SHAPES:
        raise ValueError(f"unknown data set {name!r}; expected one of {', '.join(_SHAPES)}")
    x, y = _read_bundled_csv(name)
    if x.shape != _SHAPES[name] or len(y) != len(x):
        raise ValueError(f"the bundled {name} data has shape {x.shape}, expected {_SHAPES[name]}: a damaged install")
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _read_bundled_csv(name: str) -> tuple[np.ndarray, np.ndarray]:
    folder = resources.files("nndoctor.samples") / "data"
    if name == "diabetes":
        with (
            resources.as_file(folder / "diabetes_data_raw.csv.gz") as features,
            resources.as_file(folder / "diabetes_target.csv.gz") as targets,
        ):
            return np.loadtxt(features), np.loadtxt(targets)
    file, header = _BUNDLED_CSV[name]
    with resources.as_file(folder / file) as path:
        data = np.loadtxt(path, delimiter=",", skiprows=header)
    return data[:, :-1], data[:, -1].astype(np.int64)


def split_loaders(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 64,
    *,
    standardize: bool = True,
    standardize_target: bool = False,
    feature_shape: tuple[int, ...] | None = None,
    train_size: int | None = None,
    val_fraction: float = 0.2,
    stratify: bool | None = None,
    seed: int = 0,
    drop_last: bool = False,
) -> Loaders:
    """Split arrays into a shuffled train loader and an ordered validation loader.

    Integer targets become int64 class labels, anything else float32 with its shape kept. The split
    is stratified by target value (default: for integer targets) so both sides see every class.
    Standardization uses training statistics only, as a real pipeline must, and leaves constant
    features at 0 instead of dividing by zero. `train_size` caps the training set (after the split,
    so validation is unchanged); `feature_shape` reshapes each sample, e.g. (1, 8, 8) for images.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    classes = np.issubdtype(y.dtype, np.integer)
    if stratify is None:
        stratify = classes
    groups = y.reshape(len(y), -1)[:, 0] if stratify else None
    train_idx, val_idx = _split_indices(len(x), groups, val_fraction, np.random.default_rng(seed))
    train_idx = train_idx[:train_size]
    x_train, x_val = x[train_idx], x[val_idx]
    y_train, y_val = y[train_idx], y[val_idx]
    if standardize:
        x_train, x_val = _zscore(x_train, x_val)
    if standardize_target:
        y_train, y_val = _zscore(y_train, y_val)

    def dataset(features: np.ndarray, targets: np.ndarray) -> TensorDataset:
        features_t = torch.as_tensor(features, dtype=torch.float32)
        if feature_shape is not None:
            features_t = features_t.reshape(len(features), *feature_shape)
        targets_t = torch.as_tensor(targets, dtype=torch.int64 if classes else torch.float32)
        return TensorDataset(features_t, targets_t)

    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(
        dataset(x_train, y_train),
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
        drop_last=drop_last,
    )
    val = DataLoader(dataset(x_val, y_val), batch_size=batch_size, shuffle=False)
    return train, val


def _split_indices(
    n: int, groups: np.ndarray | None, val_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random train/val indices; with `groups`, the same fraction of every group goes to val."""
    groups = np.zeros(n) if groups is None else groups
    val_parts = []
    for value in np.unique(groups):
        members = rng.permutation(np.flatnonzero(groups == value))
        val_parts.append(members[: round(len(members) * val_fraction)])
    val_idx = np.sort(np.concatenate(val_parts))
    train_idx = rng.permutation(np.setdiff1d(np.arange(n), val_idx))
    return train_idx, val_idx


def _zscore(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    # nan-aware, so missing values stay missing instead of turning whole columns into NaN
    mean = np.nanmean(train, axis=0)
    std = np.nanstd(train, axis=0)
    std = np.where(std > 0, std, 1.0)  # constant features are centred to 0, not divided by 0
    return [(a - mean) / std for a in (train, *others)]


def digits_loaders(
    batch_size: int = 64,
    *,
    standardize: bool = True,
    images: bool = False,
    train_size: int | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
    drop_last: bool = False,
) -> Loaders:
    """8x8 handwritten digits, 10 balanced classes: an MNIST stand-in that needs no download.

    x is [N, 64], or [N, 1, 8, 8] with `images=True` for conv nets; raw pixels are 0..16.
    Labels are int64 in 0..9. 1438 training and 359 validation samples by default.
    """
    x, y = load_bundled("digits")
    return split_loaders(
        x,
        y,
        batch_size,
        standardize=standardize,
        feature_shape=(1, 8, 8) if images else None,
        train_size=train_size,
        val_fraction=val_fraction,
        seed=seed,
        drop_last=drop_last,
    )


def diabetes_loaders(
    batch_size: int = 32,
    *,
    standardize: bool = True,
    standardize_target: bool = True,
    train_size: int | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
    drop_last: bool = False,
) -> Loaders:
    """Diabetes progression: regression on 10 tabular features, float targets of shape [N, 1].

    Raw targets range 25..346; standardized (the default) their variance is 1, so a model whose
    output starts near 0 has an initial MSE near 1.
    """
    x, y = load_bundled("diabetes")
    return split_loaders(
        x,
        y.reshape(-1, 1),
        batch_size,
        standardize=standardize,
        standardize_target=standardize_target,
        train_size=train_size,
        val_fraction=val_fraction,
        seed=seed,
        drop_last=drop_last,
    )


def breast_cancer_loaders(
    batch_size: int = 32,
    *,
    standardize: bool = True,
    train_size: int | None = None,
    val_fraction: float = 0.2,
    seed: int = 0,
    drop_last: bool = False,
) -> Loaders:
    """Breast cancer diagnosis: binary classification on 30 features whose raw scales differ by
    four orders of magnitude. Targets are float [N, 1] in {0, 1} (1 = benign, 63%), ready for
    BCEWithLogitsLoss.
    """
    x, y = load_bundled("breast_cancer")
    return split_loaders(
        x,
        y.astype(np.float32).reshape(-1, 1),
        batch_size,
        standardize=standardize,
        train_size=train_size,
        val_fraction=val_fraction,
        stratify=True,
        seed=seed,
        drop_last=drop_last,
    )


def wine_loaders(
    batch_size: int = 32,
    *,
    standardize: bool = True,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> Loaders:
    """Wine cultivars: 3 classes, 13 chemical features, raw scales from ~0.1 (hue) to ~1700
    (proline): the textbook case for feature standardization. Labels are int64 in 0..2.
    """
    x, y = load_bundled("wine")
    return split_loaders(x, y, batch_size, standardize=standardize, val_fraction=val_fraction, seed=seed)


def spirals_loaders(
    batch_size: int = 64,
    *,
    n_per_class: int = 300,
    n_classes: int = 3,
    noise: float = 0.2,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> Loaders:
    """Interleaved 2-D spirals (the cs231n toy set), int64 labels in 0..n_classes-1.

    No linear boundary separates the arms, so a linear or very small model plateaus well below
    100% accuracy while a small MLP reaches it: the standard case for underfitting.
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    angle = labels * 4.0 + radius * 4.0 + noise * rng.standard_normal(len(labels))
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return split_loaders(x, labels, batch_size, val_fraction=val_fraction, seed=seed)


def circles_loaders(
    batch_size: int = 64,
    *,
    n_samples: int = 1000,
    noise: float = 0.1,
    factor: float = 0.5,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> Loaders:
    """Two concentric noisy circles in 2-D, float targets [N, 1] (1 = inner circle).

    A logistic regression cannot beat chance here while one hidden layer solves it: a binary
    underfitting case.
    """
    rng = np.random.default_rng(seed)
    inner = (np.arange(n_samples) % 2).astype(np.float32)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    radius = np.where(inner == 1, factor, 1.0)
    x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    x = x + noise * rng.standard_normal(x.shape)
    return split_loaders(x, inner.reshape(-1, 1), batch_size, val_fraction=val_fraction, stratify=True, seed=seed)
