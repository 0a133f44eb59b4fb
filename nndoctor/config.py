"""A target described in YAML: `module:attr` references plus keyword arguments.

```yaml
model: {factory: "mypkg.models:make_mlp", kwargs: {hidden: 128}}
data: "mypkg.data:loaders"            # returns a loader, (train, val) or {"train", "val"}
loss: {factory: "torch.nn:CrossEntropyLoss"}
optimizer: {factory: "torch.optim:SGD", kwargs: {lr: 0.1, momentum: 0.9}}
forward: "mypkg.train:forward"        # optional
hints: {task: classification}
check: {profile: default, seed: 0}    # optional defaults for the check options
```
Read with yaml.safe_load only; references may name modules or .py files relative to the YAML.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from nndoctor.errors import TargetError
from nndoctor.target import Target, _call, _import_file, seed_builders, split_data
from nndoctor.yaml_files import load_yaml

TOP_KEYS = {"model", "data", "loss", "optimizer", "forward", "hints", "check"}
REF_KEYS = {"factory", "kwargs"}
CHECK_KEYS = {"profile", "select", "ignore", "seed", "device", "precision", "budget"}


def read_yaml(path: Path, what: str) -> Any:
    return load_yaml(path, what, TargetError, "Check the path passed to --config.")


def resolve_reference(ref: str, base: Path, key: str) -> Any:
    """`pkg.module:attr` or `path/file.py:attr` -> the object."""
    module_part, sep, attr = ref.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetError(
            f"`{key}: {ref}` in the config is not a 'module:attribute' reference (e.g. torch.nn:CrossEntropyLoss)."
        )
    if module_part.endswith(".py"):
        path = Path(module_part)
        module = _import_file(path if path.is_absolute() else base / path)
    else:
        try:
            module = importlib.import_module(module_part)
        except Exception as exc:
            raise TargetError(
                f"`{key}: {ref}` in the config: importing {module_part} failed: {type(exc).__name__}: {exc}."
            ) from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            offered = sorted(n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None)))
            hint = f" It defines: {', '.join(offered[:20])}." if offered and len(offered) <= 20 else ""
            raise TargetError(
                f"`{key}: {ref}` in the config: {module_part} has no attribute {part!r}. Fix the name after ':'.{hint}"
            )
        obj = getattr(obj, part)
    return obj


def _factory(entry: Any, key: str, base: Path) -> tuple[Any, dict[str, Any]]:
    if isinstance(entry, str):
        return resolve_reference(entry, base, key), {}
    if isinstance(entry, dict):
        unknown = set(entry) - REF_KEYS
        if unknown or "factory" not in entry:
            raise TargetError(
                f"`{key}` in the config takes {{factory: 'module:attr', kwargs: {{...}}}}; unknown or missing keys: {sorted(unknown) or ['factory']}."
            )
        kwargs = entry.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise TargetError(f"`{key}.kwargs` in the config must be a mapping.")
        return resolve_reference(str(entry["factory"]), base, f"{key}.factory"), kwargs
    raise TargetError(f"`{key}` in the config must be a 'module:attr' string or a mapping with factory/kwargs.")


def load_config(path: Path, seed: int = 0) -> Target:
    data = read_yaml(path, "config")
    if not isinstance(data, dict):
        raise TargetError(f"The config {path} must be a YAML mapping with at least `model` and `data`.")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise TargetError(
            f"The config {path} has unknown key(s) {sorted(unknown)}; remove or rename them (known keys: "
            f"{', '.join(sorted(TOP_KEYS))})."
        )
    for required in ("model", "data"):
        if required not in data:
            raise TargetError(f"The config {path} has no `{required}` entry.")
    base = path.resolve().parent
    where = str(path)
    seed_builders(seed)
    model_factory, model_kwargs = _factory(data["model"], "model", base)
    model = _call(model_factory, "the model factory", where, **model_kwargs)
    data_factory, data_kwargs = _factory(data["data"], "data", base)
    train, val = split_data(_call(data_factory, "the data factory", where, **data_kwargs), where, "the data factory")
    loss_fn = None
    if data.get("loss") is not None:
        loss_factory, loss_kwargs = _factory(data["loss"], "loss", base)
        loss_fn = _call(loss_factory, "the loss factory", where, **loss_kwargs)
    optimizer_factory = None
    if data.get("optimizer") is not None:
        opt_cls, opt_kwargs = _factory(data["optimizer"], "optimizer", base)

        def optimizer_factory(params: Any) -> Any:
            return _call(opt_cls, "the optimizer factory", where, params, **opt_kwargs)

    forward = resolve_reference(str(data["forward"]), base, "forward") if data.get("forward") else None
    hints = data.get("hints") or {}
    check = data.get("check") or {}
    if not isinstance(hints, dict) or not isinstance(check, dict):
        raise TargetError(f"`hints` and `check` in {path} must be mappings.")
    unknown_check = set(check) - CHECK_KEYS
    if unknown_check:
        raise TargetError(f"`check` in {path} has unknown key(s) {sorted(unknown_check)}; known: {sorted(CHECK_KEYS)}.")
    return Target(
        name=str(path),
        model=model,
        train_data=train,
        val_data=val,
        loss_fn=loss_fn,
        optimizer_factory=optimizer_factory,
        forward_fn=forward,
        hints=dict(hints),
        check_settings=dict(check),
    )
