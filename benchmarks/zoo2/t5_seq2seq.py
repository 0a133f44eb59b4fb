"""Zoo2: a tiny T5 encoder-decoder (Hugging Face transformers) trained with Adafactor.

`transformers.T5ForConditionalGeneration` from a `T5Config`: shared token embedding, 2 encoder
and 2 decoder blocks (d_model 64, 4 heads of 16, ReLU feed-forward 256, RMS LayerNorm before each
sublayer, relative position buckets, no biases), dropout 0.1, a final RMS norm and the tied LM
head with T5's d_model**-0.5 rescaling. T5's architecture and initialization at a small size
(vocabulary 24); built from a config.

The task: write the 10-token source backwards (`_data.cipher_pairs`). `forward` passes the
target as `labels`, so the model shifts it right behind the decoder start token (0) itself, as
in T5 fine-tuning; it returns the logits flattened to [batch * 10, vocab] and the target tokens,
for token-level cross-entropy. The T5 recipe: Adafactor (PyTorch's, lr 1e-2, its defaults:
relative step sizes, factored second moments), batch 32.
"""

import torch
from _data import cipher_pairs, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset
from transformers import T5Config, T5ForConditionalGeneration

VOCAB = 24
NNDOCTOR = {"task": "classification", "num_classes": VOCAB}


def build_model() -> nn.Module:
    config = T5Config(
        vocab_size=VOCAB,
        d_model=64,
        d_kv=16,
        d_ff=256,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        dropout_rate=0.1,
        feed_forward_proj="relu",
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return T5ForConditionalGeneration(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*cipher_pairs(4096, seed=0, vocab=VOCAB))
    val = TensorDataset(*cipher_pairs(512, seed=1, vocab=VOCAB))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    src, tgt = batch
    logits = model(input_ids=src, labels=tgt).logits
    return logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adafactor(params, lr=1e-2)
