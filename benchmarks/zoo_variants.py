"""Which stock configurations draw which false alarms: the zoo recipes at other sizes and settings.

The zoo recipes (sample_models/zoo/) are small on purpose. Several of nndoctor's alarms on stock
models depend on the size: ND202 compares the transformers init std 0.02 with 1/sqrt(fan_in), so
it depends on the hidden size; ND401 compares the weight-decay penalty 0.5 * wd * |w|^2 with the
loss, so it depends on the width. This script loads a zoo recipe, swaps in the model (or the
optimizer) of a variant, runs only the named checks and prints each outcome with its key
evidence. Only init-time checks are run unless a variant names a training check, so most rows
take a second or two.

Run (one thread):

    OMP_NUM_THREADS=1 python benchmarks/zoo_variants.py            # every variant
    OMP_NUM_THREADS=1 python benchmarks/zoo_variants.py bert vit   # variants whose name starts so

The recorded output is in sample_models/zoo/README.md ("Variants").
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "sample_models" / "zoo"
INIT_CHECKS = ("ND104", "ND202", "ND203", "ND301", "ND303")


@dataclass
class Variant:
    name: str
    recipe: str
    checks: tuple[str, ...]
    model: Callable[[], torch.nn.Module] | None = None
    optimizer: Callable[[Any], torch.optim.Optimizer] | None = None


def bert(hidden: int, heads: int) -> Callable[[], torch.nn.Module]:
    def build() -> torch.nn.Module:
        from transformers import BertConfig, BertForSequenceClassification

        config = BertConfig(
            vocab_size=1000,
            hidden_size=hidden,
            num_hidden_layers=2,
            num_attention_heads=heads,
            intermediate_size=4 * hidden,
            max_position_embeddings=64,
            num_labels=2,
        )
        return BertForSequenceClassification(config)

    return build


def vit(hidden: int, heads: int) -> Callable[[], torch.nn.Module]:
    def build() -> torch.nn.Module:
        from transformers import ViTConfig, ViTForImageClassification

        config = ViTConfig(
            image_size=32,
            patch_size=8,
            hidden_size=hidden,
            num_hidden_layers=4,
            num_attention_heads=heads,
            intermediate_size=4 * hidden,
            num_labels=10,
        )
        return ViTForImageClassification(config)

    return build


def resnet18(widths: list[int]) -> Callable[[], torch.nn.Module]:
    def build() -> torch.nn.Module:
        from transformers import ResNetConfig, ResNetForImageClassification

        config = ResNetConfig(
            embedding_size=widths[0], hidden_sizes=widths, depths=[2, 2, 2, 2], layer_type="basic", num_labels=10
        )
        return ResNetForImageClassification(config)

    return build


VARIANTS = [
    *[
        Variant(f"bert hidden {h}", "bert_classifier", INIT_CHECKS, model=bert(h, heads))
        for h, heads in ((64, 2), (128, 2), (256, 4), (768, 12))
    ],
    *[
        Variant(f"vit hidden {h}", "vit_tiny", INIT_CHECKS, model=vit(h, heads))
        for h, heads in ((64, 1), (96, 2), (192, 3), (768, 12))
    ],
    Variant("resnet18 widths 16-128", "resnet18", ("ND401",), model=resnet18([16, 32, 64, 128])),
    Variant("resnet18 widths 32-256", "resnet18", ("ND401",), model=resnet18([32, 64, 128, 256])),
    Variant("resnet18 widths 64-512 (full)", "resnet18", ("ND401",), model=resnet18([64, 128, 256, 512])),
    Variant(
        "mobilenet_v2 RMSprop lr 1e-3 eps 1e-8 (PyTorch default eps)",
        "mobilenet_v2",
        ("ND303", "ND404", "ND405"),
        optimizer=lambda params: torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, momentum=0.9, weight_decay=4e-5),
    ),
]

KEYS = {
    "ND202": ("off_scale_layers",),
    "ND301": ("first_layer", "last_layer", "ratio"),
    "ND303": ("median_update_ratio",),
    "ND104": ("saturating_hidden",),
    "ND401": ("data_loss", "penalty", "penalty_share", "weight_decay"),
    "ND404": ("start_loss", "end_loss", "wiggle", "give_back"),
    "ND405": ("train_metric", "val_metric"),
}


def short(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.3g}") if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return [short(v) for v in value[:3]] + (["..."] if len(value) > 3 else [])
    return value


def run(variant: Variant) -> list[str]:
    from nndoctor.api import run_target
    from nndoctor.settings import SettingsRequest, resolve_settings
    from nndoctor.targets import TargetSpec, load_target

    settings = resolve_settings(SettingsRequest(profile="default", seed=0, select=list(variant.checks)))
    target = load_target(TargetSpec(recipe=str(ZOO / f"{variant.recipe}.py")), settings)
    if variant.model is not None:
        torch.manual_seed(0)
        target.model = variant.model()
    if variant.optimizer is not None:
        target.optimizer_factory = variant.optimizer
    params = sum(p.numel() for p in target.model.parameters())
    started = time.perf_counter()
    report = run_target(target, settings)
    lines = [f"{variant.name}  ({params / 1e6:.2f}M parameters, {time.perf_counter() - started:.1f} s)"]
    for f in sorted(report.findings, key=lambda f: f.check_id):
        evidence = {k: short(f.evidence.get(k)) for k in KEYS.get(f.check_id, ()) if k in f.evidence}
        lines.append(f"  {f.check_id} {f.outcome.value:<4} {f.message}")
        if evidence:
            lines.append(f"        {json.dumps(evidence)}")
    return lines


def weight_decay_breakdown(model: torch.nn.Module, weight_decay: float) -> str:
    """Where 0.5 * wd * |w|^2 comes from: normalization parameters, weights that feed a BatchNorm
    directly (the loss does not depend on their scale), and every other weight."""
    order: list[torch.nn.Module] = []
    hooks = [
        m.register_forward_hook(lambda module, _i, _o: order.append(module))
        for m in model.modules()
        if next(m.children(), None) is None
    ]
    with torch.no_grad():
        model.eval()
        model(torch.zeros(2, 3, 32, 32))
    for h in hooks:
        h.remove()
    before_bn = {id(a) for a, b in itertools.pairwise(order) if isinstance(b, torch.nn.modules.batchnorm._BatchNorm)}
    parts = {"norm parameters": 0.0, "weights feeding BatchNorm": 0.0, "other weights and biases": 0.0}
    for module in model.modules():
        for p in module.parameters(recurse=False):
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                key = "norm parameters"
            elif id(module) in before_bn and p is getattr(module, "weight", None):
                key = "weights feeding BatchNorm"
            else:
                key = "other weights and biases"
            parts[key] += 0.5 * weight_decay * float(p.detach().pow(2).sum())
    return ", ".join(f"{k} {v:.3g}" for k, v in parts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="run only variants whose name starts with one of these")
    parser.add_argument("--learn", type=int, default=0, metavar="STEPS", help="also train each variant this long")
    parser.add_argument("--curve", action="store_true", help="with --learn: print the mean loss of every 20 steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.path.insert(0, str(ZOO))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from zoo_learns import train

    for variant in VARIANTS:
        if args.prefixes and not any(variant.name.startswith(p) for p in args.prefixes):
            continue
        print("\n".join(run(variant)), flush=True)
        if variant.recipe == "resnet18" and variant.model is not None:
            torch.manual_seed(0)
            print("        penalty by part:", weight_decay_breakdown(variant.model(), 5e-4))
        if args.learn:
            r = train(ZOO / f"{variant.recipe}.py", args.learn, variant.model, variant.optimizer)
            print(
                f"        plain loop, {args.learn} steps: loss {r['start_loss']:.4f} -> {r['end_loss']:.4f}, "
                f"validation {r['metric']} {r['val_before']:.3f} -> {r['val_after']:.3f} (chance {r['chance']:.3f})",
                flush=True,
            )
            if args.curve:
                print("        loss per 20 steps:", " ".join(f"{v:.3f}" for v in r["curve"]), flush=True)
    command = [
        "python",
        "benchmarks/zoo_variants.py",
        *args.prefixes,
        *(["--learn", str(args.learn)] if args.learn else []),
        *(["--curve"] if args.curve else []),
    ]
    print("command: OMP_NUM_THREADS=1", shlex.join(command))


if __name__ == "__main__":
    main()
