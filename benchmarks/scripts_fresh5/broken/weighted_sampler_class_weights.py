"""Broken: `WeightedRandomSampler` given one weight per class instead of one weight per sample.

Twin of `healthy/weighted_sampler_csv_log.py` with one change: the sampler gets
`1.0 / class_count` (4 numbers) instead of `1.0 / class_count[y_tr]` (one per row). The sampler
draws indices from `range(len(weights))`, so every training batch is 64 draws from rows 0-3, the
first four rows of the class-sorted storage, all of class 0: the model sees one class, four
samples, for the whole run. Shows in the printed numbers: train_loss 0.0006 (twin 0.2309),
val_loss 4.4778 (twin 0.2342), macro val_acc 0.2500 in every epoch, i.e. it always predicts class
0 (twin 0.9175). Check: ND509 (the labels of the first epoch come as one run of one class).
Public reports: https://github.com/deep-voice/soundbay/pull/49 (weights assigned per class made
the sampler pick only the first samples) and https://codetd.com/article/12726075 (the weights are
per sample, not per class).
"""

import argparse
import csv

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

FIRES = {"ND509": "warn"}
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
    class_weights = torch.as_tensor(1.0 / class_count, dtype=torch.double)
    sampler = WeightedRandomSampler(class_weights, num_samples=len(train_set), replacement=True)
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
