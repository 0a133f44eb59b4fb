"""A recipe file or module: `build_model()`, `build_data()` and the optional builders.

Loading a recipe executes its code, as pytest does with test files, inside the sandbox
(`nndoctor.targets.sandbox`): failures become a `TargetError` naming the file and the function
involved, never a bare traceback, and a `sys.exit()` in user code cannot end nndoctor silently.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from nndoctor.errors import TargetError, UserCodeExit
from nndoctor.targets.model import Target, validate_hints
from nndoctor.targets.sandbox import call_user, exit_message, script_argv, user_frame

DEFAULT_RECIPE = "nndoctor.samples.digits_mlp"
RECIPE_FUNCTIONS = ("build_model", "build_data", "build_loss", "build_optimizer", "forward")


def import_file(path: Path) -> ModuleType:
    """Import a .py file as a fresh module (sibling imports work as when the user runs it)."""
    if not path.exists():
        raise TargetError(
            f"The recipe file {path} does not exist. Pass a path to a .py recipe, a module name, or run "
            "`nndoctor init` to write a template."
        )
    if path.is_dir():
        raise TargetError(f"{path} is a directory; pass the recipe's .py file inside it.")
    if path.suffix != ".py":
        raise TargetError(
            f"{path} is not a Python file. Recipes are .py files or modules; YAML configs go through --config and "
            "tabular files through --data."
        )
    module_name = f"nndoctor_recipe_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"Python cannot load {path} as a module.")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        with script_argv(str(path)):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise TargetError(
            f"The recipe {exc.filename}:{exc.lineno} has a syntax error: {exc.msg}. Fix the file and run again."
        ) from exc
    except SystemExit as exc:
        raise UserCodeExit(exit_message(exc, "importing the recipe", str(path))) from None
    except Exception as exc:
        raise TargetError(
            f"Importing the recipe {path} raised {type(exc).__name__}: {exc}{user_frame(exc, str(path))}."
        ) from exc
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _import_module(name: str) -> ModuleType:
    try:
        with script_argv(name):
            return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise TargetError(
                f"No recipe file or module named {name!r}. Pass a path to a .py file (e.g. ./recipe.py) or an "
                "importable module name."
            ) from exc
        raise TargetError(f"Importing {name} failed: {exc}.") from exc
    except SyntaxError as exc:
        raise TargetError(f"The recipe {exc.filename}:{exc.lineno} has a syntax error: {exc.msg}.") from exc
    except SystemExit as exc:
        raise UserCodeExit(exit_message(exc, "importing the recipe module", name)) from None
    except Exception as exc:
        raise TargetError(f"Importing the recipe module {name} raised {type(exc).__name__}: {exc}.") from exc


def _recipe_namespace(spec: str) -> tuple[Any, str, str]:
    """The object holding the recipe functions, a display name, and its file (or module name)."""
    windows_drive = len(spec) > 1 and spec[1] == ":"
    base, _, selector = (spec, "", "") if windows_drive else spec.partition(":")
    if base.endswith(".py") or "/" in base or "\\" in base:
        module = import_file(Path(base))
        where = str(Path(base))
    else:
        module = _import_module(base)
        where = getattr(module, "__file__", None) or base
    if not selector:
        return module, spec, where
    holder = getattr(module, selector, None)
    if holder is not None:
        return holder, spec, where
    prefixed = {
        name: getattr(module, f"{selector}{name}", None) or getattr(module, f"{selector}_{name}", None)
        for name in RECIPE_FUNCTIONS
    }
    if prefixed["build_model"] is None:
        raise TargetError(
            f"{base} has no attribute {selector!r} and no function {selector}_build_model: the part after ':' names "
            "an object holding the recipe functions or a prefix of their names."
        )
    prefixed["NNDOCTOR"] = getattr(module, f"{selector}_NNDOCTOR", getattr(module, "NNDOCTOR", None))
    return SimpleNamespace(**prefixed), spec, where


def split_data(data: Any, where: str, label: str = "build_data()") -> tuple[Iterable[Any], Iterable[Any] | None]:
    """Accept a loader, a (train, val) pair or a {"train": ..., "val": ...} dict."""
    if isinstance(data, dict):
        unknown = set(data) - {"train", "val", "validation"}
        if "train" not in data or unknown:
            raise TargetError(
                f"{label} in {where} returned a dict with keys {sorted(map(str, data))}; use "
                "{'train': loader, 'val': loader} ('val' optional)."
            )
        train, val = data["train"], data.get("val", data.get("validation"))
    elif isinstance(data, tuple) and len(data) == 2 and all(is_loader(d) or d is None for d in data):
        train, val = data
    else:
        train, val = data, None
    for which, loader in (("training", train), ("validation", val)):
        if loader is None and which == "validation":
            continue
        if not is_loader(loader):
            shape = f" of {len(data)} items" if isinstance(data, (tuple, list)) else ""
            returned = f"{label} in {where} returned {_a(type(data).__name__)}{shape}"
            what = "" if loader is data else f" whose {which} data is {_a(type(loader).__name__)}"
            raise TargetError(
                f"{returned}{what}, which is not a loader. Return a DataLoader (e.g. "
                "DataLoader(TensorDataset(x, y), batch_size=64)), a (train_loader, val_loader) pair, "
                "or {'train': ..., 'val': ...}."
            )
    return train, val


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def is_loader(obj: Any) -> bool:
    if obj is None or isinstance(obj, (str, bytes, dict)):
        return False
    import torch

    if isinstance(obj, torch.Tensor):
        return False
    if isinstance(obj, (list, tuple)):
        return len(obj) > 0 and all(isinstance(b, (list, tuple, dict)) for b in obj)
    return hasattr(obj, "__iter__")


def definition_site(func: Any) -> str | None:
    """'file:line' where a function is defined, for messages and CI annotations."""
    try:
        file = inspect.getsourcefile(func)
        line = inspect.getsourcelines(func)[1]
    except (OSError, TypeError):
        return None
    return f"{file}:{line}" if file else None


def load_recipe(spec: str | None, seed: int = 0) -> Target:
    """Load a recipe file or module (the bundled digits sample when `spec` is None)."""
    from nndoctor.rng import seed_everything

    namespace, name, where = _recipe_namespace(spec or DEFAULT_RECIPE)
    if spec is None:
        name = "sample: digits MLP (nndoctor.samples.digits_mlp)"
    build_model = getattr(namespace, "build_model", None)
    if not callable(build_model):
        raise TargetError(
            f"The recipe {where} defines no `build_model()` function. A recipe needs at least build_model() and "
            "build_data(); `nndoctor init` writes a commented template."
        )
    build_data = getattr(namespace, "build_data", None)
    if not callable(build_data):
        raise TargetError(
            f"The recipe {where} defines no `build_data()` function returning the training loader (or a (train, val) "
            "pair)."
        )
    hints = validate_hints(getattr(namespace, "NNDOCTOR", None), where)
    seed_everything(seed)  # one --seed gives one model and one data order
    with script_argv(where):
        model = call_user(build_model, "build_model()", where)
        train, val = split_data(call_user(build_data, "build_data()", where), where)
        build_loss = getattr(namespace, "build_loss", None)
        loss_fn = call_user(build_loss, "build_loss()", where) if callable(build_loss) else None
    if build_loss is not None and not callable(loss_fn):
        raise TargetError(
            f"build_loss() in {where} returned {type(loss_fn).__name__}; it must return a callable loss(output, "
            "target), e.g. nn.CrossEntropyLoss()."
        )
    build_optimizer = getattr(namespace, "build_optimizer", None)
    factory: Callable[..., Any] | None = None
    if callable(build_optimizer):

        def factory(params: Any, _build: Callable[..., Any] = build_optimizer) -> Any:
            return call_user(_build, "build_optimizer(params)", where, params)

    forward = getattr(namespace, "forward", None)
    locations = {
        fn: site
        for fn in RECIPE_FUNCTIONS
        if callable(getattr(namespace, fn, None)) and (site := definition_site(getattr(namespace, fn)))
    }
    return Target(
        name=name,
        model=model,
        train_data=train,
        val_data=val,
        loss_fn=loss_fn,
        optimizer_factory=factory,
        forward_fn=forward if callable(forward) else None,
        hints=hints,
        locations=locations,
    )
