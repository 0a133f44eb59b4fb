"""Broken (ND501): `teacher.zero_grad()` where `student.zero_grad()` was meant.

Twin of healthy/distill_kl_student.py with one change: the line before `loss.backward()` clears
the teacher's gradients (a no-op: the teacher is frozen and has none) instead of the student's.
Nothing else ever clears the student's `.grad`, so every SGD step uses the sum of all gradients
since the start of the run.

How it shows (default arguments): train_loss 1.2836 in epoch 1, 18.87 in epoch 2, 1150 in
epoch 6, 644.9 at the end; final val_acc 0.2260 vs the twin's 0.6900 (val_loss 197.8 vs 1.0019).

Which id: ND501 (gradients not cleared between optimizer steps).
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND501": "warn"}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "KLDivLoss", "val_loader": True}


def mlp(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):  # noqa: B905, RUF007
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--temperature", type=float, default=3.0)
    parser.add_argument("--alpha", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    teacher = mlp([16, 256, 256, 8])
    for m in teacher:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=1.5 / m.in_features**0.5)
    teacher.requires_grad_(False)
    teacher.eval()
    x_train, x_val = torch.randn(4000, 16), torch.randn(1000, 16)
    with torch.no_grad():
        y_train, y_val = teacher(x_train).argmax(1), teacher(x_val).argmax(1)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=500)

    student = mlp([16, 64, 64, 8])
    kl = nn.KLDivLoss(reduction="batchmean")
    ce = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(student.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs, eta_min=args.lr / 50)
    T, alpha = args.temperature, args.alpha  # noqa: N806

    for epoch in range(1, args.epochs + 1):
        student.train()
        total, n = 0.0, 0
        for x, y in train_loader:
            with torch.no_grad():
                t_logits = teacher(x)
            s_logits = student(x)
            soft = kl(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1)) * T * T
            loss = alpha * soft + (1 - alpha) * ce(s_logits, y)
            teacher.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        scheduler.step()
        student.eval()
        v_loss, agree, m = 0.0, 0, 0
        with torch.no_grad():
            for x, y in val_loader:
                logits = student(x)
                v_loss += ce(logits, y).item() * len(y)
                agree += (logits.argmax(1) == y).sum().item()
                m += len(y)
        train_loss, val_loss, val_acc = total / n, v_loss / m, agree / m
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
