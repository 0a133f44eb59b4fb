"""The terminal report, verdict first: header, diagnosis, a panel per finding to act on, the passes
and skips collapsed into a line each, footer.

The diagnosis lists the root causes worst first, each with the findings it explains; the panels
follow in the same order (`nndoctor.report.layout`), with the pictures of the network's health
(log-scale bars per layer, the loss curve) inside the panel of the check they illustrate.
`ReportView` is a Rich renderable; styles come from the theme by meaning (`nndoctor.fail`), so a
user theme or NO_COLOR changes the look without touching this code, and a console without the
theme (`rich.print(ReportView(report))`) gets it for the duration of the render.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.errors import MissingStyle
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text
from rich.theme import Theme

import nndoctor.report.layout as layout
from nndoctor.report.format import Format
from nndoctor.report.model import Finding, Outcome, Report, Table
from nndoctor.report.pictures import pictures_of
from nndoctor.report.text import visible
from nndoctor.report.text_charts import PictureView

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
        "nndoctor.bar": "cyan",
        "nndoctor.bar.flag": "red",
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
    console.print(ReportView(report, details=options.details, verbose=options.verbose))
    return buffer.getvalue()


def _style(outcome: Outcome) -> str:
    return f"nndoctor.{outcome.value}"


def _cell(value: Any) -> Text:
    if isinstance(value, float):
        return Text(f"{value:.4g}")
    return Text(visible(value))


def evidence_table(table: Table, max_rows: int = 40) -> RichTable:
    """A finding's table; rows past `max_rows` are summarized in one last row."""
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
            Text(f"... {len(table.rows) - len(rows)} more rows (--verbose, or the JSON and HTML reports)"),
            *[Text("")] * (len(table.columns) - 1),
        )
    return view


def footer(report: Report) -> Text:
    """pytest-style summary line: `1 failed, 2 warnings, 9 passed in 4.1s`, then where to start."""
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
    roots = report.root_causes
    if roots:
        text.append(visible(f" · start with {roots[0].check_id} {roots[0].name}"), style=_style(roots[0].outcome))
    if report.interrupted:
        text.append("  (interrupted: partial report)", style="nndoctor.warn")
    return text


_MARK = {
    Outcome.PASS: "PASS",
    Outcome.WARN: "WARN",
    Outcome.FAIL: "FAIL",
    Outcome.SKIP: "skip",
    Outcome.NOT_JUDGED: "N/J ",
    Outcome.ERROR: "ERR ",
}
COMPACT_ROWS = 12  # evidence rows a panel shows without --verbose


class ReportView:
    """The whole report as one renderable, verdict first."""

    def __init__(self, report: Report, *, details: bool = True, verbose: bool = False) -> None:
        self.report = report
        self.details = details
        self.verbose = verbose

    def header(self, width: int = 100) -> Text:
        """Target, environment and model facts, wrapped between facts (never inside one)."""
        report = self.report
        env = report.environment
        model = report.model
        text = Text()
        first = [f"nndoctor {report.nndoctor_version}", f"target {report.target}", f"profile {report.profile}"]
        lines = [
            first,
            [
                f"torch {env.get('torch', '?')}",
                f"device {env.get('device', '?')} ({env.get('device_name', '')})",
                f"dtype {env.get('dtype', '?')}",
                f"precision {env.get('precision', '?')}",
                f"seed {env.get('seed', '?')}",
            ],
        ]
        if model:
            task = model.get("task") or {}
            facts = [
                f"model {model.get('class')}",
                f"{model.get('params', 0):,} params ({model.get('trainable', 0):,} trainable)",
                f"{model.get('layers', 0)} layers",
            ]
            if task:
                classes = f" ({task.get('num_classes')} classes)" if task.get("num_classes") else ""
                facts += [f"task {task.get('kind')}{classes}", f"loss {task.get('loss') or '?'}"]
            lines.append(facts)
        for index, facts in enumerate(lines):
            for row, wrapped in enumerate(_wrap_facts([visible(f) for f in facts], width)):
                if index or row:
                    text.append("\n")
                if index == 0 and row == 0 and wrapped.startswith(first[0]):
                    text.append(first[0], style="nndoctor.header")
                    text.append(wrapped[len(first[0]) :])
                else:
                    text.append(wrapped, style="nndoctor.muted" if index else "")
        return text

    def diagnosis(self) -> Text:
        """`Diagnosis: <verdict>` and one line per root cause, its consequences indented under it."""
        report = self.report
        entries = layout.diagnosis(report)
        text = Text()
        text.append("Diagnosis: ", style="nndoctor.header")
        worst = report.worst if report.worst != Outcome.SKIP else Outcome.PASS
        text.append(layout.verdict(report), style=_style(worst))
        if not entries:
            return text
        width = max(len(visible(e.finding.check_id)) for root in entries for _, e in root.walk())
        consequences = False
        for root in entries:
            for depth, entry in root.walk():
                finding = entry.finding
                text.append("\n  " + "    " * depth)
                if depth:
                    consequences = True
                    text.append("↳ ", style="nndoctor.muted")
                text.append(_MARK[finding.outcome], style=_style(finding.outcome))
                text.append(visible(f" {finding.check_id.ljust(width)} {finding.name}"))
                if depth:
                    text.append(" (a consequence)", style="nndoctor.muted")
        if consequences:
            text.append(
                "\n  Fix the root causes first; the consequences (↳) may go away with them.", style="nndoctor.muted"
            )
        return text

    def results(self) -> RichTable:
        """Every finding in id order: what --verbose adds for the passes and skips."""
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

    def panel(self, finding: Finding, causes: list[str] | None = None) -> Panel:
        """Message, pictures, fix, evidence; the docs command in the bottom border. Tables that a
        picture shows, and a consequence's tables, wait for --verbose."""
        parts: list[RenderableType] = [Text(visible(finding.message))]
        drawn = pictures_of(self.report, finding.check_id)
        for picture in drawn:
            parts.append(Text())
            parts.append(PictureView(picture))
        if finding.recommendation:
            if drawn:
                parts.append(Text())
            parts.append(Text.assemble(("how to fix: ", "nndoctor.fix"), visible(finding.recommendation)))
        if self.verbose or not (causes or drawn):
            for table in finding.tables:
                parts.append(Text())
                parts.append(evidence_table(table, max_rows=40 if self.verbose else COMPACT_ROWS))
        elif finding.tables:  # the picture (or the cause) says it; the numbers are one option away
            count = len(finding.tables)
            parts.append(
                Text(
                    f"{count} evidence table{'s' if count > 1 else ''}: --verbose, or the HTML and JSON reports",
                    style="nndoctor.muted",
                )
            )
        title = Text.assemble(
            (f" {_LABEL[finding.outcome]} ", _style(finding.outcome)), visible(f"{finding.check_id} {finding.name} ")
        )
        if causes:
            title.append(visible(f"· consequence of {', '.join(causes)} "), style="nndoctor.muted")
        docs = Text(visible(f" {finding.docs} "), style="nndoctor.muted") if finding.docs else None
        return Panel(
            Group(*parts),
            title=title,
            title_align="left",
            subtitle=docs,
            subtitle_align="right",
            border_style=_style(finding.outcome),
        )

    def collapsed(self) -> RichTable | None:
        """The passes in one line and the skips with their reasons, wrapped under their column."""
        report = self.report
        grid = RichTable.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        passes = layout.passed(report)
        if passes:
            text = Text(visible(" ".join(f.check_id for f in passes)))
            noted = layout.notes(report)
            if noted:
                text.append(visible(f"; notes on {', '.join(f.check_id for f in noted)}"), style="nndoctor.muted")
            if not self.verbose:
                text.append(" · --verbose shows them", style="nndoctor.muted")
            grid.add_row(Text(f"passed ({len(passes)})", style="nndoctor.pass"), text)
        for index, finding in enumerate(layout.skipped(report)):
            label = Text(f"skipped ({len(layout.skipped(report))})" if index == 0 else "", style=_style(Outcome.SKIP))
            grid.add_row(label, Text(visible(f"{finding.check_id} {finding.message}"), style="nndoctor.muted"))
        return grid if grid.row_count else None

    def _parts(self, width: int) -> Iterator[RenderableType]:
        yield self.header(width)
        yield Text()
        yield self.diagnosis()
        if self.details:
            for finding, causes in layout.detailed(self.report, verbose=self.verbose):
                if finding.outcome in (Outcome.PASS, Outcome.SKIP) and not (
                    finding.tables or pictures_of(self.report, finding.check_id)
                ):
                    continue  # nothing to show beyond its line in the results table
                yield Text()
                yield self.panel(finding, causes)
        if self.verbose:
            yield Text()
            yield self.results()
        collapsed = self.collapsed()
        if collapsed is not None:
            yield Text()
            yield collapsed
        yield Text()
        yield footer(self.report)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        try:
            console.get_style("nndoctor.pass")
        except MissingStyle:  # a console without nndoctor's theme, e.g. rich.print in a notebook
            console.push_theme(THEME)
            try:
                yield from self._parts(options.max_width)
            finally:
                console.pop_theme()
            return
        yield from self._parts(options.max_width)


def _wrap_facts(facts: list[str], width: int) -> list[str]:
    """Join facts with " · " into lines of at most `width` (a fact longer than that gets a line)."""
    lines: list[str] = []
    for fact in facts:
        if lines and len(lines[-1]) + 3 + len(fact) <= width:
            lines[-1] += " · " + fact
        else:
            lines.append(fact)
    return lines
