"""Healthy: a ReLU MLP on noisy 8x8 glyphs, SGD with a per-step LambdaLR warm-up then cosine decay.

Ten fixed random 8x8 "glyph" templates (seeded); each sample is one template shifted by up to one
pixel, scaled, plus pixel noise, flattened to 64 values and standardized with the training set's
mean and std. The model is a plain ReLU MLP 64-256-256-10 (`nn.Sequential`). SGD momentum 0.9,
peak LR 0.05, weight decay 5e-4; `LambdaLR` stepped after every batch with the factor
`min(1, (step + 1) / warmup_steps)` over the first epoch, then a cosine from 1 down to 0 at the
last step. `nn.CrossEntropyLoss`. `--save PATH` writes the final `state_dict()`.
Reference for capping the warm-up factor (its twin `broken/warmup_never_capped.py` does not):
https://github.com/Adit-Jain-srm/NightmareNet/pull/158
"""

import argparse
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "Sequential", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


def glyphs(n, templates, gen):
    labels = torch.randint(0, len(templates), (n,), generator=gen)
    imgs = templates[labels]
    shifts = torch.randint(-1, 2, (n, 2), generator=gen)
    out = torch.stack(
        [torch.roll(img, shifts=(int(s[0]), int(s[1])), dims=(0, 1)) for img, s in zip(imgs, shifts, strict=True)]
    )
    scale = 0.7 + 0.6 * torch.rand(n, 1, 1, generator=gen)
    out = out * scale + 0.6 * torch.randn(n, 8, 8, generator=gen)
    return out.reshape(n, 64), labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--save", default="")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    templates = (torch.rand(10, 8, 8, generator=gen) < 0.35).float()
    x_tr, y_tr = glyphs(12000, templates, gen)
    x_va, y_va = glyphs(1500, templates, gen)
    mean, std = x_tr.mean(0), x_tr.std(0)
    x_tr, x_va = (x_tr - mean) / std, (x_va - mean) / std
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)

    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    warmup_steps = len(train_loader)
    total_steps = args.epochs * len(train_loader)

    def schedule(step):
        if step < warmup_steps:
            return min(1.0, (step + 1) / warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    criterion = nn.CrossEntropyLoss()

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
        v_total, correct = 0.0, 0
        with torch.no_grad():
            for x, y in val_loader:
                logits = model(x)
                v_total += criterion(logits, y).item() * len(y)
                correct += (logits.argmax(1) == y).sum().item()
        train_loss, val_loss, val_acc = total / n, v_total / len(y_va), correct / len(y_va)
        lr = optimizer.param_groups[0]["lr"]
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} lr={lr:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
