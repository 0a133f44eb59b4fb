"""Healthy: dict samples, a padding collate_fn, an nn.Module loss subclass and a LambdaLR warm-up.

Variable-length token sequences (8-40 tokens over a vocabulary of 60); each of four topics owns
a slice of the vocabulary and a document mostly draws from its topic's slice. The `Dataset`
subclass returns `{"tokens": LongTensor, "label": int}`; `collate_fn` pads to the longest sequence
in the batch and returns a dict with a padding mask. The model mean-pools its embeddings over
the mask. The loss is a `LabelSmoothingLoss(nn.Module)` written by hand; AdamW with a linear
warm-up (LambdaLR stepped per batch) then a constant LR; gradients cleared with
`optimizer.zero_grad(set_to_none=False)`.
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "TopicClassifier", "optimizer": "AdamW", "loss": "LabelSmoothingLoss", "val_loader": True}

VOCAB, TOPICS = 60, 4


class TopicDocs(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.docs, self.labels = [], []
        for _ in range(n):
            topic = int(torch.randint(0, TOPICS, (1,), generator=g))
            length = int(torch.randint(8, 41, (1,), generator=g))
            own = torch.randint(topic * 15, topic * 15 + 15, (length,), generator=g)
            noise = torch.randint(0, VOCAB, (length,), generator=g)
            keep = torch.rand(length, generator=g) < 0.35
            self.docs.append(torch.where(keep, own, noise) + 1)  # 0 is padding
            self.labels.append(topic)

    def __len__(self):
        return len(self.docs)

    def __getitem__(self, idx):
        return {"tokens": self.docs[idx], "label": self.labels[idx]}


def pad_collate(samples):
    longest = max(len(s["tokens"]) for s in samples)
    tokens = torch.zeros(len(samples), longest, dtype=torch.long)
    for i, s in enumerate(samples):
        tokens[i, : len(s["tokens"])] = s["tokens"]
    return {"tokens": tokens, "mask": tokens != 0, "label": torch.tensor([s["label"] for s in samples])}


class TopicClassifier(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.embed = nn.Embedding(VOCAB + 1, dim, padding_idx=0)
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, TOPICS))

    def forward(self, tokens, mask):
        m = mask.unsqueeze(-1).float()
        pooled = (self.embed(tokens) * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(pooled)


class LabelSmoothingLoss(nn.Module):
    def __init__(self, smoothing=0.05):
        super().__init__()
        self.smoothing = smoothing

    def forward(self, logits, target):
        log_probs = F.log_softmax(logits, dim=-1)
        nll = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
        uniform = -log_probs.mean(-1)
        return ((1 - self.smoothing) * nll + self.smoothing * uniform).mean()


def evaluate(model, loader, criterion):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for batch in loader:
            logits = model(batch["tokens"], batch["mask"])
            total += criterion(logits, batch["label"]).item() * len(logits)
            correct += (logits.argmax(1) == batch["label"]).sum().item()
            n += len(logits)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warmup-steps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(
        TopicDocs(1600, args.seed), batch_size=args.batch_size, shuffle=True, collate_fn=pad_collate
    )
    val_loader = DataLoader(TopicDocs(400, args.seed + 1), batch_size=100, collate_fn=pad_collate)
    model = TopicClassifier()
    criterion = LabelSmoothingLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / args.warmup_steps))

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for batch in train_loader:
            optimizer.zero_grad(set_to_none=False)
            logits = model(batch["tokens"], batch["mask"])
            loss = criterion(logits, batch["label"])
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(logits)
            n += len(logits)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
