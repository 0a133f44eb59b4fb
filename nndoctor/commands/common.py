"""What every command shares: options, error printing, progress, running user code, output.

Nothing here imports torch: a command imports the library functions it runs inside its body.
"""

from __future__ import annotations

import contextlib
import enum
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nndoctor.errors import ExitCode, NndoctorError
from nndoctor.progress import ProgressSink

if TYPE_CHECKING:
    from nndoctor.project import Project
    from nndoctor.report.formats import RenderOptions
    from nndoctor.report.model import Report
    from nndoctor.settings import SettingsRequest
    from nndoctor.targets import TargetSpec

TARGET_PANEL = "Target"
SELECTION_PANEL = "Selection"
OUTPUT_PANEL = "Output"
RUN_PANEL = "Run"

TargetArg = Annotated[
    str | None,
    typer.Argument(
        help="Recipe: path/to/recipe.py, pkg.module or file.py:name; or a training script (train.py, "
        "captured at its first optimizer step). Omit to check the target in \\[tool.nndoctor] "
        "(pyproject.toml), or else the bundled digits sample.",
        show_default=False,
    ),
]
IsolatedOpt = Annotated[
    bool,
    typer.Option(
        "--isolated",
        help="Ignore \\[tool.nndoctor] in pyproject.toml (target, settings, policy).",
        rich_help_panel=RUN_PANEL,
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
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="quick | default | full | ci, or a profile .yaml path (default: default).",
        rich_help_panel=SELECTION_PANEL,
        show_default=False,
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device", help="auto | cpu | cuda | cuda:N (default: auto, CUDA when available).", rich_help_panel=RUN_PANEL
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", help="Seed for model building and every experiment (default 0).", rich_help_panel=RUN_PANEL),
]
PrecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--precision", help="fp32 | bf16 | fp16: training-experiment precision (autocast).", rich_help_panel=RUN_PANEL
    ),
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show tracebacks (also of failing experiments).", rich_help_panel=RUN_PANEL)
]


class SummaryFormat(str, enum.Enum):
    rich = "rich"
    markdown = "markdown"


SummaryFormatOpt = Annotated[
    SummaryFormat,
    typer.Option("--format", help="rich for the terminal, markdown for a PR comment or step summary."),
]


def stderr_console() -> Any:
    from nndoctor.report.rich_render import make_console

    return make_console(stderr=True)


def print_error(message: str, title: str = "nndoctor error", style: str = "red") -> None:
    """One paragraph in a panel on stderr; the message is shown literally (never as markup)."""
    from rich.panel import Panel
    from rich.text import Text

    from nndoctor.report.text import visible

    stderr_console().print(
        Panel(Text(visible(message)), title=Text(title), title_align="left", border_style=style, expand=False)
    )


@contextlib.contextmanager
def user_errors(debug: bool = False) -> Iterator[None]:
    """Turn errors into a message on stderr and the documented exit code.

    nndoctor's own errors (bad input) exit 2 without a traceback; Ctrl-C exits 130; anything else
    is a bug in nndoctor (exit 3). `--debug` adds the traceback.
    """
    try:
        yield
    except NndoctorError as exc:
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        print_error(str(exc), exc.title)
        raise typer.Exit(int(exc.exit_code)) from None
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        print_error("Interrupted (Ctrl-C) before a report could be made.", "Interrupted", "yellow")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug gets exit 3, not a traceback
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        print_error(
            f"{type(exc).__name__}: {exc}\n\nThis is a bug in nndoctor. Re-run with --debug for the traceback and "
            "report it.",
            "Internal error",
        )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


def split_codes(values: list[str] | None) -> list[str] | None:
    codes = [code.strip() for value in values or [] for code in value.split(",") if code.strip()]
    return codes or None


def target_spec(target: str | None, config: Path | None, data: Path | None, label: str | None) -> TargetSpec:
    from nndoctor.targets import TargetSpec

    return TargetSpec(recipe=target, config=config, data=data, label=label)


def note(message: str) -> None:
    """One muted line on stderr (stdout carries only the report)."""
    from rich.text import Text

    from nndoctor.report.text import visible

    stderr_console().print(Text(visible(message), style="nndoctor.muted"), soft_wrap=True)


def load_project() -> Project | None:
    """[tool.nndoctor] of the closest pyproject.toml above the working directory, if any."""
    from nndoctor.project import load_project as load

    return load()


def project_target_spec(spec: TargetSpec, project: Project | None) -> TargetSpec:
    """With no target given, the project's target (and say so), else the bundled sample (and say so)."""
    if spec.given:
        return spec
    from nndoctor.project import is_config
    from nndoctor.targets import TargetSpec

    if project is not None and project.target:
        note(f"nndoctor: checking {project.target}, the target in {project.where}")
        if is_config(project.target):
            return TargetSpec(config=Path(project.target))
        return TargetSpec(recipe=project.target)
    where = f"; {project.where} sets no target" if project is not None else ""
    note(
        f"nndoctor: no target given{where}, so checking the bundled sample (a healthy digits MLP); pass a recipe "
        "or set `target` under [tool.nndoctor] in pyproject.toml"
    )
    return spec


def write_pictures(report: Report, folder: Path) -> None:
    """`--plots DIR`: the pictures as SVG (and PNG with matplotlib); what was written goes to stderr."""
    from nndoctor.report.png import write_plots

    written = write_plots(report, folder)
    if written.written:
        note(f"nndoctor: wrote {len(written.written)} picture files to {folder}")
    else:
        note(
            "nndoctor: no pictures to write: the checks that measure them (ND203, ND301, ND303, ND403, ND404) did not run"
        )
    if written.png_missing:
        note(f"nndoctor: {written.png_missing}")


class RichProgress(ProgressSink):
    """Progress bars on stderr for the long experiments; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=stderr_console(),
            transient=True,
            disable=not enabled,
        )

    @contextlib.contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[..., None]]:
        task_id = self.progress.add_task(description, total=total)
        try:
            yield lambda n=1: self.progress.advance(task_id, n)
        finally:
            self.progress.remove_task(task_id)

    def __enter__(self) -> RichProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)


def run_sandboxed(work: Callable[[], Report], progress: RichProgress) -> Report:
    """Run the target's code with its prints going to stderr, so stdout carries only the report."""
    from nndoctor.targets.sandbox import stdout_to_stderr

    with stdout_to_stderr(), progress:
        return work()


def render_options(fail_on: str, *, verbose: bool = False, details: bool = True) -> RenderOptions:
    from nndoctor.report.formats import RenderOptions
    from nndoctor.report.rich_render import make_console

    console = make_console()
    return RenderOptions(
        fail_on=fail_on,
        verbose=verbose,
        details=details,
        width=console.width,
        color=console.is_terminal and not console.no_color,
    )


def emit(report: Report, stdout_format: str, files: Mapping[str, Path], options: RenderOptions) -> None:
    """Write the report files first (they must exist whatever the terminal does), then stdout."""
    from nndoctor.report.formats import FORMATS, write_reports

    problem: NndoctorError | None = None
    try:
        write_reports(report, files, options)
    except NndoctorError as exc:
        problem = exc
    text = FORMATS[stdout_format].render(report, options)
    stream = sys.stdout
    try:
        stream.write(text)
        stream.flush()
    except UnicodeEncodeError:  # a terminal that cannot show some characters: show escapes instead
        stream.write(text.encode(stream.encoding or "ascii", "backslashreplace").decode(stream.encoding or "ascii"))
        stream.flush()
    if problem is not None:
        raise problem


def print_tracebacks(report: Report) -> None:
    """With --debug: the tracebacks of the experiments and checks that errored."""
    for where, text in report.tracebacks.items():
        stderr_console().print(f"--- traceback of {where} ---", markup=False, highlight=False)
        sys.stderr.write(text)


def report_exit_code(report: Report, fail_on: str, exit_zero: bool) -> int:
    if report.interrupted:
        return int(ExitCode.INTERRUPTED)
    if exit_zero:
        return int(ExitCode.OK)
    return int(ExitCode.GATED) if report.gated(fail_on) else int(ExitCode.OK)


def settings_request(**values: Any) -> SettingsRequest:
    from nndoctor.settings import SettingsRequest

    return SettingsRequest(**values)
