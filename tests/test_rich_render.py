"""The terminal report, rendered at a fixed width without colour and compared exactly."""

from __future__ import annotations

import io

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
model Sequential · 1,234 params (1,234 trainable) · 2 layers · task classification (10 classes) ·
loss cross_entropy

id    ┃ result ┃ check                            ┃ finding
━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
ND201 │ PASS   │ implausible-initial-loss         │ initial loss 2.31 vs expected ln(10) = 2.303
      │        │                                  │ (ratio 1.00)
ND301 │ WARN   │ vanishing-or-exploding-gradients │ vanishing gradients: 0 (Linear) gets 1.2e-05x
      │        │                                  │ the gradient of 4 (Linear)
ND105 │ skip   │ batchnorm-small-batch            │ the model has no BatchNorm layers

╭─  WARN ND301 vanishing-or-exploding-gradients  ──────────────────────────────────────────────────╮
│ vanishing gradients: 0 (Linear) gets 1.2e-05x the gradient of 4 (Linear)                         │
│ how to fix: Prefer ReLU-family activations.                                                      │
│ gradients at init                                                                                │
│ layer      ┃ grad rms                                                                            │
│ ━━━━━━━━━━━╇━━━━━━━━━                                                                            │
│ 0 (Linear) │ 1.2e-07                                                                             │
│ 4 (Linear) │ 0.0101                                                                              │
│ docs: nndoctor explain ND301                                                                     │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯

1 warning, 1 passed, 1 skipped in 1.50s
"""


def render(report: Report, width: int = 100) -> str:
    buffer = io.StringIO()
    make_console(file=buffer, width=width, color_system=None, force_terminal=False).print(ReportView(report))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"  # table padding aside


def test_report_renders_exactly():
    assert render(sample_report()) == EXPECTED


def test_footer_counts_like_pytest():
    report = sample_report()
    report.findings[1].outcome = Outcome.FAIL
    assert footer(report).plain == "1 failed, 1 passed, 1 skipped in 1.50s"
    report.interrupted = True
    assert "interrupted" in footer(report).plain
