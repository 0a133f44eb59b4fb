"""Zoo: a tiny GPT-2 language model (Hugging Face transformers) trained on next-token prediction.

`transformers.GPT2LMHeadModel` from a `GPT2Config`: token and learned position embeddings, 2
pre-LayerNorm decoder blocks (n_embd 128, 4 heads, causal self-attention, MLP 512 with GELU, the
library's 1/sqrt(2 * n_layer) scaling of residual projections), a final LayerNorm and the
language-model head tied to the token embedding; dropout 0.1 everywhere as in GPT-2. GPT-2's own
architecture and initialization (normal std 0.02) at a small size: vocabulary 64, 64 positions.
Built from a config, no download.

The language: each token is followed by its fixed successor 90% of the time, by a random token
otherwise (see `_synthetic.markov_sequences`), in sequences of 17 tokens. `forward` returns the
logits for positions 0..15 flattened to [batch * 16, vocab] and the next tokens (positions
1..16) as targets, so the loss is the usual shifted next-token cross-entropy and the accuracy is
token accuracy. AdamW lr 1e-3, weight decay 0.01, batch 32. Stock architecture trained
sensibly: nndoctor must stay quiet.
"""

import torch
from _synthetic import markov_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset
from transformers import GPT2Config, GPT2LMHeadModel

VOCAB = 64
NNDOCTOR = {"task": "classification", "num_classes": VOCAB}
FIRES: dict[str, str] = {}


def build_model() -> nn.Module:
    config = GPT2Config(
        vocab_size=VOCAB,
        n_positions=64,
        n_embd=128,
        n_layer=2,
        n_head=4,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(markov_sequences(2048, seed=0, vocab=VOCAB, length=17))
    val = TensorDataset(markov_sequences(512, seed=1, vocab=VOCAB, length=17))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    (ids,) = batch
    logits = model(input_ids=ids[:, :-1]).logits
    return logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
