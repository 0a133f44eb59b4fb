"""Healthy: the torchaudio tutorial's M5 1-D CNN on raw waveforms scaled to [-1, 1], log_softmax
output with NLLLoss, Adam lr 0.01 with weight decay 1e-4.

Source: PyTorch tutorial "Speech Command Classification with torchaudio"
(https://docs.pytorch.org/tutorials/intermediate/speech_command_classification_with_torchaudio_tutorial.html),
found with the `docs` search "torchaudio speech command classification M5 conv1d waveform
tutorial": M5 (Conv1d kernel 80 stride 16, then kernel-3 convs, each with BatchNorm1d, ReLU and
MaxPool1d(4)), global average pooling, a Linear layer and F.log_softmax, trained with F.nll_loss
and Adam(lr=0.01, weight_decay=0.0001).

Setup: 4000-sample clips (0.5 s at 8 kHz) of four synthetic "commands" (tones whose frequency is
the class, random phase, an envelope and noise), stored as int16 and divided by 32768 as
torchaudio.load does; M5 with 32 channels (one fewer conv block than the tutorial, for the shorter
clip); batch 64.

Why healthy: inputs in [-1, 1], BatchNorm after every conv with batches of 64, log_softmax paired
with NLLLoss, the tutorial's optimizer settings.

Verified (verify.py): validation accuracy well above chance after 3 epochs.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://docs.pytorch.org/tutorials/intermediate/speech_command_classification_with_torchaudio_tutorial.html",
    "kind": "healthy",
    "bug": "healthy: M5 1-D CNN with BatchNorm on [-1, 1] waveforms, log_softmax + NLLLoss, Adam lr 0.01 wd 1e-4",
    "expect": {},
    "consequences": [],
}

LENGTH, CLASSES = 4000, 4


def _clips(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    t = torch.arange(LENGTH, dtype=torch.float32) / 8000
    freq = 300.0 + 250.0 * y.float() + 30.0 * torch.randn(n, generator=g)
    phase = 2 * math.pi * torch.rand(n, generator=g)
    env = torch.exp(-((t / 0.5 - torch.rand(n, 1, generator=g)) ** 2) / 0.05)
    wav = env * torch.sin(2 * math.pi * freq[:, None] * t + phase[:, None]) + 0.3 * torch.randn(n, LENGTH, generator=g)
    pcm = (0.3 * wav * 32767).clamp(-32768, 32767).round()
    return (pcm / 32768)[:, None, :], y


class M5(nn.Module):
    def __init__(self, n_channel: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, n_channel, kernel_size=80, stride=16)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.fc1 = nn.Linear(2 * n_channel, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.max_pool1d(nn.functional.relu(self.bn1(self.conv1(x))), 4)
        x = nn.functional.max_pool1d(nn.functional.relu(self.bn2(self.conv2(x))), 4)
        x = nn.functional.max_pool1d(nn.functional.relu(self.bn3(self.conv3(x))), 4)
        return nn.functional.log_softmax(self.fc1(x.mean(2)), dim=1)


def build_model() -> nn.Module:
    return M5()


def build_data():
    x, y = _clips(1600, 1)
    xv, yv = _clips(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=0.01, weight_decay=0.0001)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.8}
