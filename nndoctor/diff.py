"""`nndoctor diff`: what got worse between a base report (main) and a head report (the change).

Regressions are the findings that got worse: a check that now warns, fails or errors when it did
not before (or that is new and does not pass). They drive the exit code, so a job can gate on
"this change broke something" rather than on problems main already had. Improvements, outcome
moves that are neither (pass <-> skip), added and removed checks, problems that persist, and
evidence numbers that moved past a tolerance are reported to explain the change, not gated.
Evidence that measures time (`seconds`, `*_s`) is not compared: it varies from run to run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from nndoctor.gate import as_number
from nndoctor.report.model import Finding, Outcome, Report

DEFAULT_REL_TOL = 0.25  # an evidence number must move by more than 25% ...
DEFAULT_ABS_TOL = 1e-6  # ... and by more than this, so values near zero do not flicker
MAX_MOVES_SHOWN = 30
MAX_MOVES_PER_CHECK = 8

# wall-clock evidence measures the machine, not the model: never compared (seconds, elapsed_s, ...)
_WALL_CLOCK = re.compile(r"^(seconds|elapsed|duration|wall|time)(_.*)?$|_(s|sec|secs|seconds|time)$")

# how bad an outcome is for a regression: skip is "nothing to act on", like pass
_RANK = {Outcome.PASS: 0, Outcome.SKIP: 0, Outcome.NOT_JUDGED: 1, Outcome.WARN: 1, Outcome.FAIL: 2, Outcome.ERROR: 3}


@dataclass(frozen=True)
class OutcomeChange:
    """A check whose outcome differs between the reports (None: absent from that report)."""

    check_id: str
    name: str
    base: Outcome | None
    head: Outcome | None
    message: str  # head's message when the check is in head, else base's

    def arrow(self) -> str:
        left = self.base.value if self.base else "absent"
        right = self.head.value if self.head else "absent"
        return f"{left} → {right}"


@dataclass(frozen=True)
class EvidenceMove:
    """An evidence number that moved past the tolerance."""

    check_id: str
    key: str
    base: float
    head: float

    @property
    def change(self) -> str:
        if self.base != 0 and math.isfinite(self.base) and math.isfinite(self.head):
            return f"{(self.head - self.base) / abs(self.base):+.0%}"
        return "changed"


@dataclass
class DiffResult:
    base: Report
    head: Report
    regressions: list[OutcomeChange] = field(default_factory=list)
    improvements: list[OutcomeChange] = field(default_factory=list)
    changed: list[OutcomeChange] = field(default_factory=list)  # pass <-> skip
    added: list[OutcomeChange] = field(default_factory=list)  # new checks that pass or skip
    removed: list[OutcomeChange] = field(default_factory=list)
    persisting: list[OutcomeChange] = field(default_factory=list)  # same non-passing outcome in both
    moves: list[EvidenceMove] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rel_tol: float = DEFAULT_REL_TOL
    abs_tol: float = DEFAULT_ABS_TOL
    base_source: str = ""  # the files the reports came from, for the output's first line
    head_source: str = ""

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions)

    @property
    def is_empty(self) -> bool:
        """Nothing to report: same checks, same outcomes, evidence within tolerance, same setup."""
        return not (
            self.regressions
            or self.improvements
            or self.changed
            or self.added
            or self.removed
            or self.moves
            or self.notes
        )

    def summary(self) -> str:
        if self.is_empty:
            return (
                f"no differences: {len(self.head.findings)} checks with the same outcomes, evidence within "
                f"{self.rel_tol:.0%} (abs {self.abs_tol:g})"
            )
        parts = []
        for items, word in (
            (self.regressions, "regression"),
            (self.improvements, "improvement"),
            (self.changed, "other outcome change"),
            (self.added, "added check"),
            (self.removed, "removed check"),
            (self.moves, "evidence move"),
        ):
            if items:
                parts.append(f"{len(items)} {word}{'s' if len(items) != 1 else ''}")
        return ", ".join(parts) if parts else "no outcome or evidence changes (see notes)"


def compare(
    base: Report, head: Report, rel_tol: float = DEFAULT_REL_TOL, abs_tol: float = DEFAULT_ABS_TOL
) -> DiffResult:
    """What changed from `base` to `head`, with regressions separated from the rest."""
    result = DiffResult(base=base, head=head, rel_tol=rel_tol, abs_tol=abs_tol, notes=_setup_notes(base, head))
    base_by_id = {f.check_id: f for f in base.findings}
    head_by_id = {f.check_id: f for f in head.findings}
    for check_id in sorted(base_by_id.keys() | head_by_id.keys()):
        old, new = base_by_id.get(check_id), head_by_id.get(check_id)
        shown = new or old
        assert shown is not None
        change = OutcomeChange(
            check_id, shown.name, old.outcome if old else None, new.outcome if new else None, shown.message
        )
        if old is None:
            (result.regressions if _RANK[new.outcome] > 0 else result.added).append(change)  # type: ignore[union-attr]
            continue
        if new is None:
            result.removed.append(change)
            continue
        if _RANK[new.outcome] > _RANK[old.outcome]:
            result.regressions.append(change)
        elif _RANK[new.outcome] < _RANK[old.outcome]:
            result.improvements.append(change)
        elif new.outcome != old.outcome:
            result.changed.append(change)
        elif _RANK[new.outcome] > 0:
            result.persisting.append(change)
        result.moves += evidence_moves(old, new, rel_tol, abs_tol)
    return result


def flatten_numbers(finding: Finding) -> dict[str, float]:
    """Numeric evidence by dotted key (`class_counts.3`), plus table cells (`TITLE[row].column`).

    Wall-clock values are left out (see `is_wall_clock`): two runs of the same model on the same
    machine must diff as identical.
    """
    out: dict[str, float] = {}
    _flatten(finding.evidence, "", out)
    for table in finding.tables:
        labels = [row[0] if row else None for row in table.rows]
        by_label = all(isinstance(x, str) for x in labels) and len(set(labels)) == len(labels)
        for index, row in enumerate(table.rows):
            label = labels[index] if by_label else str(index)
            for column, cell in zip(table.columns[1:], row[1:], strict=False):
                number = as_number(cell)
                if number is not None and not is_wall_clock(column):
                    out[f"{table.title}[{label}].{column}"] = number
    return out


def _flatten(value: Any, prefix: str, out: dict[str, float]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        number = as_number(value)
        if number is not None and prefix and not is_wall_clock(prefix):
            out[prefix] = number


def is_wall_clock(key: str) -> bool:
    """Timing evidence (`seconds`, `sweep_s`, `elapsed`): it differs run to run, so diff skips it."""
    return bool(_WALL_CLOCK.search(key.rsplit(".", 1)[-1]))


def _same(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def evidence_moves(base: Finding, head: Finding, rel_tol: float, abs_tol: float) -> list[EvidenceMove]:
    """Numbers present in both findings that differ by more than the tolerance."""
    old, new = flatten_numbers(base), flatten_numbers(head)
    return [
        EvidenceMove(head.check_id, key, old[key], new[key])
        for key in new
        if key in old and not _same(old[key], new[key], rel_tol, abs_tol)
    ]


def _setup_notes(base: Report, head: Report) -> list[str]:
    """Differences in what was run and where, which explain (or invalidate) a comparison."""
    notes = []
    pairs: list[tuple[str, Any, Any]] = [
        ("target", base.target, head.target),
        ("profile", base.profile, head.profile),
        ("nndoctor", base.nndoctor_version, head.nndoctor_version),
    ]
    for key in ("torch", "device", "dtype", "precision", "seed"):
        pairs.append((key, base.environment.get(key), head.environment.get(key)))
    for label, old, new in pairs:
        if old != new:
            notes.append(f"{label} differs: {old} (base) vs {new} (head)")
    for label, report in (("base", base), ("head", head)):
        if report.interrupted:
            notes.append(f"the {label} run was interrupted: its report is partial")
    return notes


def _format(number: float) -> str:
    return f"{number:.4g}"


def _shown_moves(result: DiffResult) -> tuple[list[EvidenceMove], int]:
    """The moves worth printing: the largest per check first, capped so a big change stays readable."""
    shown: list[EvidenceMove] = []
    per_check: dict[str, list[EvidenceMove]] = {}
    for move in result.moves:
        per_check.setdefault(move.check_id, []).append(move)

    def size(m: EvidenceMove) -> float:
        if not (math.isfinite(m.base) and math.isfinite(m.head)):
            return math.inf
        return abs(m.head - m.base) / max(abs(m.base), abs(m.head), result.abs_tol)

    for moves in per_check.values():
        shown += sorted(moves, key=size, reverse=True)[:MAX_MOVES_PER_CHECK]
    shown = shown[:MAX_MOVES_SHOWN]
    return shown, len(result.moves) - len(shown)


def _side(source: str, report: Report) -> str:
    target = f"{report.target} ({report.profile})"
    return f"{source}: {target}" if source else target


def _change_rows(changes: list[OutcomeChange]) -> list[list[str]]:
    return [[c.check_id, c.name, c.arrow(), c.message] for c in changes]


_SECTIONS = (
    ("regressions", "Regressions (got worse)"),
    ("improvements", "Improvements"),
    ("changed", "Other outcome changes"),
    ("added", "Added checks"),
    ("removed", "Removed checks"),
    ("persisting", "Still not passing (unchanged)"),
)


def render_diff_markdown(result: DiffResult) -> str:
    """The diff as Markdown (for a PR comment or `$GITHUB_STEP_SUMMARY`)."""
    from nndoctor.report.markdown import code, escape, markdown_table

    mark = "❌" if result.has_regressions else "✅"
    lines = [
        f"## nndoctor diff: {mark} {result.summary()}",
        "",
        f"base {code(_side(result.base_source, result.base))} → head {code(_side(result.head_source, result.head))}",
    ]
    for attr, title in _SECTIONS:
        changes = getattr(result, attr)
        if changes:
            rows = _change_rows(changes)
            lines += [
                "",
                f"**{title}**",
                "",
                *markdown_table(["id", "check", "outcome", "finding (head)"], rows, len(rows)),
            ]
    shown, hidden = _shown_moves(result)
    if shown:
        rows = [[m.check_id, m.key, _format(m.base), _format(m.head), m.change] for m in shown]
        if hidden:
            rows.append(["", f"… {hidden} more (see both JSON reports)", "", "", ""])
        lines += [
            "",
            f"**Evidence that moved more than {result.rel_tol:.0%}**",
            "",
            *markdown_table(["id", "evidence", "base", "head", "change"], rows, len(rows)),
        ]
    if result.notes:
        lines += ["", "**Notes**", "", *(f"- {escape(n)}" for n in result.notes)]
    return "\n".join(lines) + "\n"


def render_diff_rich(result: DiffResult) -> Any:
    """The diff as a Rich renderable."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from nndoctor.report.text import plain, visible

    styles = {"regressions": "nndoctor.fail", "improvements": "nndoctor.pass", "persisting": "nndoctor.warn"}
    parts: list[Any] = [
        Text.assemble(
            ("nndoctor diff", "nndoctor.header"),
            visible(
                f" · base {_side(result.base_source, result.base)} → head {_side(result.head_source, result.head)}"
            ),
        )
    ]

    def table(title: str, columns: tuple[str, ...], style: str = "") -> Table:
        view = Table(
            title=Text(title, style=style or "nndoctor.header"),
            title_justify="left",
            show_edge=False,
            pad_edge=False,
            header_style="nndoctor.header",
        )
        for column in columns:
            view.add_column(column, overflow="fold")
        return view

    for attr, title in _SECTIONS:
        changes = getattr(result, attr)
        if changes:
            view = table(title, ("id", "check", "outcome", "finding (head)"), styles.get(attr, ""))
            for row in _change_rows(changes):
                view.add_row(*(plain(cell) for cell in row))
            parts += [Text(), view]
    shown, hidden = _shown_moves(result)
    if shown:
        view = table(
            f"Evidence that moved more than {result.rel_tol:.0%}", ("id", "evidence", "base", "head", "change")
        )
        for m in shown:
            view.add_row(*(plain(cell) for cell in (m.check_id, m.key, _format(m.base), _format(m.head), m.change)))
        if hidden:
            view.add_row("", f"... {hidden} more (see both JSON reports)", "", "", "")
        parts += [Text(), view]
    for note in result.notes:
        parts.append(Text(visible(f"note: {note}"), style="nndoctor.muted"))
    style = "nndoctor.fail" if result.has_regressions else "nndoctor.pass"
    parts += [Text(), Text(visible(result.summary()), style=style)]
    return Group(*parts)
