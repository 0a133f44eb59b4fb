"""Zoo3: a tiny Qwen2 language model (Hugging Face transformers) with the usual decoder-LM AdamW recipe.

`transformers.Qwen2ForCausalLM` from a `Qwen2Config`: token embedding tied to the LM head (as the
small Qwen2 models), 2 pre-RMSNorm decoder blocks (hidden 128, 4 query heads sharing 2 key/value
heads, biases on the q/k/v projections only, rotary embeddings theta 1e6, SwiGLU MLP 352), final
RMSNorm, library initialization (normal std 0.02). Vocabulary 64, built from a config.

The Markov language of the zoo (`_synthetic.markov_sequences`), 17 tokens a sequence; `forward`
returns the logits of positions 0..15 and the next tokens for shifted next-token cross-entropy.
AdamW betas (0.9, 0.95), eps 1e-8, weight decay 0.1, lr 1e-3 (constant, no warm-up), batch 32.
"""

import torch
from _data import markov_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset
from transformers import Qwen2Config, Qwen2ForCausalLM

VOCAB = 64
NNDOCTOR = {"task": "classification", "num_classes": VOCAB}


def build_model() -> nn.Module:
    config = Qwen2Config(
        vocab_size=VOCAB,
        hidden_size=128,
        intermediate_size=352,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        rope_theta=1_000_000.0,
        tie_word_embeddings=True,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=None,
    )
    return Qwen2ForCausalLM(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(markov_sequences(2048, seed=80, vocab=VOCAB, length=17))
    val = TensorDataset(markov_sequences(512, seed=81, vocab=VOCAB, length=17))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    (ids,) = batch
    logits = model(input_ids=ids[:, :-1]).logits
    return logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
