"""Healthy: a pre-LayerNorm TransformerEncoder (norm_first=True) tagging every token of a sequence.

Source: the PyTorch nn.TransformerEncoderLayer reference
(https://pytorch.org/docs/stable/generated/torch.nn.TransformerEncoderLayer.html), found with the
`docs` search "TransformerEncoderLayer norm_first batch_first token classification"; norm_first
is the pre-LN variant ("layer norm is done prior to attention and feedforward operations").

Setup: a token-tagging task: sequences of 20 tokens over 40 symbols, each token's tag (3 tags)
set by its own symbol, shifted by one when the same symbol occurs elsewhere in the sequence
(a content-based lookup that needs attention); nn.Embedding(40, 32) + learned positions, 2
TransformerEncoderLayer(d_model 32, 4 heads, ff 64, dropout 0.1, batch_first=True,
norm_first=True), final LayerNorm, Linear(32, 3) per token; the recipe's forward flattens logits
to [B*T, 3] and tags to [B*T]; CrossEntropyLoss; AdamW lr 3e-3; batch 32.

Why healthy: every token's logits depend only on its own sequence (attention does not cross the
batch), logits into cross-entropy, the usual pre-LN transformer settings.

Verified (verify.py): held-out tag accuracy far above the majority tag after 8 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/docs/stable/generated/torch.nn.TransformerEncoderLayer.html",
    "kind": "healthy",
    "bug": "healthy: pre-LN TransformerEncoder (norm_first, batch_first) per-token tagger, AdamW",
    "expect": {},
    "consequences": [],
}

SYMBOLS, LENGTH, TAGS = 40, 20, 3


def _tagged(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    table = torch.randint(0, TAGS, (SYMBOLS,), generator=torch.Generator().manual_seed(17))
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, SYMBOLS, (n, LENGTH), generator=g)
    repeated = ((x[:, :, None] == x[:, None, :]).sum(2) > 1).long()
    return x, (table[x] + repeated) % TAGS


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(SYMBOLS, 32)
        self.pos = nn.Parameter(0.02 * torch.randn(LENGTH, 32))
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.1, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(32)
        self.head = nn.Linear(32, TAGS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.encoder(self.embed(x) + self.pos)))


def build_model() -> nn.Module:
    return Tagger()


def build_data():
    x, y = _tagged(2000, 1)
    xv, yv = _tagged(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def forward(model, batch):
    x, y = batch
    return model(x).flatten(0, 1), y.flatten()


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=3e-3)


VERIFY = {"metric": "accuracy", "epochs": 8, "min": 0.6}
