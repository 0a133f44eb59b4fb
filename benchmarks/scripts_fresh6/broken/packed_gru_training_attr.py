"""Broken: the mode helper sets `model.training = flag` instead of calling `model.train(flag)`.

Twin of `healthy/packed_gru_mode_helper.py` with one change in `set_training`. Assigning the
attribute changes only the top-level module's flag; the BatchNorm1d and Dropout inside the head
keep `training=True` forever (nothing ever calls `.eval()`), so validation runs with dropout on and
with batch statistics, and every validation batch updates the BatchNorm running averages. Training
itself is unchanged in mode (it was in train mode anyway). Shows in the printed numbers: epoch 1
train_loss identical to the twin (0.5953), val_loss already different (0.2244 vs 0.2248), from
epoch 2 on both differ (the validation consumed dropout random numbers and moved the running
stats); final val_loss 0.0178 vs 0.0127. A probe copy
(`/tmp/sf6_probe_packed_gru_training_attr.py`, not part of the set) evaluates the final weights
twice more: val_loss 0.0184 and 0.0157, the BatchNorm running mean changed by validation, head
Dropout `training=True` while `model.training` is False (twin: 0.0127 and 0.0127, running mean
unchanged).
Check: ND508 (validation runs in training mode).
Public reports: https://github.com/meta-pytorch/torchrec/pull/2464 (setting self.training=False
has to reach every sub-module) and https://github.com/roytseng-tw/Detectron.pytorch/issues/104
(a train() override that sets self.training = mode and leaves batch norm layers in training mode).
"""

import argparse

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

FIRES = {"ND508": "warn"}
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
    model.training = flag


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
