"""Zoo2: a small Wav2Vec2 audio classifier (Hugging Face transformers) on raw waveforms.

`transformers.Wav2Vec2ForSequenceClassification` from a `Wav2Vec2Config`: the convolutional
feature encoder on the raw 8 kHz waveform (3 Conv1d layers of 32 channels, kernels 10-3-3,
strides 5-2-2, GroupNorm after the first, GELU), feature projection with LayerNorm, a grouped
convolutional position embedding (kernel 16, 4 groups, weight norm), 2 post-LayerNorm transformer
layers (hidden 64, 2 heads, intermediate 128, GELU, layerdrop 0.1), SpecAugment time masking
during training, then a projector, mean pooling over frames and a linear head. Wav2Vec2-base's
design with a shorter feature encoder and fewer, narrower layers; the library's initialization.

The task: which of 4 pitches sounds in a 0.1 s noisy clip (`_data.tone_audio`), 800 samples.
Training: AdamW lr 5e-4 (from scratch; wav2vec2 fine-tuning uses 3e-5 to 1e-4 on a pretrained
encoder), weight decay 0.01, batch 32, cross-entropy.
"""

import torch
from _data import shuffled, tone_audio
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset
from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

NNDOCTOR = {"task": "classification", "num_classes": 4}


def build_model() -> nn.Module:
    config = Wav2Vec2Config(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        conv_dim=(32, 32, 32),
        conv_kernel=(10, 3, 3),
        conv_stride=(5, 2, 2),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        classifier_proj_size=64,
        mask_time_length=4,
        num_labels=4,
    )
    return Wav2Vec2ForSequenceClassification(config)


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*tone_audio(2048, seed=0))
    val = TensorDataset(*tone_audio(512, seed=1))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=64)


def forward(model: nn.Module, batch: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    wave, y = batch
    return model(input_values=wave).logits, y


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)
