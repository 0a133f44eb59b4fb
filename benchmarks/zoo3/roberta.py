"""Zoo3: a tiny RoBERTa sequence classifier (Hugging Face transformers) with RoBERTa's AdamW settings.

`transformers.RobertaForSequenceClassification` from a `RobertaConfig`: word and learned position
embeddings (positions counted from the padding index, RoBERTa's offset), 2 post-LayerNorm
encoder layers (hidden 128, 2 heads, intermediate 512, GELU), and RoBERTa's classification head
(dense + tanh + out_proj on the <s> token, dropout 0.1), library initialization (normal std
0.02). Built from a config, vocabulary 1000, no download.

Task: does the sentence contain the marker token (`_synthetic.marker_sequences`, 8-32 tokens,
dict batches with attention masks, padding id 0). Optimizer as in the RoBERTa paper: AdamW betas
(0.9, 0.98), eps 1e-6, weight decay 0.01; lr 5e-4 (the small-model pre-training lr, constant
here), batch 32, cross-entropy.
"""

import torch
from _data import DictDataset, marker_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader
from transformers import RobertaConfig, RobertaForSequenceClassification

NNDOCTOR = {"task": "classification", "num_classes": 2}
VOCAB = 1000


def build_model() -> nn.Module:
    config = RobertaConfig(
        vocab_size=VOCAB,
        hidden_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=40,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        type_vocab_size=1,
        num_labels=2,
    )
    return RobertaForSequenceClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = DictDataset(**marker_sequences(2048, seed=60, vocab=VOCAB))
    val = DictDataset(**marker_sequences(512, seed=61, vocab=VOCAB))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    return out.logits, batch["labels"]


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
