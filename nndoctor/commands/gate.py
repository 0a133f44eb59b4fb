"""`nndoctor gate`: does a JSON report meet a policy? Reads JSON only, never torch.

Exit codes: 0 the report meets the policy; 1 a violation; 2 a report or policy file that cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nndoctor.commands.common import (
    DebugOpt,
    IsolatedOpt,
    SummaryFormat,
    SummaryFormatOpt,
    load_project,
    note,
    user_errors,
)


def gate(
    report_file: Annotated[Path, typer.Argument(metavar="REPORT.json", help="A report from `nndoctor check --json`.")],
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            help="Policy YAML file or shipped policy name (default, strict, example). "
            "Default: the policy in \\[tool.nndoctor] (pyproject.toml), else fail and error outcomes violate.",
        ),
    ] = None,
    output_format: SummaryFormatOpt = SummaryFormat.rich,
    isolated: IsolatedOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Exit 1 when a JSON report breaks a policy (outcomes, evidence thresholds, required checks).

    Exit 0 when it meets the policy, 2 when the report or policy file cannot be read.
    """
    with user_errors(debug):
        from nndoctor.gate import evaluate, load_policy, render_gate_markdown, render_gate_rich
        from nndoctor.report.io import load_report

        if policy is None and not isolated:
            project = load_project()
            if project is not None and project.policy:
                policy = project.policy
                note(f"nndoctor: gating with the policy {policy}, from {project.where}")
        loaded_policy = load_policy(policy)
        result = evaluate(load_report(report_file), loaded_policy)
        result.report_source = str(report_file)
        if output_format == SummaryFormat.markdown:
            sys.stdout.write(render_gate_markdown(result))
        else:
            from nndoctor.report.rich_render import make_console

            make_console().print(render_gate_rich(result))
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("gate")(gate)
