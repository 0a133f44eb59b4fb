"""Zoo2: a tiny ALBERT sequence classifier (Hugging Face transformers) trained with AdamW.

`transformers.AlbertForSequenceClassification` from an `AlbertConfig`: factorized embeddings
(vocabulary 1000 into 32 dimensions, projected to hidden 128), one post-LayerNorm transformer
layer whose weights are shared across 4 applications (2 heads, intermediate 512, ALBERT's
gelu_new), the pooler (Linear + Tanh on [CLS]), dropout 0.1 and a linear head for 2 labels. The
library's initialization (normal std 0.02). ALBERT's architecture at a small size; from a config.

Dict batches with attention masks, the marker-token task (`_synthetic.marker_sequences`). The
usual fine-tuning recipe: AdamW lr 5e-4, weight decay 0.01, batch 32, cross-entropy.
"""

import torch
from _data import DictDataset, marker_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import AlbertConfig, AlbertForSequenceClassification

NNDOCTOR = {"task": "classification", "num_classes": 2}

VOCAB = 1000


def build_model() -> nn.Module:
    config = AlbertConfig(
        vocab_size=VOCAB,
        embedding_size=32,
        hidden_size=128,
        num_hidden_layers=4,
        num_hidden_groups=1,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=64,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        classifier_dropout_prob=0.1,
        num_labels=2,
    )
    return AlbertForSequenceClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = DictDataset(**marker_sequences(2048, seed=20, vocab=VOCAB))
    val = DictDataset(**marker_sequences(512, seed=21, vocab=VOCAB))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return out.logits, batch["labels"]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)
