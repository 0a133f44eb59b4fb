"""How a Report displays itself: `print(report)`, `rich.print(report)`, a notebook's HTML, and its
DataFrames. Registered into `nndoctor.report.model.DISPLAY` when `nndoctor.report` is imported;
each renderer is imported only when first used, so importing the report model stays cheap.
"""

from __future__ import annotations

from typing import Any

from nndoctor.report.model import DISPLAY


def _text(report: Any) -> str:
    from nndoctor.report.format import RenderOptions
    from nndoctor.report.rich_render import render

    return render(report, RenderOptions(width=100, color=False))


def _rich(report: Any) -> Any:
    from nndoctor.report.rich_render import ReportView

    return ReportView(report)


def _html(report: Any) -> str:
    from nndoctor.report.html import html_fragment

    return html_fragment(report)


def _findings_frame(report: Any) -> Any:
    from nndoctor.report.frames import findings_frame

    return findings_frame(report)


def _table_frames(report: Any) -> Any:
    from nndoctor.report.frames import table_frames

    return table_frames(report)


def _table_frame(table: Any) -> Any:
    from nndoctor.report.frames import table_frame

    return table_frame(table)


DISPLAY.update(
    text=_text,
    rich=_rich,
    html=_html,
    findings_frame=_findings_frame,
    table_frames=_table_frames,
    table_frame=_table_frame,
)
