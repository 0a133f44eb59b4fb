"""Healthy: knowledge distillation, a frozen teacher and a small student trained on KL + CE.

The task is defined by a fixed random teacher (a wide 3-layer MLP over 16 inputs, 8 classes,
`requires_grad_(False)` and `eval()`): its argmax is the hard label and its temperature-softened
distribution the soft target. The student (a narrow MLP) is trained with
`alpha * T^2 * KLDivLoss(log_softmax(s / T), softmax(t / T)) + (1 - alpha) * CrossEntropyLoss`,
the teacher's forward under `torch.no_grad()`. `student.zero_grad()` clears the gradients (the
Module method, not the optimizer's). SGD with momentum, CosineAnnealingLR with `eta_min`. The
validation reports the student's agreement with the teacher.
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
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
            student.zero_grad()
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
