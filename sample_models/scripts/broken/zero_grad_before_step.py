"""Broken (ND504, flat curve): optimizer.zero_grad() sits between loss.backward() and optimizer.step().

The healthy twin is healthy/tiny_transformer.py; this copy moves `optimizer.zero_grad()` from
before `loss.backward()` to after it. zero_grad() defaults to set_to_none=True, so at every
optimizer.step() all `.grad` fields are None and AdamW skips every parameter (no update, not even
weight decay). The weights never change from their initial values.

How it shows: a flat curve. The validation loss and accuracy are bit-for-bit the same in every
epoch (the model is the initial model), the training loss only wobbles from dropout and batch
order around ln(2) = 0.69, accuracy stays at chance. There is no NaN, no error, no warning.

Which check: ND504 (unhealthy-training-curve, flat) is the id whose outcome this must reach: a
curve that does not move at all is the symptom every observer sees. The precise cause is visible
one level lower (every param.grad is None, or all zeros with set_to_none=False, at each
optimizer.step() although backward() ran), which the zero_grad observer behind ND501 can report as
"gradients cleared before the step" in the same finding's evidence.

Public reports: cloneofsimo/lora#263 ("the optimizer.zero_grad() is called after loss backward");
patrickloeber/pytorchTutorial#19 asks how the step can work when zero_grad() moves next to
backward(); rll/deepul#12 reports a model that "fails to learn anything" after moving zero_grad().
"""

import argparse
import math
import time

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND504": "warn"}
EXPECT_CAPTURE = {"model": "OrderTransformer", "optimizer": "AdamW", "loss": "F.cross_entropy", "val_loader": True}

SEQ_LEN, VOCAB, TOKEN_A, TOKEN_B = 16, 10, 1, 2


def make_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(3, VOCAB, (n, SEQ_LEN), generator=g)
    pos = torch.stack([torch.randperm(SEQ_LEN, generator=g)[:2] for _ in range(n)])
    rows = torch.arange(n)
    tokens[rows, pos[:, 0]] = TOKEN_A
    tokens[rows, pos[:, 1]] = TOKEN_B
    labels = (pos[:, 0] < pos[:, 1]).long()
    return TensorDataset(tokens, labels)


class OrderTransformer(nn.Module):
    def __init__(self, vocab=VOCAB, seq_len=SEQ_LEN, d_model=32, nhead=4, layers=2, num_classes=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(seq_len, d_model) * 0.5)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=64, dropout=0.1, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, tokens):
        h = self.encoder(self.tok(tokens) + self.pos)
        return self.head(self.norm(h).mean(dim=1))


def run_validation(model, loader):
    model.eval()
    losses, hits, n = 0.0, 0, 0
    with torch.no_grad():
        for tokens, labels in loader:
            logits = model(tokens)
            losses += F.cross_entropy(logits, labels, reduction="sum").item()
            hits += (logits.argmax(-1) == labels).sum().item()
            n += len(labels)
    return losses / n, hits / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup-steps", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", default="")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(make_split(3000, args.seed), batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(make_split(1000, args.seed + 7), batch_size=200, shuffle=False)

    model = OrderTransformer()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        schedulers=[
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=args.warmup_steps),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - args.warmup_steps),
        ],
        milestones=[args.warmup_steps],
    )
    print(f"{sum(p.numel() for p in model.parameters())} parameters, {total_steps} steps")

    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0, epoch_loss = time.time(), 0.0
        for tokens, labels in train_loader:
            logits = model(tokens)
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
            scheduler.step()
            step += 1
            epoch_loss += loss.item()
        train_loss = epoch_loss / len(train_loader)
        if not math.isfinite(train_loss):
            raise SystemExit(f"non-finite loss at epoch {epoch}")
        val_loss, val_acc = run_validation(model, val_loader)
        print(
            f"epoch {epoch} step {step} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"lr={optimizer.param_groups[0]['lr']:.2e} [{time.time() - t0:.1f}s]"
        )

    val_loss, val_acc = run_validation(model, val_loader)
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
