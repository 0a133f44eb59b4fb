"""Zoo2: a tiny DistilBERT sequence classifier (Hugging Face transformers) trained with AdamW.

`transformers.DistilBertForSequenceClassification` from a `DistilBertConfig`: word and position
embeddings with LayerNorm (no token types), 2 post-LayerNorm transformer layers (dim 128, 2 heads,
hidden 512, GELU), then on the first token a pre-classifier Linear + ReLU, dropout 0.2 and a
linear head for 2 labels. The library's initialization (normal std 0.02). DistilBERT's own
architecture at a small size (vocabulary 2000, 64 positions); built from a config.

Dict batches of input_ids, attention_mask and labels, sequences of 8-32 tokens padded to 32. The
task: does the sentence contain the marker token (`_synthetic.marker_sequences`)? The usual
fine-tuning recipe: AdamW lr 5e-4, weight decay 0.01, batch 32, cross-entropy.
"""

import torch
from _data import DictDataset, marker_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import DistilBertConfig, DistilBertForSequenceClassification

NNDOCTOR = {"task": "classification", "num_classes": 2}

VOCAB = 2000


def build_model() -> nn.Module:
    config = DistilBertConfig(
        vocab_size=VOCAB,
        dim=128,
        n_layers=2,
        n_heads=2,
        hidden_dim=512,
        max_position_embeddings=64,
        num_labels=2,
    )
    return DistilBertForSequenceClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = DictDataset(**marker_sequences(2048, seed=10, vocab=VOCAB))
    val = DictDataset(**marker_sequences(512, seed=11, vocab=VOCAB))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return out.logits, batch["labels"]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)
