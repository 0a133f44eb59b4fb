"""`nndoctor watch`: run a training script to its end under observation and judge its real loop."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nndoctor.commands.check import FailOn, OutputFormat, with_report_files
from nndoctor.commands.common import (
    OUTPUT_PANEL,
    RUN_PANEL,
    SELECTION_PANEL,
    DebugOpt,
    emit,
    render_options,
    split_codes,
    stderr_console,
    user_errors,
)
from nndoctor.errors import ExitCode

if TYPE_CHECKING:
    from nndoctor.observe.watcher import Watcher

PLAIN_EVERY_S = 10.0  # a plain progress line at most this often when stderr is not a terminal


class LiveStatus:
    """The status on stderr while the script runs: one Rich line on a terminal (step, loss,
    alerts), plain lines otherwise (every new alert, and progress every few seconds)."""

    def __init__(self, script: str, enabled: bool) -> None:
        self.script = script
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self._live: Any = None
        self._alerts = 0
        self._last_plain = 0.0

    def __enter__(self) -> LiveStatus:
        if self.tty:
            from rich.live import Live
            from rich.text import Text

            self._live = Live(
                Text(f"nndoctor watch {self.script}: waiting for the first optimizer step"),
                console=stderr_console(),
                transient=True,
                refresh_per_second=4,
                redirect_stdout=sys.stdout.isatty(),
                redirect_stderr=True,
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def update(self, watcher: Watcher) -> None:
        if not self.enabled:
            return
        run = watcher.result()
        loss = watcher.last_loss
        loss_text = f"{loss:.4g}" if loss is not None else "-"
        alerts = watcher.alerts
        line = f"nndoctor watch {self.script}: step {run.steps} · loss {loss_text} · {len(alerts)} alert(s)"
        if alerts:
            line += f" · {alerts[-1]}"
        if self._live is not None:
            from rich.text import Text

            self._live.update(Text(line))
            return
        now = time.monotonic()
        new = alerts[self._alerts :]
        self._alerts = len(alerts)
        for alert in new:
            sys.stderr.write(f"nndoctor watch: alert at step {run.steps}: {alert}\n")
        if now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            sys.stderr.write(line + "\n")
            sys.stderr.flush()


@with_report_files
def watch(
    script: Annotated[Path, typer.Argument(help="The training script to run (python SCRIPT ARGS...).")],
    script_args: Annotated[
        list[str] | None,
        typer.Argument(help="The script's own arguments, after `--`.", show_default=False),
    ] = None,
    every: Annotated[
        int,
        typer.Option(
            "--every",
            min=1,
            help="Sample gradient/weight statistics every N optimizer steps.",
            rich_help_panel=RUN_PANEL,
        ),
    ] = 10,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Check ids or prefixes to run (default: ND5).", rich_help_panel=SELECTION_PANEL),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Check ids or prefixes to leave out.", rich_help_panel=SELECTION_PANEL),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on stdout.", rich_help_panel=OUTPUT_PANEL)
    ] = OutputFormat.rich,  # type: ignore[attr-defined]
    gate: Annotated[
        bool,
        typer.Option(
            "--gate",
            help="Exit 1 on a gated finding (see --fail-on) even when the script succeeded; without it the "
            "exit code is the script's own.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = False,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Lowest outcome that --gate fails on.", rich_help_panel=OUTPUT_PANEL),
    ] = FailOn.warn,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No live status; only the report.", rich_help_panel=OUTPUT_PANEL),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show the passes and every evidence table.", rich_help_panel=OUTPUT_PANEL),
    ] = False,
    debug: DebugOpt = False,
    files: dict[str, Path] | None = None,
) -> None:
    """Run a training script to its end under observation, then report on its real loop (ND5xx).

    `nndoctor watch train.py -- --epochs 5`: the script runs as `python train.py --epochs 5` would,
    with live status on stderr. Its output and exit code stay its own (with --format other than
    rich its prints go to stderr, so stdout is only the report); --gate exits 1 on findings.
    If the script raises, the report is written, then its traceback, and the exit code is the
    script's. Ctrl-C stops the script; the partial report is written and the exit code is 130.
    """
    with user_errors(debug):
        from nndoctor.observe.api import watch_script

        machine = output_format.value != "rich"
        status = LiveStatus(script.name, enabled=not quiet)
        with status:
            report, outcome = watch_script(
                script,
                list(script_args or []),
                every=every,
                select=split_codes(select),
                ignore=split_codes(ignore),
                on_sample=status.update,
                stdout_to_stderr=machine,
            )
        if debug:
            for error in outcome.listener_errors:
                sys.stderr.write(f"nndoctor watch: an observer error (the script was not affected): {error!r}\n")
        note = report.artifacts.get("watched_run", {}).get("note")
        if note:
            sys.stderr.write(f"nndoctor watch: {note}\n")
        options = render_options(fail_on.value, details=not quiet, verbose=verbose)
        emit(report, output_format.value, files or {}, options)
    if outcome.status == "interrupted":
        sys.stderr.write(f"nndoctor watch: {outcome.describe()}; the report above is partial.\n")
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    if outcome.status == "error":
        sys.stderr.write(outcome.traceback or f"{outcome.describe()}\n")
        sys.stderr.flush()
    code = outcome.exit_code
    if outcome.exit_message:
        sys.stderr.write(outcome.exit_message + "\n")
    if gate and code == 0 and report.gated(fail_on.value):
        code = int(ExitCode.GATED)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command(no_args_is_help=True)(watch)
