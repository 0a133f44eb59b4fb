"""Healthy: an LSTM that reads token sequences and names the marker token that occurs most often.

Sequences of 24 tokens over a 12-token vocabulary; tokens 1, 2 and 3 are markers and the label is
the marker with the most occurrences (the rest are filler). An embedding, a one-layer LSTM, and a
linear head on the last hidden state. AdamW with OneCycleLR, which is a per-batch schedule and is
stepped after every optimizer step (its total_steps = epochs * batches per epoch). Gradient norm
clipping at 1.0, as LSTM scripts usually do.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
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
    parser.add_argument("--lr", type=float, default=1e-2, help="OneCycle peak LR")
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
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=len(train_loader)
    )

    for epoch in range(args.epochs):
        model.train()
        loss_sum = n = 0
        for tokens, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            scheduler.step()  # OneCycleLR is a per-batch schedule
            loss_sum += loss.item() * labels.numel()
            n += labels.numel()
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
