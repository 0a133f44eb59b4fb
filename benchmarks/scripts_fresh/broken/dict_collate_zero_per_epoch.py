"""Broken (ND501): `optimizer.zero_grad(set_to_none=False)` sits above the batch loop.

Twin of healthy/dict_collate_lambda.py with one change: the `zero_grad` call was moved one
indentation level out, to the top of the epoch, so gradients are cleared once per epoch and
every step inside the epoch uses the sum of all gradients of the epoch so far. AdamW's
normalization hides the growing magnitude, but the direction is a running sum of stale
gradients (heavy, momentum-like), so training is slower and noisier than the twin.

How it shows: lower validation accuracy and a higher training loss than the twin at every
epoch (compare the final lines).

Public reports: heartcored98/Standalone-DeepLearning#11 (zero_grad() called once per epoch in
the lab notebooks; the maintainer fixed it in several labs), salesforce/corr_based_prediction#1
("the zero_grad is outside the training stage, the gradients will be accumulated"),
speedinghzl/Pytorch-Deeplab#30 ("Zero_grad only once?").

Which id: ND501 (gradients kept across steps).
"""

import argparse

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES = {"ND501": "warn"}
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
        optimizer.zero_grad(set_to_none=False)  # BUG: once per epoch, not once per batch
        for batch in train_loader:
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
