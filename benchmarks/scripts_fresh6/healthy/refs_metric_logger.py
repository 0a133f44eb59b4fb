"""Healthy: torchvision-references style `train_one_epoch` / `evaluate` with a MetricLogger.

Five kinds of 1-d signal (sine, square, sawtooth, chirp, noise burst) of length 64 with random
frequency, phase, amplitude and additive noise; a small Conv1d-BN-ReLU network classifies them.
Written the way the torchvision classification references are: a `set_seed()` helper, a manual
`device = "cpu"`, a `SmoothedValue` / `MetricLogger` pair that prints windowed medians every
`print_freq` batches through the `logging` module, a `train_one_epoch(model, criterion,
optimizer, data_loader, device, epoch, print_freq)` function and an `evaluate(...)` function that
runs under `torch.inference_mode()`. SGD with momentum and weight decay, a LinearLR warm-up for
two epochs followed by StepLR (via `SequentialLR`, stepped once per epoch), CrossEntropyLoss with
label smoothing. Prints one `epoch ...` line per epoch and a `final ...` line.
Reference for the loop shape (the step belongs inside the batch loop; its broken twin
`broken/refs_step_dedented.py` dedents it):
https://github.com/DeepReinforcementLearning/DeepReinforcementLearningInAction/pull/13
"""

import argparse
import logging
import math
import random
import sys
import time
from collections import defaultdict, deque

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES: dict[str, str] = {}
EXPECT_CAPTURE = {"model": "SignalNet", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}

logger = logging.getLogger("refs")
SEQ_LEN, N_CLASSES = 64, 5


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class SmoothedValue:
    """Track a series of values and give a windowed median and the global average."""

    def __init__(self, window_size=20):
        self.window = deque(maxlen=window_size)
        self.total = 0.0
        self.count = 0

    def update(self, value, n=1):
        self.window.append(value)
        self.total += value * n
        self.count += n

    @property
    def median(self):
        return float(np.median(list(self.window)))

    @property
    def global_avg(self):
        return self.total / max(self.count, 1)


class MetricLogger:
    def __init__(self, delimiter="  "):
        self.meters = defaultdict(SmoothedValue)
        self.delimiter = delimiter

    def update(self, n=1, **kwargs):
        for k, v in kwargs.items():
            self.meters[k].update(float(v), n)

    def __str__(self):
        return self.delimiter.join(f"{k}: {m.median:.4f} ({m.global_avg:.4f})" for k, m in self.meters.items())

    def log_every(self, iterable, print_freq, header):
        start = time.time()
        for i, obj in enumerate(iterable):
            yield obj
            if i % print_freq == 0 or i == len(iterable) - 1:
                logger.info("%s [%d/%d]  %s  time: %.1fs", header, i, len(iterable), self, time.time() - start)


class SignalNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, width, 5, padding=2),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width, 5, padding=2),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool1d(4),
        )
        self.classifier = nn.Linear(width * 4, N_CLASSES)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def make_signals(n, rng):
    t = np.linspace(0.0, 1.0, SEQ_LEN, dtype=np.float32)
    labels = rng.integers(0, N_CLASSES, size=n)
    freq = rng.uniform(2.0, 6.0, size=(n, 1))
    phase = rng.uniform(0.0, 2 * math.pi, size=(n, 1))
    amp = rng.uniform(0.5, 1.5, size=(n, 1))
    arg = 2 * math.pi * freq * t + phase
    waves = np.stack(
        [
            np.sin(arg),
            np.sign(np.sin(arg)),
            2.0 * ((arg / (2 * math.pi)) % 1.0) - 1.0,
            np.sin(2 * math.pi * freq * t * t * 3.0 + phase),
            np.where(np.abs(t - rng.uniform(0.2, 0.8, size=(n, 1))) < 0.15, rng.normal(0, 1, (n, SEQ_LEN)), 0.0),
        ]
    )
    x = amp * waves[labels, np.arange(n)] + rng.normal(0, 0.35, size=(n, SEQ_LEN))
    return torch.tensor(x, dtype=torch.float32).unsqueeze(1), torch.tensor(labels)


def train_one_epoch(model, criterion, optimizer, data_loader, device, epoch, print_freq):
    model.train()
    metric_logger = MetricLogger()
    header = f"Epoch: [{epoch}]"
    for image, target in metric_logger.log_every(data_loader, print_freq, header):
        image, target = image.to(device), target.to(device)
        output = model(image)
        loss = criterion(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        acc = (output.argmax(1) == target).float().mean().item()
        metric_logger.update(n=len(target), loss=loss.item(), acc=acc, lr=optimizer.param_groups[0]["lr"])
    return metric_logger.meters["loss"].global_avg


def evaluate(model, criterion, data_loader, device):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.inference_mode():
        for image, target in data_loader:
            image, target = image.to(device), target.to(device)
            output = model(image)
            total += criterion(output, target).item() * len(target)
            correct += (output.argmax(1) == target).sum().item()
            n += len(target)
    return total / n, correct / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--warmup-epochs", type=int, default=2)
    parser.add_argument("--print-freq", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    set_seed(args.seed)
    device = "cpu"
    rng = np.random.default_rng(args.seed)
    x_tr, y_tr = make_signals(5000, rng)
    x_va, y_va = make_signals(1500, rng)
    train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=256)

    model = SignalNet().to(device)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=args.warmup_epochs)
    decay = torch.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.3)
    lr_scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[args.warmup_epochs])

    logger.info("Start training")
    for epoch in range(1, args.epochs + 1):
        train_loss = train_one_epoch(model, criterion, optimizer, train_loader, device, epoch, args.print_freq)
        lr_scheduler.step()
        val_loss, val_acc = evaluate(model, criterion, val_loader, device)
        print(
            f"epoch {epoch} train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"lr={optimizer.param_groups[0]['lr']:.2e}"
        )
    print(f"final train_loss={train_loss:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")


if __name__ == "__main__":
    main()
