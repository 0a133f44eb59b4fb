"""Healthy: a GRU encoder-decoder (seq2seq) with teacher forcing, log_softmax + NLLLoss, learning
to reverse digit strings.

Source: PyTorch tutorial "NLP From Scratch: Translation with a Sequence to Sequence Network and
Attention" (https://pytorch.org/tutorials/intermediate/seq2seq_translation_tutorial.html), found
with the `docs` search "seq2seq translation tutorial EncoderRNN DecoderRNN teacher forcing NLLLoss"
(its source, pytorch/tutorials intermediate_source/seq2seq_translation_tutorial.py): EncoderRNN (Embedding + GRU), DecoderRNN (Embedding + ReLU + GRU + Linear +
log_softmax) started from the encoder's last hidden state and an SOS token, teacher forcing with
the target sequence, NLLLoss, Adam.

Setup: sequences of 8 digits (vocabulary 10 + SOS); the target is the sequence reversed; encoder
and decoder GRUs of 64 units (batch_first), embeddings of 32; the decoder is fed SOS + the target
shifted right (teacher forcing on every step); NLLLoss over the flattened [B*T, V] log-probs;
Adam lr 1e-3; batch 32. The tutorial translates French to English with attention; the attention
is left out here (reversal of 8 tokens fits in the 64-unit state).

Why healthy: log_softmax paired with NLLLoss, batch_first on both GRUs, each sample's decoder
starts from its own encoder state, targets are valid indices.

Verified (verify.py): per-token validation accuracy well above chance (0.1) after 6 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://pytorch.org/tutorials/intermediate/seq2seq_translation_tutorial.html",
    "kind": "healthy",
    "bug": "healthy: GRU encoder-decoder with teacher forcing, log_softmax + NLLLoss, reversing digit strings",
    "expect": {},
    "consequences": [],
}

DIGITS, LENGTH, SOS = 10, 8, 10


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, DIGITS, (n, LENGTH), generator=g)
    return x, x.flip(1)


class Seq2Seq(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(DIGITS, 32)
        self.encoder = nn.GRU(32, 64, batch_first=True)
        self.tgt_embed = nn.Embedding(DIGITS + 1, 32)
        self.decoder = nn.GRU(32, 64, batch_first=True)
        self.out = nn.Linear(64, DIGITS)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        _, h = self.encoder(self.src_embed(src))
        sos = torch.full((len(tgt), 1), SOS, dtype=torch.long)
        dec_in = torch.cat([sos, tgt[:, :-1]], 1)
        out, _ = self.decoder(nn.functional.relu(self.tgt_embed(dec_in)), h)
        return nn.functional.log_softmax(self.out(out), dim=-1)


def build_model() -> nn.Module:
    return Seq2Seq()


def build_data():
    x, y = _pairs(3000, 1)
    xv, yv = _pairs(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=250)


def forward(model, batch):
    src, tgt = batch
    return model(src, tgt).flatten(0, 1), tgt.flatten()


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {"metric": "accuracy", "epochs": 6, "min": 0.5}
