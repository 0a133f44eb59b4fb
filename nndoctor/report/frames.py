"""A report's findings and per-layer tables as pandas DataFrames, for notebooks.

pandas is imported when a frame is asked for, so the report model stays cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from nndoctor.report.model import Report, Table


def findings_frame(report: Report) -> pd.DataFrame:
    """One row per finding, indexed by check id, in the report's order."""
    import pandas as pd

    rows = [
        {
            "id": f.check_id,
            "name": f.name,
            "outcome": f.outcome.value,
            "message": f.message,
            "recommendation": f.recommendation,
            "explained_by": list(f.explained_by),
            "root_cause": f.outcome.value in ("warn", "fail") and not f.explained_by,
            "tables": [t.title for t in f.tables],
            "duration_s": f.duration_s,
        }
        for f in report.findings
    ]
    columns = [
        "id",
        "name",
        "outcome",
        "message",
        "recommendation",
        "explained_by",
        "root_cause",
        "tables",
        "duration_s",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("id")


def table_frame(table: Table) -> pd.DataFrame:
    """One evidence table; a `layer` column becomes the index, "-" and "nan" become missing."""
    import pandas as pd

    frame = pd.DataFrame([_row(r, len(table.columns)) for r in table.rows], columns=list(table.columns))
    for column in frame.columns:
        if column == "layer":
            continue
        numeric = pd.to_numeric(frame[column].replace({"-": None}), errors="coerce")
        if numeric.notna().sum() == frame[column].replace({"-": None}).notna().sum():
            frame[column] = numeric  # only when every given value is a number: kinds and verdicts stay text
    if "layer" in frame.columns and frame["layer"].is_unique:
        frame = frame.set_index("layer")
    frame.attrs["title"] = table.title
    return frame


def table_frames(report: Report) -> dict[str, pd.DataFrame]:
    """Every evidence table, keyed `"ND301 gradients at init"` (check id and table title)."""
    return {f"{f.check_id} {t.title}": table_frame(t) for f in report.findings for t in f.tables}


def _row(row: list[Any], width: int) -> list[Any]:
    cells = [_cell(v) for v in row[:width]]
    return cells + [None] * (width - len(cells))


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    return value
