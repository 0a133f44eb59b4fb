"""Zoo2: a temporal convolutional network (Bai, Kolter & Koltun, 2018) in plain PyTorch, with Adam.

The generic TCN: an embedding of 32, then 4 residual blocks of two causal dilated Conv1d layers
(kernel 3, 32 channels, dilations 1-2-4-8, left padding then chomp, weight normalization, ReLU,
dropout 0.05 after each), a ReLU after the residual add, and a linear head on the last time step
(receptive field 61 steps, more than the 24-token input). As in the authors' code, the convs keep
PyTorch's default init under weight norm and the head is initialized normal(0, 0.01).

The task: which of 3 signal tokens occurs most often in a 24-token sequence
(`_synthetic.majority_sequences`, as the zoo's LSTM). The TCN recipe: Adam lr 2e-3, batch 64,
cross-entropy.
"""

import torch
from _data import majority_sequences, shuffled
from torch import nn
from torch.nn.utils.parametrizations import weight_norm
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

NNDOCTOR = {"task": "classification", "num_classes": 3}


class CausalConv(nn.Module):
    """Conv1d padded on the left only, so output t sees inputs up to t."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.pad = (kernel - 1) * dilation
        self.conv = weight_norm(nn.Conv1d(channels, channels, kernel, dilation=dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(nn.functional.pad(x, (self.pad, 0)))


class TemporalBlock(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            CausalConv(channels, kernel, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
            CausalConv(channels, kernel, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(x + self.net(x))


class TCN(nn.Module):
    def __init__(self, vocab: int = 32, channels: int = 32, levels: int = 4, classes: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, channels)
        self.blocks = nn.Sequential(*[TemporalBlock(channels, 3, 2**i, 0.05) for i in range(levels)])
        self.head = nn.Linear(channels, classes)
        nn.init.normal_(self.head.weight, 0.0, 0.01)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.embed(ids).transpose(1, 2))  # [batch, channels, time]
        return self.head(h[:, :, -1])


def build_model() -> nn.Module:
    return TCN()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*majority_sequences(2048, seed=50))
    val = TensorDataset(*majority_sequences(512, seed=51))
    return shuffled(train, batch_size=64), DataLoader(val, batch_size=128)


def build_loss() -> nn.Module:
    return nn.CrossEntropyLoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=2e-3)
