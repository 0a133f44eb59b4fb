"""Healthy: packed GRU over padded token sequences, a `set_training(model, flag)` mode helper.

Sequences of 6-30 tokens from a 20-token vocabulary; the label (3 classes) is which of the tokens
1, 2, 3 occurs most often, ties broken by the lower token. A custom `collate_fn` pads each batch
to its longest sequence and returns the lengths; the model embeds, packs with
`pack_padded_sequence(..., enforce_sorted=False)`, runs a GRU and classifies the last hidden state
through a head with BatchNorm1d and Dropout. A small helper `set_training(model, flag)` switches
the mode (`model.train(flag)`) before the training and the validation pass. AdamW with StepLR per
epoch, CrossEntropyLoss, validation under `torch.no_grad()`. Prints one `epoch ...` line per
epoch and a `final ...` line.
Reference for what the mode switch has to reach (every submodule's own `training` flag):
https://github.com/meta-pytorch/torchrec/pull/2464
"""

import argparse

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "PackedGRUClassifier", "optimizer": "AdamW", "loss": "CrossEntropyLoss", "val_loader": True}

VOCAB, N_CLASSES = 20, 3


class TokenCounts(Dataset):
    def __init__(self, n, gen):
        self.seqs, self.labels = [], []
        for _ in range(n):
            length = int(torch.randint(6, 31, (1,), generator=gen))
            seq = torch.randint(1, VOCAB, (length,), generator=gen)
            counts = torch.stack([(seq == t).sum() for t in (1, 2, 3)])
            self.seqs.append(seq)
            self.labels.append(int(counts.argmax()))

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        return self.seqs[i], self.labels[i]


def pad_collate(batch):
    seqs, labels = zip(*batch, strict=True)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(list(seqs), batch_first=True, padding_value=0), lengths, torch.tensor(labels)


class PackedGRUClassifier(nn.Module):
    def __init__(self, emb=32, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, emb, padding_idx=0)
        self.gru = nn.GRU(emb, hidden, batch_first=True)
        self.head = nn.Sequential(
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.3), nn.Linear(hidden, N_CLASSES)
        )

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.head(h[-1])


def set_training(model, flag):
    model.train(flag)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    train_set, val_set = TokenCounts(4000, gen), TokenCounts(1000, gen)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, collate_fn=pad_collate)
    val_loader = DataLoader(val_set, batch_size=250, collate_fn=pad_collate)

    model = PackedGRUClassifier()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

    for epoch in range(1, args.epochs + 1):
        set_training(model, True)
        total, n = 0.0, 0
        for tokens, lengths, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens, lengths), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            n += len(labels)
        scheduler.step()
        train_loss = total / n

        set_training(model, False)
        v_total, correct = 0.0, 0
        with torch.no_grad():
            for tokens, lengths, labels in val_loader:
                out = model(tokens, lengths)
                v_total += criterion(out, labels).item() * len(labels)
                correct += (out.argmax(1) == labels).sum().item()
        val_loss, val_acc = v_total / len(val_set), correct / len(val_set)
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
