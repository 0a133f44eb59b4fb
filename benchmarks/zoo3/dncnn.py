"""Zoo3: DnCNN (Zhang et al. 2017), a residual-learning image denoiser in plain PyTorch, with Adam.

DnCNN's layout at a small depth: Conv(3x3, 32) + ReLU, then 5 x [Conv(3x3, 32, no bias) + BatchNorm
+ ReLU], then Conv(3x3) back to 3 channels that predicts the noise; the output is the noisy input
minus the predicted noise (residual learning). Kaiming-normal (fan-in) convolutions, as in the
authors' PyTorch port; BatchNorm weight 1, bias 0.

Data: the zoo's smooth colour patterns without pixel noise as clean images, standardized, with
white Gaussian noise of std 1 added (`_data.noisy_pattern_pairs`, fixed seeded noise). DnCNN's
recipe: MSE between the denoised output and the clean image, Adam lr 1e-3, batch 32 (the paper's
128, reduced for CPU cost).
"""

import torch
from _data import noisy_pattern_pairs, shuffled
from torch import nn
from torch.optim.optimizer import ParamsT
from torch.utils.data import DataLoader, TensorDataset

NNDOCTOR = {"task": "regression"}


class DnCNN(nn.Module):
    def __init__(self, channels: int = 3, width: int = 32, depth: int = 7) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(width, channels, 3, padding=1))
        self.body = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        return noisy - self.body(noisy)


def build_model() -> nn.Module:
    return DnCNN()


def build_data() -> tuple[DataLoader, DataLoader]:
    train = TensorDataset(*noisy_pattern_pairs(2048, seed=110))
    val = TensorDataset(*noisy_pattern_pairs(512, seed=111))
    return shuffled(train, batch_size=32), DataLoader(val, batch_size=128)


def build_loss() -> nn.Module:
    return nn.MSELoss()


def build_optimizer(params: ParamsT) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-3)
