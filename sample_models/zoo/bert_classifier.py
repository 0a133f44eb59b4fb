"""Zoo: a tiny BERT sequence classifier (Hugging Face transformers) fine-tuned with AdamW.

`transformers.BertForSequenceClassification` from a `BertConfig`: word, position and token-type
embeddings with LayerNorm, 2 post-LayerNorm encoder layers (hidden 128, 2 heads, intermediate
512, GELU), the pooler (Linear + Tanh on the [CLS] token), dropout 0.1 and a linear head for 2
labels, with the library's standard initialization (normal std 0.02, `initializer_range`). BERT's
own architecture at a small size (vocabulary 1000, 64 positions); built from a config, no download.

Batches are dicts of input_ids, attention_mask and labels, as a tokenizer and a collator produce
them; sequences are 8-32 tokens, padded to 32. The task: does the sentence contain the marker
token (see `_synthetic.marker_sequences`)? Training uses the usual BERT recipe: AdamW lr 5e-4,
weight decay 0.01, batch 32, cross-entropy. Stock architecture trained sensibly: nndoctor must
stay quiet.
"""

import torch
from _synthetic import DictDataset, marker_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import BertConfig, BertForSequenceClassification

NNDOCTOR = {"task": "classification", "num_classes": 2}
FIRES: dict[str, str] = {}

VOCAB = 1000


def build_model() -> nn.Module:
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=64,
        initializer_range=0.02,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = DictDataset(**marker_sequences(2048, seed=0, vocab=VOCAB))
    val = DictDataset(**marker_sequences(512, seed=1, vocab=VOCAB))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return out.logits, batch["labels"]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)
