"""Healthy: nn.Transformer encoder-decoder (batch_first=True) with a causal target mask and
teacher forcing, learning a token-mapping-and-reversal task.

Source: the torch.nn.Transformer reference
(https://pytorch.org/docs/stable/generated/torch.nn.Transformer.html), found with the `issues`
search "nn.TransformerEncoder batch_first False input shape batch seq mixing samples" (the
batch_first threads point to it): Transformer(d_model, nhead, num_encoder_layers,
num_decoder_layers, dim_feedforward, dropout, batch_first=True) called as
transformer(src, tgt, tgt_mask=Transformer.generate_square_subsequent_mask(T)).

Setup: source sequences of 10 tokens (vocabulary 12); the target is the source reversed with
every token shifted by 3 (mod 12); token embeddings + learned positions (std 1), d_model 32, 4
heads, 2 + 2 layers, feed-forward 64, dropout 0.1; decoder input = BOS + target shifted right,
causal tgt_mask; Linear to 12 logits; CrossEntropyLoss over the flattened tokens; AdamW lr 1e-3
weight decay 0.01; batch 32.

Why healthy: batch_first matches the [B, T, E] data, the causal mask keeps each target position
from seeing later ones, logits into CrossEntropyLoss.

Verified (verify.py): per-token validation accuracy well above chance (1/12) after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.Transformer.html",
    "kind": "healthy",
    "bug": "healthy: nn.Transformer encoder-decoder, batch_first, causal tgt_mask, teacher forcing, AdamW",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH, BOS = 12, 10, 12


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    return x, (x.flip(1) + 3) % VOCAB


class Translator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(VOCAB, 32)
        self.tgt_embed = nn.Embedding(VOCAB + 1, 32)
        self.src_pos = nn.Parameter(torch.randn(LENGTH, 32))
        self.tgt_pos = nn.Parameter(torch.randn(LENGTH, 32))
        self.transformer = nn.Transformer(32, 4, 2, 2, 64, dropout=0.1, batch_first=True)
        self.out = nn.Linear(32, VOCAB)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        bos = torch.full((len(tgt), 1), BOS, dtype=torch.long)
        dec_in = torch.cat([bos, tgt[:, :-1]], 1)
        mask = nn.Transformer.generate_square_subsequent_mask(LENGTH)
        h = self.transformer(
            self.src_embed(src) + self.src_pos, self.tgt_embed(dec_in) + self.tgt_pos, tgt_mask=mask, tgt_is_causal=True
        )
        return self.out(h)


def build_model() -> nn.Module:
    return Translator()


def build_data():
    x, y = _pairs(3000, 1)
    xv, yv = _pairs(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=250)


def forward(model, batch):
    src, tgt = batch
    return model(src, tgt).flatten(0, 1), tgt.flatten()


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.5}
