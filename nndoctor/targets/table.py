"""A target straight from a CSV or Parquet file: `--data train.csv --target label`.

nndoctor builds a small MLP for it. The features are used as they are (no silent scaling), so
the data checks report the file's real problems: missing values, unscaled columns, labels.
"""

from __future__ import annotations

from pathlib import Path

from nndoctor.errors import TargetError
from nndoctor.targets.model import Target

MAX_CLASSES = 50


def load_table(
    path: Path, target_column: str | None, *, seed: int = 0, batch_size: int = 64, val_fraction: float = 0.2
) -> Target:
    import pandas as pd
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    if target_column is None:
        raise TargetError(f"--data {path} needs --target COLUMN naming the column to predict.")
    if not path.exists():
        raise TargetError(f"The data file {path} does not exist.")
    if path.is_dir():
        raise TargetError(f"--data {path} is a directory; pass a CSV or Parquet file.")
    parquet = path.suffix in (".parquet", ".pq")
    if parquet and not _parquet_engine():
        raise TargetError(
            f"--data {path} is a Parquet file, and reading Parquet needs pyarrow, which is not installed. "
            "Install the extra: pip install 'nndoctor[parquet]' (or pip install pyarrow), or pass a CSV file."
        )
    try:
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path)
    except Exception as exc:
        raise TargetError(
            f"pandas could not read {path}: {type(exc).__name__}: {exc}. CSV and Parquet are supported."
        ) from exc
    if target_column not in frame.columns:
        raise TargetError(
            f"--target {target_column!r} is not a column of {path}; pass one of its columns: "
            f"{', '.join(map(str, frame.columns[:20]))}."
        )
    if len(frame) < 4:
        raise TargetError(f"{path} has {len(frame)} rows; nndoctor needs at least a few to split train/val.")
    y_raw = frame[target_column]
    rest = frame.drop(columns=[target_column])
    features = pd.get_dummies(rest, dtype=float) if rest.shape[1] else rest
    if features.shape[1] == 0:
        raise TargetError(f"{path} has no feature columns besides {target_column!r}.")
    x = torch.tensor(features.to_numpy(dtype="float32"))
    numeric = pd.api.types.is_numeric_dtype(y_raw)
    integer_like = (
        numeric and y_raw.dropna().apply(float.is_integer if y_raw.dtype.kind == "f" else (lambda v: True)).all()
    )
    classification = not numeric or (integer_like and y_raw.nunique() <= MAX_CLASSES)
    if classification:
        codes, classes = pd.factorize(y_raw, sort=True)
        y = torch.tensor(codes, dtype=torch.long)
        outputs = len(classes)
        loss: nn.Module = nn.CrossEntropyLoss()
        hints = {"task": "classification", "num_classes": outputs}
    else:
        y = torch.tensor(y_raw.to_numpy(dtype="float32")).unsqueeze(1)
        outputs = 1
        loss = nn.MSELoss()
        hints = {"task": "regression"}
    order = torch.randperm(len(frame), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, int(len(frame) * val_fraction))
    val_idx, train_idx = order[:n_val], order[n_val:]
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(
        TensorDataset(x[train_idx], y[train_idx]), batch_size=batch_size, shuffle=True, generator=generator
    )
    val = DataLoader(TensorDataset(x[val_idx], y[val_idx]), batch_size=batch_size)
    from nndoctor.rng import seed_everything

    seed_everything(seed)
    width = 64
    model = nn.Sequential(
        nn.Linear(x.shape[1], width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, outputs)
    )
    return Target(
        name=f"{path} (target {target_column!r}, default MLP)",
        model=model,
        train_data=train,
        val_data=val,
        loss_fn=loss,
        hints=hints,
    )


def _parquet_engine() -> bool:
    import importlib.util

    return any(importlib.util.find_spec(name) is not None for name in ("pyarrow", "fastparquet"))
