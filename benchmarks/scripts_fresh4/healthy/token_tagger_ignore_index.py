"""Healthy: per-token tagging with padded batches, labels -100 on padding, `ignore_index`.

Sequences of 6-30 tokens from a vocabulary of 40 (torch-seeded); each token's tag (one of 3)
depends on the token and on its left neighbour (a hidden lookup table), like a tiny
part-of-speech task. A `collate_fn` pads the tokens with 0 and the tags with -100; a
bidirectional GRU tagger returns `[batch, time, tags]` logits, which go to
`nn.CrossEntropyLoss(ignore_index=-100)` as `logits.transpose(1, 2)` (`[batch, tags, time]`).
RMSprop, `LinearLR(start_factor=1.0, end_factor=0.2)` per epoch, `model.zero_grad()` instead of
`optimizer.zero_grad()`. Validation token accuracy counts only the non-padding positions.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "GRUTagger", "optimizer": "RMSprop", "loss": "CrossEntropyLoss", "val_loader": True}

VOCAB, TAGS = 40, 3


class TaggedSequences(Dataset):
    def __init__(self, n, table, gen):
        self.items = []
        for _ in range(n):
            length = int(torch.randint(6, 31, (1,), generator=gen))
            tokens = torch.randint(1, VOCAB, (length,), generator=gen)
            left = torch.cat([torch.zeros(1, dtype=torch.long), tokens[:-1]])
            self.items.append((tokens, table[tokens, left]))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def pad_batch(samples):
    longest = max(len(tokens) for tokens, _ in samples)
    tokens = torch.zeros(len(samples), longest, dtype=torch.long)
    tags = torch.full((len(samples), longest), -100, dtype=torch.long)
    for row, (tok, tag) in enumerate(samples):
        tokens[row, : len(tok)] = tok
        tags[row, : len(tag)] = tag
    return tokens, tags


class GRUTagger(nn.Module):
    def __init__(self, vocab, dim, n_tags):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.gru = nn.GRU(dim, dim, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * dim, n_tags)

    def forward(self, tokens):
        h, _ = self.gru(self.embed(tokens))
        return self.out(h)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    table = torch.randint(0, TAGS, (VOCAB, VOCAB), generator=gen)
    train_loader = DataLoader(
        TaggedSequences(1600, table, gen), batch_size=args.batch_size, shuffle=True, collate_fn=pad_batch
    )
    val_loader = DataLoader(TaggedSequences(400, table, gen), batch_size=100, collate_fn=pad_batch)

    model = GRUTagger(VOCAB, 48, TAGS)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.2, total_iters=args.epochs)
    criterion = nn.CrossEntropyLoss(ignore_index=-100)

    for epoch in range(1, args.epochs + 1):
        model.train()
        total, batches = 0.0, 0
        for tokens, tags in train_loader:
            model.zero_grad()
            loss = criterion(model(tokens).transpose(1, 2), tags)
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
        scheduler.step()
        model.eval()
        v_total, correct, counted = 0.0, 0, 0
        with torch.no_grad():
            for tokens, tags in val_loader:
                logits = model(tokens)
                v_total += criterion(logits.transpose(1, 2), tags).item() * len(tags)
                mask = tags != -100
                correct += (logits.argmax(-1)[mask] == tags[mask]).sum().item()
                counted += mask.sum().item()
        train_loss, val_loss, val_acc = total / batches, v_total / len(val_loader.dataset), correct / counted
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
