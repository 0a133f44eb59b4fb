"""The report as one self-contained HTML file: for CI artifacts, e-mail and notebooks.

Verdict first like the terminal report (`nndoctor.report.layout`): the diagnosis, the pictures of
the network's health (inline SVG, so the file needs nothing else: no scripts, no fonts, no
network), the findings to act on with evidence and fix, and the passes and skips folded away.
`html_fragment` is the same report without the page around it, which is what a notebook shows
(`Report._repr_html_`); its styles are scoped to `.nndoctor-report`, so they leave the notebook
alone. Every string from the report is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import nndoctor.report.layout as layout
from nndoctor.report.format import Format
from nndoctor.report.markdown import format_value
from nndoctor.report.model import Finding, Outcome, Report, Table
from nndoctor.report.pictures import Picture, pictures
from nndoctor.report.svg import render_svg
from nndoctor.report.text import visible

if TYPE_CHECKING:
    from nndoctor.report.format import RenderOptions

FORMAT = Format("html", "a single-file HTML report with the pictures (a CI artifact)", order=3)

MAX_ROWS = 200  # per evidence table; the JSON report has them all

LABEL = {
    Outcome.PASS: "pass",
    Outcome.SKIP: "skip",
    Outcome.NOT_JUDGED: "not judged",
    Outcome.WARN: "warn",
    Outcome.FAIL: "fail",
    Outcome.ERROR: "error",
}

CSS = """
.nndoctor-report{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;
background:#fff;max-width:980px;margin:0 auto;padding:20px 24px;line-height:1.45;font-size:14px}
.nndoctor-report h1{font-size:22px;margin:0 0 6px}
.nndoctor-report h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.nndoctor-report h3{font-size:15px;margin:0 0 6px}
.nndoctor-report .facts{color:#6b7280;margin:2px 0;font-size:13px}
.nndoctor-report .verdict{font-size:16px;font-weight:600;margin:10px 0 4px}
.nndoctor-report .badge{display:inline-block;min-width:44px;text-align:center;border-radius:4px;padding:0 6px;
font-size:12px;font-weight:700;text-transform:uppercase;color:#fff;margin-right:6px}
.nndoctor-report .pass{background:#168a46}.nndoctor-report .skip{background:#9ca3af}
.nndoctor-report .not_judged{background:#a16207}.nndoctor-report .warn{background:#d97706}
.nndoctor-report .fail{background:#d23c3c}.nndoctor-report .error{background:#9333ea}
.nndoctor-report .text-pass{color:#168a46}.nndoctor-report .text-warn{color:#b45309}
.nndoctor-report .text-fail,.nndoctor-report .text-error{color:#b91c1c}.nndoctor-report .text-not_judged{color:#a16207}
.nndoctor-report ul.diagnosis{list-style:none;padding-left:0;margin:6px 0}
.nndoctor-report ul.diagnosis ul{list-style:none;padding-left:28px;margin:2px 0}
.nndoctor-report ul.diagnosis li{margin:4px 0}
.nndoctor-report .muted{color:#6b7280}
.nndoctor-report a{color:#1d4ed8;text-decoration:none}
.nndoctor-report figure{margin:10px 0 18px;border:1px solid #e5e7eb;border-radius:6px;padding:6px;overflow-x:auto}
.nndoctor-report figure svg{max-width:100%;height:auto;display:block}
.nndoctor-report figcaption{font-size:12px;color:#6b7280;padding:2px 6px}
.nndoctor-report article{border-left:4px solid #e5e7eb;padding:8px 14px;margin:14px 0;background:#fafafa}
.nndoctor-report article.o-fail,.nndoctor-report article.o-error{border-left-color:#d23c3c}
.nndoctor-report article.o-warn,.nndoctor-report article.o-not_judged{border-left-color:#d97706}
.nndoctor-report article.o-pass{border-left-color:#168a46}
.nndoctor-report .fix{background:#ecfeff;border-radius:4px;padding:6px 10px;margin:8px 0}
.nndoctor-report table{border-collapse:collapse;margin:6px 0 10px;font-size:12.5px}
.nndoctor-report th,.nndoctor-report td{border:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}
.nndoctor-report th{background:#f3f4f6}
.nndoctor-report td.num{text-align:right;font-variant-numeric:tabular-nums}
.nndoctor-report details{margin:6px 0}
.nndoctor-report summary{cursor:pointer;color:#374151}
.nndoctor-report code{background:#f3f4f6;border-radius:3px;padding:0 4px;font-size:12.5px}
"""


def _e(value: Any) -> str:
    return escape(visible(value), quote=True)


def _badge(outcome: Outcome) -> str:
    return f'<span class="badge {outcome.value}">{LABEL[outcome]}</span>'


def _anchor(check_id: str) -> str:
    return "finding-" + "".join(ch if ch.isalnum() else "-" for ch in check_id)


def _header(report: Report) -> list[str]:
    env = report.environment
    worst = report.worst if report.worst != Outcome.SKIP else Outcome.PASS
    facts = [
        f"target <code>{_e(report.target)}</code>",
        f"profile <code>{_e(report.profile)}</code>",
        f"nndoctor {_e(report.nndoctor_version or '?')}",
    ]
    run = [f"torch {_e(env.get('torch', '?'))}", f"device {_e(env.get('device', '?'))}"]
    run += [f"dtype {_e(env.get('dtype', '?'))}", f"seed {_e(env.get('seed', '?'))}"]
    total = report.timings.get("total")
    if isinstance(total, (int, float)):
        run.append(f"{total:.2f}s")
    out = [
        "<header>",
        "<h1>nndoctor report</h1>",
        f'<p class="facts">{" · ".join(facts)}</p>',
        f'<p class="facts">{" · ".join(run)}</p>',
    ]
    model_text = layout.model_line(report)
    if model_text:
        out.append(f'<p class="facts">{_e(model_text)}</p>')
    out.append(
        f'<p class="verdict text-{worst.value}">{_e(layout.verdict(report).capitalize())}: '
        f"{_e(layout.counts_text(report) or 'no checks')}</p>"
    )
    if report.interrupted:
        out.append('<p class="text-warn">The run was interrupted: this report is partial.</p>')
    out.append("</header>")
    return out


def _diagnosis(report: Report) -> list[str]:
    entries = layout.diagnosis(report)
    if not entries:
        return []
    out = ["<section>", "<h2>Diagnosis</h2>", '<ul class="diagnosis">']

    def item(entry: layout.Entry, depth: int) -> None:
        f = entry.finding
        arrow = '<span class="muted">↳ </span>' if depth else ""
        note = ' <span class="muted">(a consequence)</span>' if depth else ""
        out.append(
            f'<li>{arrow}{_badge(f.outcome)}<a href="#{_anchor(f.check_id)}"><b>{_e(f.check_id)}</b> {_e(f.name)}</a>'
            f"{note}<br><span>{_e(f.message)}</span>"
        )
        if entry.consequences:
            out.append("<ul>")
            for child in entry.consequences:
                item(child, depth + 1)
            out.append("</ul>")
        out.append("</li>")

    for root in entries:
        item(root, 0)
    out.append("</ul>")
    if any(root.consequences for root in entries):
        out.append('<p class="muted">Fix the root causes first; the consequences (↳) may go away with them.</p>')
    out.append("</section>")
    return out


def _figure(report: Report, picture: Picture) -> str:
    finding = report.finding(picture.check_id)
    outcome = finding.outcome if finding is not None else Outcome.PASS
    name = f"{picture.check_id} {finding.name}" if finding is not None else picture.check_id
    return (
        f'<figure id="picture-{picture.key}">{render_svg(picture)}'
        f'<figcaption>{_badge(outcome)}<a href="#{_anchor(picture.check_id)}">{_e(name)}</a></figcaption></figure>'
    )


def _table(table: Table) -> list[str]:
    rows = table.rows[:MAX_ROWS]
    out = [
        f"<p><b>{_e(table.title)}</b></p>",
        "<table>",
        "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in table.columns) + "</tr>",
    ]
    for row in rows:
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(
                f'<td class="num">{_e(format_value(value))}</td>' if numeric else f"<td>{_e(format_value(value))}</td>"
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    if len(table.rows) > len(rows):
        out.append(f'<p class="muted">… {len(table.rows) - len(rows)} more rows in the JSON report</p>')
    return out


def _finding(report: Report, finding: Finding, causes: list[str], drawn: set[str]) -> list[str]:
    heading = f"{_badge(finding.outcome)}{_e(finding.check_id)} {_e(finding.name)}"
    if causes:
        heading += f' <span class="muted">consequence of {_e(", ".join(causes))}</span>'
    out = [
        f'<article id="{_anchor(finding.check_id)}" class="o-{finding.outcome.value}">',
        f"<h3>{heading}</h3>",
        f"<p>{_e(finding.message)}</p>",
    ]
    shown = [p for p in pictures(report) if p.check_id == finding.check_id and p.key in drawn]
    if shown:
        links = ", ".join(f'<a href="#picture-{p.key}">{_e(p.title)}</a>' for p in shown)
        out.append(f'<p class="muted">Picture: {links}</p>')
    if finding.recommendation:
        out.append(f'<p class="fix"><b>How to fix:</b> {_e(finding.recommendation)}</p>')
    evidence: list[str] = []
    if finding.evidence:
        evidence += _table(Table("evidence", ["evidence", "value"], [[k, v] for k, v in finding.evidence.items()]))
    for table in finding.tables:
        evidence += _table(table)
    if evidence:
        out += ["<details><summary>Evidence</summary>", *evidence, "</details>"]
    if finding.docs:
        out.append(f'<p class="muted">Docs: <code>{_e(finding.docs)}</code></p>')
    out.append("</article>")
    return out


def _collapsed(report: Report) -> list[str]:
    rest = [f for f in report.findings if f.outcome in (Outcome.PASS, Outcome.SKIP)]
    if not rest:
        return []
    rows = "".join(
        f'<tr><td id="{_anchor(f.check_id)}">{_e(f.check_id)}</td><td>{_badge(f.outcome)}</td><td>{_e(f.name)}</td>'
        f"<td>{_e(f.message)}</td></tr>"
        for f in rest
    )
    summary = _e(layout.counts_text(report, (Outcome.PASS, Outcome.SKIP)))
    return [
        "<section>",
        f"<details><summary><b>{summary}</b></summary>",
        "<table><tr><th>id</th><th>outcome</th><th>check</th><th>finding</th></tr>" + rows + "</table>",
        "</details>",
        "</section>",
    ]


def html_fragment(report: Report) -> str:
    """The report as a `<div>` with its own scoped styles (notebooks, or inside another page)."""
    report = Report.from_dict(report.to_dict())  # what a reader of the JSON file sees, exactly
    body = [f'<div class="nndoctor-report"><style>{CSS.strip()}</style>', *_header(report), *_diagnosis(report)]
    drawn = pictures(report)
    if drawn:
        body += ["<section>", "<h2>Network health</h2>", *(_figure(report, p) for p in drawn), "</section>"]
    detailed = [(f, c) for f, c in layout.detailed(report) if f.outcome != Outcome.PASS]
    if detailed:
        body += ["<section>", "<h2>Findings to act on</h2>"]
        keys = {p.key for p in drawn}
        for finding, causes in detailed:
            body += _finding(report, finding, causes, keys)
        body.append("</section>")
    body += _collapsed(report)
    body.append("</div>")
    return "\n".join(body) + "\n"


def render_html(report: Report) -> str:
    """A whole HTML page (UTF-8, no external resources)."""
    title = f"nndoctor: {layout.counts_text(report) or 'no checks'} · {report.target}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{_e(title)}</title>\n</head>\n<body style="margin:0;background:#fff">\n'
        + html_fragment(report)
        + "</body>\n</html>\n"
    )


def render(report: Report, options: RenderOptions) -> str:
    return render_html(report)
