"""The pictures of the network's health: specs read from a report, text bars, SVG, PNG, and a real run.

The real run is one `nndoctor check` on the deep sigmoid sample (its gradients vanish) that writes
every file format and the plots folder at once; the other tests use a small synthetic report.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from report_samples import health_report

from nndoctor.report.io import load_report
from nndoctor.report.model import Finding, Outcome, Report
from nndoctor.report.pictures import CurveChart, LayerChart, log_range, pictures, pictures_of
from nndoctor.report.png import write_plots
from nndoctor.report.svg import nice_ticks, render_svg
from nndoctor.report.text_charts import bar, curve_plot, layer_bars

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def test_specs_come_from_the_report_tables_and_artifacts() -> None:
    report = health_report()
    keys = [p.key for p in pictures(report)]
    assert keys == ["gradient_flow", "activations", "update_ratio", "loss_curve", "lr_range"]
    flow = pictures_of(report, "ND301")[0]
    assert isinstance(flow, LayerChart)
    assert flow.series[0].values == [1e-9, 1e-7, 1e-5, 1e-3, 1e-2]
    # below 1e-3 x the last layer's gradient is vanishing: 1e-9 and 1e-7 (1e-5 is exactly at it)
    assert flow.series[0].flagged == [True, True, False, False, False]
    assert flow.series[0].reference == pytest.approx(1e-5)
    acts = pictures_of(report, "ND203")[0]
    assert isinstance(acts, LayerChart)
    std, share = acts.series
    assert std.values == [0.5, 0.9, 0.0] and std.flagged == [False, False, True]  # a constant layer
    assert share.values == [None, 0.6, 0.75] and share.flagged == [False, True, True]
    assert share.text(1) == "saturated 60%" and share.text(2) == "dead in 75%"
    ratio = pictures_of(report, "ND303")[0]
    assert isinstance(ratio, LayerChart) and ratio.series[0].values == [1e-3, None]
    curve = pictures_of(report, "ND404")[0]
    assert isinstance(curve, CurveChart)
    assert curve.lines[0].points == [(0.0, 2.3), (1.0, 2.0), (2.0, 1.5)]  # the NaN step is left out...
    assert [m.label for m in curve.markers] == ["non-finite at step 3"]  # ...and marked
    assert "stopped: nonfinite" in curve.caption
    lr = pictures_of(report, "ND403")[0]
    assert isinstance(lr, CurveChart) and lr.x_log
    assert {m.kind for m in lr.markers} == {"good", "bad", "warn"}


def test_no_tables_no_pictures() -> None:
    assert pictures(Report(target="t", findings=[Finding("ND201", "x", "t", Outcome.PASS, "m")])) == []


def test_bars_resolve_eighths_and_log_axes_are_whole_decades() -> None:
    assert bar(0.5, 4) == "██  "
    assert bar(1 / 32, 4) == "▏   "
    assert bar(0.0, 3, minimum=True) == "▏  "
    assert bar(2.0, 3) == "███"
    assert log_range([5.5e-11, 0.016, None, 0.0]) == (-11.0, -1.0)
    assert log_range([1.0, 1.0]) == (0.0, 1.0)
    assert nice_ticks(0, 2.34) == [0.0, 0.5, 1.0, 1.5, 2.0]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_text_pictures_fit_the_width_and_flag_past_thresholds(width: int) -> None:
    report = health_report()
    for picture in pictures(report):
        text = (layer_bars(picture, width) if isinstance(picture, LayerChart) else curve_plot(picture, width)).plain
        assert max(len(line) for line in text.splitlines()) <= width, picture.key
    flow = layer_bars(pictures_of(report, "ND301")[0], width).plain.splitlines()
    rows = [line for line in flow if "(Linear)" in line]
    assert [("◀" in row) for row in rows] == [True, True, False, False, False]
    lengths = [sum(ch in "█▏▎▍▌▋▊▉" for ch in row) for row in rows]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]  # longer bar, larger gradient
    assert "┊" in flow[3]  # the vanishing line shows where the bars stop short of it


def test_svg_is_well_formed_escaped_and_has_a_bar_per_value() -> None:
    report = health_report()
    for picture in pictures(report):
        root = ET.fromstring(render_svg(picture))
        assert root.tag == f"{SVG}svg" and root.get("viewBox")
    flow = ET.fromstring(render_svg(pictures_of(report, "ND301")[0]))
    bars = [r for r in flow.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 5
    assert [r.get("fill") for r in bars].count("#d23c3c") == 2  # the two vanishing layers
    acts = render_svg(pictures_of(report, "ND203")[0])
    assert "2 (Linear) &lt;b&gt;" in acts and "<b>" not in acts


def test_plots_folder_gets_svg_and_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    written = write_plots(health_report(), tmp_path / "plots")
    names = sorted(p.name for p in written.written)
    assert names == sorted(
        f"{k}.{ext}"
        for k in ("gradient_flow", "activations", "update_ratio", "loss_curve", "lr_range")
        for ext in ("svg", "png")
    )
    for path in written.written:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    assert written.png_missing is None


def test_without_matplotlib_the_svg_files_come_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nndoctor.report.png as png

    monkeypatch.setattr(png, "_pyplot", lambda: None)
    written = write_plots(health_report(), tmp_path)
    assert {p.suffix for p in written.written} == {".svg"}
    assert written.png_missing and "pip install 'nndoctor[plot]'" in written.png_missing


# -- one real run, every output ------------------------------------------------------------------
@pytest.fixture(scope="module")
def sigmoid_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("sigmoid")
    recipe = ROOT / "sample_models" / "broken" / "deep_sigmoid_mlp.py"
    command = [sys.executable, "-m", "nndoctor", "check", str(recipe), "--exit-zero", "--format", "github"]
    command += ["--json", str(out / "r.json"), "--html", str(out / "r.html"), "--markdown", str(out / "r.md")]
    command += ["--plots", str(out / "plots")]
    env = {"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "GITHUB_WORKSPACE": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return {"out": out, "stdout": done.stdout, "stderr": done.stderr}


def test_a_real_run_has_every_picture_and_writes_them(sigmoid_run: dict[str, Any]) -> None:
    out: Path = sigmoid_run["out"]
    report = load_report(out / "r.json")
    assert [p.key for p in pictures(report)] == [
        "gradient_flow",
        "activations",
        "update_ratio",
        "loss_curve",
        "lr_range",
    ]
    run = report.artifacts["short_run"]
    assert len(run["losses"]) == run["steps_run"] > 0 and all(math.isfinite(v) for v in run["losses"])
    flow = pictures_of(report, "ND301")[0]
    assert isinstance(flow, LayerChart) and flow.series[0].flagged[0] and not flow.series[0].flagged[-1]
    files = {p.name for p in (out / "plots").iterdir()}
    assert {"gradient_flow.svg", "loss_curve.svg", "lr_range.svg"} <= files
    assert "wrote" in sigmoid_run["stderr"] and "plots" in sigmoid_run["stderr"]
    html = (out / "r.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 5
    md = (out / "r.md").read_text(encoding="utf-8")
    assert "Gradient flow at init" in md and "```text" in md


def test_a_real_run_annotates_the_recipes_builder_lines(sigmoid_run: dict[str, Any]) -> None:
    lines = sigmoid_run["stdout"].splitlines()
    recipe = (ROOT / "sample_models" / "broken" / "deep_sigmoid_mlp.py").read_text(encoding="utf-8").splitlines()
    model_line = next(i for i, line in enumerate(recipe, 1) if line.startswith("def build_model"))
    flow = next(line for line in lines if "title=ND301 vanishing-or-exploding-gradients" in line)
    assert flow.startswith(f"::warning file=sample_models/broken/deep_sigmoid_mlp.py,line={model_line},")
    overfit = next(line for line in lines if "title=ND402" in line)
    assert overfit.startswith("::error file=sample_models/broken/deep_sigmoid_mlp.py,")
    assert all(line.startswith("::") for line in lines[:-1]) and lines[-1].startswith("nndoctor: ")
    assert json.loads((sigmoid_run["out"] / "r.json").read_text())["locations"]["build_model"].endswith(
        f":{model_line}"
    )
