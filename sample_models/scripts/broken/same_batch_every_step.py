"""Broken (ND510): `batch = next(iter(train_loader))` is taken once, before the loop, and reused.

The healthy twin is healthy/lstm_sequence.py. This copy fetches one batch outside the epoch loop
(the way people grab a batch to check shapes, or to "overfit one batch" while debugging, and then
forget) and the inner loop runs `len(train_loader)` steps on that same batch of 64 sequences.

How it shows: the training loss drops to ~2e-4 within three epochs, far below what the twin
reaches, while validation loss climbs from 0.84 to ~2.0 and validation accuracy stuck near 0.72
(the twin: ~0.99). Every optimizer step sees the identical input tensor (same values, same labels).

Public reports: leohsuofnthu/Pytorch-IterativeFCN#7 ("during the whole iteration there is only one
subject used to training" with next(iter(loader))), YichengWu/PhaseCam3D#1 ("the network is being
trained on the same initial batch"), DeepGraphLearning/KnowledgeGraphEmbedding#29 ("in every step
... just chooses the first batch to train").
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND510": "warn"}
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

    batch = next(iter(train_loader))
    for epoch in range(args.epochs):
        model.train()
        loss_sum = n = 0
        for _ in range(len(train_loader)):
            tokens, labels = batch
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
