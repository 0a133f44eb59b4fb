"""`[tool.nndoctor]` in pyproject.toml: a project's target, settings and CI policy.

Found like ruff and pytest find theirs: the closest `pyproject.toml` with a `[tool.nndoctor]` table,
walking up from the working directory. Paths in it are relative to that file's folder.

```toml
[tool.nndoctor]
target = "train/nndoctor_recipe.py"   # or pkg.module, file.py:prefix, or a YAML config
profile = "quick"
select = ["ND1", "ND2", "ND3"]
ignore = ["ND104"]
device = "cpu"
policy = "strict"                     # or a policy file, used by `nndoctor gate`
```

`target` and `policy` tell `nndoctor check` (with no TARGET) and `nndoctor gate` (with no
--policy) what to use; the other keys are a level of the settings precedence (below the command
line and a config's `check:` block, above the profile). Keys may be written with dashes
(`max-batches`) or underscores. This module never imports torch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nndoctor.errors import SettingsError
from nndoctor.settings import Layer, normalize_layer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PROJECT_KEYS = ("target", "policy")  # besides the run settings


@dataclass(frozen=True)
class Project:
    """The `[tool.nndoctor]` table of one pyproject.toml, checked and with paths resolved."""

    path: Path  # the pyproject.toml
    settings: dict[str, Any]  # run settings (a level of the precedence)
    target: str | None = None
    policy: str | None = None

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def where(self) -> str:
        return f"[tool.nndoctor] in {self.path}"

    def layer(self) -> Layer:
        return Layer("project", self.where, self.settings)


def find_pyproject(start: Path | None = None) -> Path | None:
    """The closest pyproject.toml at or above `start` (the cwd) that has a [tool.nndoctor] table."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and _has_table(path):
            return path
    return None


def _has_table(path: Path) -> bool:
    """Cheap first look (no parse) so unrelated pyproject.toml files with TOML errors never break a run."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "tool.nndoctor" in text


def load_project(start: Path | None = None) -> Project | None:
    """The project's configuration, or None when no pyproject.toml up the tree configures nndoctor."""
    path = find_pyproject(start)
    return read_project(path) if path is not None else None


def read_project(path: Path) -> Project | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}. Fix the file (nndoctor reads [tool.nndoctor]).") from exc
    table = (data.get("tool") or {}).get("nndoctor")
    if table is None:
        return None
    where = f"[tool.nndoctor] in {path}"
    if not isinstance(table, dict):
        raise SettingsError(f'{where} must be a table of settings, e.g. profile = "quick".')
    values = {str(key).replace("-", "_"): value for key, value in table.items()}
    target, policy = values.pop("target", None), values.pop("policy", None)
    for key, value in (("target", target), ("policy", policy)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise SettingsError(f"{where} `{key}` is {value!r}; it must be a non-empty string.")
    settings = normalize_layer(values, where, extra=PROJECT_KEYS)
    if isinstance(settings.get("profile"), str):
        settings["profile"] = _maybe_path(path.parent, settings["profile"])
    return Project(
        path=path,
        settings=settings,
        target=_target(path.parent, target) if target else None,
        policy=_maybe_path(path.parent, policy) if policy else None,
    )


def _maybe_path(root: Path, value: str) -> str:
    """A name (a shipped profile or policy) stays a name; a file next to the pyproject becomes its path."""
    candidate = root / value
    if candidate.exists() or value.endswith((".yaml", ".yml")) or "/" in value or "\\" in value:
        return str(candidate)
    return value


def _target(root: Path, value: str) -> str:
    """A recipe path (with an optional `:selector`) or a config file, relative to the project root;
    a module name stays as it is."""
    base, sep, selector = value.partition(":") if not (len(value) > 1 and value[1] == ":") else (value, "", "")
    if base.endswith((".py", ".yaml", ".yml")) or "/" in base or "\\" in base:
        return str(root / base) + (sep + selector if sep else "")
    return value


def is_config(target: str) -> bool:
    return target.endswith((".yaml", ".yml"))
