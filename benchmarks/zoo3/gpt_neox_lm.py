"""Zoo3: a tiny GPT-NeoX (Pythia-style) language model (Hugging Face transformers), Pythia's optimizer.

`transformers.GPTNeoXForCausalLM` from a `GPTNeoXConfig`: token embedding, 3 pre-LayerNorm blocks
with the parallel residual (attention and MLP read the same input and are summed), fused QKV
with biases, rotary embeddings on a quarter of each head (rotary_pct 0.25), GELU MLP 512, final
LayerNorm, untied output head, library initialization (normal std 0.02). Hidden 128, 4 heads,
vocabulary 64, built from a config.

The Markov language (`_synthetic.markov_sequences`), 17 tokens, shifted next-token
cross-entropy. Pythia's optimizer: Adam(W) betas (0.9, 0.95), eps 1e-8, weight decay 0.01,
lr 1e-3 (Pythia-70M's peak lr, constant here), batch 32.
"""

import torch
from _data import markov_sequences, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

VOCAB = 64
NNDOCTOR = {"task": "classification", "num_classes": VOCAB}


def build_model() -> nn.Module:
    config = GPTNeoXConfig(
        vocab_size=VOCAB,
        hidden_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=512,
        rotary_pct=0.25,
        max_position_embeddings=64,
        use_parallel_residual=True,
        tie_word_embeddings=False,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPTNeoXForCausalLM(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(markov_sequences(2048, seed=90, vocab=VOCAB, length=17))
    val = TensorDataset(markov_sequences(512, seed=91, vocab=VOCAB, length=17))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    (ids,) = batch
    logits = model(input_ids=ids[:, :-1]).logits
    return logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)
