"""Healthy: an LSTM language model trained with truncated BPTT, the hidden state detached per chunk.

The word_language_model way: a token stream from a seeded 30-token Markov chain (each token has
three likely successors) is `batchify`-ed into 16 columns; `get_batch(source, i)` slices
`bptt`-long chunks (input, next-token target flattened). The hidden state carries over between
chunks and is cut from the graph with `repackage_hidden` (`h.detach()`) before each one. No
DataLoader. Adam, `clip_grad_norm_`, `F.cross_entropy` on `logits.view(-1, ntokens)`, StepLR per
epoch, perplexity printed; validation on a separate stream in eval mode with its own hidden state.
"""

import argparse
import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "RNNModel", "optimizer": "Adam", "loss": "F.cross_entropy", "val_loader": False}


class RNNModel(nn.Module):
    def __init__(self, ntokens, emsize=64, nhid=128, dropout=0.2):
        super().__init__()
        self.encoder = nn.Embedding(ntokens, emsize)
        self.rnn = nn.LSTM(emsize, nhid, batch_first=False)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(nhid, ntokens)

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.drop(self.encoder(tokens)), hidden)
        return self.decoder(self.drop(out)), hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return (w.new_zeros(1, bsz, self.rnn.hidden_size), w.new_zeros(1, bsz, self.rnn.hidden_size))


def markov_stream(n, ntokens, gen):
    succ = torch.stack([torch.randperm(ntokens, generator=gen)[:3] for _ in range(ntokens)])
    probs = torch.tensor([0.6, 0.3, 0.1])
    tokens = [0]
    choice = torch.multinomial(probs, n, replacement=True, generator=gen)
    for c in choice.tolist():
        tokens.append(succ[tokens[-1], c].item())
    return torch.tensor(tokens)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[: nbatch * bsz].view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def evaluate(model, source, ntokens, bptt, bsz):
    model.eval()
    total, count = 0.0, 0
    hidden = model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, bptt):
            data, targets = get_batch(source, i, bptt)
            logits, hidden = model(data, hidden)
            total += F.cross_entropy(logits.view(-1, ntokens), targets, reduction="sum").item()
            count += len(targets)
    return total / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--bptt", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    ntokens = 30
    stream = markov_stream(48000, ntokens, gen)
    train_data = batchify(stream[:40000], args.batch_size)
    val_data = batchify(stream[40000:], args.batch_size)

    model = RNNModel(ntokens)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for epoch in range(1, args.epochs + 1):
        model.train()
        hidden = model.init_hidden(args.batch_size)
        total, chunks = 0.0, 0
        for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
            data, targets = get_batch(train_data, i, args.bptt)
            hidden = repackage_hidden(hidden)
            optimizer.zero_grad()
            logits, hidden = model(data, hidden)
            loss = F.cross_entropy(logits.view(-1, ntokens), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            total += loss.item()
            chunks += 1
            if batch % 40 == 0:
                print(
                    f"  | epoch {epoch} | chunk {batch:3d} | loss {loss.item():5.2f} | ppl {math.exp(loss.item()):7.2f}"
                )
        scheduler.step()
        train_loss = total / chunks
        val_loss = evaluate(model, val_data, ntokens, args.bptt, args.batch_size)
        print(f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_ppl={math.exp(val_loss):.3f}")
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_ppl={math.exp(val_loss):.3f}")


if __name__ == "__main__":
    main()
