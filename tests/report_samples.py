"""Synthetic reports shared by the report tests."""

from __future__ import annotations

from nndoctor.report.model import Finding, Outcome, Report, Table


def health_report() -> Report:
    """Every table and artifact a picture is read from, with awkward labels and values."""
    grads = [1e-9, 1e-7, 1e-5, 1e-3, 1e-2]
    return Report(
        target="odd <name>.py",
        findings=[
            Finding(
                "ND203",
                "unstable-activations",
                "t",
                Outcome.FAIL,
                "dead units",
                tables=[
                    Table(
                        "activations at init",
                        ["layer", "kind", "mean", "std", "zero", "saturated", "dead inputs"],
                        [
                            ["0 (Linear)", "Linear", 0.1, 0.5, 0.0, "-", "-"],
                            ["1 (Tanh)", "Tanh", 0.0, 0.9, 0.0, 0.6, "-"],
                            ["2 (Linear) <b>", "Linear", 0.0, 0.0, 1.0, "-", 0.75],
                        ],
                    )
                ],
            ),
            Finding(
                "ND301",
                "vanishing-or-exploding-gradients",
                "t",
                Outcome.WARN,
                "vanishing",
                evidence={"ratio": 1e-7},
                tables=[
                    Table(
                        "gradients at init",
                        ["layer", "kind", "grad rms", "weight rms"],
                        [[f"{i} (Linear)", "Linear", g, 0.1] for i, g in enumerate(grads)],
                    )
                ],
            ),
            Finding(
                "ND303",
                "bad-update-ratio",
                "t",
                Outcome.PASS,
                "fine",
                evidence={"optimizer": "Adam", "lr": 0.001},
                tables=[Table("update / weight after one step", ["layer", "ratio"], [["0", 1e-3], ["1", "nan"]])],
            ),
            Finding("ND404", "unhealthy-loss-curve", "t", Outcome.WARN, "flat"),
        ],
        settings={"thresholds": {"ND301": {"min_ratio": 1e-3, "max_ratio": 1e3}}},
        artifacts={
            "short_run": {
                "losses": [2.3, 2.0, 1.5, "nan"],
                "evals": [
                    {"step": 0, "train_loss": 2.3, "val_loss": 2.31},
                    {"step": 3, "train_loss": 1.4, "val_loss": None},
                ],
                "steps_planned": 10,
                "steps_run": 4,
                "stop_reason": "nonfinite",
                "optimizer": "SGD",
                "lr": 10.0,
            },
            "lr_curve": [
                {"lr": 10.0**e, "loss": 2.3 - 0.1 * (e + 7), "trend": 2.3 - 0.1 * (e + 7)} for e in range(-7, 1)
            ],
            "lr_range": {
                "suggestion": {"lr": 1e-3, "low": 1e-4, "high": 1e-2, "divergence_lr": 0.5},
                "configured_lr": 1e-5,
            },
        },
    )
