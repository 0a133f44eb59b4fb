"""`nndoctor check`: run a check profile on a target and print the report."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from nndoctor.commands.common import (
    OUTPUT_PANEL,
    RUN_PANEL,
    SELECTION_PANEL,
    TARGET_PANEL,
    ConfigOpt,
    DataOpt,
    DebugOpt,
    DeviceOpt,
    IsolatedOpt,
    LabelOpt,
    PrecisionOpt,
    ProfileOpt,
    RichProgress,
    SeedOpt,
    TargetArg,
    emit,
    load_project,
    note,
    print_tracebacks,
    project_target_spec,
    render_options,
    report_exit_code,
    run_sandboxed,
    settings_request,
    split_codes,
    target_spec,
    user_errors,
    write_pictures,
)
from nndoctor.report.formats import FORMATS

OutputFormat = enum.Enum(  # type: ignore[misc]
    "OutputFormat", {name: name for name, f in FORMATS.items() if f.stdout}, type=str
)


class FailOn(str, enum.Enum):
    fail = "fail"
    warn = "warn"


def with_report_files(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command one `--NAME FILE` option per file format in the format table; the command
    receives them as `files={name: path}`."""
    hints = typing.get_type_hints(func, include_extras=True)  # resolved here: typer sees objects, not strings
    signature = inspect.signature(func)
    names = [name for name, f in FORMATS.items() if f.file]
    extra = [
        inspect.Parameter(
            f"{name}_file",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None,
                typer.Option(
                    f"--{name}", help=f"Also write {FORMATS[name].help} to FILE.", rich_help_panel=OUTPUT_PANEL
                ),
            ],
        )
        for name in names
    ]
    kept = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[p.name])
        for p in signature.parameters.values()
        if p.name != "files"
    ]

    def command(**kwargs: Any) -> Any:
        files = {name: kwargs.pop(f"{name}_file") for name in names if kwargs.get(f"{name}_file") is not None}
        for name in names:
            kwargs.pop(f"{name}_file", None)
        return func(files=files, **kwargs)

    command.__signature__ = signature.replace(parameters=[*kept, *extra], return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in (*kept, *extra)}
    command.__name__ = func.__name__
    command.__doc__ = func.__doc__
    command.__module__ = func.__module__
    return command


ScriptArgs = Annotated[
    list[str] | None,
    typer.Argument(
        help="A training script's own arguments, after `--`: nndoctor check train.py -- --epochs 1.",
        show_default=False,
        metavar="-- SCRIPT_ARGS",
    ),
]
PickModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        metavar="NAME",
        help="Training script that builds several models: the one to check (variable or class name).",
        rich_help_panel=TARGET_PANEL,
    ),
]
PickOptimizerOpt = Annotated[
    str | None,
    typer.Option(
        "--optimizer",
        metavar="NAME",
        help="Training script that builds several optimizers: the one to check (variable or class name).",
        rich_help_panel=TARGET_PANEL,
    ),
]


@with_report_files
def check(
    target: TargetArg = None,
    script_args: ScriptArgs = None,
    pick_model: PickModelOpt = None,
    pick_optimizer: PickOptimizerOpt = None,
    config: ConfigOpt = None,
    data: DataOpt = None,
    label: LabelOpt = None,
    profile: ProfileOpt = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            help="Check ids or prefixes to run, comma-separated (e.g. ND2,ND401).",
            rich_help_panel=SELECTION_PANEL,
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Check ids or prefixes to leave out.", rich_help_panel=SELECTION_PANEL),
    ] = None,
    device: DeviceOpt = None,
    seed: SeedOpt = None,
    precision: PrecisionOpt = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            help="Wall-clock safety cap in seconds for the training experiments; an experiment it cuts is "
            "'not judged'. Default: none (experiments are bounded by steps).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on stdout.", rich_help_panel=OUTPUT_PANEL)
    ] = OutputFormat.rich,  # type: ignore[attr-defined]
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Lowest outcome that makes the exit code 1.", rich_help_panel=OUTPUT_PANEL),
    ] = FailOn.fail,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 when the run completes.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Only the diagnosis, the collapsed passes and the footer; no panels, no progress.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show the passes and skips in full, and every evidence table.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = False,
    plots: Annotated[
        Path | None,
        typer.Option(
            "--plots",
            metavar="DIR",
            help="Also write the pictures (gradient flow, activations, update ratios, loss curve, LR range "
            "test) to DIR as SVG, and as PNG when matplotlib is installed.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    no_plugins: Annotated[
        bool,
        typer.Option("--no-plugins", help="Load only nndoctor's built-in checks.", rich_help_panel=SELECTION_PANEL),
    ] = False,
    isolated: IsolatedOpt = False,
    debug: DebugOpt = False,
    files: dict[str, Path] | None = None,
) -> None:
    """Run a check profile on a target and print the report.

    With no TARGET, the target in \\[tool.nndoctor] of the closest pyproject.toml is checked, or else
    the bundled sample. A .py TARGET without build_model() is a training script: it runs (with the
    arguments after `--`) until its first optimizer step, where its model, optimizer, loss and
    loaders are captured; the script is stopped and they are checked. Exit codes: 0 nothing gated; 1 a gated finding (fail or error; --fail-on warn adds warn); 2 bad input (an
    option, a target or a file that cannot be used); 3 a bug in nndoctor; 130 interrupted (the partial
    report is written first).
    """
    with user_errors(debug):
        from nndoctor.api import run_spec

        request = settings_request(
            profile=profile,
            select=split_codes(select),
            ignore=split_codes(ignore),
            device=device,
            seed=seed,
            precision=precision,
            budget_s=budget,
            plugins=False if no_plugins else None,
        )
        project = None if isolated else load_project()
        spec = project_target_spec(target_spec(target, config, data, label), project)
        spec = dataclasses.replace(
            spec, script_args=tuple(script_args or ()), pick_model=pick_model, pick_optimizer=pick_optimizer
        )
        show_progress = not quiet and sys.stderr.isatty() and output_format.value == "rich"
        progress = RichProgress(show_progress)
        layer = project.layer() if project is not None else None
        report = run_sandboxed(lambda: run_spec(spec, request, project=layer, progress=progress), progress)
        capture = report.artifacts.get("capture")
        if capture and not quiet:
            note(str(capture.get("description", "")))
        options = render_options(fail_on.value, details=not quiet, verbose=verbose)
        emit(report, output_format.value, files or {}, options)
        if plots is not None:
            write_pictures(report, plots)
        if debug:
            print_tracebacks(report)
    raise typer.Exit(report_exit_code(report, fail_on.value, exit_zero))


def register(app: typer.Typer) -> None:
    app.command(no_args_is_help=False)(check)
