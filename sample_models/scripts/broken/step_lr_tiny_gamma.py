"""Broken (ND502): StepLR(step_size=1, gamma=0.01) multiplies the LR by 0.01 after every epoch.

The healthy twin is healthy/lstm_sequence.py (OneCycleLR). Here the author wanted "decay the LR by 1%
per epoch" and wrote gamma=0.01, but gamma is the factor the LR is multiplied by, not the amount
taken off (that would be gamma=0.99). Stepped correctly once per epoch, the LR goes 3e-3 -> 3e-5 ->
3e-7 -> ...: after epoch 1 training is effectively over.

How it shows: epoch 1 learns (val_acc ~0.81), epoch 2 a little more on the 3e-5 LR, and from epoch 3
on every number is frozen (val_acc ~0.85 where the twin reaches ~0.99); the printed LR drops by
100x per epoch to ~3e-19.

Public reports: hukenovs/hagrid#12 (a step decay "every 3 epochs" instead of 30: "wouldn't the
learning rate become almost negligible?"); hazdzz/stgcn#18 (the maintainers' reply works out
0.95**100 = 0.0059 for the same kind of schedule that decays far sooner than intended).
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND502": "warn"}
EXPECT_CAPTURE = {"model": "MarkerCounter", "optimizer": "AdamW", "loss": "CrossEntropyLoss", "val_loader": True}

VOCAB, MARKERS, SEQ_LEN = 12, (1, 2, 3), 24


def make_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(4, VOCAB, (n, SEQ_LEN), generator=g)
    # sprinkle 0-5 copies of each marker at random positions
    for i in range(n):
        counts = torch.randint(0, 6, (len(MARKERS),), generator=g)
        positions = torch.randperm(SEQ_LEN, generator=g)
        start = 0
        for marker, count in zip(MARKERS, counts.tolist(), strict=True):
            tokens[i, positions[start : start + count]] = marker
            start += count
    counts = torch.stack([(tokens == m).sum(1) for m in MARKERS], dim=1)
    labels = counts.argmax(1)  # ties go to the lowest marker
    return TensorDataset(tokens, labels)


class MarkerCounter(nn.Module):
    def __init__(self, vocab=VOCAB, embed=16, hidden=48, num_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, tokens):
        _, (h_n, _) = self.lstm(self.embed(tokens))
        return self.head(h_n[-1])


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    loss_sum = correct = n = 0
    for tokens, labels in loader:
        logits = model(tokens)
        loss_sum += criterion(logits, labels).item() * labels.numel()
        correct += (logits.argmax(-1) == labels).sum().item()
        n += labels.numel()
    return loss_sum / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-2)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(make_split(3000, seed=args.seed), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_split(1000, seed=args.seed + 1), batch_size=250)

    model = MarkerCounter()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    # decay the LR by 1% per epoch
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.01)

    for epoch in range(args.epochs):
        model.train()
        loss_sum = n = 0
        for tokens, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            loss_sum += loss.item() * labels.numel()
            n += labels.numel()
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(
            f"epoch {epoch + 1:2d} train_loss={loss_sum / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"lr={scheduler.get_last_lr()[0]:.2e}"
        )

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={loss_sum / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
