"""`nndoctor checks` and `nndoctor explain`: the catalogue, read from the check declarations."""

from __future__ import annotations

import enum
import json
import sys
from typing import Annotated

import typer

from nndoctor.commands.common import user_errors


class CatalogueFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


def list_checks(
    output_format: Annotated[
        CatalogueFormat, typer.Option("--format", help="rich table, json or markdown.")
    ] = CatalogueFormat.rich,
    no_plugins: Annotated[bool, typer.Option("--no-plugins", help="Only nndoctor's built-in checks.")] = False,
) -> None:
    """The check catalogue: id, name, family, cost and what each checks."""
    with user_errors():
        from nndoctor.catalogue import catalogue_markdown, catalogue_rows

        rows = catalogue_rows(plugins=not no_plugins)
        if output_format == CatalogueFormat.json:
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        if output_format == CatalogueFormat.markdown:
            sys.stdout.write(catalogue_markdown(rows))
            return
        from rich.table import Table

        from nndoctor.report.rich_render import make_console
        from nndoctor.report.text import plain

        table = Table(show_edge=False, header_style="nndoctor.header")
        for column in ("id", "name", "family", "cost", "checks that"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(plain(row[k]) for k in ("id", "name", "family", "cost", "title")))
        make_console().print(table)


def explain(
    check_id: Annotated[str, typer.Argument(help="A check id (ND201) or name (implausible-initial-loss).")],
    no_plugins: Annotated[bool, typer.Option("--no-plugins", help="Only nndoctor's built-in checks.")] = False,
) -> None:
    """Why a check exists, what it measures, its thresholds and how to fix what it finds."""
    with user_errors():
        from rich.markdown import Markdown

        from nndoctor.catalogue import explain_text
        from nndoctor.report.rich_render import make_console
        from nndoctor.report.text import visible

        make_console().print(Markdown(visible(explain_text(check_id, plugins=not no_plugins))))


def register(app: typer.Typer) -> None:
    app.command("checks")(list_checks)
    app.command("explain")(explain)
