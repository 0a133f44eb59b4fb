"""`nndoctor init`: write a commented recipe template (never over an existing file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nndoctor.commands.common import user_errors
from nndoctor.errors import UsageError


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the recipe template.")] = Path("nndoctor_recipe.py"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented recipe template to fill in."""
    with user_errors():
        from nndoctor.recipe_template import TEMPLATE
        from nndoctor.report.formats import write_atomic

        if path.exists() and not force:
            raise UsageError(
                f"{path} already exists; nndoctor never overwrites your files. Choose another path or pass --force."
            )
        if path.is_dir():
            raise UsageError(f"{path} is a directory; give the path of the recipe file to write.")
        try:
            write_atomic(path, TEMPLATE)
        except OSError as exc:
            raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        typer.echo(f"wrote {path}; fill in build_model() and build_data(), then run: nndoctor check {path}")


def register(app: typer.Typer) -> None:
    app.command()(init)
