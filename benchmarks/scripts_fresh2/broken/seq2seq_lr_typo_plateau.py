"""Broken (ND504): the default learning rate is 6e-6 (meant 6e-3): the loss plateaus at chance.

Twin of healthy/seq2seq_teacher_forcing.py with one change: `--lr` defaults to 6e-6, an
exponent typo. Adam moves every weight by about 6e-6 per step, about 1.5e-3 over the whole run,
so the training loss sits at ln(10) = 2.303 (chance over 10 digits) for all 8 epochs.

How it shows (default arguments): train_loss 2.3188 in epoch 1, 2.3133 at the end (-0.24%);
val_tok_acc 0.0867 (chance 0.1; twin 0.7738).

Which id: ND504 (flat training loss).
"""

import argparse
import os
import random
import tempfile

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND504": "warn"}
EXPECT_CAPTURE = {"model": "Seq2Seq", "optimizer": "Adam", "loss": "CrossEntropyLoss", "val_loader": True}

VOCAB, BOS, LENGTH = 10, 10, 7


class Seq2Seq(nn.Module):
    def __init__(self, hidden=96):
        super().__init__()
        self.src_emb = nn.Embedding(VOCAB, 32)
        self.tgt_emb = nn.Embedding(VOCAB + 1, 32)
        self.encoder = nn.GRU(32, hidden, batch_first=True)
        self.decoder = nn.GRU(32, hidden, batch_first=True)
        self.out = nn.Linear(hidden, VOCAB)

    def forward(self, src, tgt=None, teacher_forcing=0.0):
        _, h = self.encoder(self.src_emb(src))
        token = torch.full((src.size(0), 1), BOS, dtype=torch.long)
        logits = []
        for t in range(LENGTH):
            step_out, h = self.decoder(self.tgt_emb(token), h)
            step_logits = self.out(step_out)
            logits.append(step_logits)
            if tgt is not None and teacher_forcing > 0 and random.random() < teacher_forcing:
                token = tgt[:, t : t + 1]
            else:
                token = step_logits.argmax(-1)
        return torch.cat(logits, dim=1)


def make_data(n, g):
    src = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    return TensorDataset(src, src.flip(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=80)
    parser.add_argument("--lr", type=float, default=6e-6)
    parser.add_argument("--teacher-forcing", type=float, default=0.5)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--ckpt-dir", default=os.path.join(tempfile.gettempdir(), "seq2seq_ckpt"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(make_data(2400, g), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(make_data(600, g), batch_size=300)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(args.ckpt_dir, "best.pt")

    model = Seq2Seq()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)

    best, bad_epochs = float("inf"), 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, n = 0.0, 0
        for src, tgt in train_loader:
            logits = model(src, tgt, teacher_forcing=args.teacher_forcing)
            loss = criterion(logits.reshape(-1, VOCAB), tgt.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            total += loss.item() * len(src)
            n += len(src)
        scheduler.step()

        model.eval()
        val_loss, tok, seq, m = 0.0, 0, 0, 0
        with torch.no_grad():
            for src, tgt in val_loader:
                logits = model(src)
                val_loss += criterion(logits.reshape(-1, VOCAB), tgt.reshape(-1)).item() * len(src)
                pred = logits.argmax(-1)
                tok += (pred == tgt).float().mean(1).sum().item()
                seq += (pred == tgt).all(1).sum().item()
                m += len(src)
        val_loss /= m
        print(
            f"epoch {epoch} train_loss={total / n:.4f} val_loss={val_loss:.4f} val_tok_acc={tok / m:.4f} val_seq_acc={seq / m:.4f}"
        )
        if val_loss < best - 1e-4:
            best, bad_epochs = val_loss, 0
            torch.save({"epoch": epoch, "model": model.state_dict()}, ckpt_path)
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                print(f"early stopping at epoch {epoch} (best val_loss {best:.4f})")
                break
    print(
        f"final train_loss={total / n:.4f} val_loss={val_loss:.4f} val_tok_acc={tok / m:.4f} val_seq_acc={seq / m:.4f}"
    )


if __name__ == "__main__":
    main()
