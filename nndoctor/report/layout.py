"""The verdict-first order every human-readable format follows (terminal, Markdown, HTML).

A report reads: the diagnosis (root causes, worst first, each with the findings it explains),
then the non-passing findings in that same order with their evidence and fix, then what could not
be judged, and last the passes and skips collapsed into a line each. Keeping the order here means
the terminal, Markdown and HTML reports say the same thing in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nndoctor.report.model import Finding, Outcome, Report

ACTIONABLE = (Outcome.FAIL, Outcome.WARN)
UNJUDGED = (Outcome.ERROR, Outcome.NOT_JUDGED)


@dataclass
class Entry:
    """A finding in the diagnosis and the findings it explains (nested: causes have causes)."""

    finding: Finding
    consequences: list[Entry] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)  # for a consequence: the ids that explain it

    def walk(self, depth: int = 0) -> list[tuple[int, Entry]]:
        out = [(depth, self)]
        for child in self.consequences:
            out.extend(child.walk(depth + 1))
        return out


def diagnosis(report: Report) -> list[Entry]:
    """Root causes (worst first) with their consequences, then the findings that could not be judged.

    Every warn/fail finding appears once: under its first cause, or as a root. A chain of causes
    that loops (no root) still shows, starting from its earliest check id.
    """
    by_id = {f.check_id: f for f in report.findings}
    placed: set[str] = set()

    def entry(finding: Finding, causes: list[str]) -> Entry:
        placed.add(finding.check_id)
        node = Entry(finding, causes=causes)
        for consequence in sorted(report.consequences_of(finding.check_id), key=_worst_first):
            if consequence.check_id not in placed and consequence.outcome in ACTIONABLE:
                node.consequences.append(entry(consequence, list(consequence.explained_by)))
        return node

    entries = [entry(f, []) for f in report.root_causes if f.check_id not in placed]
    for finding in sorted(report.findings, key=_worst_first):  # loops of causes: no root among them
        if finding.outcome in ACTIONABLE and finding.check_id not in placed:
            entries.append(entry(finding, [c for c in finding.explained_by if c in by_id]))
    entries += [Entry(f) for f in sorted(report.findings, key=_worst_first) if f.outcome in UNJUDGED]
    return entries


def detailed(report: Report, verbose: bool = False) -> list[tuple[Finding, list[str]]]:
    """The findings shown in full, in diagnosis order, each with the ids of its causes; with
    `verbose`, the passes and skips follow in id order."""
    shown = [(e.finding, e.causes) for root in diagnosis(report) for _, e in root.walk()]
    if verbose:
        seen = {f.check_id for f, _ in shown}
        shown += [(f, []) for f in report.findings if f.check_id not in seen]
    return shown


def passed(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.outcome == Outcome.PASS]


def skipped(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.outcome == Outcome.SKIP]


def notes(report: Report) -> list[Finding]:
    """Passes that carry a note: a heuristic's warning that no experiment confirmed."""
    return [f for f in passed(report) if f.evidence.get("unconfirmed")]


def verdict(report: Report) -> str:
    """One sentence for the whole run, from the worst outcome (the outcomes' meanings)."""
    outcomes = {f.outcome for f in report.findings}
    if not report.findings:
        return "no checks ran"
    if Outcome.FAIL in outcomes:
        text = "training will not work as configured"
    elif Outcome.WARN in outcomes:
        text = "training will likely be slow or poor"
    elif outcomes & set(UNJUDGED):
        text = "no problem found, but some checks could not judge"
    else:
        text = "no problem found"
    if report.interrupted:
        text += " (interrupted: partial report)"
    return text


def model_line(report: Report) -> str | None:
    """`model Sequential · 1,234 params (1,234 trainable) · task classification (10 classes) · loss
    cross_entropy`, or None when the report has no model summary."""
    model = report.model
    if not model:
        return None
    task = model.get("task") or {}
    text = f"model {model.get('class', '?')} · {number(model.get('params'))} params ({number(model.get('trainable'))} trainable)"
    if isinstance(task, dict) and task.get("kind"):
        classes = f" ({task['num_classes']} classes)" if task.get("num_classes") else ""
        text += f" · task {task['kind']}{classes} · loss {task.get('loss') or '?'}"
    return text


def number(value: object) -> str:
    """An integer with thousands separators; anything else as text ("?" when missing)."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value or "?")


def counts_text(report: Report, outcomes: tuple[Outcome, ...] | None = None) -> str:
    """`1 failed, 4 warnings, 12 passed, 2 skipped` (pytest's words)."""
    counts = report.counts
    parts = []
    for outcome, one, many in _WORDS:
        if outcomes is not None and outcome not in outcomes:
            continue
        count = counts[outcome.value]
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


_WORDS = (
    (Outcome.FAIL, "failed", "failed"),
    (Outcome.ERROR, "error", "errors"),
    (Outcome.WARN, "warning", "warnings"),
    (Outcome.NOT_JUDGED, "not judged", "not judged"),
    (Outcome.PASS, "passed", "passed"),
    (Outcome.SKIP, "skipped", "skipped"),
)


def _worst_first(finding: Finding) -> tuple[int, str]:
    return (-finding.outcome.severity, finding.check_id)
