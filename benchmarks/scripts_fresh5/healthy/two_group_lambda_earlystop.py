"""Healthy: backbone/head parameter groups with their own LRs, a LambdaLR warm-up, early stopping.

Bag-of-tokens sentiment task: each review is 24 token ids from a vocabulary of 300; tokens 1-40
lean positive, 41-80 lean negative, the rest are neutral filler; the label is whether the
positive-leaning tokens outnumber the negative ones. The model is an `nn.EmbeddingBag(mode="mean")`
"backbone" and a small MLP "head". AdamW gets two parameter groups, the backbone at a third of the
head's LR. `LambdaLR` returns a multiplicative factor per batch: linear warm-up over the first
epoch, then linear decay to 10% at the last step. Validation runs inside `torch.inference_mode()`;
early stopping with patience 3 on the validation loss keeps a `copy.deepcopy` of the best
`state_dict()` and restores it at the end. `nn.CrossEntropyLoss`.
Reference for LambdaLR returning a factor (its twin `broken/two_group_lambda_returns_lr.py` returns
the LR): https://github.com/lhoyer/MIC/issues/60
"""

import argparse
import copy

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "BagClassifier", "optimizer": "AdamW", "loss": "CrossEntropyLoss", "val_loader": True}


class BagClassifier(nn.Module):
    def __init__(self, vocab, dim, n_classes):
        super().__init__()
        self.backbone = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.head = nn.Sequential(nn.Linear(dim, 64), nn.GELU(), nn.Linear(64, n_classes))

    def forward(self, tokens):
        return self.head(self.backbone(tokens))


def reviews(n, gen):
    kind = torch.rand(n, 24, generator=gen)
    filler = torch.randint(81, 300, (n, 24), generator=gen)
    pos = torch.randint(1, 41, (n, 24), generator=gen)
    neg = torch.randint(41, 81, (n, 24), generator=gen)
    lean = torch.rand(n, 1, generator=gen) * 0.4 + 0.1
    tokens = torch.where(kind < lean, pos, torch.where(kind < 0.6, neg, filler))
    n_pos = ((tokens >= 1) & (tokens <= 40)).sum(1)
    n_neg = ((tokens >= 41) & (tokens <= 80)).sum(1)
    keep = n_pos != n_neg
    return tokens[keep], (n_pos > n_neg).long()[keep]


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.inference_mode():
        for tokens, y in loader:
            logits = model(tokens)
            total += criterion(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--backbone-lr-scale", type=float, default=1 / 3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    x_tr, y_tr = reviews(13000, gen)
    x_va, y_va = reviews(2000, gen)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=500)

    model = BagClassifier(300, 48, 2)
    optimizer = torch.optim.AdamW(
        [
            {"params": model.backbone.parameters(), "lr": args.lr * args.backbone_lr_scale},
            {"params": model.head.parameters(), "lr": args.lr},
        ],
        weight_decay=1e-2,
    )
    warmup = len(train_loader)
    total_steps = args.epochs * len(train_loader)

    def lr_factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 1.0 - 0.9 * (step - warmup) / max(1, total_steps - warmup)

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lr_factor)
    criterion = nn.CrossEntropyLoss()

    best_loss, best_state, bad_epochs = float("inf"), None, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for tokens, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(y)
            n += len(y)
        train_loss = total / n
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        lrs = [g["lr"] for g in optimizer.param_groups]
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"lr_backbone={lrs[0]:.2e} lr_head={lrs[1]:.2e}"
        )
        if val_loss < best_loss - 1e-4:
            best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                print(f"early stop at epoch {epoch} (best val_loss={best_loss:.4f})")
                break
    model.load_state_dict(best_state)
    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
