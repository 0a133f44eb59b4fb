"""`nndoctor diff`: what got worse from one JSON report to the next. Reads JSON only, never torch.

Exit codes: 0 no regression; 1 a regression; 2 a report that cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nndoctor.commands.common import DebugOpt, SummaryFormat, SummaryFormatOpt, user_errors
from nndoctor.errors import ExitCode

# the defaults of nndoctor.diff.compare, repeated so `nndoctor --help` need not import it (a test
# checks they agree)
DEFAULT_REL_TOL = 0.25
DEFAULT_ABS_TOL = 1e-6


def diff(
    base_file: Annotated[Path, typer.Argument(metavar="BASE.json", help="The baseline report (e.g. from main).")],
    head_file: Annotated[Path, typer.Argument(metavar="HEAD.json", help="The report of the change.")],
    output_format: SummaryFormatOpt = SummaryFormat.rich,
    fail_on_regression: Annotated[
        bool,
        typer.Option(
            "--fail-on-regression/--no-fail-on-regression",
            help="Exit 1 when a check got worse (new warn/fail/error).",
        ),
    ] = True,
    rel_tol: Annotated[
        float,
        typer.Option("--rel-tol", min=0.0, help="Relative change below which an evidence number counts as unchanged."),
    ] = DEFAULT_REL_TOL,
    abs_tol: Annotated[
        float,
        typer.Option("--abs-tol", min=0.0, help="Absolute change below which an evidence number counts as unchanged."),
    ] = DEFAULT_ABS_TOL,
    debug: DebugOpt = False,
) -> None:
    """What got worse from BASE.json to HEAD.json: new warnings/failures, moved outcomes and evidence.

    Exit 1 on a regression (unless --no-fail-on-regression), 0 otherwise, 2 for an unreadable report.
    """
    with user_errors(debug):
        from nndoctor.diff import compare, render_diff_markdown, render_diff_rich
        from nndoctor.report.io import load_report

        result = compare(load_report(base_file), load_report(head_file), rel_tol=rel_tol, abs_tol=abs_tol)
        result.base_source, result.head_source = str(base_file), str(head_file)
        if output_format == SummaryFormat.markdown:
            sys.stdout.write(render_diff_markdown(result))
        else:
            from nndoctor.report.rich_render import make_console

            make_console().print(render_diff_rich(result))
    gated = fail_on_regression and result.has_regressions
    raise typer.Exit(int(ExitCode.GATED if gated else ExitCode.OK))


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
