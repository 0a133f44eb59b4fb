"""The terminal report: header, results table, a panel per non-passing finding, footer.

`ReportView` is a Rich renderable; styles come from the theme by meaning (`nndoctor.fail`), so a
user theme or NO_COLOR changes the look without touching this code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text
from rich.theme import Theme

from nndoctor.report.format import Format
from nndoctor.report.model import Finding, Outcome, Report, Table
from nndoctor.report.text import visible

if TYPE_CHECKING:
    from nndoctor.report.format import RenderOptions

FORMAT = Format("rich", "the terminal report", file=False, order=0)

THEME = Theme(
    {
        "nndoctor.pass": "green",
        "nndoctor.warn": "yellow",
        "nndoctor.fail": "bold red",
        "nndoctor.error": "bold magenta",
        "nndoctor.skip": "dim",
        "nndoctor.not_judged": "bold yellow",
        "nndoctor.header": "bold",
        "nndoctor.muted": "dim",
        "nndoctor.fix": "cyan",
    }
)

_LABEL = {
    Outcome.PASS: "PASS",
    Outcome.WARN: "WARN",
    Outcome.FAIL: "FAIL",
    Outcome.SKIP: "skip",
    Outcome.NOT_JUDGED: "NOT JUDGED",
    Outcome.ERROR: "ERROR",
}


def make_console(**kwargs: Any) -> Console:
    return Console(theme=THEME, **kwargs)


def render(report: Report, options: RenderOptions) -> str:
    """The terminal report as text (ANSI colours with `options.color`)."""
    import io

    buffer = io.StringIO()
    console = make_console(
        file=buffer,
        width=options.width or 100,
        force_terminal=options.color,
        color_system="standard" if options.color else None,
        no_color=not options.color,
        legacy_windows=False,
    )
    console.print(ReportView(report, details=options.details))
    return buffer.getvalue()


def _style(outcome: Outcome) -> str:
    return f"nndoctor.{outcome.value}"


def _cell(value: Any) -> Text:
    if isinstance(value, float):
        return Text(f"{value:.4g}")
    return Text(visible(value))


def evidence_table(table: Table, max_rows: int = 40) -> RichTable:
    view = RichTable(
        title=Text(visible(table.title)),
        title_justify="left",
        show_edge=False,
        pad_edge=False,
        header_style="nndoctor.header",
    )
    for column in table.columns:
        view.add_column(Text(visible(column)), overflow="fold")
    rows = table.rows if len(table.rows) <= max_rows else table.rows[: max_rows - 1]
    for row in rows:
        view.add_row(*(_cell(v) for v in row))
    if len(table.rows) > max_rows:
        view.add_row(
            Text(f"... {len(table.rows) - len(rows)} more rows (see the JSON report)"),
            *[Text("")] * (len(table.columns) - 1),
        )
    return view


def footer(report: Report) -> Text:
    """pytest-style summary line: `1 failed, 2 warnings, 9 passed in 4.1s`."""
    counts = report.counts
    parts = []
    for outcome, word in (
        (Outcome.FAIL, "failed"),
        (Outcome.ERROR, "error"),
        (Outcome.WARN, "warning"),
        (Outcome.NOT_JUDGED, "not judged"),
        (Outcome.PASS, "passed"),
        (Outcome.SKIP, "skipped"),
    ):
        count = counts[outcome.value]
        if count:
            plural = "s" if count > 1 and outcome in (Outcome.ERROR, Outcome.WARN) else ""
            parts.append((f"{count} {word}{plural}", _style(outcome)))
    text = Text()
    for index, (words, style) in enumerate(parts):
        if index:
            text.append(", ")
        text.append(words, style=style)
    total = report.timings.get("total")
    if total is not None:
        text.append(f" in {total:.2f}s")
    if report.interrupted:
        text.append("  (interrupted: partial report)", style="nndoctor.warn")
    return text


class ReportView:
    """The whole report as one renderable."""

    def __init__(self, report: Report, *, details: bool = True) -> None:
        self.report = report
        self.details = details

    def header(self) -> Text:
        env = self.report.environment
        model = self.report.model
        text = Text()
        text.append(f"nndoctor {self.report.nndoctor_version}", style="nndoctor.header")
        text.append(visible(f" · target {self.report.target} · profile {self.report.profile}") + "\n")
        text.append(
            visible(
                f"torch {env.get('torch', '?')} · device {env.get('device', '?')} ({env.get('device_name', '')}) · "
                f"dtype {env.get('dtype', '?')} · precision {env.get('precision', '?')} · seed {env.get('seed', '?')}"
            ),
            style="nndoctor.muted",
        )
        if model:
            task = model.get("task") or {}
            task_text = (
                f" · task {task.get('kind')}"
                + (f" ({task.get('num_classes')} classes)" if task.get("num_classes") else "")
                + f" · loss {task.get('loss') or '?'}"
                if task
                else ""
            )
            text.append(
                visible(
                    f"\nmodel {model.get('class')} · {model.get('params', 0):,} params "
                    f"({model.get('trainable', 0):,} trainable) · {model.get('layers', 0)} layers{task_text}"
                ),
                style="nndoctor.muted",
            )
        return text

    def results(self) -> RichTable:
        table = RichTable(show_edge=False, pad_edge=False, header_style="nndoctor.header", expand=False)
        table.add_column("id", no_wrap=True)
        table.add_column("result", no_wrap=True)
        table.add_column("check", no_wrap=True)
        table.add_column("finding", overflow="fold")
        for finding in self.report.findings:
            table.add_row(
                Text(visible(finding.check_id)),
                Text(_LABEL[finding.outcome], style=_style(finding.outcome)),
                Text(visible(finding.name)),
                Text(visible(finding.message)),
            )
        return table

    def panel(self, finding: Finding) -> Panel:
        parts: list[Any] = [Text(visible(finding.message))]
        if finding.recommendation:
            parts.append(Text.assemble(("how to fix: ", "nndoctor.fix"), visible(finding.recommendation)))
        for table in finding.tables:
            parts.append(evidence_table(table))
        parts.append(Text(visible(f"docs: {finding.docs}"), style="nndoctor.muted"))
        title = Text.assemble(
            (f" {_LABEL[finding.outcome]} ", _style(finding.outcome)), visible(f"{finding.check_id} {finding.name} ")
        )
        return Panel(Group(*parts), title=title, title_align="left", border_style=_style(finding.outcome))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.header()
        yield Text()
        yield self.results()
        if self.details:
            for finding in self.report.findings:
                if finding.outcome in (Outcome.NOT_JUDGED, Outcome.WARN, Outcome.FAIL, Outcome.ERROR):
                    yield Text()
                    yield self.panel(finding)
        yield Text()
        yield footer(self.report)
