"""Healthy: a GRU over variable-length float sequences, padded per batch and packed.

Each sample is a sequence of 3-d sensor readings of length 5 to 40; the label (3 classes) is which
channel has the largest mean. A `collate_fn` pads every batch to its own longest sequence
(`pad_sequence`) and returns the lengths, so every batch has a different shape (B, L, 3); the
model packs them (`pack_padded_sequence`) and classifies from the last hidden state. Adam,
CrossEntropyLoss, gradient clipping, evaluation under eval() / no_grad().

What it tests: statistics accumulated over batches must not assume one shape for all of them;
`nndoctor check` crashed here in the data statistics probe before (issue 10, item 8). Public
report of the pattern: the PyTorch docs of `pack_padded_sequence` / `pad_sequence` describe this
per-batch padding, the standard way to batch sequences of different lengths.
"""

import argparse

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "SequenceGRU", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}


class Readings(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.seqs, self.labels = [], []
        for _ in range(n):
            length = int(torch.randint(5, 41, (1,), generator=g))
            bias = 0.6 * torch.randn(3, generator=g)
            self.seqs.append(torch.randn(length, 3, generator=g) + bias)
            self.labels.append(int(bias.argmax()))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.seqs[i], self.labels[i]


def pad_batch(samples):
    seqs, labels = zip(*samples, strict=True)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(list(seqs), batch_first=True), lengths, torch.tensor(labels)


class SequenceGRU(nn.Module):
    def __init__(self, features=3, hidden=32, num_classes=3):
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h_n = self.gru(packed)
        return self.head(h_n[-1])


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for x, lengths, y in loader:
        logits = model(x, lengths)
        total += criterion(logits, y).item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(Readings(1200, args.seed), batch_size=args.batch_size, shuffle=True, collate_fn=pad_batch)
    val_loader = DataLoader(Readings(400, args.seed + 1), batch_size=100, collate_fn=pad_batch)
    model = SequenceGRU()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for x, lengths, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x, lengths), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += loss.item() * len(y)
            n += len(y)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
