"""Broken (ND502): the warm-up lambda's decay branch uses `//`: the LR multiplier is 0 forever after warm-up.

Twin of healthy/transformer_warmup_groups.py with one change: the inverse-square-root decay in
`lr_lambda` is written `math.sqrt(warmup_steps // (step + 1))`. Past the warm-up, `step + 1` is
larger than `warmup_steps`, the floor division is 0 and so is every learning rate from step 61
of 128 on (step 60 exactly gives 1).

How it shows (default arguments): the printed lr is 0.00e+00 from step 75 on; val_loss is
0.1308 in epochs 2, 3 and 4 (the weights stopped moving), final val_loss 0.1308 vs the twin's
0.0352 (val_acc 0.9767 vs 1.0000).

Which id: ND502 (the schedule drives the learning rate to nothing early in the run).
"""

import argparse
import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND502": "warn"}
EXPECT_CAPTURE = {"model": "MarkerTransformer", "optimizer": "AdamW", "loss": "F.cross_entropy", "val_loader": True}

SEQ, VOCAB = 20, 16


class MarkerTransformer(nn.Module):
    def __init__(self, d_model=32, heads=4, layers=2, n_classes=3):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d_model)
        self.pos = nn.Embedding(SEQ, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, 4 * d_model, dropout=0.1, activation="gelu", batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, tokens):
        h = self.tok(tokens) + self.pos(torch.arange(tokens.size(1)))
        return self.head(self.norm(self.encoder(h).mean(1)))


def make_data(n, g):
    xs, ys = [], []
    while len(xs) < n:
        seq = torch.randint(4, VOCAB, (SEQ,), generator=g)
        counts = torch.randint(0, 6, (3,), generator=g)
        if counts.max() == 0 or (counts == counts.max()).sum() > 1:
            continue
        slots = torch.randperm(SEQ, generator=g)
        pos = 0
        for marker, c in enumerate(counts.tolist(), start=1):
            seq[slots[pos : pos + c]] = marker
            pos += c
        xs.append(seq)
        ys.append(int(counts.argmax()))
    return TensorDataset(torch.stack(xs), torch.tensor(ys))


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.ndim < 2 or "norm" in name or name.startswith(("tok.", "pos.")):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def warmup_rsqrt(warmup_steps):
    def lr_lambda(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return math.sqrt(warmup_steps // (step + 1))

    return lr_lambda


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup-steps", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(make_data(2000, g), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_data(600, g), batch_size=300)

    model = MarkerTransformer()
    optimizer = torch.optim.AdamW(param_groups(model, 0.05), lr=args.lr, betas=(0.9, 0.98))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_rsqrt(args.warmup_steps))

    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for tokens, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(tokens), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            total += loss.item() * len(labels)
            n += len(labels)
            if step % 25 == 0:
                print(f"  step {step:4d}  loss {loss.item():.4f}  lr {scheduler.get_last_lr()[0]:.2e}")
        model.eval()
        val_loss, correct, m = 0.0, 0, 0
        with torch.no_grad():
            for tokens, labels in val_loader:
                logits = model(tokens)
                val_loss += F.cross_entropy(logits, labels, reduction="sum").item()
                correct += (logits.argmax(-1) == labels).sum().item()
                m += len(labels)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss / m:.4f} val_acc={correct / m:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss / m:.4f} val_acc={correct / m:.4f}")


if __name__ == "__main__":
    main()
