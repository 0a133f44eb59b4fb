"""Strict JSON output (no bare NaN/Infinity), from `Report.to_dict()`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from nndoctor.report.format import Format
from nndoctor.report.model import Report

if TYPE_CHECKING:
    from nndoctor.report.format import RenderOptions

FORMAT = Format("json", "the JSON report (schema: nndoctor/report/schema.json)", order=1)


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"


def write_json(report: Report, path: Path) -> None:
    path.write_text(render_json(report), encoding="utf-8")


def render(report: Report, options: RenderOptions) -> str:
    return render_json(report)
