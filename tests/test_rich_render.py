"""The terminal report, verdict first, rendered at fixed widths without colour and compared exactly."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from rich.errors import MissingStyle

from nndoctor.report.model import Finding, Outcome, Report, Table
from nndoctor.report.rich_render import ReportView, footer, make_console


def sample_report() -> Report:
    return Report(
        target="recipe.py",
        profile="quick",
        nndoctor_version="0.1.0",
        environment={
            "torch": "2.13.0",
            "device": "cpu",
            "device_name": "x86_64",
            "dtype": "float32",
            "precision": "fp32",
            "seed": 0,
        },
        model={
            "class": "Sequential",
            "params": 1234,
            "trainable": 1234,
            "layers": 2,
            "task": {"kind": "classification", "num_classes": 10, "loss": "cross_entropy"},
        },
        findings=[
            Finding(
                "ND201",
                "implausible-initial-loss",
                "The loss at init",
                Outcome.PASS,
                "initial loss 2.31 vs expected ln(10) = 2.303 (ratio 1.00)",
            ),
            Finding(
                "ND301",
                "vanishing-or-exploding-gradients",
                "Gradients",
                Outcome.WARN,
                "vanishing gradients: 0 (Linear) gets 1.2e-05x the gradient of 4 (Linear)",
                tables=[
                    Table("gradients at init", ["layer", "grad rms"], [["0 (Linear)", 1.2e-7], ["4 (Linear)", 0.0101]])
                ],
                recommendation="Prefer ReLU-family activations.",
                docs="nndoctor explain ND301",
            ),
            Finding("ND105", "batchnorm-small-batch", "BN", Outcome.SKIP, "the model has no BatchNorm layers"),
        ],
        timings={"total": 1.5},
    )


EXPECTED = """\
nndoctor 0.1.0 · target recipe.py · profile quick
torch 2.13.0 · device cpu (x86_64) · dtype float32 · precision fp32 · seed 0
model Sequential · 1,234 params (1,234 trainable) · 2 layers · task classification (10 classes)
loss cross_entropy

Diagnosis: training will likely be slow or poor
  WARN ND301 vanishing-or-exploding-gradients

╭─  WARN ND301 vanishing-or-exploding-gradients  ──────────────────────────────────────────────────╮
│ vanishing gradients: 0 (Linear) gets 1.2e-05x the gradient of 4 (Linear)                         │
│                                                                                                  │
│ Gradient flow at init: gradient RMS per layer                                                    │
│            gradient RMS                                                                          │
│ 0 (Linear) ▊                 ┊                                      1.2e-07 ◀                    │
│ 4 (Linear) ██████████████████████████████████████████████▊          0.01                         │
│ gradient RMS: log scale, 1e-7 to 1e-1; ┊ 0.001 x the last layer's; ◀ past the check's threshold  │
│                                                                                                  │
│ how to fix: Prefer ReLU-family activations.                                                      │
│ 1 evidence table: --verbose, or the HTML and JSON reports                                        │
╰───────────────────────────────────────────────────────────────────────  nndoctor explain ND301  ─╯

passed (1)  ND201 · --verbose shows them
skipped (1) ND105 the model has no BatchNorm layers

1 warning, 1 passed, 1 skipped in 1.50s · start with ND301 vanishing-or-exploding-gradients
"""


def render(report: Report, width: int = 100, verbose: bool = False) -> str:
    buffer = io.StringIO()
    console = make_console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(ReportView(report, verbose=verbose))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"  # table padding aside


def test_report_renders_exactly():
    assert render(sample_report()) == EXPECTED


def test_footer_counts_like_pytest():
    report = sample_report()
    report.findings[1].outcome = Outcome.FAIL
    assert footer(report).plain.startswith("1 failed, 1 passed, 1 skipped in 1.50s")
    report.interrupted = True
    assert "interrupted" in footer(report).plain


def test_footer_names_where_to_start() -> None:
    assert footer(sample_report()).plain.endswith("· start with ND301 vanishing-or-exploding-gradients")


EXPECTED_60 = """\
nndoctor 0.1.0 · target recipe.py · profile quick
torch 2.13.0 · device cpu (x86_64) · dtype float32
precision fp32 · seed 0
model Sequential · 1,234 params (1,234 trainable) · 2 layers
task classification (10 classes) · loss cross_entropy

Diagnosis: training will likely be slow or poor
  WARN ND301 vanishing-or-exploding-gradients

╭─  WARN ND301 vanishing-or-exploding-gradients  ──────────╮
│ vanishing gradients: 0 (Linear) gets 1.2e-05x the        │
│ gradient of 4 (Linear)                                   │
│                                                          │
│ Gradient flow at init: gradient RMS per layer            │
│            gradient RMS                                  │
│ 0 (Linear) ▌          ┊                       1.2e-07 ◀  │
│ 4 (Linear) ████████████████████████████▍      0.01       │
│ gradient RMS: log scale, 1e-7 to 1e-1;                   │
│ ┊ 0.001 x the last layer's; ◀ past the check's threshold │
│                                                          │
│ how to fix: Prefer ReLU-family activations.              │
│ 1 evidence table: --verbose, or the HTML and JSON        │
│ reports                                                  │
╰───────────────────────────────  nndoctor explain ND301  ─╯

passed (1)  ND201 · --verbose shows them
skipped (1) ND105 the model has no BatchNorm layers

1 warning, 1 passed, 1 skipped in 1.50s · start with ND301
vanishing-or-exploding-gradients
"""


def test_report_fits_60_columns_and_wraps_between_facts() -> None:
    text = render(sample_report(), width=60)
    assert text == EXPECTED_60
    assert max(len(line) for line in text.splitlines()) <= 60


def test_diagnosis_comes_first_and_nests_consequences() -> None:
    report = sample_report()
    report.findings.append(
        Finding("ND404", "unhealthy-loss-curve", "Loss", Outcome.WARN, "the loss is flat", explained_by=["ND301"])
    )
    text = render(report, width=80)
    lines = text.splitlines()
    diagnosis = lines.index("Diagnosis: training will likely be slow or poor")
    assert lines[diagnosis + 1] == "  WARN ND301 vanishing-or-exploding-gradients"
    assert lines[diagnosis + 2] == "      ↳ WARN ND404 unhealthy-loss-curve (a consequence)"
    assert "consequences (↳) may go away" in lines[diagnosis + 3]
    assert diagnosis < next(i for i, line in enumerate(lines) if line.startswith("╭─"))
    panels = [line for line in lines if line.startswith("╭─")]
    assert "ND301" in panels[0] and "ND404" in panels[1] and "consequence of ND301" in panels[1]
    assert max(len(line) for line in lines) <= 80


def test_verbose_adds_the_results_table_and_the_passes_panels() -> None:
    report = sample_report()
    report.findings[0].tables = [Table("per layer", ["layer", "x"], [["0 (Linear)", 1.0]])]
    short, full = render(report), render(report, verbose=True)
    assert "implausible-initial-loss" not in short  # the pass is an id in the collapsed line
    assert re.search(r"^passed \(1\) +ND201 · --verbose shows them", short, re.M)
    assert "PASS ND201 implausible-initial-loss" in full  # its panel
    assert "id    ┃ result ┃ check" in full  # and the whole results table
    assert "--verbose shows them" not in full


def test_plain_rich_print_works_without_nndoctors_theme() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=90, color_system="truecolor", force_terminal=True)
    console.print(ReportView(sample_report()))  # raised MissingStyle before 0.3
    console.print(sample_report())  # the Report itself is a Rich renderable
    out = buffer.getvalue()
    assert out.count("Diagnosis:") == 2 and "\x1b[" in out
    with pytest.raises(MissingStyle):  # the theme was popped again afterwards
        console.get_style("nndoctor.pass")
