"""Healthy: a tiny nn.TransformerEncoder sequence classifier trained with AdamW.

Source: the PyTorch tutorial "Language Modeling with nn.Transformer and torchtext"
(https://pytorch.org/tutorials/beginner/transformer_tutorial.html, as reused in
https://huggingface.co/spaces/NirajanBekoju/Nepali-Text-Generation-Model/blob/main/model.py),
found with the `docs` search: Embedding scaled by sqrt(d_model), sinusoidal PositionalEncoding,
TransformerEncoder(TransformerEncoderLayer(d_model, nhead, d_hid, dropout)), a Linear decoder,
`init_weights` with uniform(-0.1, 0.1).

Setup: the tutorial's encoder stack shrunk (d_model 32, 2 heads, d_hid 64, 2 layers, dropout 0.1,
batch_first) with mean pooling and a Linear head for 4-way sequence classification; token
sequences (vocabulary 50, length 16) whose class is set by which keyword pair occurs;
CrossEntropyLoss; AdamW lr 1e-3 weight_decay 0.01; batch 32.

Why healthy: standard pre-built encoder layers, dropout only in train mode, logits into
cross-entropy, AdamW with its usual decoupled weight decay.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 6 epochs.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/tutorials/beginner/transformer_tutorial.html",
    "kind": "healthy",
    "bug": "healthy: tiny TransformerEncoder classifier (tutorial encoder stack, AdamW lr 1e-3 wd 0.01)",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH, CLASSES, D = 50, 16, 4, 32


class PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, max_len: int = 64) -> None:
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[: x.size(1)]


class TransformerClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, D)
        self.pos = PositionalEncoding(D)
        layer = nn.TransformerEncoderLayer(D, 2, 64, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(D, CLASSES)
        self.embedding.weight.data.uniform_(-0.1, 0.1)

    def forward(self, tokens):
        h = self.encoder(self.pos(self.embedding(tokens) * math.sqrt(D)))
        return self.head(h.mean(1))


def _sequences(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    tokens = torch.randint(8, VOCAB, (n, LENGTH), generator=g)
    pos = torch.rand(n, LENGTH, generator=g).argsort(1)[:, :2]
    tokens.scatter_(1, pos, torch.stack([y * 2, y * 2 + 1], 1))
    return tokens, y


def build_model() -> nn.Module:
    return TransformerClassifier()


def build_data():
    x, y = _sequences(2000, 1)
    xv, yv = _sequences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.8}
