"""Healthy: a tiny GPT-2 causal language model built from a `GPT2Config`, trained on synthetic text.

The "text" is sequences of 24 tokens from a vocabulary of 32: each is an arithmetic progression
modulo 32 with a random start and a random step in 1..5, so after two tokens the rest is
determined. The model is `GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=64, ...))` (no download),
called as `model(input_ids=..., labels=...)` and trained on its own `.loss` (the shift-by-one
next-token loss). Batches are dicts. AdamW with the usual no-decay group for biases and LayerNorm
weights, `torch.optim.lr_scheduler.LinearLR` decay per step, gradient-norm clipping. Validation
reports the loss and the accuracy of the next token from position 2 on (which is learnable).
"""

import argparse

import torch
from torch.utils.data import DataLoader, Dataset
from transformers import GPT2Config, GPT2LMHeadModel

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "GPT2LMHeadModel", "optimizer": "AdamW", "loss": None, "val_loader": True}

VOCAB, SEQ = 32, 24


class Progressions(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        start = torch.randint(0, VOCAB, (n, 1), generator=g)
        step = torch.randint(1, 6, (n, 1), generator=g)
        self.ids = (start + step * torch.arange(SEQ)) % VOCAB

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i]}


def collate(samples):
    ids = torch.stack([s["input_ids"] for s in samples])
    return {"input_ids": ids, "labels": ids.clone()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_loader = DataLoader(
        Progressions(1600, args.seed), batch_size=args.batch_size, shuffle=True, collate_fn=collate
    )
    val_loader = DataLoader(Progressions(320, args.seed + 1), batch_size=160, collate_fn=collate)

    config = GPT2Config(
        vocab_size=VOCAB,
        n_positions=SEQ,
        n_embd=64,
        n_layer=2,
        n_head=4,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    model = GPT2LMHeadModel(config)
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "ln_" in n]
    decay = [p for n, p in model.named_parameters() if not (p.ndim < 2 or "ln_" in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr
    )
    total_steps = args.epochs * len(train_loader)
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=total_steps)

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
            total += loss.item()
            n += 1
        model.eval()
        val_loss, correct, m = 0.0, 0, 0
        with torch.no_grad():
            for batch in val_loader:
                out = model(**batch)
                val_loss += out.loss.item()
                pred = out.logits[:, 1:-1].argmax(-1)  # predictions for positions 2..SEQ-1
                correct += (pred == batch["input_ids"][:, 2:]).sum().item()
                m += pred.numel()
        val_loss /= len(val_loader)
        print(f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={correct / m:.4f}")
    print(f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_acc={correct / m:.4f}")


if __name__ == "__main__":
    main()
