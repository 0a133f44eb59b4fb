"""The report as GitHub-flavoured Markdown: for `$GITHUB_STEP_SUMMARY`, PR comments and wikis.

The terminal report's content in the same order (`nndoctor.report.layout`): a summary line, the
diagnosis (root causes and their consequences), one section per finding to act on with its
message, pictures (as text in a code block), fix, evidence and docs, then the passes and skips
collapsed in a `<details>` table. Rendered from `Report.to_dict()`, so a report loaded back from
JSON renders byte for byte the same as the run that wrote it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import nndoctor.report.layout as layout
from nndoctor.report.format import Format
from nndoctor.report.model import Finding, Outcome, Report, Table
from nndoctor.report.pictures import pictures_of
from nndoctor.report.text import visible

if TYPE_CHECKING:
    from nndoctor.report.format import RenderOptions

FORMAT = Format("markdown", "a Markdown report (e.g. $GITHUB_STEP_SUMMARY)", order=2)

MAX_TABLE_ROWS = 25  # per evidence table; the JSON report has them all
MAX_VALUE_CHARS = 120  # one evidence value (lists, dicts) in a cell
PICTURE_WIDTH = 80  # columns of the text pictures in code blocks

MARK = {
    Outcome.PASS: "✅ pass",
    Outcome.SKIP: "➖ skip",
    Outcome.NOT_JUDGED: "⏸️ not judged",
    Outcome.WARN: "⚠️ warn",
    Outcome.FAIL: "❌ fail",
    Outcome.ERROR: "💥 error",
}
_SUMMARY_WORDS = (
    (Outcome.FAIL, "failed"),
    (Outcome.ERROR, "errors"),
    (Outcome.WARN, "warnings"),
    (Outcome.NOT_JUDGED, "not judged"),
    (Outcome.PASS, "passed"),
    (Outcome.SKIP, "skipped"),
)
DETAILED = (Outcome.NOT_JUDGED, Outcome.WARN, Outcome.FAIL, Outcome.ERROR)


def escape(text: str) -> str:
    """Make text safe inside a table cell: `|` would split the cell, a newline would end the row."""
    return (
        visible(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace("\r\n", "\n")
        .replace("\n", "<br>")
    )


def code(text: str) -> str:
    """An inline code span that survives backticks in the text."""
    text = visible(text).replace("\n", " ")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def format_value(value: Any) -> str:
    """One evidence value as cell text: floats to 4 significant digits, containers as short JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (int, str)):
        return str(value)
    text = json.dumps(_round_floats(value), separators=(", ", ": "))
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _round_floats(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list):
        return [_round_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: _round_floats(v) for k, v in value.items()}
    return value


def summary_line(report: Report) -> str:
    """`❌ 2 failed, 9 passed, 3 skipped`: the worst outcome's mark and the counts, pytest-style."""
    counts = report.counts
    parts = [f"{counts[o.value]} {word}" for o, word in _SUMMARY_WORDS if counts[o.value]]
    if not parts:
        return "no checks ran"
    worst = report.worst if report.worst != Outcome.SKIP else Outcome.PASS  # skips need no action
    return f"{MARK[worst].split()[0]} {', '.join(parts)}"


def markdown_table(columns: list[str], rows: list[list[Any]], max_rows: int = MAX_TABLE_ROWS) -> list[str]:
    """A GitHub table; rows beyond `max_rows` are summarized in one last row."""
    lines = ["| " + " | ".join(escape(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    shown = rows if len(rows) <= max_rows else rows[: max_rows - 1]
    for row in shown:
        cells = [escape(format_value(v)) for v in row] + [""] * (len(columns) - len(row))
        lines.append("| " + " | ".join(cells) + " |")
    if len(shown) < len(rows):
        more = [f"… {len(rows) - len(shown)} more rows in the JSON report"] + [""] * (len(columns) - 1)
        lines.append("| " + " | ".join(more) + " |")
    return lines


def _header(report: Report) -> list[str]:
    env = report.environment
    facts = [
        f"target {code(report.target)}",
        f"profile {code(report.profile)}",
        f"torch {env.get('torch', '?')}",
        f"device {env.get('device', '?')}",
        f"dtype {env.get('dtype', '?')}",
        f"seed {env.get('seed', '?')}",
        f"nndoctor {report.nndoctor_version or '?'}",
    ]
    total = report.timings.get("total")
    if isinstance(total, (int, float)):
        facts.append(f"{total:.2f}s")
    lines = [" · ".join(escape(f) if "`" not in f else f for f in facts)]
    model_text = layout.model_line(report)
    if model_text:
        lines.append(escape(model_text))
    return lines


def _details(report: Report, finding: Finding, causes: list[str]) -> list[str]:
    heading = f"### {MARK[finding.outcome]}: {finding.check_id} {finding.name}"
    if causes:
        heading += f" (consequence of {', '.join(causes)})"
    lines = ["", escape(heading), "", escape(finding.message)]
    for picture in pictures_of(report, finding.check_id):
        lines += ["", *_code_block(_picture_text(picture))]
    if finding.recommendation:
        lines += ["", f"**How to fix:** {escape(finding.recommendation)}"]
    evidence: list[str] = []
    scalars = [[key, value] for key, value in finding.evidence.items()]
    if scalars:
        evidence += ["", *markdown_table(["evidence", "value"], scalars)]
    for table in finding.tables:
        evidence += ["", *_evidence_table(table)]
    if evidence and (causes or pictures_of(report, finding.check_id)):
        lines += ["", "<details><summary>Evidence</summary>", *evidence, "", "</details>"]  # the picture shows it
    else:
        lines += evidence
    if finding.docs:
        lines += ["", f"Docs: {code(finding.docs)}"]
    return lines


def _picture_text(picture: Any) -> str:
    from nndoctor.report.text_charts import draw

    return draw(picture, PICTURE_WIDTH).plain


def _code_block(text: str) -> list[str]:
    fence = "```"
    while fence in text:
        fence += "`"
    return [f"{fence}text", *text.splitlines(), fence]


def _evidence_table(table: Table) -> list[str]:
    return [f"**{escape(table.title)}**", "", *markdown_table(table.columns, table.rows)]


def _diagnosis(report: Report) -> list[str]:
    lines = ["", f"**Diagnosis: {escape(layout.verdict(report))}**"]
    entries = layout.diagnosis(report)
    if entries:
        lines.append("")
    for root in entries:
        for depth, entry in root.walk():
            f = entry.finding
            suffix = " *(a consequence)*" if depth else ""
            arrow = "↳ " if depth else ""
            lines.append(
                f"{'  ' * depth}- {arrow}{MARK[f.outcome]} **{escape(f.check_id)}** {escape(f.name)}: "
                f"{escape(f.message)}{suffix}"
            )
    return lines


def _collapsed(report: Report, verbose: bool) -> list[str]:
    rest = [f for f in report.findings if f.outcome in (Outcome.PASS, Outcome.SKIP)]
    if not rest:
        return []
    counts = layout.counts_text(report, (Outcome.PASS, Outcome.SKIP))
    table = markdown_table(
        ["id", "outcome", "check", "finding"],
        [[f.check_id, MARK[f.outcome], f.name, f.message] for f in rest],
        max_rows=len(rest),
    )
    if verbose:
        return ["", f"**{escape(counts)}**", "", *table]
    return ["", f"<details><summary>{escape(counts)}</summary>", "", *table, "", "</details>"]


def render_markdown(report: Report, verbose: bool = False) -> str:
    """The whole report as Markdown (ends with a newline)."""
    report = Report.from_dict(report.to_dict())  # what a reader of the JSON file sees, exactly
    lines = [f"## nndoctor: {summary_line(report)}", "", *_header(report)]
    if report.interrupted:
        lines += ["", "> ⚠️ The run was interrupted: this report is partial."]
    lines += _diagnosis(report)
    for finding, causes in layout.detailed(report, verbose=verbose):
        if finding.outcome in DETAILED or (verbose and (finding.tables or pictures_of(report, finding.check_id))):
            lines += _details(report, finding, causes)
    lines += _collapsed(report, verbose)
    return "\n".join(lines) + "\n"


def render(report: Report, options: RenderOptions) -> str:
    return render_markdown(report, verbose=options.verbose)
