"""Healthy: `IterableDataset` stream, dict collate, model computing its own loss, generator step function.

Each sample is 16 tokens from a vocabulary of 60; a hidden score per token (seeded) sums to
the label: 1 when the sequence's total is positive. The training stream is a
`torch.utils.data.IterableDataset` that draws fresh samples every epoch from a generator seeded
with (seed, epoch) via `set_epoch`; the validation stream is the same class with a fixed seed.
A `collate_fn` stacks samples into a dict `{"input_ids", "labels"}` and the model is called as
`model(**batch)`; like a HuggingFace model it returns a dict with `loss` and `logits`. The
training pass is a generator, `train_steps(model, loader, optimizer)`, that yields the loss
after each optimizer step; the epoch loop consumes it and prints. Adam,
`ReduceLROnPlateau(factor=0.5, patience=1)` stepped with the validation loss once per epoch.
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "StreamClassifier", "optimizer": "Adam", "loss": None, "val_loader": True}

VOCAB, LENGTH = 60, 16


class TokenStream(IterableDataset):
    def __init__(self, token_scores, n_samples, seed):
        self.token_scores = token_scores
        self.n_samples = n_samples
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __iter__(self):
        gen = torch.Generator().manual_seed(self.seed * 1000 + self.epoch)
        for _ in range(self.n_samples):
            tokens = torch.randint(0, VOCAB, (LENGTH,), generator=gen)
            label = int(self.token_scores[tokens].sum() > 0)
            yield tokens, label


def collate(samples):
    return {
        "input_ids": torch.stack([tokens for tokens, _ in samples]),
        "labels": torch.tensor([label for _, label in samples], dtype=torch.long),
    }


class StreamClassifier(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, 2))

    def forward(self, input_ids, labels=None):
        logits = self.mlp(self.embed(input_ids).mean(1))
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = F.cross_entropy(logits, labels)
        return out


def train_steps(model, loader, optimizer):
    model.train()
    for batch in loader:
        optimizer.zero_grad()
        loss = model(**batch)["loss"]
        loss.backward()
        optimizer.step()
        yield loss.item()


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for batch in loader:
        out = model(**batch)
        k = len(batch["labels"])
        total += out["loss"].item() * k
        correct += (out["logits"].argmax(1) == batch["labels"]).sum().item()
        n += k
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    token_scores = torch.randn(VOCAB)
    train_stream = TokenStream(token_scores, 3200, seed=args.seed + 1)
    val_stream = TokenStream(token_scores, 800, seed=args.seed + 2)
    train_loader = DataLoader(train_stream, batch_size=args.batch_size, collate_fn=collate)
    val_loader = DataLoader(val_stream, batch_size=400, collate_fn=collate)

    model = StreamClassifier(VOCAB, 64)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)

    for epoch in range(1, args.epochs + 1):
        train_stream.set_epoch(epoch)
        losses = []
        for i, loss in enumerate(train_steps(model, train_loader, optimizer)):
            losses.append(loss)
            if i % 25 == 0:
                print(f"  epoch {epoch} batch {i} loss {loss:.4f}")
        val_loss, val_acc = evaluate(model, val_loader)
        scheduler.step(val_loss)
        train_loss = sum(losses) / len(losses)
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"lr={optimizer.param_groups[0]['lr']:.2e}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
