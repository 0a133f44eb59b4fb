"""Do the setups ND103's additions, ND107, ND108, ND109, ND305 and ND406 flag really train badly?

Each case trains a broken setup and its fixed twin with the plain loop a user writes
(`for x, y in loader: opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()`) for a fixed
number of epochs, reports the validation metric both reach, and next to it what the check says
about each (nndoctor's `diagnose` on the same model, data, loss and optimizer, only that check
selected). A threshold is calibrated when the check fires where the metric is clearly worse and
stays quiet on the fixed twin; the sweeps (ND108: share of targets out of reach; ND109: batch size;
ND406: learning rate) show where the metric starts to suffer.

    python benchmarks/calibrate_new_checks.py              # every case, CPU, 1 thread (~10 min)
    python benchmarks/calibrate_new_checks.py nd108 nd406  # some cases
"""

from __future__ import annotations

import argparse
import copy
import itertools
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nndoctor import diagnose  # noqa: E402
from nndoctor.samples.datasets import diabetes_loaders, digits_loaders  # noqa: E402

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def train(model: nn.Module, loader: Any, loss_fn: Loss, optimizer: torch.optim.Optimizer, epochs: int) -> list[float]:
    """The plain loop; returns the mean training loss of each epoch."""
    curve = []
    for _ in range(epochs):
        model.train()
        total, n = 0.0, 0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(x)
            n += len(x)
        curve.append(total / n)
    return curve


def accuracy(model: nn.Module, loader: Any) -> float:
    model.eval()
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x).argmax(dim=1)
            labels = y.argmax(dim=1) if y.dim() == 2 else y
            right += int((pred == labels).sum())
            total += len(y)
    return right / total


def r2(model: nn.Module, loader: Any) -> float:
    model.eval()
    outs, ys = [], []
    with torch.no_grad():
        for x, y in loader:
            outs.append(model(x).reshape(-1))
            ys.append(y.reshape(-1))
    o, t = torch.cat(outs), torch.cat(ys)
    return float(1 - ((o - t) ** 2).sum() / ((t - t.mean()) ** 2).sum())


def verdict(
    check_id: str,
    model: nn.Module,
    train_loader: Any,
    val_loader: Any,
    loss_fn: Any,
    optimizer: Any,
    show: tuple[str, ...] = (),
) -> str:
    """The check's outcome and message (and the evidence keys in `show`) on this setup."""
    report = diagnose(
        model, train_loader, val_loader, loss_fn=loss_fn, optimizer=optimizer, select=[check_id], device="cpu"
    )
    finding = next(f for f in report.findings if f.check_id == check_id)
    extra = "".join(f" [{key}={finding.evidence.get(key)}]" for key in show)
    return f"{finding.outcome.value}{extra}: {finding.message[:150]}"


def mlp(widths: list[int], activation: type[nn.Module] = nn.ReLU, head: nn.Module | None = None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths[:-1]):
        layers += [nn.Linear(a, b), activation()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    if head is not None:
        layers.append(head)
    return nn.Sequential(*layers)


# -- ND107 -----------------------------------------------------------------------------------------
class ListMLP(nn.Module):
    """Hidden layers in a plain list (the bug) or an nn.ModuleList (the fix); the head registered."""

    def __init__(self, registered: bool) -> None:
        super().__init__()
        hidden = [nn.Linear(64, 128), nn.Linear(128, 64)]
        self.hidden = nn.ModuleList(hidden) if registered else hidden
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.head(x)


def nd107(epochs: int) -> None:
    print("ND107: digits MLP, hidden layers in a plain list vs nn.ModuleList, Adam 1e-3")
    for registered in (False, True):
        torch.manual_seed(0)
        model = ListMLP(registered)
        tr, va = digits_loaders(batch_size=64)
        check = verdict("ND107", copy.deepcopy(model), tr, va, nn.CrossEntropyLoss(), None)
        train(model, tr, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-3), epochs)
        print(f"  {'ModuleList' if registered else 'plain list':>10}: val accuracy {accuracy(model, va):.3f} | {check}")


# -- ND108 -----------------------------------------------------------------------------------------
def nd108(epochs: int) -> None:
    print("ND108: diabetes regression (10-64-64-1 ReLU MLP, Adam 1e-3), output activation vs targets")
    cases = [
        ("Sigmoid head, raw targets 25..346", nn.Sigmoid(), False),
        ("Linear head, raw targets", None, False),
        ("ReLU head, standardized targets", nn.ReLU(), True),
        ("Tanh head, standardized targets", nn.Tanh(), True),
        ("Linear head, standardized targets", None, True),
    ]
    for label, head, standardized in cases:
        torch.manual_seed(0)
        model = mlp([10, 64, 64, 1], head=head)
        tr, va = diabetes_loaders(batch_size=32, standardize_target=standardized)
        check = verdict("ND108", copy.deepcopy(model), tr, va, nn.MSELoss(), None, ("mse_floor_over_variance",))
        train(model, tr, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=1e-3), epochs)
        print(f"  {label:>36}: val R^2 {r2(model, va):7.3f} | {check}")
    print("  sweep: ReLU head on standardized targets shifted by +c (share of negative targets falls)")
    for shift in (0.0, 1.0, 1.5, 2.0, 2.5, 3.0):
        results = []
        for head in (nn.ReLU(), None):
            torch.manual_seed(0)
            model = mlp([10, 64, 64, 1], head=head)
            tr, va = _shifted(shift)
            share = float(torch.cat([y for _, y in tr]).lt(0).float().mean())
            check = (
                verdict("ND108", copy.deepcopy(model), tr, va, nn.MSELoss(), None, ("mse_floor_over_variance",))
                if head is not None
                else ""
            )
            train(model, tr, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=1e-3), epochs)
            results.append((r2(model, va), check))
        print(
            f"    shift {shift:3.1f}: {share:5.1%} negative | R^2 ReLU {results[0][0]:.3f} vs linear {results[1][0]:.3f} | {results[0][1]}"
        )


def _shifted(shift: float) -> tuple[DataLoader, DataLoader]:
    tr, va = diabetes_loaders(batch_size=32)

    def moved(loader: DataLoader, shuffle: bool) -> DataLoader:
        x, y = loader.dataset.tensors  # type: ignore[attr-defined]
        generator = torch.Generator().manual_seed(0)
        return DataLoader(TensorDataset(x, y + shift), batch_size=32, shuffle=shuffle, generator=generator)

    return moved(tr, True), moved(va, False)


# -- ND109 -----------------------------------------------------------------------------------------
def sorted_digits(batch_size: int, shuffle: bool, copies: int = 1) -> tuple[DataLoader, DataLoader]:
    """Digits training data sorted by label; `copies` > 1 stacks noisy copies (std 0.3 on the
    standardized pixels) so each class lasts `copies` times as many batches."""
    tr, va = digits_loaders(batch_size=batch_size)
    x, y = tr.dataset.tensors  # type: ignore[attr-defined]
    if copies > 1:
        noise = torch.Generator().manual_seed(0)
        x = torch.cat([x + 0.3 * torch.randn(x.shape, generator=noise) for _ in range(copies)])
        y = y.repeat(copies)
    order = torch.argsort(y, stable=True)
    generator = torch.Generator().manual_seed(0)
    return DataLoader(
        TensorDataset(x[order], y[order]), batch_size=batch_size, shuffle=shuffle, generator=generator
    ), va


def nd109(epochs: int) -> None:
    print("ND109: digits sorted by class, shuffle=False vs shuffle=True (64-128-64-10 MLP)")
    for copies, rounds in ((1, epochs), (8, 3)):
        for optimizer in ("Adam 1e-3", "SGD 0.05 momentum 0.9"):
            print(f"  {1438 * copies} training samples ({144 * copies} per class), {rounds} epochs, {optimizer}")
            for batch in (2, 16, 64, 256):
                row = []
                for shuffle in (False, True):
                    torch.manual_seed(0)
                    model = mlp([64, 128, 64, 10])
                    tr, va = sorted_digits(batch, shuffle, copies)
                    check = verdict(
                        "ND109", copy.deepcopy(model), tr, va, nn.CrossEntropyLoss(), None, ("ratio", "mean_run")
                    )
                    opt = (
                        torch.optim.Adam(model.parameters(), lr=1e-3)
                        if optimizer.startswith("Adam")
                        else torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
                    )
                    train(model, tr, nn.CrossEntropyLoss(), opt, rounds)
                    row.append((accuracy(model, va), check))
                print(
                    f"    batch {batch:3d} ({144 * copies / batch:5.1f} batches per class): val accuracy sorted "
                    f"{row[0][0]:.3f} vs shuffled {row[1][0]:.3f}\n        sorted: {row[0][1]}\n      shuffled: {row[1][1]}"
                )


# -- ND305 -----------------------------------------------------------------------------------------
class KeepGradAdam(torch.optim.Adam):
    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


class KeepGradSGD(torch.optim.SGD):
    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


def nd305(epochs: int) -> None:
    print("ND305: digits MLP, an optimizer whose zero_grad() does nothing vs the stock one")
    for label, broken, fixed, lr in (
        ("Adam", KeepGradAdam, torch.optim.Adam, 1e-3),
        ("SGD+momentum", KeepGradSGD, torch.optim.SGD, 0.05),
    ):
        for cls in (broken, fixed):
            torch.manual_seed(0)
            model = mlp([64, 128, 64, 10])
            tr, va = digits_loaders(batch_size=64)
            kwargs: dict[str, Any] = {"lr": lr} | ({"momentum": 0.9} if "SGD" in label else {})
            check = verdict(
                "ND305", copy.deepcopy(model), tr, va, nn.CrossEntropyLoss(), lambda p, c=cls, k=kwargs: c(p, **k)
            )
            curve = train(model, tr, nn.CrossEntropyLoss(), cls(model.parameters(), **kwargs), epochs)
            finite = all(math.isfinite(v) for v in curve)
            acc = accuracy(model, va) if finite else float("nan")
            print(f"  {cls.__name__:>12} lr {lr:g}: val accuracy {acc:.3f}, final train loss {curve[-1]:.4g} | {check}")


# -- ND406 -----------------------------------------------------------------------------------------
def nd406(epochs: int) -> None:
    print("ND406: digits ReLU MLPs, units that die during training vs the learning rate (LeakyReLU twin)")
    sweeps = [(256, "SGD", (0.05, 1.0, 2.0)), (256, "Adam", (0.01, 0.03, 0.1)), (32, "Adam", (0.03, 0.1))]
    for width, name, rates in sweeps:
        print(f"  64-{width}-{width}-10, {name}")
        for lr in rates:
            for activation in (nn.ReLU, nn.LeakyReLU):
                torch.manual_seed(0)
                model = mlp([64, width, width, 10], activation=activation)
                tr, va = digits_loaders(batch_size=64)
                cls = torch.optim.SGD if name == "SGD" else torch.optim.Adam
                check = verdict(
                    "ND406",
                    copy.deepcopy(model),
                    tr,
                    va,
                    nn.CrossEntropyLoss(),
                    lambda p, c=cls, lr=lr: c(p, lr=lr),
                    ("died",),
                )
                curve = train(model, tr, nn.CrossEntropyLoss(), cls(model.parameters(), lr=lr), epochs)
                acc = accuracy(model, va) if all(math.isfinite(v) for v in curve) else float("nan")
                dead = _dead_after(model, tr)
                print(
                    f"    lr {lr:4.2f} {activation.__name__:>9}: val accuracy {acc:.3f}, units never positive after training {dead} | {check}"
                )


def _dead_after(model: nn.Module, loader: DataLoader) -> list[str]:
    x = torch.cat([b[0] for b in loader])
    shares = []
    with torch.no_grad():
        h = x
        for layer in model:
            h = layer(h)
            if isinstance(layer, (nn.ReLU, nn.LeakyReLU)):
                shares.append(f"{float((h <= 0).all(dim=0).float().mean()):.0%}")
    return shares


# -- ND103 -----------------------------------------------------------------------------------------
def nd103(epochs: int) -> None:
    print("ND103: digits classifier, MSE on softmax probabilities / one-hot targets vs cross-entropy on logits")

    def onehot_loaders() -> tuple[DataLoader, DataLoader]:
        tr, va = digits_loaders(batch_size=64)
        out = []
        for loader, shuffle in ((tr, True), (va, False)):
            xs, ys = loader.dataset.tensors  # type: ignore[attr-defined]
            generator = torch.Generator().manual_seed(0)
            out.append(
                DataLoader(
                    TensorDataset(xs, F.one_hot(ys, 10).float()), batch_size=64, shuffle=shuffle, generator=generator
                )
            )
        return out[0], out[1]

    cases: list[tuple[str, nn.Module | None, Any, bool]] = [
        ("softmax + MSE on one-hot", nn.Softmax(dim=1), nn.MSELoss(), True),
        ("logits + MSE on one-hot", None, nn.MSELoss(), True),
        ("logits + CrossEntropyLoss", None, nn.CrossEntropyLoss(), False),
    ]
    for optimizer, lr in (("Adam", 1e-3), ("SGD", 0.1)):
        for label, head, loss, onehot in cases:
            torch.manual_seed(0)
            model = mlp([64, 128, 64, 10], head=head)
            tr, va = onehot_loaders() if onehot else digits_loaders(batch_size=64)
            factory = (
                (lambda p, lr=lr: torch.optim.Adam(p, lr=lr))
                if optimizer == "Adam"
                else (lambda p, lr=lr: torch.optim.SGD(p, lr=lr))
            )
            check = verdict("ND103", copy.deepcopy(model), tr, va, loss, factory)
            curve = train(model, tr, loss, factory(model.parameters()), epochs)
            print(
                f"  {optimizer} {lr:g} {label:>26}: val accuracy {accuracy(model, va):.3f} (train loss {curve[0]:.3g} -> {curve[-1]:.3g}) | {check}"
            )
    print("  negative NLL: probabilities (softmax) or raw scores fed to NLLLoss")
    for head, label in ((nn.Softmax(dim=1), "softmax"), (None, "raw scores")):
        for optimizer, lr in (("Adam", 1e-3), ("SGD", 0.1)):
            torch.manual_seed(0)
            model = mlp([64, 128, 64, 10], head=copy.deepcopy(head))
            tr, va = digits_loaders(batch_size=64)
            factory = (
                (lambda p, lr=lr: torch.optim.Adam(p, lr=lr))
                if optimizer == "Adam"
                else (lambda p, lr=lr: torch.optim.SGD(p, lr=lr))
            )
            check = verdict("ND103", copy.deepcopy(model), tr, va, nn.NLLLoss(), factory)
            curve = train(model, tr, nn.NLLLoss(), factory(model.parameters()), epochs)
            finite = all(math.isfinite(v) for v in curve)
            acc = accuracy(model, va) if finite else float("nan")
            print(
                f"  {optimizer} {lr:g} {label:>10} + NLLLoss: val accuracy {acc:.3f} (train loss {curve[0]:.3g} -> {curve[-1]:.3g}) | {check}"
            )


CASES = {"nd103": nd103, "nd107": nd107, "nd108": nd108, "nd109": nd109, "nd305": nd305, "nd406": nd406}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", choices=[*CASES, []], default=[])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    np.random.seed(0)
    for name in args.cases or CASES:
        CASES[name](args.epochs)
        print()


if __name__ == "__main__":
    main()
