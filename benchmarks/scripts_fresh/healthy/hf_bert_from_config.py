"""Healthy: a tiny `BertForSequenceClassification` built from a `BertConfig` (no download).

Fixed-length token sequences (16 tokens, vocabulary 40); the label says which of two marker
tokens occurs more often. Batches are dicts (`input_ids`, `attention_mask`, `labels`) from a
`Dataset` subclass; the model computes its own loss (`model(**batch).loss`). AdamW, transformers'
`get_linear_schedule_with_warmup` (a LambdaLR) stepped per batch, gradient clipping, and an
evaluate function decorated with `@torch.no_grad()`.
"""

import argparse

import torch
from torch.utils.data import DataLoader, Dataset
from transformers import BertConfig, BertForSequenceClassification, get_linear_schedule_with_warmup

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "BertForSequenceClassification", "optimizer": "AdamW", "loss": None, "val_loader": True}

VOCAB, LENGTH, MARK_A, MARK_B = 40, 16, 5, 6


class MarkerDocs(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(7, VOCAB, (n, LENGTH), generator=g)
        for i in range(n):
            a, b = torch.randint(0, 5, (2,), generator=g).tolist()
            if a == b:
                a += 1
            pos = torch.randperm(LENGTH, generator=g)
            self.ids[i, pos[:a]] = MARK_A
            self.ids[i, pos[a : a + b]] = MARK_B
        self.labels = ((self.ids == MARK_A).sum(1) > (self.ids == MARK_B).sum(1)).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return {
            "input_ids": self.ids[idx],
            "attention_mask": torch.ones(LENGTH, dtype=torch.long),
            "labels": self.labels[idx],
        }


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    for batch in loader:
        out = model(**batch)
        total += out.loss.item() * len(batch["labels"])
        correct += (out.logits.argmax(-1) == batch["labels"]).sum().item()
        n += len(batch["labels"])
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=LENGTH,
        num_labels=2,
    )
    model = BertForSequenceClassification(config)
    train_loader = DataLoader(MarkerDocs(1600, args.seed), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(MarkerDocs(400, args.seed + 1), batch_size=100)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    total_steps = args.epochs * len(train_loader)
    scheduler = get_linear_schedule_with_warmup(optimizer, args.warmup, total_steps)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for batch in train_loader:
            optimizer.zero_grad()
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch["labels"])
            n += len(batch["labels"])
        val_loss, val_acc = evaluate(model, val_loader)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
