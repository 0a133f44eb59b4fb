"""Zoo2: PyTorch's own `nn.Transformer` as an encoder-decoder, with the Vaswani et al. Adam.

Token embeddings scaled by sqrt(d_model) plus sinusoidal positions, `nn.Transformer` (d_model
64, 4 heads, 2 encoder and 2 decoder layers, feed-forward 256, ReLU, dropout 0.1, post-LayerNorm
as in the original paper, PyTorch's default init) with a causal mask on the decoder, and a linear
output layer. Teacher forcing: the decoder reads the target shifted right behind a start token.

The task: write the 10-token source backwards (`_data.cipher_pairs`); `forward` returns the
logits flattened to [batch * 10, vocab] and the target tokens. "Attention Is All You Need"'s
optimizer: Adam betas (0.9, 0.98), eps 1e-9, lr 5e-4 (no warm-up: a recipe has no schedule),
batch 32, cross-entropy.
"""

import math

import torch
from _data import cipher_pairs, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

VOCAB = 24
START = 1
NNDOCTOR = {"task": "classification", "num_classes": VOCAB}


class Seq2Seq(nn.Module):
    def __init__(self, vocab: int = VOCAB, d_model: int = 64, length: int = 16) -> None:
        super().__init__()
        self.d_model = d_model
        self.embed = nn.Embedding(vocab, d_model)
        position = torch.arange(length).float()[:, None]
        freq = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe = torch.zeros(length, d_model)
        pe[:, 0::2], pe[:, 1::2] = torch.sin(position * freq), torch.cos(position * freq)
        self.register_buffer("pe", pe)
        self.transformer = nn.Transformer(
            d_model=d_model,
            nhead=4,
            num_encoder_layers=2,
            num_decoder_layers=2,
            dim_feedforward=256,
            dropout=0.1,
            batch_first=True,
        )
        self.out = nn.Linear(d_model, vocab)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embed(ids) * math.sqrt(self.d_model) + self.pe[: ids.shape[1]]

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        h = self.transformer(self.encode(src), self.encode(tgt_in), tgt_mask=mask, tgt_is_causal=True)
        return self.out(h)


def build_model() -> nn.Module:
    return Seq2Seq()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*cipher_pairs(4096, seed=60, vocab=VOCAB))
    val = TensorDataset(*cipher_pairs(512, seed=61, vocab=VOCAB))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    src, tgt = batch
    tgt_in = torch.cat([torch.full_like(tgt[:, :1], START), tgt[:, :-1]], dim=1)
    logits = model(src, tgt_in)
    return logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=5e-4, betas=(0.9, 0.98), eps=1e-9)
