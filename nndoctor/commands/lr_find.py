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

from nndoctor.cli import (
    OUTPUT_PANEL,
    ConfigOpt,
    DataOpt,
    DebugOpt,
    DeviceOpt,
    LabelOpt,
    RichProgress,
    SeedOpt,
    TargetArg,
    load_any_target,
    print_error,
    user_errors,
)
from nndoctor.errors import ExitCode, UsageError
from nndoctor.lr_suggest import MIN_STEPS, SWEEP_DEFAULTS, validate_sweep

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
    """The reading of the curve as a two-column Rich table."""
    from rich.table import Table

    s = summary.get("suggestion") or {}
    table = Table(show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="nndoctor.header")
    table.add_column()
    rng = f"{_fmt(s.get('low'))} .. {_fmt(s.get('high'))}" if s.get("low") else "-"
    rows = [
        ("suggested lr", f"[nndoctor.pass]{_fmt(s.get('lr'))}[/]" if s.get("lr") else "-"),
        ("recommended range", rng),
        ("loss diverges at", _fmt(s.get("divergence_lr"))),
        ("lowest loss at", _fmt(s.get("min_loss_lr"))),
        ("configured lr", f"{_fmt(summary.get('configured_lr'))} ({summary.get('optimizer')})"),
        ("method", f"{s.get('method', '-')}: {s.get('reason', '')}" if s else summary.get("message", "-")),
        (
            "sweep",
            f"{summary.get('steps')}/{summary.get('requested_steps')} steps, {summary.get('mode')} "
            f"{_fmt(summary.get('start'))} -> {_fmt(summary.get('end'))}, {summary.get('loss_source')} loss"
            + (f", accumulate {summary.get('accumulate')}" if summary.get("accumulate", 1) > 1 else "")
            + f"; stopped: {summary.get('stop_reason')}",
        ),
        ("time", f"{summary.get('seconds', 0.0):.2f}s"),
    ]
    peers = {k: v for k, v in (summary.get("peers") or {}).items() if v}
    if peers:
        rows.append(("other rules", ", ".join(f"{name} {_fmt(lr)}" for name, lr in peers.items())))
    if finding is not None:
        style = f"nndoctor.{finding.outcome.value}"
        rows.append(("ND403", f"[{style}]{finding.outcome.value.upper()}[/] {finding.message}"))
        if finding.recommendation and finding.outcome.value in ("warn", "fail"):
            rows.append(("how to fix", f"[nndoctor.fix]{finding.recommendation}[/]"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def write_csv(path: Path, curve: list[dict[str, Any]]) -> None:
    import pandas as pd

    try:
        pd.DataFrame(curve, columns=["lr", "loss", "smoothed", "trend"]).to_csv(path, index=False)
    except OSError as exc:
        raise UsageError(f"Cannot write the CSV to {path}: {exc.strerror or exc}.") from exc


def register(app: typer.Typer) -> None:
    @app.command("lr-find", no_args_is_help=False)
    def lr_find(
        target: TargetArg = None,
        config: ConfigOpt = None,
        data: DataOpt = None,
        label: LabelOpt = None,
        start: Annotated[
            float, typer.Option("--start", help="Smallest learning rate of the sweep.", rich_help_panel=SWEEP_PANEL)
        ] = SWEEP_DEFAULTS["start"],
        end: Annotated[
            float, typer.Option("--end", help="Largest learning rate of the sweep.", rich_help_panel=SWEEP_PANEL)
        ] = SWEEP_DEFAULTS["end"],
        steps: Annotated[
            int,
            typer.Option(
                "--steps", help=f"Optimizer steps in the sweep (at least {MIN_STEPS}).", rich_help_panel=SWEEP_PANEL
            ),
        ] = SWEEP_DEFAULTS["steps"],
        mode: Annotated[
            SweepMode,
            typer.Option("--mode", help="exp: geometric lr steps; linear: even steps.", rich_help_panel=SWEEP_PANEL),
        ] = SweepMode.exp,
        accumulate: Annotated[
            int,
            typer.Option("--accumulate", help="Batches of gradient accumulated per step.", rich_help_panel=SWEEP_PANEL),
        ] = 1,
        val: Annotated[
            bool,
            typer.Option(
                "--val/--train-loss",
                help="Record the validation loss (after each step) instead of the training loss.",
                rich_help_panel=SWEEP_PANEL,
            ),
        ] = False,
        val_every: Annotated[
            int,
            typer.Option("--val-every", help="With --val: evaluate every N steps.", rich_help_panel=SWEEP_PANEL),
        ] = 1,
        smooth: Annotated[
            float,
            typer.Option(
                "--smooth", help="EMA factor of the smoothed loss (0: no smoothing).", rich_help_panel=SWEEP_PANEL
            ),
        ] = SWEEP_DEFAULTS["smooth"],
        diverge_factor: Annotated[
            float,
            typer.Option(
                "--diverge-factor",
                help="Stop when the smoothed loss exceeds this many times its best.",
                rich_help_panel=SWEEP_PANEL,
            ),
        ] = SWEEP_DEFAULTS["diverge_factor"],
        device: DeviceOpt = None,
        seed: SeedOpt = None,
        plot: Annotated[
            Path | None,
            typer.Option(
                "--plot", help="Also save the plot as a PNG (needs matplotlib).", rich_help_panel=OUTPUT_PANEL
            ),
        ] = None,
        csv: Annotated[
            Path | None,
            typer.Option(
                "--csv", help="Also write the curve (lr, loss, smoothed, trend) as CSV.", rich_help_panel=OUTPUT_PANEL
            ),
        ] = None,
        json_file: Annotated[
            Path | None,
            typer.Option(
                "--json", help="Also write the JSON report (curve in artifacts).", rich_help_panel=OUTPUT_PANEL
            ),
        ] = None,
        output_format: Annotated[
            LrFindFormat, typer.Option("--format", help="What to print on stdout.", rich_help_panel=OUTPUT_PANEL)
        ] = LrFindFormat.rich,
        debug: DebugOpt = False,
    ) -> None:
        """Learning-rate range test: loss vs lr, a suggested lr, a recommended range and the divergence point.

        Trains a private copy of the model from its initial weights while raising the learning rate of every param group by the same factor, then reads the curve (see `nndoctor explain ND403`). Your model and optimizer are never touched and no file is written unless asked for.

        Exit codes: 0 the sweep ran; 1 the loss is NaN/Inf from the first step (a failed ND403 finding) or the sweep crashed; 2 bad options, a target that does not load, or an optimizer without an lr.
        """
        code = int(ExitCode.OK)
        with user_errors(debug):
            sweep = {
                "start": start,
                "end": end,
                "steps": steps,
                "mode": mode.value,
                "accumulate": accumulate,
                "loss": "val" if val else "train",
                "val_every": val_every,
                "smooth": smooth,
                "diverge_factor": diverge_factor,
                "seconds": None,  # the profile's time cap is for `check`; here the user chose the steps
            }
            validate_sweep(sweep)
            if plot is not None:
                try:
                    import matplotlib  # noqa: F401
                except ImportError as exc:
                    raise UsageError(
                        "--plot needs matplotlib, which is not installed. Install the optional extra: "
                        "pip install 'nndoctor[plot]' (or pip install matplotlib)."
                    ) from exc
            from nndoctor.api import RunOptions, run_target

            loaded = load_any_target(target, config, data, label)
            if val and loaded.val_data is None:
                raise UsageError(
                    "--val records the validation loss, but the target has no validation loader: return "
                    "(train_loader, val_loader) from build_data(), or drop --val."
                )
            options = RunOptions(
                profile="default",
                select=["ND403"],
                device=device,
                seed=seed,
                extra_probe_settings={"lr_range": sweep},
            )
            show_progress = sys.stderr.isatty() and output_format == LrFindFormat.rich
            with RichProgress(show_progress) as progress:
                options.progress = progress
                report = run_target(loaded, options)
            finding = report.finding("ND403")
            summary = report.artifacts.get("lr_range")
            curve = report.artifacts.get("lr_curve", [])
            if summary is None:  # the sweep itself could not run
                message = finding.message if finding is not None else "the LR range test did not run"
                print_error(f"The LR range test could not run: {message}", "LR range test failed")
                raise typer.Exit(int(ExitCode.GATED))
            if summary["status"] == "no_lr":
                raise UsageError(
                    f"lr-find sweeps the learning rate, but {summary['message']}. Give build_optimizer() an "
                    "optimizer whose param groups have an `lr` (SGD, Adam, AdamW, RMSprop, ...)."
                )
            if summary["status"] == "nonfinite_at_start":
                code = int(ExitCode.GATED)
            if csv is not None:
                write_csv(csv, curve)
            if plot is not None:
                from nndoctor.report.lr_plot import write_png

                write_png(plot, curve, summary, title=f"LR range test: {report.target}")
            if json_file is not None:
                from nndoctor.report.json_render import render_json

                try:
                    json_file.write_text(render_json(report), encoding="utf-8")
                except OSError as exc:
                    raise UsageError(f"Cannot write the JSON report to {json_file}: {exc.strerror or exc}.") from exc
            if output_format == LrFindFormat.json:
                from nndoctor.report.json_render import render_json

                sys.stdout.write(render_json(report))
            else:
                _print_rich(report, summary, curve, finding)
        raise typer.Exit(code)


def _print_rich(report: Any, summary: dict[str, Any], curve: list[dict[str, Any]], finding: Any) -> None:
    from rich.panel import Panel

    from nndoctor.report.lr_plot import text_plot
    from nndoctor.report.rich_render import make_console

    console = make_console()
    width = min(console.width, 100)
    console.print(
        f"[nndoctor.header]LR range test[/] {report.target}  [nndoctor.muted]({report.environment.get('device')})[/]"
    )
    if summary["status"] == "ok":
        console.print(text_plot(curve, summary, width=width - 2))
    console.print(Panel(summary_table(summary, finding), expand=False, border_style="nndoctor.muted"))
