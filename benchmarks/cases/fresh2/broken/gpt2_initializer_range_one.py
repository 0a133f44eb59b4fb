"""Broken: a small GPT-2 language model built with initializer_range=1.0 instead of 0.02: every
embedding and projection starts 50x too large.

Source: young-geng/EasyLM issue #114 "Unusual Initializer Range default"
(https://github.com/young-geng/EasyLM/issues/114), found with the `issues` search
"initializer_range too large GPT2 config loss huge at start": "I spent days wondering what was
weird about training before I found the default init value is 1.0. I think a suitable value would
be 0.02"; the maintainer fixed it ("the correct initialization range should be relative to the
model size").

Bug: with std 1.0 the token embeddings (tied to the output head), position embeddings and every
attention/MLP projection are far too large: the attention logits and the output logits start
huge, the initial next-token loss is many times ln(vocab), and the softmaxes are saturated.

Reproduction: transformers' GPT2LMHeadModel from GPT2Config(vocab 32, n_positions 32, n_embd 32,
2 layers, 2 heads, initializer_range=1.0), random init, no download; next-token prediction on
16-token sequences from a fixed random Markov chain; CrossEntropyLoss on the flattened logits;
AdamW lr 1e-3, weight decay 0.01; batch 32. EasyLM is a JAX LLaMA trainer; the mechanism (an init
std of 1.0 where 0.02 is meant) is the same.

Verified (verify.py): after 3 epochs the broken model's next-token accuracy is well below the same
model with initializer_range=0.02 (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import GPT2Config, GPT2LMHeadModel

CASE = {
    "source": "https://github.com/young-geng/EasyLM/issues/114",
    "kind": "broken",
    "bug": "tiny GPT2LMHeadModel built with initializer_range=1.0 (50x the usual 0.02)",
    "expect": {"ND202": "warn", "ND201": "warn"},
    "consequences": ["ND203", "ND402", "ND404"],
}

VOCAB, LENGTH = 32, 16


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    trans = torch.softmax(2.5 * torch.randn(VOCAB, VOCAB, generator=torch.Generator().manual_seed(17)), 1)
    g = torch.Generator().manual_seed(seed)
    seq = torch.zeros(n, LENGTH + 1, dtype=torch.long)
    seq[:, 0] = torch.randint(0, VOCAB, (n,), generator=g)
    for t in range(LENGTH):
        seq[:, t + 1] = torch.multinomial(trans[seq[:, t]], 1, generator=g)[:, 0]
    return seq[:, :-1], seq[:, 1:]


class TinyGPT(nn.Module):
    def __init__(self, initializer_range: float) -> None:
        super().__init__()
        cfg = GPT2Config(
            vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=2, initializer_range=initializer_range
        )
        self.lm = GPT2LMHeadModel(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm(input_ids=ids).logits


def build_model() -> nn.Module:
    return TinyGPT(initializer_range=1.0)


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
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


def fixed_model() -> nn.Module:
    return TinyGPT(initializer_range=0.02)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.1,
}
