"""Healthy: imbalanced classes balanced with a `WeightedRandomSampler`, metrics logged to a CSV file.

Four classes with 9000 / 3600 / 2250 / 1500 training rows (stored class by class, as when one file is
read per class), 20 features: each class is a Gaussian blob around its own centre plus a shared
nonlinear nuisance. The training loader draws with
`WeightedRandomSampler(1 / count[label] per sample, num_samples=len(train), replacement=True)`,
so batches are balanced; the validation set is balanced (200 per class) and the script reports
macro accuracy (mean per-class recall). SGD with Nesterov momentum, `CyclicLR` (triangular2,
stepped per batch), `nn.CrossEntropyLoss`. Every epoch appends a row to `--log-csv` (written
with `csv.writer`, header first) and prints the same numbers as an `epoch ...` line.
Reference for the per-sample weights (its twin `broken/weighted_sampler_class_weights.py` passes
per-class ones): https://github.com/deep-voice/soundbay/pull/49
"""

import argparse
import csv

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}

TRAIN_COUNTS = (9000, 3600, 2250, 1500)


def blobs(counts, centres, mix, rng):
    xs, ys = [], []
    for label, n in enumerate(counts):
        z = centres[label] + rng.normal(0.0, 1.0, size=(n, centres.shape[1]))
        xs.append(z + 0.5 * np.sin(z @ mix))
        ys.append(np.full(n, label))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def macro_accuracy(pred, y, n_classes):
    recalls = [(pred[y == c] == c).float().mean().item() for c in range(n_classes)]
    return sum(recalls) / n_classes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--log-csv", default="metrics.csv")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(0.0, 0.6, size=(4, 20))
    mix = rng.normal(0.0, 0.3, size=(20, 20))
    x_tr, y_tr = blobs(TRAIN_COUNTS, centres, mix, rng)
    x_va, y_va = blobs((200, 200, 200, 200), centres, mix, rng)
    mean, std = x_tr.mean(0), x_tr.std(0)
    x_tr, x_va = (x_tr - mean) / std, (x_va - mean) / std
    train_set = TensorDataset(torch.from_numpy(x_tr), torch.from_numpy(y_tr))
    val_x, val_y = torch.from_numpy(x_va), torch.from_numpy(y_va)
    val_loader = DataLoader(TensorDataset(val_x, val_y), batch_size=400)

    class_count = np.bincount(y_tr)
    sample_weights = torch.as_tensor(1.0 / class_count[y_tr], dtype=torch.double)
    sampler = WeightedRandomSampler(sample_weights, num_samples=len(train_set), replacement=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)

    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=2e-3)
    scheduler = torch.optim.lr_scheduler.CyclicLR(
        optimizer, base_lr=args.lr / 10, max_lr=args.lr, step_size_up=2 * len(train_loader), mode="triangular2"
    )
    criterion = nn.CrossEntropyLoss()

    with open(args.log_csv, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "train_loss", "val_loss", "val_macro_acc", "lr"])
        for epoch in range(1, args.epochs + 1):
            model.train()
            total, n = 0.0, 0
            for x, y in train_loader:
                optimizer.zero_grad()
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                total += loss.item() * len(y)
                n += len(y)
            model.eval()
            v_total, preds = 0.0, []
            with torch.no_grad():
                for x, y in val_loader:
                    logits = model(x)
                    v_total += criterion(logits, y).item() * len(y)
                    preds.append(logits.argmax(dim=1))
            train_loss, val_loss = total / n, v_total / len(val_y)
            val_acc = macro_accuracy(torch.cat(preds), val_y, 4)
            lr = optimizer.param_groups[0]["lr"]
            writer.writerow([epoch, f"{train_loss:.5f}", f"{val_loss:.5f}", f"{val_acc:.5f}", f"{lr:.3e}"])
            fh.flush()
            print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
