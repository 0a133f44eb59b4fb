"""`nndoctor gate` and `nndoctor diff`: the CI commands, which read JSON reports and never torch.

Exit codes (nndoctor.errors.ExitCode): 0 the report meets the policy / no regression; 1 a policy
violation / a regression; 2 a report or policy file that cannot be read (the message names it).
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from nndoctor.errors import ExitCode

# the defaults of nndoctor.diff.compare, repeated so `nndoctor --help` need not import it (a test
# checks they agree)
DEFAULT_REL_TOL = 0.25
DEFAULT_ABS_TOL = 1e-6


class CIFormat(str, enum.Enum):
    rich = "rich"
    markdown = "markdown"


FormatOpt = Annotated[
    CIFormat, typer.Option("--format", help="rich for the terminal, markdown for a PR comment or step summary.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


def gate(
    report_file: Annotated[Path, typer.Argument(metavar="REPORT.json", help="A report from `nndoctor check --json`.")],
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            help="Policy YAML file or shipped policy name (default, strict, example). "
            "Default: fail and error outcomes violate.",
        ),
    ] = None,
    output_format: FormatOpt = CIFormat.rich,
    debug: DebugOpt = False,
) -> None:
    """Exit 1 when a JSON report breaks a policy (outcomes, evidence thresholds, required checks).

    Exit 0 when it meets the policy, 2 when the report or policy file cannot be read.
    """
    from nndoctor.cli import user_errors

    with user_errors(debug):
        from nndoctor.gate import evaluate, load_policy, render_gate_markdown, render_gate_rich
        from nndoctor.report.io import load_report

        loaded_policy = load_policy(policy)
        result = evaluate(load_report(report_file), loaded_policy)
        result.report_source = str(report_file)
        if output_format == CIFormat.markdown:
            sys.stdout.write(render_gate_markdown(result))
        else:
            from nndoctor.report.rich_render import make_console

            make_console().print(render_gate_rich(result))
    raise typer.Exit(result.exit_code)


def diff(
    base_file: Annotated[Path, typer.Argument(metavar="BASE.json", help="The baseline report (e.g. from main).")],
    head_file: Annotated[Path, typer.Argument(metavar="HEAD.json", help="The report of the change.")],
    output_format: FormatOpt = CIFormat.rich,
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
    from nndoctor.cli import user_errors

    with user_errors(debug):
        from nndoctor.diff import compare, render_diff_markdown, render_diff_rich
        from nndoctor.report.io import load_report

        result = compare(load_report(base_file), load_report(head_file), rel_tol=rel_tol, abs_tol=abs_tol)
        result.base_source, result.head_source = str(base_file), str(head_file)
        if output_format == CIFormat.markdown:
            sys.stdout.write(render_diff_markdown(result))
        else:
            from nndoctor.report.rich_render import make_console

            make_console().print(render_diff_rich(result))
    gated = fail_on_regression and result.has_regressions
    raise typer.Exit(int(ExitCode.GATED if gated else ExitCode.OK))


def register(app: typer.Typer) -> None:
    """Add `gate` and `diff` to the nndoctor app."""
    app.command("gate")(gate)
    app.command("diff")(diff)
