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

from nndoctor.errors import TargetError, UserCodeExit
from nndoctor.settings import Layer, normalize_layer
from nndoctor.targets.model import Target, validate_hints
from nndoctor.targets.recipe import definition_site, import_file, split_data
from nndoctor.targets.sandbox import call_user, exit_message
from nndoctor.yaml_files import load_yaml

TOP_KEYS = ("model", "data", "loss", "optimizer", "forward", "hints", "check")
REF_KEYS = {"factory", "kwargs"}


def read_config(path: Path) -> dict[str, Any]:
    """The config file, checked for its shape (nothing is imported or built yet)."""
    data = load_yaml(path, "config", TargetError, "Check the path passed to --config.")
    if not isinstance(data, dict):
        raise TargetError(f"The config {path} must be a YAML mapping with at least `model` and `data`.")
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise TargetError(
            f"The config {path} has unknown key(s) {sorted(map(str, unknown))}; remove or rename them (known keys: "
            f"{', '.join(TOP_KEYS)})."
        )
    for required in ("model", "data"):
        if required not in data:
            raise TargetError(f"The config {path} has no `{required}` entry.")
    return data


def config_layer(path: Path, data: dict[str, Any]) -> Layer:
    """The config's `check:` block as a level of the settings precedence."""
    where = f"`check:` in the config {path}"
    return Layer("config", where, normalize_layer(data.get("check") or {}, where))


def resolve_reference(ref: str, base: Path, key: str) -> Any:
    """`pkg.module:attr` or `path/file.py:attr` -> the object."""
    module_part, sep, attr = ref.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetError(
            f"`{key}: {ref}` in the config is not a 'module:attribute' reference (e.g. torch.nn:CrossEntropyLoss)."
        )
    if module_part.endswith(".py"):
        path = Path(module_part)
        module = import_file(path if path.is_absolute() else base / path)
    else:
        try:
            module = importlib.import_module(module_part)
        except SystemExit as exc:
            raise UserCodeExit(exit_message(exc, f"importing {module_part} for `{key}`", str(base))) from None
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


def load_config(path: Path, data: dict[str, Any], seed: int = 0) -> Target:
    """Build the target a config describes (after `read_config`); builders run seeded."""
    from nndoctor.rng import seed_everything

    base = path.resolve().parent
    where = str(path)
    hints = validate_hints(data.get("hints"), f"`hints` of {path}")
    seed_everything(seed)
    model_factory, model_kwargs = _factory(data["model"], "model", base)
    model = call_user(model_factory, "the model factory", where, **model_kwargs)
    data_factory, data_kwargs = _factory(data["data"], "data", base)
    train, val = split_data(
        call_user(data_factory, "the data factory", where, **data_kwargs), where, "the data factory"
    )
    loss_fn = None
    if data.get("loss") is not None:
        loss_factory, loss_kwargs = _factory(data["loss"], "loss", base)
        loss_fn = call_user(loss_factory, "the loss factory", where, **loss_kwargs)
    optimizer_factory = None
    if data.get("optimizer") is not None:
        opt_cls, opt_kwargs = _factory(data["optimizer"], "optimizer", base)

        def optimizer_factory(params: Any) -> Any:
            return call_user(opt_cls, "the optimizer factory", where, params, **opt_kwargs)

    forward = resolve_reference(str(data["forward"]), base, "forward") if data.get("forward") else None
    locations = {"config": f"{path}:1"}
    if (site := definition_site(model_factory)) is not None:
        locations["build_model"] = site
    return Target(
        name=str(path),
        model=model,
        train_data=train,
        val_data=val,
        loss_fn=loss_fn,
        optimizer_factory=optimizer_factory,
        forward_fn=forward,
        hints=hints,
        locations=locations,
    )
