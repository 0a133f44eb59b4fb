"""Broken (ND510): a HuggingFace-style loop, `model(**batch)`, trains on one batch fetched once.

The model is written the way `transformers` models are: `forward(input_ids, attention_mask=None,
labels=None)` takes keyword arguments and returns an output object whose `.loss` it computed itself
(cross-entropy inside the model) and whose `.logits` are the class scores. The dataset yields dicts,
the default collate turns them into a dict batch, and the loop calls `model(**batch)`. The bug:
`batch = next(iter(train_loader))` is taken once before the epoch loop (a shape check left in) and
every step trains on those same 32 sequences.

How it shows: the training loss falls to ~0 within a few epochs while the validation loss rises
and validation accuracy stays far below a run over the whole loader. Every optimizer step sees
identical inputs, passed as keyword arguments (so a hook that reads only positional arguments
sees nothing).

Public reports: the same bug as broken/same_batch_every_step.py (its docstring lists three GitHub
issues), written here with keyword inputs as HuggingFace-style code passes them.
"""

import argparse
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES = {"ND510": "warn"}
EXPECT_CAPTURE = {"model": "TinyTextClassifier", "optimizer": "AdamW", "loss": None, "val_loader": True}

VOCAB, SEQ_LEN, NUM_CLASSES = 32, 16, 2


class PairDataset(Dataset):
    """Label 1 when token 3 occurs more often than token 4 (dict samples, as a tokenizer gives)."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(3, VOCAB, (n, SEQ_LEN), generator=g)
        self.labels = ((self.ids == 3).sum(1) > (self.ids == 4).sum(1)).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(SEQ_LEN), "labels": self.labels[i]}


@dataclass
class ClassifierOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor


class TinyTextClassifier(nn.Module):
    def __init__(self, vocab=VOCAB, dim=32, num_classes=NUM_CLASSES):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.hidden = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, input_ids, attention_mask=None, labels=None):
        h = self.embed(input_ids)
        if attention_mask is not None:
            h = h * attention_mask.unsqueeze(-1)
        logits = self.head(torch.tanh(self.hidden(h.mean(1))))
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(loss=loss, logits=logits)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    loss_sum = correct = n = 0
    for batch in loader:
        out = model(**batch)
        loss_sum += out.loss.item() * len(batch["labels"])
        correct += (out.logits.argmax(-1) == batch["labels"]).sum().item()
        n += len(batch["labels"])
    return loss_sum / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(PairDataset(1024, seed=args.seed), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(PairDataset(512, seed=args.seed + 1), batch_size=128)
    model = TinyTextClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)

    batch = next(iter(train_loader))  # the bug: fetched once, reused at every step
    for epoch in range(1, args.epochs + 1):
        model.train()
        running = 0.0
        for _ in range(len(train_loader)):
            optimizer.zero_grad()
            out = model(**batch)
            out.loss.backward()
            optimizer.step()
            running += out.loss.item()
        val_loss, val_acc = evaluate(model, val_loader)
        print(
            f"epoch {epoch} train_loss={running / len(train_loader):.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}"
        )

    val_loss, val_acc = evaluate(model, val_loader)
    print(f"final train_loss={running / len(train_loader):.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
