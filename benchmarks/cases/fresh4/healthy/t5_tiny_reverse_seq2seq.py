"""Healthy: a tiny T5 (T5ForConditionalGeneration from a T5Config, no download) trained from
scratch to reverse sequences, with teacher forcing and the recipe's own CrossEntropyLoss on the
decoder logits.

Source: huggingface/transformers issue #11534 "How to run transformer model like t5-small,
facebook/bart-large-cnn without loading pretrained weights?"
(https://github.com/huggingface/transformers/issues/11534), found with the `issues` search "train
T5ForConditionalGeneration from scratch small config T5Config d_model num_layers": the answer is
to build the model from its config, e.g. `T5ForConditionalGeneration(config=config)`, instead of
from_pretrained.

Setup: T5Config(vocab 24, d_model 32, d_kv 16, d_ff 64, 2 encoder and 2 decoder layers, 2 heads,
pad/decoder-start id 0); inputs are 8 tokens from 1..23, targets the same tokens reversed. The
decoder input is the target shifted right (T5's _shift_right); the recipe's forward flattens the
logits to [B*8, 24] and the targets to [B*8]. AdamW lr 5e-3 weight_decay 0.01, batch 64.

Why healthy: an unusual-looking but standard encoder-decoder: relative position buckets, RMS
layer norms without biases, input and output embeddings tied (T5 rescales the decoder output by
d_model^-0.5 before the tied head), dropout 0.1; the loss is plain cross-entropy on the logits.

Verified (verify.py): teacher-forced token accuracy on held-out sequences far above chance (1/23).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import T5Config, T5ForConditionalGeneration

CASE = {
    "source": "https://github.com/huggingface/transformers/issues/11534",
    "kind": "healthy",
    "bug": "healthy: tiny T5ForConditionalGeneration from a config, teacher-forced sequence reversal, own CE loss",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 24, 8


def _pairs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, VOCAB, (n, LENGTH), generator=g)
    return x, x.flip(1)


class TinyT5(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = T5Config(
            vocab_size=VOCAB,
            d_model=32,
            d_kv=16,
            d_ff=64,
            num_layers=2,
            num_decoder_layers=2,
            num_heads=2,
            pad_token_id=0,
            decoder_start_token_id=0,
        )
        self.t5 = T5ForConditionalGeneration(cfg)

    def forward(self, ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        decoder_ids = self.t5._shift_right(labels)
        return self.t5(input_ids=ids, decoder_input_ids=decoder_ids).logits


def build_model() -> nn.Module:
    return TinyT5()


def build_data():
    x, y = _pairs(3000, 1)
    xv, yv = _pairs(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def forward(model, batch):
    x, y = batch
    return model(x, y).reshape(-1, VOCAB), y.reshape(-1)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=5e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 8, "min": 0.5}
