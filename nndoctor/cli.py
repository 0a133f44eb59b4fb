"""The `nndoctor` command line: parsing and rendering only; the work happens in the library.

Torch is imported inside the commands that need it, so `nndoctor --help` stays instant.
"""

from __future__ import annotations

import contextlib
import enum
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from nndoctor import __version__
from nndoctor.errors import ExitCode, NndoctorError, UsageError

app = typer.Typer(
    name="nndoctor",
    help="Pre-flight checks for PyTorch training: point it at a model and data, get a report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    add_completion=False,
)

TARGET_PANEL = "Target"
SELECTION_PANEL = "Selection"
OUTPUT_PANEL = "Output"
RUN_PANEL = "Run"


class OutputFormat(str, enum.Enum):
    rich = "rich"
    json = "json"
    markdown = "markdown"


class FailOn(str, enum.Enum):
    fail = "fail"
    warn = "warn"


class Precision(str, enum.Enum):
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


def _stderr_console() -> Any:
    from nndoctor.report.rich_render import make_console

    return make_console(stderr=True)


def print_error(exc: BaseException, title: str = "nndoctor error") -> None:
    from rich.panel import Panel

    _stderr_console().print(Panel(str(exc), title=title, title_align="left", border_style="red", expand=False))


@contextlib.contextmanager
def user_errors(debug: bool = False) -> Iterator[None]:
    """Turn nndoctor's errors into a red panel on stderr and the right exit code."""
    try:
        yield
    except NndoctorError as exc:
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        print_error(exc, exc.title)
        raise typer.Exit(int(exc.exit_code)) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if debug:
            raise
        print_error(
            f"{type(exc).__name__}: {exc}\n\nThis is a bug in nndoctor. Re-run with --debug for the traceback and report it.",
            "Internal error",
        )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


def _split_codes(values: list[str] | None) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def load_any_target(
    target: str | None, config: Path | None, data: Path | None, label: str | None, seed: int | None = None
) -> Any:
    """Exactly one of recipe / --config / --data (none: the bundled sample)."""
    given = [name for name, value in (("TARGET", target), ("--config", config), ("--data", data)) if value is not None]
    if len(given) > 1:
        raise UsageError(f"Give one target, not {' and '.join(given)}.")
    if label is not None and data is None:
        raise UsageError("--target names the label column of a --data file; it needs --data.")
    if config is not None:
        from nndoctor.config import load_config

        return load_config(config, seed=seed or 0)
    if data is not None:
        from nndoctor.tabular import load_table

        return load_table(data, label, seed=seed or 0)
    from nndoctor.target import load_recipe

    return load_recipe(target, seed=seed or 0)


TargetArg = Annotated[
    str | None,
    typer.Argument(
        help="Recipe: path/to/recipe.py, pkg.module or file.py:name. Omit to run the bundled digits sample.",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="YAML config describing the target.", rich_help_panel=TARGET_PANEL)
]
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="CSV/Parquet file; nndoctor builds a small MLP for it.", rich_help_panel=TARGET_PANEL),
]
LabelOpt = Annotated[
    str | None, typer.Option("--target", help="Label column of the --data file.", rich_help_panel=TARGET_PANEL)
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device", help="auto | cpu | cuda | cuda:N (default: auto, CUDA when available).", rich_help_panel=RUN_PANEL
    ),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Seed for every experiment (default 0).", rich_help_panel=RUN_PANEL)
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.", rich_help_panel=RUN_PANEL)]


class RichProgress:
    """Progress on stderr for the long probes; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=_stderr_console(),
            transient=True,
            disable=not enabled,
        )

    @contextlib.contextmanager
    def task(self, description: str, total: int) -> Iterator[Any]:
        task_id = self.progress.add_task(description, total=total)
        try:
            yield lambda n=1: self.progress.advance(task_id, n)
        finally:
            self.progress.remove_task(task_id)

    def __enter__(self) -> RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)


@app.command(no_args_is_help=False)
def check(
    target: TargetArg = None,
    config: ConfigOpt = None,
    data: DataOpt = None,
    label: LabelOpt = None,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            "-p",
            help="quick | default | full | ci, or a profile .yaml path.",
            rich_help_panel=SELECTION_PANEL,
        ),
    ] = "default",
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
    precision: Annotated[
        Precision | None,
        typer.Option("--precision", help="Training-probe precision (autocast).", rich_help_panel=RUN_PANEL),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            help="Overall wall-clock budget in seconds for the training experiments.",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on stdout.", rich_help_panel=OUTPUT_PANEL)
    ] = OutputFormat.rich,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the JSON report to FILE.", rich_help_panel=OUTPUT_PANEL)
    ] = None,
    markdown_file: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Also write a Markdown report to FILE (e.g. $GITHUB_STEP_SUMMARY).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    junit_file: Annotated[
        Path | None,
        typer.Option("--junit", help="Also write a JUnit XML report to FILE.", rich_help_panel=OUTPUT_PANEL),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Lowest outcome that makes the exit code 1.", rich_help_panel=OUTPUT_PANEL),
    ] = FailOn.fail,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Always exit 0 when the run completes.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Only the results table and footer; no progress.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = False,
    no_plugins: Annotated[
        bool,
        typer.Option("--no-plugins", help="Load only nndoctor's built-in checks.", rich_help_panel=SELECTION_PANEL),
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Run a check profile on a target and print the report."""
    with user_errors(debug):
        from nndoctor.api import RunOptions, run_target

        loaded = load_any_target(target, config, data, label, seed)
        settings = loaded.check_settings
        options = RunOptions(
            profile=profile if profile != "default" or "profile" not in settings else str(settings["profile"]),
            select=_split_codes(select) or _split_codes(settings.get("select")),
            ignore=_split_codes(ignore) or _split_codes(settings.get("ignore")),
            device=device,
            seed=seed,
            precision=precision.value if precision else None,
            budget_s=budget if budget is not None else settings.get("budget"),
            plugins=not no_plugins,
        )
        show_progress = not quiet and sys.stderr.isatty() and output_format == OutputFormat.rich
        with RichProgress(show_progress) as progress:
            options.progress = progress
            report = run_target(loaded, options)
        write_outputs(report, output_format, json_file, markdown_file, junit_file, fail_on, quiet)
    raise typer.Exit(report_exit_code(report, fail_on, exit_zero))


def report_exit_code(report: Any, fail_on: FailOn, exit_zero: bool) -> int:
    if exit_zero:
        return int(ExitCode.OK)
    return int(ExitCode.GATED) if report.gated(fail_on.value) else int(ExitCode.OK)


def write_outputs(
    report: Any,
    output_format: OutputFormat,
    json_file: Path | None,
    markdown_file: Path | None,
    junit_file: Path | None,
    fail_on: FailOn,
    quiet: bool,
) -> None:
    from nndoctor.report.json_render import render_json

    if output_format == OutputFormat.json:
        sys.stdout.write(render_json(report))
    elif output_format == OutputFormat.markdown:
        from nndoctor.report.markdown import render_markdown

        sys.stdout.write(render_markdown(report))
    else:
        from nndoctor.report.rich_render import ReportView, make_console

        make_console().print(ReportView(report, details=not quiet))
    for path, render in ((json_file, "json"), (markdown_file, "markdown"), (junit_file, "junit")):
        if path is None:
            continue
        try:
            if render == "json":
                text = render_json(report)
            elif render == "markdown":
                from nndoctor.report.markdown import render_markdown

                text = render_markdown(report)
            else:
                from nndoctor.report.junit import render_junit

                text = render_junit(report, fail_on=fail_on.value)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"Cannot write the {render} report to {path}: {exc.strerror or exc}.") from exc


@app.command("checks")
def list_checks(
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="rich table, json or markdown.")
    ] = OutputFormat.rich,
    no_plugins: Annotated[bool, typer.Option("--no-plugins", help="Only nndoctor's built-in checks.")] = False,
) -> None:
    """The check catalogue: id, name, family, cost and what each checks."""
    with user_errors():
        from nndoctor.catalogue import catalogue_markdown, catalogue_rows

        rows = catalogue_rows(plugins=not no_plugins)
        if output_format == OutputFormat.json:
            import json

            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        if output_format == OutputFormat.markdown:
            sys.stdout.write(catalogue_markdown(rows))
            return
        from rich.table import Table

        from nndoctor.report.rich_render import make_console

        table = Table(show_edge=False, header_style="nndoctor.header")
        for column in ("id", "name", "family", "cost", "checks that"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(row["id"], row["name"], row["family"], row["cost"], row["title"])
        make_console().print(table)


@app.command()
def explain(
    check_id: Annotated[str, typer.Argument(help="A check id (ND201) or name (implausible-initial-loss).")],
) -> None:
    """Why a check exists, what it measures, its thresholds and how to fix what it finds."""
    with user_errors():
        from rich.markdown import Markdown

        from nndoctor.catalogue import explain_text
        from nndoctor.report.rich_render import make_console

        make_console().print(Markdown(explain_text(check_id)))


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the recipe template.")] = Path("nndoctor_recipe.py"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented recipe template to fill in."""
    with user_errors():
        from nndoctor.recipe_template import TEMPLATE

        if path.exists() and not force:
            raise UsageError(
                f"{path} already exists; nndoctor never overwrites your files. Choose another path or pass --force."
            )
        try:
            path.write_text(TEMPLATE, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        typer.echo(f"wrote {path}; fill in build_model() and build_data(), then run: nndoctor check {path}")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"nndoctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Pre-flight checks for PyTorch training."""


def _register_commands() -> None:
    """Commands that live in their own modules (light at import: no torch)."""
    from nndoctor.commands import ci, lr_find

    lr_find.register(app)
    ci.register(app)


_register_commands()


def main() -> None:
    app()
