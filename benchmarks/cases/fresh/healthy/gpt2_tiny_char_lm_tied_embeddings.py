"""Healthy: a tiny GPT-2 (GPT2Config, no download) language model with tied input/output embeddings.

Source: karpathy/nanoGPT (https://github.com/karpathy/nanoGPT), found with the `docs` search
"GPT2LMHeadModel tie_word_embeddings small config train from scratch"; nanoGPT trains GPT-2 from
scratch with weight tying (`self.transformer.wte.weight = self.lm_head.weight`), AdamW and
next-token cross-entropy. transformers' GPT2LMHeadModel ties the same two matrices by default.

Setup: GPT2LMHeadModel(GPT2Config(vocab 32, 32 positions, n_embd 32, 2 layers, 2 heads)),
randomly initialized, wrapped to return logits; sequences of 16 symbols from a fixed random
first-order Markov chain (peaked transitions); the recipe's forward flattens logits [B*T, V] and
the next-token targets [B*T]; CrossEntropyLoss; AdamW lr 1e-3 weight_decay 0.1; batch 32.

Why it looks suspicious but is healthy: the lm_head has no parameter of its own (it is the
embedding matrix), the loss cannot reach zero (the chain is stochastic), and the targets are the
inputs shifted by one, as they must be.

Verified (verify.py): next-token accuracy on held-out sequences far above chance (1/32) after
3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import GPT2Config, GPT2LMHeadModel

CASE = {
    "source": "https://github.com/karpathy/nanoGPT",
    "kind": "healthy",
    "bug": "healthy: tiny GPT2LMHeadModel (tied embeddings) next-token LM on a Markov chain, AdamW wd 0.1",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 32, 16


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    trans = torch.softmax(3 * torch.randn(VOCAB, VOCAB, generator=torch.Generator().manual_seed(91)), 1)
    g = torch.Generator().manual_seed(seed)
    seq = torch.zeros(n, LENGTH + 1, dtype=torch.long)
    seq[:, 0] = torch.randint(0, VOCAB, (n,), generator=g)
    for t in range(LENGTH):
        seq[:, t + 1] = torch.multinomial(trans[seq[:, t]], 1, generator=g)[:, 0]
    return seq[:, :-1], seq[:, 1:]


class TinyGPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=2)
        self.lm = GPT2LMHeadModel(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm(input_ids=ids).logits


def build_model() -> nn.Module:
    return TinyGPT()


def build_data():
    x, y = _sequences(1500, 1)
    xv, yv = _sequences(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=150)


def forward(model, batch):
    x, y = batch
    return model(x).flatten(0, 1), y.flatten()


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.3}
