"""Zoo3: a tiny ELECTRA discriminator fine-tuned for sequence classification (Hugging Face transformers).

`transformers.ElectraForSequenceClassification` from an `ElectraConfig`: factorized embeddings
(embedding size 64 projected to hidden 128, as ELECTRA-Small), 3 post-LayerNorm encoder layers
(2 heads, intermediate 512, GELU) and ELECTRA's head (dense + GELU + dropout + out_proj on the
first token), library initialization (normal std 0.02). Vocabulary 32, built from a config.

Task: which of 3 signal tokens occurs most often in a 24-token sequence
(`_synthetic.majority_sequences`, as the zoo's LSTM), as dict batches with a full attention
mask. ELECTRA's fine-tuning optimizer: AdamW lr 3e-4 (ELECTRA-Small's), eps 1e-6, weight decay
0.01, batch 32, cross-entropy; no layer-wise lr decay or warm-up (the recipe gets a flat
parameter list and no scheduler).
"""

import torch
from _data import DictDataset, majority_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import ElectraConfig, ElectraForSequenceClassification

NNDOCTOR = {"task": "classification", "num_classes": 3}
VOCAB = 32


def _rows(n: int, seed: int) -> DictDataset:
    ids, labels = majority_sequences(n, seed=seed, vocab=VOCAB)
    return DictDataset(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)


def build_model() -> nn.Module:
    config = ElectraConfig(
        vocab_size=VOCAB,
        embedding_size=64,
        hidden_size=128,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=32,
        pad_token_id=0,
        num_labels=3,
    )
    return ElectraForSequenceClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    return shuffled(_rows(2048, 70), batch_size=32), DataLoader(_rows(512, 71), batch_size=64)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return out.logits, batch["labels"]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=3e-4, eps=1e-6, weight_decay=0.01)
