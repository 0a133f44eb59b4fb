"""`nndoctor lr-find`: the learning-rate range test as a command.

It runs the same `lr_range` probe and ND403 check that `nndoctor check` runs, with the sweep
settings from the options, and renders the curve: a terminal plot, a summary table, and on
request a PNG (`--plot`, needs matplotlib), a CSV of the curve (`--csv`) and the JSON report
(`--json`, with the curve under `artifacts.lr_curve`). The user's model and optimizer are never
touched (the sweep runs on nndoctor's private copy) and nothing is written except the files asked
for.

Exit codes: 0 when the sweep ran (whatever it found); 1 when it could not produce a reading
because the loss is NaN/Inf from the very first step (shown as a failed ND403 finding) or the
sweep itself crashed; 2 for usage errors: bad options, a target that does not load, an optimizer
without a learning rate.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from nndoctor.commands.common import (
    OUTPUT_PANEL,
    ConfigOpt,
    DataOpt,
    DebugOpt,
    DeviceOpt,
    LabelOpt,
    PrecisionOpt,
    ProfileOpt,
    RichProgress,
    SeedOpt,
    TargetArg,
    print_error,
    print_tracebacks,
    run_sandboxed,
    settings_request,
    target_spec,
    user_errors,
)
from nndoctor.errors import ExitCode, UsageError
from nndoctor.lr_find import LR_FIND_BATCHES, LRFindResult
from nndoctor.lr_suggest import MIN_STEPS, LRRangeSettings
from nndoctor.report.formats import write_atomic

DEFAULTS = LRRangeSettings()
# the sweep options, as the probe's settings they set (messages name the option)
OPTION_OF = {
    "start": "--start",
    "end": "--end",
    "steps": "--steps",
    "mode": "--mode",
    "accumulate": "--accumulate",
    "loss": "--val",
    "val_every": "--val-every",
    "smooth": "--smooth",
    "diverge_factor": "--diverge-factor",
    "confirm": "--confirm",
    "confirm_steps": "--confirm-steps",
}

SWEEP_PANEL = "Sweep"


class SweepMode(str, enum.Enum):
    exp = "exp"
    linear = "linear"


class LrFindFormat(str, enum.Enum):
    rich = "rich"
    json = "json"


def _fmt(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float)) else "-"


def summary_table(summary: dict[str, Any], finding: Any) -> Any:
    """The reading of the curve as a two-column Rich table (every value shown literally)."""
    from rich.table import Table
    from rich.text import Text

    from nndoctor.report.text import visible

    s = summary.get("suggestion") or {}
    table = Table(show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="nndoctor.header")
    table.add_column()
    rng = f"{_fmt(s.get('low'))} .. {_fmt(s.get('high'))}" if s.get("low") else "-"
    accumulate = summary.get("accumulate", 1)
    rows: list[tuple[str, Any]] = [
        ("suggested lr", Text(_fmt(s.get("lr")), style="nndoctor.pass") if s.get("lr") else Text("-")),
        ("recommended range", rng),
        ("loss diverges at", _fmt(s.get("divergence_lr"))),
        ("lowest loss at", _fmt(s.get("min_loss_lr"))),
        ("configured lr", f"{_fmt(summary.get('configured_lr'))} ({summary.get('optimizer')})"),
        ("method", f"{s.get('method', '-')}: {s.get('reason', '')}" if s else summary.get("message", "-")),
        ("confident", "yes" if s.get("confident") else "no" if s else "-"),
        ("curve noise", f"{100 * s['noise']:.0f}% per point" if isinstance(s.get("noise"), (int, float)) else "-"),
        (
            "sweep",
            f"{summary.get('steps')}/{summary.get('requested_steps')} steps, {summary.get('mode')} "
            f"{_fmt(summary.get('start'))} -> {_fmt(summary.get('end'))}, {summary.get('loss_source')} loss"
            + (f", accumulate {accumulate}" if isinstance(accumulate, int) and accumulate > 1 else "")
            + f"; stopped: {summary.get('stop_reason')}",
        ),
    ]
    runs = summary.get("confirmations") or []
    if runs:
        rows.append(
            (
                "confirmation runs",
                f"{summary.get('held_source')} loss after {runs[0].get('steps')} steps: "
                + ", ".join(
                    f"lr {_fmt(r.get('lr'))} -> {_fmt(r.get('loss')) if not r.get('diverged') else 'diverged'}"
                    for r in runs
                ),
            )
        )
    peers = {k: v for k, v in (summary.get("peers") or {}).items() if v}
    if peers:
        rows.append(("other rules", ", ".join(f"{name} {_fmt(lr)}" for name, lr in peers.items())))
    if finding is not None:
        style = f"nndoctor.{finding.outcome.value}"
        rows.append(("ND403", Text.assemble((finding.outcome.value.upper(), style), " ", visible(finding.message))))
        if finding.recommendation and finding.outcome.value in ("warn", "fail"):
            rows.append(("how to fix", Text(visible(finding.recommendation), style="nndoctor.fix")))
    for name, value in rows:
        table.add_row(Text(name), value if isinstance(value, Text) else Text(visible(value)))
    return table


def write_csv(path: Path, curve: list[dict[str, Any]]) -> None:
    import pandas as pd

    try:
        write_atomic(path, pd.DataFrame(curve, columns=["lr", "loss", "smoothed", "trend"]).to_csv(index=False))
    except OSError as exc:
        raise UsageError(f"Cannot write the CSV to {path}: {exc.strerror or exc}.") from exc


def lr_find(
    target: TargetArg = None,
    config: ConfigOpt = None,
    data: DataOpt = None,
    label: LabelOpt = None,
    start: Annotated[
        float | None,
        typer.Option(
            "--start",
            help=f"Smallest learning rate of the sweep (default: {DEFAULTS.start:g}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    end: Annotated[
        float | None,
        typer.Option(
            "--end",
            help=f"Largest learning rate of the sweep (default: {DEFAULTS.end:g}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            help=f"Optimizer steps in the sweep, at least {MIN_STEPS} (default: {DEFAULTS.steps}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    mode: Annotated[
        SweepMode | None,
        typer.Option(
            "--mode", help="exp: geometric lr steps; linear: even steps (default: exp).", rich_help_panel=SWEEP_PANEL
        ),
    ] = None,
    accumulate: Annotated[
        int | None,
        typer.Option(
            "--accumulate", help="Batches of gradient accumulated per step (default: 1).", rich_help_panel=SWEEP_PANEL
        ),
    ] = None,
    val: Annotated[
        bool | None,
        typer.Option(
            "--val/--train-loss",
            help="Record the validation loss (after each step) instead of the training loss (default: train loss).",
            rich_help_panel=SWEEP_PANEL,
            show_default=False,
        ),
    ] = None,
    val_every: Annotated[
        int | None,
        typer.Option(
            "--val-every", help="With --val: evaluate every N steps (default: 1).", rich_help_panel=SWEEP_PANEL
        ),
    ] = None,
    smooth: Annotated[
        float | None,
        typer.Option(
            "--smooth",
            help=f"EMA factor of the smoothed loss, 0: no smoothing (default: {DEFAULTS.smooth:g}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    diverge_factor: Annotated[
        float | None,
        typer.Option(
            "--diverge-factor",
            help=f"Stop when the smoothed loss exceeds this many times its best (default: {DEFAULTS.diverge_factor:g}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    confirm: Annotated[
        int | None,
        typer.Option(
            "--confirm",
            help=f"Confirmation runs around the curve's reading, scored on held-out batches; 0: the curve only (default: {DEFAULTS.confirm}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    confirm_steps: Annotated[
        int | None,
        typer.Option(
            "--confirm-steps",
            help=f"Optimizer steps of each confirmation run (default: {DEFAULTS.confirm_steps}).",
            rich_help_panel=SWEEP_PANEL,
        ),
    ] = None,
    profile: ProfileOpt = None,
    device: DeviceOpt = None,
    seed: SeedOpt = None,
    precision: PrecisionOpt = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also save the plot as a PNG (needs matplotlib).", rich_help_panel=OUTPUT_PANEL),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv", help="Also write the curve (lr, loss, smoothed, trend) as CSV.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the JSON report (curve in artifacts).", rich_help_panel=OUTPUT_PANEL),
    ] = None,
    output_format: Annotated[
        LrFindFormat, typer.Option("--format", help="What to print on stdout.", rich_help_panel=OUTPUT_PANEL)
    ] = LrFindFormat.rich,
    debug: DebugOpt = False,
) -> None:
    """Learning-rate range test: loss vs lr, a suggested lr, a recommended range and the divergence point.

    Trains a private copy of the model from its initial weights while raising the learning rate of every param group by the same factor, then reads the curve (see `nndoctor explain ND403`). Your model and optimizer are never touched and no file is written unless asked for.

    Exit codes: 0 the sweep ran; 1 the loss is NaN/Inf from the first step (a failed ND403 finding) or the sweep crashed; 2 bad options, a target that does not load, or an optimizer without an lr; 130 interrupted.
    """
    code = int(ExitCode.OK)
    with user_errors(debug):
        given = {
            "start": start,
            "end": end,
            "steps": steps,
            "mode": mode.value if mode is not None else None,
            "accumulate": accumulate,
            "loss": None if val is None else ("val" if val else "train"),
            "val_every": val_every,
            "smooth": smooth,
            "diverge_factor": diverge_factor,
            "confirm": confirm,
            "confirm_steps": confirm_steps,
        }
        sweep = {k: v for k, v in given.items() if v is not None}
        if plot is not None:
            try:
                import matplotlib  # noqa: F401
            except ImportError as exc:
                raise UsageError(
                    "--plot needs matplotlib, which is not installed. Install the optional extra: "
                    "pip install 'nndoctor[plot]' (or pip install matplotlib)."
                ) from exc
        from nndoctor.api import prepare, run_target

        request = settings_request(
            profile=profile,
            select=["ND403"],
            device=device,
            seed=seed,
            precision=precision,
            max_batches=LR_FIND_BATCHES,
            probes={"lr_range": sweep},
            labels={f"lr_range.{k}": OPTION_OF[k] for k in sweep},
        )
        spec = target_spec(target, config, data, label)
        show_progress = sys.stderr.isatty() and output_format == LrFindFormat.rich
        progress = RichProgress(show_progress)

        def work() -> Any:
            loaded, settings = prepare(spec, request)
            if settings.probe("lr_range").loss == "val" and loaded.val_data is None:
                raise UsageError(
                    "--val records the validation loss, but the target has no validation loader: return "
                    "(train_loader, val_loader) from build_data(), or drop --val."
                )
            return run_target(loaded, settings, progress=progress)

        report = run_sandboxed(work, progress)
        finding = report.finding("ND403")
        summary = report.artifacts.get("lr_range")
        curve = report.artifacts.get("lr_curve", [])
        if report.interrupted:
            print_error("Interrupted (Ctrl-C) during the LR range test.", "Interrupted", "yellow")
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        if summary is None:  # the sweep itself could not run
            message = finding.message if finding is not None else "the LR range test did not run"
            print_error(f"The LR range test could not run: {message}", "LR range test failed")
            if debug:
                print_tracebacks(report)
            raise typer.Exit(int(ExitCode.GATED))
        if summary["status"] == "no_lr":
            raise UsageError(
                f"lr-find sweeps the learning rate, but {summary['message']}. Give build_optimizer() an "
                "optimizer whose param groups have an `lr` (SGD, Adam, AdamW, RMSprop, ...)."
            )
        result = LRFindResult.from_report(report)  # what nndoctor.lr_find() returns for the same run
        if summary["status"] == "nonfinite_at_start":
            code = int(ExitCode.GATED)
        if csv is not None:
            write_csv(csv, result.curve())
        if plot is not None:
            from nndoctor.report.lr_plot import write_png

            write_png(plot, curve, summary, title=f"LR range test: {report.target}")
        if json_file is not None:
            from nndoctor.report.json_render import render_json

            try:
                write_atomic(json_file, render_json(report))
            except OSError as exc:
                raise UsageError(f"Cannot write the JSON report to {json_file}: {exc.strerror or exc}.") from exc
        if output_format == LrFindFormat.json:
            from nndoctor.report.json_render import render_json

            sys.stdout.write(render_json(report))
        else:
            _print_rich(report, summary, curve, finding)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("lr-find", no_args_is_help=False)(lr_find)


def _print_rich(report: Any, summary: dict[str, Any], curve: list[dict[str, Any]], finding: Any) -> None:
    from rich.panel import Panel
    from rich.text import Text

    from nndoctor.report.lr_plot import text_plot
    from nndoctor.report.rich_render import make_console
    from nndoctor.report.text import visible

    console = make_console()
    width = min(console.width, 100)
    console.print(
        Text.assemble(
            ("LR range test", "nndoctor.header"),
            " " + visible(report.target) + "  ",
            (visible(f"({report.environment.get('device')})"), "nndoctor.muted"),
        )
    )
    if summary["status"] == "ok":
        console.print(text_plot(curve, summary, width=width - 2))
    console.print(Panel(summary_table(summary, finding), expand=False, border_style="nndoctor.muted"))
