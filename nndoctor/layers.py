"""What kind of layer a module is, as far as the checks care."""

from __future__ import annotations

import inspect
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import parametrize

RELU_LIKE = (nn.ReLU, nn.ReLU6)
SATURATING = (nn.Tanh, nn.Sigmoid, nn.Hardtanh, nn.Hardsigmoid, nn.Softsign)
ACTIVATIONS = (
    *RELU_LIKE,
    *SATURATING,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Softplus,
)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
NORMS = (*BATCH_NORMS, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d)
DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)
DENSE = (nn.Linear, nn.Bilinear, *CONVS)


def module_names(model: nn.Module) -> dict[nn.Module, str]:
    """Readable names: `features.3` becomes `features.3 (Conv2d)` so Sequential indices say what they are."""
    names = {}
    for name, module in model.named_modules():
        if not name:
            names[module] = type(module).__name__
        elif name.rsplit(".", 1)[-1].isdigit():
            names[module] = f"{name} ({type(module).__name__})"
        else:
            names.setdefault(module, name)
    return names


def _own_children(module: nn.Module) -> list[nn.Module]:
    """Children that are layers: a parametrized module's `parametrizations` (weight norm, spectral
    norm) compute its weight and are part of the layer, not layers of their own."""
    parametrized = parametrize.is_parametrized(module)
    return [child for name, child in module.named_children() if not (parametrized and name == "parametrizations")]


def is_leaf(module: nn.Module) -> bool:
    return not _own_children(module)


def layer_modules(model: nn.Module) -> list[nn.Module]:
    """`model.modules()` less parametrization internals, which run on every access of a weight
    (inside a hook too) and would be recorded as layers."""
    found: list[nn.Module] = []

    def visit(module: nn.Module) -> None:
        found.append(module)
        for child in _own_children(module):
            visit(child)

    visit(model)
    return list(dict.fromkeys(found))  # a module shared by two parents once, as modules() does


def is_transposed_linear(module: nn.Module) -> bool:
    """Hugging Face's `Conv1D` (GPT-2's projections): a Linear whose weight is stored [in, out]."""
    weight = getattr(module, "weight", None)
    return type(module).__name__ == "Conv1D" and hasattr(module, "nf") and isinstance(weight, torch.Tensor)


def is_weighted(module: nn.Module) -> bool:
    """A layer that multiplies its input by a weight matrix or kernel (Linear, Conv)."""
    if is_transposed_linear(module):
        return True
    return isinstance(module, DENSE) and getattr(module, "weight", None) is not None


def fan_in_out(module: nn.Module) -> tuple[int, int]:
    weight = module.weight
    assert isinstance(weight, torch.Tensor)
    if is_transposed_linear(module):
        return int(weight.shape[0]), int(weight.shape[1])
    receptive = weight[0][0].numel() if weight.dim() > 2 else 1
    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
        return weight.shape[0] * receptive, weight.shape[1] * receptive
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def library_owned(model: nn.Module, name: str) -> bool:
    """The module holding submodule `name` is a class of an installed package (site-packages):
    a library's design, not code the user can change."""
    parent_name = name.rpartition(".")[0]
    try:
        parent = model.get_submodule(parent_name) if parent_name else model
        source = inspect.getfile(type(parent))
    except (AttributeError, TypeError, OSError):
        return False
    return any(part in ("site-packages", "dist-packages") for part in Path(source).parts)
