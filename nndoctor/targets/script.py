"""Telling a training script from a recipe without running either."""

from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["RECIPE_NAMES", "is_script"]

# a file binding any of these at top level is a recipe (one missing build_model is a broken recipe)
RECIPE_NAMES = frozenset({"build_model", "build_data", "build_loss", "build_optimizer"})


def is_script(path: Path) -> bool:
    """A .py file that is a training script, not a recipe: it binds none of the recipe functions
    (`build_model`, `build_data`, ...) at top level.

    Read with `ast`, nothing runs. A file that cannot be parsed counts as a recipe (the recipe
    loader then reports the syntax error, as it always did).
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in RECIPE_NAMES:
            return False
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*" or (alias.asname or alias.name.rsplit(".", 1)[-1]) in RECIPE_NAMES:
                    return False
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if any(isinstance(n, ast.Name) and n.id in RECIPE_NAMES for n in ast.walk(target)):
                    return False
    return True
